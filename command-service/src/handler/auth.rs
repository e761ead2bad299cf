//! Who may do what (brief §6). Checked before `decide`; a denial writes nothing.

use crate::domain::permit::{PermitCommand as C, PermitState};
use ecites_events::PartyCode;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// An applicant or an agent filing for an organisation.
    Trader,
    MaOfficer,
    MaSignatory,
    SaExpert,
    Customs,
    /// Reads everything, changes nothing.
    Auditor,
    PartyAdmin,
    /// Runs the deployment across Parties; decides no permit.
    SystemOperator,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::Trader,
        Role::MaOfficer,
        Role::MaSignatory,
        Role::SaExpert,
        Role::Customs,
        Role::Auditor,
        Role::PartyAdmin,
        Role::SystemOperator,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Trader => "trader",
            Role::MaOfficer => "ma_officer",
            Role::MaSignatory => "ma_signatory",
            Role::SaExpert => "sa_expert",
            Role::Customs => "customs",
            Role::Auditor => "auditor",
            Role::PartyAdmin => "party_admin",
            Role::SystemOperator => "system_operator",
        }
    }
}

/// An authenticated user acting for a Party (and, for traders, an organisation).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    pub user_id: String,
    pub role: Role,
    pub party: PartyCode,
    pub organisation_id: Option<Uuid>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Denied {
    #[error("a {role} may not {command}")]
    Role {
        role: &'static str,
        command: &'static str,
    },
    #[error("this application belongs to another organisation")]
    OtherOrganisation,
    #[error("this permit belongs to Party {0}")]
    OtherParty(PartyCode),
}

/// The roles allowed to give each command.
pub fn roles_for(command: &C) -> &'static [Role] {
    use Role::*;
    match command {
        C::Submit { .. } | C::Resubmit { .. } | C::Withdraw { .. } => &[Trader],
        C::RecordPayment { .. } => &[Trader, MaOfficer],
        C::ReturnForChanges { .. }
        | C::AssignReviewer { .. }
        | C::RecordLegalAcquisition { .. }
        | C::RequestScientificOpinion { .. }
        | C::Approve { .. }
        | C::Reject { .. }
        | C::WaiveFee { .. }
        | C::Cancel { .. }
        | C::ReportLost { .. }
        | C::MarkReplaced { .. }
        | C::Expire => &[MaOfficer, MaSignatory],
        C::GiveScientificOpinion { .. } => &[SaExpert],
        C::Issue { .. } => &[MaSignatory],
        C::Endorse { .. } => &[Customs],
    }
}

/// May `who` give `command` to the permit of `party` in `state`?
pub fn authorize(
    who: &Principal,
    party: PartyCode,
    command: &C,
    state: &PermitState,
) -> Result<(), Denied> {
    if who.party != party {
        return Err(Denied::OtherParty(party));
    }
    if !roles_for(command).contains(&who.role) {
        return Err(Denied::Role {
            role: who.role.as_str(),
            command: command.name(),
        });
    }
    if who.role == Role::Trader {
        let org = match command {
            C::Submit {
                organisation_id, ..
            } => Some(*organisation_id),
            _ => state.organisation_id,
        };
        if org.is_none() || org != who.organisation_id {
            return Err(Denied::OtherOrganisation);
        }
    }
    Ok(())
}
