//! What a decision may know of the world: reference data behind a trait (so that rules are
//! tested against a small, explicit catalogue) and the Party's own settings.

use super::codes::{Appendix, Kingdom, PurposeCode, SourceCode};
use ecites_events::cites::{IsoDate, Money, Quantity};
use ecites_events::PartyCode;

/// A taxon as the catalogue resolved a name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaxonInfo {
    pub taxon_id: u64,
    pub accepted_name: String,
    pub written_as: String,
    pub kingdom: Kingdom,
}

/// A CITES listing in force.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListingInfo {
    pub listing_id: u64,
    pub appendix: Appendix,
    pub listing_party: Option<PartyCode>,
    pub effective_at: IsoDate,
    /// The Species+ annotation (English), which names the populations of a split listing.
    pub annotation: Option<String>,
}

/// A trade suspension (Art. XIII; Standing Committee recommendation) in force.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SuspensionInfo {
    pub id: u64,
    pub country: PartyCode,
    /// `None` = all taxa of that country.
    pub taxon_id: Option<u64>,
    pub applies_to_import: bool,
    pub notification: String,
}

/// Reference data the rules consult.
pub trait Reference: Send + Sync {
    fn resolve_taxon(&self, name: &str) -> Option<TaxonInfo>;
    /// Listings of the taxon in force on `date`; several for split listings.
    fn listings_on(&self, taxon_id: u64, date: IsoDate) -> Vec<ListingInfo>;
    /// The date the taxon was first listed (pre-Convention checks).
    fn first_listed(&self, taxon_id: u64) -> Option<IsoDate>;
    fn suspensions_on(&self, taxon_id: u64, date: IsoDate) -> Vec<SuspensionInfo>;
    fn is_country(&self, code: &str) -> bool;
    fn is_term(&self, code: &str) -> bool;
    fn is_unit(&self, code: &str) -> bool;
    fn unit_allowed_for_term(&self, term: &str, unit: Option<&str>) -> bool;
    fn term_purpose_is_usual(&self, term: &str, purpose: PurposeCode) -> bool;
    /// The country an English name in an annotation designates (split listings). The
    /// shipped country list unless the implementation knows better.
    fn country_named(&self, name: &str) -> Option<PartyCode> {
        crate::reference::country_names::shipped().lookup(name)
    }
}

/// A stricter domestic measure of the Party (Art. XIV), as its event recorded it.
pub type DomesticMeasure = ecites_events::payloads::party_config::DomesticMeasureSet;
/// A line of the Party's fee schedule; the first matching line applies.
pub use ecites_events::payloads::party_config::FeeRule;
/// A species on the Party's national list, as its event recorded it.
pub type NationalListEntry = ecites_events::payloads::party_config::NationalListSpeciesAdded;

/// The issuing Party's own configuration: the start-up defaults with the Party's
/// `party_config` events folded in (`domain::party_config::evolve`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartySettings {
    pub party: PartyCode,
    /// Taxa not listed in CITES that still need a permit here (DOC-NATIONAL-LIST).
    pub national_list: Vec<NationalListEntry>,
    pub domestic_measures: Vec<DomesticMeasure>,
    pub currency: String,
    pub fees: Vec<FeeRule>,
    /// The security stamps in stock (first, last); `None` = numbered from 1 without limit.
    pub security_stamps: Option<(u64, u64)>,
    /// The Party allows the documented exceptions to PERMIT-NO-RETROSPECTIVE (Res. Conf.
    /// 12.3): a permit for a consignment that already left may be issued with the officer's
    /// recorded reason. Off unless the Party's configuration says so.
    pub retrospective_exceptions: bool,
    /// Suspensions, reservations and Appendix III listings the Party recorded itself
    /// (`domain::national_entries`), lifted ones with their last day.
    pub national_entries: Vec<ecites_events::payloads::party_config::NationalEntryRecorded>,
}

impl PartySettings {
    pub fn new(party: PartyCode) -> Self {
        Self {
            party,
            national_list: vec![],
            domestic_measures: vec![],
            currency: "USD".into(),
            fees: vec![FeeRule {
                document_type: None,
                appendix: None,
                base: 2_500,
                per_line: 500,
                express_surcharge: 5_000,
            }],
            security_stamps: None,
            retrospective_exceptions: false,
            national_entries: vec![],
        }
    }

    pub fn on_national_list(&self, taxon_id: u64) -> bool {
        self.national_list.iter().any(|e| e.taxon_id == taxon_id)
    }

    /// The fee for an application (minor units of the Party's currency).
    pub fn fee_for(
        &self,
        document_type: ecites_events::cites::DocumentType,
        strictest: Option<Appendix>,
        lines: usize,
        express: bool,
    ) -> Money {
        let rule = self.fees.iter().find(|f| {
            f.document_type.is_none_or(|d| d == document_type)
                && f.appendix.is_none_or(|a| Some(a) == strictest)
        });
        // Saturating: a schedule with absurd amounts must not wrap round to a small fee.
        let lines = i64::try_from(lines).unwrap_or(i64::MAX);
        let minor_units = rule.map_or(0, |f| {
            let express = if express { f.express_surcharge } else { 0 };
            f.base
                .saturating_add(f.per_line.saturating_mul(lines))
                .saturating_add(express)
        });
        Money {
            minor_units,
            currency: self.currency.clone(),
        }
    }
}

/// A quota in force for a taxon, with what is already reserved or used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuotaState {
    pub quota_id: String,
    pub taxon_id: u64,
    pub year: i32,
    pub term: Option<String>,
    pub unit: Option<String>,
    pub source: Option<SourceCode>,
    pub annual: Quantity,
    pub reserved: Quantity,
    pub settled: Quantity,
    /// A national quota lower than the CITES one (DOMESTIC-QUOTA).
    pub domestic: bool,
}

/// Everything a decision needs from outside, fixed for the duration of one decision.
pub struct DecisionContext<'a> {
    pub today: IsoDate,
    pub reference: &'a dyn Reference,
    pub settings: &'a PartySettings,
    pub quotas: &'a [QuotaState],
    /// The issued permit an application replaces, as it stands now (PERMIT-REPLACEMENT).
    pub replacement: Option<ReplacementTarget>,
    /// The lines of the Party's own import permits that the application's lines re-export
    /// from, as they stand now (REEXPORT-FROM-IMPORT, REEXPORT-IMPORT-BALANCE).
    pub imports: &'a [ImportLine],
}

/// A line of one of the Party's own import permits, and what re-exports drew on it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportLine {
    pub permit_id: uuid::Uuid,
    pub line_no: u32,
    pub permit_number: Option<String>,
    pub document_type: super::codes::DocumentType,
    /// Issued, or endorsed at import: the specimens may be here.
    pub usable: bool,
    pub taxon_id: u64,
    pub term: String,
    pub unit: Option<String>,
    /// What came in: the quantity customs endorsed at import, else the permitted one.
    pub imported: Quantity,
    /// What the other re-exports took or hold.
    pub drawn_by_others: Quantity,
}

/// What a replacement decision needs to know of the permit being replaced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplacementTarget {
    pub permit_id: uuid::Uuid,
    pub permit_number: Option<String>,
    pub status: super::permit::PermitStatus,
    pub organisation_id: Option<uuid::Uuid>,
}
