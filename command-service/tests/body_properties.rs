//! Property tests of the command API's body parser (issue #13: every parser of outside input
//! is fuzzed): any bytes at all give an answer, never a panic; a value made of text a reader can
//! hold passes unchanged; any control character or duplicate key anywhere is refused, naming
//! the JSON path of the string that holds it. Failing cases are kept in
//! `proptest-regressions/` (committed) and replayed first.

use ecites_command::api::body::{parse, MAX_TEXT_CHARS};
use proptest::prelude::*;
use serde_json::{json, Value};

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 512,
        ..ProptestConfig::default()
    }
}

/// Text without a forbidden character (tab, line feed and carriage return are allowed).
fn clean_text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 éü漢\t\n\r.,:;'\"\\\\/-]{0,40}"
}

/// JSON values of clean text, nested a few levels.
fn clean_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        clean_text().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,12}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A control character the parser must refuse.
fn forbidden() -> impl Strategy<Value = char> {
    prop_oneof![
        (0u32..0x20).prop_filter("allowed", |c| ![9, 10, 13].contains(c)),
        0x7Fu32..0xA0,
    ]
    .prop_map(|c| char::from_u32(c).unwrap_or('\0'))
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_bytes_get_an_answer(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        if let Err(p) = parse(&bytes) {
            prop_assert_eq!(p.violations.len(), 1);
            prop_assert!(p.violations[0].rule.starts_with("DATA-"), "{}", p.violations[0].rule);
        }
    }

    #[test]
    fn clean_values_pass_unchanged(v in clean_value()) {
        let bytes = serde_json::to_vec(&v).unwrap();
        prop_assert_eq!(parse(&bytes).unwrap(), v);
    }

    #[test]
    fn a_control_character_is_refused_at_its_path(
        text in clean_text(), at in 0usize..40, c in forbidden(), key in "[a-z]{1,8}", index in 0usize..3,
    ) {
        let mut s: Vec<char> = text.chars().collect();
        s.insert(at.min(s.len()), c);
        let s: String = s.into_iter().collect();
        let mut items = vec![json!("ok"); index];
        items.push(Value::String(s));
        let body = json!({ key.clone(): { "lines": items } });
        let p = parse(&serde_json::to_vec(&body).unwrap()).unwrap_err();
        prop_assert_eq!(p.violations[0].rule.as_str(), "DATA-TEXT-CONTROL");
        let field = format!("{key}.lines[{index}]");
        prop_assert_eq!(p.violations[0].field.as_deref(), Some(field.as_str()));
    }

    #[test]
    fn a_key_given_twice_is_refused(key in "[a-z]{1,8}", a in clean_text(), b in clean_text()) {
        let body = format!(
            "{{\"{key}\": {}, \"{key}\": {}}}",
            serde_json::to_string(&a).unwrap(),
            serde_json::to_string(&b).unwrap()
        );
        let p = parse(body.as_bytes()).unwrap_err();
        prop_assert_eq!(p.violations[0].rule.as_str(), "DATA-JSON-DUPLICATE-KEY");
    }

    #[test]
    fn text_longer_than_the_limit_is_refused(extra in 1usize..50) {
        let body = json!({ "reason": "x".repeat(MAX_TEXT_CHARS + extra) });
        let p = parse(&serde_json::to_vec(&body).unwrap()).unwrap_err();
        prop_assert_eq!(p.violations[0].rule.as_str(), "DATA-TEXT-LENGTH");
        prop_assert_eq!(p.violations[0].field.as_deref(), Some("reason"));
    }
}
