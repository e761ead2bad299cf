//! The trader organisation aggregate: a company registers itself (pending), the Management
//! Authority verifies or suspends it, and the users who file for it are listed as members
//! (its staff) or agents (e.g. a customs broker). Whether a user may file for it is decided
//! from this state by `handler::organisations::may_file_for`.

use crate::domain::aggregate::aggregate_events;
use ecites_events::payloads::organisation::*;
use ecites_events::PartyCode;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OrganisationCommand {
    /// Self-registration; the registering user becomes the first member.
    Register {
        name: String,
        registration_number: String,
        country: PartyCode,
        address_ref: Option<String>,
        registrant: String,
    },
    /// Also reinstates a suspended organisation.
    Verify {
        note: String,
    },
    Suspend {
        reason: String,
    },
    AddMember {
        user_id: String,
        capacity: MemberCapacity,
    },
    RemoveMember {
        user_id: String,
    },
}

impl OrganisationCommand {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Register { .. } => "register",
            Self::Verify { .. } => "verify",
            Self::Suspend { .. } => "suspend",
            Self::AddMember { .. } => "add a member to",
            Self::RemoveMember { .. } => "remove a member from",
        }
    }
}

aggregate_events! {
    pub enum OrganisationEvent ("an organisation event") {
        Registered(OrganisationRegistered),
        Verified(OrganisationVerified),
        Suspended(OrganisationSuspended),
        MemberAdded(MemberAdded),
        MemberRemoved(MemberRemoved),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrganisationStatus {
    /// No event yet.
    New,
    /// Registered, waiting for the Management Authority.
    Pending,
    Verified,
    Suspended,
}

impl OrganisationStatus {
    pub fn name(self) -> &'static str {
        match self {
            Self::New => "not registered",
            Self::Pending => "pending verification",
            Self::Verified => "verified",
            Self::Suspended => "suspended",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrganisationState {
    pub status: OrganisationStatus,
    pub registration: Option<OrganisationRegistered>,
    /// Listed users by user id.
    pub members: BTreeMap<String, MemberCapacity>,
}

impl Default for OrganisationState {
    fn default() -> Self {
        Self {
            status: OrganisationStatus::New,
            registration: None,
            members: BTreeMap::new(),
        }
    }
}

impl OrganisationState {
    pub fn capacity_of(&self, user_id: &str) -> Option<&MemberCapacity> {
        self.members.get(user_id)
    }

    /// A member in the full sense: staff, not an agent.
    pub fn is_staff(&self, user_id: &str) -> bool {
        matches!(self.capacity_of(user_id), Some(MemberCapacity::Member))
    }

    fn staff_count(&self) -> usize {
        self.members
            .values()
            .filter(|c| matches!(c, MemberCapacity::Member))
            .count()
    }
}

/// Folds one event into the state. Pure and total: events are facts, never refused here.
pub fn evolve(mut s: OrganisationState, event: &OrganisationEvent) -> OrganisationState {
    use OrganisationEvent as E;
    match event {
        E::Registered(e) => {
            s.status = OrganisationStatus::Pending;
            s.registration = Some(e.clone());
        }
        E::Verified(_) => s.status = OrganisationStatus::Verified,
        E::Suspended(_) => s.status = OrganisationStatus::Suspended,
        E::MemberAdded(e) => {
            s.members.insert(e.user_id.clone(), e.capacity.clone());
        }
        E::MemberRemoved(e) => {
            s.members.remove(&e.user_id);
        }
    }
    s
}

/// Why an organisation command was refused. Nothing is written in any case.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OrganisationError {
    #[error("cannot {command} an organisation that is {status}")]
    InvalidTransition {
        command: &'static str,
        status: &'static str,
    },
    #[error("user {0} is already listed; remove them first to change their capacity")]
    AlreadyListed(String),
    #[error("user {0} is not listed in this organisation")]
    NotListed(String),
    /// Without a member nobody but the Management Authority could act for the organisation.
    #[error("user {0} is the organisation's last member; add another member first")]
    LastMember(String),
    #[error("{0}")]
    Invalid(String),
    /// ORG-REGISTRATION-NUMBER-UNIQUE (`domain::registration_number`).
    #[error(transparent)]
    RegistrationNumber(#[from] super::registration_number::NumberError),
}

type Decision = Result<Vec<OrganisationEvent>, OrganisationError>;

/// The trimmed text, refused when empty.
fn text(field: &str, value: &str) -> Result<String, OrganisationError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(OrganisationError::Invalid(format!(
            "{field} must not be empty"
        )));
    }
    Ok(v.to_string())
}

/// The number as written (trimmed), refused when it has no letter or digit to compare on.
fn registration_number_text(value: &str) -> Result<String, OrganisationError> {
    let v = text("registration_number", value)?;
    super::registration_number::normalise(&v)?;
    Ok(v)
}

/// User ids are compared with the session's exactly, so they must not hide whitespace.
fn user_id(value: &str) -> Result<String, OrganisationError> {
    let v = text("user_id", value)?;
    if v.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(OrganisationError::Invalid(format!(
            "user_id {v:?} must not contain spaces or control characters"
        )));
    }
    Ok(v)
}

pub fn decide(state: &OrganisationState, command: OrganisationCommand) -> Decision {
    use OrganisationCommand as C;
    use OrganisationEvent as E;
    use OrganisationStatus as S;
    let refused = |command: &C| OrganisationError::InvalidTransition {
        command: command.name(),
        status: state.status.name(),
    };
    match (state.status, &command) {
        (
            S::New,
            C::Register {
                name,
                registration_number,
                country,
                address_ref,
                registrant,
            },
        ) => Ok(vec![
            E::Registered(OrganisationRegistered {
                name: text("name", name)?,
                registration_number: registration_number_text(registration_number)?,
                country: *country,
                address_ref: address_ref
                    .as_deref()
                    .map(str::trim)
                    .filter(|a| !a.is_empty())
                    .map(String::from),
            }),
            E::MemberAdded(MemberAdded {
                user_id: user_id(registrant)?,
                capacity: MemberCapacity::Member,
            }),
        ]),
        (S::Pending | S::Suspended, C::Verify { note }) => {
            Ok(vec![E::Verified(OrganisationVerified {
                verified_by_note: text("note", note)?,
            })])
        }
        (S::Pending | S::Verified, C::Suspend { reason }) => {
            Ok(vec![E::Suspended(OrganisationSuspended {
                reason: text("reason", reason)?,
            })])
        }
        (
            S::Pending | S::Verified | S::Suspended,
            C::AddMember {
                user_id: u,
                capacity,
            },
        ) => {
            let u = user_id(u)?;
            if state.members.contains_key(&u) {
                return Err(OrganisationError::AlreadyListed(u));
            }
            Ok(vec![E::MemberAdded(MemberAdded {
                user_id: u,
                capacity: capacity.clone(),
            })])
        }
        (S::Pending | S::Verified | S::Suspended, C::RemoveMember { user_id: u }) => {
            let u = user_id(u)?;
            if !state.members.contains_key(&u) {
                return Err(OrganisationError::NotListed(u));
            }
            if state.is_staff(&u) && state.staff_count() == 1 {
                return Err(OrganisationError::LastMember(u));
            }
            Ok(vec![E::MemberRemoved(MemberRemoved { user_id: u })])
        }
        _ => Err(refused(&command)),
    }
}

#[cfg(test)]
#[path = "organisation_tests.rs"]
mod tests;
