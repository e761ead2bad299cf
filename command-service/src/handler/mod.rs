//! Command handling: load an aggregate (from memory or the log), authorize, decide, append.
//!
//! Recently used aggregate states are kept in memory with their last position; the log's
//! expected-sequence check catches a stale copy, which is then reloaded and decided again.
//! Issuing a permit commits the permit, the next permit number and the next security stamp in
//! one atomic batch, so numbers stay gapless and a lost race leaves nothing behind.

pub mod auth;
mod load;

use crate::domain::context::{DecisionContext, PartySettings, QuotaState, Reference};
use crate::domain::permit::{decide, PermitCommand, PermitError, PermitEvent, PermitState};
use auth::{authorize, Denied, Principal};
use ecites_events::cites::IsoDate;
use ecites_events::payloads::numbering::{PermitNumberAllocated, SecurityStampAllocated};
use ecites_events::{
    Actor, AggregateChange, AggregateRef, AppendError, Commit, EventAppender, EventData,
    EventReader, ExpectedPosition, PartyCode, PublicKeys, ReadError,
};
use load::{Cache, Counter, Loaded};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use uuid::Uuid;

/// Attempts of one command when its aggregates moved on in between.
const ATTEMPTS: usize = 4;

#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    #[error("forbidden: {0}")]
    Denied(#[from] Denied),
    #[error("no permit application {0}")]
    NotFound(Uuid),
    #[error(transparent)]
    Refused(#[from] PermitError),
    #[error("the permit kept changing while the command was decided; try again")]
    Contended,
    #[error("Party {0} is not configured in this deployment")]
    UnknownParty(PartyCode),
    #[error("the log failed verification: {0}")]
    Integrity(String),
    #[error(transparent)]
    Append(AppendError),
    #[error(transparent)]
    Read(#[from] ReadError),
}

/// The outcome of an accepted command.
#[derive(Clone, Debug)]
pub struct Accepted {
    pub permit_id: Uuid,
    /// `None` when the command id had already been applied (idempotent retry).
    pub events: Vec<&'static str>,
    pub position: String,
    pub duplicate: bool,
}

pub struct CommandHandler<L> {
    log: L,
    keys: Arc<RwLock<PublicKeys>>,
    reference: Arc<dyn Reference>,
    settings: RwLock<HashMap<PartyCode, Arc<PartySettings>>>,
    quotas: RwLock<HashMap<PartyCode, Arc<Vec<QuotaState>>>>,
    cache: Cache,
    today: fn() -> IsoDate,
}

fn utc_today() -> IsoDate {
    IsoDate(time::OffsetDateTime::now_utc().date())
}

impl<L: EventAppender + EventReader> CommandHandler<L> {
    pub fn new(log: L, keys: PublicKeys, reference: Arc<dyn Reference>) -> Self {
        Self {
            log,
            keys: Arc::new(RwLock::new(keys)),
            reference,
            settings: RwLock::default(),
            quotas: RwLock::default(),
            cache: Cache::new(100_000),
            today: utc_today,
        }
    }

    /// Sets the clock (tests pin the decision date).
    pub fn with_clock(mut self, today: fn() -> IsoDate) -> Self {
        self.today = today;
        self
    }

    pub fn configure_party(&self, settings: PartySettings) {
        if let Ok(mut s) = self.settings.write() {
            s.insert(settings.party, Arc::new(settings));
        }
    }

    pub fn set_quotas(&self, party: PartyCode, quotas: Vec<QuotaState>) {
        if let Ok(mut q) = self.quotas.write() {
            q.insert(party, Arc::new(quotas));
        }
    }

    pub fn log(&self) -> &L {
        &self.log
    }

    fn party_settings(&self, party: PartyCode) -> Result<Arc<PartySettings>, HandlerError> {
        self.settings
            .read()
            .ok()
            .and_then(|s| s.get(&party).cloned())
            .ok_or(HandlerError::UnknownParty(party))
    }

    fn party_quotas(&self, party: PartyCode) -> Arc<Vec<QuotaState>> {
        self.quotas
            .read()
            .ok()
            .and_then(|q| q.get(&party).cloned())
            .unwrap_or_default()
    }

    fn permit_ref(party: PartyCode, id: Uuid) -> AggregateRef {
        AggregateRef::new(party, "permit", &id.to_string())
            .unwrap_or_else(|_| unreachable!("uuids are valid ids"))
    }

    /// The current state of a permit, for the command side's own reads.
    pub async fn permit(
        &self,
        who: &Principal,
        party: PartyCode,
        id: Uuid,
    ) -> Result<PermitState, HandlerError> {
        let loaded = self.load_permit(&Self::permit_ref(party, id)).await?;
        let state = loaded.state;
        if loaded.position == ExpectedPosition::New {
            return Err(HandlerError::NotFound(id));
        }
        let trader_elsewhere =
            who.role == auth::Role::Trader && state.organisation_id != who.organisation_id;
        if who.party != party || trader_elsewhere {
            return Err(HandlerError::NotFound(id));
        }
        Ok(state)
    }

    /// Handles one command on one permit, idempotently by `command_id`.
    pub async fn handle(
        &self,
        who: &Principal,
        party: PartyCode,
        permit_id: Uuid,
        command_id: Uuid,
        command: PermitCommand,
    ) -> Result<Accepted, HandlerError> {
        let settings = self.party_settings(party)?;
        let quotas = self.party_quotas(party);
        let aggregate = Self::permit_ref(party, permit_id);
        for _ in 0..ATTEMPTS {
            let loaded = self.load_permit(&aggregate).await?;
            if let Some(sequence) = loaded.applied.get(&command_id) {
                return Ok(Accepted {
                    permit_id,
                    events: vec![],
                    position: format!("{party}:{sequence}"),
                    duplicate: true,
                });
            }
            let (state, expected) = (&loaded.state, loaded.position);
            let is_new = matches!(command, PermitCommand::Submit { .. });
            if !is_new && expected == ExpectedPosition::New {
                return Err(HandlerError::NotFound(permit_id));
            }
            authorize(who, party, &command, state)?;
            let ctx = DecisionContext {
                today: (self.today)(),
                reference: self.reference.as_ref(),
                settings: &settings,
                quotas: &quotas,
            };
            let (command, counters) = self
                .with_allocations(party, permit_id, command.clone(), &ctx)
                .await?;
            let events = decide(state, command, &ctx)?;
            let commit = self.commit(who, command_id, &aggregate, expected, &events, counters)?;
            match self.log.append(commit).await {
                Ok(done) => {
                    let state = events
                        .iter()
                        .fold(loaded.state.clone(), crate::domain::permit::evolve);
                    self.cache.store_after(
                        &done,
                        &aggregate,
                        Loaded { state, ..loaded },
                        command_id,
                    );
                    return Ok(Accepted {
                        permit_id,
                        events: events.iter().map(PermitEvent::event_type).collect(),
                        position: done.position_token(),
                        duplicate: false,
                    });
                }
                Err(AppendError::Duplicate { sequence, .. }) => {
                    self.cache.forget(&aggregate);
                    return Ok(Accepted {
                        permit_id,
                        events: vec![],
                        position: format!("{party}:{sequence}"),
                        duplicate: true,
                    });
                }
                Err(AppendError::Conflict { .. }) => {
                    // Someone else moved one of the aggregates: forget what we knew, decide again.
                    self.cache.forget_all_of(party);
                }
                Err(e) => return Err(HandlerError::Append(e)),
            }
        }
        Err(HandlerError::Contended)
    }

    /// Issuance takes the next permit number and security stamp; they are decided here so
    /// that the permit, the number and the stamp are one atomic commit.
    async fn with_allocations(
        &self,
        party: PartyCode,
        permit_id: Uuid,
        command: PermitCommand,
        ctx: &DecisionContext<'_>,
    ) -> Result<(PermitCommand, Vec<(Counter, EventData)>), HandlerError> {
        let PermitCommand::Issue { .. } = command else {
            return Ok((command, vec![]));
        };
        let year = ctx.today.0.year();
        let numbering = self
            .counter(
                AggregateRef::new(
                    party,
                    "numbering",
                    &format!("{}-{year}", party.subject_token()),
                )
                .map_err(|e| HandlerError::Integrity(e.to_string()))?,
            )
            .await?;
        let stamps = self
            .counter(
                AggregateRef::new(party, "security_stamp", &party.subject_token())
                    .map_err(|e| HandlerError::Integrity(e.to_string()))?,
            )
            .await?;
        let sequence = numbering.last + 1;
        let permit_number = format!("{party}/{year}/{sequence:06}");
        let stamp_number = stamps.last + 1;
        let encode =
            |e: serde_json::Error| HandlerError::Append(AppendError::Encoding(e.to_string()));
        let number_event = EventData::from_payload(&PermitNumberAllocated {
            year,
            sequence,
            permit_number: permit_number.clone(),
            permit_id,
        })
        .map_err(encode)?;
        let stamp_event = EventData::from_payload(&SecurityStampAllocated {
            stamp_number,
            permit_id,
        })
        .map_err(encode)?;
        Ok((
            PermitCommand::Issue {
                permit_number,
                security_stamp: stamp_number,
            },
            vec![(numbering, number_event), (stamps, stamp_event)],
        ))
    }

    fn commit(
        &self,
        who: &Principal,
        command_id: Uuid,
        aggregate: &AggregateRef,
        expected: ExpectedPosition,
        events: &[PermitEvent],
        counters: Vec<(Counter, EventData)>,
    ) -> Result<Commit, HandlerError> {
        let data = events
            .iter()
            .map(PermitEvent::to_data)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| HandlerError::Append(AppendError::Encoding(e.to_string())))?;
        let mut changes = vec![AggregateChange {
            aggregate: aggregate.clone(),
            expected,
            events: data,
        }];
        changes.extend(counters.into_iter().map(|(c, e)| AggregateChange {
            aggregate: c.aggregate,
            expected: c.position,
            events: vec![e],
        }));
        Ok(Commit {
            command_id,
            correlation_id: command_id,
            actor: Actor {
                user_id: who.user_id.clone(),
                role: who.role.as_str().into(),
                party: who.party,
            },
            occurred_at: time::OffsetDateTime::now_utc(),
            changes,
        })
    }
}
