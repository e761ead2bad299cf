//! Trader organisations in the handler: their commands (load, verify, authorize, decide,
//! append), and the checks the permit commands make against them. A trader files for an
//! organisation only while the Management Authority has it verified and it lists the trader
//! as a member or an agent; a trader sees only the applications of organisations that list it.

use super::auth::{self, Denied, Principal, Role};
use super::execute::{change, Remember, Run, Try};
use super::load::Folded;
use super::{Accepted, CommandHandler, HandlerError};
use crate::domain::organisation::{
    decide, evolve, OrganisationCommand as C, OrganisationEvent, OrganisationState,
    OrganisationStatus,
};
use crate::domain::permit::{PermitCommand, PermitState};
use crate::domain::registration_number::{self, Reservation};
use ecites_events::payloads::organisation::{
    RegistrationNumberReleased, RegistrationNumberReserved,
};
use ecites_events::schema::EventPayload;
use ecites_events::{
    AggregateChange, AggregateRef, AppendError, EventAppender, EventData, EventReader,
    ExpectedPosition, PartyCode,
};
use uuid::Uuid;

/// An organisation as folded from its events.
pub type LoadedOrganisation = Folded<OrganisationState>;

/// Organisation states seen recently. Every use first asks the log for the aggregate's last
/// sequence: a permit command never writes to the organisation, so without that check a
/// suspension made through another instance would go unnoticed here.
pub type OrganisationBook = super::load::Book<LoadedOrganisation>;

pub fn organisation_ref(party: PartyCode, id: Uuid) -> AggregateRef {
    AggregateRef::new(party, "organisation", &id.to_string())
        .unwrap_or_else(|_| unreachable!("uuids are valid ids"))
}

/// The release of a registration number, as `Denied::Role` names it.
pub const RELEASE: &str = "release the registration number of";

fn is_officer(who: &Principal) -> bool {
    matches!(who.role, Role::MaOfficer | Role::MaSignatory)
}

/// May `who` give `command` to organisation `id` of `party` in `state`?
pub fn authorize(
    who: &Principal,
    party: PartyCode,
    id: Uuid,
    command: &C,
    state: &OrganisationState,
) -> Result<(), Denied> {
    if who.party != party {
        return Err(Denied::OtherParty(party));
    }
    let role = || Denied::Role {
        role: who.role.as_str(),
        command: command.name(),
    };
    match command {
        // Self-registration, of the organisation the account was opened for only: nobody
        // claims a company whose id they happen to know.
        C::Register { .. } if who.role == Role::Trader => {
            if who.organisation_id == Some(id) {
                Ok(())
            } else {
                Err(Denied::NotOwnOrganisation(id))
            }
        }
        C::Register { .. } => Err(role()),
        C::Verify { .. } | C::Suspend { .. } if is_officer(who) => Ok(()),
        C::Verify { .. } | C::Suspend { .. } => Err(role()),
        C::AddMember { .. } | C::RemoveMember { .. } if is_officer(who) => Ok(()),
        C::AddMember { .. } | C::RemoveMember { .. } if who.role == Role::Trader => {
            if state.is_staff(&who.user_id) {
                Ok(())
            } else {
                Err(Denied::NotStaff(id))
            }
        }
        C::AddMember { .. } | C::RemoveMember { .. } => Err(role()),
    }
}

/// May `who` file for organisation `id` (submit, and the trader's later commands)? The
/// organisation must list the user, as a member or an agent, and be verified: a company the
/// Management Authority has not checked, or has suspended, gets no permits.
pub fn may_file_for(who: &Principal, id: Uuid, state: &OrganisationState) -> Result<(), Denied> {
    // Membership first, so that a stranger learns nothing of the organisation's standing.
    if state.capacity_of(&who.user_id).is_none() {
        return Err(Denied::NotListed(id));
    }
    if state.status != OrganisationStatus::Verified {
        return Err(Denied::OrganisationNotVerified {
            organisation_id: id,
            status: state.status.name(),
        });
    }
    Ok(())
}

impl<L: EventAppender + EventReader> CommandHandler<L> {
    pub(super) async fn load_organisation(
        &self,
        aggregate: &AggregateRef,
    ) -> Result<LoadedOrganisation, HandlerError> {
        if let Some(hit) = self.organisations.get(aggregate) {
            if self.still_latest(aggregate, hit.position).await? {
                return Ok(hit);
            }
        }
        let loaded = self
            .fold_log(
                aggregate,
                OrganisationState::default(),
                OrganisationEvent::decode,
                |s, step| evolve(s, &step.event),
            )
            .await?;
        if loaded.position != ExpectedPosition::New {
            self.organisations.put(aggregate, loaded.clone());
        }
        Ok(loaded)
    }

    /// The organisation as its members, its agents and the Party's officials may see it.
    pub async fn organisation(
        &self,
        who: &Principal,
        party: PartyCode,
        id: Uuid,
    ) -> Result<OrganisationState, HandlerError> {
        let loaded = self.load_organisation(&organisation_ref(party, id)).await?;
        let unlisted_trader =
            who.role == Role::Trader && loaded.state.capacity_of(&who.user_id).is_none();
        if who.party != party || loaded.position == ExpectedPosition::New || unlisted_trader {
            return Err(HandlerError::OrganisationNotFound(id));
        }
        Ok(loaded.state)
    }

    /// Handles one command on one organisation, idempotently by `command_id`.
    pub async fn handle_organisation(
        &self,
        who: &Principal,
        party: PartyCode,
        id: Uuid,
        command_id: Uuid,
        command: C,
    ) -> Result<Accepted, HandlerError> {
        let aggregate = &organisation_ref(party, id);
        let command = &command;
        let decide = || async move {
            let loaded = self.load_organisation(aggregate).await?;
            if let Some(sequence) = loaded.applied.get(&command_id) {
                return Ok(Try::Applied(*sequence));
            }
            let registering = matches!(command, C::Register { .. });
            if !registering && loaded.position == ExpectedPosition::New {
                return Err(HandlerError::OrganisationNotFound(id));
            }
            authorize(who, party, id, command, &loaded.state)?;
            if let (C::Verify { .. }, Some(registered)) = (command, &loaded.state.registration) {
                self.check_number_held(party, id, &registered.registration_number)
                    .await?;
            }
            let events = decide(&loaded.state, command.clone())?;
            let mut changes = vec![change(aggregate, loaded.position, &events)?];
            if let C::Register {
                registration_number,
                ..
            } = command
            {
                changes.push(self.reserve_number(party, id, registration_number).await?);
            }
            let names = events.iter().map(OrganisationEvent::event_type).collect();
            let remember: Remember = Box::new(move |done, _| {
                let Some((_, pos)) = done.positions.iter().find(|(a, _)| a == aggregate) else {
                    return;
                };
                let mut next = LoadedOrganisation {
                    state: events.iter().fold(loaded.state, evolve),
                    position: ExpectedPosition::At(*pos),
                    applied: loaded.applied,
                };
                next.applied.insert(command_id, done.last_sequence);
                self.organisations.put(aggregate, next);
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

    /// The reservation aggregate of `written` in `party`.
    fn reservation_ref(party: PartyCode, written: &str) -> Result<AggregateRef, HandlerError> {
        let normalised = registration_number::normalise(written)
            .map_err(crate::domain::organisation::OrganisationError::from)?;
        let id = registration_number::reservation_id(party, &normalised);
        AggregateRef::new(
            party,
            RegistrationNumberReserved::AGGREGATE,
            &id.to_string(),
        )
        .map_err(|e| HandlerError::Invalid(e.to_string()))
    }

    /// ORG-REGISTRATION-NUMBER-UNIQUE at verification: the organisation must still hold its
    /// number (not after the MA released it, when another may have registered it).
    async fn check_number_held(
        &self,
        party: PartyCode,
        organisation_id: Uuid,
        written: &str,
    ) -> Result<(), HandlerError> {
        let aggregate = Self::reservation_ref(party, written)?;
        let last = self.load_reservation(&aggregate).await?;
        registration_number::may_verify(last.state.as_ref(), organisation_id, written)
            .map_err(crate::domain::organisation::OrganisationError::from)?;
        Ok(())
    }

    /// The reservation aggregate folded: its last event, position and command ids applied.
    async fn load_reservation(
        &self,
        aggregate: &AggregateRef,
    ) -> Result<Folded<Option<Reservation>>, HandlerError> {
        self.fold_log(aggregate, None, Reservation::decode, |_, step| {
            Some(step.event)
        })
        .await
    }

    /// ORG-REGISTRATION-NUMBER-UNIQUE: the reservation of the number that goes into the
    /// registration's atomic batch, "expects new", or at the aggregate's position when the
    /// number was released. A number held in the log refuses the registration; a reservation
    /// landing meanwhile makes the batch conflict, and the next attempt reads it and refuses.
    async fn reserve_number(
        &self,
        party: PartyCode,
        organisation_id: Uuid,
        written: &str,
    ) -> Result<AggregateChange, HandlerError> {
        let aggregate = Self::reservation_ref(party, written)?;
        let last = self.load_reservation(&aggregate).await?;
        let event = registration_number::reserve(last.state.as_ref(), organisation_id, written)
            .map_err(crate::domain::organisation::OrganisationError::from)?;
        let data = EventData::from_payload(&event)
            .map_err(|e| HandlerError::Append(AppendError::Encoding(e.to_string())))?;
        Ok(AggregateChange {
            aggregate,
            expected: last.position,
            events: vec![data],
        })
    }

    /// The Management Authority releases the company-register number held by organisation
    /// `id`, which it has not verified (pending or suspended), so that another organisation may
    /// register it. Appended at the reservation aggregate's position, idempotently by
    /// `command_id`; the organisation's own events are untouched.
    pub async fn release_registration_number(
        &self,
        who: &Principal,
        party: PartyCode,
        id: Uuid,
        command_id: Uuid,
        reason: &str,
    ) -> Result<Accepted, HandlerError> {
        if who.party != party {
            return Err(Denied::OtherParty(party).into());
        }
        if !is_officer(who) {
            return Err(Denied::Role {
                role: who.role.as_str(),
                command: RELEASE,
            }
            .into());
        }
        let organisation = &organisation_ref(party, id);
        let decide = || async move {
            let loaded = self.load_organisation(organisation).await?;
            let Some(registration) = loaded
                .state
                .registration
                .as_ref()
                .filter(|_| loaded.position != ExpectedPosition::New)
            else {
                return Err(HandlerError::OrganisationNotFound(id));
            };
            let written = registration.registration_number.clone();
            let aggregate = Self::reservation_ref(party, &written)?;
            let last = self.load_reservation(&aggregate).await?;
            if let Some(sequence) = last.applied.get(&command_id) {
                return Ok(Try::Applied(*sequence));
            }
            let event = registration_number::release(
                last.state.as_ref(),
                id,
                loaded.state.status,
                &written,
                reason,
            )
            .map_err(crate::domain::organisation::OrganisationError::from)?;
            let released = [Reservation::Released(event)];
            let changes = vec![change(&aggregate, last.position, &released)?];
            Ok(Try::write(
                changes,
                vec![RegistrationNumberReleased::EVENT_TYPE],
            ))
        };
        let run = Run {
            who,
            party,
            command_id,
            id,
        };
        // Released or reserved meanwhile: the next attempt rereads and decides again.
        self.execute(run, decide, || {}).await
    }

    /// [`may_file_for`] against the organisation as the log has it now.
    pub async fn check_filing(
        &self,
        who: &Principal,
        party: PartyCode,
        organisation_id: Uuid,
    ) -> Result<(), HandlerError> {
        let loaded = self
            .load_organisation(&organisation_ref(party, organisation_id))
            .await?;
        Ok(may_file_for(who, organisation_id, &loaded.state)?)
    }

    /// [`auth::authorize`], and for a trader the organisation's word: verified, and listing
    /// the trader. An agent's account belongs to its own firm, so the account's organisation
    /// differing from the application's is no refusal by itself.
    pub(super) async fn authorize_permit(
        &self,
        who: &Principal,
        party: PartyCode,
        command: &PermitCommand,
        state: &PermitState,
    ) -> Result<(), HandlerError> {
        match auth::authorize(who, party, command, state) {
            Err(Denied::OtherOrganisation) if who.role == Role::Trader => {}
            other => other?,
        }
        if who.role != Role::Trader {
            return Ok(());
        }
        let organisation = match command {
            PermitCommand::Submit {
                organisation_id, ..
            } => Some(*organisation_id),
            _ => state.organisation_id,
        };
        let organisation = organisation.ok_or(Denied::OtherOrganisation)?;
        self.check_filing(who, party, organisation).await
    }

    /// Whether `who` may read a permit: a trader only when listed by its organisation (even
    /// while it is suspended, so that it can follow what is pending).
    pub(super) async fn may_see_permit(
        &self,
        who: &Principal,
        party: PartyCode,
        state: &PermitState,
    ) -> Result<bool, HandlerError> {
        if who.role != Role::Trader {
            return Ok(true);
        }
        let Some(organisation) = state.organisation_id else {
            return Ok(false);
        };
        let loaded = self
            .load_organisation(&organisation_ref(party, organisation))
            .await?;
        Ok(loaded.state.capacity_of(&who.user_id).is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ecites_events::payloads::organisation::*;

    fn lk() -> PartyCode {
        "LK".parse().unwrap()
    }

    fn user(id: &str, role: Role, organisation_id: Option<Uuid>) -> Principal {
        Principal {
            user_id: id.into(),
            role,
            party: lk(),
            organisation_id,
        }
    }

    fn state(status: OrganisationStatus) -> OrganisationState {
        let mut s = OrganisationState {
            status,
            ..OrganisationState::default()
        };
        s.members.insert("staff".into(), MemberCapacity::Member);
        s.members.insert(
            "broker".into(),
            MemberCapacity::Agent {
                agency_organisation_id: None,
            },
        );
        s
    }

    fn commands() -> Vec<C> {
        vec![
            C::Register {
                name: "n".into(),
                registration_number: "r".into(),
                country: lk(),
                address_ref: None,
                registrant: "staff".into(),
            },
            C::Verify { note: "n".into() },
            C::Suspend { reason: "r".into() },
            C::AddMember {
                user_id: "u".into(),
                capacity: MemberCapacity::Member,
            },
            C::RemoveMember {
                user_id: "u".into(),
            },
        ]
    }

    #[test]
    fn who_may_give_each_organisation_command() {
        let org = Uuid::now_v7();
        let s = state(OrganisationStatus::Verified);
        let allowed = |who: &Principal| -> Vec<&'static str> {
            commands()
                .iter()
                .filter(|c| authorize(who, lk(), org, c, &s).is_ok())
                .map(C::name)
                .collect()
        };
        let (add, remove) = ("add a member to", "remove a member from");
        assert_eq!(
            allowed(&user("staff", Role::Trader, Some(org))),
            ["register", add, remove]
        );
        // Registering is for the account's own organisation only; agents manage nothing.
        assert!(allowed(&user("broker", Role::Trader, Some(Uuid::now_v7()))).is_empty());
        assert_eq!(
            allowed(&user("stranger", Role::Trader, Some(org))),
            ["register"]
        );
        for role in [Role::MaOfficer, Role::MaSignatory] {
            assert_eq!(
                allowed(&user("o", role, None)),
                ["verify", "suspend", add, remove]
            );
        }
        for role in [
            Role::SaExpert,
            Role::Customs,
            Role::Auditor,
            Role::PartyAdmin,
            Role::SystemOperator,
        ] {
            assert!(allowed(&user("x", role, None)).is_empty(), "{role:?}");
        }
        let mut abroad = user("o", Role::MaOfficer, None);
        abroad.party = "KE".parse().unwrap();
        assert_eq!(
            authorize(&abroad, lk(), org, &commands()[1], &s),
            Err(Denied::OtherParty(lk()))
        );
    }

    #[test]
    fn only_listed_users_of_a_verified_organisation_file() {
        let org = Uuid::now_v7();
        let staff = user("staff", Role::Trader, Some(org));
        let broker = user("broker", Role::Trader, Some(Uuid::now_v7()));
        let stranger = user("stranger", Role::Trader, Some(org));
        let verified = state(OrganisationStatus::Verified);
        assert_eq!(may_file_for(&staff, org, &verified), Ok(()));
        assert_eq!(may_file_for(&broker, org, &verified), Ok(()));
        assert_eq!(
            may_file_for(&stranger, org, &verified),
            Err(Denied::NotListed(org)),
            "the account's organisation alone is not enough"
        );
        for status in [
            OrganisationStatus::New,
            OrganisationStatus::Pending,
            OrganisationStatus::Suspended,
        ] {
            assert_eq!(
                may_file_for(&staff, org, &state(status)),
                Err(Denied::OrganisationNotVerified {
                    organisation_id: org,
                    status: status.name()
                })
            );
            assert_eq!(
                may_file_for(&stranger, org, &state(status)),
                Err(Denied::NotListed(org)),
                "nothing about its standing to a stranger"
            );
        }
    }
}
