//! `audit verify` finds every kind of damage an attacker with access to the server could do,
//! and names the first bad event with the right reason. The damaged logs are built by copying
//! a good log into a fresh stream through the raw NATS client, bypassing the ledger, the way
//! someone with the server's credentials could.

use base64::{engine::general_purpose::STANDARD as B64, Engine};
use ecites_events::audit::{audit_party, AuditReport};
use ecites_events::envelope::headers as h;
use ecites_events::jetstream::{JetStreamLog, LogConfig};
use ecites_events::{EventAppender, EventHash, EventReader, ExpectedPosition, RecordedEvent};
use ecites_tests::*;
use ed25519_dalek::{Signer, SigningKey};
use futures::StreamExt;

/// A log with one permit at versions 1..=3 (sequences 1..=3) and an unrelated quota event.
async fn good_log() -> (TestLedger, Vec<RecordedEvent>) {
    let t = TestLedger::new().await;
    let permit = new_permit();
    let mut expected = ExpectedPosition::New;
    for n in 1..=3 {
        let done = t.log.append(single(&permit, expected, n)).await.unwrap();
        expected = ExpectedPosition::At(done.positions[0].1);
    }
    let quota = aggregate("quota", "lk-2026-python-regius");
    t.log
        .append(single(&quota, ExpectedPosition::New, 9))
        .await
        .unwrap();
    let events: Vec<_> = t
        .log
        .read_party(lk(), 1)
        .await
        .unwrap()
        .map(|e| e.unwrap())
        .collect()
        .await;
    assert_eq!(events.len(), 4);
    (t, events)
}

/// Publishes `events` as given into a new stream and audits that stream.
async fn audit_copy(t: &TestLedger, events: &[RecordedEvent]) -> AuditReport {
    let config = LogConfig { ..unique_config() };
    let copy = JetStreamLog::connect(&nats_url(), config.clone())
        .await
        .unwrap();
    copy.provision_party(lk()).await.unwrap();
    let js = async_nats::jetstream::new(copy.nats_client());
    for ev in events {
        let subject = format!(
            "{}{}",
            config.subject_prefix,
            &ev.subject[t.config.subject_prefix.len()..]
        );
        let mut headers = async_nats::HeaderMap::new();
        if let Some(k) = &ev.key_id {
            headers.insert(h::KEY_ID, k.as_str());
        }
        if let Some(s) = &ev.signature {
            headers.insert(h::SIGNATURE, s.as_str());
        }
        js.publish_with_headers(subject, headers, ev.body.clone())
            .await
            .unwrap()
            .await
            .unwrap();
    }
    audit_party(&copy, lk(), &t.public_keys(), |_| {})
        .await
        .unwrap()
}

fn first(report: &AuditReport) -> (u64, &'static str) {
    let f = report.first_failure().expect("a failure");
    (f.sequence, f.reason.code())
}

#[tokio::test]
async fn an_untouched_copy_verifies() {
    let (t, events) = good_log().await;
    let report = audit_copy(&t, &events).await;
    assert!(report.is_ok(), "{:?}", report.failures);
    assert_eq!((report.events_checked, report.aggregates), (4, 2));
}

#[tokio::test]
async fn a_flipped_byte_in_a_body_is_a_bad_signature() {
    let (t, mut events) = good_log().await;
    let mut body = events[1].body.to_vec();
    let at = body.windows(8).position(|w| w == b"Wildlife").unwrap();
    body[at] ^= 0x20; // "Wildlife" -> "wildlife": still valid JSON, no longer what was signed
    events[1].body = body.into();
    let report = audit_copy(&t, &events).await;
    assert_eq!(first(&report), (2, "bad-signature"));
    // The next event still links to the original body, so the chain breaks there too.
    let second = &report.failures[1];
    assert_eq!((second.sequence, second.reason.code()), (3, "broken-chain"));
    assert_eq!(report.failure_count, 2);
}

#[tokio::test]
async fn a_swapped_pair_of_events_is_reported_as_reordered() {
    let (t, mut events) = good_log().await;
    events.swap(1, 2);
    let report = audit_copy(&t, &events).await;
    assert_eq!(first(&report), (2, "version-reordered"));
}

#[tokio::test]
async fn a_missing_version_is_a_gap() {
    let (t, mut events) = good_log().await;
    events.remove(1);
    let report = audit_copy(&t, &events).await;
    assert_eq!(first(&report), (2, "version-gap"));
    assert_eq!(report.failure_count, 1);
}

#[tokio::test]
async fn a_signature_by_an_unknown_key_is_named() {
    let (t, mut events) = good_log().await;
    let forger = SigningKey::from_bytes(&[7u8; 32]);
    let hash = EventHash::of(&events[2].body);
    events[2].signature = Some(B64.encode(forger.sign(&hash.0).to_bytes()));
    events[2].key_id = Some("lk-0000000000000000".into());
    let report = audit_copy(&t, &events).await;
    assert_eq!(first(&report), (3, "unknown-key"));
}

#[tokio::test]
async fn a_rewritten_event_signed_with_the_real_key_breaks_the_chain() {
    // An insider with the signing key rewrites version 2: its own signature is valid, but
    // version 3 still links to the original.
    let (t, mut events) = good_log().await;
    let text = String::from_utf8(events[1].body.to_vec())
        .unwrap()
        .replace("#2", "#20");
    let hash = EventHash::of(text.as_bytes());
    events[1].signature = Some(B64.encode(t.ring.signer.sign(&hash).to_bytes()));
    events[1].body = text.into_bytes().into();
    let report = audit_copy(&t, &events).await;
    assert_eq!(first(&report), (3, "broken-chain"));
}

#[tokio::test]
async fn rotation_keeps_history_verifiable() {
    let t = TestLedger::new().await;
    let permit = new_permit();
    let done = t
        .log
        .append(single(&permit, ExpectedPosition::New, 1))
        .await
        .unwrap();
    let rotated = t.store.rotate(lk()).unwrap();
    t.log.set_signer(rotated.signer.clone());
    t.log
        .append(single(
            &permit,
            ExpectedPosition::At(done.positions[0].1),
            2,
        ))
        .await
        .unwrap();
    let events = t.log.read_aggregate(&permit).await.unwrap();
    assert_ne!(
        events[0].key_id, events[1].key_id,
        "the two events use different keys"
    );
    let report = audit_party(&t.log, lk(), &t.public_keys(), |_| {})
        .await
        .unwrap();
    assert!(report.is_ok(), "{:?}", report.failures);
}

#[tokio::test]
async fn a_retired_key_that_keeps_signing_is_flagged() {
    let t = TestLedger::new().await;
    t.store.rotate(lk()).unwrap();
    // t.log still holds the old signer: a service not restarted after rotation.
    t.log
        .append(single(&new_permit(), ExpectedPosition::New, 1))
        .await
        .unwrap();
    let report = audit_party(&t.log, lk(), &t.public_keys(), |_| {})
        .await
        .unwrap();
    assert_eq!(first(&report), (1, "key-retired"));
}
