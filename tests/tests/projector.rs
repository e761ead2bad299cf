//! The projector on real NATS and PostgreSQL: incremental projection equals a rebuild, one
//! active instance per projection with a standby that takes over, an event it cannot apply
//! holds that Party's projection at that sequence (and nothing else), and a replay killed with
//! SIGKILL resumes to the same tables.

use ecites_events::{EventAppender, EventData, EventReader, ExpectedPosition};
use ecites_projector::replay::Replay;
use ecites_projector::status::{Following, Role};
use ecites_projector::{db, Projection};
use ecites_tests::generate::append_permits;
use ecites_tests::readside::*;
use ecites_tests::*;
use std::sync::Arc;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(60);

async fn replay_fresh(ledger: &TestLedger, url: &str) {
    Replay {
        reader: &ledger.log,
        database_url: url,
        keys: Arc::new(ledger.public_keys()),
        parties: vec![lk()],
        batch_size: 97,
        fresh: true,
    }
    .run(|_, _, _| {})
    .await
    .expect("replay");
}

async fn scalar(url: &str, sql: &str) -> i64 {
    let pool = db::pool(url, db::ACTIVE_SCHEMA, 1).await.unwrap();
    let (n,): (i64,) = sqlx::query_as(sql).fetch_one(&pool).await.unwrap();
    pool.close().await;
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incremental_projection_equals_a_rebuild_and_says_what_the_events_say() {
    let ledger = TestLedger::new().await;
    let url = test_database().await;
    let projector = RunningProjector::start_with(&ledger, &url, 50);
    // Appended while the projector runs, so it applies them in many small batches.
    for chunk in 0..4 {
        append_permits(&ledger.log, chunk * 30, 30, 2025, 8).await;
    }
    let head = caught_up(&ledger, &url, Projection::ReadModels, WAIT).await;
    let incremental = snapshot(&url, db::ACTIVE_SCHEMA).await;
    // What operators see: the metric and `ecites status` name the checkpoint and the lock.
    let metrics = projector.status.prometheus();
    let line =
        format!("ecites_projection_checkpoint{{projection=\"read_models\",party=\"LK\"}} {head}");
    assert!(metrics.contains(&line), "{metrics}");
    assert!(
        metrics.contains("ecites_projection_active{projection=\"read_models\"} 1"),
        "{metrics}"
    );
    let (code, text) = tokio::task::block_in_place(|| run_cli(&ledger, &url, &["status"]));
    assert_eq!(code, 0, "{text}");
    let row = text
        .lines()
        .find(|l| l.contains("read_models"))
        .unwrap_or_default()
        .to_string();
    let cols: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(
        &cols[..5],
        &[
            "LK",
            "read_models",
            &head.to_string(),
            &head.to_string(),
            "0"
        ],
        "{text}"
    );
    assert!(row.contains("active (pid"), "{text}");
    projector.stop().await.expect("clean stop");

    replay_fresh(&ledger, &url).await;
    let rebuilt = snapshot(&url, db::ACTIVE_SCHEMA).await;
    assert_eq!(
        incremental, rebuilt,
        "a rebuild from sequence 1 must equal the incremental tables"
    );

    // What the events say, computed independently of the projector.
    assert_eq!(
        scalar(&url, "SELECT count(*) FROM permits WHERE status = 'used'").await,
        120
    );
    assert_eq!(
        scalar(&url, "SELECT count(*) FROM permit_events").await,
        720
    );
    let halved = scalar(
        &url,
        "SELECT count(*) FROM permit_lines WHERE endorsed_thousandths * 2 = quantity_thousandths",
    )
    .await;
    assert_eq!(halved, 40, "every third permit was endorsed for half");
    let expected_total: i64 = (0..120).map(|i| 10 + (i % 90)).sum::<i64>() * 1000;
    assert_eq!(
        scalar(
            &url,
            "SELECT sum(quantity_thousandths)::bigint FROM permit_lines"
        )
        .await,
        expected_total
    );
    assert_eq!(
        scalar(
            &url,
            "SELECT sum(issued)::bigint FROM dashboard_documents WHERE year = 2025"
        )
        .await,
        120
    );
    assert_eq!(
        scalar(
            &url,
            "SELECT count(*) FROM permit_events WHERE NOT chain_linked"
        )
        .await,
        0
    );
    assert_eq!(
        scalar(&url, "SELECT count(*) FROM payments WHERE kind = 'payment'").await,
        120
    );
}

async fn wait_role(a: &RunningProjector, b: &RunningProjector) -> bool {
    let start = Instant::now();
    loop {
        let (ra, rb) = (
            a.status.role(Projection::ReadModels),
            b.status.role(Projection::ReadModels),
        );
        match (ra, rb) {
            (Role::Active, Role::Standby) => return true,
            (Role::Standby, Role::Active) => return false,
            _ => {}
        }
        assert!(start.elapsed() < WAIT, "no instance became active");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_only_one_applies_and_the_standby_takes_over() {
    let ledger = TestLedger::new().await;
    let url = test_database().await;
    let a = RunningProjector::start(&ledger, &url);
    let b = RunningProjector::start(&ledger, &url);
    let (active, standby) = if wait_role(&a, &b).await {
        (a, b)
    } else {
        (b, a)
    };
    append_permits(&ledger.log, 0, 20, 2025, 8).await;
    caught_up(&ledger, &url, Projection::ReadModels, WAIT).await;
    let applied = |p: &RunningProjector| p.status.progress(Projection::ReadModels, lk()).applied;
    assert_eq!(applied(&active), ledger.log.head(lk()).await.unwrap());
    assert_eq!(applied(&standby), 0, "the standby applied nothing");
    assert_eq!(standby.status.role(Projection::ReadModels), Role::Standby);

    active.stop().await.expect("clean stop");
    let start = Instant::now();
    while standby.status.role(Projection::ReadModels) != Role::Active {
        assert!(start.elapsed() < WAIT, "the standby never took over");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    append_permits(&ledger.log, 20, 10, 2025, 8).await;
    caught_up(&ledger, &url, Projection::ReadModels, WAIT).await;
    assert_eq!(
        applied(&standby),
        60,
        "the new active instance applied only the new events"
    );
    assert_eq!(scalar(&url, "SELECT count(*) FROM permits").await, 30);
    standby.stop().await.expect("clean stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_it_cannot_apply_holds_that_party_at_that_sequence_and_nothing_else() {
    let ledger = TestLedger::new().await;
    let url = test_database().await;
    append_permits(&ledger.log, 0, 2, 2025, 2).await;
    // Signed and chained like any event, but of a type this projector does not know.
    let permit = new_permit();
    let odd = EventData {
        event_type: "PermitTeleported".into(),
        schema_version: 1,
        payload: serde_json::value::to_raw_value(&serde_json::json!({"to": "Mars"})).unwrap(),
    };
    let committed = ledger
        .log
        .append(commit(vec![change(
            &permit,
            ExpectedPosition::New,
            vec![odd],
        )]))
        .await
        .unwrap();
    append_permits(&ledger.log, 2, 1, 2025, 1).await;

    let projector = RunningProjector::start_with(&ledger, &url, 1);
    let held = projector.held(Projection::ReadModels, lk(), WAIT).await;
    match &held {
        Following::Failed { sequence, reason } => {
            assert_eq!(*sequence, committed.last_sequence);
            assert!(reason.contains("PermitTeleported"), "{reason}");
            assert!(
                reason.contains(&format!("sequence {}", committed.last_sequence)),
                "{reason}"
            );
        }
        other => panic!("unexpected state {other:?}"),
    }
    // The archive keeps every verified event, whatever its type.
    caught_up(&ledger, &url, Projection::Archive, WAIT).await;
    let (ok, health) = projector.status.health();
    assert!(!ok, "health must not be ok while a Party is held: {health}");
    assert_eq!(
        health["projections"]["read_models"]["parties"]["LK"]["following"],
        "failed"
    );
    assert!(
        !health.to_string().contains("Teleported"),
        "health holds no error text: {health}"
    );
    let pool = db::pool(&url, db::ACTIVE_SCHEMA, 1).await.unwrap();
    let cp = ecites_projector::batch::checkpoint(&pool, lk())
        .await
        .unwrap();
    assert_eq!(
        cp,
        committed.last_sequence - 1,
        "nothing after the bad event was applied or skipped"
    );
    projector
        .stop()
        .await
        .expect("a held Party does not stop the projector");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replay_killed_mid_way_resumes_to_the_same_tables_as_a_clean_rebuild() {
    let ledger = TestLedger::new().await;
    let url = test_database().await;
    append_permits(&ledger.log, 0, 1500, 2025, 32).await;
    let head = ledger.log.head(lk()).await.unwrap();
    let child = env!("CARGO_BIN_EXE_ecites-child");
    let args = |extra: &[&str]| {
        let mut v = cli_flags(&ledger, &url);
        v.extend(["replay", "--party", "LK"].map(String::from));
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let mut proc = std::process::Command::new(child)
        .args(args(&["--batch-size", "20"]))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start the replay");
    // Kill it once the fresh generation holds some of the log but not all of it.
    let next = db::pool(&url, "public", 1).await.unwrap();
    let start = Instant::now();
    let killed_at = loop {
        let cp: Option<(i64,)> =
            sqlx::query_as("SELECT sequence FROM ecites_rm_next.checkpoint WHERE party = 'LK'")
                .fetch_optional(&next)
                .await
                .unwrap_or(None);
        if let Some((cp,)) = cp {
            if cp > 0 {
                proc.kill().expect("SIGKILL");
                break cp as u64;
            }
        }
        assert!(start.elapsed() < WAIT, "the replay never started");
        tokio::time::sleep(Duration::from_millis(2)).await;
    };
    proc.wait().expect("reap");
    let (cp,): (i64,) =
        sqlx::query_as("SELECT sequence FROM ecites_rm_next.checkpoint WHERE party = 'LK'")
            .fetch_one(&next)
            .await
            .expect("the interrupted generation is still there, not swapped in");
    assert!(
        (cp as u64) < head,
        "killed at {killed_at}, checkpoint {cp}, head {head}: not mid-way"
    );

    let out = std::process::Command::new(child)
        .args(args(&[]))
        .output()
        .expect("resume");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("resumed after sequence"), "{text}");
    let resumed = snapshot(&url, db::ACTIVE_SCHEMA).await;

    replay_fresh(&ledger, &url).await;
    let clean = snapshot(&url, db::ACTIVE_SCHEMA).await;
    assert_eq!(resumed, clean);
    assert_eq!(
        scalar(&url, "SELECT count(*) FROM permit_events").await as u64,
        head
    );
}
