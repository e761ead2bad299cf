//! Scale check (ignored by default; run with `--ignored --nocapture`): the annual report of
//! a million endorsed lines, validated and streamed as CSV. Prints the time; asserts only the
//! row count (figures belong in docs/benchmarks.md, not in a timed assertion).

mod common;

use axum::http::StatusCode;
use common::*;
use std::time::{Duration, Instant};

#[tokio::test]
#[ignore = "loads a million rows; run explicitly"]
async fn a_million_lines() {
    let h = harness(Duration::from_secs(2)).await;
    exec(
        &h.pool,
        "INSERT INTO permit_lines (permit_id, line_no, party, status, document_type, permit_number,
            exporting_country, importing_country, issued_on, endorsed_on, taxon_id, scientific_name,
            kingdom, appendix, source, purpose, term, unit, quantity_thousandths, endorsed_thousandths)
         SELECT md5(i::text)::uuid, 1, 'LK', 'used', 'export_permit', 'LK/2024/' || lpad(i::text, 7, '0'),
            'LK', 'DE', DATE '2024-01-01' + (i % 360), DATE '2024-01-02' + (i % 360), 101,
            'Python regius', 'Animalia', 'II', 'C', 'T', 'LIV', NULL, 10000, 1500 + (i % 7)
         FROM generate_series(1, 1000000) AS i;
         ANALYZE permit_lines;",
    )
    .await;
    let started = Instant::now();
    let a = get(&h.router, "/api/LK/reports/annual?year=2024&format=csv", "ma_officer").await;
    let elapsed = started.elapsed();
    assert_eq!(a.status, StatusCode::OK);
    let rows = a.body.iter().filter(|b| **b == b'\n').count() - 1;
    assert_eq!(rows, 1_000_000);
    eprintln!("annual report, 1M lines, validate + CSV: {elapsed:?} ({} bytes)", a.body.len());
}
