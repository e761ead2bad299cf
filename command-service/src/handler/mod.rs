//! Command handling: load an aggregate (from memory or the log), authorize, decide, append.
//!
//! Recently used aggregate states are kept in memory with their last position; the log's
//! expected-sequence check catches a stale copy, which is then reloaded and decided again.
//! Issuing a permit commits the permit, the next permit number and the next security stamp in
//! one atomic batch, so numbers stay gapless and a lost race leaves nothing behind.

pub mod accounts;
pub mod assess;
pub mod auth;
pub mod document_types;
pub mod documents;
mod execute;
mod imports;
mod load;
pub mod organisations;
pub mod party_config;
mod quotas;
mod replacement;
pub mod seal;
pub mod specimens;

use crate::domain::context::{DecisionContext, PartySettings, Reference};
use crate::domain::permit::{decide, PermitCommand, PermitError, PermitEvent, PermitState};
use crate::domain::quota::{self, Quota, QuotaEvent};
use auth::{Denied, Principal};
use ecites_events::cites::IsoDate;
use ecites_events::payloads::numbering::{PermitNumberAllocated, SecurityStampAllocated};
use ecites_events::payloads::quota::QuotaSet;
use ecites_events::{
    Actor, AggregateChange, AggregateRef, AppendError, Commit, EventAppender, EventData,
    EventReader, ExpectedPosition, PartyCode, PublicKeys, ReadError,
};
use load::{Cache, Loaded};
use quotas::QuotaBook;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use uuid::Uuid;

/// What one try of a command is about.
struct Attempt<'a> {
    who: &'a Principal,
    party: PartyCode,
    permit_id: Uuid,
    command_id: Uuid,
    aggregate: &'a AggregateRef,
}

#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    #[error("forbidden: {0}")]
    Denied(#[from] Denied),
    #[error("no permit application {0}")]
    NotFound(Uuid),
    #[error("no organisation {0}")]
    OrganisationNotFound(Uuid),
    #[error("no prepayment account {0}")]
    AccountNotFound(Uuid),
    #[error(transparent)]
    AccountRefused(#[from] crate::domain::account::AccountError),
    #[error(transparent)]
    OrganisationRefused(#[from] crate::domain::organisation::OrganisationError),
    #[error(transparent)]
    ConfigRefused(#[from] crate::domain::party_config::PartyConfigError),
    #[error(transparent)]
    Refused(#[from] PermitError),
    #[error(transparent)]
    SpecimenRefused(#[from] crate::domain::specimens::SpecimenError),
    #[error("the permit kept changing while the command was decided; try again")]
    Contended,
    #[error("Party {0} is not configured in this deployment")]
    UnknownParty(PartyCode),
    #[error("the log failed verification: {0}")]
    Integrity(String),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Append(AppendError),
    #[error(transparent)]
    Read(#[from] ReadError),
}

/// The outcome of an accepted command on the aggregate `id` (a permit, an organisation, an
/// account; `()` for the Party's one configuration).
#[derive(Clone, Debug)]
pub struct Accepted<I = Uuid> {
    pub id: I,
    /// The events written; empty for a duplicate.
    pub events: Vec<&'static str>,
    pub position: ecites_events::Position,
    /// The command id had already been applied (idempotent retry); nothing was written.
    pub duplicate: bool,
    /// Hex SHA-256 of the commit's last event: with the position, the caller's receipt, which
    /// an inclusion proof in a signed tree head later confirms (`/api/{party}/proof/inclusion`).
    pub hash: Option<String>,
}

impl<I> Accepted<I> {
    pub fn new(id: I, events: Vec<&'static str>, position: ecites_events::Position) -> Self {
        Self {
            id,
            events,
            position,
            duplicate: false,
            hash: None,
        }
    }

    /// With the receipt of `done`: its last event's hash.
    pub fn receipt(mut self, done: &ecites_events::Committed) -> Self {
        self.hash = done.positions.last().map(|(_, p)| p.hash.to_hex());
        self
    }

    pub fn duplicate(id: I, party: PartyCode, sequence: u64) -> Self {
        Self {
            id,
            events: vec![],
            position: ecites_events::Position::new(party, sequence),
            duplicate: true,
            hash: None,
        }
    }
}

pub struct CommandHandler<L> {
    log: L,
    keys: Arc<RwLock<PublicKeys>>,
    reference: Arc<dyn Reference>,
    settings: RwLock<HashMap<PartyCode, Arc<PartySettings>>>,
    quotas: QuotaBook,
    cache: Cache,
    organisations: organisations::OrganisationBook,
    accounts: accounts::AccountBook,
    documents: Option<Arc<documents::DocumentStore>>,
    party_config: party_config::ConfigBook,
    sealers: seal::Sealers,
    shared: std::sync::Mutex<HashMap<PartyCode, Arc<tokio::sync::Mutex<()>>>>,
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
            quotas: QuotaBook::default(),
            cache: Cache::new(100_000),
            organisations: organisations::OrganisationBook::default(),
            accounts: accounts::AccountBook::default(),
            documents: None,
            party_config: party_config::ConfigBook::default(),
            sealers: seal::Sealers::default(),
            shared: std::sync::Mutex::default(),
            today: utc_today,
        }
    }

    fn shared_lock(&self, party: PartyCode) -> Arc<tokio::sync::Mutex<()>> {
        match self.shared.lock() {
            Ok(mut m) => m.entry(party).or_default().clone(),
            // A poisoned map only loses the queueing; the log's checks still hold.
            Err(_) => Arc::default(),
        }
    }

    /// Seals every permit it issues with these keys (the Parties' signing keys).
    pub fn with_sealers(mut self, sealers: seal::Sealers) -> Self {
        self.sealers = sealers;
        self
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

    pub fn log(&self) -> &L {
        &self.log
    }

    /// The start-up defaults the Party's configuration events are folded over.
    fn base_settings(&self, party: PartyCode) -> Result<Arc<PartySettings>, HandlerError> {
        self.settings
            .read()
            .ok()
            .and_then(|s| s.get(&party).cloned())
            .ok_or(HandlerError::UnknownParty(party))
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
        // A Party this deployment does not serve has no permits here (404, not a log error).
        self.base_settings(party)?;
        let loaded = self.load_permit(&Self::permit_ref(party, id)).await?;
        let state = loaded.state;
        if loaded.position == ExpectedPosition::New {
            return Err(HandlerError::NotFound(id));
        }
        if who.party != party || !self.may_see_permit(who, party, &state).await? {
            return Err(HandlerError::NotFound(id));
        }
        Ok(state)
    }

    /// Handles one command on one permit, idempotently by `command_id`.
    #[tracing::instrument(level = "info", skip_all, fields(%party, %permit_id, %command_id, command = command.name()))]
    pub async fn handle(
        &self,
        who: &Principal,
        party: PartyCode,
        permit_id: Uuid,
        command_id: Uuid,
        command: PermitCommand,
    ) -> Result<Accepted, HandlerError> {
        let aggregate = Self::permit_ref(party, permit_id);
        // Numbers, stamps and quotas are shared by every issuance of the Party: one writer at a
        // time in this process turns conflicts on them into a short queue. Other processes are
        // still kept out by the expected-sequence checks.
        let _turn = if command.touches_shared_aggregates() {
            Some(self.shared_lock(party).lock_owned().await)
        } else {
            None
        };
        let attempt = &Attempt {
            who,
            party,
            permit_id,
            command_id,
            aggregate: &aggregate,
        };
        let command = &command;
        let decide = || async move { self.attempt(attempt, command.clone()).await };
        let run = execute::Run {
            who,
            party,
            command_id,
            id: permit_id,
        };
        // Someone else moved one of the aggregates: forget what we knew, decide again.
        let moved_on = || {
            self.cache.forget_all_of(party);
            self.quotas.forget_party(party);
        };
        self.execute(run, decide, moved_on).await
    }

    /// One try: what to commit, decided on the aggregates as this process last saw them.
    async fn attempt(
        &self,
        a: &Attempt<'_>,
        command: PermitCommand,
    ) -> Result<execute::Try<'_>, HandlerError> {
        let party = a.party;
        let loaded = self.load_permit(a.aggregate).await?;
        if let Some(sequence) = loaded.applied.get(&a.command_id) {
            return Ok(execute::Try::Applied(*sequence));
        }
        let expected = loaded.position;
        if !matches!(command, PermitCommand::Submit { .. }) && expected == ExpectedPosition::New {
            return Err(HandlerError::NotFound(a.permit_id));
        }
        self.authorize_permit(a.who, party, &command, &loaded.state)
            .await?;
        let settings = self.party_settings(party).await?;
        let replaced = self.replaced_permit(party, &command, &loaded.state).await?;
        // Only issuance checks quotas (QUOTA-EXCEEDED); other commands need not read them. A
        // replacement sees the old permit's reservations released, as its commit releases them.
        let quotas = match command {
            PermitCommand::Issue { .. } => {
                let releasing = replaced.as_ref().map(|r| r.target.permit_id);
                self.quota_states(party, releasing).await?
            }
            _ => vec![],
        };
        let named = imports::named_imports(&command, &loaded.state);
        let import_lines = self.import_lines(party, &named, a.permit_id).await?;
        let ctx = DecisionContext {
            today: (self.today)(),
            reference: self.reference.as_ref(),
            settings: &settings,
            quotas: &quotas,
            replacement: replaced.as_ref().map(|r| r.target.clone()),
            imports: &import_lines,
        };
        let (command, mut extra) = self
            .with_allocations(party, a.permit_id, command, &ctx)
            .await?;
        let events = decide(&loaded.state, command, &ctx)?;
        let events = self.with_seal(party, &loaded.state, events).await?;
        self.check_documents(party, &events).await?;
        let (old_id, old_state, old_events) = match &replaced {
            Some(r) => {
                let old_events =
                    Self::replacement_events(r, a.permit_id, &loaded.state, &events, &ctx)?;
                (r.target.permit_id, r.loaded.state.clone(), old_events)
            }
            None => (Uuid::nil(), PermitState::default(), vec![]),
        };
        let quota_changes = self
            .quota_changes(
                party,
                &[
                    (a.permit_id, &loaded.state, &events),
                    (old_id, &old_state, &old_events),
                ],
            )
            .await?;
        if let Some(r) = replaced.as_ref().filter(|_| !old_events.is_empty()) {
            extra.push(execute::change(
                &r.aggregate,
                r.loaded.position,
                &old_events,
            )?);
        }
        for (agg, _, evs, pos) in &quota_changes {
            extra.push(execute::change(agg, *pos, evs)?);
        }
        for (id, before, evs) in [
            (a.permit_id, &loaded.state, &events),
            (old_id, &old_state, &old_events),
        ] {
            let changes = self
                .balance_changes(party, id, before, evs, &import_lines)
                .await?;
            for (agg, pos, evs) in changes {
                extra.push(execute::change(&agg, pos, &evs)?);
            }
        }
        let debit = self
            .prepayment_debit(party, a.permit_id, &loaded.state, &events)
            .await?;
        if let Some(d) = &debit {
            extra.push(d.change()?);
        }
        let mut changes = vec![execute::change(a.aggregate, expected, &events)?];
        changes.extend(extra);
        let names = events.iter().map(PermitEvent::event_type).collect();
        let (aggregate, command_id) = (a.aggregate.clone(), a.command_id);
        let remember: execute::Remember = Box::new(move |done, occurred_at| {
            let state = events
                .iter()
                .fold(loaded.state.clone(), crate::domain::permit::evolve);
            let loaded = Loaded { state, ..loaded };
            self.cache.store_after(done, &aggregate, loaded, command_id);
            let folded: Vec<_> = quota_changes
                .into_iter()
                .map(|(agg, q, evs, _)| (agg, q, evs))
                .collect();
            self.quotas.store_after(done, &folded);
            if let Some(r) = &replaced {
                self.cache.forget(&r.aggregate);
            }
            if let Some(d) = debit {
                self.debited(done, d, command_id, occurred_at);
            }
        });
        Ok(execute::Try::Write {
            changes,
            events: names,
            remember,
        })
    }

    /// The quota events the permit events imply, grouped by quota with its current state.
    async fn quota_changes(
        &self,
        party: PartyCode,
        permits: &[(Uuid, &PermitState, &[PermitEvent])],
    ) -> Result<Vec<(AggregateRef, Quota, Vec<QuotaEvent>, ExpectedPosition)>, HandlerError> {
        let mut grouped: Vec<(String, Vec<QuotaEvent>)> = vec![];
        let consequences = permits
            .iter()
            .flat_map(|(id, before, events)| quota::consequences(*id, before, events));
        for (id, e) in consequences {
            match grouped.iter_mut().find(|(g, _)| *g == id) {
                Some((_, v)) => v.push(e),
                None => grouped.push((id, vec![e])),
            }
        }
        let unit_of = |permit: Uuid, line: u32| {
            permits
                .iter()
                .find(|(id, _, _)| *id == permit)
                .and_then(|(_, state, _)| state.content.as_ref())
                .and_then(|c| c.lines.iter().find(|l| l.line_no == line))
                .and_then(|l| l.unit.clone())
        };
        let mut out = vec![];
        for (id, evs) in grouped {
            let agg = quotas::quota_ref(party, &id)?;
            let (q, pos) = self.load_quota(&agg).await?;
            let evs = quota::in_quota_unit(&q, evs, unit_of);
            out.push((agg, q, evs, pos));
        }
        Ok(out)
    }

    /// Sets or revises a quota (Party admin or MA officer).
    pub async fn set_quota(
        &self,
        who: &Principal,
        party: PartyCode,
        quota_id: &str,
        command_id: Uuid,
        definition: QuotaSet,
    ) -> Result<ecites_events::Position, HandlerError> {
        use auth::Role;
        if who.party != party {
            return Err(Denied::OtherParty(party).into());
        }
        if !matches!(who.role, Role::PartyAdmin | Role::MaOfficer) {
            return Err(Denied::Role {
                role: who.role.as_str(),
                command: "set a quota",
            }
            .into());
        }
        let today = ecites_events::cites::IsoDate(time::OffsetDateTime::now_utc().date());
        let findings = crate::domain::quota::check_definition(&definition, self.reference(), today);
        crate::domain::rules::verdict(findings)
            .map_err(|f| HandlerError::Refused(PermitError::Rules(f)))?;
        let agg = &quotas::quota_ref(party, quota_id)?;
        let definition = &definition;
        let decide = || async move {
            let (q, pos) = self.load_quota(agg).await?;
            let events = vec![QuotaEvent::Set(definition.clone())];
            let changes = vec![execute::change(agg, pos, &events)?];
            let names = events.iter().map(QuotaEvent::event_type).collect();
            let remember: execute::Remember = Box::new(move |done, _| {
                self.quotas.store_after(done, &[(agg.clone(), q, events)]);
                self.quotas.add_to_index(party, quota_id);
            });
            Ok(execute::Try::Write {
                changes,
                events: names,
                remember,
            })
        };
        let run = execute::Run {
            who,
            party,
            command_id,
            id: (),
        };
        let accepted = self
            .execute(run, decide, || self.quotas.forget_party(party))
            .await?;
        Ok(accepted.position)
    }

    /// Issuance takes the next permit number and security stamp; they are decided here so
    /// that the permit, the number and the stamp are one atomic commit.
    async fn with_allocations(
        &self,
        party: PartyCode,
        permit_id: Uuid,
        command: PermitCommand,
        ctx: &DecisionContext<'_>,
    ) -> Result<(PermitCommand, Vec<AggregateChange>), HandlerError> {
        let PermitCommand::Issue {
            retrospective_reason,
            ..
        } = command
        else {
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
        let stamp_number = crate::domain::rules::issuance::next_security_stamp(
            stamps.last,
            ctx.settings.security_stamps,
        )
        .map_err(|f| HandlerError::Refused(PermitError::Rules(vec![f])))?;
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
                retrospective_reason,
            },
            vec![
                AggregateChange {
                    aggregate: numbering.aggregate,
                    expected: numbering.position,
                    events: vec![number_event],
                },
                AggregateChange {
                    aggregate: stamps.aggregate,
                    expected: stamps.position,
                    events: vec![stamp_event],
                },
            ],
        ))
    }
}

/// A command's commit: who gave it and when go into every event's signed envelope.
pub(crate) fn commit_by(
    who: &Principal,
    command_id: Uuid,
    changes: Vec<AggregateChange>,
) -> Commit {
    Commit {
        command_id,
        correlation_id: command_id,
        actor: Actor {
            user_id: who.user_id.clone(),
            role: who.role.as_str().into(),
            party: who.party,
        },
        occurred_at: time::OffsetDateTime::now_utc(),
        changes,
    }
}

impl<L> CommandHandler<L> {
    /// The reference data decisions consult (for commands that name a species).
    pub fn reference(&self) -> &dyn Reference {
        self.reference.as_ref()
    }
}
