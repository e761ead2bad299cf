//! Verifying a batch of events before reading them: what a projector does with every batch.
//!
//! The events' signatures are checked with ed25519 batch verification, spread over the
//! machine's cores; when a batch fails, each event is checked alone to name the bad one. The
//! chain is not checked here (a projector of one aggregate type sees only part of it); the
//! archive and `audit verify` check it.

use crate::audit::{signature_parts, Failure, FailureReason, VerifiedEvent};
use crate::keyring::PublicKeys;
use crate::log::RecordedEvent;
use ed25519_dalek::{Signature, VerifyingKey};

const SIG_BATCH: usize = 128;

/// Verifies every event of `events` (in stream order); the first failure in stream order is
/// returned, naming its sequence.
pub fn verify_events(
    events: &[RecordedEvent],
    keys: &PublicKeys,
) -> Result<Vec<VerifiedEvent>, Failure> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = events.len().div_ceil(threads).max(SIG_BATCH);
    let parts: Vec<Result<Vec<VerifiedEvent>, Failure>> = std::thread::scope(|s| {
        let handles: Vec<_> = events
            .chunks(chunk)
            .map(|c| s.spawn(move || verify_chunk(c, keys)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(Failure {
                        sequence: 0,
                        subject: String::new(),
                        version: None,
                        reason: FailureReason::MalformedBody("verifier thread panicked".into()),
                    })
                })
            })
            .collect()
    });
    let mut out = Vec::with_capacity(events.len());
    for part in parts {
        out.extend(part?);
    }
    Ok(out)
}

fn verify_chunk(
    events: &[RecordedEvent],
    keys: &PublicKeys,
) -> Result<Vec<VerifiedEvent>, Failure> {
    let mut out = Vec::with_capacity(events.len());
    let mut sigs: Vec<(Signature, VerifyingKey)> = Vec::with_capacity(events.len());
    for ev in events {
        let fail = |reason| Failure {
            sequence: ev.sequence,
            subject: ev.subject.clone(),
            version: None,
            reason,
        };
        let envelope = ev
            .envelope()
            .map_err(|e| fail(FailureReason::MalformedBody(e.to_string())))?;
        let (sig, key) = signature_parts(ev, keys, Some((envelope.party, envelope.occurred_at)))
            .map_err(|r| Failure {
                version: Some(envelope.version),
                ..fail(r)
            })?;
        sigs.push((sig, key));
        out.push(VerifiedEvent {
            sequence: ev.sequence,
            hash: ev.hash(),
            envelope,
        });
    }
    for (start, batch) in (0..).step_by(SIG_BATCH).zip(sigs.chunks(SIG_BATCH)) {
        let verified = &out[start..start + batch.len()];
        let msgs: Vec<&[u8]> = verified.iter().map(|v| &v.hash.0[..]).collect();
        let (s, k): (Vec<Signature>, Vec<VerifyingKey>) = batch.iter().copied().unzip();
        if ed25519_dalek::verify_batch(&msgs, &s, &k).is_ok() {
            continue;
        }
        for (i, (sig, key)) in batch.iter().enumerate() {
            if key.verify_strict(&verified[i].hash.0, sig).is_err() {
                let v = &verified[i];
                return Err(Failure {
                    sequence: v.sequence,
                    subject: events[start + i].subject.clone(),
                    version: Some(v.envelope.version),
                    reason: FailureReason::BadSignature,
                });
            }
        }
    }
    Ok(out)
}
