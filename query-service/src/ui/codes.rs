//! The CITES code lists of the application form, with their names in the page's language
//! (the shipped `schemas/codes/` files carry English, French and Spanish names).

use super::text::Lang;
use std::sync::OnceLock;

const PURPOSES: &str = include_str!("../../../schemas/codes/purpose_codes_utf8.csv");
const SOURCES: &str = include_str!("../../../schemas/codes/source_codes_utf8.csv");
const TERMS: &str = include_str!("../../../schemas/codes/term_codes_utf8.csv");
const UNITS: &str = include_str!("../../../schemas/codes/unit_codes_utf8.csv");
/// The species list `ecites serve` decides with while the Party's log holds no taxon.
const DEMO_SPECIES: &str = include_str!("../../../schemas/codes/species-demo.csv");

/// One code and its names (`names[0]` is the code itself, then English, French, Spanish).
pub struct Code {
    names: Vec<String>,
}

impl Code {
    pub fn code(&self) -> &str {
        &self.names[0]
    }

    pub fn name(&self, lang: Lang) -> &str {
        self.names
            .get(lang.code_column())
            .or_else(|| self.names.get(1))
            .map_or("", String::as_str)
    }
}

pub struct CodeLists {
    pub sources: Vec<Code>,
    pub purposes: Vec<Code>,
    pub terms: Vec<Code>,
    pub units: Vec<Code>,
}

fn parse(text: &str) -> Vec<Code> {
    let mut codes: Vec<Code> = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes())
        .into_records()
        .filter_map(Result::ok)
        .map(|r| Code {
            names: r.iter().map(|c| c.trim().to_string()).collect(),
        })
        .filter(|c| !c.names.is_empty() && !c.names[0].is_empty())
        .collect();
    codes.sort_by(|a, b| a.names[0].cmp(&b.names[0]));
    codes
}

/// The lists compiled into the binary, parsed once.
pub fn lists() -> &'static CodeLists {
    static LISTS: OnceLock<CodeLists> = OnceLock::new();
    LISTS.get_or_init(|| CodeLists {
        sources: parse(SOURCES),
        purposes: parse(PURPOSES),
        terms: parse(TERMS),
        units: parse(UNITS),
    })
}

/// A species of the shipped demo list, as the picker shows it.
pub struct DemoSpecies {
    pub name: String,
    pub appendix: Option<String>,
    pub common_name: String,
}

/// The shipped demo list (`schemas/codes/species-demo.csv`), for the picker while the read
/// models hold no taxon of the Party (the command side then decides with the same list).
pub fn demo_species() -> &'static [DemoSpecies] {
    static LIST: OnceLock<Vec<DemoSpecies>> = OnceLock::new();
    LIST.get_or_init(|| {
        csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(DEMO_SPECIES.as_bytes())
            .into_records()
            .filter_map(Result::ok)
            .filter_map(|r| {
                Some(DemoSpecies {
                    name: r.get(0)?.trim().to_string(),
                    appendix: r
                        .get(5)
                        .map(str::trim)
                        .filter(|a| !a.is_empty())
                        .map(str::to_string),
                    common_name: r.get(7).unwrap_or("").trim().to_string(),
                })
            })
            .filter(|s| !s.name.is_empty())
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lists_have_names_in_three_languages() {
        let l = lists();
        let w = l.sources.iter().find(|c| c.code() == "W").expect("W");
        assert!(w.name(Lang::En).to_lowercase().contains("wild"));
        assert!(l.terms.iter().any(|c| c.code() == "SKI"));
        assert!(l.purposes.iter().any(|c| c.code() == "T"));
        assert!(!l.units.is_empty());
        let python = demo_species().iter().find(|s| s.name == "Python regius");
        assert_eq!(python.and_then(|s| s.appendix.as_deref()), Some("II"));
    }
}
