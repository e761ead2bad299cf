//! Event payloads, one module per aggregate family. Every payload type is listed in [`all`],
//! which is what the schema check and `ecites schemas write` walk.

pub mod import_balance;
pub mod ledger;
pub mod numbering;
pub mod organisation;
pub mod party_config;
pub mod permit;
pub mod prepayment;
pub mod quota;
pub mod species;
pub mod specimen;
pub mod tree;

use crate::schema::{EventPayload, SchemaEntry, Upcasters};

pub fn all() -> Vec<SchemaEntry> {
    vec![
        SchemaEntry::of::<tree::TreeHeadSigned>(),
        SchemaEntry::of::<import_balance::ImportDrawn>(),
        SchemaEntry::of::<import_balance::ImportDrawSettled>(),
        SchemaEntry::of::<import_balance::ImportDrawReleased>(),
        SchemaEntry::of::<ledger::PartyRegistered>(),
        SchemaEntry::of::<ledger::SigningKeyActivated>(),
        SchemaEntry::of::<numbering::PermitNumberAllocated>(),
        SchemaEntry::of::<numbering::SecurityStampAllocated>(),
        SchemaEntry::of::<organisation::OrganisationRegistered>(),
        SchemaEntry::of::<organisation::OrganisationVerified>(),
        SchemaEntry::of::<organisation::OrganisationSuspended>(),
        SchemaEntry::of::<organisation::MemberAdded>(),
        SchemaEntry::of::<organisation::MemberRemoved>(),
        SchemaEntry::of::<organisation::RegistrationNumberReserved>(),
        SchemaEntry::of::<organisation::RegistrationNumberReleased>(),
        SchemaEntry::of::<specimen::SpecimenRecorded>(),
        SchemaEntry::of::<specimen::SpecimenWithdrawn>(),
        SchemaEntry::of::<party_config::FeeScheduleSet>(),
        SchemaEntry::of::<party_config::DomesticMeasureSet>(),
        SchemaEntry::of::<party_config::DomesticMeasureRevoked>(),
        SchemaEntry::of::<party_config::NationalListSpeciesAdded>(),
        SchemaEntry::of::<party_config::NationalListSpeciesRemoved>(),
        SchemaEntry::of::<party_config::SecurityStampRangeSet>(),
        SchemaEntry::of::<party_config::RetrospectiveIssuePolicySet>(),
        SchemaEntry::of::<party_config::NationalEntryRecorded>(),
        SchemaEntry::of::<party_config::NationalEntryLifted>(),
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
        SchemaEntry::of::<permit::PermitSealed>(),
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

/// Upcasters for every payload version still in logs.
pub fn upcasters() -> Upcasters {
    let up = Upcasters::default().register(
        species::TaxonRecorded::EVENT_TYPE,
        1,
        species::upcast_taxon_recorded_v1,
    );
    let up = permit::V2_ADDS_OPTIONAL_FIELDS.iter().fold(up, |up, t| {
        up.register(t, 1, permit::upcast_v1_unchanged)
            .register(t, 2, permit::upcast_v2_no_checks)
    });
    permit::V4_ADDS_EXPORT_PERMIT
        .iter()
        .fold(up, |up, t| up.register(t, 3, permit::upcast_v1_unchanged))
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

    /// A v1 `ApplicationSubmitted` (no population, no departure date) and a v1 `PermitIssued`
    /// (no retrospective record), as old logs hold them, decode as v2 with the fields absent.
    #[test]
    fn v1_permit_payloads_decode_as_v2() {
        use super::permit::{ApplicationSubmitted, PermitIssued};
        let up = super::upcasters();
        let submitted = r#"{"organisation_id":"00000000-0000-0000-0000-000000000000",
            "content":{"document_type":"export_permit","issuing_party":"LK",
            "exporting_country":"LK","importing_country":"DE","lines":[{"line_no":1,
            "taxon_id":1,"scientific_name":"Python regius","name_as_written":"Python regius",
            "kingdom":"Animalia","listing":{"listing_id":7,"appendix":"II","listing_party":null,
            "effective_at":"1977-02-04"},"source":"W","purpose":"T","term":"SKI",
            "quantity":"10","unit":null,"description":null,"marks":null,"origin":null,
            "last_reexport":null,"import_permit":null,"registered_operation":null,
            "acquisition_date":null,"seizure_reference":null,"source_justification":null}],
            "express":false,"requested_validity_months":null,"supporting_documents":[]},
            "warnings":[],"fee":{"minor_units":3000,"currency":"USD"}}"#;
        let got: ApplicationSubmitted = up.decode("ApplicationSubmitted", 1, submitted).unwrap();
        assert_eq!(got.content.consignment_departed_on, None);
        let listing = got.content.lines[0].listing.as_ref().unwrap();
        assert_eq!((listing.listing_id, &listing.population), (7, &None));
        let issued = r#"{"permit_number":"LK/2026/000001","security_stamp":1,
            "issued_on":"2026-11-28","valid_until":"2027-05-28","quota_use":[],"replaces":null}"#;
        let got: PermitIssued = up.decode("PermitIssued", 1, issued).unwrap();
        assert_eq!(got.retrospective, None);
        assert!(got.checks.is_empty(), "a v1 event recorded no checks");
    }
}
