//! Auth, lists (filters, sorting, pagination, CSV), permits, work queues and the catalogue,
//! against a real PostgreSQL.

mod common;

use axum::http::StatusCode;
use common::*;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(2);

#[tokio::test]
async fn auth_party_and_organisation_boundaries() {
    let h = harness(WAIT).await;
    let r = &h.router;

    let a = get_with(r, "/api/LK/permits", None, &[]).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(a.header("content-type"), Some("application/problem+json"));
    assert_eq!(
        get(r, "/api/LK/permits", "nobody").await.status,
        StatusCode::UNAUTHORIZED
    );

    let a = get(r, "/api/LK/permits", "ke_officer").await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.text());
    // The system operator reads any Party; each Party's rows only.
    let a = get(r, "/api/LK/permits", "operator").await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.json()["total"], 5);
    let a = get(r, "/api/KE/permits", "operator").await;
    assert_eq!(ids(&a, "permit_id"), [P6.to_string()]);

    // A trader sees its organisation's permits only.
    let a = get(r, "/api/LK/permits?sort=permit_id", "trader_b").await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    let a = get(r, "/api/LK/permits?sort=submitted_at&order=asc", "trader_b").await;
    assert_eq!(ids(&a, "permit_id"), [P3.to_string(), P4.to_string()]);
    for uri in [
        format!("/api/LK/permits/{P1}"),
        format!("/api/LK/permits/{P1}/timeline"),
        "/api/LK/permit-lookup?number=LK/2025/000001".to_string(),
        format!("/api/LK/organisations/{ORG_A}"),
    ] {
        let a = get(r, &uri, "trader_b").await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{uri}");
        assert!(!a.text().contains("Python"), "{uri}: {}", a.text());
    }
    assert_eq!(
        get(r, &format!("/api/LK/permits/{P3}"), "trader_b")
            .await
            .status,
        StatusCode::OK
    );
    let a = get(r, "/api/LK/trade-records", "trader_b").await;
    assert_eq!(a.json()["total"], 2);
    let a = get(r, "/api/LK/payments", "trader_b").await;
    assert_eq!(ids(&a, "permit_id"), [P3.to_string()]);
    let a = get(r, "/api/LK/organisations", "trader_a").await;
    assert_eq!(ids(&a, "organisation_id"), [ORG_A.to_string()]);
    // Traders read no reports; the auditor reads everything of its Party.
    let a = get(r, "/api/LK/reports/annual?year=2025", "trader_a").await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert_eq!(
        get(r, "/api/LK/dashboard?year=2025", "trader_a")
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let a = get(r, "/api/LK/permits", "auditor").await;
    assert_eq!(a.json()["total"], 5);
    assert_eq!(a.header("x-ecites-read-position"), Some("LK:10"));
}

#[tokio::test]
async fn permit_list_filters_sorts_and_pages() {
    let h = harness(WAIT).await;
    let r = &h.router;
    let a = get(
        r,
        "/api/LK/permits?status=issued,used&sort=permit_number&order=asc",
        "ma_officer",
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    assert_eq!(
        ids(&a, "permit_number"),
        ["LK/2025/000001", "LK/2025/000002", "LK/2025/000004"]
    );

    let a = get(
        r,
        "/api/LK/permits?number=LK/2025/00000&sort=permit_number&per_page=2&page=2",
        "ma_officer",
    )
    .await;
    let j = a.json();
    assert_eq!(
        (
            j["total"].as_i64(),
            j["page"].as_i64(),
            j["per_page"].as_i64()
        ),
        (Some(3), Some(2), Some(2))
    );
    assert_eq!(ids(&a, "permit_number"), ["LK/2025/000001"]);

    let a = get(
        r,
        "/api/LK/permits?species=PYTHON&document_type=export_permit",
        "ma_officer",
    )
    .await;
    assert_eq!(ids(&a, "permit_id"), [P1.to_string(), P5.to_string()]);
    let a = get(
        r,
        "/api/LK/permits?issued_from=2025-04-01&issued_to=2025-06-01",
        "ma_officer",
    )
    .await;
    assert_eq!(a.json()["total"], 2);
    let a = get(r, &format!("/api/LK/permits?organisation={ORG_B}&submitted_from=2025-05-01&submitted_to=2025-05-01"), "ma_officer").await;
    assert_eq!(ids(&a, "permit_id"), [P3.to_string()]);
    let a = get(r, "/api/LK/permits?updated_to=2025-02-28", "ma_officer").await;
    assert_eq!(ids(&a, "permit_id"), [P5.to_string()]);

    for (query, param) in [
        ("sort=colour", "sort"),
        ("order=sideways", "order"),
        ("issued_from=2025-13-01", "issued_from"),
        ("submitted_to=yesterday", "submitted_to"),
        ("status=issued,lost_at_sea", "status"),
        ("organisation=not-a-uuid", "organisation"),
        ("per_page=501", "per_page"),
        ("page=0", "page"),
        ("document_type=visa", "document_type"),
        ("format=xml", "format"),
    ] {
        let a = get(r, &format!("/api/LK/permits?{query}"), "ma_officer").await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(a.json()["parameter"], param, "{query}: {}", a.text());
    }
    let a = get(r, "/api/LK/permits?sort=colour", "ma_officer").await;
    assert!(a.json()["detail"]
        .as_str()
        .unwrap()
        .contains("permit_number"));
}

#[tokio::test]
async fn lists_export_as_csv() {
    let h = harness(WAIT).await;
    let r = &h.router;
    let a = get(
        r,
        "/api/LK/permits?format=csv&status=issued&sort=permit_number&order=asc&per_page=1",
        "ma_officer",
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.header("content-type"), Some("text/csv; charset=utf-8"));
    let text = a.text();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("permit_id,party,organisation_id,document_type,status,permit_number")
    );
    // All matching rows, not one page.
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[1].contains("LK/2025/000001") && lines[2].contains("LK/2025/000004"));

    let a = get_with(
        r,
        "/api/LK/trade-records?sort=quantity&order=asc",
        Some("auditor"),
        &[("accept", "text/csv")],
    )
    .await;
    let text = a.text();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader.headers().unwrap().clone();
    let q = header.iter().position(|h| h == "quantity").unwrap();
    let e = header
        .iter()
        .position(|h| h == "endorsed_quantity")
        .unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let quantities: Vec<(&str, &str)> = rows.iter().map(|r| (&r[q], &r[e])).collect();
    assert_eq!(
        quantities,
        [
            ("1", ""),
            ("1.5", "1.25"),
            ("2", "2"),
            ("10", "8"),
            ("25", "25")
        ]
    );
}

#[tokio::test]
async fn one_permit_its_lines_and_timeline() {
    let h = harness(WAIT).await;
    let r = &h.router;
    let a = get(
        r,
        "/api/LK/permit-lookup?number=LK%2F2025%2F000002",
        "customs",
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    let p = a.json();
    assert_eq!(p["permit_id"], P2.to_string());
    assert_eq!(p["state"]["seeded"], true);
    assert_eq!(p["lines"][1]["quantity"], "1.5");
    assert_eq!(p["lines"][1]["endorsed_quantity"], "1.25");
    assert_eq!(p["lines"][0]["origin_permit"], "EG-2024-77");
    assert_eq!(
        get(r, "/api/LK/permit-lookup?number=LK/1999/1", "customs")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(r, "/api/LK/permit-lookup", "customs").await.json()["parameter"],
        "number"
    );
    assert_eq!(
        get(r, "/api/LK/permits/nope", "customs").await.json()["parameter"],
        "id"
    );
    // Another Party's permit is not found through this Party.
    assert_eq!(
        get(r, &format!("/api/LK/permits/{P6}"), "auditor")
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    let a = get(r, &format!("/api/LK/permits/{P1}/timeline"), "trader_a").await;
    assert_eq!(a.status, StatusCode::OK);
    let t = a.json();
    let events = t["events"].as_array().unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["event_type"], "ApplicationSubmitted");
    assert_eq!(events[1]["prev_hash"], events[0]["hash"]);
    assert_eq!(events[1]["actor_role"], "ma_signatory");
    assert_eq!(events[1]["signature_verified"], true);
}

#[tokio::test]
async fn work_queues_follow_the_role() {
    let h = harness(WAIT).await;
    let r = &h.router;
    for (token, expected) in [
        ("ma_officer", vec![P3]),
        ("ma_signatory", vec![P5]),
        ("customs", vec![P4]),
        ("sa_expert", vec![]),
        ("trader_a", vec![]),
    ] {
        let a = get(r, "/api/LK/work-queue", token).await;
        assert_eq!(a.status, StatusCode::OK);
        let want: Vec<String> = expected.iter().map(ToString::to_string).collect();
        assert_eq!(ids(&a, "permit_id"), want, "{token}");
    }
    exec(
        &h.pool,
        &format!(
            "UPDATE permits SET status = 'returned' WHERE permit_id = '{P5}'; \
        UPDATE permits SET status = 'submitted' WHERE permit_id = '{P1}'"
        ),
    )
    .await;
    let a = get(r, "/api/LK/work-queue", "trader_a").await;
    assert_eq!(ids(&a, "permit_id"), [P5.to_string()]);
    // Oldest first.
    let a = get(r, "/api/LK/work-queue", "ma_officer").await;
    assert_eq!(ids(&a, "permit_id"), [P1.to_string(), P3.to_string()]);
}

#[tokio::test]
async fn catalogue_lists() {
    let h = harness(WAIT).await;
    let r = &h.router;
    let a = get(r, "/api/LK/species?q=ball", "trader_a").await;
    assert_eq!(ids(&a, "full_name"), ["Python regius"]);
    let a = get(r, "/api/LK/species?q=boa%20regia", "trader_a").await;
    assert_eq!(ids(&a, "full_name"), ["Python regius"]);
    let a = get(r, "/api/LK/species?appendix=N", "trader_a").await;
    assert_eq!(ids(&a, "full_name"), ["Varanus salvator"]);

    let q = get(r, "/api/LK/quotas?year=2025", "ma_officer")
        .await
        .json();
    let q = &q["items"][0];
    assert_eq!(
        (
            q["annual"].as_str(),
            q["reserved"].as_str(),
            q["used"].as_str(),
            q["remaining"].as_str()
        ),
        (Some("100"), Some("1.5"), Some("8"), Some("90.5"))
    );
    assert_eq!(
        get(r, "/api/LK/quotas?year=25", "ma_officer").await.json()["parameter"],
        "year"
    );

    let a = get(r, &format!("/api/LK/payments?permit_id={P1}"), "auditor").await;
    let j = a.json();
    assert_eq!(j["total"], 2);
    assert_eq!(j["items"][1]["amount_minor"], 5000);
    assert_eq!(j["items"][1]["currency"], "LKR");

    let o = get(r, &format!("/api/LK/organisations/{ORG_A}"), "ma_officer")
        .await
        .json();
    assert_eq!(o["members"][0]["user_id"], "trader_a@LK");
    assert_eq!(
        get(r, "/api/LK/prepayment-accounts", "ma_officer")
            .await
            .json()["total"],
        0
    );

    let doc = get_with(r, "/api/openapi.json", None, &[]).await.json();
    for path in [
        "/api/{party}/permits",
        "/api/{party}/reports/annual",
        "/api/{party}/dashboard",
    ] {
        assert!(doc["paths"][path].is_object(), "{path}");
    }
    assert_eq!(
        get_with(r, "/health", None, &[]).await.status,
        StatusCode::OK
    );
}
