//! The read side end to end: commands through the command API, the projector on real NATS
//! and PostgreSQL, answers from the query API read at the position the command returned;
//! the annual report of a seeded year equals a hand-computed file (a re-export with its
//! origin, an export endorsed for less than was permitted).

use axum::body::Body;
use axum::http::{Request, StatusCode};
use ecites_command::handler::auth::Role;
use ecites_tests::api::TestApi;
use ecites_tests::readside::*;
use serde_json::{json, Value};
use std::time::Duration;
use tower::ServiceExt;

async fn get(
    app: &axum::Router,
    path: &str,
    token: &str,
    position: Option<&str>,
) -> (StatusCode, String) {
    let mut req = Request::get(path).header("authorization", format!("Bearer {token}"));
    if let Some(p) = position {
        req = req.header("x-ecites-position", p);
    }
    let res = app
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let body = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, String::from_utf8_lossy(&body).into_owned())
}

fn today() -> String {
    ecites_events::cites::IsoDate(time::OffsetDateTime::now_utc().date()).to_string()
}

/// Takes `application` by trader-a through approval, payment, issue and an endorsement of
/// `endorsed` of line 1; the permit id, its number and the endorsement's position token.
async fn used_permit(
    api: &TestApi,
    application: Value,
    endorsed: &str,
) -> (String, String, String) {
    let id = api.submit_and_approve("trader-a", application, &[]).await;
    pay_issue_endorse(api, id, endorsed).await
}

/// A re-export needs no non-detriment finding: submitted, assigned, approved.
async fn used_reexport(
    api: &TestApi,
    application: Value,
    endorsed: &str,
) -> (String, String, String) {
    let trader = api.login("trader-a").await;
    let officer = api.login("officer").await;
    let (status, body) = api
        .call(
            "/api/LK/permits",
            Some(&trader),
            Some(json!({"command_id": uuid::Uuid::now_v7(), "application": application})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["permit_id"].as_str().unwrap().to_string();
    for (action, body) in [
        ("assign", json!({"officer_id": "officer"})),
        ("approve", json!({})),
    ] {
        let (status, out) = api.act(&officer, &id, action, body).await;
        assert_eq!(status, StatusCode::OK, "{action}: {out}");
    }
    pay_issue_endorse(api, id, endorsed).await
}

async fn pay_issue_endorse(api: &TestApi, id: String, endorsed: &str) -> (String, String, String) {
    let trader = api.login("trader-a").await;
    let (_, state) = api
        .call(&format!("/api/LK/permits/{id}"), Some(&trader), None)
        .await;
    let payment = json!({"amount": state["fee"], "method": {"e_payment": {"reference": "PAY-1"}}});
    let (status, out) = api.act(&trader, &id, "payment", payment).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let signatory = api.login("signatory").await;
    let (status, out) = api.act(&signatory, &id, "issue", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let customs = api.login("customs").await;
    let (_, permit) = api
        .call(&format!("/api/LK/permits/{id}"), Some(&customs), None)
        .await;
    let number = permit["permit_number"].as_str().unwrap().to_string();
    let endorse = json!({"lines": [{"line_no": 1, "actual_quantity": endorsed}], "port": "CMB", "endorsed_on": today()});
    let (status, out) = api.act(&customs, &id, "endorse", endorse).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    (id, number, out["position"].as_str().unwrap().to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_are_read_back_at_their_position_and_reported_to_the_convention() {
    let api = TestApi::builder()
        .trader("trader-a", "org-a")
        .trader("trader-b", "org-b")
        .user("officer", Role::MaOfficer)
        .user("signatory", Role::MaSignatory)
        .user("scientist", Role::SaExpert)
        .user("customs", Role::Customs)
        .user("auditor", Role::Auditor)
        .verified_organisations()
        .build()
        .await;
    let url = test_database().await;
    let projector = RunningProjector::start(&api.ledger, &url);
    let query = query_router(&api, &url, Duration::from_secs(10)).await;

    let export = json!({"document_type": "export_permit", "importing_country": "DE",
        "lines": [{"species": "Python regius", "source": "W", "purpose": "T", "term": "SKI", "quantity": 100}]});
    let (export_id, export_no, _) = used_permit(&api, export, "80").await;
    let reexport = json!({"document_type": "re_export_certificate", "importing_country": "JP",
        "lines": [{"species": "Python regius", "source": "C", "purpose": "T", "term": "SKI", "quantity": 20,
                   "origin": {"country": "ID", "number": "ID/2025/000777", "date": "2025-03-01"}}]});
    let (reexport_id, reexport_no, position) = used_reexport(&api, reexport, "20").await;

    // Read-your-writes: the endorsement is visible at the position the command returned.
    let auditor = api.login("auditor").await;
    let (status, body) = get(
        &query,
        &format!("/api/LK/permits/{reexport_id}"),
        &auditor,
        Some(&position),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let permit: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(permit["status"], "used", "{body}");

    // Every event of the permit on its timeline, signature checked and chained.
    let (status, body) = get(
        &query,
        &format!("/api/LK/permits/{export_id}/timeline"),
        &auditor,
        Some(&position),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let timeline: Value = serde_json::from_str(&body).unwrap();
    let events = timeline["events"].as_array().unwrap();
    let types: Vec<&str> = events
        .iter()
        .map(|e| e["event_type"].as_str().unwrap())
        .collect();
    assert_eq!(types.first(), Some(&"ApplicationSubmitted"));
    assert_eq!(types.last(), Some(&"PermitEndorsed"));
    assert!(
        types.contains(&"ScientificOpinionGiven") && types.contains(&"PermitIssued"),
        "{types:?}"
    );
    assert!(
        events
            .iter()
            .all(|e| e["signature_verified"] == true && e["chain_linked"] == true),
        "{body}"
    );

    // Trader isolation on the read side.
    let trader_b = api.login("trader-b").await;
    let (status, _) = get(
        &query,
        &format!("/api/LK/permits/{export_id}"),
        &trader_b,
        Some(&position),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let trader_a = api.login("trader-a").await;
    let (status, body) = get(&query, "/api/LK/permits", &trader_a, Some(&position)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let list: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(list["total"], 2, "{body}");

    // The annual report of this year, exporter view, from endorsed quantities.
    let year = time::OffsetDateTime::now_utc().year();
    let officer = api.login("officer").await;
    let (status, csv) = get(
        &query,
        &format!("/api/LK/reports/annual?year={year}&view=exporter&format=csv"),
        &officer,
        Some(&position),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{csv}");
    let mut expected = vec![
        format!("II,Python regius,SKI,80,,DE,,{export_no},,,T,W,{year}"),
        format!("II,Python regius,SKI,20,,JP,ID,{reexport_no},ID/2025/000777,,T,C,{year}"),
    ];
    expected.sort();
    let mut lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.remove(0), "Appendix,SpeciesName,TermCode,Quantity,UnitCode,TradingPartner,CountryOfOrigin,ExportPermit,OriginPermit,IFSPermit,PurposeCode,SourceCode,Year");
    lines.sort();
    assert_eq!(lines, expected);
    // From issued permits instead: the permitted quantity.
    let (_, csv) = get(
        &query,
        &format!("/api/LK/reports/annual?year={year}&view=exporter&basis=issued&format=csv"),
        &officer,
        None,
    )
    .await;
    assert!(
        csv.contains(&format!(
            "II,Python regius,SKI,100,,DE,,{export_no},,,T,W,{year}"
        )),
        "{csv}"
    );

    // A position the log has not reached: a bounded wait, then 503.
    let quick = query_router(&api, &url, Duration::from_millis(200)).await;
    let (status, body) = get(&quick, "/api/LK/permits", &officer, Some("LK:999999")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    projector.stop().await.expect("clean stop");
}
