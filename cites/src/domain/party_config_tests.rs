//! Given/when/then for the Party's configuration: the fold over the defaults, the fee schedule
//! it yields, and every refusal with the field at fault.

// Amounts are written major_minor (100_00 = 100.00) so that they read as prices.
#![allow(clippy::inconsistent_digit_grouping)]

use super::*;
use crate::domain::codes::{Appendix, DocumentType, PurposeCode, SourceCode};
use crate::domain::context::PartySettings;
use ecites_events::PartyCode;

const PYTHON_REGIUS: u64 = 4_521;
const COLUMBA_LIVIA: u64 = 9_001;

fn defaults() -> PartySettings {
    PartySettings::new("LK".parse::<PartyCode>().unwrap())
}

fn given(events: &[PartyConfigEvent]) -> PartySettings {
    events.iter().fold(defaults(), evolve)
}

#[track_caller]
fn accepted(state: &PartySettings, command: PartyConfigCommand) -> PartySettings {
    match decide(state, command) {
        Ok(events) => events.iter().fold(state.clone(), evolve),
        Err(e) => panic!("expected events, got refusal: {e}"),
    }
}

/// The (rule, field) pairs of an invalid command.
#[track_caller]
fn refused_fields(
    state: &PartySettings,
    command: PartyConfigCommand,
) -> Vec<(&'static str, String)> {
    match decide(state, command) {
        Err(PartyConfigError::Invalid(v)) => v.into_iter().map(|v| (v.rule, v.field)).collect(),
        other => panic!("expected an invalid command, got {other:?}"),
    }
}

fn rule(
    document_type: Option<DocumentType>,
    appendix: Option<Appendix>,
    base: i64,
    per_line: i64,
) -> FeeRule {
    FeeRule {
        document_type,
        appendix,
        base,
        per_line,
        express_surcharge: 50_00,
    }
}

/// Appendix I export permits 100.00 + 10.00 a line; anything else 25.00 + 5.00 a line.
fn schedule() -> FeeScheduleSet {
    FeeScheduleSet {
        currency: "LKR".into(),
        rules: vec![
            rule(
                Some(DocumentType::ExportPermit),
                Some(Appendix::I),
                100_00,
                10_00,
            ),
            rule(None, None, 25_00, 5_00),
        ],
    }
}

fn measure(id: &str, purposes: Vec<PurposeCode>, sources: Vec<SourceCode>) -> DomesticMeasureSet {
    DomesticMeasureSet {
        id: id.into(),
        taxon_id: PYTHON_REGIUS,
        scientific_name: "Python regius".into(),
        description: "no commercial export of wild pythons".into(),
        banned_purposes: purposes,
        banned_sources: sources,
    }
}

fn pigeon(note: Option<&str>) -> NationalListSpeciesAdded {
    NationalListSpeciesAdded {
        taxon_id: COLUMBA_LIVIA,
        scientific_name: "Columba livia".into(),
        note: note.map(String::from),
    }
}

#[test]
fn the_events_fold_over_the_start_up_defaults() {
    use PartyConfigEvent as E;
    assert_eq!(given(&[]), defaults(), "no event, the defaults");
    let s = given(&[
        E::FeeScheduleSet(schedule()),
        E::DomesticMeasureSet(measure("LK-1", vec![], vec![])),
        E::DomesticMeasureSet(measure("LK-2", vec![], vec![])),
        // A revision replaces the measure with the same id, in place.
        E::DomesticMeasureSet(measure("LK-1", vec![PurposeCode::Commercial], vec![])),
        E::DomesticMeasureRevoked(DomesticMeasureRevoked {
            id: "LK-2".into(),
            reason: "lifted".into(),
        }),
        E::NationalListSpeciesAdded(pigeon(None)),
        E::NationalListSpeciesAdded(NationalListSpeciesAdded {
            taxon_id: 7,
            scientific_name: "Rana temporaria".into(),
            note: None,
        }),
        E::NationalListSpeciesRemoved(NationalListSpeciesRemoved { taxon_id: 7 }),
    ]);
    assert_eq!(s.currency, "LKR");
    assert_eq!(s.fees, schedule().rules);
    assert_eq!(
        s.domestic_measures,
        [measure("LK-1", vec![PurposeCode::Commercial], vec![])]
    );
    assert!(s.on_national_list(COLUMBA_LIVIA));
    assert!(!s.on_national_list(7));
    assert_eq!(s.party, defaults().party, "the Party is not configuration");
}

#[test]
fn an_application_pays_the_first_matching_rule() {
    let s = accepted(&defaults(), PartyConfigCommand::SetFees(schedule()));
    let fee = |d, a, lines, express| s.fee_for(d, a, lines, express).minor_units;
    let export = DocumentType::ExportPermit;
    assert_eq!(fee(export, Some(Appendix::I), 2, false), 120_00);
    assert_eq!(fee(export, Some(Appendix::I), 1, true), 160_00);
    assert_eq!(fee(export, Some(Appendix::II), 1, false), 30_00);
    assert_eq!(
        fee(DocumentType::ImportPermit, Some(Appendix::I), 1, false),
        30_00
    );
    // National-list species only: no Appendix, so only the catch-all can match.
    assert_eq!(fee(export, None, 1, false), 30_00);
    assert_eq!(s.fee_for(export, None, 1, false).currency, "LKR");
}

#[test]
fn absurd_amounts_saturate_instead_of_wrapping() {
    let mut s = defaults();
    s.fees = vec![rule(None, None, i64::MAX - 1, i64::MAX / 2)];
    let fee = s.fee_for(DocumentType::ExportPermit, None, 3, true);
    assert_eq!(fee.minor_units, i64::MAX);
}

#[test]
fn a_schedule_is_refused_with_the_field_at_fault() {
    let s = defaults();
    let with = |f: fn(&mut FeeScheduleSet)| {
        let mut sched = schedule();
        f(&mut sched);
        PartyConfigCommand::SetFees(sched)
    };
    for currency in ["lkr", "LK", "LKRS", "L1R", ""] {
        let mut sched = schedule();
        sched.currency = currency.into();
        assert_eq!(
            refused_fields(&s, PartyConfigCommand::SetFees(sched)),
            [("CONFIG-CURRENCY", "currency".to_string())],
            "{currency:?}"
        );
    }
    assert_eq!(
        refused_fields(
            &s,
            with(|x| {
                x.rules[0].per_line = -1;
                x.rules[1].express_surcharge = -5;
            })
        ),
        [
            ("CONFIG-FEE-AMOUNT", "rules[0].per_line".to_string()),
            (
                "CONFIG-FEE-AMOUNT",
                "rules[1].express_surcharge".to_string()
            ),
        ]
    );
    // Without a catch-all an Appendix II application would be charged nothing.
    assert_eq!(
        refused_fields(&s, with(|x| x.rules.truncate(1))),
        [("CONFIG-FEE-CATCH-ALL", "rules".to_string())]
    );
    assert_eq!(
        refused_fields(&s, with(|x| x.rules.clear())),
        [("CONFIG-FEE-CATCH-ALL", "rules".to_string())]
    );
    // A rule behind the catch-all, or behind a broader rule, would never apply.
    assert_eq!(
        refused_fields(&s, with(|x| x.rules.reverse())),
        [("CONFIG-FEE-UNREACHABLE", "rules[1]".to_string())]
    );
    assert_eq!(
        refused_fields(
            &s,
            with(|x| {
                x.rules
                    .insert(0, rule(Some(DocumentType::ExportPermit), None, 1, 1));
            })
        ),
        [("CONFIG-FEE-UNREACHABLE", "rules[1]".to_string())]
    );
    // The narrower rule first is what a schedule is for.
    accepted(
        &s,
        with(|x| {
            x.rules
                .insert(1, rule(Some(DocumentType::ExportPermit), None, 1, 1))
        }),
    );
}

#[test]
fn a_domestic_measure_is_set_revised_and_revoked() {
    let set = |m| PartyConfigCommand::SetDomesticMeasure(m);
    let mut m = measure(
        "LK-FFPO-2026-3",
        vec![PurposeCode::Commercial, PurposeCode::Commercial],
        vec![SourceCode::Wild],
    );
    m.description = "  no commercial export of wild pythons ".into();
    let s = accepted(&defaults(), set(m));
    assert_eq!(
        s.domestic_measures,
        [measure(
            "LK-FFPO-2026-3",
            vec![PurposeCode::Commercial],
            vec![SourceCode::Wild]
        )],
        "trimmed and without repeats"
    );
    let s = accepted(&s, set(measure("LK-FFPO-2026-3", vec![], vec![])));
    assert_eq!(s.domestic_measures.len(), 1, "revised, not added");
    assert!(s.domestic_measures[0].banned_purposes.is_empty());

    let revoke = |id: &str, reason: &str| PartyConfigCommand::RevokeDomesticMeasure {
        id: id.into(),
        reason: reason.into(),
    };
    assert_eq!(
        decide(&s, revoke("LK-9", "lifted")),
        Err(PartyConfigError::UnknownMeasure("LK-9".into()))
    );
    assert_eq!(
        refused_fields(&s, revoke("LK-FFPO-2026-3", " ")),
        [("CONFIG-TEXT", "reason".to_string())]
    );
    let s = accepted(&s, revoke("LK-FFPO-2026-3", "lifted by gazette 2026/7"));
    assert!(s.domestic_measures.is_empty());
    assert_eq!(
        decide(&s, revoke("LK-FFPO-2026-3", "again")),
        Err(PartyConfigError::UnknownMeasure("LK-FFPO-2026-3".into())),
        "a revoked measure is no longer in force"
    );
}

#[test]
fn a_domestic_measure_is_refused_with_the_field_at_fault() {
    let mut m = measure("LK 1/2", vec![], vec![]);
    m.description = String::new();
    assert_eq!(
        refused_fields(&defaults(), PartyConfigCommand::SetDomesticMeasure(m)),
        [
            ("CONFIG-MEASURE-ID", "id".to_string()),
            ("CONFIG-TEXT", "description".to_string()),
        ]
    );
    let long = "x".repeat(65);
    assert_eq!(
        refused_fields(
            &defaults(),
            PartyConfigCommand::SetDomesticMeasure(measure(&long, vec![], vec![]))
        ),
        [("CONFIG-MEASURE-ID", "id".to_string())]
    );
}

#[test]
fn the_national_list_takes_a_species_once() {
    let s = accepted(
        &defaults(),
        PartyConfigCommand::AddToNationalList(pigeon(Some("  Wildlife Ordinance s.40 "))),
    );
    assert_eq!(s.national_list, [pigeon(Some("Wildlife Ordinance s.40"))]);
    assert_eq!(
        decide(&s, PartyConfigCommand::AddToNationalList(pigeon(None))),
        Err(PartyConfigError::AlreadyListed("Columba livia".into()))
    );
    let blank_note = accepted(
        &defaults(),
        PartyConfigCommand::AddToNationalList(pigeon(Some(" "))),
    );
    assert_eq!(blank_note.national_list, [pigeon(None)]);

    let remove = |taxon_id| PartyConfigCommand::RemoveFromNationalList { taxon_id };
    assert_eq!(
        decide(&s, remove(PYTHON_REGIUS)),
        Err(PartyConfigError::NotListed(PYTHON_REGIUS))
    );
    let s = accepted(&s, remove(COLUMBA_LIVIA));
    assert!(!s.on_national_list(COLUMBA_LIVIA));
}

#[test]
fn each_command_records_its_own_event_type() {
    let s = given(&[
        PartyConfigEvent::DomesticMeasureSet(measure("LK-1", vec![], vec![])),
        PartyConfigEvent::NationalListSpeciesAdded(pigeon(None)),
    ]);
    let cases = [
        (PartyConfigCommand::SetFees(schedule()), "FeeScheduleSet"),
        (
            PartyConfigCommand::SetDomesticMeasure(measure("LK-2", vec![], vec![])),
            "DomesticMeasureSet",
        ),
        (
            PartyConfigCommand::RevokeDomesticMeasure {
                id: "LK-1".into(),
                reason: "lifted".into(),
            },
            "DomesticMeasureRevoked",
        ),
        (
            PartyConfigCommand::AddToNationalList(NationalListSpeciesAdded {
                taxon_id: 7,
                scientific_name: "Rana temporaria".into(),
                note: None,
            }),
            "NationalListSpeciesAdded",
        ),
        (
            PartyConfigCommand::RemoveFromNationalList {
                taxon_id: COLUMBA_LIVIA,
            },
            "NationalListSpeciesRemoved",
        ),
    ];
    for (command, expected) in cases {
        let events = decide(&s, command).unwrap();
        let names: Vec<_> = events.iter().map(PartyConfigEvent::event_type).collect();
        assert_eq!(names, [expected]);
        assert_eq!(events[0].to_data().unwrap().event_type, expected);
    }
}

#[test]
fn a_stamp_range_holds_numbers_every_reader_can_store() {
    use ecites_events::payloads::party_config::SecurityStampRangeSet;
    let range = |first, last| {
        PartyConfigCommand::SetSecurityStampRange(SecurityStampRangeSet { first, last })
    };
    accepted(&defaults(), range(1, MAX_STAMP));
    assert_eq!(
        refused_fields(&defaults(), range(1, MAX_STAMP + 1)),
        [("CONFIG-STAMP-RANGE", "last".to_string())]
    );
    assert_eq!(
        refused_fields(&defaults(), range(0, 10)),
        [("CONFIG-STAMP-RANGE", "last".to_string())]
    );
}
