//! Property tests of the query-string guard (issue #13): any raw query string gets an answer,
//! never a panic; parameters of clean text up to the limit pass; one forbidden character,
//! raw or percent-encoded, or an overlong value anywhere is refused.

use ecites_query::query_guard::{check, forbidden, MAX_PARAM_CHARS};
use proptest::prelude::*;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 512,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_query_string_gets_an_answer(raw in any::<String>()) {
        let _ = check(Some(&raw));
    }

    #[test]
    fn clean_parameters_pass(pairs in prop::collection::vec(("[a-z_]{1,10}", "[A-Za-z0-9 ./:_-]{0,60}"), 0..6)) {
        let raw = pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", v.replace(' ', "+")))
            .collect::<Vec<_>>()
            .join("&");
        prop_assert!(check(Some(&raw)).is_ok(), "{raw}");
    }

    #[test]
    fn a_forbidden_character_is_refused_raw_or_encoded(
        before in "[a-z0-9]{0,20}", c in (0u32..0x20).prop_filter("allowed", |c| ![9, 10, 13].contains(c)), encoded in any::<bool>(),
    ) {
        let ch = char::from_u32(c).unwrap();
        prop_assert!(forbidden(ch));
        let value = if encoded { format!("{before}%{c:02X}") } else { format!("{before}{ch}") };
        let raw = format!("q={value}");
        prop_assert!(check(Some(&raw)).is_err(), "{}", raw);
    }

    #[test]
    fn an_overlong_value_is_refused(extra in 1usize..20) {
        let raw = format!("q={}", "a".repeat(MAX_PARAM_CHARS + extra));
        prop_assert!(check(Some(&raw)).is_err());
    }
}
