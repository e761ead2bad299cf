//! The permit aggregate's events as one enum, with their encoding into and out of the log.

use crate::domain::aggregate::aggregate_events;
use ecites_events::payloads::permit::*;

aggregate_events! {
    /// Everything that can happen to a permit application and its permit.
    pub enum PermitEvent ("a permit event") {
        ApplicationSubmitted(ApplicationSubmitted),
        ApplicationReturned(ApplicationReturned),
        ApplicationResubmitted(ApplicationResubmitted),
        ReviewerAssigned(ReviewerAssigned),
        ScientificOpinionRequested(ScientificOpinionRequested),
        ScientificOpinionGiven(ScientificOpinionGiven),
        LegalAcquisitionFound(LegalAcquisitionFound),
        ApplicationApproved(ApplicationApproved),
        ApplicationRejected(ApplicationRejected),
        ApplicationWithdrawn(ApplicationWithdrawn),
        PaymentRecorded(PaymentRecorded),
        FeeWaived(FeeWaived),
        PermitIssued(PermitIssued),
        PermitEndorsed(PermitEndorsed),
        PermitCancelled(PermitCancelled),
        PermitExpired(PermitExpired),
        PermitReplaced(PermitReplaced),
        PermitReportedLost(PermitReportedLost),
        PermitSealed(PermitSealed),
        ReplacementRequested(ReplacementRequested),
    }
}
