//! What the read side knows of one permit, folded from its events. Pure: no I/O.
//!
//! The view is stored whole (as JSON) beside the columns lists filter on, so a batch can load
//! the views it touches, apply events in memory and write each row once.

use ecites_events::audit::VerifiedEvent;
use ecites_events::cites::{IsoDate, Money, Quantity};
use ecites_events::payloads::permit::{
    ApplicationApproved, ApplicationContent, ApplicationRejected, ApplicationResubmitted,
    ApplicationReturned, ApplicationSubmitted, ApplicationWithdrawn, FeeWaived,
    LegalAcquisitionFound, LineOpinion, PaymentRecorded, PermitCancelled, PermitEndorsed,
    PermitExpired, PermitIssued, PermitReplaced, PermitReportedLost, PermitSealed, QuotaUse,
    ReplacementRequested, ReviewerAssigned, RuleCheck, ScientificOpinionGiven,
    ScientificOpinionRequested,
};
use ecites_events::schema::{DecodeError, EventPayload, Upcasters};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

/// Statuses as the `status` column holds them: the domain's wire names, one per status.
pub mod status {
    use ecites_cites::domain::permit::PermitStatus as S;
    pub const SUBMITTED: &str = S::Submitted.wire();
    pub const RETURNED: &str = S::ReturnedForChanges.wire();
    pub const UNDER_REVIEW: &str = S::UnderReview.wire();
    pub const OPINION_REQUESTED: &str = S::OpinionRequested.wire();
    pub const OPINION_GIVEN: &str = S::OpinionGiven.wire();
    pub const APPROVED: &str = S::Approved.wire();
    pub const REJECTED: &str = S::Rejected.wire();
    pub const WITHDRAWN: &str = S::Withdrawn.wire();
    pub const ISSUED: &str = S::Issued.wire();
    pub const USED: &str = S::Used.wire();
    pub const EXPIRED: &str = S::Expired.wire();
    pub const CANCELLED: &str = S::Cancelled.wire();
    pub const REPLACED: &str = S::Replaced.wire();
    pub const LOST: &str = S::LostOrStolen.wire();
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
// A view written before a field existed reads with that field's default.
#[serde(default)]
pub struct PermitView {
    pub permit_id: Uuid,
    pub party: String,
    pub organisation_id: Option<Uuid>,
    pub status: String,
    pub content: Option<ApplicationContent>,
    pub warnings: Vec<String>,
    pub fee: Option<Money>,
    pub paid_minor: i64,
    pub fee_waived: Option<String>,
    pub assigned_officer: Option<String>,
    pub opinions: Vec<LineOpinion>,
    pub conditions: Vec<String>,
    /// Reason of the last return, rejection, cancellation or withdrawal.
    pub reason: Option<String>,
    pub permit_number: Option<String>,
    pub security_stamp: Option<u64>,
    pub issued_on: Option<IsoDate>,
    pub valid_until: Option<IsoDate>,
    pub quota_use: Vec<QuotaUse>,
    pub replaces: Option<String>,
    pub replaced_by: Option<Uuid>,
    /// Actual quantity per line number, once endorsed.
    pub endorsed: Vec<(u32, Quantity)>,
    pub endorsed_on: Option<IsoDate>,
    pub port: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub submitted_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub updated_at: Option<OffsetDateTime>,
    pub version: u64,
    pub last_sequence: u64,
    /// Hash of the last event applied, for the timeline's chain column.
    pub last_hash: String,
    /// Every rule check the decisions recorded (v3 events), one per rule id, the latest
    /// outcome: submission's, then approval's re-check and the findings, then issuance's.
    #[serde(default)]
    pub checks: Vec<RuleCheck>,
    /// The `CP1` seal its QR code carries (issue #14), once recorded.
    #[serde(default)]
    pub seal: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ViewError {
    #[error("unknown permit event type {0:?}")]
    UnknownEvent(String),
    #[error(transparent)]
    Decode(#[from] DecodeError),
    #[error("permit id {0:?} is not a UUID")]
    BadId(String),
}

/// A money movement a permit event records (the fees and payments ledger).
#[derive(Clone, Debug, PartialEq)]
pub struct MoneyEvent {
    pub kind: &'static str,
    pub method: Option<String>,
    pub reference: Option<String>,
    pub amount: Money,
}

impl PermitView {
    pub fn new(permit_id: Uuid, party: String) -> Self {
        Self {
            permit_id,
            party,
            ..Self::default()
        }
    }

    /// Applies one verified event; returns the money movement it records, if any.
    pub fn apply(
        &mut self,
        ev: &VerifiedEvent,
        up: &Upcasters,
    ) -> Result<Option<MoneyEvent>, ViewError> {
        let e = &ev.envelope;
        let money = self.apply_payload(ev, up)?;
        self.version = e.version;
        self.last_sequence = ev.sequence;
        self.last_hash = ev.hash.to_string();
        self.updated_at = Some(e.occurred_at);
        Ok(money)
    }

    fn apply_payload(
        &mut self,
        ev: &VerifiedEvent,
        up: &Upcasters,
    ) -> Result<Option<MoneyEvent>, ViewError> {
        let t = ev.envelope.event_type.as_str();
        match t {
            ApplicationSubmitted::EVENT_TYPE => {
                let p: ApplicationSubmitted = ev.decode(up)?;
                self.organisation_id = Some(p.organisation_id);
                self.submitted_at = Some(ev.envelope.occurred_at);
                // A (re)submission is checked afresh: earlier outcomes no longer stand.
                self.checks = p.checks;
                return Ok(self.file(p.content, p.warnings, p.fee));
            }
            ApplicationResubmitted::EVENT_TYPE => {
                let p: ApplicationResubmitted = ev.decode(up)?;
                self.checks = p.checks;
                return Ok(self.file(p.content, p.warnings, p.fee));
            }
            ApplicationReturned::EVENT_TYPE => {
                let p: ApplicationReturned = ev.decode(up)?;
                self.set(status::RETURNED, Some(p.reason));
            }
            ReviewerAssigned::EVENT_TYPE => {
                let p: ReviewerAssigned = ev.decode(up)?;
                self.assigned_officer = Some(p.officer_id);
                self.status = status::UNDER_REVIEW.into();
            }
            ScientificOpinionRequested::EVENT_TYPE => {
                let _: ScientificOpinionRequested = ev.decode(up)?;
                self.status = status::OPINION_REQUESTED.into();
            }
            ScientificOpinionGiven::EVENT_TYPE => {
                let p: ScientificOpinionGiven = ev.decode(up)?;
                self.opinions = p.lines;
                self.status = status::OPINION_GIVEN.into();
            }
            LegalAcquisitionFound::EVENT_TYPE => {
                let _: LegalAcquisitionFound = ev.decode(up)?;
            }
            ApplicationApproved::EVENT_TYPE => self.approve(ev.decode(up)?),
            ApplicationRejected::EVENT_TYPE => {
                let p: ApplicationRejected = ev.decode(up)?;
                self.set(status::REJECTED, Some(p.reason));
            }
            ApplicationWithdrawn::EVENT_TYPE => {
                let p: ApplicationWithdrawn = ev.decode(up)?;
                self.set(status::WITHDRAWN, p.reason);
            }
            PaymentRecorded::EVENT_TYPE => return Ok(Some(self.pay(ev.decode(up)?))),
            FeeWaived::EVENT_TYPE => {
                let p: FeeWaived = ev.decode(up)?;
                self.fee_waived = Some(p.reason.clone());
                let amount = self.outstanding();
                return Ok(Some(MoneyEvent {
                    kind: "fee_waived",
                    method: None,
                    reference: Some(p.reason),
                    amount,
                }));
            }
            PermitIssued::EVENT_TYPE => self.issue(ev.decode(up)?),
            PermitEndorsed::EVENT_TYPE => self.endorse(ev.decode(up)?),
            PermitCancelled::EVENT_TYPE => {
                let p: PermitCancelled = ev.decode(up)?;
                self.set(status::CANCELLED, Some(p.reason));
            }
            PermitExpired::EVENT_TYPE => {
                let _: PermitExpired = ev.decode(up)?;
                self.status = status::EXPIRED.into();
            }
            PermitReplaced::EVENT_TYPE => {
                let p: PermitReplaced = ev.decode(up)?;
                self.replaced_by = Some(p.replacement_permit_id);
                self.set(status::REPLACED, Some(p.reason));
            }
            PermitReportedLost::EVENT_TYPE => {
                let p: PermitReportedLost = ev.decode(up)?;
                let what = if p.stolen { "stolen" } else { "lost" };
                self.set(status::LOST, Some(p.note.unwrap_or_else(|| what.into())));
            }
            PermitSealed::EVENT_TYPE => {
                let p: PermitSealed = ev.decode(up)?;
                self.seal = Some(p.seal);
            }
            ReplacementRequested::EVENT_TYPE => {
                let p: ReplacementRequested = ev.decode(up)?;
                self.replaces = Some(p.replaces_permit_number);
            }
            other => return Err(ViewError::UnknownEvent(other.into())),
        }
        Ok(None)
    }

    fn set(&mut self, status: &str, reason: Option<String>) {
        self.status = status.into();
        self.reason = reason;
    }

    fn file(
        &mut self,
        content: ApplicationContent,
        warnings: Vec<ecites_events::payloads::permit::RuleFinding>,
        fee: Money,
    ) -> Option<MoneyEvent> {
        self.content = Some(content);
        self.warnings = warnings.into_iter().map(|w| w.rule).collect();
        self.status = status::SUBMITTED.into();
        self.reason = None;
        self.fee = Some(fee.clone());
        Some(MoneyEvent {
            kind: "fee_assessed",
            method: None,
            reference: None,
            amount: fee,
        })
    }

    /// Later checks of a rule replace earlier ones; new rules are added after.
    fn merge_checks(&mut self, checks: Vec<RuleCheck>) {
        for c in checks {
            match self.checks.iter_mut().find(|k| k.id == c.id) {
                Some(k) => *k = c,
                None => self.checks.push(c),
            }
        }
    }

    fn approve(&mut self, p: ApplicationApproved) {
        self.merge_checks(p.checks);
        self.conditions = p.conditions;
        if let Some(content) = &mut self.content {
            for (line, listing) in content.lines.iter_mut().zip(p.listings) {
                line.listing = listing;
            }
        }
        self.status = status::APPROVED.into();
    }

    fn pay(&mut self, p: PaymentRecorded) -> MoneyEvent {
        use ecites_events::payloads::permit::PaymentMethod as M;
        self.paid_minor = self.paid_minor.saturating_add(p.amount.minor_units);
        let (method, reference) = match p.method {
            M::ManualReceipt { receipt_number } => ("manual_receipt", receipt_number),
            M::EPayment { reference } => ("e_payment", reference),
            M::PrepaymentDebit { account_id } => ("prepayment_debit", account_id.to_string()),
        };
        MoneyEvent {
            kind: "payment",
            method: Some(method.into()),
            reference: Some(reference),
            amount: p.amount,
        }
    }

    fn outstanding(&self) -> Money {
        let fee = self.fee.clone().unwrap_or(Money {
            minor_units: 0,
            currency: String::new(),
        });
        Money {
            minor_units: (fee.minor_units - self.paid_minor).max(0),
            currency: fee.currency,
        }
    }

    fn issue(&mut self, p: PermitIssued) {
        self.merge_checks(p.checks);
        self.permit_number = Some(p.permit_number);
        self.security_stamp = Some(p.security_stamp);
        self.issued_on = Some(p.issued_on);
        self.valid_until = Some(p.valid_until);
        self.quota_use = p.quota_use;
        if p.replaces.is_some() {
            self.replaces = p.replaces;
        }
        self.status = status::ISSUED.into();
    }

    fn endorse(&mut self, p: PermitEndorsed) {
        self.endorsed = p
            .lines
            .iter()
            .map(|l| (l.line_no, l.actual_quantity))
            .collect();
        self.endorsed_on = Some(p.endorsed_on);
        self.port = Some(p.port);
        self.status = status::USED.into();
    }

    pub fn endorsed_quantity(&self, line_no: u32) -> Option<Quantity> {
        self.endorsed_on?;
        Some(
            self.endorsed
                .iter()
                .find(|(n, _)| *n == line_no)
                .map_or(Quantity::ZERO, |(_, q)| *q),
        )
    }

    /// "Python regius; Panthera pardus": what a species search matches.
    pub fn species(&self) -> String {
        let mut names: Vec<&str> = self
            .content
            .iter()
            .flat_map(|c| c.lines.iter().map(|l| l.scientific_name.as_str()))
            .collect();
        names.dedup();
        names.join("; ")
    }
}
