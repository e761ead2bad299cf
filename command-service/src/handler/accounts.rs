//! Prepayment accounts in the handler: opening and deposits (their own commands), reading the
//! balance, and the debit a permit payment by `PaymentMethod::PrepaymentDebit` adds to the
//! permit's commit. The debit goes into the same atomic batch as the `PaymentRecorded`, with
//! the account's expected position: a debit racing it on the same account makes the batch
//! fail as a whole, and the payment is decided again against the new balance.

use super::auth::{Denied, Principal, Role};
use super::execute::{change, Remember, Run, Try};
use super::organisations::organisation_ref;
use super::{Accepted, CommandHandler, HandlerError};
use crate::domain::account::{self, AccountCommand, AccountError, AccountEvent, AccountState};
use crate::domain::organisation::OrganisationStatus;
use crate::domain::permit::{PermitError, PermitEvent, PermitState};
use ecites_events::payloads::permit::{PaymentMethod, PaymentRecorded};
use ecites_events::{
    AggregateChange, AggregateRef, Committed, EventAppender, EventReader, ExpectedPosition,
    PartyCode,
};
use std::collections::HashMap;
use time::OffsetDateTime;
use uuid::Uuid;

/// An account as folded from its events, with when each movement was recorded (for the
/// statement) and the command ids already applied to it.
#[derive(Clone, Debug)]
pub struct LoadedAccount {
    pub state: AccountState,
    pub position: ExpectedPosition,
    /// Stream sequence and time of each of `state.movements`, in the same order.
    pub recorded: Vec<(u64, OffsetDateTime)>,
    applied: HashMap<Uuid, u64>,
}

/// Account states seen recently. Every use first asks the log for the aggregate's last
/// sequence, so a deposit or debit made through another instance is never missed; the
/// expected position of the commit would catch it anyway, but only after a wasted attempt.
pub type AccountBook = super::load::Book<LoadedAccount>;

impl AccountBook {
    /// After a commit that wrote `events` to the account: the folded state at its new position.
    fn store_after(
        &self,
        done: &Committed,
        aggregate: &AggregateRef,
        mut loaded: LoadedAccount,
        events: &[AccountEvent],
        command_id: Uuid,
        at: OffsetDateTime,
    ) {
        let Some((_, pos)) = done.positions.iter().find(|(a, _)| a == aggregate) else {
            return;
        };
        let before = loaded.state.movements.len();
        loaded.state = events.iter().fold(loaded.state, account::evolve);
        // A commit's events on one aggregate are consecutive and end at `pos`.
        let added = loaded.state.movements.len() - before;
        let first = (pos.sequence + 1).saturating_sub(added as u64);
        loaded
            .recorded
            .extend((0..added as u64).map(|i| (first + i, at)));
        loaded.position = ExpectedPosition::At(*pos);
        loaded.applied.insert(command_id, done.last_sequence);
        self.put(aggregate, loaded);
    }
}

/// The debit a permit payment adds to its commit.
pub(super) struct Debit {
    aggregate: AggregateRef,
    loaded: LoadedAccount,
    events: Vec<AccountEvent>,
}

impl Debit {
    pub(super) fn change(&self) -> Result<AggregateChange, HandlerError> {
        change(&self.aggregate, self.loaded.position, &self.events)
    }
}

pub fn account_ref(party: PartyCode, id: Uuid) -> AggregateRef {
    AggregateRef::new(party, "prepayment_account", &id.to_string())
        .unwrap_or_else(|_| unreachable!("uuids are valid ids"))
}

fn is_officer(who: &Principal) -> bool {
    matches!(who.role, Role::MaOfficer | Role::MaSignatory)
}

impl<L: EventAppender + EventReader> CommandHandler<L> {
    pub(super) async fn load_account(
        &self,
        aggregate: &AggregateRef,
    ) -> Result<LoadedAccount, HandlerError> {
        if let Some(hit) = self.accounts.get(aggregate) {
            if self.still_latest(aggregate, hit.position).await? {
                return Ok(hit);
            }
        }
        let mut recorded = vec![];
        let f = self
            .fold_log(
                aggregate,
                AccountState::default(),
                AccountEvent::decode,
                |state, step| {
                    if !matches!(step.event, AccountEvent::Opened(_)) {
                        recorded.push((step.sequence, step.occurred_at));
                    }
                    account::evolve(state, &step.event)
                },
            )
            .await?;
        let loaded = LoadedAccount {
            state: f.state,
            position: f.position,
            recorded,
            applied: f.applied,
        };
        if loaded.position != ExpectedPosition::New {
            self.accounts.put(aggregate, loaded.clone());
        }
        Ok(loaded)
    }

    /// The currency accounts open in by default: the Party's fee currency.
    pub async fn fee_currency(&self, party: PartyCode) -> Result<String, HandlerError> {
        Ok(self.party_settings(party).await?.currency.clone())
    }

    /// The account with its statement, to the organisation's members (not its agents) and the
    /// Management Authority and auditors; anyone else is told there is no such account.
    pub async fn account(
        &self,
        who: &Principal,
        party: PartyCode,
        id: Uuid,
    ) -> Result<LoadedAccount, HandlerError> {
        let loaded = self.load_account(&account_ref(party, id)).await?;
        let organisation = loaded.state.organisation_id();
        let allowed = match (who.role, organisation) {
            _ if who.party != party => false,
            (_, None) => false,
            (Role::MaOfficer | Role::MaSignatory | Role::Auditor, _) => true,
            (Role::Trader, Some(org)) => self
                .load_organisation(&organisation_ref(party, org))
                .await?
                .state
                .is_staff(&who.user_id),
            _ => {
                return Err(Denied::Role {
                    role: who.role.as_str(),
                    command: "read a prepayment account",
                }
                .into())
            }
        };
        if !allowed {
            return Err(HandlerError::AccountNotFound(id));
        }
        Ok(loaded)
    }

    /// Who may open an account for `organisation` (its staff or the Management Authority),
    /// and who may record a deposit (the Management Authority, which received the money).
    async fn authorize_account(
        &self,
        who: &Principal,
        party: PartyCode,
        command: &AccountCommand,
    ) -> Result<(), HandlerError> {
        if who.party != party {
            return Err(Denied::OtherParty(party).into());
        }
        let role = || Denied::Role {
            role: who.role.as_str(),
            command: command.name(),
        };
        match command {
            AccountCommand::Open {
                organisation_id, ..
            } if is_officer(who) || who.role == Role::Trader => {
                let org = self
                    .load_organisation(&organisation_ref(party, *organisation_id))
                    .await?
                    .state;
                if who.role == Role::Trader && !org.is_staff(&who.user_id) {
                    return Err(Denied::NotStaff(*organisation_id).into());
                }
                if org.status == OrganisationStatus::New {
                    return Err(HandlerError::OrganisationNotFound(*organisation_id));
                }
                Ok(())
            }
            AccountCommand::Deposit { .. } if is_officer(who) => Ok(()),
            AccountCommand::Open { .. } | AccountCommand::Deposit { .. } => Err(role().into()),
            AccountCommand::Debit { .. } => Err(HandlerError::Invalid(
                "an account is debited by paying a permit fee from it".into(),
            )),
        }
    }

    /// Opens an account or records a deposit, idempotently by `command_id`.
    pub async fn handle_account(
        &self,
        who: &Principal,
        party: PartyCode,
        id: Uuid,
        command_id: Uuid,
        command: AccountCommand,
    ) -> Result<Accepted, HandlerError> {
        let aggregate = &account_ref(party, id);
        self.authorize_account(who, party, &command).await?;
        let command = &command;
        let decide = || async move {
            let loaded = self.load_account(aggregate).await?;
            if let Some(sequence) = loaded.applied.get(&command_id) {
                return Ok(Try::Applied(*sequence));
            }
            let opening = matches!(command, AccountCommand::Open { .. });
            if !opening && loaded.position == ExpectedPosition::New {
                return Err(HandlerError::AccountNotFound(id));
            }
            let events = account::decide(&loaded.state, command.clone())?;
            let changes = vec![change(aggregate, loaded.position, &events)?];
            let names = events.iter().map(AccountEvent::event_type).collect();
            let remember: Remember = Box::new(move |done, at| {
                self.accounts
                    .store_after(done, aggregate, loaded, &events, command_id, at)
            });
            Ok(Try::Write {
                changes,
                events: names,
                remember,
            })
        };
        let run = Run {
            who,
            party,
            command_id,
            id,
        };
        // Moved on meanwhile: the next load sees the log's last sequence and rereads.
        self.execute(run, decide, || {}).await
    }

    /// The account debit a payment from a prepayment account needs, decided against the
    /// account as the log has it now; its refusals are the payment's (HTTP 422 with the rule
    /// and the field of the payment request).
    pub(super) async fn prepayment_debit(
        &self,
        party: PartyCode,
        permit_id: Uuid,
        before: &PermitState,
        events: &[PermitEvent],
    ) -> Result<Option<Debit>, HandlerError> {
        let Some((amount, account_id)) = events.iter().find_map(|e| match e {
            PermitEvent::PaymentRecorded(PaymentRecorded {
                amount,
                method: PaymentMethod::PrepaymentDebit { account_id },
            }) => Some((amount.clone(), *account_id)),
            _ => None,
        }) else {
            return Ok(None);
        };
        let aggregate = account_ref(party, account_id);
        let loaded = self.load_account(&aggregate).await?;
        let outstanding = if before.fee_waived {
            0
        } else {
            before.outstanding()
        };
        let command = AccountCommand::Debit {
            amount,
            permit_id,
            organisation_id: before.organisation_id,
            outstanding,
        };
        let events = account::decide(&loaded.state, command).map_err(|e| match e {
            AccountError::Rules(f) => HandlerError::Refused(PermitError::Rules(f)),
            AccountError::Invalid(m) => HandlerError::Refused(PermitError::Invalid(m)),
            other => HandlerError::AccountRefused(other),
        })?;
        Ok(Some(Debit {
            aggregate,
            loaded,
            events,
        }))
    }

    /// After the payment's commit: the account at its new position.
    pub(super) fn debited(
        &self,
        done: &Committed,
        debit: Debit,
        command_id: Uuid,
        at: OffsetDateTime,
    ) {
        self.accounts.store_after(
            done,
            &debit.aggregate,
            debit.loaded,
            &debit.events,
            command_id,
            at,
        );
    }
}
