//! Events of a permit application and the document issued from it (aggregate `permit`).
//!
//! Each event records what the decision saw (the listing in force and its id, the rule
//! findings, the quota figures) so that a replay explains the decision without today's
//! reference data. Personal data stays out: people are opaque user ids.

use crate::cites::IsoDate as Date;
use crate::cites::{Appendix, DocumentType, Kingdom, Money, PurposeCode, Quantity, SourceCode};
use crate::party::PartyCode;
use crate::schema::EventPayload;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! permit_event {
    ($t:ident, $name:literal) => {
        permit_event!($t, $name, 1);
    };
    ($t:ident, $name:literal, $version:literal) => {
        impl EventPayload for $t {
            const AGGREGATE: &'static str = "permit";
            const EVENT_TYPE: &'static str = $name;
            const SCHEMA_VERSION: u32 = $version;
        }
    };
}

/// The permit events whose v2 only added optional fields (`ListingSeen.population`,
/// `ApplicationContent.consignment_departed_on`, `PermitIssued.retrospective`): a v1 payload
/// is a valid v2 payload in which they are absent.
pub const V2_ADDS_OPTIONAL_FIELDS: [&str; 4] = [
    "ApplicationSubmitted",
    "ApplicationResubmitted",
    "ApplicationApproved",
    "PermitIssued",
];

/// v1 → v2 of [`V2_ADDS_OPTIONAL_FIELDS`]: nothing to change; the new fields read as absent.
pub fn upcast_v1_unchanged(v: serde_json::Value) -> Result<serde_json::Value, String> {
    Ok(v)
}

/// v2 → v3 of the same events: v3 adds `checks`, every rule the decision evaluated. A v2
/// event did not record them: they read as none (not as "all passed").
pub fn upcast_v2_no_checks(mut v: serde_json::Value) -> Result<serde_json::Value, String> {
    let obj = v.as_object_mut().ok_or("payload is not an object")?;
    obj.entry("checks")
        .or_insert(serde_json::Value::Array(vec![]));
    Ok(v)
}

/// The events whose v4 only added optional fields (`PermitLine.export_permit`,
/// `PermitLine.reexport_from`): a v3 payload is a valid v4 payload without them.
pub const V4_ADDS_EXPORT_PERMIT: [&str; 2] = ["ApplicationSubmitted", "ApplicationResubmitted"];

/// What a rule check found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CheckOutcome {
    Passed,
    Warning,
    /// Only in answers that write nothing (a refused command records no event).
    Violation,
}

/// One rule the decision evaluated, and its outcome: the review page lists them all.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleCheck {
    /// Stable rule id from the rules catalogue, e.g. `DOC-NOT-LISTED`.
    pub id: String,
    /// The article or resolution the rule comes from.
    pub source: String,
    pub outcome: CheckOutcome,
    /// JSON path of the field a warning or violation concerns.
    pub field: Option<String>,
}

/// A document referred to on a line: an origin permit (box 12), the last re-export certificate
/// (box 12a) or the importing country's import permit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentReference {
    pub country: PartyCode,
    pub number: String,
    pub date: Option<Date>,
}

/// The CITES listing a decision relied on for a line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListingSeen {
    pub listing_id: u64,
    pub appendix: Appendix,
    /// The listing Party of an Appendix III listing.
    pub listing_party: Option<PartyCode>,
    pub effective_at: Date,
    /// Which population the listing was chosen for, when the taxon's listings name
    /// populations (split listings; v2). Absent in v1 events and for taxa with one listing
    /// that names none.
    pub population: Option<PopulationSeen>,
}

/// How a split listing was resolved for a line: the population the specimens belong to and
/// the words of the annotation that decided.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PopulationSeen {
    /// The country whose population the specimens come from: the line's country of origin,
    /// else the exporting country.
    pub country: PartyCode,
    /// The part of the chosen listing's annotation that covers `country`, e.g. "Except the
    /// populations of Botswana, Namibia, South Africa and Zimbabwe"; `None` when the chosen
    /// listing names no populations (it covers all the others).
    pub annotation: Option<String>,
    /// False when an annotation could not be read: the strictest listing in force applied
    /// and the line carries a LISTING-POPULATION warning.
    pub resolved: bool,
}

/// One species line of a permit (boxes 7-12b).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PermitLine {
    pub line_no: u32,
    pub taxon_id: u64,
    /// The accepted scientific name (box 7).
    pub scientific_name: String,
    /// The name as the applicant wrote it, when it was a synonym.
    pub name_as_written: String,
    pub kingdom: Kingdom,
    /// The CITES listing in force on the decision date; `None` for a species on the Party's
    /// national list only (rule DOC-NATIONAL-LIST).
    pub listing: Option<ListingSeen>,
    pub source: SourceCode,
    pub purpose: PurposeCode,
    /// CITES term code (box 9), e.g. `LIV`, `SKI`.
    pub term: String,
    pub quantity: Quantity,
    /// CITES unit code (box 11); `None` = number of specimens.
    pub unit: Option<String>,
    pub description: Option<String>,
    pub marks: Option<String>,
    /// Box 12: country of origin and its export permit (re-exports).
    pub origin: Option<DocumentReference>,
    /// Box 12a: country and certificate of last re-export.
    pub last_reexport: Option<DocumentReference>,
    /// The importing country's import permit (Appendix I exports, Art. III.2(d)).
    pub import_permit: Option<DocumentReference>,
    /// On an import permit: the exporting country's export permit or re-export certificate
    /// the import relies on, when it exists (the importer's annual report names it). Added in
    /// v4 of the events that carry lines; absent in older ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub export_permit: Option<DocumentReference>,
    /// On a re-export certificate: the line of the Party's own import permit the specimens
    /// came in on (Art. III.4(a), IV.5(a)). Added in v4; absent in older events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reexport_from: Option<ImportLineRef>,
    /// Box 12b: registration number of the operation (source D).
    pub registered_operation: Option<String>,
    /// Box 12b: acquisition date (pre-Convention specimens, source O).
    pub acquisition_date: Option<Date>,
    /// Reference of the seizure (source I).
    pub seizure_reference: Option<String>,
    /// Why the source is unknown (source U).
    pub source_justification: Option<String>,
}

/// A line of one of the Party's own import permits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportLineRef {
    pub permit_id: Uuid,
    pub line_no: u32,
}

/// A rule that was checked and did not pass silently.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleFinding {
    /// Stable rule id from the rules catalogue, e.g. `PURPOSE-APP1-COMMERCIAL`.
    pub rule: String,
    pub warning: bool,
    pub message: String,
    pub field: Option<String>,
}

/// The application as filed (also the content of a resubmission).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicationContent {
    pub document_type: DocumentType,
    /// The Party issuing the document.
    pub issuing_party: PartyCode,
    pub exporting_country: PartyCode,
    pub importing_country: PartyCode,
    pub lines: Vec<PermitLine>,
    pub express: bool,
    /// A validity shorter than the maximum, when asked for.
    pub requested_validity_months: Option<u8>,
    /// SHA-256 (hex) of supporting documents, stored content-addressed.
    pub supporting_documents: Vec<String>,
    /// The applicant declares that the consignment already left the exporting country, on
    /// this date (v2): a permit for it would be retrospective (PERMIT-NO-RETROSPECTIVE).
    pub consignment_departed_on: Option<Date>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicationSubmitted {
    pub organisation_id: Uuid,
    pub content: ApplicationContent,
    pub warnings: Vec<RuleFinding>,
    pub fee: Money,
    /// Every rule evaluated (v3).
    pub checks: Vec<RuleCheck>,
}
permit_event!(ApplicationSubmitted, "ApplicationSubmitted", 4);

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicationReturned {
    pub reason: String,
}
permit_event!(ApplicationReturned, "ApplicationReturned");

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicationResubmitted {
    pub content: ApplicationContent,
    pub warnings: Vec<RuleFinding>,
    pub fee: Money,
    /// Every rule evaluated (v3).
    pub checks: Vec<RuleCheck>,
}
permit_event!(ApplicationResubmitted, "ApplicationResubmitted", 4);

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewerAssigned {
    pub officer_id: String,
}
permit_event!(ReviewerAssigned, "ReviewerAssigned");

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScientificOpinionRequested {
    pub lines: Vec<u32>,
    pub question: Option<String>,
}
permit_event!(ScientificOpinionRequested, "ScientificOpinionRequested");

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LineOpinion {
    pub line_no: u32,
    /// A non-detriment finding: export (or import) will not be detrimental to the species.
    pub non_detrimental: bool,
    pub conditions: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScientificOpinionGiven {
    pub opinion_id: Uuid,
    pub lines: Vec<LineOpinion>,
    /// Art. III.3(b): the recipient of live Appendix I specimens is suitably equipped.
    pub recipient_suitably_equipped: Option<bool>,
}
permit_event!(ScientificOpinionGiven, "ScientificOpinionGiven");

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LegalAcquisitionFound {
    /// SHA-256 (hex) of the evidence documents.
    pub evidence: Vec<String>,
    pub note: Option<String>,
}
permit_event!(LegalAcquisitionFound, "LegalAcquisitionFound");

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicationApproved {
    /// Box 5 special conditions, including the SA's and the live-transport condition.
    pub conditions: Vec<String>,
    /// The listing in force on the approval date, per line.
    pub listings: Vec<Option<ListingSeen>>,
    pub warnings: Vec<RuleFinding>,
    /// Every rule evaluated (v3).
    pub checks: Vec<RuleCheck>,
}
permit_event!(ApplicationApproved, "ApplicationApproved", 3);

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicationRejected {
    pub reason: String,
    pub findings: Vec<RuleFinding>,
}
permit_event!(ApplicationRejected, "ApplicationRejected");

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicationWithdrawn {
    pub reason: Option<String>,
}
permit_event!(ApplicationWithdrawn, "ApplicationWithdrawn");

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum PaymentMethod {
    ManualReceipt { receipt_number: String },
    EPayment { reference: String },
    PrepaymentDebit { account_id: Uuid },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentRecorded {
    pub amount: Money,
    pub method: PaymentMethod,
}
permit_event!(PaymentRecorded, "PaymentRecorded");

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FeeWaived {
    pub reason: String,
}
permit_event!(FeeWaived, "FeeWaived");

/// Box 11a: quantity used so far this year including this line, and the annual quota.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QuotaUse {
    pub line_no: u32,
    pub quota_id: String,
    pub used_including_this: Quantity,
    pub annual_quota: Quantity,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PermitIssued {
    /// Box 1, e.g. `LK/2026/000123`.
    pub permit_number: String,
    /// Box 5b.
    pub security_stamp: u64,
    pub issued_on: Date,
    pub valid_until: Date,
    pub quota_use: Vec<QuotaUse>,
    /// The permit this one replaces (PERMIT-REPLACEMENT).
    pub replaces: Option<String>,
    /// Issued for a consignment that had already left, under the Party's exception to
    /// PERMIT-NO-RETROSPECTIVE (v2).
    pub retrospective: Option<RetrospectiveIssue>,
    /// Every rule evaluated at issuance (v3).
    pub checks: Vec<RuleCheck>,
}

/// Res. Conf. 12.3 allows a permit to be issued after the consignment left only in the
/// documented exceptional cases; the officer states which, and why, on the record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RetrospectiveIssue {
    /// The date the applicant declared the consignment left.
    pub departed_on: Date,
    /// The officer's reason (which documented exception applies and the evidence seen).
    pub reason: String,
}
permit_event!(PermitIssued, "PermitIssued", 3);

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EndorsedLine {
    pub line_no: u32,
    pub actual_quantity: Quantity,
}

/// Box 14: the export endorsement by customs, which uses the permit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PermitEndorsed {
    pub lines: Vec<EndorsedLine>,
    pub port: String,
    pub endorsed_on: Date,
    /// Box 15: bill of lading / air waybill.
    pub transport_document: Option<String>,
}
permit_event!(PermitEndorsed, "PermitEndorsed");

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PermitCancelled {
    pub reason: String,
}
permit_event!(PermitCancelled, "PermitCancelled");

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PermitExpired {
    pub valid_until: Date,
}
permit_event!(PermitExpired, "PermitExpired");

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PermitReplaced {
    pub replacement_permit_id: Uuid,
    pub reason: String,
}
permit_event!(PermitReplaced, "PermitReplaced");

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PermitReportedLost {
    pub stolen: bool,
    pub note: Option<String>,
}
permit_event!(PermitReportedLost, "PermitReportedLost");

/// The permit's `CP1` seal (issue #14): what its QR code carries, signed with the Party's
/// key, so that anyone holding the published keys can check the paper offline. Recorded with
/// the issuance (or when an older permit's document is first produced), so that every copy
/// of the document prints the same seal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PermitSealed {
    /// `CP1:` + base45 (the QR alphanumeric set).
    pub seal: String,
    /// The signing key, as the keyring names it.
    pub key_id: String,
}
permit_event!(PermitSealed, "PermitSealed");

/// The application is for a document replacing an issued one (lost, damaged, or with an error):
/// the new permit will name the old, which becomes void when the new one is issued
/// (PERMIT-REPLACEMENT).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplacementRequested {
    pub replaces_permit_id: Uuid,
    pub replaces_permit_number: String,
    pub reason: String,
}
permit_event!(ReplacementRequested, "ReplacementRequested");
