//! The CITES code lists of the application form, with their names in the page's language
//! (the shipped `schemas/codes/` files carry English, French and Spanish names).

use super::text::Lang;
use ecites_cites::reference::codes::CodeEntry;
use std::sync::OnceLock;

/// The species list `ecites serve` decides with while the Party's log holds no taxon.
const DEMO_SPECIES: &str = include_str!("../../../schemas/codes/species-demo.csv");

/// One code and its names in the three languages of the lists.
pub struct Code {
    entry: CodeEntry,
}

impl Code {
    pub fn code(&self) -> &str {
        &self.entry.code
    }

    /// The name in `lang`, else the English one.
    pub fn name(&self, lang: Lang) -> &str {
        let translated = match lang.code_column() {
            2 => self.entry.french.as_deref(),
            3 => self.entry.spanish.as_deref(),
            _ => None,
        };
        translated
            .filter(|n| !n.is_empty())
            .unwrap_or(&self.entry.english)
    }
}

pub struct CodeLists {
    pub sources: Vec<Code>,
    pub purposes: Vec<Code>,
    pub terms: Vec<Code>,
    pub units: Vec<Code>,
}

fn entries<'a>(it: impl Iterator<Item = &'a CodeEntry>) -> Vec<Code> {
    // The lists are maps by code: already in code order.
    it.map(|e| Code { entry: e.clone() }).collect()
}

/// The lists the decisions use (the one loader of `ecites-cites`: the shipped files and the
/// codes adopted since), parsed once. Compiled in and tested, so empty lists mean a broken
/// build, which the log says.
pub fn lists() -> &'static CodeLists {
    static LISTS: OnceLock<CodeLists> = OnceLock::new();
    LISTS.get_or_init(
        || match ecites_cites::reference::codes::CodeLists::embedded() {
            Ok(l) => CodeLists {
                sources: entries(l.sources()),
                purposes: entries(l.purposes()),
                terms: entries(l.terms()),
                units: entries(l.units()),
            },
            Err(e) => {
                tracing::error!(error = %e, "the embedded code lists do not parse");
                CodeLists {
                    sources: vec![],
                    purposes: vec![],
                    terms: vec![],
                    units: vec![],
                }
            }
        },
    )
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
        // The codes adopted since the 2013 files, as the decisions know them.
        assert!(l.terms.iter().any(|c| c.code() == "GIL"));
        assert!(l.sources.iter().any(|c| c.code() == "Y"));
        assert!(!l.units.is_empty());
        let python = demo_species().iter().find(|s| s.name == "Python regius");
        assert_eq!(python.and_then(|s| s.appendix.as_deref()), Some("II"));
    }
}
