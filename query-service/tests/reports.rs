//! The annual report, the trade report, the national-list report and the dashboard over a
//! small seeded set.

mod common;

use axum::http::StatusCode;
use common::*;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(2);

const EXPORTER_2025: &str = "\
Appendix,SpeciesName,TermCode,Quantity,UnitCode,TradingPartner,CountryOfOrigin,ExportPermit,OriginPermit,IFSPermit,PurposeCode,SourceCode,Year
II,Python regius,LIV,8,,DE,,LK/2025/000001,,,T,C,2025
II,Crocodylus niloticus,SKI,25,,US,EG,LK/2025/000002,EG-2024-77,,T,W,2025
II,Aquilaria malaccensis,CHP,1.25,KIL,US,ID,LK/2025/000002,ID-55,,T,A,2025
";

const IMPORTER_2025: &str = "\
Appendix,SpeciesName,TermCode,Quantity,UnitCode,TradingPartner,CountryOfOrigin,ImportPermit,ExportPermit,OriginPermit,IFSPermit,PurposeCode,SourceCode,Year
II,Loxodonta africana,TUS,2,,ZA,,LK/2025/000004,,,,T,W,2025
";

#[tokio::test]
async fn annual_report_rows_are_the_permit_lines() {
    let h = harness(WAIT).await;
    let r = &h.router;
    let a = get(
        r,
        "/api/LK/reports/annual?year=2025&format=csv",
        "ma_officer",
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    assert_eq!(
        a.header("content-disposition"),
        Some("attachment; filename=\"LK_2025_exporter_annual_report.csv\"")
    );
    assert_eq!(a.text(), EXPORTER_2025);

    let a = get(
        r,
        "/api/LK/reports/annual?year=2025&view=importer&format=csv",
        "auditor",
    )
    .await;
    assert_eq!(a.text(), IMPORTER_2025);

    // Issued basis: quantities as permitted.
    let a = get(
        r,
        "/api/LK/reports/annual?year=2025&basis=issued&format=csv",
        "party_admin",
    )
    .await;
    let quantities: Vec<String> = a
        .text()
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(3).unwrap().to_string())
        .collect();
    assert_eq!(quantities, ["10", "25", "1.5"]);

    let j = get(r, "/api/LK/reports/annual?year=2025", "ma_signatory")
        .await
        .json();
    assert_eq!(
        (j["rows"].as_i64(), j["downloadable"].as_bool()),
        (Some(3), Some(true))
    );
    assert_eq!(j["errors"].as_array().unwrap().len(), 0);
    let j = get(r, "/api/LK/reports/annual?year=2024", "ma_officer")
        .await
        .json();
    assert_eq!(j["rows"], 0);

    for (query, param) in [
        ("", "year"),
        ("year=25", "year"),
        ("year=2025&view=both", "view"),
        ("year=2025&basis=paid", "basis"),
        ("year=2025&colour=red", "colour"),
    ] {
        let a = get(r, &format!("/api/LK/reports/annual?{query}"), "ma_officer").await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(a.json()["parameter"], param, "{query}");
    }
}

#[tokio::test]
async fn an_invalid_row_blocks_the_download() {
    let h = harness(WAIT).await;
    exec(
        &h.pool,
        &format!(
        "INSERT INTO permit_lines (permit_id, line_no, party, status, document_type, permit_number,
            exporting_country, importing_country, issued_on, endorsed_on, taxon_id, scientific_name,
            kingdom, appendix, source, purpose, term, unit, quantity_thousandths,
            endorsed_thousandths, origin_country, origin_permit)
         VALUES ('{P2}', 3, 'LK', 'used', 're_export_certificate', 'LK/2025/000002', 'LK', 'US',
            '2025-04-02', '2025-04-20', 102, 'Crocodylus niloticus', 'Animalia', 'II', 'W', 'T',
            'SKI', NULL, 4000, 4000, 'LK', 'LK-OLD-1')"),
    )
    .await;
    let r = &h.router;
    let a = get(
        r,
        "/api/LK/reports/annual?year=2025&format=csv",
        "ma_officer",
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text());
    let p = a.json();
    let v = &p["violations"][0];
    assert_eq!(v["rule"], "AR-EXPORTER-IS-ORIGIN");
    assert_eq!(v["row"], 4);
    assert_eq!(v["field"], "CountryOfOrigin");
    assert_eq!(p["violations"].as_array().unwrap().len(), 1);

    let j = get(r, "/api/LK/reports/annual?year=2025", "ma_officer")
        .await
        .json();
    assert_eq!(j["downloadable"], false);
    assert_eq!(j["errors"][0]["rule"], "AR-EXPORTER-IS-ORIGIN");
    assert_eq!(j["rows"], 4);
}

#[tokio::test]
async fn trade_report_groups_and_sums_per_unit() {
    let h = harness(WAIT).await;
    let r = &h.router;
    let j = get(r, "/api/LK/reports/trade?group_by=year", "ma_officer")
        .await
        .json();
    // Counts and kilograms are never added together.
    assert_eq!(j["group_by"], serde_json::json!(["year", "unit"]));
    let rows = j["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{j}");
    assert_eq!(
        (
            rows[0]["unit"].as_str(),
            rows[0]["quantity"].as_str(),
            rows[0]["lines"].as_i64()
        ),
        (Some("KIL"), Some("1.25"), Some(1))
    );
    assert_eq!(
        (
            rows[1]["unit"].as_str(),
            rows[1]["quantity"].as_str(),
            rows[1]["lines"].as_i64()
        ),
        (None, Some("35"), Some(3))
    );

    let j = get(
        r,
        "/api/LK/reports/trade?group_by=family,partner&taxon=Reptilia&basis=issued",
        "auditor",
    )
    .await
    .json();
    let rows: Vec<(String, String, String)> = j["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["family"].as_str().unwrap().into(),
                r["partner"].as_str().unwrap().into(),
                r["quantity"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("Crocodylidae".into(), "US".into(), "25".into()),
            ("Pythonidae".into(), "DE".into(), "10".into())
        ]
    );

    let a = get(
        r,
        "/api/LK/reports/trade?group_by=taxon&partner=DE&format=csv",
        "ma_officer",
    )
    .await;
    assert_eq!(a.text(), "taxon,unit,lines,quantity\nPython regius,,1,8\n");

    let a = get(r, "/api/LK/reports/trade?group_by=colour", "ma_officer").await;
    assert_eq!(a.json()["parameter"], "group_by");
    let a = get(r, "/api/LK/reports/trade?species=x", "ma_officer").await;
    assert_eq!(a.json()["parameter"], "species");
    assert_eq!(
        get(r, "/api/LK/reports/trade", "trader_a").await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn national_list_and_dashboard() {
    let h = harness(WAIT).await;
    exec(&h.pool, &format!(
        "INSERT INTO permit_lines (permit_id, line_no, party, status, document_type, permit_number,
            exporting_country, importing_country, issued_on, endorsed_on, taxon_id, scientific_name,
            kingdom, appendix, source, purpose, term, unit, quantity_thousandths, endorsed_thousandths)
         VALUES ('{P1}', 2, 'LK', 'issued', 'export_permit', 'LK/2025/000001', 'LK', 'DE',
            '2025-03-01', NULL, 106, 'Varanus salvator', 'Animalia', NULL, 'W', 'T', 'SKI', NULL,
            3000, NULL)")).await;
    let r = &h.router;
    let j = get(r, "/api/LK/reports/national-list?year=2025", "ma_officer")
        .await
        .json();
    let row = &j["rows"][0];
    assert_eq!(
        (
            row["scientific_name"].as_str(),
            row["lines"].as_i64(),
            row["quantity"].as_str(),
            row["term"].as_str()
        ),
        (Some("Varanus salvator"), Some(1), Some("3"), Some("SKI"))
    );
    let j = get(r, "/api/LK/reports/national-list?year=2024", "ma_officer")
        .await
        .json();
    assert_eq!(
        (
            j["rows"][0]["lines"].as_i64(),
            j["rows"][0]["quantity"].as_str()
        ),
        (Some(0), Some("0"))
    );

    let j = get(r, "/api/LK/dashboard?year=2025", "ma_officer")
        .await
        .json();
    assert_eq!(j["species"][0]["scientific_name"], "Python regius");
    assert_eq!(j["documents"].as_array().unwrap().len(), 3);
    let statuses: Vec<(String, i64)> = j["statuses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["status"].as_str().unwrap().into(),
                s["permits"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        [
            ("approved".into(), 1),
            ("issued".into(), 2),
            ("submitted".into(), 1),
            ("used".into(), 1)
        ]
    );
    assert_eq!(
        get(r, "/api/LK/dashboard", "ma_officer").await.json()["parameter"],
        "year"
    );
}
