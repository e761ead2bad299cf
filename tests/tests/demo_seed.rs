//! `ecites demo seed` (what `deploy/dev.sh` runs): a year of trade decided through the command
//! handler, so that the first sight of a local run has work queues, reports and a quota in
//! use; a second run writes nothing.

use ecites_events::EventReader;
use ecites_projector::{db, Projection};
use ecites_tests::readside::*;
use ecites_tests::*;
use std::collections::BTreeSet;
use std::time::Duration;

fn seed(ledger: &TestLedger, url: &str, config: &std::path::Path) -> (u8, String) {
    let config = config.display().to_string();
    let args = ["--config", &config, "demo", "seed", "--party", "LK"];
    tokio::task::block_in_place(|| run_cli(ledger, url, &args))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_demo_year_fills_every_queue_report_and_payment_way_and_a_second_run_writes_nothing() {
    let ledger = TestLedger::new().await;
    let url = test_database().await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("ecites.toml");
    let toml = format!(
        "users_file = {:?}\ndocuments_dir = {:?}\n",
        dir.path().join("users.json"),
        dir.path().join("documents")
    );
    std::fs::write(&config, toml).unwrap();

    let (code, text) = seed(&ledger, &url, &config);
    assert_eq!(code, 0, "{text}");
    let head = ledger.log.head(lk()).await.unwrap();
    let projector = RunningProjector::start(&ledger, &url);
    caught_up(
        &ledger,
        &url,
        Projection::ReadModels,
        Duration::from_secs(60),
    )
    .await;
    projector.stop().await.unwrap();

    let pool = db::pool(&url, db::ACTIVE_SCHEMA, 1).await.unwrap();
    let statuses: BTreeSet<String> = sqlx::query_scalar("SELECT DISTINCT status FROM permits")
        .fetch_all(&pool)
        .await
        .unwrap()
        .into_iter()
        .collect();
    for status in [
        "submitted",
        "under_review",
        "opinion_requested",
        "returned",
        "rejected",
        "withdrawn",
        "approved",
        "issued",
        "used",
        "cancelled",
        "expired",
    ] {
        assert!(
            statuses.contains(status),
            "no {status} permit: {statuses:?}"
        );
    }
    let taxa: i64 = sqlx::query_scalar("SELECT count(*) FROM taxa")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(
        taxa >= 40,
        "the demo catalogue is in the read models: {taxa}"
    );
    let below: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM permit_lines WHERE endorsed_thousandths < quantity_thousandths",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(below > 0, "some consignments ship less than permitted");
    let (used, annual): (i64, i64) = sqlx::query_as(
        "SELECT used_thousandths + reserved_thousandths, annual_thousandths FROM quotas",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(
        0 < used && used < annual,
        "the quota is partly used: {used} of {annual}"
    );
    let methods: BTreeSet<String> =
        sqlx::query_scalar("SELECT DISTINCT method FROM payments WHERE kind = 'payment'")
            .fetch_all(&pool)
            .await
            .unwrap()
            .into_iter()
            .collect();
    assert_eq!(methods.len(), 3, "fees paid three ways: {methods:?}");
    pool.close().await;

    let (code, text) = seed(&ledger, &url, &config);
    assert_eq!(code, 0, "{text}");
    assert_eq!(ledger.log.head(lk()).await.unwrap(), head, "{text}");
}
