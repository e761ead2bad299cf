//! Given/when/then for every rule of the catalogue: the refused case and the allowed case.

use crate::domain::codes::{PurposeCode, SourceCode};
use crate::domain::context::{DomesticMeasure, NationalListEntry, SuspensionInfo};
use crate::domain::permit::PermitEvent as E;
use crate::domain::testing::*;

// ---- Data validity ----

#[test]
fn data_unknown_taxon() {
    let f = given(&[])
        .when(submit(export(vec![line(
            "Unicornis magica",
            "W",
            "T",
            "LIV",
            "1",
        )])))
        .refused_by("DATA-UNKNOWN-TAXON");
    assert_eq!(f[0].field.as_deref(), Some("lines[0].species"));
    // A synonym resolves to the accepted name and keeps the name as written.
    let events = submitted(export(vec![line("Python regia", "C", "T", "LIV", "10")]));
    let E::ApplicationSubmitted(s) = &events[0] else {
        panic!()
    };
    assert_eq!(s.content.lines[0].scientific_name, "Python regius");
    assert_eq!(s.content.lines[0].name_as_written, "Python regia");
}

#[test]
fn data_term_unit() {
    let mut l = line("Python regius", "C", "T", "LIV", "10");
    l.unit = Some("KIL".into());
    given(&[])
        .when(submit(export(vec![l])))
        .refused_by("DATA-TERM-UNIT");
    let mut ok = line("Pterocarpus santalinus", "W", "T", "TIM", "2.5");
    ok.unit = Some("CUM".into());
    given(&[])
        .when(submit(export(vec![ok])))
        .accepted_without("DATA-TERM-UNIT");
}

#[test]
fn data_quantity() {
    for bad in ["0", "-3", "abc", "1.2345"] {
        given(&[])
            .when(submit(export(vec![line(
                "Python regius",
                "C",
                "T",
                "LIV",
                bad,
            )])))
            .refused_by("DATA-QUANTITY");
    }
    given(&[])
        .when(submit(export(vec![line(
            "Python regius",
            "C",
            "T",
            "LIV",
            "12",
        )])))
        .accepted_without("DATA-QUANTITY");
}

#[test]
fn data_country() {
    let mut form = export(vec![line("Python regius", "C", "T", "LIV", "1")]);
    form.importing_country = Some("XX".into());
    given(&[])
        .when(submit(form.clone()))
        .refused_by("DATA-COUNTRY");
    form.importing_country = Some("LK".into());
    let f = given(&[]).when(submit(form)).refused_by("DATA-COUNTRY");
    assert!(f[0].message.contains("same country"));
}

#[test]
fn data_code_and_date() {
    given(&[])
        .when(submit(export(vec![line(
            "Python regius",
            "Q",
            "T",
            "LIV",
            "1",
        )])))
        .refused_by("DATA-CODE");
    given(&[])
        .when(submit(export(vec![line(
            "Python regius",
            "C",
            "K",
            "LIV",
            "1",
        )])))
        .refused_by("DATA-CODE");
    let mut l = line("Panthera tigris", "O", "T", "TRO", "1");
    l.acquisition_date = Some("28/11/1970".into());
    given(&[])
        .when(submit(export(vec![l.clone()])))
        .refused_by("DATA-DATE");
    l.acquisition_date = Some("2099-01-01".into());
    given(&[])
        .when(submit(export(vec![l])))
        .refused_by("DATA-DATE");
}

// ---- Which document ----

#[test]
fn doc_app1_export_needs_import_permit() {
    let mut l = line("Panthera tigris", "W", "S", "SKI", "1");
    given(&[])
        .when(submit(export(vec![l.clone()])))
        .refused_by("DOC-APP1-EXPORT-NEEDS-IMPORT-PERMIT");
    l.import_permit = reference_form("DE", "DE-IMP-2026-77", "2026-11-01");
    given(&[])
        .when(submit(export(vec![l])))
        .accepted_without("DOC-APP1-EXPORT-NEEDS-IMPORT-PERMIT");
}

#[test]
fn doc_app1_reexport_live_needs_import_permit() {
    let mut l = line("Panthera tigris", "C", "Z", "LIV", "1");
    l.origin = reference_form("IN", "IN-2020-1", "2020-01-10");
    let mut form = export(vec![l.clone()]);
    form.document_type = "re_export_certificate".into();
    given(&[])
        .when(submit(form.clone()))
        .refused_by("DOC-APP1-REEXPORT-LIVE-NEEDS-IMPORT-PERMIT");
    form.lines[0].import_permit = reference_form("DE", "DE-IMP-1", "2026-11-01");
    given(&[])
        .when(submit(form))
        .accepted_without("DOC-APP1-REEXPORT-LIVE-NEEDS-IMPORT-PERMIT");
}

#[test]
fn doc_app2_import_permit_not_required_is_a_warning() {
    let mut form = export(vec![line("Python regius", "C", "T", "LIV", "1")]);
    form.document_type = "import_permit".into();
    form.exporting_country = Some("DE".into());
    form.importing_country = None;
    given(&[])
        .when(submit(form))
        .warned_by("DOC-APP2-IMPORT-PERMIT-NOT-REQUIRED");
    given(&[])
        .when(submit(export(vec![line(
            "Python regius",
            "C",
            "T",
            "LIV",
            "1",
        )])))
        .accepted_without("DOC-APP2-IMPORT-PERMIT-NOT-REQUIRED");
}

#[test]
fn doc_app3_origin_certificate_and_listing_party() {
    let mut timber = line("Cedrela odorata", "W", "T", "SAW", "3");
    timber.unit = Some("CUM".into());
    // Sri Lanka is not the listing Party (BO): an export permit is refused…
    given(&[])
        .when(submit(export(vec![timber.clone()])))
        .refused_by("DOC-APP3-ORIGIN-CERTIFICATE");
    // …a certificate of origin is right.
    let mut form = export(vec![timber.clone()]);
    form.document_type = "certificate_of_origin".into();
    given(&[]).when(submit(form)).accepted_without("DOC-APP3");
    // The listing Party itself exports on an export permit, never a certificate of origin.
    let mut g = given(&[]);
    g.settings.party = party("BO");
    let mut form = export(vec![timber]);
    form.document_type = "certificate_of_origin".into();
    g.when(submit(form.clone()))
        .refused_by("DOC-APP3-EXPORT-BY-LISTING-PARTY");
    form.document_type = "export_permit".into();
    g.when(submit(form)).accepted_without("DOC-APP3");
}

#[test]
fn doc_reexport_needs_origin() {
    let mut form = export(vec![line("Python regius", "C", "T", "SKI", "5")]);
    form.document_type = "re_export_certificate".into();
    given(&[])
        .when(submit(form.clone()))
        .refused_by("DOC-REEXPORT-NEEDS-ORIGIN");
    form.lines[0].origin = reference_form("TH", "TH-2025-0042", "2025-03-01");
    given(&[])
        .when(submit(form))
        .accepted_without("DOC-REEXPORT-NEEDS-ORIGIN");
}

#[test]
fn doc_sea_certificate() {
    let form = export(vec![line("Python regius", "X", "T", "SKI", "1")]);
    given(&[])
        .when(submit(form.clone()))
        .refused_by("DOC-SEA-CERTIFICATE");
    // The State of introduction issues it for specimens landed in its own territory: no
    // importing foreign State, no exporting State.
    let mut sea = form;
    sea.document_type = "introduction_from_the_sea".into();
    sea.importing_country = None;
    let events = given(&[]).when(submit(sea.clone())).events();
    let E::ApplicationSubmitted(s) = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(
        (
            s.content.importing_country.as_str(),
            s.content.exporting_country.as_str()
        ),
        ("LK", "LK")
    );
    given(&[])
        .when(submit(sea.clone()))
        .accepted_without("DOC-SEA-CERTIFICATE");
    let mut landed_elsewhere = sea.clone();
    landed_elsewhere.importing_country = Some("DE".into());
    given(&[])
        .when(submit(landed_elsewhere))
        .refused_by("DOC-ISSUING-PARTY");
    let mut from_a_state = sea;
    from_a_state.exporting_country = Some("IN".into());
    given(&[])
        .when(submit(from_a_state))
        .refused_by("DATA-COUNTRY");
}

fn field_of<'f>(findings: &'f [crate::domain::rules::Finding], rule: &str) -> Option<&'f str> {
    findings.iter().find(|f| f.rule == rule)?.field.as_deref()
}

#[test]
fn doc_issuing_party_a_party_issues_for_its_own_trade_only() {
    // LK's export permit, re-export certificate and certificate of origin are LK's exports.
    for doc in [
        "export_permit",
        "re_export_certificate",
        "certificate_of_origin",
    ] {
        let mut form = export(vec![line("Python regius", "W", "T", "SKI", "1")]);
        form.document_type = doc.into();
        form.exporting_country = Some("IN".into());
        form.importing_country = Some("DE".into());
        let found = given(&[])
            .when(submit(form))
            .refused_by("DOC-ISSUING-PARTY");
        assert_eq!(
            field_of(&found, "DOC-ISSUING-PARTY"),
            Some("exporting_country"),
            "{doc}"
        );
    }
    // LK's import permit is for an import into LK.
    let mut import = export(vec![line("Panthera tigris", "W", "S", "LIV", "1")]);
    import.document_type = "import_permit".into();
    import.exporting_country = Some("IN".into());
    import.importing_country = Some("DE".into());
    let found = given(&[])
        .when(submit(import.clone()))
        .refused_by("DOC-ISSUING-PARTY");
    assert_eq!(
        field_of(&found, "DOC-ISSUING-PARTY"),
        Some("importing_country")
    );
    import.importing_country = None;
    given(&[])
        .when(submit(import))
        .accepted_without("DOC-ISSUING-PARTY");
}

#[test]
fn source_d_appendix_i_is_deemed_appendix_ii_and_needs_no_import_permit() {
    // Panthera tigris (Appendix I) bred in a registered operation, exported commercially.
    let mut l = line("Panthera tigris", "D", "T", "LIV", "1");
    l.registered_operation = Some("A-LK-501".into());
    let form = export(vec![l]);
    given(&[])
        .when(submit(form.clone()))
        .accepted_without("DOC-APP1-EXPORT-NEEDS-IMPORT-PERMIT");
    // The same specimens from the wild need the import permit.
    let wild = export(vec![line("Panthera tigris", "W", "S", "LIV", "1")]);
    given(&[])
        .when(submit(wild))
        .refused_by("DOC-APP1-EXPORT-NEEDS-IMPORT-PERMIT");
}

#[test]
fn data_quantity_a_count_is_whole() {
    let found = given(&[])
        .when(submit(export(vec![line(
            "Python regius",
            "W",
            "T",
            "SKI",
            "2.5",
        )])))
        .refused_by("DATA-QUANTITY");
    assert_eq!(field_of(&found, "DATA-QUANTITY"), Some("lines[0].quantity"));
    let mut area = line("Python regius", "W", "T", "SKI", "2.5");
    area.unit = Some("SQM".into());
    given(&[])
        .when(submit(export(vec![area])))
        .accepted_without("DATA-QUANTITY");
}

#[test]
fn doc_not_listed_names_the_population_a_split_listing_leaves_out() {
    // Python regius is listed; a line whose population no listing covers has no listing seen.
    let events = submitted(export(vec![line("Python regius", "W", "T", "SKI", "2")]));
    let E::ApplicationSubmitted(s) = &events[0] else {
        panic!()
    };
    let mut content = s.content.clone();
    content.lines[0].listing = None;
    let g = given(&[]);
    let ctx = crate::domain::context::DecisionContext {
        today: g.today,
        reference: &g.reference,
        settings: &g.settings,
        quotas: &[],
        replacement: None,
        imports: &[],
    };
    let found = crate::domain::rules::document::not_listed(&content, &ctx);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0]
            .message
            .contains("cover other populations, not specimens from LK"),
        "{}",
        found[0].message
    );
}

#[test]
fn doc_not_listed_and_national_list() {
    let form = export(vec![line("Rattus rattus", "W", "S", "LIV", "2")]);
    given(&[])
        .when(submit(form.clone()))
        .refused_by("DOC-NOT-LISTED");
    let mut g = given(&[]);
    g.settings.national_list.push(NationalListEntry {
        taxon_id: RATTUS_RATTUS,
        scientific_name: "Rattus rattus".into(),
        note: None,
    });
    let events = g.when(submit(form)).events();
    let E::ApplicationSubmitted(s) = &events[0] else {
        panic!()
    };
    assert_eq!(
        s.content.lines[0].listing, None,
        "a national-list line carries no CITES listing"
    );
}

// ---- Purpose and source ----

#[test]
fn purpose_app1_commercial() {
    let mut l = line("Panthera tigris", "W", "T", "SKI", "1");
    l.import_permit = reference_form("DE", "DE-IMP-1", "2026-11-01");
    given(&[])
        .when(submit(export(vec![l.clone()])))
        .refused_by("PURPOSE-APP1-COMMERCIAL");
    l.purpose = "S".into();
    given(&[])
        .when(submit(export(vec![l])))
        .accepted_without("PURPOSE-APP1-COMMERCIAL");
}

#[test]
fn source_kingdom() {
    given(&[])
        .when(submit(export(vec![line(
            "Python regius",
            "A",
            "T",
            "LIV",
            "1",
        )])))
        .refused_by("SOURCE-KINGDOM");
    let mut plant = line("Pterocarpus santalinus", "C", "T", "TIM", "1");
    plant.unit = Some("CUM".into());
    given(&[])
        .when(submit(export(vec![plant.clone()])))
        .refused_by("SOURCE-KINGDOM");
    plant.source = "A".into();
    given(&[])
        .when(submit(export(vec![plant])))
        .accepted_without("SOURCE-KINGDOM");
}

#[test]
fn source_d_registered() {
    let mut l = line("Panthera tigris", "D", "T", "SKI", "1");
    l.import_permit = reference_form("DE", "DE-IMP-1", "2026-11-01");
    given(&[])
        .when(submit(export(vec![l.clone()])))
        .refused_by("SOURCE-D-REGISTERED");
    l.registered_operation = Some("A-LK-501".into());
    given(&[])
        .when(submit(export(vec![l])))
        .accepted_without("SOURCE-D-REGISTERED");
    let mut app2 = line("Python regius", "D", "T", "LIV", "1");
    app2.registered_operation = Some("A-LK-501".into());
    given(&[])
        .when(submit(export(vec![app2])))
        .refused_by("SOURCE-D-REGISTERED");
}

#[test]
fn source_c_app1_commercial() {
    let mut l = line("Panthera tigris", "C", "T", "LIV", "1");
    l.import_permit = reference_form("DE", "DE-IMP-1", "2026-11-01");
    given(&[])
        .when(submit(export(vec![l.clone()])))
        .refused_by("SOURCE-C-APP1-COMMERCIAL");
    l.purpose = "Z".into();
    given(&[])
        .when(submit(export(vec![l])))
        .accepted_without("SOURCE-C-APP1-COMMERCIAL");
}

#[test]
fn source_o_preconvention() {
    let mut l = line("Panthera tigris", "O", "T", "CAR", "1");
    l.acquisition_date = Some("1980-05-01".into());
    let mut form = export(vec![l]);
    form.document_type = "pre_convention_certificate".into();
    form.lines[0].import_permit = reference_form("DE", "DE-IMP-1", "2026-11-01");
    given(&[])
        .when(submit(form.clone()))
        .refused_by("SOURCE-O-PRECONVENTION");
    form.lines[0].acquisition_date = Some("1970-05-01".into());
    given(&[])
        .when(submit(form.clone()))
        .accepted_without("SOURCE-O-PRECONVENTION");
    form.document_type = "export_permit".into();
    given(&[])
        .when(submit(form))
        .refused_by("SOURCE-O-PRECONVENTION");
}

#[test]
fn source_u_justified() {
    let mut l = line("Python regius", "U", "S", "SKI", "1");
    given(&[])
        .when(submit(export(vec![l.clone()])))
        .refused_by("SOURCE-U-JUSTIFIED");
    l.source_justification = Some("old museum specimen without records".into());
    given(&[])
        .when(submit(export(vec![l])))
        .warned_by("SOURCE-U-JUSTIFIED");
}

#[test]
fn source_i_seized() {
    let mut l = line("Python regius", "I", "S", "SKI", "1");
    given(&[])
        .when(submit(export(vec![l.clone()])))
        .refused_by("SOURCE-I-SEIZED");
    l.seizure_reference = Some("LK-CUSTOMS-2026-118".into());
    given(&[])
        .when(submit(export(vec![l])))
        .accepted_without("SOURCE-I-SEIZED");
}

#[test]
fn purpose_term_unusual_is_a_warning() {
    given(&[])
        .when(submit(export(vec![line(
            "Python regius",
            "C",
            "T",
            "TRO",
            "1",
        )])))
        .warned_by("PURPOSE-TERM-UNUSUAL");
    given(&[])
        .when(submit(export(vec![line(
            "Python regius",
            "C",
            "H",
            "TRO",
            "1",
        )])))
        .accepted_without("PURPOSE-TERM-UNUSUAL");
}

// ---- Suspensions and domestic measures ----

#[test]
fn suspension_blocks_and_names_the_notification() {
    let mut g = given(&[]);
    g.reference.suspensions.push(SuspensionInfo {
        id: 9,
        country: party("LK"),
        taxon_id: Some(PYTHON_REGIUS),
        applies_to_import: false,
        notification: "Notification No. 2026/012".into(),
    });
    let f = g
        .when(submit(export(vec![line(
            "Python regius",
            "C",
            "T",
            "LIV",
            "1",
        )])))
        .refused_by("SUSPENSION");
    assert!(f[0].message.contains("2026/012"));
    given(&[])
        .when(submit(export(vec![line(
            "Python regius",
            "C",
            "T",
            "LIV",
            "1",
        )])))
        .accepted_without("SUSPENSION");
}

#[test]
fn domestic_ban() {
    let mut g = given(&[]);
    g.settings.domestic_measures.push(DomesticMeasure {
        id: "LK-FFPO-2026-3".into(),
        taxon_id: PYTHON_REGIUS,
        scientific_name: "Python regius".into(),
        description: "no commercial export of wild pythons".into(),
        banned_purposes: vec![PurposeCode::Commercial],
        banned_sources: vec![SourceCode::Wild],
    });
    g.when(submit(export(vec![line(
        "Python regius",
        "W",
        "T",
        "SKI",
        "1",
    )])))
    .refused_by("DOMESTIC-BAN");
    g.when(submit(export(vec![line(
        "Python regius",
        "C",
        "T",
        "SKI",
        "1",
    )])))
    .accepted_without("DOMESTIC-BAN");
}

#[test]
fn doc_import_permit_age_warns_of_an_import_permit_older_than_12_months() {
    // The harness's today is 2026-11-28.
    let with_import_permit = |date: &str| {
        let mut l = line("Panthera tigris", "W", "S", "LIV", "1");
        l.import_permit = Some(crate::domain::rules::data::ReferenceForm {
            country: "DE".into(),
            number: "DE-IM-1".into(),
            date: Some(date.into()),
        });
        export(vec![l])
    };
    let events = given(&[])
        .when(submit(with_import_permit("2025-10-01")))
        .events();
    let E::ApplicationSubmitted(s) = &events[0] else {
        panic!()
    };
    assert!(
        s.warnings.iter().any(|w| w.rule == "DOC-IMPORT-PERMIT-AGE"),
        "{:?}",
        s.warnings
    );
    given(&[])
        .when(submit(with_import_permit("2026-06-01")))
        .accepted_without("DOC-IMPORT-PERMIT-AGE");
}

fn national(
    id: &str,
    entry: ecites_events::payloads::party_config::NationalEntry,
    taxon: Option<u64>,
) -> ecites_events::payloads::party_config::NationalEntryRecorded {
    ecites_events::payloads::party_config::NationalEntryRecorded {
        id: id.into(),
        entry,
        taxon_id: taxon,
        scientific_name: None,
        notification: "Notification No. 2026/041".into(),
        starts_on: ecites_events::cites::IsoDate::parse("2026-01-01").unwrap(),
        ends_on: None,
    }
}

#[test]
fn a_national_suspension_refuses_like_a_species_plus_one() {
    use ecites_events::payloads::party_config::NationalEntry;
    let mut g = given(&[]);
    // Imports into DE of every taxon suspended, from a Notification the Species+ data lacks.
    g.settings.national_entries.push(national(
        "susp-de",
        NationalEntry::Suspension {
            country: party("DE"),
            applies_to_import: true,
        },
        None,
    ));
    let found = g
        .when(submit(export(vec![line(
            "Python regius",
            "W",
            "T",
            "SKI",
            "2",
        )])))
        .refused_by("SUSPENSION");
    let message = &found
        .iter()
        .find(|f| f.rule == "SUSPENSION")
        .unwrap()
        .message;
    assert!(
        message.contains("susp-de") && message.contains("2026/041"),
        "{message}"
    );
    // Lifted (its last day before today): no longer applies.
    g.settings.national_entries[0].ends_on =
        ecites_events::cites::IsoDate::parse("2026-11-27").ok();
    g.when(submit(export(vec![line(
        "Python regius",
        "W",
        "T",
        "SKI",
        "2",
    )])))
    .accepted_without("SUSPENSION");
}

#[test]
fn the_partys_own_appendix_iii_listing_is_a_listing_in_force() {
    use ecites_events::payloads::party_config::NationalEntry;
    // Rattus rattus is listed nowhere: DOC-NOT-LISTED, until LK lists it in Appendix III.
    let rat = || export(vec![line("Rattus rattus", "W", "T", "LIV", "2")]);
    given(&[]).when(submit(rat())).refused_by("DOC-NOT-LISTED");
    let mut g = given(&[]);
    g.settings.national_entries.push(national(
        "app3-rat",
        NationalEntry::AppendixIii { annotation: None },
        Some(crate::domain::testing::RATTUS_RATTUS),
    ));
    let events = g.when(submit(rat())).events();
    let E::ApplicationSubmitted(s) = &events[0] else {
        panic!()
    };
    let listing = s.content.lines[0].listing.as_ref().expect("a listing");
    assert_eq!(
        (listing.appendix, listing.listing_party),
        (crate::domain::codes::Appendix::III, Some(party("LK")))
    );
}

#[test]
fn a_reservation_of_the_party_is_named_to_the_officer() {
    use ecites_events::payloads::party_config::NationalEntry;
    let mut g = given(&[]);
    g.settings.national_entries.push(national(
        "res-python",
        NationalEntry::Reservation {
            appendix: crate::domain::codes::Appendix::II,
        },
        Some(crate::domain::testing::PYTHON_REGIUS),
    ));
    let events = g
        .when(submit(export(vec![line(
            "Python regius",
            "W",
            "T",
            "SKI",
            "2",
        )])))
        .events();
    let E::ApplicationSubmitted(s) = &events[0] else {
        panic!()
    };
    assert!(
        s.warnings.iter().any(|w| w.rule == "LISTING-RESERVATION"),
        "{:?}",
        s.warnings
    );
}
