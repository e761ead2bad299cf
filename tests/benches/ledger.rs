//! Ledger benchmarks: measure and print, never assert.
//!
//! 1. Signed appends/s through `EventLog` against raw JetStream publish-with-ack of the same
//!    bytes with the same headers, 64 in flight, same stream settings, in the same run.
//! 2. `audit verify` events/s against raw ed25519 batch verification of the same signatures.
//!
//! Run: `deploy/stack.sh start && eval "$(deploy/stack.sh env)" && cargo bench -p ecites-tests --bench ledger`
//! Sizes: `ECITES_BENCH_APPENDS` (default 10000), `ECITES_BENCH_VERIFY` (default 100000).

use ecites_events::audit::{audit_party, Auditor};
use ecites_events::envelope::headers as h;
use ecites_events::jetstream::JetStreamLog;
use ecites_events::log::{seal, SealedEvent};
use ecites_events::{EventAppender, ExpectedPosition, KeyringStore, PublicKeys, RecordedEvent};
use ecites_tests::*;
use std::sync::Arc;
use std::time::Instant;

const IN_FLIGHT: usize = 64;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// ~1 KiB payload, like a permit application line set.
fn payload_event(n: usize) -> ecites_events::EventData {
    let name = format!(
        "Department of Wildlife Conservation {n} {}",
        "x".repeat(700)
    );
    ecites_events::EventData::from_payload(&ecites_events::payloads::ledger::PartyRegistered {
        party: lk(),
        management_authority: name,
    })
    .expect("payload")
}

/// Raw baseline: publish pre-built messages with the same headers, 64 acks in flight.
async fn raw_publish(
    log: &JetStreamLog,
    subject_prefix: &str,
    sealed: Arc<Vec<SealedEvent>>,
) -> f64 {
    let js = async_nats::jetstream::new(log.nats_client());
    let started = Instant::now();
    let tasks: Vec<_> = (0..IN_FLIGHT)
        .map(|w| {
            let (js, sealed) = (js.clone(), sealed.clone());
            let prefix = subject_prefix.to_string();
            tokio::spawn(async move {
                for ev in sealed.iter().skip(w).step_by(IN_FLIGHT) {
                    let mut map = async_nats::HeaderMap::new();
                    map.insert(h::MSG_ID, ev.msg_id.as_str());
                    map.insert(h::KEY_ID, ev.key_id.as_str());
                    map.insert(h::SIGNATURE, ev.signature.as_str());
                    map.insert(h::EXPECTED_LAST_SUBJECT_SEQUENCE, "0");
                    let subject = format!("{prefix}.lk.permit.{}", ev.aggregate.aggregate_id);
                    js.publish_with_headers(subject, map, ev.body.clone())
                        .await
                        .expect("publish")
                        .await
                        .expect("ack");
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("task");
    }
    sealed.len() as f64 / started.elapsed().as_secs_f64()
}

/// The ledger: each task builds, hashes, signs and appends its own commits.
async fn ledger_append(log: &JetStreamLog, n: usize) -> f64 {
    let started = Instant::now();
    let tasks: Vec<_> = (0..IN_FLIGHT)
        .map(|w| {
            let log = log.clone();
            tokio::spawn(async move {
                for i in (w..n).step_by(IN_FLIGHT) {
                    let c = commit(vec![change(
                        &new_permit(),
                        ExpectedPosition::New,
                        vec![payload_event(i)],
                    )]);
                    log.append(c).await.expect("append");
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("task");
    }
    n as f64 / started.elapsed().as_secs_f64()
}

fn sealed_events(ring: &ecites_events::PartyKeyring, n: usize) -> Vec<SealedEvent> {
    (0..n)
        .flat_map(|i| {
            let c = commit(vec![change(
                &new_permit(),
                ExpectedPosition::New,
                vec![payload_event(i)],
            )]);
            seal(&c, &ring.signer, 1 << 20).expect("seal")
        })
        .collect()
}

async fn bench_append(n: usize) {
    println!("## signed append vs raw publish ({n} events of ~1 KiB, {IN_FLIGHT} in flight)");
    let mut rounds = vec![];
    for round in 1..=2 {
        let raw_ledger = TestLedger::new().await;
        let sealed = Arc::new(sealed_events(&raw_ledger.ring, n));
        let raw = raw_publish(&raw_ledger.log, &raw_ledger.config.subject_prefix, sealed).await;
        let t = TestLedger::new().await;
        let signed = ledger_append(&t.log, n).await;
        println!(
            "round {round}: raw publish {raw:>8.0} msg/s | signed append {signed:>8.0} events/s | ratio {:.0} %",
            100.0 * signed / raw
        );
        rounds.push((raw, signed, t));
    }
    let (_, _, t) = rounds.pop().expect("a round");
    let keys = t.public_keys();
    let started = Instant::now();
    let report = audit_party(&t.log, lk(), &keys, |_| {})
        .await
        .expect("audit");
    let secs = started.elapsed().as_secs_f64();
    println!(
        "audit verify from JetStream: {} events in {secs:.2} s = {:.0} events/s (ok: {})",
        report.events_checked,
        report.events_checked as f64 / secs,
        report.is_ok()
    );
}

fn bench_verify(n: usize) {
    println!("## audit verifier vs raw ed25519 batch verification ({n} events)");
    let dir = tempfile::tempdir().expect("tempdir");
    let store = KeyringStore::new(dir.path());
    let ring = store.generate(lk()).expect("keys");
    let keys = PublicKeys::from_rings([&ring.public]).expect("keys");
    let events: Vec<RecordedEvent> = sealed_events(&ring, n)
        .into_iter()
        .enumerate()
        .map(|(i, s)| RecordedEvent {
            sequence: i as u64 + 1,
            subject: format!("ecites.lk.permit.{}", s.aggregate.aggregate_id),
            body: s.body,
            key_id: Some(s.key_id),
            signature: Some(s.signature),
            msg_id: Some(s.msg_id),
            stored_at: time::OffsetDateTime::now_utc(),
        })
        .collect();
    let (hashes, sigs) = raw_parts(&events);
    let vk = ring.signer.verifying_key();
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());

    for round in 1..=2 {
        let started = Instant::now();
        raw_verify(&hashes, &sigs, vk, 1);
        let raw1 = n as f64 / started.elapsed().as_secs_f64();
        let started = Instant::now();
        raw_verify(&hashes, &sigs, vk, cores);
        let raw_all = n as f64 / started.elapsed().as_secs_f64();
        let started = Instant::now();
        let mut auditor = Auditor::new(&keys);
        for ev in &events {
            auditor.push(ev);
        }
        let report = auditor.finish();
        let ours = n as f64 / started.elapsed().as_secs_f64();
        assert!(report.is_ok(), "benchmark data must verify");
        // As `audit verify` runs on a whole stream: sequences and the Merkle tree too.
        let started = Instant::now();
        let mut auditor = Auditor::new(&keys).whole_stream(None).with_tree(None);
        for ev in &events {
            auditor.push(ev);
        }
        let report = auditor.finish();
        let whole = n as f64 / started.elapsed().as_secs_f64();
        assert!(report.is_ok(), "benchmark data must verify");
        println!(
            "round {round}: raw verify_batch 1 core {raw1:>7.0}/s, {cores} cores {raw_all:>7.0}/s | audit verifier {ours:>7.0} events/s | ratio {:.0} % of {cores}-core raw, {:.0} % of 1-core raw | with sequences and tree {whole:>7.0} events/s ({:.0} % of {cores}-core raw)",
            100.0 * ours / raw_all,
            100.0 * ours / raw1,
            100.0 * whole / raw_all
        );
    }
}

fn raw_parts(events: &[RecordedEvent]) -> (Vec<[u8; 32]>, Vec<ed25519_dalek::Signature>) {
    use base64::{engine::general_purpose::STANDARD as B64, Engine};
    events
        .iter()
        .map(|e| {
            let sig: [u8; 64] = B64
                .decode(e.signature.as_deref().expect("sig"))
                .expect("b64")
                .try_into()
                .expect("64 bytes");
            (e.hash().0, ed25519_dalek::Signature::from_bytes(&sig))
        })
        .unzip()
}

fn raw_verify(
    hashes: &[[u8; 32]],
    sigs: &[ed25519_dalek::Signature],
    vk: ed25519_dalek::VerifyingKey,
    threads: usize,
) {
    let per = hashes.len().div_ceil(threads);
    std::thread::scope(|s| {
        for (hc, sc) in hashes.chunks(per).zip(sigs.chunks(per)) {
            s.spawn(move || {
                for (hb, sb) in hc.chunks(256).zip(sc.chunks(256)) {
                    let msgs: Vec<&[u8]> = hb.iter().map(|h| &h[..]).collect();
                    let keys = vec![vk; hb.len()];
                    ed25519_dalek::verify_batch(&msgs, sb, &keys).expect("valid");
                }
            });
        }
    });
}

#[tokio::main]
async fn main() {
    println!(
        "machine: {} cores; nats {}",
        std::thread::available_parallelism().map_or(1, |c| c.get()),
        nats_url()
    );
    bench_append(env_usize("ECITES_BENCH_APPENDS", 10_000)).await;
    bench_verify(env_usize("ECITES_BENCH_VERIFY", 100_000));
}
