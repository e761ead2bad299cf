//! Serde types for answers of the Species+ API v1 (the CITES Checklist service run by
//! UNEP-WCMC; reference §5): taxon concepts, CITES legislation, distributions and references.
//!
//! Lenient where the API is: optional fields may be missing or null, and lists may be null.
//! Strict where a wrong value would change a decision: ids must be numbers, names must not be
//! empty, `name_status` is `A` or `S`, appendices are `I`, `II` or `III`, listing change types
//! are the four the API documents, and dates are `YYYY-MM-DD`. The EU legislation endpoint is
//! not modelled: the EU Wildlife Trade Regulations are not the Convention.

use super::dates;
use crate::domain::codes::Appendix;
pub use ecites_events::payloads::species::ChangeType;
use serde::{Deserialize, Deserializer};
use time::{Date, OffsetDateTime};

/// One page of `GET taxon_concepts`: the taxa of the CITES (or CMS) taxonomy.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct TaxonConceptsPage {
    pub pagination: Pagination,
    #[serde(deserialize_with = "null_as_default")]
    pub taxon_concepts: Vec<TaxonConcept>,
}

/// Where a `taxon_concepts` page sits in the whole answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
pub struct Pagination {
    pub current_page: u64,
    pub per_page: u64,
    pub total_entries: u64,
}

impl Pagination {
    /// True when no page follows this one.
    pub fn is_last_page(&self) -> bool {
        self.current_page.saturating_mul(self.per_page) >= self.total_entries
    }
}

/// Whether a taxon concept is an accepted name or a synonym of one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
pub enum NameStatus {
    #[serde(rename = "A")]
    Accepted,
    #[serde(rename = "S")]
    Synonym,
}

/// A taxon concept: an accepted name with its taxonomy, synonyms, common names and current
/// CITES listings, or a synonym pointing at its accepted names.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct TaxonConcept {
    pub id: u64,
    #[serde(deserialize_with = "non_empty")]
    pub full_name: String,
    #[serde(default)]
    pub author_year: Option<String>,
    #[serde(deserialize_with = "non_empty")]
    pub rank: String,
    pub name_status: NameStatus,
    /// `CITES` or `CMS`; absent in older answers.
    #[serde(default)]
    pub taxonomy: Option<String>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub updated_at: Option<OffsetDateTime>,
    #[serde(default)]
    pub active: Option<bool>,
    /// The Checklist summary, e.g. `I/II`, `III/NC`; `NC` = no longer listed; null for CMS.
    #[serde(default)]
    pub cites_listing: Option<String>,
    #[serde(default)]
    pub higher_taxa: Option<HigherTaxa>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub synonyms: Vec<NameRef>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub common_names: Vec<CommonName>,
    /// The listings in force when the answer was made (own and inherited from higher taxa).
    #[serde(default, deserialize_with = "null_as_default")]
    pub cites_listings: Vec<CurrentListing>,
    /// For a synonym: the accepted names it stands for.
    #[serde(default, deserialize_with = "null_as_default")]
    pub accepted_names: Vec<NameRef>,
}

/// The ancestors of a taxon in the CITES taxonomy.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct HigherTaxa {
    #[serde(default)]
    pub kingdom: Option<String>,
    #[serde(default)]
    pub phylum: Option<String>,
    #[serde(default)]
    pub class: Option<String>,
    #[serde(default)]
    pub order: Option<String>,
    #[serde(default)]
    pub family: Option<String>,
}

/// Another taxon concept named from this one: a synonym of an accepted name, or the accepted
/// name of a synonym.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct NameRef {
    pub id: u64,
    #[serde(deserialize_with = "non_empty")]
    pub full_name: String,
    #[serde(default)]
    pub author_year: Option<String>,
    #[serde(default)]
    pub rank: Option<String>,
}

/// A vernacular name with its ISO 639-1 language code (upper case in the API).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct CommonName {
    #[serde(deserialize_with = "non_empty")]
    pub name: String,
    #[serde(default)]
    pub language: Option<String>,
}

/// A listing in force as the `taxon_concepts` endpoint gives it (no change type, no
/// `is_current`: they are all current additions).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct CurrentListing {
    pub id: u64,
    pub appendix: Appendix,
    #[serde(default)]
    pub annotation: Option<String>,
    #[serde(default)]
    pub hash_annotation: Option<HashAnnotation>,
    #[serde(with = "dates::iso")]
    pub effective_at: Date,
    /// The listing Party of an Appendix III listing.
    #[serde(default)]
    pub party: Option<GeoEntity>,
}

/// A `#` annotation (mostly plants): which parts and derivatives a listing covers.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct HashAnnotation {
    #[serde(default)]
    pub symbol: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// A country or territory as Species+ names it. The code is usually ISO 3166 alpha-2 but not
/// always (historic quotas use `S1`), so it is kept as given here.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct GeoEntity {
    #[serde(deserialize_with = "non_empty")]
    pub iso_code2: String,
    #[serde(default)]
    pub name: Option<String>,
    /// `COUNTRY` or `TERRITORY`.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
}

/// `GET taxon_concepts/:id/cites_legislation`: listing changes, export quotas and trade
/// suspensions that apply to a taxon (own and cascaded from higher taxa).
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct CitesLegislation {
    // The three keys are required (null is accepted) so that an error body such as
    // `{"error": …}` cannot pass for a taxon with no legislation.
    #[serde(deserialize_with = "null_as_default")]
    pub cites_listings: Vec<ListingChangeRecord>,
    #[serde(deserialize_with = "null_as_default")]
    pub cites_quotas: Vec<QuotaRecord>,
    #[serde(deserialize_with = "null_as_default")]
    pub cites_suspensions: Vec<SuspensionRecord>,
}

/// One listing change: an inclusion, deletion, or reservation, with the date it took effect.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct ListingChangeRecord {
    /// Shared between taxa when the change cascades from a higher taxon.
    pub id: u64,
    #[serde(default)]
    pub taxon_concept_id: Option<u64>,
    pub is_current: bool,
    pub appendix: Appendix,
    pub change_type: ChangeType,
    #[serde(with = "dates::iso")]
    pub effective_at: Date,
    /// The listing Party (Appendix III) or the reserving Party.
    #[serde(default)]
    pub party: Option<GeoEntity>,
    #[serde(default)]
    pub annotation: Option<String>,
    #[serde(default)]
    pub hash_annotation: Option<HashAnnotation>,
}

/// A trade code (unit, term, source) named in an answer.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct TradeCode {
    #[serde(deserialize_with = "non_empty")]
    pub code: String,
    #[serde(default)]
    pub name: Option<String>,
}

/// A CITES export quota published for a country (Res. Conf. 14.7).
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct QuotaRecord {
    pub id: u64,
    #[serde(default)]
    pub taxon_concept_id: Option<u64>,
    /// Null in some historic, non-public records.
    #[serde(default)]
    pub quota: Option<f64>,
    #[serde(default, with = "dates::iso_option")]
    pub publication_date: Option<Date>,
    #[serde(default)]
    pub notes: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub public_display: Option<bool>,
    pub is_current: bool,
    /// Null means a number of specimens.
    #[serde(default)]
    pub unit: Option<TradeCode>,
    pub geo_entity: GeoEntity,
}

/// A recommendation to suspend trade (Standing Committee, Art. XIII, RST, national reports).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct SuspensionRecord {
    pub id: u64,
    /// Null when the suspension covers every CITES species of the country.
    #[serde(default)]
    pub taxon_concept_id: Option<u64>,
    #[serde(default)]
    pub notes: Option<String>,
    #[serde(with = "dates::iso")]
    pub start_date: Date,
    pub is_current: bool,
    /// True when the suspension is of imports into the country (exports by default).
    #[serde(default)]
    pub applies_to_import: bool,
    pub geo_entity: GeoEntity,
    #[serde(default)]
    pub start_notification: Option<Notification>,
}

/// The CITES Notification to the Parties that announced something.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Notification {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, with = "dates::iso_option")]
    pub date: Option<Date>,
    #[serde(default)]
    pub url: Option<String>,
}

/// One country of a taxon's range (`GET taxon_concepts/:id/distributions`), used to check
/// that wild specimens come from a range State.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Distribution {
    pub id: u64,
    #[serde(deserialize_with = "non_empty")]
    pub iso_code2: String,
    #[serde(default)]
    pub name: Option<String>,
    /// E.g. `extinct`, `introduced`, `uncertain`.
    #[serde(default, deserialize_with = "null_as_default")]
    pub tags: Vec<String>,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub references: Vec<String>,
}

/// A literature reference of a taxon (`GET taxon_concepts/:id/references`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Reference {
    pub id: u64,
    #[serde(default)]
    pub citation: Option<String>,
    #[serde(default)]
    pub is_standard: Option<bool>,
}

fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

fn non_empty<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s = String::deserialize(d)?;
    if s.trim().is_empty() {
        return Err(serde::de::Error::custom("an empty name or code"));
    }
    Ok(s)
}

#[cfg(test)]
#[path = "speciesplus_tests.rs"]
mod tests;
