//! The log's server going away or losing data, on NATS servers of the test's own (issue #17):
//!
//! - killed and restarted under a write load, the projector inside `serve` resumes from its
//!   checkpoint by itself, `/health` says so while it cannot, and every acknowledged command
//!   is in the read models afterwards;
//! - a block file cut in half is found by `audit verify`, which names the missing sequences
//!   and finishes, and by `/health`;
//! - a stream that lost its tail in a crash (and would hand those sequences to new events) is
//!   found by `/health`, and the projector holds that Party instead of passing over events.

use axum::http::StatusCode;
use ecites_command::handler::auth::Role;
use ecites_events::PartyCode;
use ecites_tests::generate::append_permits;
use ecites_tests::system::{PrivateNats, TestSystem};
use serde_json::json;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

const WAIT: Duration = Duration::from_secs(90);

fn lk() -> PartyCode {
    "LK".parse().unwrap()
}

async fn system_on(nats: &PrivateNats, org: Uuid) -> TestSystem {
    let sys = TestSystem::builder()
        .party("LK")
        .user("LK", "trader", Role::Trader, Some(org))
        .user("LK", "officer", Role::MaOfficer, None)
        .nats(&nats.url())
        .build()
        .await;
    let t = sys.login("LK", "trader").await;
    let body = json!({"command_id": Uuid::now_v7(), "name": "Alpha", "registration_number": "PV 1", "country": "LK"});
    let (s, out) = sys
        .call("POST", "/api/LK/organisations", Some(&t), Some(body))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{out}");
    let o = sys.login("LK", "officer").await;
    let verify = json!({"command_id": Uuid::now_v7(), "note": "seen"});
    let (s, out) = sys
        .call(
            "POST",
            &format!("/api/LK/organisations/{org}/verify"),
            Some(&o),
            Some(verify),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{out}");
    sys
}

fn submission() -> serde_json::Value {
    json!({"command_id": Uuid::now_v7(), "application": {"document_type": "export_permit", "importing_country": "DE",
        "lines": [{"species": "Python regius", "source": "W", "purpose": "T", "term": "SKI", "quantity": 2}]}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_projector_in_serve_resumes_after_nats_is_killed_and_restarted_under_load() {
    let mut nats = PrivateNats::start();
    let org = Uuid::now_v7();
    let sys = Arc::new(system_on(&nats, org).await);
    sys.healthy(WAIT).await;
    let trader = sys.login("LK", "trader").await;

    // A trader submitting all along; every 201 is an acknowledged command.
    let running = Arc::new(AtomicBool::new(true));
    let count = Arc::new(AtomicUsize::new(0));
    let load = {
        let (sys, running, trader, count) =
            (sys.clone(), running.clone(), trader.clone(), count.clone());
        tokio::spawn(async move {
            let mut accepted = vec![];
            let mut refused = 0u32;
            while running.load(Ordering::Relaxed) {
                let (s, out) = sys
                    .call("POST", "/api/LK/permits", Some(&trader), Some(submission()))
                    .await;
                match s {
                    // A duplicate: the append's ack was lost in the outage and its retry found
                    // it stored. Acknowledged all the same.
                    StatusCode::CREATED | StatusCode::OK => {
                        accepted.push(out["permit_id"].as_str().unwrap().to_string());
                        count.store(accepted.len(), Ordering::Relaxed);
                    }
                    StatusCode::SERVICE_UNAVAILABLE => refused += 1,
                    other => panic!("unexpected answer {other}: {out}"),
                }
            }
            (accepted, refused)
        })
    };
    // The server dies under the load: after some commands were acknowledged.
    let started = std::time::Instant::now();
    while count.load(Ordering::Relaxed) < 200 {
        assert!(started.elapsed() < WAIT, "the load does not get through");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    nats.halt(true);
    // While the server is away the projector says it does not follow.
    sys.unhealthy(WAIT, |h| {
        h["projections"]["read_models"]["parties"]["LK"]["following"] != "following"
    })
    .await;
    nats.resume();
    sys.healthy(WAIT).await;
    // Commands go through again before the load stops.
    let (s, out) = sys
        .call("POST", "/api/LK/permits", Some(&trader), Some(submission()))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{out}");
    running.store(false, Ordering::Relaxed);
    let (accepted, _refused) = load.await.unwrap();
    assert!(!accepted.is_empty(), "the load never got through");
    sys.caught_up(lk(), WAIT).await;
    let officer = sys.login("LK", "officer").await;
    for id in accepted
        .iter()
        .chain([&out["permit_id"].as_str().unwrap().to_string()])
    {
        let (s, permit) = sys
            .call(
                "GET",
                &format!("/query/api/LK/permits/{id}"),
                Some(&officer),
                None,
            )
            .await;
        assert_eq!(
            s,
            StatusCode::OK,
            "acknowledged permit {id} missing from the read models: {permit}"
        );
    }
    let health = sys.healthy(WAIT).await;
    assert_eq!(health["streams"]["LK"]["complete"], true, "{health}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_block_file_cut_in_half_is_named_by_audit_verify_and_by_health() {
    let mut nats = PrivateNats::start();
    let sys = system_on(&nats, Uuid::now_v7()).await;
    append_permits(&sys.log, 0, 60, 2025, 5).await;
    sys.caught_up(lk(), WAIT).await;
    sys.healthy(WAIT).await;

    nats.halt(false);
    let stream = format!("{}_LK", sys.config.stream_prefix);
    let last = nats.block_files(&stream).pop().expect("a block file");
    let size = std::fs::metadata(&last).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&last)
        .and_then(|f| f.set_len(size / 2))
        .unwrap();
    nats.resume();

    let health = sys
        .unhealthy(WAIT, |h| {
            h["streams"]["LK"]["missing_events"].as_u64() > Some(0)
        })
        .await;
    let missing = health["streams"]["LK"]["missing_events"]
        .as_u64()
        .unwrap_or(0);
    assert_eq!(health["streams"]["LK"]["complete"], false, "{health}");
    let (status, metrics) = sys.call("GET", "/projector/metrics", None, None).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "metrics are not public: {metrics}"
    );

    let started = std::time::Instant::now();
    let (code, out) = sys.cli(&["audit", "verify", "--party", "LK"]);
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "audit verify took {:?}",
        started.elapsed()
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("hold no event"), "{out}");
    assert!(
        out.contains(&format!("{missing} events lost")) || missing == 1,
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_that_lost_its_tail_in_a_crash_is_named_by_health_and_held() {
    let mut nats = PrivateNats::start();
    let org = Uuid::now_v7();
    let sys = system_on(&nats, org).await;
    append_permits(&sys.log, 0, 60, 2025, 5).await;
    let applied = sys.caught_up(lk(), WAIT).await;

    // A crash before the server wrote its index: it comes back with the block it has, and its
    // stream's last sequence falls below what was acknowledged and projected.
    nats.halt(true);
    let stream = format!("{}_LK", sys.config.stream_prefix);
    let last = nats.block_files(&stream).pop().expect("a block file");
    let size = std::fs::metadata(&last).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&last)
        .and_then(|f| f.set_len(size / 2))
        .unwrap();
    let index = last.with_file_name("index.db");
    let _ = std::fs::remove_file(index);
    nats.resume();

    let health = sys
        .unhealthy(WAIT, |h| h["streams"]["LK"]["shrunk_below"] == applied)
        .await;
    assert_eq!(health["streams"]["LK"]["complete"], false, "{health}");
    // New events get the lost sequences; the projector does not pass over them as applied.
    let trader = sys.login("LK", "trader").await;
    let (s, out) = sys
        .call("POST", "/api/LK/permits", Some(&trader), Some(submission()))
        .await;
    assert!(
        s == StatusCode::CREATED || s == StatusCode::SERVICE_UNAVAILABLE,
        "{s}: {out}"
    );
    sys.unhealthy(WAIT, |h| {
        h["projections"]["read_models"]["parties"]["LK"]["following"] == "failed"
    })
    .await;
}
