//! The reference data the rules consult, behind the domain's [`Reference`] trait: the code
//! lists and a species catalogue.

use super::codes::CodeLists;
use super::species::SpeciesCatalogue;
use crate::domain::codes::PurposeCode;
use crate::domain::context::{ListingInfo, Reference, SuspensionInfo, TaxonInfo};
use ecites_events::cites::IsoDate;

pub struct ReferenceData {
    pub codes: CodeLists,
    pub species: SpeciesCatalogue,
}

#[derive(Debug, thiserror::Error)]
#[error("reference data: {0}")]
pub struct ReferenceError(String);

impl ReferenceData {
    pub fn new(species: SpeciesCatalogue) -> Result<Self, ReferenceError> {
        let codes = CodeLists::embedded().map_err(|e| ReferenceError(e.to_string()))?;
        Ok(Self { codes, species })
    }

    /// The shipped code lists and the demo species list (`schemas/codes/species-demo.csv`).
    /// Start-up only: the embedded data is checked by tests, so failing here is a build defect.
    pub fn demo() -> Self {
        let species = SpeciesCatalogue::demo().expect("the embedded demo species list parses");
        Self::new(species).expect("the embedded code lists parse")
    }
}

impl Reference for ReferenceData {
    fn resolve_taxon(&self, name: &str) -> Option<TaxonInfo> {
        self.species.resolve(name).map(|t| TaxonInfo {
            taxon_id: t.taxon_id,
            accepted_name: t.accepted_name,
            written_as: t.written_as,
            kingdom: t.kingdom,
        })
    }

    fn listings_on(&self, taxon_id: u64, date: IsoDate) -> Vec<ListingInfo> {
        self.species
            .listings_on(taxon_id, date.0)
            .into_iter()
            .map(|l| ListingInfo {
                listing_id: l.listing_id,
                appendix: l.appendix,
                listing_party: l.listing_party,
                effective_at: IsoDate(l.effective_at),
                annotation: l.annotation.clone(),
            })
            .collect()
    }

    fn first_listed(&self, taxon_id: u64) -> Option<IsoDate> {
        self.species.first_listed(taxon_id).map(IsoDate)
    }

    fn suspensions_on(&self, taxon_id: u64, date: IsoDate) -> Vec<SuspensionInfo> {
        self.species
            .suspensions(taxon_id)
            .iter()
            .filter(|s| s.is_current && s.start_date <= date.0)
            .filter_map(|s| {
                Some(SuspensionInfo {
                    id: s.id,
                    country: s.country.parse().ok()?,
                    taxon_id: s.taxon_concept_id.map(|_| taxon_id),
                    applies_to_import: s.applies_to_import,
                    notification: s
                        .notification
                        .clone()
                        .unwrap_or_else(|| format!("suspension {}", s.id)),
                })
            })
            .collect()
    }

    fn is_country(&self, code: &str) -> bool {
        self.codes.is_country(code)
    }

    fn is_term(&self, code: &str) -> bool {
        self.codes.term(code).is_some()
    }

    fn is_unit(&self, code: &str) -> bool {
        self.codes.unit(code).is_some()
    }

    fn unit_allowed_for_term(&self, term: &str, unit: Option<&str>) -> bool {
        self.codes.unit_allowed_for_term(term, unit)
    }

    fn term_purpose_is_usual(&self, term: &str, purpose: PurposeCode) -> bool {
        self.codes.term_purpose_is_usual(term, purpose.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_reference_answers_the_rules_questions() {
        let r = ReferenceData::demo();
        let python = r.resolve_taxon("Python regius").expect("in the demo list");
        let today = IsoDate(time::macros::date!(2026 - 11 - 28));
        let listings = r.listings_on(python.taxon_id, today);
        assert_eq!(listings.len(), 1);
        assert_eq!(listings[0].appendix, crate::domain::codes::Appendix::II);
        assert!(r.is_term("SKI") && r.is_term("LIV") && !r.is_term("XYZ"));
        assert!(r.unit_allowed_for_term("LIV", None));
        assert!(
            r.unit_allowed_for_term("LIV", Some("KIL")),
            "live corals are traded by weight"
        );
        assert!(!r.unit_allowed_for_term("LIV", Some("SQM")));
        assert!(r.is_country("DE") && !r.is_country("XX"));
        assert!(r.resolve_taxon("Unicornis magica").is_none());
    }
}
