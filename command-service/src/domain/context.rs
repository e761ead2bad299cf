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
}

/// A stricter domestic measure of the Party (Art. XIV).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DomesticMeasure {
    pub id: String,
    pub taxon_id: u64,
    pub description: String,
    /// Bans exports for these purposes (empty = all purposes).
    pub banned_purposes: Vec<PurposeCode>,
    /// Bans exports from these sources (empty = all sources).
    pub banned_sources: Vec<SourceCode>,
}

/// A line of the Party's fee schedule; the first matching line applies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeeRule {
    pub document_type: Option<ecites_events::cites::DocumentType>,
    pub appendix: Option<Appendix>,
    pub base: i64,
    pub per_line: i64,
    pub express_surcharge: i64,
}

/// The issuing Party's own configuration.
#[derive(Clone, Debug)]
pub struct PartySettings {
    pub party: PartyCode,
    /// Taxa not listed in CITES that still need a permit here (DOC-NATIONAL-LIST).
    pub national_list: Vec<u64>,
    pub domestic_measures: Vec<DomesticMeasure>,
    pub currency: String,
    pub fees: Vec<FeeRule>,
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
        }
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
        let minor_units = rule.map_or(0, |f| {
            f.base + f.per_line * lines as i64 + if express { f.express_surcharge } else { 0 }
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
}
