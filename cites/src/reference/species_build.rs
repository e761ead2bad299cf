//! Building a [`SpeciesCatalogue`] from Species+ answers.

use super::species::{
    CatalogueError, CatalogueWarning, CommonName, HashNote, HigherTaxa, ListingChange,
    ListingHistory, Quota, SpeciesCatalogue, Suspension, Synonym, Taxon,
};
use super::speciesplus::{
    self, ChangeType, CitesLegislation, CurrentListing, GeoEntity, ListingChangeRecord, NameStatus,
    QuotaRecord, SuspensionRecord, TaxonConcept, TaxonConceptsPage,
};
use crate::domain::codes::Kingdom;
use ecites_events::payloads::species as payload;
use ecites_events::PartyCode;
use std::collections::BTreeMap;

/// The `scope` a `cites_legislation` answer was fetched with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LegislationScope {
    /// `scope=current` (the API's default): only what is in force.
    Current,
    /// `scope=all`: the whole history.
    All,
}

/// Collects Species+ answers, then builds the catalogue in one pass.
#[derive(Clone, Debug, Default)]
pub struct CatalogueBuilder {
    accepted: BTreeMap<u64, TaxonConcept>,
    synonyms: BTreeMap<u64, TaxonConcept>,
    legislation: BTreeMap<u64, (LegislationScope, CitesLegislation)>,
}

impl CatalogueBuilder {
    /// Adds the taxon concepts of one `taxon_concepts` page; a later page replaces a concept
    /// given earlier. CMS-taxonomy concepts are refused: their names and ranks are not the
    /// CITES ones.
    pub fn add_page(&mut self, page: TaxonConceptsPage) -> Result<&mut Self, CatalogueError> {
        for concept in page.taxon_concepts {
            if let Some(taxonomy) = &concept.taxonomy {
                if !taxonomy.eq_ignore_ascii_case("CITES") {
                    return Err(CatalogueError::NotCitesTaxonomy {
                        taxon_id: concept.id,
                        taxonomy: taxonomy.clone(),
                    });
                }
            }
            match concept.name_status {
                NameStatus::Accepted => self.accepted.insert(concept.id, concept),
                NameStatus::Synonym => self.synonyms.insert(concept.id, concept),
            };
        }
        Ok(self)
    }

    /// Adds the `cites_legislation` answer for a taxon, replacing any given before.
    pub fn add_legislation(
        &mut self,
        taxon_id: u64,
        scope: LegislationScope,
        legislation: CitesLegislation,
    ) -> &mut Self {
        self.legislation.insert(taxon_id, (scope, legislation));
        self
    }

    /// Builds the catalogue. Inactive concepts are left out; a synonym concept becomes a
    /// synonym of each of its accepted names that the pages hold. A taxon without
    /// legislation gets the current listings of its concept.
    /// A published quota that an exact quantity cannot hold does not fail the build: it is
    /// recorded as no quota with its text in the notes, and listed in
    /// [`SpeciesCatalogue::warnings`].
    pub fn build(mut self) -> Result<SpeciesCatalogue, CatalogueError> {
        if let Some(id) = self
            .legislation
            .keys()
            .find(|id| !self.accepted.contains_key(id))
        {
            return Err(CatalogueError::LegislationForUnknownTaxon(*id));
        }
        let mut taxa: BTreeMap<u64, Taxon> = BTreeMap::new();
        let mut warnings = Vec::new();
        for (id, concept) in &self.accepted {
            if concept.active == Some(false) {
                continue;
            }
            let legislation = self.legislation.remove(id);
            taxa.insert(*id, taxon_from(concept, legislation, &mut warnings)?);
        }
        for synonym in self.synonyms.values() {
            if synonym.active == Some(false) {
                continue;
            }
            for accepted in &synonym.accepted_names {
                if let Some(taxon) = taxa.get_mut(&accepted.id) {
                    taxon.synonyms.push(Synonym {
                        full_name: synonym.full_name.clone(),
                        id: Some(synonym.id),
                        author_year: synonym.author_year.clone(),
                        rank: Some(synonym.rank.clone()),
                    });
                }
            }
        }
        Ok(SpeciesCatalogue::from_taxa(taxa.into_values())?.with_warnings(warnings))
    }
}

fn text(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn kingdom(concept: &TaxonConcept) -> Result<Kingdom, CatalogueError> {
    let named = concept.higher_taxa.as_ref().and_then(|h| h.kingdom.clone());
    match named.as_deref() {
        Some("Animalia") => Ok(Kingdom::Animalia),
        Some("Plantae") => Ok(Kingdom::Plantae),
        _ => Err(CatalogueError::UnknownKingdom {
            taxon_id: concept.id,
            kingdom: named,
        }),
    }
}

fn taxon_from(
    concept: &TaxonConcept,
    legislation: Option<(LegislationScope, CitesLegislation)>,
    warnings: &mut Vec<CatalogueWarning>,
) -> Result<Taxon, CatalogueError> {
    let h = concept.higher_taxa.clone().unwrap_or_default();
    let mut taxon = Taxon {
        id: concept.id,
        full_name: concept.full_name.trim().to_string(),
        author_year: text(&concept.author_year),
        rank: concept.rank.trim().to_string(),
        kingdom: kingdom(concept)?,
        higher_taxa: HigherTaxa {
            phylum: text(&h.phylum),
            class: text(&h.class),
            order: text(&h.order),
            family: text(&h.family),
        },
        synonyms: concept
            .synonyms
            .iter()
            .map(|s| Synonym {
                full_name: s.full_name.trim().to_string(),
                id: Some(s.id),
                author_year: text(&s.author_year),
                rank: text(&s.rank),
            })
            .collect(),
        common_names: concept
            .common_names
            .iter()
            .map(|c| CommonName {
                language: text(&c.language),
                name: c.name.trim().to_string(),
            })
            .collect(),
        listing_history: ListingHistory::CurrentOnly,
        listing_changes: Vec::new(),
        quotas: Vec::new(),
        suspensions: Vec::new(),
    };
    match legislation {
        Some((scope, legislation)) => {
            if scope == LegislationScope::All {
                taxon.listing_history = ListingHistory::Complete;
            }
            taxon.listing_changes = legislation
                .cites_listings
                .iter()
                .map(|r| listing_change(concept.id, r))
                .collect::<Result<_, _>>()?;
            taxon.quotas = legislation
                .cites_quotas
                .iter()
                .map(|q| quota(concept.id, q, warnings))
                .collect();
            taxon.suspensions = legislation
                .cites_suspensions
                .iter()
                .map(suspension)
                .collect();
        }
        None => {
            taxon.listing_changes = concept
                .cites_listings
                .iter()
                .map(|l| current_listing(concept.id, l))
                .collect::<Result<_, _>>()?;
        }
    }
    Ok(taxon)
}

fn party(
    taxon_id: u64,
    listing_id: u64,
    geo: &Option<GeoEntity>,
) -> Result<Option<PartyCode>, CatalogueError> {
    let Some(geo) = geo else {
        return Ok(None);
    };
    let code = geo.iso_code2.trim();
    // A listing Party decides who issues what (Appendix III), so an odd code is refused
    // rather than carried along.
    if code.len() != 2 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(CatalogueError::InvalidParty {
            taxon_id,
            listing_id,
            code: geo.iso_code2.clone(),
        });
    }
    code.parse()
        .map(Some)
        .map_err(|_| CatalogueError::InvalidParty {
            taxon_id,
            listing_id,
            code: geo.iso_code2.clone(),
        })
}

fn hash_note(h: &Option<speciesplus::HashAnnotation>) -> Option<HashNote> {
    let h = h.as_ref()?;
    let note = HashNote {
        symbol: text(&h.symbol),
        note: text(&h.note),
    };
    (note.symbol.is_some() || note.note.is_some()).then_some(note)
}

fn listing_change(taxon_id: u64, r: &ListingChangeRecord) -> Result<ListingChange, CatalogueError> {
    let party = party(taxon_id, r.id, &r.party)?;
    let is_reservation = matches!(
        r.change_type,
        ChangeType::ReservationEntered | ChangeType::ReservationWithdrawn
    );
    if is_reservation && party.is_none() {
        return Err(CatalogueError::ReservationWithoutParty {
            taxon_id,
            listing_id: r.id,
        });
    }
    Ok(ListingChange {
        id: r.id,
        taxon_concept_id: r.taxon_concept_id,
        change_type: r.change_type,
        appendix: r.appendix,
        effective_at: r.effective_at,
        party,
        annotation: text(&r.annotation),
        hash_annotation: hash_note(&r.hash_annotation),
        is_current: r.is_current,
    })
}

fn current_listing(taxon_id: u64, l: &CurrentListing) -> Result<ListingChange, CatalogueError> {
    Ok(ListingChange {
        id: l.id,
        taxon_concept_id: None,
        change_type: ChangeType::Addition,
        appendix: l.appendix,
        effective_at: l.effective_at,
        party: party(taxon_id, l.id, &l.party)?,
        annotation: text(&l.annotation),
        hash_annotation: hash_note(&l.hash_annotation),
        is_current: true,
    })
}

/// A quota as Species+ published it; one an exact quantity cannot hold becomes no quota, its
/// published text appended to the notes and a warning for the import report.
fn quota(taxon_id: u64, q: &QuotaRecord, warnings: &mut Vec<CatalogueWarning>) -> Quota {
    let mut notes = text(&q.notes);
    let exact = match q.quota.map(payload::quota_from_f64) {
        None => None,
        Some(Ok(exact)) => Some(exact),
        Some(Err(reason)) => {
            let published = q.quota.map_or_else(String::new, |f| f.to_string());
            notes = Some(payload::unheld_quota_note(
                notes.as_deref(),
                &published,
                &reason,
            ));
            warnings.push(CatalogueWarning::QuotaNotHeld {
                taxon_id,
                quota_id: q.id,
                published,
                reason,
            });
            None
        }
    };
    Quota {
        id: q.id,
        taxon_concept_id: q.taxon_concept_id,
        country: q.geo_entity.iso_code2.trim().to_string(),
        quota: exact,
        unit: q.unit.as_ref().map(|u| u.code.trim().to_string()),
        publication_date: q.publication_date,
        notes,
        url: text(&q.url),
        public_display: q.public_display,
        is_current: q.is_current,
    }
}

fn suspension(s: &SuspensionRecord) -> Suspension {
    let notice = s.start_notification.as_ref();
    Suspension {
        id: s.id,
        taxon_concept_id: s.taxon_concept_id,
        country: s.geo_entity.iso_code2.trim().to_string(),
        start_date: s.start_date,
        applies_to_import: s.applies_to_import,
        is_current: s.is_current,
        notes: text(&s.notes),
        notification: notice.and_then(|n| text(&n.name)),
        notification_date: notice.and_then(|n| n.date),
        notification_url: notice.and_then(|n| text(&n.url)),
    }
}
