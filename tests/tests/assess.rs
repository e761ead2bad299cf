//! The submission's dry run (`POST /api/LK/permits/assess`) on real NATS, through HTTP: the
//! fee and findings the command itself would record, rule refusals as an answer, the caller's
//! own refusals as the command's, and never an event written.

use axum::http::StatusCode;
use ecites_command::handler::auth::Role;
use ecites_tests::api::TestApi;
use serde_json::{json, Value};
use uuid::Uuid;

async fn api() -> TestApi {
    TestApi::builder()
        .trader("trader-a", "org-a")
        .trader("trader-b", "org-b")
        .user("officer", Role::MaOfficer)
        .verified_organisations()
        .document_store()
        .build()
        .await
}

fn python_skins() -> Value {
    json!({
        "document_type": "export_permit",
        "importing_country": "DE",
        "lines": [{"species": "Python regius", "source": "W", "purpose": "T", "term": "SKI", "quantity": 10}],
    })
}

fn tiger_for_trade() -> Value {
    json!({
        "document_type": "export_permit",
        "importing_country": "DE",
        "lines": [{"species": "Panthera tigris", "source": "W", "purpose": "T", "term": "SKI", "quantity": 1}],
    })
}

async fn assess(api: &TestApi, token: &str, body: Value) -> (StatusCode, Value) {
    api.call("/api/LK/permits/assess", Some(token), Some(body))
        .await
}

fn rules(findings: &Value) -> Vec<&str> {
    findings
        .as_array()
        .expect("a list of findings")
        .iter()
        .map(|f| f["rule"].as_str().expect("a rule id"))
        .collect()
}

#[tokio::test]
async fn an_acceptable_form_is_assessed_as_the_submission_then_charges_and_nothing_is_written() {
    let api = api().await;
    let trader = api.login("trader-a").await;
    let head = api.head().await;
    let (status, out) = assess(&api, &trader, json!({"application": python_skins()})).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert_eq!(out["command"], "submit");
    assert_eq!(out["accepted"], true);
    assert_eq!(out["violations"], json!([]));
    assert!(out["fee"]["minor_units"].as_i64().unwrap() > 0, "{out}");
    assert!(out["fee"]["currency"].is_string(), "{out}");
    assert_eq!(api.head().await, head, "a dry run writes nothing");
    let checks = out["checks"].as_array().expect("the rule checks");
    assert!(
        checks
            .iter()
            .any(|c| c["outcome"] == "passed" && c["id"].is_string()),
        "{out}"
    );

    // The real submission records exactly the assessed fee and warnings.
    let body = json!({"command_id": Uuid::now_v7(), "application": python_skins()});
    let (status, submitted) = api.call("/api/LK/permits", Some(&trader), Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{submitted}");
    let id = submitted["permit_id"].as_str().unwrap();
    let (_, permit) = api
        .call(&format!("/api/LK/permits/{id}"), Some(&trader), None)
        .await;
    assert_eq!(permit["fee"], out["fee"]);
    assert_eq!(permit["warnings"], out["warnings"]);
}

#[tokio::test]
async fn rule_refusals_are_named_with_their_fields_and_the_fee_and_nothing_is_written() {
    let api = api().await;
    let trader = api.login("trader-a").await;
    let head = api.head().await;
    let (status, out) = assess(&api, &trader, json!({"application": tiger_for_trade()})).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert_eq!(out["accepted"], false);
    let refused = rules(&out["violations"]);
    assert!(refused.contains(&"PURPOSE-APP1-COMMERCIAL"), "{out}");
    let commercial = out["violations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["rule"] == "PURPOSE-APP1-COMMERCIAL")
        .unwrap();
    assert_eq!(commercial["field"], "lines[0].purpose");
    assert!(
        out["fee"]["minor_units"].is_i64(),
        "the fee once fixed: {out}"
    );
    assert_eq!(out["checks"], json!([]), "a refusal records no checks");

    // A document never uploaded: DATA-DOCUMENT, as at submission.
    let mut unknown = python_skins();
    unknown["supporting_documents"] = json!(["a".repeat(64)]);
    let (status, out) = assess(&api, &trader, json!({"application": unknown})).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert_eq!(rules(&out["violations"]), vec!["DATA-DOCUMENT"]);

    // Unreadable data: the form's own rule ids, and no fee.
    let mut bad = python_skins();
    bad["document_type"] = json!("passport");
    let (_, out) = assess(&api, &trader, json!({"application": bad})).await;
    assert!(rules(&out["violations"]).contains(&"DATA-CODE"), "{out}");
    assert_eq!(out["fee"], Value::Null);
    assert_eq!(api.head().await, head, "a dry run writes nothing");
}

#[tokio::test]
async fn a_returned_application_is_assessed_as_its_resubmission() {
    let api = api().await;
    let trader = api.login("trader-a").await;
    let officer = api.login("officer").await;
    let body = json!({"command_id": Uuid::now_v7(), "application": python_skins()});
    let (_, submitted) = api.call("/api/LK/permits", Some(&trader), Some(body)).await;
    let id = submitted["permit_id"].as_str().unwrap().to_string();

    // Not returned yet: the resubmission is not possible, as the command would say.
    let early = json!({"permit_id": id, "application": python_skins()});
    let (status, out) = assess(&api, &trader, early.clone()).await;
    assert_eq!(status, StatusCode::CONFLICT, "{out}");

    let (status, out) = api
        .act(&officer, &id, "return", json!({"reason": "state the farm"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let head = api.head().await;
    let (status, out) = assess(&api, &trader, early).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert_eq!(out["command"], "resubmit");
    assert_eq!(out["accepted"], true);
    assert_eq!(api.head().await, head);

    // Another organisation's trader is refused as the command would refuse it.
    let other = api.login("trader-b").await;
    let (status, _) = assess(
        &api,
        &other,
        json!({"permit_id": id, "application": python_skins()}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn who_may_not_submit_may_not_assess() {
    let api = TestApi::builder()
        .trader("trader-a", "org-a")
        .user("officer", Role::MaOfficer)
        .build()
        .await;
    // The organisation is not verified: the submission's own refusal.
    let trader = api.login("trader-a").await;
    let (status, out) = assess(&api, &trader, json!({"application": python_skins()})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{out}");
    let officer = api.login("officer").await;
    let (status, _) = assess(&api, &officer, json!({"application": python_skins()})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = assess(&api, "nobody", json!({"application": python_skins()})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = assess(&api, &trader, json!({"application": {"lines": 3}})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
