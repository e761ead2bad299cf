//! Verification of the log: every signature, every per-aggregate chain link and version.
//!
//! The [`Auditor`] consumes events in stream order (from JetStream or from an export file) and
//! keeps only the last version and hash of each aggregate, so a whole log is checked in one
//! pass. Signatures are checked in batches spread over the machine's cores; a failed batch is
//! re-checked one by one to name the bad event.

use crate::envelope::Envelope;
use crate::hash::EventHash;
use crate::keyring::{KeyId, PublicKeys};
use crate::log::RecordedEvent;
use crate::schema::{DecodeError, EventPayload, Upcasters};
use base64::{engine::general_purpose::STANDARD as B64, Engine};
use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use std::collections::HashMap;
use std::fmt;
use time::OffsetDateTime;

/// Why an event fails verification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FailureReason {
    /// The key id or signature header is absent or unreadable.
    MissingSignature(String),
    /// The key id is not among the Party's public keys.
    UnknownKey { key_id: String, detail: String },
    /// Signed with a key after that key was retired.
    KeyRetired {
        key_id: String,
        retired_at: OffsetDateTime,
    },
    /// The signature does not match SHA-256 of the stored body.
    BadSignature,
    /// The body is not an event envelope.
    MalformedBody(String),
    /// The event is stored under a subject that is not its aggregate's.
    SubjectMismatch { expected_suffix: String },
    /// Versions of the aggregate are missing before this event.
    VersionGap { expected: u64, found: u64 },
    /// The aggregate's versions are stored out of order.
    Reordered { expected: u64, found: u64 },
    /// `prev_hash` is not the hash of the aggregate's previous event.
    BrokenChain {
        expected: EventHash,
        found: EventHash,
    },
    /// Stream sequences `first..=last` hold no event. A ledger stream never deletes, so these
    /// events were lost (a damaged block file, unsynced writes) or removed.
    MissingSequences { first: u64, last: u64 },
    /// A signed tree head covers sequences `first..=last` that the events read lack.
    TreeHeadMissing { first: u64, last: u64, size: u64 },
    /// The events 1..=size do not hash to the root a signed tree head commits to.
    TreeHeadMismatch { size: u64, source: &'static str },
    /// A tree head that does not verify.
    TreeHeadInvalid(String),
}

impl FailureReason {
    /// Short, stable name for scripts and tests.
    pub fn code(&self) -> &'static str {
        match self {
            Self::MissingSignature(_) => "missing-signature",
            Self::UnknownKey { .. } => "unknown-key",
            Self::KeyRetired { .. } => "key-retired",
            Self::BadSignature => "bad-signature",
            Self::MalformedBody(_) => "malformed-body",
            Self::SubjectMismatch { .. } => "subject-mismatch",
            Self::VersionGap { .. } => "version-gap",
            Self::Reordered { .. } => "version-reordered",
            Self::BrokenChain { .. } => "broken-chain",
            Self::MissingSequences { .. } => "missing-sequences",
            Self::TreeHeadMissing { .. } => "tree-head-missing-events",
            Self::TreeHeadMismatch { .. } => "tree-head-mismatch",
            Self::TreeHeadInvalid(_) => "tree-head-invalid",
        }
    }
}

impl fmt::Display for FailureReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingSignature(d) => write!(f, "missing signature: {d}"),
            Self::UnknownKey { key_id, detail } => write!(f, "unknown key {key_id}: {detail}"),
            Self::KeyRetired { key_id, retired_at } => {
                write!(
                    f,
                    "signed by key {key_id} after it was retired at {retired_at}"
                )
            }
            Self::BadSignature => write!(
                f,
                "bad signature: the body was altered or signed by someone else"
            ),
            Self::MalformedBody(d) => write!(f, "malformed body: {d}"),
            Self::SubjectMismatch { expected_suffix } => {
                write!(
                    f,
                    "stored under the wrong subject (expected …{expected_suffix})"
                )
            }
            Self::VersionGap { expected, found } => write!(
                f,
                "version gap: expected version {expected}, found {found} (events missing)"
            ),
            Self::Reordered { expected, found } => write!(
                f,
                "versions out of order: expected version {expected}, found {found}"
            ),
            Self::BrokenChain { expected, found } => write!(
                f,
                "broken chain: prev_hash {found} is not the previous event's hash {expected}"
            ),
            Self::MissingSequences { first, last } if first == last => {
                write!(f, "stream sequence {first} holds no event: lost or removed")
            }
            Self::MissingSequences { first, last } => write!(
                f,
                "stream sequences {first} to {last} hold no event: {} events lost or removed",
                last - first + 1
            ),
            Self::TreeHeadMissing { first, last, size } => write!(
                f,
                "a signed tree head of {size} events covers sequences {first} to {last}, which are missing: {} events lost or cut",
                last - first + 1
            ),
            Self::TreeHeadMismatch { size, source } => write!(
                f,
                "the events 1 to {size} do not hash to the root of {source}: an event was changed, removed, added or reordered"
            ),
            Self::TreeHeadInvalid(d) => write!(f, "tree head does not verify: {d}"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub sequence: u64,
    pub subject: String,
    pub version: Option<u64>,
    pub reason: FailureReason,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sequence {} ({}", self.sequence, self.subject)?;
        if let Some(v) = self.version {
            write!(f, " v{v}")?;
        }
        write!(f, "): {}", self.reason)
    }
}

#[derive(Debug, Default)]
pub struct AuditReport {
    pub events_checked: u64,
    pub aggregates: usize,
    /// The first failures in stream order (capped); `failure_count` counts them all.
    pub failures: Vec<Failure>,
    pub failure_count: u64,
}

impl AuditReport {
    pub fn is_ok(&self) -> bool {
        self.failure_count == 0
    }
    pub fn first_failure(&self) -> Option<&Failure> {
        self.failures.first()
    }
}

const MAX_KEPT_FAILURES: usize = 1000;
const SIG_BATCH: usize = 256;
/// Events buffered per thread before a parallel pass: large enough that the ordered chain pass
/// between passes is a small share of the time.
const FLUSH_PER_THREAD: usize = 4096;

/// The envelope fields the chain check needs; the payload is skipped, not parsed.
#[derive(serde::Deserialize)]
struct ChainFields {
    party: crate::PartyCode,
    aggregate_type: String,
    aggregate_id: String,
    version: u64,
    prev_hash: EventHash,
    #[serde(with = "time::serde::rfc3339")]
    occurred_at: OffsetDateTime,
}

/// What the parallel stage found out about one event.
struct Checked {
    sequence: u64,
    subject: String,
    hash: EventHash,
    fields: Option<ChainFields>,
    /// Failures that need no context: headers, key, signature, body.
    failures: Vec<FailureReason>,
}

struct ChainState {
    version: u64,
    hash: EventHash,
}

/// Verifies events pushed in stream order. Hashing, parsing and signature checks run in
/// parallel over buffered events; the chain check, which needs order, runs after them.
pub struct Auditor<'k> {
    keys: &'k PublicKeys,
    chains: HashMap<String, ChainState>,
    buffer: Vec<RecordedEvent>,
    failures: Vec<Failure>,
    failure_count: u64,
    checked: u64,
    threads: usize,
    sequences: Option<SequenceBook>,
    tree: Option<crate::audit_tree::TreeCheck>,
}

/// The stream sequences seen, for a whole stream from sequence 1: every one up to the last
/// must be there.
struct SequenceBook {
    seen: Vec<u64>,
    /// The stream's last sequence as its server states it: a lost tail ends before it.
    last: Option<u64>,
}

/// What names the stream itself in a failure about its sequences.
pub const STREAM_SUBJECT: &str = "(the stream)";

impl<'k> Auditor<'k> {
    pub fn new(keys: &'k PublicKeys) -> Self {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self {
            keys,
            chains: HashMap::new(),
            buffer: Vec::with_capacity(FLUSH_PER_THREAD * threads),
            failures: vec![],
            failure_count: 0,
            checked: 0,
            threads,
            sequences: None,
            tree: None,
        }
    }

    /// The events pushed are a whole stream from sequence 1 (a live stream, the archive, an
    /// export): a sequence that holds no event, up to `last` when the source states its last
    /// sequence, is a failure ([`FailureReason::MissingSequences`]).
    pub fn whole_stream(mut self, last: Option<u64>) -> Self {
        self.sequences = Some(SequenceBook { seen: vec![], last });
        self
    }

    pub fn checked(&self) -> u64 {
        self.checked
    }

    pub fn failure_count(&self) -> u64 {
        self.failure_count
    }

    /// Rebuilds the Merkle tree from the events pushed and holds it against every tree head
    /// the stream records and against `given` (a head the auditor keeps, or the latest one a
    /// witness co-signed).
    pub fn with_tree(mut self, given: Option<crate::tree_head::SignedTreeHead>) -> Self {
        self.tree = Some(crate::audit_tree::TreeCheck::new(given));
        self
    }

    pub fn push(&mut self, ev: &RecordedEvent) {
        self.checked += 1;
        if let Some(tree) = &mut self.tree {
            tree.push(ev);
        }
        if let Some(book) = &mut self.sequences {
            book.seen.push(ev.sequence);
        }
        self.buffer.push(ev.clone());
        if self.buffer.len() >= FLUSH_PER_THREAD * self.threads {
            self.flush();
        }
    }

    fn fail(&mut self, sequence: u64, subject: &str, version: Option<u64>, reason: FailureReason) {
        self.failure_count += 1;
        if self.failures.len() < MAX_KEPT_FAILURES {
            self.failures.push(Failure {
                sequence,
                subject: subject.to_string(),
                version,
                reason,
            });
        }
    }

    fn flush(&mut self) {
        let buffer = std::mem::take(&mut self.buffer);
        let chunk = buffer.len().div_ceil(self.threads).max(1);
        let keys = self.keys;
        let checked: Vec<Checked> = std::thread::scope(|s| {
            let handles: Vec<_> = buffer
                .chunks(chunk)
                .map(|c| s.spawn(move || check_chunk(c, keys)))
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_default())
                .collect()
        });
        for c in checked {
            let version = c.fields.as_ref().map(|f| f.version);
            for reason in &c.failures {
                self.fail(c.sequence, &c.subject, version, reason.clone());
            }
            if let Some(fields) = &c.fields {
                self.check_chain(&c, fields);
            }
        }
        self.buffer = buffer;
        self.buffer.clear();
    }

    fn check_chain(&mut self, c: &Checked, f: &ChainFields) {
        let suffix = format!(
            ".{}.{}.{}",
            f.party.subject_token(),
            f.aggregate_type,
            f.aggregate_id
        );
        if !c.subject.ends_with(&suffix) {
            let reason = FailureReason::SubjectMismatch {
                expected_suffix: suffix,
            };
            return self.fail(c.sequence, &c.subject, Some(f.version), reason);
        }
        let state = self.chains.get(&c.subject);
        let (expected, expected_hash) =
            state.map_or((1, EventHash::GENESIS), |s| (s.version + 1, s.hash));
        let found = f.version;
        let reason = if found > expected {
            Some(FailureReason::VersionGap { expected, found })
        } else if found < expected {
            Some(FailureReason::Reordered { expected, found })
        } else if f.prev_hash != expected_hash {
            Some(FailureReason::BrokenChain {
                expected: expected_hash,
                found: f.prev_hash,
            })
        } else {
            None
        };
        // After a gap the chain continues from the event found, so later events are still checked.
        let advance = !matches!(reason, Some(FailureReason::Reordered { .. }));
        if let Some(r) = reason {
            self.fail(c.sequence, &c.subject, Some(found), r);
        }
        if advance {
            let state = ChainState {
                version: found,
                hash: c.hash,
            };
            self.chains.insert(c.subject.clone(), state);
        }
    }

    pub fn finish(mut self) -> AuditReport {
        self.flush();
        if let Some(book) = self.sequences.take() {
            for (first, last) in book.missing() {
                let reason = FailureReason::MissingSequences { first, last };
                self.fail(first, STREAM_SUBJECT, None, reason);
            }
        }
        if let Some(tree) = self.tree.take() {
            for (sequence, reason) in tree.finish(self.keys) {
                self.fail(sequence, STREAM_SUBJECT, None, reason);
            }
        }
        let mut failures = std::mem::take(&mut self.failures);
        failures.sort_by_key(|f| (f.sequence, severity(&f.reason)));
        reclassify_swaps(&mut failures);
        AuditReport {
            events_checked: self.checked,
            aggregates: self.chains.len(),
            failures,
            failure_count: self.failure_count,
        }
    }
}

impl SequenceBook {
    /// The ranges of sequences from 1 to the last (seen or stated) that hold no event.
    fn missing(mut self) -> Vec<(u64, u64)> {
        self.seen.sort_unstable();
        self.seen.dedup();
        let mut gaps = vec![];
        let mut next = 1;
        for &s in &self.seen {
            if s > next {
                gaps.push((next, s - 1));
            }
            next = next.max(s + 1);
        }
        if let Some(last) = self.last {
            if last >= next {
                gaps.push((next, last));
            }
        }
        gaps
    }
}

/// Hashes, parses and checks the signatures of a run of events (one thread's share).
fn check_chunk(events: &[RecordedEvent], keys: &PublicKeys) -> Vec<Checked> {
    let mut out = Vec::with_capacity(events.len());
    let mut to_verify: Vec<(usize, Signature, VerifyingKey)> = Vec::with_capacity(events.len());
    for ev in events {
        let hash = ev.hash();
        let mut failures = vec![];
        let fields = match serde_json::from_slice::<ChainFields>(&ev.body) {
            Ok(f) => Some(f),
            Err(e) => {
                failures.push(FailureReason::MalformedBody(e.to_string()));
                None
            }
        };
        let context = fields.as_ref().map(|f| (f.party, f.occurred_at));
        match signature_parts(ev, keys, context) {
            Ok((sig, key)) => to_verify.push((out.len(), sig, key)),
            Err(reason) => failures.push(reason),
        }
        out.push(Checked {
            sequence: ev.sequence,
            subject: ev.subject.clone(),
            hash,
            fields,
            failures,
        });
    }
    for batch in to_verify.chunks(SIG_BATCH) {
        for i in bad_signatures(batch, &out) {
            out[i].failures.insert(0, FailureReason::BadSignature);
        }
    }
    out
}

/// Indexes (into `checked`) of the events in `batch` whose signature is invalid.
fn bad_signatures(batch: &[(usize, Signature, VerifyingKey)], checked: &[Checked]) -> Vec<usize> {
    let msgs: Vec<&[u8]> = batch
        .iter()
        .map(|(i, _, _)| &checked[*i].hash.0[..])
        .collect();
    let sigs: Vec<Signature> = batch.iter().map(|(_, s, _)| *s).collect();
    let keys: Vec<VerifyingKey> = batch.iter().map(|(_, _, k)| *k).collect();
    if ed25519_dalek::verify_batch(&msgs, &sigs, &keys).is_ok() {
        return vec![];
    }
    batch
        .iter()
        .filter(|(i, s, k)| k.verify_strict(&checked[*i].hash.0, s).is_err())
        .map(|(i, _, _)| *i)
        .collect()
}

/// Orders reasons for one event: what makes the event untrustworthy comes first.
fn severity(r: &FailureReason) -> u8 {
    match r {
        FailureReason::MissingSignature(_) | FailureReason::UnknownKey { .. } => 0,
        FailureReason::BadSignature | FailureReason::KeyRetired { .. } => 1,
        FailureReason::MalformedBody(_) | FailureReason::SubjectMismatch { .. } => 2,
        _ => 3,
    }
}

/// A gap whose missing versions turn up later on the same subject was a reordering, not a loss.
fn reclassify_swaps(failures: &mut [Failure]) {
    for i in 0..failures.len() {
        let FailureReason::VersionGap { expected, found } = failures[i].reason else {
            continue;
        };
        let subject = failures[i].subject.clone();
        let later_fill = failures[i + 1..].iter().any(|f| {
            f.subject == subject
                && matches!(f.reason, FailureReason::Reordered { found: v, .. } if v >= expected && v < found)
        });
        if later_fill {
            failures[i].reason = FailureReason::Reordered { expected, found };
        }
    }
}

/// Finds the verifying key and decodes the signature of an event, checking the key belongs to
/// the event's Party and was not retired when the event was signed.
pub(crate) fn signature_parts(
    ev: &RecordedEvent,
    keys: &PublicKeys,
    context: Option<(crate::PartyCode, OffsetDateTime)>,
) -> Result<(Signature, VerifyingKey), FailureReason> {
    let key_id = ev
        .key_id
        .as_deref()
        .ok_or_else(|| FailureReason::MissingSignature("no key id header".into()))?;
    let sig_b64 = ev
        .signature
        .as_deref()
        .ok_or_else(|| FailureReason::MissingSignature("no signature header".into()))?;
    let sig_bytes: [u8; 64] = B64
        .decode(sig_b64)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| {
            FailureReason::MissingSignature("signature is not 64 bytes of base64".into())
        })?;
    let (party, entry, key) =
        keys.get(&KeyId(key_id.to_string()))
            .ok_or_else(|| FailureReason::UnknownKey {
                key_id: key_id.into(),
                detail: "not in any Party's public keys".into(),
            })?;
    if let Some((event_party, occurred_at)) = context {
        if event_party != party {
            return Err(FailureReason::UnknownKey {
                key_id: key_id.into(),
                detail: format!("the key belongs to Party {party}, the event to {event_party}"),
            });
        }
        if let Some(retired_at) = entry.retired_at {
            if occurred_at > retired_at {
                return Err(FailureReason::KeyRetired {
                    key_id: key_id.into(),
                    retired_at,
                });
            }
        }
    }
    Ok((Signature::from_bytes(&sig_bytes), *key))
}

/// An event whose signature has been checked: the only way domain code reads a payload.
#[derive(Clone, Debug)]
pub struct VerifiedEvent {
    pub sequence: u64,
    pub hash: EventHash,
    pub envelope: Envelope,
}

impl VerifiedEvent {
    /// The payload as the current Rust type, upcast from older versions when needed.
    pub fn decode<P: EventPayload>(&self, upcasters: &Upcasters) -> Result<P, DecodeError> {
        upcasters.decode(
            &self.envelope.event_type,
            self.envelope.schema_version,
            self.envelope.payload.get(),
        )
    }
}

/// Verifies one event on its own (signature, key, body), without chain context.
pub fn verify_event(ev: &RecordedEvent, keys: &PublicKeys) -> Result<VerifiedEvent, FailureReason> {
    let envelope = ev
        .envelope()
        .map_err(|e| FailureReason::MalformedBody(e.to_string()))?;
    let (signature, key) = signature_parts(ev, keys, Some((envelope.party, envelope.occurred_at)))?;
    let hash = ev.hash();
    key.verify(&hash.0, &signature)
        .map_err(|_| FailureReason::BadSignature)?;
    Ok(VerifiedEvent {
        sequence: ev.sequence,
        hash,
        envelope,
    })
}

/// Verifies a Party's whole stream as stored, calling `progress` with the count checked so far.
pub async fn audit_party<R: crate::log::EventReader>(
    reader: &R,
    party: crate::PartyCode,
    keys: &PublicKeys,
    progress: impl FnMut(u64),
) -> Result<AuditReport, crate::log::ReadError> {
    audit_party_against(reader, party, keys, None, progress).await
}

/// As [`audit_party`], holding the stream against `given` too: a tree head from outside the
/// log (the latest a witness co-signed, one an auditor keeps), so that a lost tail shows.
pub async fn audit_party_against<R: crate::log::EventReader>(
    reader: &R,
    party: crate::PartyCode,
    keys: &PublicKeys,
    given: Option<crate::tree_head::SignedTreeHead>,
    mut progress: impl FnMut(u64),
) -> Result<AuditReport, crate::log::ReadError> {
    use futures::StreamExt;
    let extent = reader.extent(party).await?;
    let mut auditor = Auditor::new(keys)
        .whole_stream(Some(extent.last))
        .with_tree(given);
    let mut events = reader.read_party(party, 1).await?;
    while let Some(ev) = events.next().await {
        auditor.push(&ev?);
        if auditor.checked().is_multiple_of(4096) {
            progress(auditor.checked());
        }
    }
    progress(auditor.checked());
    Ok(auditor.finish())
}

/// Verifies one aggregate's events from its first.
pub async fn audit_aggregate<R: crate::log::EventReader>(
    reader: &R,
    aggregate: &crate::AggregateRef,
    keys: &PublicKeys,
) -> Result<AuditReport, crate::log::ReadError> {
    let mut auditor = Auditor::new(keys);
    for ev in reader.read_aggregate(aggregate).await? {
        auditor.push(&ev);
    }
    Ok(auditor.finish())
}
