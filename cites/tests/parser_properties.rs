//! Fuzzing, by property, of the parsers of outside input on the reference side: the Species+
//! answers (taxon pages and listing histories) and the code-list CSVs of the annual-report
//! guidelines. Inputs are real recorded answers and the shipped lists, mutated: a leaf
//! replaced by a hostile value, a key removed, an element doubled, bytes cut or spliced, a
//! line damaged or doubled. Whatever comes in, the parsers answer (a catalogue, or an error
//! that says what is wrong) and never panic; the unmutated inputs are accepted, so a parser
//! that refused everything would fail here.
//!
//! Bounded for CI (256 cases each, about a second in all); proptest writes a failing case
//! to `tests/parser_properties.proptest-regressions`, which is to be committed with its fix.

use ecites_cites::reference::codes::{CodeListSources, CodeLists};
use ecites_cites::reference::species::{LegislationScope, SpeciesCatalogue};
use ecites_cites::reference::speciesplus::{CitesLegislation, TaxonConceptsPage};
use proptest::prelude::*;
use serde_json::Value;

fn body(name: &str) -> String {
    let path = format!(
        "{}/../fixtures/speciesplus/bodies/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

const PAGES: [&str; 3] = [
    "spp_taxonconcept_def__0.json",
    "spp_taxonconcept_pag__0.json",
    "spp_taxonconcept_pag__1.json",
];
const HISTORY: &str = "spp_cites_legislation_sco__0.json";
/// The taxon the recorded listing history is of (the African elephant).
const HISTORY_TAXON: u64 = 4521;

/// A value a hostile or broken source could put where any leaf is.
fn hostile_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| { serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number) }),
        ".{0,40}".prop_map(Value::String),
        "[\\x00-\\x1f\\u{202e}\\u{feff}]{1,8}".prop_map(Value::String),
        Just(Value::String("I/II/III/IV".into())),
        Just(Value::String("9999-99-99".into())),
        Just(Value::Array(vec![])),
        Just(Value::Object(Default::default())),
    ]
}

#[derive(Clone, Debug)]
enum Mutation {
    /// Replace the `n`th leaf (in document order, modulo their count) by a value.
    Leaf(usize, Value),
    /// Remove the `n`th object key.
    Remove(usize),
    /// Double the first element of the `n`th non-empty array.
    Double(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), hostile_leaf()).prop_map(|(n, v)| Mutation::Leaf(n, v)),
        any::<usize>().prop_map(Mutation::Remove),
        any::<usize>().prop_map(Mutation::Double),
    ]
}

#[derive(Default)]
struct Counts {
    leaves: usize,
    keys: usize,
    arrays: usize,
}

fn count(v: &Value, c: &mut Counts) {
    match v {
        Value::Object(o) => {
            c.keys += o.len();
            o.values().for_each(|v| count(v, c));
        }
        Value::Array(a) => {
            c.arrays += usize::from(!a.is_empty());
            a.iter().for_each(|v| count(v, c));
        }
        _ => c.leaves += 1,
    }
}

/// Applies `m` at the place it names; `at` counts the places of its kind passed so far.
fn apply(v: &mut Value, m: &Mutation, at: &mut usize) -> bool {
    match v {
        Value::Object(o) => {
            let keys: Vec<String> = o.keys().cloned().collect();
            for k in keys {
                if let Mutation::Remove(n) = m {
                    if *at == *n {
                        o.remove(&k);
                        return true;
                    }
                    *at += 1;
                }
                if o.get_mut(&k).is_some_and(|c| apply(c, m, at)) {
                    return true;
                }
            }
            false
        }
        Value::Array(a) => {
            if let (Mutation::Double(n), false) = (m, a.is_empty()) {
                if *at == *n {
                    a.push(a[0].clone());
                    return true;
                }
                *at += 1;
            }
            a.iter_mut().any(|c| apply(c, m, at))
        }
        leaf => match m {
            Mutation::Leaf(n, value) if *at == *n => {
                *leaf = value.clone();
                true
            }
            Mutation::Leaf(..) => {
                *at += 1;
                false
            }
            _ => false,
        },
    }
}

fn mutate(v: &mut Value, m: &Mutation) {
    let mut c = Counts::default();
    count(v, &mut c);
    let m = match m {
        Mutation::Leaf(n, value) => Mutation::Leaf(n % c.leaves.max(1), value.clone()),
        Mutation::Remove(n) => Mutation::Remove(n % c.keys.max(1)),
        Mutation::Double(n) => Mutation::Double(n % c.arrays.max(1)),
    };
    apply(v, &m, &mut 0);
}

/// The catalogue the pages and the history build, or the first error on the way.
fn build(pages: &[Value], history: &Value) -> Result<SpeciesCatalogue, String> {
    let mut b = SpeciesCatalogue::builder();
    for p in pages {
        let page: TaxonConceptsPage =
            serde_json::from_value(p.clone()).map_err(|e| e.to_string())?;
        b.add_page(page).map_err(|e| e.to_string())?;
    }
    let history: CitesLegislation =
        serde_json::from_value(history.clone()).map_err(|e| e.to_string())?;
    b.add_legislation(HISTORY_TAXON, LegislationScope::All, history);
    b.build().map_err(|e| e.to_string())
}

fn recorded() -> (Vec<Value>, Value) {
    let pages = PAGES
        .iter()
        .map(|p| serde_json::from_str(&body(p)).unwrap())
        .collect();
    (pages, serde_json::from_str(&body(HISTORY)).unwrap())
}

#[test]
fn the_recorded_answers_build_a_catalogue_unmutated() {
    let (pages, history) = recorded();
    let catalogue = build(&pages, &history).unwrap();
    assert!(catalogue.len() > 10, "{}", catalogue.len());
}

/// What a catalogue built from mutated answers must still be: every taxon named and found
/// by its name.
fn coherent(catalogue: &SpeciesCatalogue) -> Result<(), TestCaseError> {
    for taxon in catalogue.taxa() {
        prop_assert!(!taxon.full_name.trim().is_empty(), "a taxon without a name");
        prop_assert!(
            catalogue.resolve(&taxon.full_name).is_some(),
            "{} is in the catalogue but does not resolve",
            taxon.full_name
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn species_plus_answers_with_a_hostile_part_build_or_are_refused(
        which in 0..PAGES.len() + 1,
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        let (mut pages, mut history) = recorded();
        let target = if which < pages.len() { &mut pages[which] } else { &mut history };
        for m in &mutations {
            mutate(target, m);
        }
        if let Ok(catalogue) = build(&pages, &history) {
            coherent(&catalogue)?;
        }
    }

    #[test]
    fn any_bytes_as_a_species_plus_answer_are_parsed_or_refused(
        bytes in prop::collection::vec(any::<u8>(), 0..512),
    ) {
        let _ = serde_json::from_slice::<TaxonConceptsPage>(&bytes);
        let _ = serde_json::from_slice::<CitesLegislation>(&bytes);
    }

    #[test]
    fn a_recorded_answer_cut_or_spliced_is_parsed_or_refused(
        which in 0..PAGES.len(),
        cut in any::<prop::sample::Index>(),
        insert in prop::collection::vec(any::<u8>(), 0..8),
        keep_tail in any::<bool>(),
    ) {
        let mut bytes = body(PAGES[which]).into_bytes();
        let at = cut.index(bytes.len());
        bytes.splice(at..at, insert);
        if !keep_tail {
            bytes.truncate(at + (bytes.len() - at) / 2);
        }
        if let Ok(page) = serde_json::from_slice::<TaxonConceptsPage>(&bytes) {
            let mut b = SpeciesCatalogue::builder();
            if b.add_page(page).is_ok() {
                if let Ok(catalogue) = b.build() {
                    coherent(&catalogue)?;
                }
            }
        }
    }
}

const LISTS: usize = 8;

/// The shipped lists with list `which` replaced by `text`.
fn damaged(which: usize, text: &str) -> CodeListSources<'_> {
    let mut s = CodeListSources::EMBEDDED;
    let slot = match which {
        0 => &mut s.purposes,
        1 => &mut s.sources,
        2 => &mut s.terms,
        3 => &mut s.units,
        4 => &mut s.term_units,
        5 => &mut s.term_purposes,
        6 => &mut s.parties,
        _ => &mut s.additions,
    };
    *slot = text;
    s
}

fn shipped(which: usize) -> &'static str {
    let s = CodeListSources::EMBEDDED;
    [
        s.purposes,
        s.sources,
        s.terms,
        s.units,
        s.term_units,
        s.term_purposes,
        s.parties,
        s.additions,
    ][which.min(LISTS - 1)]
}

#[test]
fn the_shipped_code_lists_load_unmutated() {
    let lists = CodeLists::from_sources(CodeListSources::EMBEDDED).unwrap();
    assert!(lists.terms().count() > 50);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn a_code_list_with_a_damaged_line_loads_or_names_what_is_wrong(
        which in 0..LISTS,
        line in any::<prop::sample::Index>(),
        damage in prop_oneof![
            Just(String::new()),
            Just(",,,,".to_string()),
            "[\\x00-\\x1f\",;\t]{1,6}",
            ".{0,30}",
            Just("\u{feff}XX,\"unterminated".to_string()),
        ],
        double in any::<bool>(),
    ) {
        let mut lines: Vec<String> = shipped(which).lines().map(str::to_string).collect();
        let at = line.index(lines.len());
        if double {
            let copy = lines[at].clone();
            lines.insert(at, copy);
        } else {
            lines[at] = damage;
        }
        let text = lines.join("\n");
        if let Err(e) = CodeLists::from_sources(damaged(which, &text)) {
            prop_assert!(!e.to_string().trim().is_empty(), "an error that says nothing");
        }
    }

    #[test]
    fn any_text_as_a_code_list_loads_or_is_refused(which in 0..LISTS, text in "(?s).{0,300}") {
        let _ = CodeLists::from_sources(damaged(which, &text));
    }
}
