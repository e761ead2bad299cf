//! The tables' own checks: the language codes, names for every status, and no French or
//! Spanish entry left in English except those listed as the same in every language.

use super::*;

/// Every entry of a table as (name, text), the lists' entries as `list.key`. The pattern
/// names every field (no `..`), so a field added to [`Text`] and not here does not compile.
macro_rules! entries_of {
    ($t:expr; $($f:ident),* $(,)?; $($list:ident),*) => {{
        let Text { $($f,)* $($list,)* } = $t;
        let mut v: Vec<(String, &'static str)> = vec![$((stringify!($f).to_string(), *$f)),*];
        $(v.extend($list.iter().map(|(k, s)| (format!("{}.{k}", stringify!($list)), *s)));)*
        v
    }};
}

fn entries(t: &'static Text) -> Vec<(String, &'static str)> {
    entries_of!(t;
        lang, app_name, skip_to_content, sign_in, sign_out, language, party, user_id, password,
        bad_credentials, too_many_attempts, signed_in_as, home, work_queue, dashboard, year, show, traded_species,
        documents_issued, applications_by_status, permits_axis, issued_axis, no_data,
        annual_report, report_rows, report_errors, report_warnings, download_exporter,
        download_importer, download_exporter_issued, queue_empty, no_permits, my_applications,
        all_permits, apply, apply_title, document_type, exporting_country, exporting_country_hint,
        importing_country, country_hint, line, species, species_hint, appendix, not_listed,
        suspended, over_quota, quota_this_year, source, purpose, term, quantity, unit, unit_none, add_line, remove_line,
        submit_application, permit, application, status, number, security_stamp, organisation,
        submitted_at, issued_on, valid_until, endorsed_on, port, assigned_officer, lines,
        permitted, endorsed, fee, paid, fee_waived, no_fee, rule_findings, no_findings, warning,
        opinions, non_detrimental, detrimental, conditions, reason, actions, assign_to_me,
        legal_acquisition, evidence, evidence_hint, note, record_legal_acquisition,
        request_opinion, question, approve, reject, return_for_changes, waive_fee, issue,
        give_opinion, non_detriment_finding, yes, no, conditions_hint, pay, payment_reference,
        amount_due, withdraw, endorse, actual_quantity, at_most, endorsement_date, find_permit,
        permit_number, find, permit_not_found, banner_valid, banner_not_valid, banner_expired,
        signature, signature_verified, signature_not_verified, timeline, version, event, time,
        actor, chain, verified, not_verified, linked, not_linked, hash, all_events_verified,
        some_events_not_verified, back_to_permit, view, open_timeline, refused, rule, working,
        error, not_allowed, not_signed_in, try_again
        ;
        roles, statuses, document_types, event_types)
}

/// Entries that are legitimately the same as in English: the product's name, the "#"
/// column, and words spelt alike in the language (fr "Source", "Conditions", "Actions",
/// "Signature"; es "Error", "Auditor").
const SAME_IN_FRENCH: &[&str] = &[
    "app_name",
    "version",
    "source",
    "conditions",
    "actions",
    "signature",
];
const SAME_IN_SPANISH: &[&str] = &["app_name", "version", "error", "roles.auditor"];

/// The `{…}` placeholders of a text and whether it ends with the comma a page follows with a
/// value ("Documents issued, 2025").
fn markers(s: &str) -> (Vec<&str>, bool) {
    let mut found = Vec::new();
    let mut rest = s;
    while let Some(open) = rest.find('{') {
        let Some(len) = rest[open..].find('}') else {
            found.push(&rest[open..]);
            break;
        };
        found.push(&rest[open..=open + len]);
        rest = &rest[open + len + 1..];
    }
    (found, s.trim_end().ends_with(','))
}

/// What is wrong with `table` as a translation of [`EN`].
fn untranslated(table: &'static Text, same: &[&str]) -> Vec<String> {
    let en = entries(&EN);
    let other = entries(table);
    let en_names: Vec<&String> = en.iter().map(|(n, _)| n).collect();
    let other_names: Vec<&String> = other.iter().map(|(n, _)| n).collect();
    if en_names != other_names {
        return vec![format!("entries differ: {en_names:?} vs {other_names:?}")];
    }
    let mut wrong = Vec::new();
    for ((name, english), (_, translated)) in en.iter().zip(&other) {
        let listed = same.contains(&name.as_str());
        if translated.trim().is_empty() {
            wrong.push(format!("{name} is empty"));
        } else if listed && english != translated {
            wrong.push(format!(
                "{name} is listed as the same but is {translated:?}"
            ));
        } else if !listed && english == translated {
            wrong.push(format!("{name} is still English: {english:?}"));
        }
        if markers(english) != markers(translated) {
            wrong.push(format!(
                "{name}: {translated:?} lost the markers of {english:?}"
            ));
        }
    }
    wrong
}

#[test]
fn french_and_spanish_translate_every_entry() {
    assert_eq!(untranslated(&FR, SAME_IN_FRENCH), Vec::<String>::new());
    assert_eq!(untranslated(&ES, SAME_IN_SPANISH), Vec::<String>::new());
    // The check bites: English is not a translation of itself, and a stale exception shows.
    assert!(untranslated(&EN, SAME_IN_FRENCH).len() > 100);
    assert!(untranslated(&FR, &["home"])
        .iter()
        .any(|w| w.starts_with("home is listed")));
}

#[test]
fn markers_are_found() {
    assert_eq!(markers("a {n} b {}"), (vec!["{n}", "{}"], false));
    assert_eq!(markers("Documents issued,"), (vec![], true));
}

#[test]
fn each_table_says_its_language() {
    for lang in Lang::ALL {
        assert_eq!(text(lang).lang, lang.code());
        assert_eq!(lang.html_tag(), lang.code());
        assert_eq!(Lang::from_code(lang.code()), Some(lang));
    }
    assert_eq!(
        Lang::ALL.map(Lang::code_column),
        [1, 2, 3],
        "the code lists' English, French and Spanish columns"
    );
    assert_eq!(Lang::from_code("FR"), Some(Lang::Fr));
    assert_eq!(Lang::from_code("de"), None);
    assert_eq!(Lang::from_code(""), None);
    assert_eq!(
        text(Lang::Fr).document_type("export_permit"),
        "Permis d'exportation"
    );
    assert_eq!(
        text(Lang::Es).role("ma_officer"),
        "Funcionario de la Autoridad Administrativa"
    );
}

#[test]
fn the_language_comes_from_accept_language() {
    assert_eq!(Lang::from_accept_language(None), Lang::En);
    assert_eq!(
        Lang::from_accept_language(Some("fr-CH, fr;q=0.9, en;q=0.8")),
        Lang::Fr
    );
    assert_eq!(Lang::from_accept_language(Some("de, es;q=0.5")), Lang::Es);
    assert_eq!(Lang::from_accept_language(Some("de")), Lang::En);
}

#[test]
fn every_status_has_a_name() {
    for lang in Lang::ALL {
        let t = text(lang);
        for s in crate::permits::STATUSES {
            assert_ne!(t.status(s), *s, "{lang:?} {s}");
        }
        for d in crate::permits::DOCUMENT_TYPES {
            assert_ne!(t.document_type(d), *d, "{lang:?} {d}");
        }
    }
}
