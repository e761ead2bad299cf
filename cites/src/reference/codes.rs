//! CITES trade code lists (purpose, source, term, unit), the term-unit and term-purpose pairs
//! the Trade Database accepts, and the country table, shipped in `schemas/codes/` and compiled
//! into the binary.
//!
//! Parsing is strict: a duplicate code, a malformed code, a pair naming an unknown unit or
//! purpose, or a changed header refuses the whole set, because a rule that consults a silently
//! wrong list gives wrong answers. Oddities that the shipped data really has (terms used in the
//! pairs but missing from the 2013 term list, duplicate pair rows) are not errors; they are
//! listed by [`CodeLists::validate`].

use super::codes_parse::{
    apply_additions, read_code_list, read_countries, read_pairs, F_PURPOSES, F_SOURCES, F_TERMS,
    F_TERM_PURPOSES, F_TERM_UNITS, F_UNITS,
};
use crate::domain::codes::{PurposeCode, SourceCode};
use std::collections::{BTreeMap, BTreeSet};
use time::Date;

/// The texts of the code-list files, so that tests can feed altered copies.
#[derive(Clone, Copy, Debug)]
pub struct CodeListSources<'a> {
    pub purposes: &'a str,
    pub sources: &'a str,
    pub terms: &'a str,
    pub units: &'a str,
    pub term_units: &'a str,
    pub term_purposes: &'a str,
    pub parties: &'a str,
    pub additions: &'a str,
}

impl CodeListSources<'static> {
    /// The files of `schemas/codes/`, as compiled into this binary.
    pub const EMBEDDED: Self = Self {
        purposes: include_str!("../../../schemas/codes/purpose_codes_utf8.csv"),
        sources: include_str!("../../../schemas/codes/source_codes_utf8.csv"),
        terms: include_str!("../../../schemas/codes/term_codes_utf8.csv"),
        units: include_str!("../../../schemas/codes/unit_codes_utf8.csv"),
        term_units: include_str!("../../../schemas/codes/term_unit_pairs_utf8.csv"),
        term_purposes: include_str!("../../../schemas/codes/term_purpose_pairs_utf8.csv"),
        parties: include_str!("../../../schemas/codes/cites_parties.tsv"),
        additions: include_str!("../../../schemas/codes/additions.csv"),
    };
}

/// Where a code-list entry comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeOrigin {
    /// The SAPI 2013 code files.
    Sapi2013,
    /// `schemas/codes/additions.csv`: codes adopted after 2013 (e.g. sources X and Y).
    Addition,
}

/// One entry of a CITES code list: the code and its names in the Convention's three working
/// languages. Additions may lack the French and Spanish names when no authoritative
/// translation was at hand.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeEntry {
    pub code: String,
    pub english: String,
    pub french: Option<String>,
    pub spanish: Option<String>,
    pub origin: CodeOrigin,
}

/// A term code: the description of the specimens (permit box 9), e.g. `LIV`, `TUS`.
pub type Term = CodeEntry;
/// A unit code (permit box 11), e.g. `KIL`; no unit means a number of specimens.
pub type Unit = CodeEntry;
/// A purpose-of-transaction code (box 5a), e.g. `T` commercial.
pub type Purpose = CodeEntry;
/// A source-of-specimens code (box 5b), e.g. `W` wild.
pub type Source = CodeEntry;

/// A country, territory or Trade Database region code, from the CITES Trade Database guide
/// (via citesdb's `cites_parties.tsv`, 2019).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Country {
    pub code: String,
    pub name: String,
    /// The code was replaced by another one (e.g. `ZR` → `CD`).
    pub former_code: bool,
    /// Not an ISO 3166 code but a Trade Database aggregate (e.g. `XX` unknown, `ZZ` the sea).
    pub non_iso: bool,
    /// The date the country became a Party; `None` if it was not a Party in the 2019 table.
    pub party_since: Option<Date>,
}

/// Why the shipped code lists could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum CodeListError {
    #[error("{file}: {source}")]
    Csv {
        file: &'static str,
        #[source]
        source: csv::Error,
    },
    #[error("{file}: header is {found:?}, expected {expected:?}")]
    Header {
        file: &'static str,
        expected: String,
        found: String,
    },
    #[error("{file} line {line}: {code:?} is not a well-formed code")]
    BadCode {
        file: &'static str,
        line: u64,
        code: String,
    },
    #[error("{file} line {line}: code {code} has an empty name")]
    EmptyName {
        file: &'static str,
        line: u64,
        code: String,
    },
    #[error("{file}: code {code} appears twice")]
    DuplicateCode { file: &'static str, code: String },
    #[error("additions.csv line {line}: unknown list {list:?} (purpose, source, term or unit)")]
    UnknownList { line: u64, list: String },
    #[error("additions.csv: {list} code {code} is already in the SAPI list")]
    AdditionOverlaps { list: &'static str, code: String },
    #[error("{file} line {line}: {kind} {code:?} is not in its code list")]
    UnknownPairCode {
        file: &'static str,
        line: u64,
        kind: &'static str,
        code: String,
    },
    #[error("cites_parties.tsv line {line}: {value:?} is not {expected}")]
    BadCountryField {
        line: u64,
        value: String,
        expected: &'static str,
    },
}

/// What [`CodeLists::validate`] found in data that loaded: each field is empty for clean data.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ValidationReport {
    /// Terms used in a pairs file but absent from the term list (so they have no name).
    pub pair_terms_without_name: BTreeSet<String>,
    /// Named terms with no allowed unit at all (not even "number").
    pub terms_without_unit_pair: BTreeSet<String>,
    /// Named terms with no usual purpose.
    pub terms_without_purpose_pair: BTreeSet<String>,
    /// (term, unit) rows that occur more than once; `""` is the blank unit.
    pub duplicate_term_unit_pairs: BTreeSet<(String, String)>,
    /// (term, purpose) rows that occur more than once.
    pub duplicate_term_purpose_pairs: BTreeSet<(String, String)>,
    /// Units that no term accepts, so [`CodeLists::unit_allowed_for_term`] never allows them.
    pub units_never_paired: BTreeSet<String>,
    /// (list, English name) shared by several codes, with the codes.
    pub shared_english_names: BTreeMap<(&'static str, String), BTreeSet<String>>,
    /// Domain source/purpose codes with no entry in the lists, as `S:X` / `P:B`.
    pub domain_codes_without_entry: BTreeSet<String>,
    /// List source/purpose codes the domain types do not know, as `S:X` / `P:B`.
    pub entries_unknown_to_domain: BTreeSet<String>,
    /// (list, code) entries with no French or no Spanish name.
    pub missing_translations: BTreeSet<(&'static str, String)>,
    /// Rows named "Former …" that are flagged neither as a former code nor as non-ISO.
    pub former_countries_not_flagged: BTreeSet<String>,
    /// Parties whose date is before the Convention entered into force (1975-07-01).
    pub parties_dated_before_convention: BTreeSet<String>,
}

impl ValidationReport {
    /// True when nothing was found.
    pub fn is_clean(&self) -> bool {
        *self == Self::default()
    }
}

/// The CITES code lists the rules engine consults.
#[derive(Clone, Debug)]
pub struct CodeLists {
    purposes: BTreeMap<String, CodeEntry>,
    sources: BTreeMap<String, CodeEntry>,
    terms: BTreeMap<String, CodeEntry>,
    units: BTreeMap<String, CodeEntry>,
    // term -> allowed units; "" stands for the blank unit (a number of specimens).
    term_units: BTreeMap<String, BTreeSet<String>>,
    term_purposes: BTreeMap<String, BTreeSet<String>>,
    countries: BTreeMap<String, Country>,
    duplicate_term_units: BTreeSet<(String, String)>,
    duplicate_term_purposes: BTreeSet<(String, String)>,
}

/// Maps the UN/ECE Recommendation 20 unit codes that the Trade Database uses since 2021 to the
/// CITES codes of the code lists (reference §3.6): `KGM`→`KIL`, `MTQ`→`CUM`, `MTK`→`SQM`,
/// `CMQ`→`CCM`. Any other code is returned unchanged (trimmed).
pub fn normalise_unit(code: &str) -> &str {
    match code.trim() {
        "KGM" => "KIL",
        "MTQ" => "CUM",
        "MTK" => "SQM",
        "CMQ" => "CCM",
        other => other,
    }
}

impl CodeLists {
    /// The lists compiled into this binary.
    pub fn embedded() -> Result<Self, CodeListError> {
        Self::from_sources(CodeListSources::EMBEDDED)
    }

    /// Parses and cross-checks a set of code-list texts.
    pub fn from_sources(src: CodeListSources<'_>) -> Result<Self, CodeListError> {
        let mut purposes = read_code_list(
            F_PURPOSES,
            src.purposes,
            &[
                "Purpose_code",
                "English_Purpose_Name",
                "French_Purpose_Name",
                "Spanish_Purpose_Name",
            ],
            1,
        )?;
        let mut sources = read_code_list(
            F_SOURCES,
            src.sources,
            &[
                "Source_code",
                "Source_English_Name",
                "Source_French_Name",
                "Source_Spanish_Name",
            ],
            1,
        )?;
        let mut terms = read_code_list(
            F_TERMS,
            src.terms,
            &[
                "Term_code",
                "English_Term_Name",
                "French_Term_name",
                "Spanish_Term_Name",
            ],
            3,
        )?;
        let mut units = read_code_list(
            F_UNITS,
            src.units,
            &[
                "Unit_code",
                "English_Unit_Name",
                "French_Unit_name",
                "Spanish_Unit_name",
            ],
            3,
        )?;
        apply_additions(
            src.additions,
            &mut purposes,
            &mut sources,
            &mut terms,
            &mut units,
        )?;

        let (term_units, duplicate_term_units) =
            read_pairs(F_TERM_UNITS, src.term_units, "UNIT_CODE", &units, true)?;
        let (term_purposes, duplicate_term_purposes) = read_pairs(
            F_TERM_PURPOSES,
            src.term_purposes,
            "PURPOSE_CODE",
            &purposes,
            false,
        )?;
        let countries = read_countries(src.parties)?;

        Ok(Self {
            purposes,
            sources,
            terms,
            units,
            term_units,
            term_purposes,
            countries,
            duplicate_term_units,
            duplicate_term_purposes,
        })
    }

    /// The term with this code, if the term list names it.
    pub fn term(&self, code: &str) -> Option<&Term> {
        self.terms.get(code.trim())
    }

    /// All named terms, by code.
    pub fn terms(&self) -> impl Iterator<Item = &Term> {
        self.terms.values()
    }

    /// The unit with this code; UN/ECE codes are read as their CITES equivalents
    /// ([`normalise_unit`]), so `unit("KGM")` is the `KIL` entry.
    pub fn unit(&self, code: &str) -> Option<&Unit> {
        self.units.get(normalise_unit(code))
    }

    /// All units, by code.
    pub fn units(&self) -> impl Iterator<Item = &Unit> {
        self.units.values()
    }

    /// The purpose with this code.
    pub fn purpose(&self, code: &str) -> Option<&Purpose> {
        self.purposes.get(code.trim())
    }

    /// All purposes, by code.
    pub fn purposes(&self) -> impl Iterator<Item = &Purpose> {
        self.purposes.values()
    }

    /// The source with this code.
    pub fn source(&self, code: &str) -> Option<&Source> {
        self.sources.get(code.trim())
    }

    /// All sources, by code.
    pub fn sources(&self) -> impl Iterator<Item = &Source> {
        self.sources.values()
    }

    /// Every term–unit pair of the lists: term → units ("" is a number of specimens).
    pub fn term_unit_pairs(&self) -> &BTreeMap<String, BTreeSet<String>> {
        &self.term_units
    }

    /// Every term–purpose pair of the Trade Database's validation.
    pub fn term_purpose_pairs(&self) -> &BTreeMap<String, BTreeSet<String>> {
        &self.term_purposes
    }

    /// Whether the Trade Database accepts this unit for this term. `None` or a blank unit means
    /// a number of specimens; UN/ECE codes count as their CITES equivalents. An unknown term
    /// accepts nothing.
    pub fn unit_allowed_for_term(&self, term: &str, unit: Option<&str>) -> bool {
        let unit = unit.map(normalise_unit).unwrap_or("");
        self.term_units
            .get(term.trim())
            .is_some_and(|units| units.contains(unit))
    }

    /// Whether this purpose is a usual one for this term. The Trade Database only warns on an
    /// unusual pair, so a rule should warn, not refuse.
    pub fn term_purpose_is_usual(&self, term: &str, purpose_code: &str) -> bool {
        self.term_purposes
            .get(term.trim())
            .is_some_and(|purposes| purposes.contains(purpose_code.trim()))
    }

    /// Whether `code` is a current ISO country or territory code: in the table, not a former
    /// code and not a Trade Database region.
    pub fn is_country(&self, code: &str) -> bool {
        self.country(code)
            .is_some_and(|c| !c.former_code && !c.non_iso)
    }

    /// The country-table row for `code`, including former codes and regions.
    pub fn country(&self, code: &str) -> Option<&Country> {
        self.countries.get(code.trim())
    }

    /// All country-table rows, by code.
    pub fn countries(&self) -> impl Iterator<Item = &Country> {
        self.countries.values()
    }

    /// Checks the lists against each other and against the domain code types.
    pub fn validate(&self) -> ValidationReport {
        let mut r = ValidationReport {
            duplicate_term_unit_pairs: self.duplicate_term_units.clone(),
            duplicate_term_purpose_pairs: self.duplicate_term_purposes.clone(),
            ..ValidationReport::default()
        };
        for term in self.term_units.keys().chain(self.term_purposes.keys()) {
            if !self.terms.contains_key(term) {
                r.pair_terms_without_name.insert(term.clone());
            }
        }
        for code in self.terms.keys() {
            if !self.term_units.contains_key(code) {
                r.terms_without_unit_pair.insert(code.clone());
            }
            if !self.term_purposes.contains_key(code) {
                r.terms_without_purpose_pair.insert(code.clone());
            }
        }
        let paired: BTreeSet<&String> = self.term_units.values().flatten().collect();
        for code in self.units.keys() {
            if !paired.contains(code) {
                r.units_never_paired.insert(code.clone());
            }
        }
        let lists: [(&'static str, &BTreeMap<String, CodeEntry>); 4] = [
            ("purpose", &self.purposes),
            ("source", &self.sources),
            ("term", &self.terms),
            ("unit", &self.units),
        ];
        for (list, entries) in lists {
            let mut by_name: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
            for e in entries.values() {
                by_name
                    .entry(e.english.to_lowercase())
                    .or_default()
                    .insert(e.code.clone());
                if e.french.is_none() || e.spanish.is_none() {
                    r.missing_translations.insert((list, e.code.clone()));
                }
            }
            for (name, codes) in by_name {
                if codes.len() > 1 {
                    r.shared_english_names.insert((list, name), codes);
                }
            }
        }
        self.check_domain_codes(&mut r);
        let convention = time::macros::date!(1975 - 07 - 01);
        for c in self.countries.values() {
            if c.name.starts_with("Former ") && !c.former_code && !c.non_iso {
                r.former_countries_not_flagged.insert(c.code.clone());
            }
            if c.party_since.is_some_and(|d| d < convention) {
                r.parties_dated_before_convention.insert(c.code.clone());
            }
        }
        r
    }

    fn check_domain_codes(&self, r: &mut ValidationReport) {
        for s in SourceCode::ALL {
            if !self.sources.contains_key(s.code()) {
                r.domain_codes_without_entry
                    .insert(format!("S:{}", s.code()));
            }
        }
        for p in PurposeCode::ALL {
            if !self.purposes.contains_key(p.code()) {
                r.domain_codes_without_entry
                    .insert(format!("P:{}", p.code()));
            }
        }
        for code in self.sources.keys() {
            if SourceCode::parse(code).is_none() {
                r.entries_unknown_to_domain.insert(format!("S:{code}"));
            }
        }
        for code in self.purposes.keys() {
            if PurposeCode::parse(code).is_none() {
                r.entries_unknown_to_domain.insert(format!("P:{code}"));
            }
        }
    }
}

#[cfg(test)]
#[path = "codes_tests.rs"]
mod tests;
