use super::*;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/sapi/");

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{FIXTURES}{name}"))
        .unwrap_or_else(|e| panic!("reading fixture {name}: {e}"))
}

fn header_line(view: View) -> String {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(vec![]);
    w.write_record(view.header()).unwrap();
    String::from_utf8(w.into_inner().unwrap()).unwrap()
}

#[test]
fn headers_are_byte_identical_to_the_fixtures() {
    for (file, view) in [
        ("annual_report_upload_exporter.csv", View::Exporter),
        ("annual_report_upload_importer.csv", View::Importer),
        ("annual_report_upload_importer_blanks.csv", View::Importer),
    ] {
        // The line's bytes up to its terminator (one fixture ends its lines with CRLF; the
        // report is written with LF, as the other two are).
        let text = fixture(file);
        let first = text.lines().next().unwrap().trim_end_matches('\r');
        assert_eq!(header_line(view), format!("{first}\n"), "{file}");
    }
}

/// Every row of the fixtures passes the code-list checks, except the one deliberate mistake
/// of SAPI's test file (term `COV`).
#[test]
fn fixture_rows_pass_the_code_list_checks() {
    let codes = Codes::embedded();
    for (file, view, expected) in [
        ("annual_report_upload_exporter.csv", View::Exporter, vec![]),
        ("annual_report_upload_importer.csv", View::Importer, vec![]),
        (
            "annual_report_upload_importer_blanks.csv",
            View::Importer,
            vec![(1, "AR-TERM-CODE")],
        ),
    ] {
        let text = fixture(file);
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let header = reader.headers().unwrap().clone();
        let mut found = vec![];
        let mut rows = 0;
        for (i, record) in reader.records().enumerate() {
            let record = record.unwrap();
            if record.iter().all(|f| f.trim().is_empty()) {
                continue;
            }
            rows += 1;
            let row = Row::from_record(&header, &record, view);
            for f in validate(i + 1, &row, codes).errors {
                if CODE_RULES.contains(&f.rule) {
                    found.push((f.row, f.rule));
                }
            }
            // The units the fixtures use (KIL) pair with their terms.
            assert!(validate(i + 1, &row, codes).warnings.is_empty() || row.term == "COV");
        }
        assert!(rows >= 2, "{file}");
        assert_eq!(found, expected, "{file}");
    }
}

fn line() -> Line {
    Line {
        appendix: Some("II".into()),
        scientific_name: "Python regius".into(),
        kingdom: "Animalia".into(),
        term: "LIV".into(),
        unit: None,
        quantity_thousandths: 10_000,
        endorsed_thousandths: Some(8_000),
        exporting_country: Some("LK".into()),
        importing_country: Some("DE".into()),
        permit_number: Some("LK/2025/000001".into()),
        purpose: "T".into(),
        source: "C".into(),
        year: Some(2025),
        ..Line::default()
    }
}

#[test]
fn exporter_rows_state_what_was_endorsed() {
    let row = build_row("LK", &line(), View::Exporter, Basis::Endorsed).unwrap();
    assert_eq!(
        row.record(View::Exporter),
        [
            "II",
            "Python regius",
            "LIV",
            "8",
            "",
            "DE",
            "",
            "LK/2025/000001",
            "",
            "",
            "T",
            "C",
            "2025"
        ]
    );
    let issued = build_row("LK", &line(), View::Exporter, Basis::Issued).unwrap();
    assert_eq!(issued.quantity, "10");
    let zero = Line {
        endorsed_thousandths: Some(0),
        ..line()
    };
    assert_eq!(
        build_row("LK", &zero, View::Exporter, Basis::Endorsed),
        None
    );
    let not_yet = Line {
        endorsed_thousandths: None,
        ..line()
    };
    assert_eq!(
        build_row("LK", &not_yet, View::Exporter, Basis::Endorsed),
        None
    );
    assert!(validate(1, &row, Codes::embedded()).errors.is_empty());
}

#[test]
fn importer_rows_name_the_export_permit_the_import_permit_relies_on() {
    let l = Line {
        exporting_country: Some("DE".into()),
        importing_country: Some("LK".into()),
        export_permit: Some("DE-EX-42".into()),
        ..line()
    };
    let row = build_row("LK", &l, View::Importer, Basis::Endorsed).unwrap();
    assert_eq!(row.export_permit, "DE-EX-42");
    assert_eq!(row.import_permit, "LK/2025/000001");
}

#[test]
fn importer_rows_name_the_exporter_and_its_reexport_certificate() {
    let l = Line {
        exporting_country: Some("DE".into()),
        importing_country: Some("LK".into()),
        origin_country: Some("GH".into()),
        origin_permit: Some("GH-123".into()),
        reexport_country: Some("DE".into()),
        reexport_permit: Some("DE-RE-9".into()),
        unit: Some("KIL".into()),
        term: "SKI".into(),
        endorsed_thousandths: Some(1_500),
        ..line()
    };
    let row = build_row("LK", &l, View::Importer, Basis::Endorsed).unwrap();
    assert_eq!(
        row.record(View::Importer),
        [
            "II",
            "Python regius",
            "SKI",
            "1.5",
            "KIL",
            "DE",
            "GH",
            "LK/2025/000001",
            "DE-RE-9",
            "GH-123",
            "",
            "T",
            "C",
            "2025"
        ]
    );
}

fn rules(c: &Checked) -> Vec<&'static str> {
    c.errors.iter().map(|f| f.rule).collect()
}

#[test]
fn validation_names_rows_columns_and_rules() {
    let codes = Codes::embedded();
    let origin_is_exporter = Line {
        origin_country: Some("LK".into()),
        ..line()
    };
    let row = build_row("LK", &origin_is_exporter, View::Exporter, Basis::Endorsed).unwrap();
    let c = validate(3, &row, codes);
    assert_eq!(rules(&c), ["AR-EXPORTER-IS-ORIGIN"]);
    assert_eq!(
        (c.errors[0].row, c.errors[0].column),
        (3, "CountryOfOrigin")
    );

    let same = Line {
        importing_country: Some("LK".into()),
        ..line()
    };
    let row = build_row("LK", &same, View::Exporter, Basis::Endorsed).unwrap();
    assert_eq!(
        rules(&validate(1, &row, codes)),
        ["AR-EXPORTER-IS-IMPORTER"]
    );

    let plant_ranched = Line {
        kingdom: "Plantae".into(),
        source: "R".into(),
        ..line()
    };
    let row = build_row("LK", &plant_ranched, View::Exporter, Basis::Endorsed).unwrap();
    assert_eq!(rules(&validate(1, &row, codes)), ["AR-SOURCE-KINGDOM"]);
    let animal_a = Row {
        source: "A".into(),
        ..build_row("LK", &line(), View::Exporter, Basis::Endorsed).unwrap()
    };
    assert_eq!(rules(&validate(1, &animal_a, codes)), ["AR-SOURCE-KINGDOM"]);

    let bad = Row {
        appendix: "IV".into(),
        year: "25".into(),
        quantity: "0".into(),
        term: "XXX".into(),
        unit: "FOO".into(),
        purpose: "".into(),
        trading_partner: "QQ".into(),
        ..Row::default()
    };
    let c = validate(2, &bad, codes);
    let r = rules(&c);
    for rule in [
        "AR-REQUIRED",
        "AR-YEAR",
        "AR-APPENDIX",
        "AR-QUANTITY",
        "AR-TERM-CODE",
        "AR-UNIT-CODE",
        "AR-PARTNER-CODE",
    ] {
        assert!(r.contains(&rule), "{rule} in {r:?}");
    }
    assert!(c
        .errors
        .iter()
        .any(|f| f.rule == "AR-REQUIRED" && f.column == "SpeciesName"));

    let odd_unit = Row {
        unit: "MTR".into(),
        ..build_row("LK", &line(), View::Exporter, Basis::Endorsed).unwrap()
    };
    let c = validate(1, &odd_unit, codes);
    assert!(c.errors.is_empty());
    assert_eq!(c.warnings[0].rule, "AR-TERM-UNIT");
}

#[test]
fn quantities_must_be_positive_decimals() {
    for ok in ["1", "0.2", "5.576", ".5"] {
        assert!(positive_decimal(ok), "{ok}");
    }
    for bad in ["0", "0.000", "-1", "1e3", "", ".", "1.2.3"] {
        assert!(!positive_decimal(bad), "{bad}");
    }
}

#[test]
fn secondary_checks_warn_of_unusual_purposes_terms_and_appendices() {
    let codes = Codes::embedded();
    let rules = |l: &Line| -> Vec<&'static str> {
        let row = build_row("LK", l, View::Exporter, Basis::Endorsed).unwrap();
        let c = validate(1, &row, codes);
        assert!(c.errors.is_empty(), "{:?}", c.errors);
        c.warnings.iter().map(|w| w.rule).collect()
    };
    assert!(rules(&line()).is_empty(), "{:?}", rules(&line()));
    // Live pythons for a hunting trophy purpose; timber of an animal.
    let trophy = Line {
        purpose: "H".into(),
        ..line()
    };
    assert!(
        rules(&trophy).contains(&"AR-TERM-PURPOSE"),
        "{:?}",
        rules(&trophy)
    );
    let timber = Line {
        term: "TIM".into(),
        unit: Some("CUM".into()),
        ..line()
    };
    assert!(
        rules(&timber).contains(&"AR-TAXON-TERM"),
        "{:?}",
        rules(&timber)
    );
    // Appendix II reported for 2025 while the catalogue has it in Appendix I since 2019.
    let since = time::Date::from_calendar_date(2019, time::Month::March, 1).unwrap();
    let wrong = Line {
        listed: Some(("I".into(), since)),
        ..line()
    };
    assert!(
        rules(&wrong).contains(&"AR-APPENDIX-YEAR"),
        "{:?}",
        rules(&wrong)
    );
    // A listing that started during the year may not have applied to the row: no warning.
    let recent = time::Date::from_calendar_date(2025, time::Month::June, 1).unwrap();
    let changed = Line {
        listed: Some(("I".into(), recent)),
        ..line()
    };
    assert!(!rules(&changed).contains(&"AR-APPENDIX-YEAR"));
}
