//! The permit's lifecycle in one table: which action each role may take, and in which status.
//! `decide` refuses an action its status does not allow, the command side's authorization
//! refuses a role the action does not name, and the UI offers exactly the actions
//! [`available`] lists: the three agree because they read this table.

use super::permit::{PermitCommand, PermitStatus};
use ecites_events::cites::IsoDate;
use serde::{Deserialize, Serialize};

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

    /// The role of a wire name (`ma_officer`), if any.
    pub fn from_wire(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == name)
    }
}

/// What can happen to a permit: one per permit command.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    Submit,
    Resubmit,
    ReturnForChanges,
    Withdraw,
    AssignReviewer,
    RecordLegalAcquisition,
    RequestScientificOpinion,
    GiveScientificOpinion,
    Approve,
    Reject,
    RecordPayment,
    WaiveFee,
    Issue,
    Endorse,
    Cancel,
    Expire,
    ReportLost,
    MarkReplaced,
}

impl Action {
    pub const ALL: [Action; 18] = [
        Action::Submit,
        Action::Resubmit,
        Action::ReturnForChanges,
        Action::Withdraw,
        Action::AssignReviewer,
        Action::RecordLegalAcquisition,
        Action::RequestScientificOpinion,
        Action::GiveScientificOpinion,
        Action::Approve,
        Action::Reject,
        Action::RecordPayment,
        Action::WaiveFee,
        Action::Issue,
        Action::Endorse,
        Action::Cancel,
        Action::Expire,
        Action::ReportLost,
        Action::MarkReplaced,
    ];

    /// The roles that may take the action (brief §6).
    pub fn roles(self) -> &'static [Role] {
        use Action::*;
        use Role::*;
        match self {
            Submit | Resubmit | Withdraw => &[Trader],
            RecordPayment => &[Trader, MaOfficer],
            ReturnForChanges
            | AssignReviewer
            | RecordLegalAcquisition
            | RequestScientificOpinion
            | Approve
            | Reject
            | WaiveFee
            | Cancel
            | ReportLost
            | MarkReplaced
            | Expire => &[MaOfficer, MaSignatory],
            GiveScientificOpinion => &[SaExpert],
            Issue => &[MaSignatory],
            Endorse => &[Customs],
        }
    }

    /// Whether the action may happen to a permit in `status`. An endorsement is allowed in
    /// every status of an issued document so that PERMIT-ENDORSE-VALID can say why a void or
    /// used one is refused.
    pub fn allowed_in(self, status: PermitStatus) -> bool {
        use Action::*;
        use PermitStatus as S;
        match self {
            Submit => status == S::New,
            Resubmit => status == S::ReturnedForChanges,
            ReturnForChanges | AssignReviewer => {
                matches!(status, S::Submitted | S::UnderReview | S::OpinionGiven)
            }
            Withdraw => matches!(
                status,
                S::Submitted
                    | S::ReturnedForChanges
                    | S::UnderReview
                    | S::OpinionRequested
                    | S::OpinionGiven
                    | S::Approved
            ),
            RecordLegalAcquisition => {
                matches!(
                    status,
                    S::UnderReview | S::OpinionRequested | S::OpinionGiven
                )
            }
            RequestScientificOpinion | Approve => {
                matches!(status, S::UnderReview | S::OpinionGiven)
            }
            GiveScientificOpinion => status == S::OpinionRequested,
            Reject => matches!(
                status,
                S::Submitted | S::UnderReview | S::OpinionRequested | S::OpinionGiven
            ),
            RecordPayment | WaiveFee => !matches!(status, S::New | S::Rejected | S::Withdrawn),
            Issue => status == S::Approved,
            Endorse => status.is_issued_document(),
            Cancel | Expire | ReportLost | MarkReplaced => status == S::Issued,
        }
    }
}

impl PermitCommand {
    pub fn action(&self) -> Action {
        use Action as A;
        match self {
            Self::Submit { .. } => A::Submit,
            Self::ReturnForChanges { .. } => A::ReturnForChanges,
            Self::Resubmit { .. } => A::Resubmit,
            Self::Withdraw { .. } => A::Withdraw,
            Self::AssignReviewer { .. } => A::AssignReviewer,
            Self::RecordLegalAcquisition { .. } => A::RecordLegalAcquisition,
            Self::RequestScientificOpinion { .. } => A::RequestScientificOpinion,
            Self::GiveScientificOpinion { .. } => A::GiveScientificOpinion,
            Self::Approve { .. } => A::Approve,
            Self::Reject { .. } => A::Reject,
            Self::RecordPayment { .. } => A::RecordPayment,
            Self::WaiveFee { .. } => A::WaiveFee,
            Self::Issue { .. } => A::Issue,
            Self::Endorse { .. } => A::Endorse,
            Self::Cancel { .. } => A::Cancel,
            Self::Expire => A::Expire,
            Self::ReportLost { .. } => A::ReportLost,
            Self::MarkReplaced { .. } => A::MarkReplaced,
        }
    }
}

/// Whether an issued document can be used today (what customs at the border ask).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Validity {
    Valid,
    /// No document was issued (an application).
    NotIssued,
    /// Endorsed at export: its one consignment has left.
    Used,
    /// Cancelled, replaced, reported lost or stolen, or expired by the ledger: the reason.
    Void(&'static str),
    /// Still `issued`, but past its last day of validity.
    Expired {
        on: IsoDate,
    },
}

/// PERMIT-ENDORSE-VALID's question, for the banner and the endorsement alike.
pub fn validity(status: PermitStatus, valid_until: Option<IsoDate>, today: IsoDate) -> Validity {
    if let Some(why) = status.void_reason() {
        return Validity::Void(why);
    }
    match (status, valid_until) {
        (PermitStatus::Used, _) => Validity::Used,
        (PermitStatus::Issued, Some(until)) if today > until => Validity::Expired { on: until },
        (PermitStatus::Issued, Some(_)) => Validity::Valid,
        _ => Validity::NotIssued,
    }
}

/// The actions `role` may take on a permit in `status`, in the table's order.
pub fn available(status: PermitStatus, role: Role) -> Vec<Action> {
    Action::ALL
        .into_iter()
        .filter(|a| a.roles().contains(&role) && a.allowed_in(status))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_has_one_wire_name_that_reads_back() {
        let mut seen = std::collections::BTreeSet::new();
        for s in PermitStatus::ALL {
            assert!(seen.insert(s.wire()), "{} twice", s.wire());
            assert_eq!(PermitStatus::from_wire(s.wire()), Some(s));
        }
        assert_eq!(PermitStatus::from_wire("returned_for_changes"), None);
    }

    #[test]
    fn a_signatory_may_approve_and_only_a_signatory_issues() {
        let review = available(PermitStatus::UnderReview, Role::MaSignatory);
        assert!(review.contains(&Action::Approve), "{review:?}");
        for role in Role::ALL {
            let may = available(PermitStatus::Approved, role).contains(&Action::Issue);
            assert_eq!(may, role == Role::MaSignatory, "{role:?}");
        }
    }

    #[test]
    fn an_opinion_given_is_still_under_review() {
        for action in Action::ALL {
            if action != Action::GiveScientificOpinion {
                assert_eq!(
                    action.allowed_in(PermitStatus::OpinionGiven),
                    action.allowed_in(PermitStatus::UnderReview),
                    "{action:?}"
                );
            }
        }
    }

    #[test]
    fn only_an_issued_permit_within_its_days_is_valid() {
        let d = |s: &str| {
            IsoDate(
                time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]"))
                    .unwrap(),
            )
        };
        let until = Some(d("2026-06-30"));
        assert_eq!(
            validity(PermitStatus::Issued, until, d("2026-06-30")),
            Validity::Valid
        );
        assert_eq!(
            validity(PermitStatus::Issued, until, d("2026-07-01")),
            Validity::Expired {
                on: d("2026-06-30")
            }
        );
        assert_eq!(
            validity(PermitStatus::Used, until, d("2026-06-01")),
            Validity::Used
        );
        assert_eq!(
            validity(PermitStatus::Cancelled, until, d("2026-06-01")),
            Validity::Void("cancelled")
        );
        assert_eq!(
            validity(PermitStatus::Approved, None, d("2026-06-01")),
            Validity::NotIssued
        );
    }

    #[test]
    fn auditors_administrators_and_operators_change_no_permit() {
        for status in PermitStatus::ALL {
            for role in [Role::Auditor, Role::PartyAdmin, Role::SystemOperator] {
                assert!(available(status, role).is_empty(), "{role:?} {status:?}");
            }
        }
    }
}
