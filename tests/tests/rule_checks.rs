//! PERMIT-NO-RETROSPECTIVE and the recorded rule checks end to end: command API on real NATS,
//! the projector into PostgreSQL, the query API's permit view (`state.checks`). A consignment
//! that already left is warned at submission and refused at issuance with nothing written;
//! once the Party allows the documented exceptions, the signatory's reason is recorded and the
//! check shows as a warning beside every rule that passed.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use ecites_command::handler::auth::Role;
use ecites_events::payloads::party_config::RetrospectiveIssuePolicySet;
use ecites_events::{EventAppender, EventData, ExpectedPosition};
use ecites_tests::api::TestApi;
use ecites_tests::readside::*;
use ecites_tests::*;
use serde_json::{json, Value};
use std::time::Duration;
use tower::ServiceExt;

async fn view(query: &axum::Router, id: &str, token: &str, position: &str) -> Value {
    let req = Request::get(format!("/api/LK/permits/{id}"))
        .header("authorization", format!("Bearer {token}"))
        .header("x-ecites-position", position)
        .body(Body::empty())
        .unwrap();
    let res = query.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap();
    serde_json::from_slice(&body).unwrap()
}

fn outcome<'a>(checks: &'a [Value], id: &str) -> &'a str {
    checks
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no check {id} in {checks:?}"))["outcome"]
        .as_str()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retrospective_permit_is_refused_until_the_party_allows_it_and_every_check_is_shown() {
    let api = TestApi::builder()
        .trader("trader-a", "org-a")
        .user("officer", Role::MaOfficer)
        .user("signatory", Role::MaSignatory)
        .user("scientist", Role::SaExpert)
        .user("auditor", Role::Auditor)
        .verified_organisations()
        .build()
        .await;
    let url = test_database().await;
    let projector = RunningProjector::start(&api.ledger, &url);
    let query = query_router(&api, &url, Duration::from_secs(10)).await;

    let departed =
        ecites_events::cites::IsoDate(time::OffsetDateTime::now_utc().date()).to_string();
    let application = json!({"document_type": "export_permit", "importing_country": "DE",
        "consignment_departed_on": departed,
        "lines": [{"species": "Python regius", "source": "W", "purpose": "T", "term": "SKI", "quantity": 10}]});
    let id = api.submit_and_approve("trader-a", application, &[]).await;
    let officer = api.login("officer").await;
    let (status, out) = api
        .act(&officer, &id, "waive-fee", json!({"reason": "test"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let position = out["position"].as_str().unwrap().to_string();

    let auditor = api.login("auditor").await;
    let permit = view(&query, &id, &auditor, &position).await;
    let checks = permit["state"]["checks"].as_array().unwrap().clone();
    assert_eq!(outcome(&checks, "PERMIT-NO-RETROSPECTIVE"), "warning");
    assert_eq!(outcome(&checks, "SUSPENSION"), "passed");
    assert_eq!(outcome(&checks, "FIND-NDF-REQUIRED"), "passed");
    assert!(checks
        .iter()
        .all(|c| c["source"].as_str().is_some_and(|s| !s.is_empty())));

    // Issuing is refused, naming rule and field, and nothing is written.
    let signatory = api.login("signatory").await;
    let head = api.head().await;
    let (status, out) = api.act(&signatory, &id, "issue", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    assert_eq!(out["violations"][0]["rule"], "PERMIT-NO-RETROSPECTIVE");
    assert_eq!(out["violations"][0]["field"], "consignment_departed_on");
    assert_eq!(api.head().await, head, "nothing written");

    // The Party's admin allows the documented exceptions (recorded as its configuration).
    let policy = EventData::from_payload(&RetrospectiveIssuePolicySet {
        exceptions_allowed: true,
        basis: "Wildlife Regulations 2026, reg. 12".into(),
    })
    .unwrap();
    api.ledger
        .log
        .append(commit(vec![change(
            &aggregate("party_config", "lk"),
            ExpectedPosition::New,
            vec![policy],
        )]))
        .await
        .unwrap();
    let (status, out) = api.act(&signatory, &id, "issue", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    assert_eq!(out["violations"][0]["field"], "retrospective_reason");
    let reason = "Res. Conf. 12.3: the MA's own error, the goods were cleared by customs";
    let (status, out) = api
        .act(
            &signatory,
            &id,
            "issue",
            json!({"retrospective_reason": reason}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let position = out["position"].as_str().unwrap().to_string();

    let permit = view(&query, &id, &auditor, &position).await;
    assert_eq!(permit["status"], "issued", "{permit}");
    let checks = permit["state"]["checks"].as_array().unwrap().clone();
    assert_eq!(outcome(&checks, "PERMIT-NO-RETROSPECTIVE"), "warning");
    assert_eq!(outcome(&checks, "PERMIT-NUMBERING"), "passed");
    assert_eq!(outcome(&checks, "QUOTA-EXCEEDED"), "passed");
    let ids: Vec<&str> = checks.iter().map(|c| c["id"].as_str().unwrap()).collect();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "one check per rule: {ids:?}");

    // The permit's own event records the reason.
    let (_, timeline) = {
        let req = Request::get(format!("/api/LK/permits/{id}/timeline"))
            .header("authorization", format!("Bearer {auditor}"))
            .header("x-ecites-position", &position)
            .body(Body::empty())
            .unwrap();
        let res = query.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let body = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, serde_json::from_slice::<Value>(&body).unwrap())
    };
    let issued = timeline["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["event_type"] == "PermitIssued")
        .unwrap()
        .clone();
    assert_eq!(
        issued["payload"]["retrospective"]["reason"], reason,
        "{issued}"
    );
    projector.stop().await.unwrap();
}
