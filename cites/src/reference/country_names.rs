//! Country names as the Appendices' annotations write them ("Botswana", "the United Republic
//! of Tanzania", "Plurinational State of Bolivia"), mapped to the ISO codes of the shipped
//! country list (`schemas/codes/cites_parties.tsv`).

use super::codes::{CodeLists, Country};
use ecites_events::PartyCode;
use std::collections::HashMap;
use std::sync::OnceLock;

/// English country names → current ISO codes; ambiguous aliases are left out.
#[derive(Clone, Debug, Default)]
pub struct CountryNames {
    by_name: HashMap<String, Option<PartyCode>>,
}

/// Lower case, single spaces, no leading "the": how names are compared.
pub fn normalise(name: &str) -> String {
    let words: Vec<String> = name
        .split(|c: char| c.is_whitespace())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let text = words.join(" ");
    text.strip_prefix("the ").map_or(text.clone(), String::from)
}

impl CountryNames {
    pub fn from_countries<'a>(countries: impl IntoIterator<Item = &'a Country>) -> Self {
        let mut names = Self::default();
        for c in countries {
            let Some(code) = c
                .code
                .parse::<PartyCode>()
                .ok()
                .filter(|_| !c.former_code && !c.non_iso)
            else {
                continue;
            };
            for alias in aliases(&c.name) {
                names.add(&alias, code);
            }
        }
        names
    }

    fn add(&mut self, name: &str, code: PartyCode) {
        let slot = self.by_name.entry(normalise(name)).or_insert(Some(code));
        if *slot != Some(code) {
            // Two countries answer to this alias (e.g. "Korea"): it names neither.
            *slot = None;
        }
    }

    pub fn lookup(&self, name: &str) -> Option<PartyCode> {
        self.by_name.get(&normalise(name)).copied().flatten()
    }
}

/// The list's name and the forms annotations use: "Bolivia, Plurinational State of" is also
/// "Plurinational State of Bolivia", "Bolivia (Plurinational State of)" and "Bolivia";
/// "Falkland Islands (Malvinas)" is also "Falkland Islands".
fn aliases(name: &str) -> Vec<String> {
    let mut out = vec![name.to_string()];
    if let Some((head, tail)) = name.split_once(", ") {
        out.push(format!("{tail} {head}"));
        out.push(format!("{head} ({tail})"));
        out.push(head.to_string());
    }
    if let Some((head, _)) = name.split_once(" (") {
        out.push(head.to_string());
    }
    out
}

/// The names of the shipped country list, built once.
pub fn shipped() -> &'static CountryNames {
    static NAMES: OnceLock<CountryNames> = OnceLock::new();
    NAMES.get_or_init(|| {
        CodeLists::embedded()
            .map(|codes| CountryNames::from_countries(codes.countries()))
            .unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_list_knows_the_forms_annotations_use() {
        let n = shipped();
        let code = |name: &str| n.lookup(name).map(|c| c.to_string());
        assert_eq!(code("Botswana").as_deref(), Some("BW"));
        assert_eq!(code("south  africa").as_deref(), Some("ZA"));
        assert_eq!(
            code("the United Republic of Tanzania").as_deref(),
            Some("TZ")
        );
        assert_eq!(
            code("Plurinational State of Bolivia").as_deref(),
            Some("BO")
        );
        assert_eq!(code("Bolivia").as_deref(), Some("BO"));
        assert_eq!(
            code("Bolivia (Plurinational State of)").as_deref(),
            Some("BO")
        );
        assert_eq!(code("Korea (Republic of)").as_deref(), Some("KR"));
        assert_eq!(code("Trinidad and Tobago").as_deref(), Some("TT"));
        assert_eq!(code("Falkland Islands").as_deref(), Some("FK"));
        assert_eq!(code("Korea"), None, "two countries: neither");
        assert_eq!(code("Atlantis"), None);
    }
}
