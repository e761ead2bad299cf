//! The archive as the ledger's second copy: a damaged log (its stream recreated with an event
//! missing) is named by `audit verify`, the archive still verifies, and `ecites restore` brings
//! back a log that verifies, with the same bodies and signatures.

use ecites_events::{EventReader, RecordedEvent};
use ecites_projector::Projection;
use ecites_tests::generate::append_permits;
use ecites_tests::readside::*;
use ecites_tests::*;
use futures::TryStreamExt;
use std::time::Duration;

fn cli(ledger: &TestLedger, url: &str, args: &[&str]) -> (u8, String) {
    run_cli(ledger, url, args)
}

async fn all_events(ledger: &TestLedger) -> Vec<RecordedEvent> {
    ledger
        .log
        .read_party(lk(), 1)
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap()
}

/// Recreates the stream through the raw client with the events of `keep` only.
async fn recreate_stream(ledger: &TestLedger, keep: &[RecordedEvent]) {
    let js = async_nats::jetstream::new(ledger.log.nats_client());
    js.delete_stream(ledger.config.stream_name(lk()))
        .await
        .unwrap();
    let log = ecites_events::jetstream::JetStreamLog::connect(&nats_url(), ledger.config.clone())
        .await
        .unwrap();
    log.provision_party(lk()).await.unwrap();
    republish(&js, keep).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_log_is_named_and_restored_from_the_archive() {
    let ledger = TestLedger::new().await;
    let url = test_database().await;
    append_permits(&ledger.log, 0, 12, 2025, 4).await;
    let projector = RunningProjector::start(&ledger, &url);
    caught_up(&ledger, &url, Projection::Archive, Duration::from_secs(60)).await;
    projector.stop().await.expect("clean stop");
    let original = all_events(&ledger).await;

    // The log loses the event at sequence 40 (an acknowledged write gone).
    let lost = 40;
    let damaged: Vec<RecordedEvent> = original
        .iter()
        .filter(|e| e.sequence != lost)
        .cloned()
        .collect();
    recreate_stream(&ledger, &damaged).await;

    let (l, u) = (&ledger, url.clone());
    let (code, text) =
        tokio::task::block_in_place(|| cli(l, &u, &["audit", "verify", "--party", "LK"]));
    assert_eq!(code, 1, "{text}");
    let lost_event = &original[lost as usize - 1];
    let lost_subject = lost_event.subject.clone();
    assert!(
        text.contains("version gap") && text.contains(&lost_subject),
        "{text}"
    );

    let (code, text) = tokio::task::block_in_place(|| {
        cli(
            l,
            &u,
            &["audit", "verify", "--source", "archive", "--party", "LK"],
        )
    });
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains(&format!("archive of Party LK: {} events", original.len())),
        "{text}"
    );

    let (code, text) = tokio::task::block_in_place(|| cli(l, &u, &["restore", "--party", "LK"]));
    assert_ne!(
        code, 0,
        "a stream holding events is not replaced without --replace: {text}"
    );

    let (code, text) =
        tokio::task::block_in_place(|| cli(l, &u, &["restore", "--party", "LK", "--replace"]));
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains(&format!("restored {} events", original.len())),
        "{text}"
    );
    let (code, text) =
        tokio::task::block_in_place(|| cli(l, &u, &["audit", "verify", "--party", "LK"]));
    assert_eq!(code, 0, "{text}");

    let restored = all_events(&ledger).await;
    assert_eq!(restored.len(), original.len());
    for (a, b) in original.iter().zip(&restored) {
        assert_eq!(
            (a.sequence, &a.subject, &a.body, &a.signature),
            (b.sequence, &b.subject, &b.body, &b.signature)
        );
    }
}
