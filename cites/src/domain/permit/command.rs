//! What officers, traders, the Scientific Authority and customs ask of a permit.

use crate::domain::rules::data::ApplicationForm;
use ecites_events::cites::{IsoDate, Money};
use ecites_events::payloads::permit::{EndorsedLine, LineOpinion, PaymentMethod};
use uuid::Uuid;

#[derive(Clone, Debug)]
pub enum PermitCommand {
    Submit {
        organisation_id: Uuid,
        form: ApplicationForm,
    },
    ReturnForChanges {
        reason: String,
    },
    Resubmit {
        form: ApplicationForm,
    },
    Withdraw {
        reason: Option<String>,
    },
    AssignReviewer {
        officer_id: String,
    },
    RecordLegalAcquisition {
        evidence: Vec<String>,
        note: Option<String>,
    },
    RequestScientificOpinion {
        lines: Vec<u32>,
        question: Option<String>,
    },
    GiveScientificOpinion {
        lines: Vec<LineOpinion>,
        recipient_suitably_equipped: Option<bool>,
    },
    Approve {
        conditions: Vec<String>,
    },
    Reject {
        reason: String,
    },
    RecordPayment {
        amount: Money,
        method: PaymentMethod,
    },
    WaiveFee {
        reason: String,
    },
    /// Number and stamp are allocated by the handler in the same atomic commit.
    Issue {
        permit_number: String,
        security_stamp: u64,
        /// The officer's reason for issuing for a consignment that already left, under the
        /// Party's exception to PERMIT-NO-RETROSPECTIVE.
        retrospective_reason: Option<String>,
    },
    Endorse {
        lines: Vec<EndorsedLine>,
        port: String,
        endorsed_on: IsoDate,
        transport_document: Option<String>,
    },
    Cancel {
        reason: String,
    },
    Expire,
    ReportLost {
        stolen: bool,
        note: Option<String>,
    },
    MarkReplaced {
        replacement_permit_id: Uuid,
        reason: String,
    },
}

impl PermitCommand {
    /// Whether the command may write to aggregates every issuance shares (the numbering series,
    /// the stamp stock, quotas).
    pub fn touches_shared_aggregates(&self) -> bool {
        matches!(
            self,
            Self::Issue { .. }
                | Self::Endorse { .. }
                | Self::Cancel { .. }
                | Self::Expire
                | Self::ReportLost { .. }
                | Self::MarkReplaced { .. }
        )
    }

    pub fn name(&self) -> &'static str {
        match self {
            Self::Submit { .. } => "submit",
            Self::ReturnForChanges { .. } => "return for changes",
            Self::Resubmit { .. } => "resubmit",
            Self::Withdraw { .. } => "withdraw",
            Self::AssignReviewer { .. } => "assign a reviewer",
            Self::RecordLegalAcquisition { .. } => "record legal acquisition",
            Self::RequestScientificOpinion { .. } => "request the Scientific Authority's opinion",
            Self::GiveScientificOpinion { .. } => "give the Scientific Authority's opinion",
            Self::Approve { .. } => "approve",
            Self::Reject { .. } => "reject",
            Self::RecordPayment { .. } => "record a payment",
            Self::WaiveFee { .. } => "waive the fee",
            Self::Issue { .. } => "issue",
            Self::Endorse { .. } => "endorse",
            Self::Cancel { .. } => "cancel",
            Self::Expire => "expire",
            Self::ReportLost { .. } => "report lost or stolen",
            Self::MarkReplaced { .. } => "replace",
        }
    }
}
