//! Event payloads, one module per aggregate family. Every payload type is listed in [`all`],
//! which is what the schema check and `ecites schemas write` walk.

pub mod ledger;
pub mod numbering;
pub mod organisation;
pub mod party_config;
pub mod permit;
pub mod prepayment;
pub mod quota;
pub mod species;

use crate::schema::{SchemaEntry, Upcasters};

pub fn all() -> Vec<SchemaEntry> {
    vec![
        SchemaEntry::of::<ledger::PartyRegistered>(),
        SchemaEntry::of::<ledger::SigningKeyActivated>(),
        SchemaEntry::of::<numbering::PermitNumberAllocated>(),
        SchemaEntry::of::<numbering::SecurityStampAllocated>(),
        SchemaEntry::of::<organisation::OrganisationRegistered>(),
        SchemaEntry::of::<organisation::OrganisationVerified>(),
        SchemaEntry::of::<organisation::OrganisationSuspended>(),
        SchemaEntry::of::<organisation::MemberAdded>(),
        SchemaEntry::of::<organisation::MemberRemoved>(),
        SchemaEntry::of::<party_config::FeeScheduleSet>(),
        SchemaEntry::of::<party_config::DomesticMeasureSet>(),
        SchemaEntry::of::<party_config::DomesticMeasureRevoked>(),
        SchemaEntry::of::<party_config::NationalListSpeciesAdded>(),
        SchemaEntry::of::<party_config::NationalListSpeciesRemoved>(),
        SchemaEntry::of::<party_config::SecurityStampRangeSet>(),
        SchemaEntry::of::<permit::ApplicationSubmitted>(),
        SchemaEntry::of::<permit::ApplicationReturned>(),
        SchemaEntry::of::<permit::ApplicationResubmitted>(),
        SchemaEntry::of::<permit::ReviewerAssigned>(),
        SchemaEntry::of::<permit::ScientificOpinionRequested>(),
        SchemaEntry::of::<permit::ScientificOpinionGiven>(),
        SchemaEntry::of::<permit::LegalAcquisitionFound>(),
        SchemaEntry::of::<permit::ApplicationApproved>(),
        SchemaEntry::of::<permit::ApplicationRejected>(),
        SchemaEntry::of::<permit::ApplicationWithdrawn>(),
        SchemaEntry::of::<permit::PaymentRecorded>(),
        SchemaEntry::of::<permit::FeeWaived>(),
        SchemaEntry::of::<permit::PermitIssued>(),
        SchemaEntry::of::<permit::PermitEndorsed>(),
        SchemaEntry::of::<permit::PermitCancelled>(),
        SchemaEntry::of::<permit::PermitExpired>(),
        SchemaEntry::of::<permit::PermitReplaced>(),
        SchemaEntry::of::<permit::PermitReportedLost>(),
        SchemaEntry::of::<permit::ReplacementRequested>(),
        SchemaEntry::of::<prepayment::PrepaymentAccountOpened>(),
        SchemaEntry::of::<prepayment::PrepaymentDeposited>(),
        SchemaEntry::of::<prepayment::PrepaymentDebited>(),
        SchemaEntry::of::<quota::QuotaSet>(),
        SchemaEntry::of::<quota::QuotaReserved>(),
        SchemaEntry::of::<quota::QuotaSettled>(),
        SchemaEntry::of::<quota::QuotaReleased>(),
        SchemaEntry::of::<species::TaxonRecorded>(),
    ]
}

/// Upcasters for every payload version still in logs; empty while all are at v1.
pub fn upcasters() -> Upcasters {
    Upcasters::default()
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    /// Fails when a payload's shape changed without a new schema version, or when a new
    /// payload has no committed schema (`ecites schemas write` creates it).
    #[test]
    fn every_payload_matches_its_committed_schema() {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../schemas");
        let problems = crate::schema::check(&root, &super::all());
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert!(problems.is_empty(), "{}", text.join("\n"));
    }
}
