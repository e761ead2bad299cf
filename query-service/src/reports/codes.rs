//! The CITES code lists the annual-report validation checks against, compiled in from
//! `schemas/codes/` (the same files `command-service/src/reference/codes.rs` reads with its
//! strict loader; here only the code columns matter).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

const PURPOSES: &str = include_str!("../../../schemas/codes/purpose_codes_utf8.csv");
const SOURCES: &str = include_str!("../../../schemas/codes/source_codes_utf8.csv");
const TERMS: &str = include_str!("../../../schemas/codes/term_codes_utf8.csv");
const UNITS: &str = include_str!("../../../schemas/codes/unit_codes_utf8.csv");
const TERM_UNITS: &str = include_str!("../../../schemas/codes/term_unit_pairs_utf8.csv");
const TERM_PURPOSES: &str = include_str!("../../../schemas/codes/term_purpose_pairs_utf8.csv");
const PARTIES: &str = include_str!("../../../schemas/codes/cites_parties.tsv");
const ADDITIONS: &str = include_str!("../../../schemas/codes/additions.csv");

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

/// The first column of every data row of a delimited file.
fn first_column(
    text: &str,
    delimiter: u8,
) -> impl Iterator<Item = (String, csv::StringRecord)> + '_ {
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(text.as_bytes())
        .into_records()
        .filter_map(Result::ok)
        .filter_map(|r| r.get(0).map(|c| (c.trim().to_string(), r.clone())))
        .filter(|(c, _)| !c.is_empty())
}

/// UN/ECE unit codes the Trade Database uses since 2021, read as their CITES codes.
pub fn normalise_unit(code: &str) -> &str {
    match code.trim() {
        "KGM" => "KIL",
        "MTQ" => "CUM",
        "MTK" => "SQM",
        "CMQ" => "CCM",
        other => other,
    }
}

impl Codes {
    /// The lists compiled into this binary (parsed once).
    pub fn embedded() -> &'static Codes {
        static CODES: OnceLock<Codes> = OnceLock::new();
        CODES.get_or_init(Self::load)
    }

    fn load() -> Codes {
        let mut c = Codes {
            purposes: first_column(PURPOSES, b',').map(|(k, _)| k).collect(),
            sources: first_column(SOURCES, b',').map(|(k, _)| k).collect(),
            terms: first_column(TERMS, b',').map(|(k, _)| k).collect(),
            units: first_column(UNITS, b',').map(|(k, _)| k).collect(),
            ..Codes::default()
        };
        for (list, row) in first_column(ADDITIONS, b',') {
            let code = row.get(1).unwrap_or("").trim().to_string();
            match list.as_str() {
                "purpose" => c.purposes.insert(code),
                "source" => c.sources.insert(code),
                "term" => c.terms.insert(code),
                "unit" => c.units.insert(code),
                _ => false,
            };
        }
        for (term, row) in first_column(TERM_UNITS, b',') {
            let unit = row.get(1).unwrap_or("").trim().to_string();
            c.terms.insert(term.clone());
            c.term_units.entry(term).or_default().insert(unit);
        }
        for (term, row) in first_column(TERM_PURPOSES, b',') {
            let purpose = row.get(1).unwrap_or("").trim().to_string();
            c.term_purposes.entry(term).or_default().insert(purpose);
        }
        for (_, row) in first_column(PARTIES, b'\t') {
            if let Some(code) = row.get(1).map(str::trim).filter(|s| !s.is_empty()) {
                c.countries.insert(code.to_string());
            }
        }
        c
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
