//! The log's contract, run against both backends: real JetStream and the in-memory log of
//! `ecites_events::memory` that handler unit tests use. A second backend (or a change to
//! either) must pass every case here: round trip and chain, optimistic concurrency, one store
//! per command id, all-or-nothing batches, one winner among racing appends, following, and
//! reads by aggregate type. Each test runs its case on JetStream, then on the memory log.

use ecites_events::audit::verify_event;
use ecites_events::memory::MemoryLog;
use ecites_events::{
    AggregateType, AppendError, EventAppender, EventReader, ExpectedPosition, KeyringStore,
    PublicKeys,
};
use ecites_tests::*;
use futures::StreamExt;
use std::time::Duration;

trait Log: EventAppender + EventReader + Clone + 'static {}
impl<T: EventAppender + EventReader + Clone + 'static> Log for T {}

/// A JetStream log of the test's own (the ledger keeps its keys directory alive).
async fn jetstream() -> (TestLedger, PublicKeys) {
    let t = TestLedger::new().await;
    let keys = t.public_keys();
    (t, keys)
}

/// A memory log signing for LK, and the public keys to verify it.
fn memory() -> (MemoryLog, PublicKeys, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = KeyringStore::new(dir.path());
    let ring = store.generate(lk()).unwrap();
    let keys = PublicKeys::from_rings([&store.load_public(lk()).unwrap()]).unwrap();
    (MemoryLog::new([ring.signer]), keys, dir)
}

async fn round_trip<L: Log>(log: L, keys: PublicKeys) {
    let permit = new_permit();
    let first = log
        .append(single(&permit, ExpectedPosition::New, 1))
        .await
        .unwrap();
    let (_, at) = first.positions[0].clone();
    let second = log
        .append(single(&permit, ExpectedPosition::At(at), 2))
        .await
        .unwrap();
    let events = log.read_aggregate(&permit).await.unwrap();
    assert_eq!(events.len(), 2);
    let v1 = verify_event(&events[0], &keys).unwrap();
    let v2 = verify_event(&events[1], &keys).unwrap();
    assert_eq!((v1.envelope.version, v2.envelope.version), (1, 2));
    assert_eq!(v2.envelope.prev_hash, v1.hash);
    assert_eq!(v1.hash, at.hash);
    assert_eq!(events[1].sequence, second.last_sequence);
    assert_eq!(log.head(lk()).await.unwrap(), second.last_sequence);
    let last = log.read_last(&permit).await.unwrap().unwrap();
    assert_eq!(last.sequence, second.last_sequence);
    let all: Vec<_> = log.read_party(lk(), 1).await.unwrap().collect().await;
    assert_eq!(all.len() as u64, second.last_sequence);
    let extent = log.extent(lk()).await.unwrap();
    assert_eq!((extent.last, extent.missing()), (second.last_sequence, 0));
    assert!(log.read_aggregate(&new_permit()).await.unwrap().is_empty());
}

async fn stale_is_a_conflict<L: Log>(log: L) {
    let permit = new_permit();
    let first = log
        .append(single(&permit, ExpectedPosition::New, 1))
        .await
        .unwrap();
    let seen = ExpectedPosition::At(first.positions[0].1);
    log.append(single(&permit, seen, 2)).await.unwrap();
    let head = log.head(lk()).await.unwrap();
    let stale = log.append(single(&permit, seen, 3)).await;
    assert!(
        matches!(stale, Err(AppendError::Conflict { .. })),
        "{stale:?}"
    );
    let again = log.append(single(&permit, ExpectedPosition::New, 4)).await;
    assert!(
        matches!(again, Err(AppendError::Conflict { .. })),
        "{again:?}"
    );
    assert_eq!(log.head(lk()).await.unwrap(), head, "nothing stored");
}

async fn once_per_command<L: Log>(log: L) {
    let permit = new_permit();
    let c = single(&permit, ExpectedPosition::New, 1);
    let first = log.append(c.clone()).await.unwrap();
    match log.append(c).await {
        Err(AppendError::Duplicate { sequence, .. }) => {
            assert_eq!(sequence, first.last_sequence)
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(log.read_aggregate(&permit).await.unwrap().len(), 1);
}

async fn batches_are_all_or_nothing<L: Log>(log: L) {
    let (a, b) = (new_permit(), new_permit());
    let made = log
        .append(single(&b, ExpectedPosition::New, 0))
        .await
        .unwrap();
    let b_at = ExpectedPosition::At(made.positions[0].1);
    let head = log.head(lk()).await.unwrap();
    // b is expected new, but exists: nothing of the batch is stored, a's event neither.
    let bad = commit(vec![
        change(&a, ExpectedPosition::New, vec![event(1), event(2)]),
        change(&b, ExpectedPosition::New, vec![event(3)]),
    ]);
    assert!(matches!(
        log.append(bad).await,
        Err(AppendError::Conflict { .. })
    ));
    assert_eq!(log.head(lk()).await.unwrap(), head);
    assert!(log.read_aggregate(&a).await.unwrap().is_empty());
    let good = commit(vec![
        change(&a, ExpectedPosition::New, vec![event(1), event(2)]),
        change(&b, b_at, vec![event(3)]),
    ]);
    let done = log.append(good).await.unwrap();
    assert_eq!(done.last_sequence, head + 3, "contiguous");
    assert_eq!(done.positions.len(), 2);
    assert_eq!(done.positions[0].1.version, 2);
    assert_eq!(done.positions[1].1.version, 2);
}

async fn one_winner<L: Log>(log: L) {
    let permit = new_permit();
    let made = log
        .append(single(&permit, ExpectedPosition::New, 0))
        .await
        .unwrap();
    let seen = ExpectedPosition::At(made.positions[0].1);
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let log = log.clone();
            let c = single(&permit, seen, i);
            tokio::spawn(async move { log.append(c).await })
        })
        .collect();
    let mut won = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => won += 1,
            Err(AppendError::Conflict { .. }) => {}
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(won, 1);
    assert_eq!(log.read_aggregate(&permit).await.unwrap().len(), 2);
}

async fn following_sees_later_events<L: Log>(log: L) {
    let from = log.head(lk()).await.unwrap() + 1;
    let mut follow = log.follow_party(lk(), from).await.unwrap();
    let permit = new_permit();
    let done = log
        .append(single(&permit, ExpectedPosition::New, 1))
        .await
        .unwrap();
    let ev = tokio::time::timeout(Duration::from_secs(10), follow.next())
        .await
        .expect("the follower sees the event")
        .unwrap()
        .unwrap();
    assert_eq!(ev.sequence, done.last_sequence);
}

async fn reads_by_type<L: Log>(log: L) {
    let kind = format!("kind{}", &uuid::Uuid::now_v7().simple().to_string()[20..]);
    let ids = ["a1", "b2"];
    for id in ids {
        log.append(single(&aggregate(&kind, id), ExpectedPosition::New, 1))
            .await
            .unwrap();
    }
    log.append(single(&new_permit(), ExpectedPosition::New, 1))
        .await
        .unwrap();
    let t = AggregateType::new(kind.as_str()).unwrap();
    let mut found: Vec<String> = log
        .aggregate_ids(lk(), &t)
        .await
        .unwrap()
        .iter()
        .map(ToString::to_string)
        .collect();
    found.sort();
    assert_eq!(found, ids);
    let events: Vec<_> = log.read_type(lk(), &t).await.unwrap().collect().await;
    assert_eq!(events.len(), 2);
}

#[tokio::test]
async fn appended_events_read_back_signed_and_chained() {
    let (t, keys) = jetstream().await;
    round_trip(t.log.clone(), keys).await;
    let (log, keys, _dir) = memory();
    round_trip(log, keys).await;
}

#[tokio::test]
async fn a_stale_expectation_is_a_conflict_and_stores_nothing() {
    stale_is_a_conflict(jetstream().await.0.log).await;
    stale_is_a_conflict(memory().0).await;
}

#[tokio::test]
async fn a_command_is_stored_once() {
    once_per_command(jetstream().await.0.log).await;
    once_per_command(memory().0).await;
}

#[tokio::test]
async fn a_batch_is_stored_all_or_nothing() {
    batches_are_all_or_nothing(jetstream().await.0.log).await;
    batches_are_all_or_nothing(memory().0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_appends_at_one_version_have_one_winner() {
    one_winner(jetstream().await.0.log).await;
    one_winner(memory().0).await;
}

#[tokio::test]
async fn a_follower_sees_events_appended_later() {
    following_sees_later_events(jetstream().await.0.log).await;
    following_sees_later_events(memory().0).await;
}

#[tokio::test]
async fn aggregates_are_listed_and_read_by_type() {
    reads_by_type(jetstream().await.0.log).await;
    reads_by_type(memory().0).await;
}
