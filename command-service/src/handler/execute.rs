//! The one command executor: every command, whatever its aggregates, is decided against what
//! the log has, written as one atomic commit at the positions it was decided on, and decided
//! again when another writer moved one of them in between.
//!
//! The executor owns the idempotency outcome (a command id already applied, found while
//! deciding or by the log's duplicate window), the retry loop and the conflict outcome; a
//! command brings only its decision. A refusal from the decision ends the run with nothing
//! written; an error of the log is returned as the log's, never as a refusal.

use super::{commit_by, Accepted, CommandHandler, HandlerError};
use crate::handler::auth::Principal;
use ecites_events::PartyCode;
use ecites_events::{AggregateChange, AppendError, Committed, EventAppender, EventReader};
use std::future::Future;
use time::OffsetDateTime;
use uuid::Uuid;

/// Attempts of one command when its aggregates moved on in between.
const ATTEMPTS: usize = 4;

/// Updates this process's copies of the written aggregates once the log has the commit.
pub(super) type Remember<'a> = Box<dyn FnOnce(&Committed, OffsetDateTime) + Send + 'a>;

/// What one try of a command decided.
pub(super) enum Try<'a> {
    /// The command id is already applied to the aggregate, by the commit at this sequence.
    Applied(u64),
    /// Write these changes in one atomic commit.
    Write {
        changes: Vec<AggregateChange>,
        /// The wire names of the command's own events, for the answer.
        events: Vec<&'static str>,
        remember: Remember<'a>,
    },
}

impl<'a> Try<'a> {
    /// A commit that needs nothing remembered after it.
    pub(super) fn write(changes: Vec<AggregateChange>, events: Vec<&'static str>) -> Self {
        Self::Write {
            changes,
            events,
            remember: Box::new(|_, _| {}),
        }
    }
}

/// Who gives which command, on which aggregate (the id the answer names).
pub(super) struct Run<'a, I> {
    pub who: &'a Principal,
    pub party: PartyCode,
    pub command_id: Uuid,
    pub id: I,
}

impl<L: EventAppender + EventReader> CommandHandler<L> {
    /// Decides and writes until the commit lands, the command proves a duplicate, the
    /// decision refuses, or the aggregates kept moving for every attempt (`Contended`).
    /// `moved_on` forgets the copies a lost race proved stale.
    pub(super) async fn execute<'a, I, D, F>(
        &self,
        run: Run<'_, I>,
        mut decide: D,
        mut moved_on: impl FnMut(),
    ) -> Result<Accepted<I>, HandlerError>
    where
        D: FnMut() -> F,
        F: Future<Output = Result<Try<'a>, HandlerError>>,
    {
        for _ in 0..ATTEMPTS {
            let (changes, events, remember) = match decide().await? {
                Try::Applied(sequence) => {
                    return Ok(Accepted::duplicate(run.id, run.party, sequence))
                }
                Try::Write {
                    changes,
                    events,
                    remember,
                } => (changes, events, remember),
            };
            let commit = commit_by(run.who, run.command_id, changes);
            let occurred_at = commit.occurred_at;
            match self.log.append(commit).await {
                Ok(done) => {
                    remember(&done, occurred_at);
                    return Ok(Accepted::new(run.id, events, done.position()).receipt(&done));
                }
                Err(AppendError::Duplicate { sequence, .. }) => {
                    moved_on();
                    return Ok(Accepted::duplicate(run.id, run.party, sequence));
                }
                Err(AppendError::Conflict { .. }) => moved_on(),
                Err(e) => return Err(HandlerError::Append(e)),
            }
        }
        Err(HandlerError::Contended)
    }
}

/// The change that appends `events` to `aggregate` at `expected`.
pub(super) fn change<E>(
    aggregate: &ecites_events::AggregateRef,
    expected: ecites_events::ExpectedPosition,
    events: &[E],
) -> Result<AggregateChange, HandlerError>
where
    E: ecites_cites::domain::aggregate::AggregateEvent,
{
    let events = events
        .iter()
        .map(E::to_data)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| HandlerError::Append(AppendError::Encoding(e.to_string())))?;
    Ok(AggregateChange {
        aggregate: aggregate.clone(),
        expected,
        events,
    })
}

#[cfg(test)]
mod tests {
    //! The executor's outcomes against the in-memory log (which passes the log contract).
    use super::*;
    use crate::domain::permit::PermitError;
    use crate::handler::auth::Role;
    use crate::reference::ReferenceData;
    use ecites_events::keyring::KeyringStore;
    use ecites_events::memory::MemoryLog;
    use ecites_events::payloads::permit::ApplicationWithdrawn;
    use ecites_events::{AggregateRef, EventData, ExpectedPosition, PublicKeys};
    use std::cell::Cell;
    use std::sync::Arc;

    struct Fixture {
        handler: CommandHandler<MemoryLog>,
        who: Principal,
        party: PartyCode,
        _keys: tempfile::TempDir,
    }

    fn fixture() -> Fixture {
        let party: PartyCode = "LK".parse().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let store = KeyringStore::new(dir.path());
        let ring = store.generate(party).unwrap();
        let keys = PublicKeys::from_rings([&store.load_public(party).unwrap()]).unwrap();
        let log = MemoryLog::new([ring.signer]);
        let handler = CommandHandler::new(log, keys, Arc::new(ReferenceData::demo()));
        let who = Principal {
            user_id: "officer".into(),
            role: Role::MaOfficer,
            party,
            organisation_id: None,
        };
        Fixture {
            handler,
            who,
            party,
            _keys: dir,
        }
    }

    fn permit(party: PartyCode) -> AggregateRef {
        AggregateRef::new(party, "permit", &Uuid::now_v7().to_string()).unwrap()
    }

    fn withdrawal(aggregate: &AggregateRef, expected: ExpectedPosition) -> AggregateChange {
        let event = EventData::from_payload(&ApplicationWithdrawn { reason: None }).unwrap();
        AggregateChange {
            aggregate: aggregate.clone(),
            expected,
            events: vec![event],
        }
    }

    fn run(f: &Fixture, command_id: Uuid) -> Run<'_, ()> {
        Run {
            who: &f.who,
            party: f.party,
            command_id,
            id: (),
        }
    }

    /// A fresh aggregate with one event, written past the executor.
    async fn existing(f: &Fixture) -> AggregateRef {
        let aggregate = permit(f.party);
        let change = withdrawal(&aggregate, ExpectedPosition::New);
        let commit = commit_by(&f.who, Uuid::now_v7(), vec![change]);
        f.handler.log.append(commit).await.unwrap();
        aggregate
    }

    #[tokio::test]
    async fn a_command_that_loses_every_race_is_contended_and_writes_nothing() {
        let f = fixture();
        let aggregate = existing(&f).await;
        let head = f.handler.log.head(f.party).await.unwrap();
        let (tries, forgotten) = (Cell::new(0), Cell::new(0));
        let decide = || {
            tries.set(tries.get() + 1);
            // Always decided on a stale copy: the aggregate is believed new.
            let change = withdrawal(&aggregate, ExpectedPosition::New);
            async move { Ok(Try::write(vec![change], vec!["ApplicationWithdrawn"])) }
        };
        let moved_on = || forgotten.set(forgotten.get() + 1);
        let outcome = f
            .handler
            .execute(run(&f, Uuid::now_v7()), decide, moved_on)
            .await;
        assert!(
            matches!(outcome, Err(HandlerError::Contended)),
            "{outcome:?}"
        );
        assert_eq!((tries.get(), forgotten.get()), (ATTEMPTS, ATTEMPTS));
        assert_eq!(f.handler.log.head(f.party).await.unwrap(), head);
    }

    #[tokio::test]
    async fn a_lost_race_is_forgotten_and_decided_again_on_what_the_log_has() {
        let f = fixture();
        let aggregate = existing(&f).await;
        let at = f.handler.load_permit(&aggregate).await.unwrap().position;
        let tries = Cell::new(0);
        let decide = || {
            tries.set(tries.get() + 1);
            let expected = if tries.get() == 1 {
                ExpectedPosition::New
            } else {
                at
            };
            let change = withdrawal(&aggregate, expected);
            async move { Ok(Try::write(vec![change], vec!["ApplicationWithdrawn"])) }
        };
        let accepted = f
            .handler
            .execute(run(&f, Uuid::now_v7()), decide, || {})
            .await
            .unwrap();
        assert_eq!(tries.get(), 2);
        assert!(!accepted.duplicate);
        assert_eq!(accepted.events, vec!["ApplicationWithdrawn"]);
        assert_eq!(accepted.position.sequence, 2);
        assert!(accepted.hash.is_some(), "an accepted command has a receipt");
    }

    #[tokio::test]
    async fn a_command_id_the_log_already_has_is_answered_as_a_duplicate() {
        let f = fixture();
        let aggregate = permit(f.party);
        let command_id = Uuid::now_v7();
        let first = |expected| {
            let change = withdrawal(&aggregate, expected);
            move || {
                let change = change.clone();
                async move { Ok(Try::write(vec![change], vec!["ApplicationWithdrawn"])) }
            }
        };
        let written = f
            .handler
            .execute(run(&f, command_id), first(ExpectedPosition::New), || {})
            .await
            .unwrap();
        // Decided again on a copy that does not know it was applied: the log's window knows.
        let again = f
            .handler
            .execute(run(&f, command_id), first(ExpectedPosition::New), || {})
            .await
            .unwrap();
        assert!(again.duplicate && again.events.is_empty());
        assert_eq!(again.position, written.position);
        assert_eq!(f.handler.log.head(f.party).await.unwrap(), 1);
        // Known applied while deciding: no append at all.
        let applied = || async { Ok(Try::Applied(written.position.sequence)) };
        let known = f
            .handler
            .execute(run(&f, command_id), applied, || {})
            .await
            .unwrap();
        assert!(known.duplicate);
        assert_eq!(known.position, written.position);
    }

    #[tokio::test]
    async fn a_refusal_ends_the_run_at_once_with_nothing_written() {
        let f = fixture();
        let tries = Cell::new(0);
        let decide = || {
            tries.set(tries.get() + 1);
            async {
                Err::<Try, _>(HandlerError::Refused(PermitError::Invalid(
                    "no such thing".into(),
                )))
            }
        };
        let outcome = f
            .handler
            .execute(run(&f, Uuid::now_v7()), decide, || {})
            .await;
        assert!(
            matches!(outcome, Err(HandlerError::Refused(_))),
            "{outcome:?}"
        );
        assert_eq!(tries.get(), 1);
        assert_eq!(f.handler.log.head(f.party).await.unwrap(), 0);
    }
}
