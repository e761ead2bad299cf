//! The read side at scale: the annual report over 1 million trade lines, and p50/p95 of the
//! dashboard, search and lookup queries over 1 million permits, through the query router in
//! process (no socket). The rows are generated in PostgreSQL with `generate_series` (shaped as
//! the projector writes them; generating them through the log would take hours here). Every
//! trade line is endorsed, so the report has a million rows; the permits' statuses are mixed
//! for the queues and filters.
//!
//! Run: `deploy/stack.sh start && eval "$(deploy/stack.sh env)" && cargo bench -p ecites-tests --bench queries`
//! Size: `ECITES_BENCH_PERMITS` (1 000 000), `ECITES_BENCH_QUERIES` (200 per query).

use axum::body::Body;
use axum::http::{Request, StatusCode};
use ecites_projector::db;
use ecites_query::{QueryState, Sessions, Viewer};
use ecites_tests::lk;
use ecites_tests::readside::test_database;
use std::sync::Arc;
use std::time::Instant;
use tower::ServiceExt;
use uuid::Uuid;

const ORG: &str = "00000000-0000-0000-0000-00000000ab01";

struct BenchSessions;

impl Sessions for BenchSessions {
    fn viewer(&self, token: &str) -> Option<Viewer> {
        let (role, organisation_id) = match token {
            "officer" => ("ma_officer", None),
            "trader" => ("trader", Uuid::parse_str(ORG).ok()),
            _ => return None,
        };
        Some(Viewer {
            user_id: token.into(),
            party: lk(),
            role: role.into(),
            organisation_id,
        })
    }
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn seed(url: &str, permits: u64) {
    db::migrate(url, db::ACTIVE_SCHEMA, &db::READ_MODELS)
        .await
        .expect("migrate");
    let pool = db::pool(url, db::ACTIVE_SCHEMA, 1).await.expect("pool");
    let started = Instant::now();
    let sql = format!(
        "INSERT INTO checkpoint VALUES ('LK', 1);
         INSERT INTO permits (permit_id, party, organisation_id, document_type, status, exporting_country,
             importing_country, permit_number, security_stamp, issued_on, valid_until, endorsed_on, submitted_at,
             updated_at, fee_minor, fee_currency, paid_minor, species, line_count, version, last_sequence, state)
         SELECT md5(i::text)::uuid, 'LK',
             ('00000000-0000-0000-0000-0000000' || lpad(to_hex(43776 + i % 500), 5, '0'))::uuid,
             CASE WHEN i % 7 = 3 THEN 're_export_certificate' ELSE 'export_permit' END,
             (ARRAY['used','used','used','issued','approved','submitted','under_review','opinion_requested'])[1 + i % 8],
             'LK', (ARRAY['DE','JP','US','FR','CN'])[1 + i % 5], 'LK/2025/' || lpad(i::text, 7, '0'), i,
             DATE '2025-01-01' + (i % 360), DATE '2025-07-01' + (i % 180), DATE '2025-01-02' + (i % 360),
             TIMESTAMPTZ '2025-01-01' + i * interval '30 seconds', TIMESTAMPTZ '2025-01-01' + i * interval '31 seconds',
             2500, 'LKR', 2500,
             (ARRAY['Python regius','Crocodylus niloticus','Acipenser baerii','Dendrobium nobile','Macaca fascicularis'])[1 + i % 5],
             1, 6, i * 6, '{{}}'::jsonb
         FROM generate_series(1, {permits}) AS i;
         INSERT INTO permit_lines (permit_id, line_no, party, status, document_type, permit_number, exporting_country,
             importing_country, issued_on, endorsed_on, taxon_id, scientific_name, kingdom, appendix, source, purpose,
             term, unit, quantity_thousandths, endorsed_thousandths, origin_country, origin_permit)
         SELECT permit_id, 1, party, 'used', document_type, permit_number, exporting_country, importing_country,
             issued_on, endorsed_on, 4521 + (security_stamp % 5), species,
             CASE WHEN species = 'Dendrobium nobile' THEN 'Plantae' ELSE 'Animalia' END, 'II',
             CASE WHEN species = 'Dendrobium nobile' THEN 'A' ELSE 'W' END, 'T',
             CASE WHEN species = 'Acipenser baerii' THEN 'CAV' WHEN species = 'Dendrobium nobile' THEN 'LIV' ELSE 'SKI' END,
             CASE WHEN species = 'Acipenser baerii' THEN 'KIL' END,
             10000 + (security_stamp % 90) * 1000,
             5000 + (security_stamp % 90) * 1000,
             CASE WHEN document_type = 're_export_certificate' THEN 'ID' END,
             CASE WHEN document_type = 're_export_certificate' THEN 'ID/' || security_stamp END
         FROM permits;
         INSERT INTO dashboard_status SELECT party, status, count(*) FROM permits GROUP BY 1, 2;
         -- A trader reads the organisations listing it: one user each, the bench's trader in ORG.
         INSERT INTO organisations SELECT DISTINCT organisation_id, 'LK', 'Org ' || organisation_id,
             'R-' || organisation_id, 'LK', 'verified', TIMESTAMPTZ '2024-01-01', 1, 1 FROM permits;
         INSERT INTO organisation_members SELECT organisation_id, 'user-' || organisation_id, 'member',
             NULL, TIMESTAMPTZ '2024-01-01' FROM organisations;
         INSERT INTO organisation_members VALUES ('{ORG}', 'trader', 'member', NULL, TIMESTAMPTZ '2024-01-01');
         INSERT INTO dashboard_documents SELECT party, extract(year FROM issued_on)::int, document_type, count(*)
             FROM permits GROUP BY 1, 2, 3;
         INSERT INTO dashboard_species SELECT party, extract(year FROM issued_on)::int, taxon_id, min(scientific_name),
             count(DISTINCT permit_id), count(*) FROM permit_lines GROUP BY 1, 2, 3;
         ANALYZE;"
    );
    sqlx::raw_sql(&sql).execute(&pool).await.expect("seed");
    println!(
        "seeded {permits} permits and trade lines in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

async fn get(app: &axum::Router, path: &str, token: &str) -> (StatusCode, usize) {
    let req = Request::get(path).header("authorization", format!("Bearer {token}"));
    let res = app
        .clone()
        .oneshot(req.body(Body::empty()).expect("request"))
        .await
        .expect("answer");
    let status = res.status();
    let body = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .expect("body");
    (status, body.len())
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

#[tokio::main]
async fn main() {
    let permits = env_u64("ECITES_BENCH_PERMITS", 1_000_000);
    let rounds = env_u64("ECITES_BENCH_QUERIES", 200) as usize;
    let url = test_database().await;
    seed(&url, permits).await;
    let pool = db::pool(&url, db::ACTIVE_SCHEMA, 4).await.expect("pool");
    let app = ecites_query::router(Arc::new(QueryState::new(pool, Arc::new(BenchSessions))));

    for (what, path) in [
        (
            "annual report, validation summary (JSON)",
            "/api/LK/reports/annual?year=2025",
        ),
        (
            "annual report, CSV file",
            "/api/LK/reports/annual?year=2025&format=csv",
        ),
    ] {
        let started = Instant::now();
        let (status, bytes) = get(&app, path, "officer").await;
        println!(
            "{what} over {permits} trade lines: {:.2} s ({status}, {bytes} bytes)",
            started.elapsed().as_secs_f64()
        );
    }

    println!(
        "{:<58} {:>9} {:>9}",
        "query (each run sequentially)", "p50 ms", "p95 ms"
    );
    let number = format!("LK/2025/{:07}", permits / 2);
    let queries = [
        (
            "dashboard (rankings and statuses)",
            "/api/LK/dashboard?year=2025".to_string(),
            "officer",
        ),
        (
            "permits, newest first, page 1",
            "/api/LK/permits".into(),
            "officer",
        ),
        (
            "permits by status, page 1",
            "/api/LK/permits?status=submitted".into(),
            "officer",
        ),
        (
            "permits by number prefix",
            format!("/api/LK/permits?number={}", &number[..13]),
            "officer",
        ),
        (
            "customs lookup by number",
            format!("/api/LK/permit-lookup?number={number}"),
            "officer",
        ),
        (
            "work queue (officer)",
            "/api/LK/work-queue".into(),
            "officer",
        ),
        (
            "trader's own permits, page 1",
            "/api/LK/permits".into(),
            "trader",
        ),
        (
            "species search (substring), page 1",
            "/api/LK/permits?species=regius".into(),
            "officer",
        ),
    ];
    for (what, path, token) in queries {
        let mut times = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            let started = Instant::now();
            let (status, _) = get(&app, &path, token).await;
            times.push(started.elapsed().as_secs_f64() * 1000.0);
            assert_eq!(status, StatusCode::OK, "{path}");
        }
        times.sort_by(f64::total_cmp);
        println!(
            "{what:<58} {:>9.1} {:>9.1}",
            percentile(&times, 0.5),
            percentile(&times, 0.95)
        );
    }
}
