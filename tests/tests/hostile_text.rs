//! Text no reader can hold never reaches the log, and text already in a log never stops a
//! reader (issue #17):
//!
//! - a NUL (or another control character) in any string of any command body is refused with
//!   the field's JSON path, and nothing is written; so are duplicate keys and overlong text;
//! - a signed event that already holds a NUL (written before the API refused it) is projected,
//!   archived byte for byte and replayed, and another Party's events go on being projected.

use axum::http::StatusCode;
use ecites_command::handler::auth::Role;
use ecites_events::{EventAppender, EventData, EventReader, ExpectedPosition, PartyCode};
use ecites_tests::api::TestApi;
use ecites_tests::readside::snapshot;
use ecites_tests::system::TestSystem;
use ecites_tests::{change, commit};
use serde_json::{json, Value};
use std::time::Duration;
use uuid::Uuid;

const WAIT: Duration = Duration::from_secs(60);

/// Every POST route that takes a JSON body, with a body holding each of its text fields.
fn bodies() -> Vec<(String, Value)> {
    let p = Uuid::now_v7();
    let o = Uuid::now_v7();
    let reference = json!({"country": "TH", "number": "TH-123", "date": "2024-01-02"});
    let application = json!({
        "document_type": "re_export_certificate",
        "exporting_country": "LK",
        "importing_country": "DE",
        "requested_validity_months": 6,
        "supporting_documents": ["a".repeat(64)],
        "replaces": {"permit_id": p, "reason": "damaged in transit"},
        "consignment_departed_on": "2024-01-03",
        "lines": [{
            "species": "Python regius", "source": "W", "purpose": "T", "term": "SKI",
            "quantity": "10", "unit": "KIL", "description": "tanned skins", "marks": "tag 7",
            "origin": reference, "last_reexport": reference, "import_permit": reference,
            "registered_operation": "A-LK-501", "acquisition_date": "2020-01-01",
            "seizure_reference": "case 4", "source_justification": "old stock"
        }]
    });
    let permit = |action: &str, body: Value| (format!("/api/LK/permits/{p}/{action}"), body);
    let organisation =
        |action: &str, body: Value| (format!("/api/LK/organisations/{o}/{action}"), body);
    vec![
        (
            "/api/login".into(),
            json!({"party": "LK", "user_id": "x", "password": "y"}),
        ),
        (
            "/api/LK/permits".into(),
            json!({"application": application}),
        ),
        (
            "/api/LK/permits/assess".into(),
            json!({"application": application}),
        ),
        permit("return", json!({"reason": "box 9 is empty"})),
        permit("resubmit", json!({"application": application})),
        permit("withdraw", json!({"reason": "no longer needed"})),
        permit("assign", json!({"officer_id": "officer"})),
        permit(
            "legal-acquisition",
            json!({"evidence": ["b".repeat(64)], "note": "farm records"}),
        ),
        permit("request-opinion", json!({"note": "please"})),
        permit(
            "opinion",
            json!({"lines": [{"line_no": 1, "non_detrimental": true, "conditions": ["tagged"]}]}),
        ),
        permit("approve", json!({"conditions": ["carry the permit"]})),
        permit("reject", json!({"reason": "no legal acquisition"})),
        permit(
            "payment",
            json!({"amount": {"minor_units": 100, "currency": "LKR"}, "method": {"kind": "manual_receipt", "receipt_number": "R-1"}}),
        ),
        permit("waive-fee", json!({"reason": "research"})),
        permit(
            "issue",
            json!({"retrospective_reason": "documented exception"}),
        ),
        permit(
            "endorse",
            json!({"lines": [{"line_no": 1, "actual_quantity": "1"}], "port": "Colombo", "endorsed_on": "2024-01-02", "transport_document": "AWB 1"}),
        ),
        permit("cancel", json!({"reason": "wrong importer"})),
        permit(
            "report-lost",
            json!({"stolen": false, "note": "lost in the post"}),
        ),
        (
            "/api/LK/organisations".into(),
            json!({"name": "Alpha", "registration_number": "PV 1", "country": "LK"}),
        ),
        organisation("verify", json!({"note": "extract seen"})),
        organisation("suspend", json!({"reason": "fraud"})),
        organisation("add-member", json!({"user_id": "t2", "capacity": "member"})),
        organisation("remove-member", json!({"user_id": "t2"})),
        organisation("release-registration-number", json!({"reason": "typo"})),
        (
            "/api/LK/quotas/q1".into(),
            json!({"species": "Python regius", "year": 2026, "term": "SKI", "unit": "KIL", "annual": "1", "notes": "n"}),
        ),
        (
            "/api/LK/config/fees".into(),
            json!({"currency": "LKR", "rules": [{"document_type": "export_permit", "base": 1}]}),
        ),
        (
            "/api/LK/config/domestic-measures/m1".into(),
            json!({"species": "Python regius", "description": "ban"}),
        ),
        (
            "/api/LK/config/domestic-measures/m1/revoke".into(),
            json!({"reason": "lifted"}),
        ),
        (
            "/api/LK/config/national-list".into(),
            json!({"species": "Python regius", "note": "n"}),
        ),
        (
            "/api/LK/config/retrospective-issue".into(),
            json!({"exceptions_allowed": true, "basis": "Act 1, s. 2"}),
        ),
        (
            "/api/LK/accounts".into(),
            json!({"organisation_id": o, "currency": "LKR"}),
        ),
        (
            format!("/api/LK/accounts/{o}/deposit"),
            json!({"amount": {"minor_units": 1, "currency": "LKR"}, "receipt_number": "R-2"}),
        ),
        (
            "/api/LK/users".into(),
            json!({"user_id": "new-user", "role": "trader", "organisation_id": o}),
        ),
        (
            "/api/LK/users/someone/role".into(),
            json!({"role": "customs"}),
        ),
        (
            "/api/set-password".into(),
            json!({"token": "t", "password": "p"}),
        ),
    ]
}

/// The JSON paths of every string in `v` (`lines[0].description`), with the value there.
fn strings(v: &Value, path: String, out: &mut Vec<String>) {
    let join = |k: &str| {
        if path.is_empty() {
            k.to_string()
        } else {
            format!("{path}.{k}")
        }
    };
    match v {
        Value::String(_) => out.push(path),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, x)| strings(x, format!("{path}[{i}]"), out)),
        Value::Object(m) => m.iter().for_each(|(k, x)| strings(x, join(k), out)),
        _ => {}
    }
}

/// `v` with the string at `path` given `suffix`.
fn poisoned(v: &Value, path: &str, suffix: &str) -> Value {
    let mut v = v.clone();
    let mut at = &mut v;
    for part in path.split('.') {
        let (key, indexes) = match part.split_once('[') {
            Some((k, rest)) => (k, Some(rest)),
            None => (part, None),
        };
        at = &mut at[key];
        if let Some(rest) = indexes {
            for i in rest.split('[') {
                let i: usize = i.trim_end_matches(']').parse().expect("an index");
                at = &mut at[i];
            }
        }
    }
    let s = at.as_str().expect("a string").to_string();
    *at = Value::String(format!("{s}{suffix}"));
    v
}

#[tokio::test]
async fn a_control_character_in_any_text_field_is_refused_naming_it_and_nothing_is_written() {
    let api = TestApi::builder()
        .user("admin", Role::PartyAdmin)
        .build()
        .await;
    let token = api.login("admin").await;
    let head = api.head().await;
    let mut checked = 0;
    for (path, body) in bodies() {
        let mut body = body;
        if path != "/api/login"
            && path != "/api/set-password"
            && !path.ends_with("/users")
            && !path.ends_with("/role")
        {
            body["command_id"] = json!(Uuid::now_v7());
        }
        let mut fields = vec![];
        strings(&body, String::new(), &mut fields);
        for field in fields {
            for bad in ["\u{0}", "\u{1b}[2J", "\u{7f}", "\u{9b}"] {
                let (status, out) = api
                    .call(&path, Some(&token), Some(poisoned(&body, &field, bad)))
                    .await;
                assert_eq!(
                    status,
                    StatusCode::BAD_REQUEST,
                    "{path} {field} {bad:?}: {out}"
                );
                let v = &out["violations"][0];
                assert_eq!(v["rule"], "DATA-TEXT-CONTROL", "{path} {field}: {out}");
                assert_eq!(v["field"], field.as_str(), "{path}: {out}");
                checked += 1;
            }
        }
    }
    assert!(checked > 200, "only {checked} fields were tried");
    assert_eq!(api.head().await, head, "a refused body wrote something");
    // Tab, line feed and carriage return are text.
    let (status, out) = api
        .call(
            "/api/LK/config/national-list",
            Some(&token),
            Some(json!({"command_id": Uuid::now_v7(), "species": "Python regius", "note": "line one\r\nline\ttwo"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
}

#[tokio::test]
async fn duplicate_keys_overlong_text_and_wrong_types_are_refused_with_their_path() {
    let api = TestApi::builder()
        .user("admin", Role::PartyAdmin)
        .build()
        .await;
    let token = api.login("admin").await;
    let head = api.head().await;
    let send = |body: String| {
        let api = &api;
        let token = token.clone();
        async move {
            let request = axum::http::Request::post("/api/LK/config/national-list")
                .header("authorization", format!("Bearer {token}"))
                .header("content-type", "application/json")
                .body(axum::body::Body::from(body))
                .unwrap();
            let (status, _, bytes) = api.send(request).await;
            (
                status,
                serde_json::from_slice::<Value>(&bytes).unwrap_or(Value::Null),
            )
        }
    };
    let id = Uuid::now_v7();
    let (status, out) = send(format!(
        r#"{{"command_id":"{id}","species":"Python regius","note":"a","note":"b"}}"#
    ))
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{out}");
    assert_eq!(out["violations"][0]["rule"], "DATA-JSON-DUPLICATE-KEY");
    assert_eq!(out["violations"][0]["field"], "note");
    let long = "x".repeat(10_001);
    let (status, out) = send(format!(
        r#"{{"command_id":"{id}","species":"Python regius","note":"{long}"}}"#
    ))
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{out}");
    assert_eq!(out["violations"][0]["rule"], "DATA-TEXT-LENGTH");
    let (status, out) = send(format!(r#"{{"command_id":"{id}","species":["many"]}}"#)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{out}");
    assert_eq!(out["violations"][0]["rule"], "DATA-JSON-TYPE", "{out}");
    assert_eq!(out["violations"][0]["field"], "species", "{out}");
    assert_eq!(api.head().await, head);
}

/// The payload of the first event of permit `id` in `party`'s log.
async fn first_payload(sys: &TestSystem, party: PartyCode, id: &str) -> (String, u32, Value) {
    let agg = ecites_events::AggregateRef::new(party, "permit", id).unwrap();
    let events = sys.log.read_aggregate(&agg).await.unwrap();
    let envelope = events[0].envelope().unwrap();
    let payload: Value = serde_json::from_str(envelope.payload.get()).unwrap();
    (envelope.event_type, envelope.schema_version, payload)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_event_holding_a_nul_is_projected_archived_and_replayed() {
    let org = Uuid::now_v7();
    let ke_org = Uuid::now_v7();
    let sys = TestSystem::builder()
        .party("LK")
        .party("KE")
        .user("LK", "trader", Role::Trader, Some(org))
        .user("LK", "officer", Role::MaOfficer, None)
        .user("KE", "ke-trader", Role::Trader, Some(ke_org))
        .user("KE", "ke-officer", Role::MaOfficer, None)
        .build()
        .await;
    let lk: PartyCode = "LK".parse().unwrap();
    let ke: PartyCode = "KE".parse().unwrap();
    for (code, trader, officer, org) in [
        ("LK", "trader", "officer", org),
        ("KE", "ke-trader", "ke-officer", ke_org),
    ] {
        let t = sys.login(code, trader).await;
        let body = json!({"command_id": Uuid::now_v7(), "name": "Alpha", "registration_number": format!("R {}", Uuid::now_v7().simple()), "country": code});
        let (s, out) = sys
            .call(
                "POST",
                &format!("/api/{code}/organisations"),
                Some(&t),
                Some(body),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{out}");
        let o = sys.login(code, officer).await;
        let verify = json!({"command_id": Uuid::now_v7(), "note": "seen"});
        let (s, out) = sys
            .call(
                "POST",
                &format!("/api/{code}/organisations/{org}/verify"),
                Some(&o),
                Some(verify),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{out}");
    }
    let trader = sys.login("LK", "trader").await;
    let application = json!({"document_type": "export_permit", "importing_country": "DE",
        "lines": [{"species": "Python regius", "source": "W", "purpose": "T", "term": "SKI", "quantity": 3, "description": "skins"}]});
    let (s, out) = sys
        .call(
            "POST",
            "/api/LK/permits",
            Some(&trader),
            Some(json!({"command_id": Uuid::now_v7(), "application": application})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{out}");
    // The event an older version of the API accepted: the same submission with a NUL in the
    // description, signed with the Party's key like any other.
    let (event_type, schema_version, mut payload) =
        first_payload(&sys, lk, out["permit_id"].as_str().unwrap()).await;
    payload["content"]["lines"][0]["description"] = json!("tanned\u{0}skins");
    assert!(payload.to_string().contains("\\u0000"), "{payload}");
    let poisoned = Uuid::now_v7();
    let store = ecites_events::KeyringStore::new(&sys.config.keys_dir);
    sys.log.set_signer(store.load(lk).unwrap().signer);
    let aggregate = ecites_events::AggregateRef::new(lk, "permit", &poisoned.to_string()).unwrap();
    let data = EventData {
        event_type,
        schema_version,
        payload: serde_json::value::to_raw_value(&payload).unwrap(),
    };
    let committed = sys
        .log
        .append(commit(vec![change(
            &aggregate,
            ExpectedPosition::New,
            vec![data],
        )]))
        .await
        .unwrap();
    // Events after it, in both Parties, go on being projected.
    let (s, out) = sys
        .call(
            "POST",
            "/api/LK/permits",
            Some(&trader),
            Some(json!({"command_id": Uuid::now_v7(), "application": application})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{out}");
    let ke_trader = sys.login("KE", "ke-trader").await;
    let (s, out) = sys
        .call(
            "POST",
            "/api/KE/permits",
            Some(&ke_trader),
            Some(json!({"command_id": Uuid::now_v7(), "application": application})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{out}");
    sys.settled(lk, WAIT).await;
    sys.settled(ke, WAIT).await;
    sys.healthy(WAIT).await;

    let officer = sys.login("LK", "officer").await;
    let (s, permit) = sys
        .call(
            "GET",
            &format!("/query/api/LK/permits/{poisoned}"),
            Some(&officer),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{permit}");
    assert!(
        permit.to_string().contains("tanned\u{2400}skins"),
        "the NUL shows as its stand-in: {permit}"
    );
    // The archive holds the signed bytes themselves.
    let pool = ecites_projector::db::pool(
        sys.config.database_url.expose(),
        ecites_projector::db::ARCHIVE_SCHEMA,
        1,
    )
    .await
    .unwrap();
    let (archived,): (Vec<u8>,) =
        sqlx::query_as("SELECT body FROM events WHERE party = 'LK' AND sequence = $1")
            .bind(committed.last_sequence as i64)
            .fetch_one(&pool)
            .await
            .unwrap();
    let stored = sys.log.read_last(&aggregate).await.unwrap().unwrap();
    assert_eq!(archived, stored.body.to_vec());

    let before = snapshot(
        sys.config.database_url.expose(),
        ecites_projector::db::ACTIVE_SCHEMA,
    )
    .await;
    let (code, out) = sys.cli(&["replay", "--fresh"]);
    assert_eq!(code, 0, "{out}");
    let after = snapshot(
        sys.config.database_url.expose(),
        ecites_projector::db::ACTIVE_SCHEMA,
    )
    .await;
    assert_eq!(before, after, "the replay gives what the projection gave");
    let (code, out) = sys.cli(&["audit", "verify", "--party", "LK"]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = sys.cli(&["audit", "verify", "--source", "archive", "--party", "LK"]);
    assert_eq!(code, 0, "{out}");
}
