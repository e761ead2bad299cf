//! The backend-neutral event log: what callers append and read, in the ledger's own types.
//!
//! Appending and reading are separate traits (a projector only reads; a command handler does
//! both). A [`Commit`] is everything one decision writes: one or more events on one or more
//! aggregates of one Party, each aggregate with the position the decision saw. A backend must
//! store a commit all or nothing, refuse it when any aggregate has moved on, and store it once
//! per command id.

use crate::aggregate::{AggregateRef, AggregateType};
use crate::envelope::{Actor, Envelope};
use crate::hash::EventHash;
use crate::keyring::Signer;
use crate::party::PartyCode;
use crate::schema::EventPayload;
use bytes::Bytes;
use futures::stream::BoxStream;
use serde_json::value::RawValue;
use std::future::Future;
use time::OffsetDateTime;
use uuid::Uuid;

/// Where an aggregate stands after its last event: what the next event must link to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AggregatePosition {
    /// Version of the aggregate's last event (1 for the first).
    pub version: u64,
    /// Stream sequence of that event: the optimistic-concurrency token.
    pub sequence: u64,
    /// Hash of that event's body: the next event's `prev_hash`.
    pub hash: EventHash,
}

/// What the deciding code saw of an aggregate. There is deliberately no "any": every event
/// must link to its predecessor, so the writer must know it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExpectedPosition {
    /// The aggregate must not exist yet.
    New,
    At(AggregatePosition),
}

impl ExpectedPosition {
    pub fn version(&self) -> u64 {
        match self {
            Self::New => 0,
            Self::At(p) => p.version,
        }
    }
    pub fn sequence(&self) -> u64 {
        match self {
            Self::New => 0,
            Self::At(p) => p.sequence,
        }
    }
    pub fn hash(&self) -> EventHash {
        match self {
            Self::New => EventHash::GENESIS,
            Self::At(p) => p.hash,
        }
    }
}

/// One event to be written: its type, schema version and payload JSON.
#[derive(Clone, Debug)]
pub struct EventData {
    pub event_type: String,
    pub schema_version: u32,
    pub payload: Box<RawValue>,
}

impl EventData {
    pub fn from_payload<P: EventPayload>(payload: &P) -> Result<Self, serde_json::Error> {
        Ok(Self {
            event_type: P::EVENT_TYPE.to_string(),
            schema_version: P::SCHEMA_VERSION,
            payload: serde_json::value::to_raw_value(payload)?,
        })
    }
}

/// The events a decision appends to one aggregate.
#[derive(Clone, Debug)]
pub struct AggregateChange {
    pub aggregate: AggregateRef,
    pub expected: ExpectedPosition,
    pub events: Vec<EventData>,
}

/// Everything one command decided, appended all or nothing.
#[derive(Clone, Debug)]
pub struct Commit {
    pub command_id: Uuid,
    pub correlation_id: Uuid,
    pub actor: Actor,
    pub occurred_at: OffsetDateTime,
    pub changes: Vec<AggregateChange>,
}

impl Commit {
    pub fn party(&self) -> Result<PartyCode, AppendError> {
        let first = self.changes.first().ok_or(AppendError::EmptyCommit)?;
        let party = first.aggregate.party;
        if let Some(other) = self.changes.iter().find(|c| c.aggregate.party != party) {
            return Err(AppendError::CrossParty {
                first: party,
                other: other.aggregate.party,
            });
        }
        if self.changes.iter().any(|c| c.events.is_empty()) {
            return Err(AppendError::EmptyCommit);
        }
        Ok(party)
    }

    pub fn event_count(&self) -> usize {
        self.changes.iter().map(|c| c.events.len()).sum()
    }
}

/// What a commit produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Committed {
    pub party: PartyCode,
    /// New position of each aggregate, in the order of the commit's changes.
    pub positions: Vec<(AggregateRef, AggregatePosition)>,
    /// Stream sequence of the commit's last event.
    pub last_sequence: u64,
}

impl Committed {
    /// The read-your-writes token the query side accepts: `<ISO2>:<sequence>`.
    pub fn position_token(&self) -> String {
        self.position().to_string()
    }

    /// Where the commit's last event is.
    pub fn position(&self) -> crate::Position {
        crate::Position::new(self.party, self.last_sequence)
    }
}

/// An event as stored: the body bytes exactly as signed, and the signature headers.
#[derive(Clone, Debug)]
pub struct RecordedEvent {
    pub sequence: u64,
    pub subject: String,
    pub body: Bytes,
    pub key_id: Option<String>,
    /// Base64 ed25519 signature over SHA-256(body), as carried in the header.
    pub signature: Option<String>,
    pub msg_id: Option<String>,
    pub stored_at: OffsetDateTime,
}

impl RecordedEvent {
    pub fn hash(&self) -> EventHash {
        EventHash::of(&self.body)
    }

    /// Parses the body. Only the audit verifier should look inside an unverified event; domain
    /// code goes through [`crate::audit::verify_event`] first.
    pub fn envelope(&self) -> Result<Envelope, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    #[error("conflict on {aggregate}: the decision saw version {expected_version} (sequence {expected_sequence}) but the aggregate has moved on; re-read it and decide again")]
    Conflict {
        aggregate: AggregateRef,
        expected_version: u64,
        expected_sequence: u64,
    },
    #[error("command {command_id} was already appended (stream sequence {sequence}); nothing new was stored")]
    Duplicate { command_id: Uuid, sequence: u64 },
    #[error("event {event_type} on {aggregate} is {size} bytes; the limit is {limit}")]
    PayloadTooLarge {
        aggregate: AggregateRef,
        event_type: String,
        size: usize,
        limit: usize,
    },
    #[error("Party {0} has no stream in this ledger: provision it first (`ecites party provision --party {0}`)")]
    UnknownParty(PartyCode),
    #[error("no signing key for Party {0}: run `ecites keys generate --party {0}`")]
    MissingKey(PartyCode),
    #[error("one commit cannot span Parties ({first} and {other}): each Party has its own log")]
    CrossParty { first: PartyCode, other: PartyCode },
    #[error("a commit must hold at least one event, and every change at least one")]
    EmptyCommit,
    #[error("aggregate {0} appears twice in one commit; put all its events in one change")]
    RepeatedAggregate(AggregateRef),
    #[error(
        "the server stored the batch without confirming it atomically ({0}); refusing to continue"
    )]
    BatchNotAtomic(String),
    #[error("event could not be encoded: {0}")]
    Encoding(String),
    #[error("log unavailable: {0}")]
    Unavailable(String),
}

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("Party {0} has no stream in this ledger")]
    UnknownParty(PartyCode),
    #[error("log unavailable: {0}")]
    Unavailable(String),
}

/// Writing side of the log.
pub trait EventAppender: Send + Sync {
    /// Appends a whole commit, signed with the Party's active key.
    fn append(&self, commit: Commit)
        -> impl Future<Output = Result<Committed, AppendError>> + Send;
}

/// Reading side of the log.
pub trait EventReader: Send + Sync {
    /// Every event of one aggregate, oldest first.
    fn read_aggregate(
        &self,
        aggregate: &AggregateRef,
    ) -> impl Future<Output = Result<Vec<RecordedEvent>, ReadError>> + Send;

    /// The aggregate's last event, if any: enough to continue a counter or a chain.
    fn read_last(
        &self,
        aggregate: &AggregateRef,
    ) -> impl Future<Output = Result<Option<RecordedEvent>, ReadError>> + Send;

    /// The Party's stream from `from_sequence` up to its head at the time of the call.
    fn read_party(
        &self,
        party: PartyCode,
        from_sequence: u64,
    ) -> impl Future<Output = Result<BoxStream<'static, Result<RecordedEvent, ReadError>>, ReadError>>
           + Send;

    /// Every event on the Party's aggregates of one type (all taxa, all quotas…), in stream
    /// order, up to the last such event at the time of the call.
    /// The ids of a Party's aggregates of one type, from the server's subject index: no
    /// consumer is created, so it is cheap enough to ask on every decision that needs it.
    fn aggregate_ids(
        &self,
        party: PartyCode,
        aggregate_type: &AggregateType,
    ) -> impl Future<Output = Result<Vec<crate::aggregate::AggregateId>, ReadError>> + Send;

    fn read_type(
        &self,
        party: PartyCode,
        aggregate_type: &AggregateType,
    ) -> impl Future<Output = Result<BoxStream<'static, Result<RecordedEvent, ReadError>>, ReadError>>
           + Send;

    /// The Party's stream from `from_sequence`, then every new event as it is appended.
    fn follow_party(
        &self,
        party: PartyCode,
        from_sequence: u64,
    ) -> impl Future<Output = Result<BoxStream<'static, Result<RecordedEvent, ReadError>>, ReadError>>
           + Send;

    /// Sequence of the Party stream's last event (0 when empty).
    fn head(&self, party: PartyCode) -> impl Future<Output = Result<u64, ReadError>> + Send;

    /// What the Party's stream holds: first and last sequence and how many events, from
    /// which a lost event shows (the ledger never deletes one).
    fn extent(
        &self,
        party: PartyCode,
    ) -> impl Future<Output = Result<StreamExtent, ReadError>> + Send;
}

/// First and last sequence of a Party's stream and the number of events it holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StreamExtent {
    /// 0 when the stream is empty.
    pub first: u64,
    pub last: u64,
    pub stored: u64,
}

impl StreamExtent {
    /// How many of the sequences 1..=last the stream lacks. Nothing is ever deleted from a
    /// ledger stream, so anything but 0 is lost data: cut from a damaged block file, or never
    /// synced before a power failure.
    pub fn missing(&self) -> u64 {
        self.last.saturating_sub(self.stored)
    }
}

/// The message id of the `k`-th of `n` events of a multi-event commit: `<command id>:<k>/<n>`.
/// The place in the batch lets a reader of any one event find the commit's last sequence
/// ([`commit_last_sequence`]), since a batch is stored contiguously.
pub fn batch_msg_id(command_id: Uuid, k: usize, n: usize) -> String {
    format!("{command_id}:{k}/{n}")
}

/// The stream sequence of the last event of the commit that stored `sequence` with
/// `msg_id`: the same read-your-writes position whichever of its events is read. Ids written
/// before the place carried `/n` (`<command id>:<k>`) give the event's own sequence.
pub fn commit_last_sequence(sequence: u64, msg_id: Option<&str>) -> u64 {
    let place = msg_id
        .and_then(|id| id.rsplit_once(':'))
        .and_then(|(_, place)| place.split_once('/'))
        .and_then(|(k, n)| Some((k.parse::<u64>().ok()?, n.parse::<u64>().ok()?)));
    match place {
        Some((k, n)) if k >= 1 && k <= n => sequence + (n - k),
        _ => sequence,
    }
}

/// A commit turned into signed messages, ready for any backend to store.
#[derive(Clone, Debug)]
pub struct SealedEvent {
    pub aggregate: AggregateRef,
    pub body: Bytes,
    pub hash: EventHash,
    pub key_id: String,
    pub signature: String,
    pub msg_id: String,
    /// Set on an aggregate's first event in the commit: the sequence the decision saw.
    pub expected_sequence: Option<u64>,
    pub version: u64,
}

/// Builds, hashes and signs every event of a commit. Pure CPU: callers run it on their own task
/// so that signing spreads over the runtime's worker threads.
pub fn seal(
    commit: &Commit,
    signer: &Signer,
    max_body: usize,
) -> Result<Vec<SealedEvent>, AppendError> {
    use base64::{engine::general_purpose::STANDARD as B64, Engine};
    let party = commit.party()?;
    if signer.party != party {
        return Err(AppendError::MissingKey(party));
    }
    let mut seen = std::collections::HashSet::new();
    let single = commit.event_count() == 1;
    let total = commit.event_count();
    let mut out = Vec::with_capacity(commit.event_count());
    for change in &commit.changes {
        if !seen.insert(&change.aggregate) {
            return Err(AppendError::RepeatedAggregate(change.aggregate.clone()));
        }
        let mut prev = change.expected.hash();
        for (i, data) in change.events.iter().enumerate() {
            let version = change.expected.version() + 1 + i as u64;
            let envelope = Envelope {
                event_id: Uuid::now_v7(),
                party,
                aggregate_type: change.aggregate.aggregate_type.clone(),
                aggregate_id: change.aggregate.aggregate_id.clone(),
                version,
                event_type: data.event_type.clone(),
                schema_version: data.schema_version,
                occurred_at: commit.occurred_at,
                actor: commit.actor.clone(),
                command_id: commit.command_id,
                correlation_id: commit.correlation_id,
                prev_hash: prev,
                payload: &data.payload,
            };
            let body =
                serde_json::to_vec(&envelope).map_err(|e| AppendError::Encoding(e.to_string()))?;
            if body.len() > max_body {
                return Err(AppendError::PayloadTooLarge {
                    aggregate: change.aggregate.clone(),
                    event_type: data.event_type.clone(),
                    size: body.len(),
                    limit: max_body,
                });
            }
            let hash = EventHash::of(&body);
            let signature = B64.encode(signer.sign(&hash).to_bytes());
            let msg_id = if single {
                commit.command_id.to_string()
            } else {
                batch_msg_id(commit.command_id, out.len() + 1, total)
            };
            out.push(SealedEvent {
                aggregate: change.aggregate.clone(),
                body: Bytes::from(body),
                hash,
                key_id: signer.key_id.0.clone(),
                signature,
                msg_id,
                expected_sequence: (i == 0).then(|| change.expected.sequence()),
                version,
            });
            prev = hash;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_event_of_a_batch_names_the_commits_last_sequence() {
        let id = Uuid::now_v7();
        // Three events at sequences 10, 11, 12.
        for (k, seq) in [(1, 10), (2, 11), (3, 12)] {
            let msg = batch_msg_id(id, k, 3);
            assert_eq!(commit_last_sequence(seq, Some(&msg)), 12, "{msg}");
        }
        // A single event, an id from before the batch size was written, or none.
        assert_eq!(commit_last_sequence(7, Some(&id.to_string())), 7);
        assert_eq!(commit_last_sequence(7, Some(&format!("{id}:2"))), 7);
        assert_eq!(commit_last_sequence(7, None), 7);
        assert_eq!(commit_last_sequence(7, Some(&format!("{id}:4/3"))), 7);
    }
}
