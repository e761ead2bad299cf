//! The event log against a real NATS JetStream server: round trip, optimistic concurrency,
//! dedupe (including the lost-ack retry trap), atomic batches and typed refusals.

use ecites_events::audit::{audit_party, verify_event};
use ecites_events::payloads::{self, ledger::PartyRegistered};
use ecites_events::{AppendError, EventAppender, EventReader, ExpectedPosition};
use ecites_tests::*;
use futures::StreamExt;

#[tokio::test]
async fn append_then_read_round_trip() {
    let t = TestLedger::new().await;
    let permit = new_permit();
    let first = t
        .log
        .append(single(&permit, ExpectedPosition::New, 1))
        .await
        .unwrap();
    let (_, pos1) = first.positions[0].clone();
    assert_eq!(pos1.version, 1);
    let second = t
        .log
        .append(single(&permit, ExpectedPosition::At(pos1), 2))
        .await
        .unwrap();

    let events = t.log.read_aggregate(&permit).await.unwrap();
    assert_eq!(events.len(), 2);
    let keys = t.public_keys();
    let v1 = verify_event(&events[0], &keys).unwrap();
    let v2 = verify_event(&events[1], &keys).unwrap();
    assert_eq!((v1.envelope.version, v2.envelope.version), (1, 2));
    assert_eq!(
        v2.envelope.prev_hash, v1.hash,
        "second event links to the first"
    );
    assert_eq!(
        v1.hash, pos1.hash,
        "the position returned is the stored event's hash"
    );
    assert_eq!(events[1].sequence, second.last_sequence);
    let payload: PartyRegistered = v2.decode(&payloads::upcasters()).unwrap();
    assert_eq!(
        payload.management_authority,
        "Department of Wildlife Conservation #2"
    );
    assert_eq!(
        second.position_token(),
        format!("LK:{}", second.last_sequence)
    );

    let streamed: Vec<_> = t.log.read_party(lk(), 1).await.unwrap().collect().await;
    assert_eq!(streamed.len(), 2);
    assert_eq!(t.log.head(lk()).await.unwrap(), second.last_sequence);
    assert!(t
        .log
        .read_aggregate(&new_permit())
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn thirty_two_concurrent_appends_at_one_version_exactly_one_wins() {
    let t = TestLedger::new().await;
    let permit = new_permit();
    let created = t
        .log
        .append(single(&permit, ExpectedPosition::New, 0))
        .await
        .unwrap();
    let seen = ExpectedPosition::At(created.positions[0].1);
    let tasks: Vec<_> = (0..32)
        .map(|i| {
            let log = t.log.clone();
            let c = single(&permit, seen, i);
            tokio::spawn(async move { log.append(c).await })
        })
        .collect();
    let mut ok = 0;
    let mut conflicts = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => ok += 1,
            Err(AppendError::Conflict {
                aggregate,
                expected_version,
                ..
            }) => {
                assert_eq!(aggregate, permit);
                assert_eq!(expected_version, 1);
                conflicts += 1
            }
            Err(other) => panic!("unexpected error: {other}"),
        }
    }
    assert_eq!((ok, conflicts), (1, 31));
    assert_eq!(t.log.read_aggregate(&permit).await.unwrap().len(), 2);
}

#[tokio::test]
async fn the_same_command_twice_is_stored_once() {
    let t = TestLedger::new().await;
    let permit = new_permit();
    let c = single(&permit, ExpectedPosition::New, 1);
    let first = t.log.append(c.clone()).await.unwrap();
    // The retry carries the same command id and the now stale expectation, as a client whose
    // ack was lost would send it: on 2.15 the server answers "wrong last sequence", which the
    // log must recognise as its own earlier append, not a conflict.
    match t.log.append(c).await {
        Err(AppendError::Duplicate { sequence, .. }) => assert_eq!(sequence, first.last_sequence),
        other => panic!("expected Duplicate, got {other:?}"),
    }
    assert_eq!(t.log.read_aggregate(&permit).await.unwrap().len(), 1);
    assert_eq!(t.log.head(lk()).await.unwrap(), first.last_sequence);
}

#[tokio::test]
async fn a_retried_atomic_batch_is_stored_once() {
    let t = TestLedger::new().await;
    let (a, b) = (new_permit(), aggregate("quota", "lk-2026-python-regius"));
    let c = commit(vec![
        change(&a, ExpectedPosition::New, vec![event(1)]),
        change(&b, ExpectedPosition::New, vec![event(2)]),
    ]);
    let first = t.log.append(c.clone()).await.unwrap();
    match t.log.append(c.clone()).await {
        Err(AppendError::Duplicate { sequence, .. }) => assert_eq!(sequence, first.last_sequence),
        other => panic!("expected Duplicate, got {other:?}"),
    }
    assert_eq!(t.log.head(lk()).await.unwrap(), first.last_sequence);
    // Later events on the batch's subjects do not move the position its retry names.
    let at = ExpectedPosition::At(first.positions[0].1);
    t.log.append(single(&a, at, 3)).await.unwrap();
    match t.log.append(c).await {
        Err(AppendError::Duplicate { sequence, .. }) => assert_eq!(sequence, first.last_sequence),
        other => panic!("expected Duplicate, got {other:?}"),
    }
}

#[tokio::test]
async fn an_atomic_batch_spans_aggregates_with_contiguous_sequences() {
    let t = TestLedger::new().await;
    let permit = new_permit();
    let quota = aggregate("quota", "lk-2026-python-regius");
    let numbering = aggregate("numbering", "lk-2026");
    let done = t
        .log
        .append(commit(vec![
            change(&permit, ExpectedPosition::New, vec![event(1), event(2)]),
            change(&quota, ExpectedPosition::New, vec![event(3)]),
            change(&numbering, ExpectedPosition::New, vec![event(4)]),
        ]))
        .await
        .unwrap();
    assert_eq!(done.last_sequence, 4);
    let positions: Vec<_> = done
        .positions
        .iter()
        .map(|(_, p)| (p.version, p.sequence))
        .collect();
    assert_eq!(positions, vec![(2, 2), (1, 3), (1, 4)]);
    let report = audit_party(&t.log, lk(), &t.public_keys(), |_| {})
        .await
        .unwrap();
    assert!(report.is_ok(), "{:?}", report.failures);
    assert_eq!((report.events_checked, report.aggregates), (4, 3));
}

#[tokio::test]
async fn an_atomic_batch_with_one_stale_expectation_stores_nothing() {
    let t = TestLedger::new().await;
    let (permit, quota) = (new_permit(), aggregate("quota", "lk-2026-python-regius"));
    let p1 = t
        .log
        .append(single(&permit, ExpectedPosition::New, 1))
        .await
        .unwrap()
        .positions[0]
        .1;
    let q1 = t
        .log
        .append(single(&quota, ExpectedPosition::New, 2))
        .await
        .unwrap()
        .positions[0]
        .1;
    // Someone else moves the quota on after our decision read it.
    t.log
        .append(single(&quota, ExpectedPosition::At(q1), 3))
        .await
        .unwrap();
    let head = t.log.head(lk()).await.unwrap();

    let stale = commit(vec![
        change(&permit, ExpectedPosition::At(p1), vec![event(4)]),
        change(&quota, ExpectedPosition::At(q1), vec![event(5)]),
    ]);
    match t.log.append(stale).await {
        Err(AppendError::Conflict { aggregate, .. }) => assert_eq!(aggregate, quota),
        other => panic!("expected a conflict on the quota, got {other:?}"),
    }
    assert_eq!(
        t.log.head(lk()).await.unwrap(),
        head,
        "nothing stored on any subject"
    );
    assert_eq!(t.log.read_aggregate(&permit).await.unwrap().len(), 1);
}

#[tokio::test]
async fn refusals_are_typed_and_store_nothing() {
    let t = TestLedger::new().await;
    let permit = new_permit();

    let ke = "KE".parse().unwrap();
    let foreign = ecites_events::AggregateRef::new(ke, "permit", "x1").unwrap();
    let unknown = t
        .log
        .append(single(&foreign, ExpectedPosition::New, 1))
        .await;
    assert!(
        matches!(unknown, Err(AppendError::UnknownParty(p)) if p == ke),
        "{unknown:?}"
    );

    // A provisioned Party whose key is not loaded.
    t.log.provision_party(ke).await.unwrap();
    let no_key = t
        .log
        .append(single(&foreign, ExpectedPosition::New, 1))
        .await;
    assert!(
        matches!(no_key, Err(AppendError::MissingKey(p)) if p == ke),
        "{no_key:?}"
    );

    let huge = ecites_events::EventData::from_payload(&PartyRegistered {
        party: lk(),
        management_authority: "x".repeat(600 * 1024),
    })
    .unwrap();
    let too_big = t
        .log
        .append(commit(vec![change(
            &permit,
            ExpectedPosition::New,
            vec![huge],
        )]))
        .await;
    match too_big {
        Err(AppendError::PayloadTooLarge { size, limit, .. }) => assert!(size > limit),
        other => panic!("expected PayloadTooLarge, got {other:?}"),
    }

    let cross = commit(vec![
        change(&permit, ExpectedPosition::New, vec![event(1)]),
        change(&foreign, ExpectedPosition::New, vec![event(2)]),
    ]);
    assert!(matches!(
        t.log.append(cross).await,
        Err(AppendError::CrossParty { .. })
    ));
    let twice = commit(vec![
        change(&permit, ExpectedPosition::New, vec![event(1)]),
        change(&permit, ExpectedPosition::New, vec![event(2)]),
    ]);
    assert!(matches!(
        t.log.append(twice).await,
        Err(AppendError::RepeatedAggregate(_))
    ));

    assert_eq!(t.log.head(lk()).await.unwrap(), 0, "nothing was appended");
    assert_eq!(t.log.head(ke).await.unwrap(), 0);
}

#[tokio::test]
async fn following_a_party_delivers_events_appended_later() {
    let t = TestLedger::new().await;
    let permit = new_permit();
    let first = t
        .log
        .append(single(&permit, ExpectedPosition::New, 1))
        .await
        .unwrap();
    let mut live = t.log.follow_party(lk(), 1).await.unwrap();
    assert_eq!(live.next().await.unwrap().unwrap().sequence, 1);
    let later = t
        .log
        .append(single(
            &permit,
            ExpectedPosition::At(first.positions[0].1),
            2,
        ))
        .await
        .unwrap();
    let next = tokio::time::timeout(std::time::Duration::from_secs(10), live.next())
        .await
        .expect("the follower receives the new event")
        .unwrap()
        .unwrap();
    assert_eq!(next.sequence, later.last_sequence);
    // Reading from past the head is empty, not an error or a wait.
    let empty: Vec<_> = t
        .log
        .read_party(lk(), later.last_sequence + 1)
        .await
        .unwrap()
        .collect()
        .await;
    assert!(empty.is_empty());
}

#[tokio::test]
async fn aggregate_ids_lists_one_type_from_the_subject_index() {
    let t = TestLedger::new().await;
    for id in ["lk-2026-b", "lk-2026-a"] {
        t.log
            .append(single(&aggregate("quota", id), ExpectedPosition::New, 1))
            .await
            .unwrap();
    }
    t.log
        .append(single(&new_permit(), ExpectedPosition::New, 2))
        .await
        .unwrap();
    let kind = ecites_events::AggregateType::new("quota").unwrap();
    let ids: Vec<String> = t
        .log
        .aggregate_ids(lk(), &kind)
        .await
        .unwrap()
        .iter()
        .map(|i| i.to_string())
        .collect();
    assert_eq!(ids, vec!["lk-2026-a", "lk-2026-b"]);
    let none = ecites_events::AggregateType::new("numbering").unwrap();
    assert!(t.log.aggregate_ids(lk(), &none).await.unwrap().is_empty());
}
