//! Who may do what (brief §6). Checked before `decide`; a denial writes nothing.

use crate::domain::permit::{PermitCommand as C, PermitState};
use ecites_events::PartyCode;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use crate::domain::lifecycle::Role;

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
    #[error("you are not a member or an agent of organisation {0}")]
    NotListed(Uuid),
    #[error("organisation {organisation_id} is {status}: only an organisation verified by the Management Authority may file")]
    OrganisationNotVerified {
        organisation_id: Uuid,
        status: &'static str,
    },
    #[error("a trader registers only the organisation their account was opened for, not {0}")]
    NotOwnOrganisation(Uuid),
    #[error("only the members of organisation {0} (not its agents) and the Management Authority manage its list")]
    NotStaff(Uuid),
}

/// The roles allowed to give each command: the lifecycle table's.
pub fn roles_for(command: &C) -> &'static [Role] {
    command.action().roles()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::permit::PermitCommand as C;
    use crate::domain::rules::data::ApplicationForm;
    use ecites_events::cites::{IsoDate, Money};
    use ecites_events::payloads::permit::PaymentMethod;

    fn every_command(org: Uuid) -> Vec<C> {
        let reason = || "reason".to_string();
        vec![
            C::Submit {
                organisation_id: org,
                form: ApplicationForm::default(),
            },
            C::ReturnForChanges { reason: reason() },
            C::Resubmit {
                form: ApplicationForm::default(),
            },
            C::Withdraw { reason: None },
            C::AssignReviewer {
                officer_id: "o".into(),
            },
            C::RecordLegalAcquisition {
                evidence: vec![],
                note: None,
            },
            C::RequestScientificOpinion {
                lines: vec![],
                question: None,
            },
            C::GiveScientificOpinion {
                lines: vec![],
                recipient_suitably_equipped: None,
            },
            C::Approve { conditions: vec![] },
            C::Reject { reason: reason() },
            C::RecordPayment {
                amount: Money {
                    minor_units: 1,
                    currency: "USD".into(),
                },
                method: PaymentMethod::EPayment {
                    reference: "r".into(),
                },
            },
            C::WaiveFee { reason: reason() },
            C::Issue {
                permit_number: String::new(),
                security_stamp: 0,
                retrospective_reason: None,
            },
            C::Endorse {
                lines: vec![],
                port: "CMB".into(),
                endorsed_on: IsoDate(time::macros::date!(2026 - 11 - 28)),
                transport_document: None,
            },
            C::Cancel { reason: reason() },
            C::Expire,
            C::ReportLost {
                stolen: false,
                note: None,
            },
            C::MarkReplaced {
                replacement_permit_id: Uuid::nil(),
                reason: reason(),
            },
        ]
    }

    /// The expected matrix, written out independently of `roles_for`.
    fn expected(role: Role, command: &C) -> bool {
        use Role::*;
        let officer = matches!(role, MaOfficer | MaSignatory);
        match command {
            C::Submit { .. } | C::Resubmit { .. } | C::Withdraw { .. } => role == Trader,
            C::RecordPayment { .. } => role == Trader || role == MaOfficer,
            C::GiveScientificOpinion { .. } => role == SaExpert,
            C::Issue { .. } => role == MaSignatory,
            C::Endorse { .. } => role == Customs,
            _ => officer,
        }
    }

    #[test]
    fn every_role_times_every_command() {
        let lk: PartyCode = "LK".parse().unwrap();
        let org = Uuid::now_v7();
        let state = PermitState {
            organisation_id: Some(org),
            ..PermitState::default()
        };
        let mut allowed = 0;
        for role in Role::ALL {
            let who = Principal {
                user_id: "u".into(),
                role,
                party: lk,
                organisation_id: (role == Role::Trader).then_some(org),
            };
            for command in every_command(org) {
                let got = authorize(&who, lk, &command, &state).is_ok();
                assert_eq!(
                    got,
                    expected(role, &command),
                    "{role:?} / {}",
                    command.name()
                );
                allowed += usize::from(got);
            }
        }
        // Trader 4; officer and signatory 11 each; officer payment; SA opinion; issue; endorse.
        assert_eq!(allowed, 4 + 2 * 11 + 1 + 1 + 1 + 1, "allowed pairs");
        // Auditors, Party admins and system operators decide nothing.
        for role in [Role::Auditor, Role::PartyAdmin, Role::SystemOperator] {
            let who = Principal {
                user_id: "u".into(),
                role,
                party: lk,
                organisation_id: None,
            };
            assert!(every_command(org)
                .iter()
                .all(|c| authorize(&who, lk, c, &state).is_err()));
        }
    }

    #[test]
    fn a_trader_never_acts_for_another_organisation_or_party() {
        let lk: PartyCode = "LK".parse().unwrap();
        let (mine, theirs) = (Uuid::now_v7(), Uuid::now_v7());
        let trader = Principal {
            user_id: "t".into(),
            role: Role::Trader,
            party: lk,
            organisation_id: Some(mine),
        };
        let their_state = PermitState {
            organisation_id: Some(theirs),
            ..PermitState::default()
        };
        let withdraw = C::Withdraw { reason: None };
        assert_eq!(
            authorize(&trader, lk, &withdraw, &their_state),
            Err(Denied::OtherOrganisation)
        );
        let submit_for_them = C::Submit {
            organisation_id: theirs,
            form: ApplicationForm::default(),
        };
        assert_eq!(
            authorize(&trader, lk, &submit_for_them, &PermitState::default()),
            Err(Denied::OtherOrganisation)
        );
        let ke: PartyCode = "KE".parse().unwrap();
        let my_state = PermitState {
            organisation_id: Some(mine),
            ..PermitState::default()
        };
        assert_eq!(
            authorize(&trader, ke, &withdraw, &my_state),
            Err(Denied::OtherParty(ke))
        );
    }
}
