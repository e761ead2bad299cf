//! Two Parties on one system, using the same client-chosen ids (organisation, permit, quota):
//! nothing of one Party reaches the other through the read models, a member listed by one
//! Party reads nothing of another, and a rebuild of the read models answers exactly what the
//! incremental projection answered (issue #17).

use axum::http::StatusCode;
use ecites_command::handler::auth::Role;
use ecites_events::{EventReader, PartyCode};
use ecites_tests::readside::snapshot;
use ecites_tests::system::TestSystem;
use serde_json::{json, Value};
use std::time::Duration;
use uuid::Uuid;

const WAIT: Duration = Duration::from_secs(60);

fn party(code: &str) -> PartyCode {
    code.parse().expect("a Party code")
}

fn export_to(importing: &str) -> Value {
    json!({
        "document_type": "export_permit",
        "importing_country": importing,
        "lines": [{"species": "Python regius", "source": "W", "purpose": "T", "term": "SKI", "quantity": 10}]
    })
}

async fn post(sys: &TestSystem, path: &str, token: &str, mut body: Value) -> (StatusCode, Value) {
    body["command_id"] = json!(Uuid::now_v7());
    sys.call("POST", path, Some(token), Some(body)).await
}

/// `trader` of `code` registers its account's organisation and `officer` verifies it.
async fn register_and_verify(
    sys: &TestSystem,
    code: &str,
    trader: &str,
    officer: &str,
    org: Uuid,
    name: &str,
) {
    let t = sys.login(code, trader).await;
    let body = json!({"name": name, "registration_number": format!("R {}", Uuid::now_v7().simple()), "country": code});
    let (status, out) = post(sys, &format!("/api/{code}/organisations"), &t, body).await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    let o = sys.login(code, officer).await;
    let (status, out) = post(
        sys,
        &format!("/api/{code}/organisations/{org}/verify"),
        &o,
        json!({"note": "extract seen"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_parties_with_the_same_ids_see_nothing_of_each_other() {
    let shared_org = Uuid::now_v7();
    let lk_other_org = Uuid::now_v7();
    let sys = TestSystem::builder()
        .party("LK")
        .party("KE")
        .user("LK", "lk-a", Role::Trader, Some(shared_org))
        .user("LK", "lk-b", Role::Trader, Some(lk_other_org))
        .user("LK", "lk-officer", Role::MaOfficer, None)
        // KE opens a trader account for the same organisation id as LK's, and a trader whose
        // user id is the same as an LK trader's.
        .user("KE", "ke-t", Role::Trader, Some(shared_org))
        .user("KE", "lk-b", Role::Trader, Some(shared_org))
        .user("KE", "ke-officer", Role::MaOfficer, None)
        .build()
        .await;
    register_and_verify(
        &sys,
        "LK",
        "lk-a",
        "lk-officer",
        shared_org,
        "Alpha Exports (LK)",
    )
    .await;
    register_and_verify(
        &sys,
        "LK",
        "lk-b",
        "lk-officer",
        lk_other_org,
        "Beta Traders (LK)",
    )
    .await;
    register_and_verify(
        &sys,
        "KE",
        "ke-t",
        "ke-officer",
        shared_org,
        "Kilimanjaro Exports (KE)",
    )
    .await;

    // A member is a trader account of the organisation's own Party: an LK user id that KE does
    // not have is refused, and nothing is written.
    let ke_t = sys.login("KE", "ke-t").await;
    let head = sys.log.head(party("KE")).await.unwrap();
    let (status, out) = post(
        &sys,
        &format!("/api/KE/organisations/{shared_org}/add-member"),
        &ke_t,
        json!({"user_id": "lk-a", "capacity": "member"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    assert_eq!(out["violations"][0]["rule"], "ORG-MEMBER-USER", "{out}");
    assert_eq!(out["violations"][0]["field"], "user_id", "{out}");
    assert_eq!(sys.log.head(party("KE")).await.unwrap(), head);
    // KE's own "lk-b" is listed by KE's organisation.
    let (status, out) = post(
        &sys,
        &format!("/api/KE/organisations/{shared_org}/add-member"),
        &ke_t,
        json!({"user_id": "lk-b", "capacity": "member"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{out}");

    // The same permit id and quota id in both Parties.
    let permit = Uuid::now_v7();
    let lk_a = sys.login("LK", "lk-a").await;
    let (status, out) = post(
        &sys,
        "/api/LK/permits",
        &lk_a,
        json!({"permit_id": permit, "application": export_to("DE")}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    let (status, out) = post(
        &sys,
        "/api/KE/permits",
        &ke_t,
        json!({"permit_id": permit, "application": export_to("JP")}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    let lk_officer = sys.login("LK", "lk-officer").await;
    let ke_officer = sys.login("KE", "ke-officer").await;
    for (code, token, annual) in [("LK", &lk_officer, "100"), ("KE", &ke_officer, "7")] {
        let body =
            json!({"species": "Python regius", "year": 2026, "term": "SKI", "annual": annual});
        let (status, out) = post(
            &sys,
            &format!("/api/{code}/quotas/python-skins-2026"),
            token,
            body,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{code}: {out}");
    }
    for p in ["LK", "KE"] {
        sys.settled(party(p), WAIT).await;
    }

    // Each Party reads its own rows under the shared ids.
    let get = |path: String, token: String| {
        let sys = &sys;
        async move { sys.call("GET", &path, Some(&token), None).await }
    };
    let (s, lk_permit) = get(
        format!("/query/api/LK/permits/{permit}"),
        lk_officer.clone(),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{lk_permit}");
    assert_eq!(lk_permit["importing_country"], "DE", "{lk_permit}");
    let (s, ke_permit) = get(
        format!("/query/api/KE/permits/{permit}"),
        ke_officer.clone(),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{ke_permit}");
    assert_eq!(ke_permit["importing_country"], "JP", "{ke_permit}");
    let (_, lk_org) = get(
        format!("/query/api/LK/organisations/{shared_org}"),
        lk_officer.clone(),
    )
    .await;
    assert_eq!(lk_org["name"], "Alpha Exports (LK)", "{lk_org}");
    let (_, ke_org) = get(
        format!("/query/api/KE/organisations/{shared_org}"),
        ke_officer.clone(),
    )
    .await;
    assert_eq!(ke_org["name"], "Kilimanjaro Exports (KE)", "{ke_org}");
    let members: Vec<&str> = ke_org["members"]
        .as_array()
        .expect("members")
        .iter()
        .filter_map(|m| m["user_id"].as_str())
        .collect();
    assert_eq!(members, ["ke-t", "lk-b"], "{ke_org}");
    let lk_members: Vec<&str> = lk_org["members"]
        .as_array()
        .expect("members")
        .iter()
        .filter_map(|m| m["user_id"].as_str())
        .collect();
    assert_eq!(
        lk_members,
        ["lk-a"],
        "KE's membership rows are not LK's: {lk_org}"
    );
    for (code, token, annual) in [("LK", &lk_officer, "100"), ("KE", &ke_officer, "7")] {
        let (_, quotas) = get(format!("/query/api/{code}/quotas"), token.clone()).await;
        let items = quotas["items"].as_array().expect("items");
        assert_eq!(items.len(), 1, "{code}: {quotas}");
        assert_eq!(items[0]["annual"], annual, "{code}: {quotas}");
    }
    let (_, timeline) = get(
        format!("/query/api/LK/permits/{permit}/timeline"),
        lk_officer.clone(),
    )
    .await;
    let events = timeline["events"].as_array().expect("events");
    assert_eq!(events.len(), 1, "{timeline}");

    // LK's lk-b is listed by KE's organisation of the same id: it reads nothing of LK's.
    let lk_b = sys.login("LK", "lk-b").await;
    for path in [
        format!("/query/api/LK/permits/{permit}"),
        format!("/query/api/LK/permits/{permit}/timeline"),
        format!("/query/api/LK/organisations/{shared_org}"),
    ] {
        let (s, out) = get(path.clone(), lk_b.clone()).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{path}: {out}");
    }
    for path in [
        "/query/api/LK/permits",
        "/query/api/LK/payments",
        "/query/api/LK/trade-records",
    ] {
        let (s, out) = get(path.into(), lk_b.clone()).await;
        assert_eq!(s, StatusCode::OK, "{path}: {out}");
        assert!(
            !out.to_string().contains(&permit.to_string()),
            "{path} shows LK's permit of another organisation to lk-b: {out}"
        );
    }
    // KE's lk-b reads KE's permit of the organisation that lists it.
    let ke_b = sys.login("KE", "lk-b").await;
    let (s, out) = get(format!("/query/api/KE/permits/{permit}"), ke_b).await;
    assert_eq!(s, StatusCode::OK, "{out}");

    // A rebuild from the logs answers what the incremental projection answered.
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
    assert_eq!(
        before, after,
        "a rebuild answers differently from the projection"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_name_every_party_so_only_the_operator_reads_them() {
    let sys = TestSystem::builder()
        .party("LK")
        .party("KE")
        .user("LK", "admin", Role::PartyAdmin, None)
        .user("LK", "operator", Role::SystemOperator, None)
        .build()
        .await;
    sys.healthy(WAIT).await;
    let admin = sys.login("LK", "admin").await;
    let operator = sys.login("LK", "operator").await;
    for path in ["/projector/metrics", "/metrics"] {
        for token in [None, Some(admin.as_str()), Some("not-a-session")] {
            let (status, out) = sys.call("GET", path, token, None).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}: {out}");
        }
    }
    // The whole service's metrics: its traffic by route template, its sessions, and the
    // projector's gauges.
    let (status, out) = sys.call("GET", "/metrics", Some(&operator), None).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let text = out.as_str().unwrap_or_default();
    assert!(
        text.contains(
            "ecites_http_requests_total{route=\"/api/login\",method=\"POST\",status=\"200\"}"
        ),
        "{text}"
    );
    assert!(text.contains("ecites_sessions 2"), "{text}");
    assert!(
        text.contains("ecites_projection_following{projection=\"read_models\",party=\"KE\"} 1"),
        "{text}"
    );
    let (status, out) = sys
        .call("GET", "/projector/metrics", Some(&operator), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let text = out.as_str().unwrap_or_default();
    assert!(
        text.contains("ecites_projection_following{projection=\"read_models\",party=\"KE\"} 1"),
        "{text}"
    );
    // Health is public and says what follows, without the text of any error.
    let (status, health) = sys.call("GET", "/projector/health", None, None).await;
    assert_eq!(status, StatusCode::OK, "{health}");
    assert_eq!(
        health["projections"]["read_models"]["parties"]["LK"]["following"],
        "following"
    );
}
