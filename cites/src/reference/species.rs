//! The species catalogue: CITES taxa by name and id, with the listings in force on a date,
//! reservations, export quotas and trade suspensions.
//!
//! Built from Species+ answers ([`CatalogueBuilder`]), from the demo list
//! ([`SpeciesCatalogue::from_demo_csv`]) or from stored [`Taxon`] records
//! ([`SpeciesCatalogue::from_taxa`], e.g. replayed import events). A [`Taxon`] is kept in a
//! canonical order so that the same data always serialises to the same bytes.

use super::listing_history::{listing_intervals, reservation_intervals, Interval};
pub use super::species_build::{CatalogueBuilder, LegislationScope};
pub use super::species_demo::DEMO_TAXON_ID_BASE;
use crate::domain::codes::{Appendix, Kingdom};
// The stored record of a taxon is an event payload, so it lives in the events crate; it is
// re-exported here, where the catalogue that indexes it is.
pub use ecites_events::payloads::species::{
    ChangeType, CommonName, HashNote, HigherTaxa, ListingChange, ListingHistory, Quota, Suspension,
    Synonym, Taxon,
};
use ecites_events::PartyCode;
use std::collections::{BTreeMap, HashMap};
use time::Date;

/// A name resolved to the taxon the Checklist lists it under.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvedTaxon {
    pub taxon_id: u64,
    pub accepted_name: String,
    /// The name as the applicant wrote it.
    pub written_as: String,
    /// The name is a synonym of `accepted_name`.
    pub via_synonym: bool,
    pub kingdom: Kingdom,
    pub rank: String,
    pub higher_taxa: HigherTaxa,
}

/// A listing of the taxon in force on a date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListingInForce {
    pub listing_id: u64,
    pub appendix: Appendix,
    /// The Party that listed the taxon in Appendix III.
    pub listing_party: Option<PartyCode>,
    pub annotation: Option<String>,
    pub hash_annotation: Option<HashNote>,
    pub effective_at: Date,
}

/// A Party's reservation on the taxon in force on a date: for that taxon the Party is
/// treated as a non-Party (Art. XXIII).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReservationInForce {
    pub listing_id: u64,
    pub appendix: Appendix,
    pub party: PartyCode,
    pub effective_at: Date,
}

/// Why a catalogue could not be built.
#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    #[error("taxon {taxon_id}: taxonomy {taxonomy:?} is not the CITES taxonomy")]
    NotCitesTaxonomy { taxon_id: u64, taxonomy: String },
    #[error("taxon {taxon_id}: kingdom {kingdom:?} is neither Animalia nor Plantae")]
    UnknownKingdom {
        taxon_id: u64,
        kingdom: Option<String>,
    },
    #[error("legislation given for taxon {0}, which no taxon_concepts page holds")]
    LegislationForUnknownTaxon(u64),
    #[error("taxon {taxon_id}, listing change {listing_id}: party {code:?} is not an ISO code")]
    InvalidParty {
        taxon_id: u64,
        listing_id: u64,
        code: String,
    },
    #[error("taxon {taxon_id}, listing change {listing_id}: a reservation without a Party")]
    ReservationWithoutParty { taxon_id: u64, listing_id: u64 },
    #[error("taxon {0} is given twice")]
    DuplicateTaxon(u64),
    #[error("demo list line {line}: {reason}")]
    Demo { line: u64, reason: String },
}

#[derive(Clone, Copy, Debug)]
struct NameTarget {
    taxon_id: u64,
    via_synonym: bool,
}

/// Something a catalogue build kept but could not take as Species+ gave it; the import goes on
/// and reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CatalogueWarning {
    /// A published quota an exact quantity cannot hold (more than three decimals, negative,
    /// not finite): recorded as no quota, its published text kept in the quota's `notes`,
    /// never rounded into a signed event.
    QuotaNotHeld {
        taxon_id: u64,
        quota_id: u64,
        published: String,
        reason: String,
    },
}

impl std::fmt::Display for CatalogueWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::QuotaNotHeld {
                taxon_id,
                quota_id,
                published,
                reason,
            } => write!(
                f,
                "taxon {taxon_id}, quota {quota_id}: published quota {published} recorded as no quota ({reason}); the text is kept in its notes"
            ),
        }
    }
}

/// The CITES taxa the rules engine can name, with their legislation.
#[derive(Clone, Debug, Default)]
pub struct SpeciesCatalogue {
    taxa: BTreeMap<u64, Taxon>,
    names: HashMap<String, Vec<NameTarget>>,
    /// What the build from Species+ answers kept but could not take as given (empty for a
    /// catalogue rebuilt from the log).
    warnings: Vec<CatalogueWarning>,
}

/// The key a name is looked up by: case and runs of white space do not matter.
fn name_key(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

impl SpeciesCatalogue {
    /// A builder fed with Species+ answers.
    pub fn builder() -> CatalogueBuilder {
        CatalogueBuilder::default()
    }

    /// A catalogue of these taxa (canonicalised), indexed by name and synonym.
    pub fn from_taxa(taxa: impl IntoIterator<Item = Taxon>) -> Result<Self, CatalogueError> {
        let mut out = Self::default();
        for mut taxon in taxa {
            taxon.canonicalise();
            let id = taxon.id;
            if out.taxa.insert(id, taxon).is_some() {
                return Err(CatalogueError::DuplicateTaxon(id));
            }
        }
        for taxon in out.taxa.values() {
            let own = std::iter::once((taxon.full_name.as_str(), false));
            let synonyms = taxon.synonyms.iter().map(|s| (s.full_name.as_str(), true));
            for (name, via_synonym) in own.chain(synonyms) {
                out.names
                    .entry(name_key(name))
                    .or_default()
                    .push(NameTarget {
                        taxon_id: taxon.id,
                        via_synonym,
                    });
            }
        }
        Ok(out)
    }

    /// Resolves a scientific name (case-insensitive, exact). An accepted name wins over a
    /// synonym; a name that still points at several taxa resolves to nothing, because picking
    /// one would guess which species the applicant meant.
    pub fn resolve(&self, name: &str) -> Option<ResolvedTaxon> {
        let targets = self.names.get(&name_key(name))?;
        let pick = |via_synonym: bool| {
            let mut ids: Vec<u64> = targets
                .iter()
                .filter(|t| t.via_synonym == via_synonym)
                .map(|t| t.taxon_id)
                .collect();
            ids.sort_unstable();
            ids.dedup();
            ids
        };
        let (ids, via_synonym) = match pick(false) {
            accepted if !accepted.is_empty() => (accepted, false),
            _ => (pick(true), true),
        };
        let [taxon_id] = ids[..] else {
            return None;
        };
        let taxon = self.taxa.get(&taxon_id)?;
        Some(ResolvedTaxon {
            taxon_id,
            accepted_name: taxon.full_name.clone(),
            written_as: name.to_string(),
            via_synonym,
            kingdom: taxon.kingdom,
            rank: taxon.rank.clone(),
            higher_taxa: taxon.higher_taxa.clone(),
        })
    }

    /// The taxon with this Species+ id (accepted names only).
    pub fn by_id(&self, taxon_id: u64) -> Option<&Taxon> {
        self.taxa.get(&taxon_id)
    }

    /// Every taxon, by id.
    pub fn taxa(&self) -> impl Iterator<Item = &Taxon> {
        self.taxa.values()
    }

    /// What the build from Species+ answers kept but could not take as given: the import
    /// report's warnings.
    pub fn warnings(&self) -> &[CatalogueWarning] {
        &self.warnings
    }

    pub(crate) fn with_warnings(mut self, warnings: Vec<CatalogueWarning>) -> Self {
        self.warnings = warnings;
        self
    }

    /// The number of taxa.
    pub fn len(&self) -> usize {
        self.taxa.len()
    }

    /// True when the catalogue holds no taxon.
    pub fn is_empty(&self) -> bool {
        self.taxa.is_empty()
    }

    /// The listings of the taxon in force on `date` (a split listing gives several), derived
    /// from its listing changes; empty for an unknown or unlisted taxon. With a
    /// [`ListingHistory::CurrentOnly`] history, only dates from the latest change on are
    /// reliable.
    pub fn listings_on(&self, taxon_id: u64, date: Date) -> Vec<ListingInForce> {
        let Some(taxon) = self.taxa.get(&taxon_id) else {
            return Vec::new();
        };
        let mut out: Vec<ListingInForce> = listing_intervals(&taxon.listing_changes)
            .into_iter()
            .filter(|i| i.covers(date))
            .map(|Interval { change: c, .. }| ListingInForce {
                listing_id: c.id,
                appendix: c.appendix,
                listing_party: c.party,
                annotation: c.annotation.clone(),
                hash_annotation: c.hash_annotation.clone(),
                effective_at: c.effective_at,
            })
            .collect();
        out.sort_by_key(|l| (l.appendix, l.listing_party, l.listing_id));
        out
    }

    /// The Parties' reservations on the taxon in force on `date`.
    pub fn reservations_on(&self, taxon_id: u64, date: Date) -> Vec<ReservationInForce> {
        let Some(taxon) = self.taxa.get(&taxon_id) else {
            return Vec::new();
        };
        let mut out: Vec<ReservationInForce> = reservation_intervals(&taxon.listing_changes)
            .into_iter()
            .filter(|i| i.covers(date))
            .filter_map(|Interval { change: c, .. }| {
                Some(ReservationInForce {
                    listing_id: c.id,
                    appendix: c.appendix,
                    party: c.party?,
                    effective_at: c.effective_at,
                })
            })
            .collect();
        out.sort_by_key(|r| (r.appendix, r.party, r.listing_id));
        out
    }

    /// The date the taxon was first included in an Appendix, for pre-Convention checks (a
    /// specimen acquired before it is pre-Convention, Art. VII.2). `None` when the taxon is
    /// unknown, was never listed, or only its current listings are known: an unknown date
    /// must not make a specimen look older than its listing.
    pub fn first_listed(&self, taxon_id: u64) -> Option<Date> {
        let taxon = self.taxa.get(&taxon_id)?;
        if taxon.listing_history != ListingHistory::Complete {
            return None;
        }
        taxon
            .listing_changes
            .iter()
            .filter(|c| c.change_type == ChangeType::Addition)
            .map(|c| c.effective_at)
            .min()
    }

    /// The taxon's CITES export quotas, current and past (see `is_current`).
    pub fn quotas(&self, taxon_id: u64) -> &[Quota] {
        self.taxa.get(&taxon_id).map_or(&[], |t| &t.quotas)
    }

    /// The trade suspensions that concern the taxon, current and past.
    pub fn suspensions(&self, taxon_id: u64) -> &[Suspension] {
        self.taxa.get(&taxon_id).map_or(&[], |t| &t.suspensions)
    }
}

#[cfg(test)]
#[path = "species_tests.rs"]
mod tests;
