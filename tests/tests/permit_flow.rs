//! The command API end to end on real NATS: an Appendix II export from application to a used
//! permit, the signatories' race, trader isolation and bad input, all through HTTP.

use axum::http::StatusCode;
use ecites_command::handler::auth::Role;
use ecites_events::EventReader;
use ecites_tests::api::TestApi;
use ecites_tests::*;
use serde_json::{json, Value};
use uuid::Uuid;

async fn api() -> TestApi {
    // Only the listed users of an organisation the MA has verified file for it.
    TestApi::builder()
        .trader("trader-a", "org-a")
        .trader("trader-b", "org-b")
        .user("officer", Role::MaOfficer)
        .user("signatory-1", Role::MaSignatory)
        .user("signatory-2", Role::MaSignatory)
        .user("sa", Role::SaExpert)
        .user("customs", Role::Customs)
        .user("auditor", Role::Auditor)
        .user("admin", Role::PartyAdmin)
        .verified_organisations()
        .build()
        .await
}

fn python_export() -> Value {
    python_skins(100)
}

fn python_skins(quantity: u32) -> Value {
    json!({
        "document_type": "export_permit",
        "importing_country": "DE",
        "lines": [{"species": "Python regius", "source": "W", "purpose": "T", "term": "SKI", "quantity": quantity}]
    })
}

fn today() -> String {
    ecites_events::cites::IsoDate(time::OffsetDateTime::now_utc().date()).to_string()
}

async fn approved_application(api: &TestApi) -> String {
    approved(api, python_export()).await
}

/// `application` by trader-a, approved and paid.
async fn approved(api: &TestApi, application: Value) -> String {
    let id = api
        .submit_and_approve("trader-a", application, &["skins tagged"])
        .await;
    let trader = api.login("trader-a").await;
    let (_, state) = api
        .call(&format!("/api/LK/permits/{id}"), Some(&trader), None)
        .await;
    let fee = state["fee"].clone();
    let (status, out) = api
        .act(
            &trader,
            &id,
            "payment",
            json!({"amount": fee, "method": {"e_payment": {"reference": "PAY-123"}}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    id
}

#[tokio::test]
async fn an_appendix_ii_export_from_application_to_a_used_permit() {
    let api = api().await;
    let id = approved_application(&api).await;
    let signatory = api.login("signatory-1").await;
    let customs = api.login("customs").await;
    let issue = json!({"command_id": Uuid::now_v7()});
    let issue_path = format!("/api/LK/permits/{id}/issue");
    let (status, out) = api
        .call(&issue_path, Some(&signatory), Some(issue.clone()))
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert!(out["position"].as_str().unwrap().starts_with("LK:"));
    // The atomic issuance's retry (its answer was lost) names the very same position.
    let (status, again) = api.call(&issue_path, Some(&signatory), Some(issue)).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["duplicate"], true, "{again}");
    assert_eq!(again["position"], out["position"], "{again}");

    let (_, permit) = api
        .call(&format!("/api/LK/permits/{id}"), Some(&customs), None)
        .await;
    assert_eq!(permit["status"], "issued");
    let year = time::OffsetDateTime::now_utc().year();
    assert_eq!(permit["permit_number"], format!("LK/{year}/000001"));
    assert_eq!(permit["security_stamp"], 1);
    assert_eq!(permit["conditions"], json!(["skins tagged"]));

    // Customs record the day the consignment left: within the validity, not before the
    // issuance, not in the future; a quantity of "-0" is no quantity.
    let head = api.head().await;
    let on = |date: String| json!({"lines": [{"line_no": 1, "actual_quantity": "80"}], "port": "CMB", "endorsed_on": date});
    let ahead = ecites_events::cites::IsoDate(
        time::OffsetDateTime::now_utc().date() + time::Duration::days(10),
    );
    for date in ["1970-01-01".to_string(), ahead.to_string()] {
        let (status, out) = api.act(&customs, &id, "endorse", on(date.clone())).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{date}: {out}");
        assert_eq!(out["violations"][0]["rule"], "PERMIT-ENDORSE-DATE", "{out}");
        assert_eq!(out["violations"][0]["field"], "endorsed_on", "{out}");
    }
    let minus_zero = json!({"lines": [{"line_no": 1, "actual_quantity": "-0"}], "port": "CMB", "endorsed_on": today()});
    let (status, out) = api.act(&customs, &id, "endorse", minus_zero).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{out}");
    assert_eq!(
        out["violations"][0]["field"], "lines[0].actual_quantity",
        "{out}"
    );
    assert_eq!(
        api.head().await,
        head,
        "a refused endorsement wrote something"
    );

    let endorse = |q: u32| json!({"lines": [{"line_no": 1, "actual_quantity": q.to_string()}], "port": "CMB", "endorsed_on": today()});
    let (status, out) = api.act(&customs, &id, "endorse", endorse(101)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    assert_eq!(out["violations"][0]["rule"], "PERMIT-ENDORSE-QUANTITY");
    let (status, out) = api.act(&customs, &id, "endorse", endorse(80)).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let (status, out) = api.act(&customs, &id, "endorse", endorse(10)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    assert_eq!(out["violations"][0]["rule"], "PERMIT-ONE-CONSIGNMENT");

    let (_, permit) = api
        .call(&format!("/api/LK/permits/{id}"), Some(&customs), None)
        .await;
    assert_eq!(permit["status"], "used");
    assert_eq!(permit["endorsement"]["lines"][0]["actual_quantity"], "80");
    let report = api.ledger.audit().await;
    assert!(report.is_ok(), "{:?}", report.failures);
}

#[tokio::test]
async fn two_signatories_issuing_at_once_make_exactly_one_permit() {
    let api = api().await;
    let id = approved_application(&api).await;
    let (s1, s2) = (
        api.login("signatory-1").await,
        api.login("signatory-2").await,
    );
    let (a, b) = tokio::join!(
        api.act(&s1, &id, "issue", json!({})),
        api.act(&s2, &id, "issue", json!({}))
    );
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::OK, StatusCode::CONFLICT],
        "{a:?} {b:?}"
    );
    let numbering = ecites_events::AggregateRef::new(
        lk(),
        "numbering",
        &format!("lk-{}", time::OffsetDateTime::now_utc().year()),
    )
    .unwrap();
    assert_eq!(
        api.ledger
            .log
            .read_aggregate(&numbering)
            .await
            .unwrap()
            .len(),
        1,
        "one number allocated, no gap"
    );
}

#[tokio::test]
async fn a_trader_never_touches_another_organisations_application() {
    let api = api().await;
    let a = api.login("trader-a").await;
    let b = api.login("trader-b").await;
    let (_, body) = api
        .call(
            "/api/LK/permits",
            Some(&a),
            Some(json!({"command_id": Uuid::now_v7(), "application": python_export()})),
        )
        .await;
    let id = body["permit_id"].as_str().unwrap();
    let head = api.ledger.log.head(lk()).await.unwrap();
    let (status, _) = api
        .call(&format!("/api/LK/permits/{id}"), Some(&b), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = api.act(&b, id, "withdraw", json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Nor file in another organisation's name.
    let (status, _) = api
        .call("/api/LK/permits", Some(&b), Some(json!({"command_id": Uuid::now_v7(), "organisation_id": api.organisation("org-a"), "application": python_export()})))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let auditor = api.login("auditor").await;
    let (status, _) = api.act(&auditor, id, "withdraw", json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        api.ledger.log.head(lk()).await.unwrap(),
        head,
        "nothing written"
    );
}

#[tokio::test]
async fn bad_input_names_the_field_and_rule_and_writes_nothing() {
    let api = api().await;
    let trader = api.login("trader-a").await;
    let submit =
        |application: Value| json!({"command_id": Uuid::now_v7(), "application": application});
    let head = api.ledger.log.head(lk()).await.unwrap();

    let (status, out) = api
        .call(
            "/api/LK/permits",
            Some(&trader),
            Some(json!({"command_id": "not-a-uuid"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{out}");

    let mut bad = python_export();
    bad["lines"][0]["species"] = json!("Unicornis magica");
    bad["lines"][0]["quantity"] = json!(0);
    bad["lines"][0]["unit"] = json!("KIL");
    let (status, out) = api
        .call("/api/LK/permits", Some(&trader), Some(submit(bad)))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    let rules: Vec<&str> = out["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["rule"].as_str().unwrap())
        .collect();
    assert!(
        rules.contains(&"DATA-UNKNOWN-TAXON") && rules.contains(&"DATA-QUANTITY"),
        "{out}"
    );
    assert_eq!(out["violations"][0]["field"], "lines[0].species");

    // Appendix I, commercial: refused with its rule id.
    let mut tiger = python_export();
    tiger["lines"][0]["species"] = json!("Panthera tigris");
    tiger["lines"][0]["import_permit"] =
        json!({"country": "DE", "number": "DE-1", "date": "2026-01-05"});
    let (status, out) = api
        .call("/api/LK/permits", Some(&trader), Some(submit(tiger)))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    assert_eq!(out["violations"][0]["rule"], "PURPOSE-APP1-COMMERCIAL");

    let (status, _) = api
        .call("/api/LK/permits", None, Some(submit(python_export())))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        api.ledger.log.head(lk()).await.unwrap(),
        head,
        "nothing written"
    );
}

#[tokio::test]
async fn a_retried_command_is_applied_once() {
    let api = api().await;
    let trader = api.login("trader-a").await;
    let head = api.ledger.log.head(lk()).await.unwrap();
    let body = json!({"command_id": Uuid::now_v7(), "permit_id": Uuid::now_v7(), "application": python_export()});
    let (first, _) = api
        .call("/api/LK/permits", Some(&trader), Some(body.clone()))
        .await;
    let (second, out) = api.call("/api/LK/permits", Some(&trader), Some(body)).await;
    assert_eq!((first, second), (StatusCode::CREATED, StatusCode::OK));
    assert_eq!(out["duplicate"], true);
    assert_eq!(api.ledger.log.head(lk()).await.unwrap(), head + 1);

    // Without a client-chosen permit id, the retry answers the first permit's id, which exists.
    let body = json!({"command_id": Uuid::now_v7(), "application": python_export()});
    let (status, first) = api
        .call("/api/LK/permits", Some(&trader), Some(body.clone()))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let (status, again) = api.call("/api/LK/permits", Some(&trader), Some(body)).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["duplicate"], true);
    assert_eq!(again["permit_id"], first["permit_id"], "{again}");
    assert_eq!(again["position"], first["position"], "{again}");
    let (status, _) = api
        .call(
            &format!("/api/LK/permits/{}", first["permit_id"].as_str().unwrap()),
            Some(&trader),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(api.ledger.log.head(lk()).await.unwrap(), head + 2);
}

#[tokio::test]
async fn the_openapi_document_lists_every_command() {
    let api = api().await;
    let (status, doc) = api.call("/api/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(doc["openapi"], "3.1.0");
    for action in ecites_command::api::permits::ACTIONS {
        assert!(
            doc["paths"][format!("/api/{{party}}/permits/{{id}}/{action}")].is_object(),
            "{action}"
        );
    }
    assert!(doc["paths"]["/api/{party}/quotas/{quota_id}"]["post"].is_object());
    // Every command describes its request body, from the types its handler parses.
    let without: Vec<&String> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, ops)| ops["post"].is_object() && !ops["post"]["requestBody"].is_object())
        .map(|(path, _)| path)
        .collect();
    assert!(
        without.is_empty(),
        "commands without a request body: {without:?}"
    );
    let endorse = &doc["paths"]["/api/{party}/permits/{id}/endorse"]["post"]["requestBody"];
    let schema = endorse["content"]["application/json"]["schema"].to_string();
    assert!(
        schema.contains("endorsed_on") && schema.contains("actual_quantity"),
        "{schema}"
    );
}

#[tokio::test]
async fn quotas_reviewers_and_parties_must_name_real_things() {
    let api = api().await;
    let admin = api.login("admin").await;
    let officer = api.login("officer").await;
    let trader = api.login("trader-a").await;
    let head = api.head().await;
    let quota = |year: i32, term: &str, unit: Option<&str>| json!({"command_id": Uuid::now_v7(), "species": "Python regius", "year": year, "term": term, "unit": unit, "annual": "10"});
    let this_year = time::OffsetDateTime::now_utc().year();
    for (body, field) in [
        (quota(-1, "SKI", None), "year"),
        (quota(0, "SKI", None), "year"),
        (quota(this_year + 50, "SKI", None), "year"),
        (quota(this_year, "skins of any kind", None), "term"),
        (quota(this_year, "SKI", Some("a few")), "unit"),
    ] {
        let (status, out) = api
            .call("/api/LK/quotas/q-bad", Some(&admin), Some(body))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {out}");
        assert_eq!(out["violations"][0]["rule"], "QUOTA-DEFINITION", "{out}");
        assert_eq!(out["violations"][0]["field"], field, "{out}");
    }
    // A review is assigned to an officer of the Party, not to any string.
    let (status, body) = api
        .call(
            "/api/LK/permits",
            Some(&trader),
            Some(json!({"command_id": Uuid::now_v7(), "application": python_export()})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let head_after_submission = api.head().await;
    let id = body["permit_id"].as_str().unwrap();
    for nobody in ["nobody", "trader-b", &"x".repeat(5000)] {
        let (status, out) = api
            .act(&officer, id, "assign", json!({"officer_id": nobody}))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
        assert_eq!(out["violations"][0]["rule"], "DATA-USER", "{out}");
        assert_eq!(out["violations"][0]["field"], "officer_id", "{out}");
    }
    assert_eq!(
        api.head().await,
        head_after_submission,
        "a refusal wrote something"
    );
    assert!(head_after_submission > head);
    // A Party this deployment does not serve is not found, not unavailable.
    let (status, out) = api
        .call(
            &format!("/api/XX/permits/{}", Uuid::now_v7()),
            Some(&officer),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{out}");
}

#[tokio::test]
async fn issuance_reserves_quota_and_endorsement_settles_what_was_exported() {
    let api = api().await;
    let admin = api.login("admin").await;
    let year = time::OffsetDateTime::now_utc().year();
    let quota = json!({"command_id": Uuid::now_v7(), "species": "Python regius", "year": year, "term": "SKI", "source": "W", "annual": "150"});
    let (status, out) = api
        .call(
            "/api/LK/quotas/lk-python-regius-ski",
            Some(&admin),
            Some(quota),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");

    let signatory = api.login("signatory-1").await;
    let customs = api.login("customs").await;
    let first = approved(&api, python_skins(100)).await;
    let second = approved(&api, python_skins(60)).await;
    let (status, out) = api.act(&signatory, &first, "issue", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let (_, permit) = api
        .call(&format!("/api/LK/permits/{first}"), Some(&customs), None)
        .await;
    assert_eq!(
        permit["quota_use"][0]["used_including_this"], "100",
        "box 11a: {permit}"
    );
    assert_eq!(permit["quota_use"][0]["annual_quota"], "150");

    // 100 reserved + 60 > 150.
    let (status, out) = api.act(&signatory, &second, "issue", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    assert_eq!(out["violations"][0]["rule"], "QUOTA-EXCEEDED");

    // Only 80 leave: the reservation settles at 80 and the other 20 go back to the quota.
    let endorse = json!({"lines": [{"line_no": 1, "actual_quantity": "80"}], "port": "CMB", "endorsed_on": today()});
    let (status, out) = api.act(&customs, &first, "endorse", endorse).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let (status, out) = api.act(&signatory, &second, "issue", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let (_, permit) = api
        .call(&format!("/api/LK/permits/{second}"), Some(&customs), None)
        .await;
    assert_eq!(permit["quota_use"][0]["used_including_this"], "140");

    // An unknown species is refused naming the field, and nothing is written.
    let head = api.head().await;
    let unknown = json!({"command_id": Uuid::now_v7(), "species": "Unicornis magica", "year": year, "annual": "5"});
    let (status, out) = api
        .call("/api/LK/quotas/lk-unicorn", Some(&admin), Some(unknown))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    assert_eq!(out["violations"][0]["rule"], "DATA-UNKNOWN-TAXON");
    assert_eq!(out["violations"][0]["field"], "species");
    assert_eq!(api.head().await, head);

    // A trader cannot set quotas.
    let trader = api.login("trader-a").await;
    let quota = json!({"command_id": Uuid::now_v7(), "species": "Python regius", "year": year, "annual": "1"});
    let (status, _) = api
        .call("/api/LK/quotas/lk-x", Some(&trader), Some(quota))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_replacement_permit_names_the_old_one_which_becomes_void_at_once() {
    let api = api().await;
    let signatory = api.login("signatory-1").await;
    let customs = api.login("customs").await;
    let old = approved_application(&api).await;
    let (status, out) = api.act(&signatory, &old, "issue", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let (_, old_permit) = api
        .call(&format!("/api/LK/permits/{old}"), Some(&customs), None)
        .await;
    let old_number = old_permit["permit_number"].as_str().unwrap().to_string();

    // Another organisation cannot ask to replace it.
    let mut foreign = python_export();
    foreign["replaces"] = json!({"permit_id": old, "reason": "damaged in transit"});
    let trader_b = api.login("trader-b").await;
    let (status, out) = api
        .call(
            "/api/LK/permits",
            Some(&trader_b),
            Some(json!({"command_id": Uuid::now_v7(), "application": foreign})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    assert_eq!(out["violations"][0]["rule"], "PERMIT-REPLACEMENT");

    let mut replacement = python_export();
    replacement["replaces"] = json!({"permit_id": old, "reason": "original damaged in transit"});
    let new = approved(&api, replacement).await;
    // Until the replacement is issued, the old permit stays valid.
    let (_, still) = api
        .call(&format!("/api/LK/permits/{old}"), Some(&customs), None)
        .await;
    assert_eq!(still["status"], "issued");

    let (status, out) = api.act(&signatory, &new, "issue", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let (_, new_permit) = api
        .call(&format!("/api/LK/permits/{new}"), Some(&customs), None)
        .await;
    assert_eq!(new_permit["replaces"], old_number, "{new_permit}");
    let (_, old_permit) = api
        .call(&format!("/api/LK/permits/{old}"), Some(&customs), None)
        .await;
    assert_eq!(old_permit["status"], "replaced");

    let endorse = json!({"lines": [{"line_no": 1, "actual_quantity": "10"}], "port": "CMB", "endorsed_on": today()});
    let (status, out) = api.act(&customs, &old, "endorse", endorse.clone()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    assert_eq!(out["violations"][0]["rule"], "PERMIT-ENDORSE-VALID");
    let (status, out) = api.act(&customs, &new, "endorse", endorse).await;
    assert_eq!(status, StatusCode::OK, "{out}");

    // A used permit cannot be replaced.
    let mut too_late = python_export();
    too_late["replaces"] = json!({"permit_id": new, "reason": "lost"});
    let trader = api.login("trader-a").await;
    let (status, out) = api
        .call(
            "/api/LK/permits",
            Some(&trader),
            Some(json!({"command_id": Uuid::now_v7(), "application": too_late})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    assert_eq!(out["violations"][0]["rule"], "PERMIT-REPLACEMENT");
    assert!(api.ledger.audit().await.is_ok());
}

#[tokio::test]
async fn security_stamps_come_from_the_recorded_stock_and_run_out_loudly() {
    let api = api().await;
    let admin = api.login("admin").await;
    let signatory = api.login("signatory-1").await;
    let stock =
        |first: u64, last: u64| json!({"command_id": Uuid::now_v7(), "first": first, "last": last});
    let (status, out) = api
        .call(
            "/api/LK/config/security-stamps",
            Some(&admin),
            Some(stock(500_001, 500_002)),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let (status, out) = api
        .call(
            "/api/LK/config/security-stamps",
            Some(&admin),
            Some(stock(9, 3)),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");

    let mut stamps = vec![];
    for _ in 0..2 {
        let id = approved_application(&api).await;
        let (status, out) = api.act(&signatory, &id, "issue", json!({})).await;
        assert_eq!(status, StatusCode::OK, "{out}");
        let (_, permit) = api
            .call(&format!("/api/LK/permits/{id}"), Some(&signatory), None)
            .await;
        stamps.push(permit["security_stamp"].as_u64().unwrap());
    }
    assert_eq!(stamps, vec![500_001, 500_002]);

    let third = approved_application(&api).await;
    let (status, out) = api.act(&signatory, &third, "issue", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    assert_eq!(out["violations"][0]["rule"], "PERMIT-SECURITY-STAMP");

    let (status, _) = api
        .call(
            "/api/LK/config/security-stamps",
            Some(&admin),
            Some(stock(600_001, 600_100)),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, out) = api.act(&signatory, &third, "issue", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let (_, permit) = api
        .call(&format!("/api/LK/permits/{third}"), Some(&signatory), None)
        .await;
    assert_eq!(permit["security_stamp"], 600_001);
    let year = time::OffsetDateTime::now_utc().year();
    assert_eq!(
        permit["permit_number"],
        format!("LK/{year}/000003"),
        "a refused issuance leaves no gap"
    );
}

/// Quotas set and used through one instance bind the issuances of another: each instance learns
/// them from the log at issuance, not from its own memory.
#[tokio::test]
async fn a_quota_set_and_used_through_another_instance_binds_this_one() {
    let api = api().await;
    let first = approved(&api, python_skins(100)).await;
    let second = approved(&api, python_skins(100)).await;
    // Warm this instance: an issuance reads the quotas it knows (none yet).
    let signatory = api.login("signatory-1").await;
    let (status, out) = api.act(&signatory, &first, "issue", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{out}");

    let other = TestApi::builder()
        .user("admin", Role::PartyAdmin)
        .user("signatory", Role::MaSignatory)
        .build_beside(&api)
        .await;
    let admin = other.login("admin").await;
    let year = time::OffsetDateTime::now_utc().year();
    let quota = json!({"command_id": Uuid::now_v7(), "species": "Python regius", "year": year, "term": "SKI", "source": "W", "annual": "150"});
    let (status, out) = other
        .call(
            "/api/LK/quotas/lk-python-regius-ski",
            Some(&admin),
            Some(quota),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");

    // The quota is new to this instance; 100 more would exceed it.
    let (status, out) = api.act(&signatory, &second, "issue", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let third = approved(&api, python_skins(60)).await;
    let other_signatory = other.login("signatory").await;
    let (status, out) = other
        .act(&other_signatory, &third, "issue", json!({}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    assert_eq!(out["violations"][0]["rule"], "QUOTA-EXCEEDED");
}
