use super::*;
use time::macros::date;

fn lists() -> CodeLists {
    CodeLists::embedded().expect("the shipped code lists load")
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn pairs(items: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    items
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn shipped_lists_load_with_their_sizes() {
    let l = lists();
    assert_eq!(l.purposes().count(), 12);
    // The nine 2013 sources plus X and Y from additions.csv.
    assert_eq!(l.sources().count(), 11);
    assert_eq!(l.terms().count(), 116);
    assert_eq!(l.units().count(), 38);
    assert_eq!(l.countries().count(), 270);
}

/// Every oddity of the shipped files is listed here; a change to the data (or a check that
/// stops seeing one) fails this test, so the list is re-read by whoever changes the data.
#[test]
fn shipped_lists_validate_to_exactly_the_known_findings() {
    let report = lists().validate();
    let expected = ValidationReport {
        // Every code the pair tables use is in its list (the 2018 pairs' terms that the 2013
        // term list lacks are in additions.csv).
        pair_terms_without_name: BTreeSet::new(),
        terms_without_unit_pair: BTreeSet::new(),
        terms_without_purpose_pair: set(&["PKY", "SKD"]),
        duplicate_term_unit_pairs: pairs(&[
            ("BOC", ""),
            ("BOC", "GRM"),
            ("BOC", "KIL"),
            ("HAP", ""),
            ("HAP", "GRM"),
            ("HAP", "KIL"),
            ("HOC", ""),
            ("HOC", "KIL"),
            ("IVC", ""),
            ("IVC", "GRM"),
            ("IVC", "KIL"),
        ]),
        duplicate_term_purpose_pairs: ["BOC", "HAP", "HOC", "IVC"]
            .iter()
            .flat_map(|t| {
                ["E", "H", "L", "P", "Q", "T"]
                    .iter()
                    // HAP (hair products) has no H row at all.
                    .filter(move |p| !(*t == "HAP" && **p == "H"))
                    .map(move |p| (t.to_string(), p.to_string()))
            })
            .collect(),
        units_never_paired: set(&[
            "BAG", "BAK", "BOT", "BOX", "BSK", "CAN", "CAS", "CRT", "CUF", "FEE", "FLA", "HRN",
            "INC", "ITE", "OUN", "PAI", "PCS", "PND", "SET", "SHP", "SID", "SKI", "SQD", "SQF",
            "TON", "YAR",
        ]),
        shared_english_names: [
            (("term", "sides".to_string()), set(&["SID", "SKD"])),
            (("term", "wood products".to_string()), set(&["WOO", "WPR"])),
        ]
        .into_iter()
        .collect(),
        domain_codes_without_entry: BTreeSet::new(),
        entries_unknown_to_domain: BTreeSet::new(),
        missing_translations: [("source", "X"), ("source", "Y")]
            .into_iter()
            .chain(
                [
                    "FPL", "FPS", "GIL", "IJW", "JWL", "KEY", "PRL", "PUP", "ROS", "RUG", "WPR",
                ]
                .into_iter()
                .map(|t| ("term", t)),
            )
            .map(|(l, c)| (l, c.to_string()))
            .collect(),
        former_countries_not_flagged: set(&["DD", "PC", "SU", "YU"]),
        parties_dated_before_convention: BTreeSet::new(),
    };
    assert_eq!(report, expected);
    assert_eq!(report.duplicate_term_purpose_pairs.len(), 23);
    assert!(!report.is_clean());
}

#[test]
fn names_come_in_three_languages_and_additions_say_so() {
    let l = lists();
    let tusks = l.term("TUS").unwrap();
    assert_eq!(
        (
            tusks.english.as_str(),
            tusks.french.as_deref(),
            tusks.spanish.as_deref()
        ),
        ("tusks", Some("défense"), Some("colmillo"))
    );
    assert_eq!(tusks.origin, CodeOrigin::Sapi2013);
    let sea = l.source("X").unwrap();
    assert_eq!(sea.origin, CodeOrigin::Addition);
    assert!(sea.english.contains("marine environment"));
    assert_eq!(sea.french, None);
    assert_eq!(l.source("Y").unwrap().origin, CodeOrigin::Addition);
    assert_eq!(l.purpose("T").unwrap().english, "Commercial");
    let key = l.term("KEY").expect("KEY, used by the pairs, is listed");
    assert_eq!(
        (key.origin, key.english.as_str()),
        (CodeOrigin::Addition, "piano keys")
    );
    assert!(l.term("tus").is_none(), "codes are upper case");
}

#[test]
fn units_accept_blank_as_a_count_and_unece_codes_as_equivalents() {
    let l = lists();
    assert!(l.unit_allowed_for_term("TUS", None));
    assert!(l.unit_allowed_for_term("TUS", Some("")));
    assert!(l.unit_allowed_for_term("TUS", Some("  ")));
    assert!(l.unit_allowed_for_term("TUS", Some("KIL")));
    assert!(l.unit_allowed_for_term("TUS", Some("KGM")));
    assert!(!l.unit_allowed_for_term("TUS", Some("SQM")));
    assert!(l.unit_allowed_for_term("SKI", Some("MTK")));
    assert!(!l.unit_allowed_for_term("TRO", Some("GRM")));
    assert!(!l.unit_allowed_for_term("LIV", Some("PCS")));
    assert!(!l.unit_allowed_for_term("XYZ", None));
    // Terms the 2013 list does not name still have their pairs.
    assert!(l.unit_allowed_for_term("KEY", None));
    assert_eq!(l.unit("KGM").unwrap().code, "KIL");
    assert_eq!(l.unit("CMQ").unwrap().code, "CCM");
    for (unece, cites) in [
        ("KGM", "KIL"),
        ("MTQ", "CUM"),
        ("MTK", "SQM"),
        ("CMQ", "CCM"),
    ] {
        assert_eq!(normalise_unit(unece), cites);
        assert!(l.unit(cites).is_some(), "{cites} is in the unit list");
    }
    assert_eq!(normalise_unit(" GRM "), "GRM");
}

#[test]
fn term_purpose_pairs_say_what_is_usual() {
    let l = lists();
    assert!(l.term_purpose_is_usual("TRO", "H"));
    assert!(!l.term_purpose_is_usual("TRO", "Z"));
    assert!(l.term_purpose_is_usual("LIV", "Z"));
    assert!(!l.term_purpose_is_usual("CAV", "H"));
    assert!(
        !l.term_purpose_is_usual("PKY", "T"),
        "PKY has no purpose rows"
    );
}

#[test]
fn countries_keep_flags_dates_and_namibia() {
    let l = lists();
    let na = l.country("NA").unwrap();
    assert_eq!(na.name, "Namibia");
    assert_eq!(na.party_since, Some(date!(1991 - 03 - 18)));
    assert!(l.is_country("NA"));
    assert_eq!(
        l.country("GH").unwrap().party_since,
        Some(date!(1976 - 02 - 12))
    );
    assert!(l.country("ZR").unwrap().former_code);
    assert!(!l.is_country("ZR"));
    assert!(l.country("XX").unwrap().non_iso);
    assert!(!l.is_country("XX"));
    assert!(!l.is_country("ZZ"));
    assert!(l.is_country("AX"), "territories count, Parties or not");
    assert_eq!(l.country("KP").unwrap().party_since, None);
    assert!(l.country("XK").is_none());
}

fn with<'a>(f: impl FnOnce(&mut CodeListSources<'a>)) -> Result<CodeLists, CodeListError> {
    let mut src = CodeListSources::EMBEDDED;
    f(&mut src);
    CodeLists::from_sources(src)
}

#[test]
fn a_duplicate_or_malformed_code_refuses_the_set() {
    let dup = format!(
        "{}\nZ,Zoo again,Zoo,Zoo\n",
        CodeListSources::EMBEDDED.purposes
    );
    let err = with(|s| s.purposes = &dup).unwrap_err();
    assert!(matches!(err, CodeListError::DuplicateCode { code, .. } if code == "Z"));

    let lower = "Purpose_code,English_Purpose_Name,French_Purpose_Name,Spanish_Purpose_Name\nt,Commercial,Commerciale,Comercial\n";
    let err = with(|s| s.purposes = lower).unwrap_err();
    assert!(
        matches!(err, CodeListError::BadCode { line: 2, .. }),
        "{err}"
    );

    let no_french = "Source_code,Source_English_Name,Source_French_Name,Source_Spanish_Name\nW,Wild,,Silvestre\n";
    let err = with(|s| s.sources = no_french).unwrap_err();
    assert!(matches!(err, CodeListError::EmptyName { .. }), "{err}");
}

#[test]
fn a_changed_header_or_ragged_row_refuses_the_set() {
    let swapped =
        "Term_code,French_Term_name,English_Term_Name,Spanish_Term_Name\nLIV,vivant,live,vivo\n";
    let err = with(|s| s.terms = swapped).unwrap_err();
    assert!(matches!(err, CodeListError::Header { .. }), "{err}");

    let ragged = "TERM_CODE,UNIT_CODE\nLIV,KIL,extra\n";
    let err = with(|s| s.term_units = ragged).unwrap_err();
    assert!(matches!(err, CodeListError::Csv { .. }), "{err}");
}

#[test]
fn pairs_must_name_known_units_and_purposes() {
    let unknown_unit = "TERM_CODE,UNIT_CODE\nLIV,KGM\n";
    let err = with(|s| s.term_units = unknown_unit).unwrap_err();
    assert!(
        matches!(&err, CodeListError::UnknownPairCode { kind: "unit", code, .. } if code == "KGM"),
        "{err}"
    );
    let blank_purpose = "TERM_CODE,PURPOSE_CODE\nLIV,\n";
    let err = with(|s| s.term_purposes = blank_purpose).unwrap_err();
    assert!(
        matches!(
            err,
            CodeListError::UnknownPairCode {
                kind: "purpose",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn additions_may_not_shadow_or_invent_lists() {
    let shadow =
        "list,code,english_name,french_name,spanish_name,basis\nsource,W,Wild again,,,test\n";
    let err = with(|s| s.additions = shadow).unwrap_err();
    assert!(matches!(
        err,
        CodeListError::AdditionOverlaps { list: "source", .. }
    ));
    let unknown = "list,code,english_name,french_name,spanish_name,basis\ncolour,R,Red,,,test\n";
    let err = with(|s| s.additions = unknown).unwrap_err();
    assert!(matches!(err, CodeListError::UnknownList { .. }));
}

#[test]
fn country_rows_are_checked_field_by_field() {
    let header = "country\tcode\tformer_code\tnon_ISO_code\tdate\tdata_source\n";
    let bad_flag = format!("{header}Ghana\tGH\tNO\tFALSE\tNA\tx\n");
    let err = with(|s| s.parties = &bad_flag).unwrap_err();
    assert!(
        matches!(err, CodeListError::BadCountryField { .. }),
        "{err}"
    );
    let bad_date = format!("{header}Ghana\tGH\tFALSE\tFALSE\t12/02/1976\tx\n");
    let err = with(|s| s.parties = &bad_date).unwrap_err();
    assert!(
        matches!(err, CodeListError::BadCountryField { .. }),
        "{err}"
    );
    let dup = format!("{header}Ghana\tGH\tFALSE\tFALSE\tNA\tx\nGhana\tGH\tFALSE\tFALSE\tNA\tx\n");
    let err = with(|s| s.parties = &dup).unwrap_err();
    assert!(matches!(err, CodeListError::DuplicateCode { .. }), "{err}");
}

#[test]
fn validation_sees_gaps_against_the_domain_codes() {
    let without_x = "list,code,english_name,french_name,spanish_name,basis\nsource,Y,Assisted production,,,test\n";
    let report = with(|s| s.additions = without_x).unwrap().validate();
    assert_eq!(report.domain_codes_without_entry, set(&["S:X"]));

    let extra = "list,code,english_name,french_name,spanish_name,basis\nsource,X,Sea,,,t\nsource,Y,Assisted,,,t\npurpose,J,Jubilee,,,t\n";
    let report = with(|s| s.additions = extra).unwrap().validate();
    assert_eq!(report.entries_unknown_to_domain, set(&["P:J"]));
}

/// The README says the shipped files are byte-for-byte copies of the fixtures: hold it to it.
#[test]
fn shipped_files_are_the_fixture_bytes() {
    let read = |path: String| std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let fixture = |rel: &str| read(format!("{}/../fixtures/{rel}", env!("CARGO_MANIFEST_DIR")));
    let shipped = |name: &str| {
        read(format!(
            "{}/../schemas/codes/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
    };
    let e = CodeListSources::EMBEDDED;
    for (embedded, name, rel) in [
        (
            e.purposes,
            "purpose_codes_utf8.csv",
            "sapi/codes/purpose_codes_utf8.csv",
        ),
        (
            e.sources,
            "source_codes_utf8.csv",
            "sapi/codes/source_codes_utf8.csv",
        ),
        (
            e.terms,
            "term_codes_utf8.csv",
            "sapi/codes/term_codes_utf8.csv",
        ),
        (
            e.units,
            "unit_codes_utf8.csv",
            "sapi/codes/unit_codes_utf8.csv",
        ),
        (
            e.term_units,
            "term_unit_pairs_utf8.csv",
            "sapi/codes/term_unit_pairs_utf8.csv",
        ),
        (
            e.term_purposes,
            "term_purpose_pairs_utf8.csv",
            "sapi/codes/term_purpose_pairs_utf8.csv",
        ),
        (e.parties, "cites_parties.tsv", "citesdb/cites_parties.tsv"),
    ] {
        assert_eq!(embedded.as_bytes(), fixture(rel), "{name}");
        assert_eq!(shipped(name), fixture(rel), "{name}");
    }
    for (name, rel) in [
        ("LICENSE-sapi.txt", "sapi/LICENSE-sapi.txt"),
        ("LICENSE-citesdb.md", "citesdb/LICENSE-citesdb.md"),
    ] {
        assert_eq!(shipped(name), fixture(rel), "{name}");
    }
}
