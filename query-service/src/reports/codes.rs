//! The CITES code lists the annual-report validation checks against: the sets of codes, read
//! once from the one loader (`ecites_cites::reference::codes`, the lists the decisions use).

use ecites_cites::reference::codes::{CodeEntry, CodeLists};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

/// Valid codes of each list.
#[derive(Debug, Default)]
pub struct Codes {
    pub purposes: BTreeSet<String>,
    pub sources: BTreeSet<String>,
    /// Named terms and the terms the term–unit pairs use (the Trade Database accepts both).
    pub terms: BTreeSet<String>,
    pub units: BTreeSet<String>,
    /// term → allowed units; "" is the blank unit (number of specimens).
    pub term_units: BTreeMap<String, BTreeSet<String>>,
    /// term → the purposes the Trade Database's validation pairs expect.
    pub term_purposes: BTreeMap<String, BTreeSet<String>>,
    /// Country, territory and Trade Database region codes (e.g. `XX` unknown).
    pub countries: BTreeSet<String>,
}

/// UN/ECE unit codes the Trade Database uses since 2021, read as their CITES codes.
pub use ecites_cites::reference::codes::normalise_unit;

impl Codes {
    /// The lists compiled into this binary (parsed once).
    pub fn embedded() -> &'static Codes {
        static CODES: OnceLock<Codes> = OnceLock::new();
        CODES.get_or_init(Self::load)
    }

    /// The report's view of the one code-list loader of `ecites-cites` (the lists the
    /// decisions use): every code, former country codes and Trade Database regions included,
    /// and the terms the pairs use whether named or not (the Trade Database accepts both).
    fn load() -> Codes {
        let lists = match CodeLists::embedded() {
            Ok(l) => l,
            Err(e) => {
                // Compiled in and tested: only a broken build gets here. Every row is then
                // flagged rather than the report refused.
                tracing::error!(error = %e, "the embedded code lists do not parse");
                return Codes::default();
            }
        };
        fn codes<'a>(it: impl Iterator<Item = &'a CodeEntry>) -> BTreeSet<String> {
            it.map(|e| e.code.clone()).collect()
        }
        let mut terms = codes(lists.terms());
        terms.extend(lists.term_unit_pairs().keys().cloned());
        Codes {
            purposes: codes(lists.purposes()),
            sources: codes(lists.sources()),
            terms,
            units: codes(lists.units()),
            term_units: lists.term_unit_pairs().clone(),
            term_purposes: lists.term_purpose_pairs().clone(),
            countries: lists.countries().map(|c| c.code.clone()).collect(),
        }
    }

    pub fn unit_valid(&self, unit: &str) -> bool {
        self.units.contains(normalise_unit(unit))
    }

    /// Whether the Trade Database pairs this unit with this term ("" = number).
    pub fn term_unit_usual(&self, term: &str, unit: &str) -> bool {
        let unit = if unit.is_empty() {
            ""
        } else {
            normalise_unit(unit)
        };
        self.term_units
            .get(term)
            .is_some_and(|units| units.contains(unit))
    }
}

impl Codes {
    /// Whether the validation pairs expect this purpose for this term (a term without pairs:
    /// nothing to say).
    pub fn term_purpose_usual(&self, term: &str, purpose: &str) -> bool {
        self.term_purposes
            .get(term)
            .is_none_or(|purposes| purposes.contains(purpose))
    }
}

/// Terms that describe only plant specimens or only animal specimens: a row whose taxon is of
/// the other kingdom is what the Trade Database's taxon–term check flags (e.g. timber of an
/// animal, tusks of a plant). A proxy for its per-taxon pairs, which are not shipped; terms of
/// both kingdoms (EXT, OIL, POW, DER, LIV, SPE…) are in neither list.
pub const PLANT_TERMS: &[&str] = &[
    "BAR", "CHP", "DPL", "FLO", "FPT", "FRN", "FRU", "GRS", "LOG", "LVS", "PLY", "ROO", "SAW",
    "SEE", "STE", "TIC", "TIM", "TIP", "VEN", "WOO", "WPR",
];
pub const ANIMAL_TERMS: &[&str] = &[
    "BAL", "BOC", "BOD", "BON", "BOP", "BPR", "CAL", "CAP", "CAV", "CLA", "EAR", "EGG", "EGL",
    "FEA", "FIG", "FIN", "FOO", "GAB", "GAL", "GEN", "GIL", "HAI", "HAP", "HEA", "HOC", "HOP",
    "HOR", "HOS", "HPR", "IJW", "IVC", "IVP", "IVS", "LEG", "MEA", "MUS", "QUI", "SCA", "SHE",
    "SKE", "SKI", "SKP", "SKS", "SKU", "SWI", "TAI", "TEE", "TRO", "TUS", "VNM",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_load() {
        let c = Codes::embedded();
        assert!(c.terms.contains("CAV") && c.terms.contains("LIV"));
        assert!(c.unit_valid("KIL") && c.unit_valid("KGM") && !c.unit_valid("XYZ"));
        assert!(c.sources.contains("X") && c.sources.contains("W"));
        assert!(c.purposes.contains("T"));
        assert!(c.countries.contains("LK") && c.countries.contains("FR"));
        assert!(c.term_unit_usual("CAV", "KIL"));
        assert!(c.term_unit_usual("LIV", ""));
        assert!(!c.term_unit_usual("CAV", "MTR"));
        assert!(c.term_purpose_usual("MEA", "T"));
        for t in PLANT_TERMS.iter().chain(ANIMAL_TERMS) {
            assert!(c.terms.contains(*t), "{t} is a term code");
        }
    }
}
