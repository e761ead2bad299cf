//! Loading aggregates: verified and decoded from the log, or from the in-memory cache.

use super::{CommandHandler, HandlerError};
use crate::domain::permit::{evolve, PermitEvent, PermitState};
use ecites_events::audit::{verify_event, VerifiedEvent};
use ecites_events::payloads::numbering::{PermitNumberAllocated, SecurityStampAllocated};
use ecites_events::schema::EventPayload;
use ecites_events::{
    AggregatePosition, AggregateRef, Committed, EventAppender, EventReader, ExpectedPosition,
    PartyCode, RecordedEvent,
};
use std::collections::HashMap;
use std::sync::Mutex;

/// A gapless counter (permit numbers, security stamps) as of its last event.
#[derive(Clone, Debug)]
pub struct Counter {
    pub aggregate: AggregateRef,
    pub position: ExpectedPosition,
    pub last: u64,
}

/// A permit as folded from its events.
pub type Loaded = Folded<PermitState>;

/// Recently used permit states with the position they were folded up to.
pub struct Cache {
    entries: Mutex<HashMap<AggregateRef, Loaded>>,
    capacity: usize,
}

impl Cache {
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: Mutex::default(),
            capacity,
        }
    }

    fn get(&self, aggregate: &AggregateRef) -> Option<Loaded> {
        self.entries.lock().ok()?.get(aggregate).cloned()
    }

    fn put(&self, aggregate: &AggregateRef, loaded: Loaded) {
        if let Ok(mut e) = self.entries.lock() {
            // Crude bound: a full cache starts again; states reload from the log on demand.
            if e.len() >= self.capacity {
                e.clear();
            }
            e.insert(aggregate.clone(), loaded);
        }
    }

    pub fn store_after(
        &self,
        done: &Committed,
        aggregate: &AggregateRef,
        mut loaded: Loaded,
        command_id: uuid::Uuid,
    ) {
        if let Some((_, pos)) = done.positions.iter().find(|(a, _)| a == aggregate) {
            loaded.position = ExpectedPosition::At(*pos);
            loaded.applied.insert(command_id, done.last_sequence);
            self.put(aggregate, loaded);
        }
    }

    pub fn forget(&self, aggregate: &AggregateRef) {
        if let Ok(mut e) = self.entries.lock() {
            e.remove(aggregate);
        }
    }

    pub fn forget_all_of(&self, party: PartyCode) {
        if let Ok(mut e) = self.entries.lock() {
            e.retain(|a, _| a.party != party);
        }
    }
}

/// Aggregate states seen recently, by aggregate: the shape every cache of the handler shares.
pub struct Book<T> {
    entries: Mutex<HashMap<AggregateRef, T>>,
}

impl<T> Default for Book<T> {
    fn default() -> Self {
        Self {
            entries: Mutex::default(),
        }
    }
}

impl<T: Clone> Book<T> {
    pub fn get(&self, aggregate: &AggregateRef) -> Option<T> {
        self.entries.lock().ok()?.get(aggregate).cloned()
    }

    pub fn put(&self, aggregate: &AggregateRef, value: T) {
        if let Ok(mut e) = self.entries.lock() {
            e.insert(aggregate.clone(), value);
        }
    }
}

/// One verified, chain-checked event of an aggregate, decoded, as it is folded.
pub struct Step<E> {
    pub event: E,
    pub sequence: u64,
    pub occurred_at: time::OffsetDateTime,
}

/// An aggregate folded from the log: its state, its position, and the command ids already
/// applied to it (so that a retried command is recognised before it is decided again).
#[derive(Clone, Debug)]
pub struct Folded<S> {
    pub state: S,
    pub position: ExpectedPosition,
    pub applied: HashMap<uuid::Uuid, u64>,
}

type Decode<E> = fn(
    &ecites_events::audit::VerifiedEvent,
    &ecites_events::schema::Upcasters,
) -> Result<E, ecites_events::schema::DecodeError>;

impl<L: EventAppender + EventReader> CommandHandler<L> {
    /// Reads an aggregate, verifying each event's signature and chain link, and folds it.
    pub(super) async fn fold_log<S, E>(
        &self,
        aggregate: &AggregateRef,
        init: S,
        decode: Decode<E>,
        mut step: impl FnMut(S, Step<E>) -> S,
    ) -> Result<Folded<S>, HandlerError> {
        let upcasters = ecites_events::payloads::upcasters();
        let mut folded = Folded {
            state: init,
            position: ExpectedPosition::New,
            applied: HashMap::new(),
        };
        for ev in self.log.read_aggregate(aggregate).await? {
            let v = self.verify(&ev)?;
            let position = folded.position;
            if v.envelope.prev_hash != position.hash()
                || v.envelope.version != position.version() + 1
            {
                return Err(HandlerError::Integrity(format!(
                    "event {} breaks the chain of {aggregate}",
                    ev.sequence
                )));
            }
            let event =
                decode(&v, &upcasters).map_err(|e| HandlerError::Integrity(e.to_string()))?;
            // The commit's last sequence, as its first answer named it, whichever aggregate
            // of an atomic batch this is.
            let last = ecites_events::log::commit_last_sequence(ev.sequence, ev.msg_id.as_deref());
            folded.applied.insert(v.envelope.command_id, last);
            folded.position = ExpectedPosition::At(AggregatePosition {
                version: v.envelope.version,
                sequence: ev.sequence,
                hash: v.hash,
            });
            let s = Step {
                event,
                sequence: ev.sequence,
                occurred_at: v.envelope.occurred_at,
            };
            folded.state = step(folded.state, s);
        }
        Ok(folded)
    }

    /// Whether a cached copy at `position` is still the aggregate's latest (one direct get):
    /// for aggregates that other instances may change while this one holds a copy.
    pub(super) async fn still_latest(
        &self,
        aggregate: &AggregateRef,
        position: ExpectedPosition,
    ) -> Result<bool, HandlerError> {
        let last = self.log.read_last(aggregate).await?.map(|e| e.sequence);
        let cached = match position {
            ExpectedPosition::New => None,
            ExpectedPosition::At(p) => Some(p.sequence),
        };
        Ok(last == cached)
    }

    pub(super) fn verify(&self, ev: &RecordedEvent) -> Result<VerifiedEvent, HandlerError> {
        let keys = self
            .keys
            .read()
            .map_err(|_| HandlerError::Integrity("key store poisoned".into()))?;
        verify_event(ev, &keys).map_err(|r| {
            HandlerError::Integrity(format!("event {} ({}): {r}", ev.sequence, ev.subject))
        })
    }

    pub(super) async fn load_permit(
        &self,
        aggregate: &AggregateRef,
    ) -> Result<Loaded, HandlerError> {
        if let Some(hit) = self.cache.get(aggregate) {
            return Ok(hit);
        }
        let loaded = self
            .fold_log(
                aggregate,
                PermitState::default(),
                PermitEvent::decode,
                |s, step| evolve(s, &step.event),
            )
            .await?;
        if loaded.position != ExpectedPosition::New {
            self.cache.put(aggregate, loaded.clone());
        }
        Ok(loaded)
    }

    /// The last value of a counter aggregate, read from its last event only.
    pub(super) async fn counter(&self, aggregate: AggregateRef) -> Result<Counter, HandlerError> {
        let Some(ev) = self.log.read_last(&aggregate).await? else {
            return Ok(Counter {
                aggregate,
                position: ExpectedPosition::New,
                last: 0,
            });
        };
        let v = self.verify(&ev)?;
        let up = ecites_events::payloads::upcasters();
        let bad = |e: ecites_events::schema::DecodeError| HandlerError::Integrity(e.to_string());
        let last = match v.envelope.event_type.as_str() {
            PermitNumberAllocated::EVENT_TYPE => {
                v.decode::<PermitNumberAllocated>(&up)
                    .map_err(bad)?
                    .sequence
            }
            SecurityStampAllocated::EVENT_TYPE => {
                v.decode::<SecurityStampAllocated>(&up)
                    .map_err(bad)?
                    .stamp_number
            }
            other => {
                return Err(HandlerError::Integrity(format!(
                    "unexpected {other} on {aggregate}"
                )))
            }
        };
        let position = ExpectedPosition::At(AggregatePosition {
            version: v.envelope.version,
            sequence: ev.sequence,
            hash: v.hash,
        });
        Ok(Counter {
            aggregate,
            position,
            last,
        })
    }
}
