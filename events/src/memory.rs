//! An in-memory log with JetStream's contract (`tests/tests/log_contract.rs` runs the same
//! cases against both): signed, chained events in one sequence per Party; a commit stored all
//! or nothing, refused when an aggregate moved on, and stored once per command id. For handler
//! unit tests and as the specification a second backend must meet; never for production (it
//! keeps nothing across a restart).

use crate::aggregate::{AggregateId, AggregateRef, AggregateType};
use crate::jetstream::LogConfig;
use crate::log::{
    commit_last_sequence, seal, AggregatePosition, AppendError, Commit, Committed, EventAppender,
    EventReader, ReadError, RecordedEvent, StreamExtent,
};
use crate::{PartyCode, Signer};
use futures::stream::{self, BoxStream, StreamExt};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use time::OffsetDateTime;
use tokio::sync::watch;

#[derive(Default)]
struct Stream {
    /// Index i holds sequence i + 1: nothing is ever removed.
    events: Vec<RecordedEvent>,
    /// The aggregate's last event: (version, sequence, hash).
    last: HashMap<String, AggregatePosition>,
    msg_ids: HashMap<String, u64>,
}

struct Party {
    signer: Signer,
    stream: Mutex<Stream>,
    /// The head, for followers.
    head: watch::Sender<u64>,
}

#[derive(Clone)]
pub struct MemoryLog {
    parties: Arc<BTreeMap<PartyCode, Arc<Party>>>,
    /// Subjects and the size limit as JetStream's, so that events read the same.
    config: LogConfig,
}

impl MemoryLog {
    /// A log holding a stream for each signer's Party.
    pub fn new(signers: impl IntoIterator<Item = Signer>) -> Self {
        let parties = signers
            .into_iter()
            .map(|signer| {
                let party = signer.party;
                let (head, _) = watch::channel(0);
                let p = Party {
                    signer,
                    stream: Mutex::new(Stream::default()),
                    head,
                };
                (party, Arc::new(p))
            })
            .collect();
        Self {
            parties: Arc::new(parties),
            config: LogConfig::default(),
        }
    }

    fn party(&self, party: PartyCode) -> Option<&Arc<Party>> {
        self.parties.get(&party)
    }

    fn subject(&self, aggregate: &AggregateRef) -> String {
        self.config.subject(aggregate)
    }

    fn type_prefix(&self, party: PartyCode, t: &AggregateType) -> String {
        format!(
            "{}.{}.{t}.",
            self.config.subject_prefix,
            party.subject_token()
        )
    }

    /// Runs `f` on the Party's stream under its lock (reads copy only what they return).
    fn with<T>(&self, party: PartyCode, f: impl FnOnce(&Stream) -> T) -> Result<T, ReadError> {
        let p = self.party(party).ok_or(ReadError::UnknownParty(party))?;
        Ok(f(&lock(&p.stream)))
    }

    /// The events from `from_sequence` on that `keep` selects.
    fn events(
        &self,
        party: PartyCode,
        from_sequence: u64,
        keep: impl Fn(&RecordedEvent) -> bool,
    ) -> Result<Vec<RecordedEvent>, ReadError> {
        let skip = usize::try_from(from_sequence.saturating_sub(1)).unwrap_or(usize::MAX);
        self.with(party, |s| {
            s.events
                .iter()
                .skip(skip)
                .filter(|e| keep(e))
                .cloned()
                .collect()
        })
    }
}

/// A poisoned lock only means another task panicked mid-append, which stores nothing before
/// it has checked everything: the data are whole.
fn lock(m: &Mutex<Stream>) -> MutexGuard<'_, Stream> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl EventAppender for MemoryLog {
    async fn append(&self, commit: Commit) -> Result<Committed, AppendError> {
        let party = commit.party()?;
        let p = self.party(party).ok_or(AppendError::UnknownParty(party))?;
        let sealed = seal(&commit, &p.signer, self.config.max_event_bytes)?;
        let mut s = lock(&p.stream);
        if let Some(first) = sealed.first() {
            if let Some(&sequence) = s.msg_ids.get(&first.msg_id) {
                return Err(AppendError::Duplicate {
                    command_id: commit.command_id,
                    sequence: commit_last_sequence(sequence, Some(&first.msg_id)),
                });
            }
        }
        for change in &commit.changes {
            let at = s
                .last
                .get(&self.subject(&change.aggregate))
                .map_or(0, |p| p.sequence);
            if at != change.expected.sequence() {
                return Err(AppendError::Conflict {
                    aggregate: change.aggregate.clone(),
                    expected_version: change.expected.version(),
                    expected_sequence: change.expected.sequence(),
                });
            }
        }
        let mut positions: Vec<(AggregateRef, AggregatePosition)> = Vec::new();
        for ev in sealed {
            let sequence = s.events.len() as u64 + 1;
            let subject = self.subject(&ev.aggregate);
            let position = AggregatePosition {
                version: ev.version,
                sequence,
                hash: ev.hash,
            };
            s.last.insert(subject.clone(), position);
            s.msg_ids.insert(ev.msg_id.clone(), sequence);
            match positions.iter_mut().find(|(a, _)| *a == ev.aggregate) {
                Some((_, p)) => *p = position,
                None => positions.push((ev.aggregate.clone(), position)),
            }
            s.events.push(RecordedEvent {
                sequence,
                subject,
                body: ev.body,
                key_id: Some(ev.key_id),
                signature: Some(ev.signature),
                msg_id: Some(ev.msg_id),
                stored_at: OffsetDateTime::now_utc(),
            });
        }
        let last_sequence = s.events.len() as u64;
        drop(s);
        p.head.send_replace(last_sequence);
        Ok(Committed {
            party,
            positions,
            last_sequence,
        })
    }
}

type Events = BoxStream<'static, Result<RecordedEvent, ReadError>>;

fn boxed(events: Vec<RecordedEvent>) -> Events {
    stream::iter(events.into_iter().map(Ok)).boxed()
}

impl EventReader for MemoryLog {
    async fn read_aggregate(&self, a: &AggregateRef) -> Result<Vec<RecordedEvent>, ReadError> {
        let subject = self.subject(a);
        self.events(a.party, 1, |e| e.subject == subject)
    }

    async fn read_last(&self, a: &AggregateRef) -> Result<Option<RecordedEvent>, ReadError> {
        let subject = self.subject(a);
        self.with(a.party, |s| {
            s.events
                .iter()
                .rev()
                .find(|e| e.subject == subject)
                .cloned()
        })
    }

    async fn read_party(&self, party: PartyCode, from_sequence: u64) -> Result<Events, ReadError> {
        Ok(boxed(self.events(party, from_sequence, |_| true)?))
    }

    async fn aggregate_ids(
        &self,
        party: PartyCode,
        t: &AggregateType,
    ) -> Result<Vec<AggregateId>, ReadError> {
        let prefix = self.type_prefix(party, t);
        let mut ids: Vec<AggregateId> = self.with(party, |s| {
            s.last
                .keys()
                .filter_map(|subject| subject.strip_prefix(&prefix))
                .filter_map(|id| AggregateId::new(id).ok())
                .collect()
        })?;
        ids.sort_by_key(ToString::to_string);
        Ok(ids)
    }

    async fn read_type(&self, party: PartyCode, t: &AggregateType) -> Result<Events, ReadError> {
        let prefix = self.type_prefix(party, t);
        Ok(boxed(
            self.events(party, 1, |e| e.subject.starts_with(&prefix))?,
        ))
    }

    async fn follow_party(
        &self,
        party: PartyCode,
        from_sequence: u64,
    ) -> Result<Events, ReadError> {
        let p = self
            .party(party)
            .cloned()
            .ok_or(ReadError::UnknownParty(party))?;
        let heads = p.head.subscribe();
        let next = from_sequence.max(1);
        Ok(
            stream::unfold((p, heads, next), |(p, mut heads, next)| async move {
                loop {
                    let found = lock(&p.stream)
                        .events
                        .get(usize::try_from(next - 1).ok()?)
                        .cloned();
                    if let Some(ev) = found {
                        return Some((Ok(ev), (p, heads, next + 1)));
                    }
                    // Ends only when the log is dropped.
                    heads.changed().await.ok()?;
                }
            })
            .boxed(),
        )
    }

    async fn head(&self, party: PartyCode) -> Result<u64, ReadError> {
        self.with(party, |s| s.events.len() as u64)
    }

    async fn extent(&self, party: PartyCode) -> Result<StreamExtent, ReadError> {
        let last = self.head(party).await?;
        Ok(StreamExtent {
            first: u64::from(last > 0),
            last,
            stored: last,
        })
    }
}
