//! The state of one permit application and its permit, folded from its events by `evolve`.

use super::event::PermitEvent;
use crate::domain::rules::findings::Review;
use ecites_events::cites::{IsoDate, Money};
use ecites_events::payloads::permit::{
    ApplicationContent, PermitEndorsed, QuotaUse, ReplacementRequested, RuleFinding,
};
use serde::Serialize;
use uuid::Uuid;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PermitStatus {
    /// No event yet.
    New,
    Submitted,
    ReturnedForChanges,
    UnderReview,
    OpinionRequested,
    /// Under review, the Scientific Authority's opinion given.
    OpinionGiven,
    Approved,
    Rejected,
    Withdrawn,
    Issued,
    /// Endorsed at export: the one consignment has left.
    Used,
    Expired,
    Cancelled,
    Replaced,
    LostOrStolen,
}

impl PermitStatus {
    pub const ALL: [PermitStatus; 15] = [
        Self::New,
        Self::Submitted,
        Self::ReturnedForChanges,
        Self::UnderReview,
        Self::OpinionRequested,
        Self::OpinionGiven,
        Self::Approved,
        Self::Rejected,
        Self::Withdrawn,
        Self::Issued,
        Self::Used,
        Self::Expired,
        Self::Cancelled,
        Self::Replaced,
        Self::LostOrStolen,
    ];

    /// The one name of the status in every API, read model and page (`under_review`).
    pub const fn wire(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Submitted => "submitted",
            Self::ReturnedForChanges => "returned",
            Self::UnderReview => "under_review",
            Self::OpinionRequested => "opinion_requested",
            Self::OpinionGiven => "opinion_given",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Withdrawn => "withdrawn",
            Self::Issued => "issued",
            Self::Used => "used",
            Self::Expired => "expired",
            Self::Cancelled => "cancelled",
            Self::Replaced => "replaced",
            Self::LostOrStolen => "lost",
        }
    }

    pub fn from_wire(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.wire() == name)
    }

    /// A document was issued: in force, used, or void (expired, cancelled, replaced, lost).
    pub fn is_issued_document(self) -> bool {
        matches!(
            self,
            Self::Issued
                | Self::Used
                | Self::Expired
                | Self::Cancelled
                | Self::Replaced
                | Self::LostOrStolen
        )
    }

    /// Why a document in this status may no longer be used, if it is void.
    pub fn void_reason(self) -> Option<&'static str> {
        match self {
            Self::Cancelled => Some("cancelled"),
            Self::Replaced => Some("replaced by another permit"),
            Self::LostOrStolen => Some("reported lost or stolen"),
            Self::Expired => Some("expired"),
            _ => None,
        }
    }

    /// How the status reads in a refusal ("cannot approve a permit application that is …").
    pub fn name(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Submitted => "submitted",
            Self::ReturnedForChanges => "returned for changes",
            Self::UnderReview => "under review",
            Self::OpinionRequested => "awaiting the Scientific Authority's opinion",
            Self::OpinionGiven => "under review (the Scientific Authority's opinion given)",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Withdrawn => "withdrawn",
            Self::Issued => "issued",
            Self::Used => "used",
            Self::Expired => "expired",
            Self::Cancelled => "cancelled",
            Self::Replaced => "replaced",
            Self::LostOrStolen => "reported lost or stolen",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuedPermit {
    pub permit_number: String,
    pub security_stamp: u64,
    pub issued_on: IsoDate,
    pub valid_until: IsoDate,
    pub quota_use: Vec<QuotaUse>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PermitState {
    pub status: PermitStatus,
    pub organisation_id: Option<Uuid>,
    pub content: Option<ApplicationContent>,
    pub warnings: Vec<RuleFinding>,
    pub reviewer: Option<String>,
    pub review: Review,
    pub conditions: Vec<String>,
    pub fee: Option<Money>,
    pub paid_minor_units: i64,
    pub fee_waived: bool,
    pub permit: Option<IssuedPermit>,
    pub endorsement: Option<PermitEndorsed>,
    /// The issued permit this application replaces.
    pub replaces: Option<ReplacementRequested>,
    /// The permit's `CP1` seal, once recorded.
    pub seal: Option<String>,
}

impl Default for PermitState {
    fn default() -> Self {
        Self {
            status: PermitStatus::New,
            organisation_id: None,
            content: None,
            warnings: vec![],
            reviewer: None,
            review: Review::default(),
            conditions: vec![],
            fee: None,
            paid_minor_units: 0,
            fee_waived: false,
            permit: None,
            endorsement: None,
            replaces: None,
            seal: None,
        }
    }
}

impl PermitState {
    pub fn fee_settled(&self) -> bool {
        self.fee_waived
            || self
                .fee
                .as_ref()
                .is_none_or(|f| self.paid_minor_units >= f.minor_units)
    }

    pub fn outstanding(&self) -> i64 {
        self.fee
            .as_ref()
            .map_or(0, |f| (f.minor_units - self.paid_minor_units).max(0))
    }
}

/// Folds one event into the state. Pure and total: events are facts, never refused here.
pub fn evolve(mut s: PermitState, event: &PermitEvent) -> PermitState {
    use PermitEvent as E;
    match event {
        E::ApplicationSubmitted(e) => {
            s.status = PermitStatus::Submitted;
            s.organisation_id = Some(e.organisation_id);
            s.content = Some(e.content.clone());
            s.warnings = e.warnings.clone();
            s.fee = Some(e.fee.clone());
        }
        E::ApplicationReturned(_) => s.status = PermitStatus::ReturnedForChanges,
        E::ApplicationResubmitted(e) => {
            s.status = PermitStatus::Submitted;
            s.content = Some(e.content.clone());
            s.warnings = e.warnings.clone();
            s.fee = Some(e.fee.clone());
            // Findings were about the old content.
            s.review = Review::default();
        }
        E::ReviewerAssigned(e) => {
            s.status = PermitStatus::UnderReview;
            s.reviewer = Some(e.officer_id.clone());
        }
        E::ScientificOpinionRequested(_) => s.status = PermitStatus::OpinionRequested,
        E::ScientificOpinionGiven(e) => {
            s.status = PermitStatus::OpinionGiven;
            for o in &e.lines {
                s.review
                    .opinions
                    .insert(o.line_no, (e.opinion_id, o.clone()));
            }
            if e.recipient_suitably_equipped.is_some() {
                s.review.recipient_suitably_equipped = e.recipient_suitably_equipped;
            }
        }
        E::LegalAcquisitionFound(_) => s.review.legal_acquisition = true,
        E::ApplicationApproved(e) => {
            s.status = PermitStatus::Approved;
            s.conditions = e.conditions.clone();
            if let Some(c) = s.content.as_mut() {
                for (line, listing) in c.lines.iter_mut().zip(&e.listings) {
                    line.listing = listing.clone();
                }
            }
        }
        E::ApplicationRejected(_) => s.status = PermitStatus::Rejected,
        E::ApplicationWithdrawn(_) => s.status = PermitStatus::Withdrawn,
        E::PaymentRecorded(e) => s.paid_minor_units += e.amount.minor_units,
        E::FeeWaived(_) => s.fee_waived = true,
        E::PermitIssued(e) => {
            s.status = PermitStatus::Issued;
            s.permit = Some(IssuedPermit {
                permit_number: e.permit_number.clone(),
                security_stamp: e.security_stamp,
                issued_on: e.issued_on,
                valid_until: e.valid_until,
                quota_use: e.quota_use.clone(),
            });
        }
        E::PermitEndorsed(e) => {
            s.status = PermitStatus::Used;
            s.endorsement = Some(e.clone());
        }
        E::PermitCancelled(_) => s.status = PermitStatus::Cancelled,
        E::PermitExpired(_) => s.status = PermitStatus::Expired,
        E::PermitReplaced(_) => s.status = PermitStatus::Replaced,
        E::PermitReportedLost(_) => s.status = PermitStatus::LostOrStolen,
        E::PermitSealed(p) => s.seal = Some(p.seal.clone()),
        E::ReplacementRequested(r) => s.replaces = Some(r.clone()),
    }
    s
}
