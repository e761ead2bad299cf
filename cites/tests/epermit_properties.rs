//! Fuzzing, by property, of the e-permit XML reader (another Party's software is on the
//! other side of it) and the round trip of the writer: arbitrary bytes, the EPIX v2 and v1
//! samples damaged (cut, spliced, a run doubled, bytes replaced, nesting added), and
//! arbitrary permits written and read back. The reader answers a permit or an error and never
//! panics; the undamaged samples read, so a reader that refused everything would fail here.
//!
//! Bounded for CI (256 cases each); a failing case is written to
//! `tests/epermit_properties.proptest-regressions`, to be committed with its fix.

use ecites_cites::epermit::*;
use ecites_events::cites::{Appendix, IsoDate, PurposeCode, Quantity, SourceCode};
use ecites_events::PartyCode;
use proptest::prelude::*;

fn sample(version: &str) -> Vec<u8> {
    let path = format!(
        "{}/../fixtures/epix/{version}/get_non_final_cites_certificate.xml",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[derive(Clone, Debug)]
enum Damage {
    Cut(usize),
    Splice(usize, Vec<u8>),
    Double(usize, usize),
    Replace(usize, u8),
    Remove(usize, usize),
    Nest(usize, usize),
}

fn damage() -> impl Strategy<Value = Damage> {
    let hostile = prop_oneof![
        proptest::collection::vec(any::<u8>(), 1..16),
        Just(b"<!DOCTYPE x [<!ENTITY e \"e\">]>".to_vec()),
        Just(b"&e;".to_vec()),
        Just(b"&#0;".to_vec()),
        Just(b"<![CDATA[".to_vec()),
        Just(b"</".to_vec()),
        Just(b"<urn1:ID>".to_vec()),
        Just(b"\xc3".to_vec()),
    ];
    prop_oneof![
        any::<usize>().prop_map(Damage::Cut),
        (any::<usize>(), hostile).prop_map(|(at, b)| Damage::Splice(at, b)),
        (any::<usize>(), 1usize..400).prop_map(|(at, n)| Damage::Double(at, n)),
        (any::<usize>(), any::<u8>()).prop_map(|(at, b)| Damage::Replace(at, b)),
        (any::<usize>(), 1usize..200).prop_map(|(at, n)| Damage::Remove(at, n)),
        (any::<usize>(), 1usize..80).prop_map(|(at, n)| Damage::Nest(at, n)),
    ]
}

fn apply(mut doc: Vec<u8>, d: &Damage) -> Vec<u8> {
    let len = doc.len().max(1);
    match d {
        Damage::Cut(at) => doc.truncate(at % len),
        Damage::Splice(at, bytes) => {
            let at = at % len;
            doc.splice(at..at, bytes.iter().copied());
        }
        Damage::Double(at, n) => {
            let at = at % len;
            let end = (at + n).min(doc.len());
            let run = doc[at..end].to_vec();
            doc.splice(at..at, run);
        }
        Damage::Replace(at, b) => {
            let at = at % len;
            if at < doc.len() {
                doc[at] = *b;
            }
        }
        Damage::Remove(at, n) => {
            let at = at % len;
            let end = (at + n).min(doc.len());
            doc.drain(at..end);
        }
        Damage::Nest(at, n) => {
            let at = at % len;
            let open = "<x>".repeat(*n);
            let close = "</x>".repeat(*n);
            doc.splice(at..at, format!("{open}{close}").into_bytes());
        }
    }
    doc
}

/// A trimmed, non-empty text with the characters that need escaping and some that French,
/// Spanish and Portuguese names carry.
fn text() -> impl Strategy<Value = String> {
    "[A-Za-z0-9ÉÎÑçœãü&<>\"'.,/()\\- ]{1,24}"
        .prop_map(|s| s.trim().to_string())
        .prop_filter("non-empty", |s| !s.is_empty())
}

fn maybe_text() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(text())
}

fn token() -> impl Strategy<Value = String> {
    "[A-Z0-9/\\-]{1,20}"
}

fn country() -> impl Strategy<Value = PartyCode> {
    "[A-Z]{2}".prop_map(|s| s.parse().expect("two letters"))
}

fn date() -> impl Strategy<Value = IsoDate> {
    (1950i32..2100, 1u8..=12, 1u8..=28).prop_map(|(y, m, d)| {
        let month = time::Month::try_from(m).expect("1..=12");
        IsoDate(time::Date::from_calendar_date(y, month, d).expect("a day of the month"))
    })
}

fn quantity() -> impl Strategy<Value = Quantity> {
    (0i64..10_000_000_000).prop_map(Quantity::from_thousandths)
}

fn unit() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(prop_oneof![
        Just("KIL".to_string()),
        Just("PCS".to_string()),
        Just("MTR".to_string()),
        Just("LTR".to_string()),
    ])
}

fn address() -> impl Strategy<Value = Address> {
    (
        proptest::collection::vec(text(), 0..3),
        maybe_text(),
        maybe_text(),
        maybe_text(),
        maybe_text(),
    )
        .prop_map(|(street, po_box, city, postcode, subdivision)| Address {
            street,
            po_box,
            city,
            postcode,
            subdivision,
        })
}

fn trader() -> impl Strategy<Value = Trader> {
    (
        prop_oneof![Just(String::new()), text()],
        address(),
        country(),
    )
        .prop_map(|(name, address, country)| Trader {
            name,
            address,
            country,
        })
}

fn reference() -> impl Strategy<Value = Option<DocumentRef>> {
    proptest::option::of(
        (
            country(),
            proptest::option::of(token()),
            proptest::option::of(date()),
        )
            .prop_map(|(country, number, date)| DocumentRef {
                country,
                number,
                date,
            }),
    )
}

fn quota() -> impl Strategy<Value = Option<QuotaFigures>> {
    proptest::option::of(
        (proptest::option::of(quantity()), quantity(), unit()).prop_map(
            |(used_to_date, annual, unit)| QuotaFigures {
                used_to_date,
                annual: Some(annual),
                unit,
            },
        ),
    )
}

fn line() -> impl Strategy<Value = EPermitLine> {
    let names = (
        text(),
        maybe_text(),
        maybe_text(),
        proptest::option::of("[A-Z]{3}"),
    );
    let codes = (
        proptest::collection::vec(text(), 0..3),
        proptest::option::of(prop_oneof![
            Just(Appendix::I),
            Just(Appendix::II),
            Just(Appendix::III)
        ]),
        proptest::option::of(proptest::sample::select(SourceCode::ALL.to_vec())),
    );
    let amounts = (
        quantity(),
        unit(),
        quota(),
        proptest::option::of(quantity()),
    );
    let references = (
        reference(),
        reference(),
        proptest::option::of(token()),
        proptest::option::of(date()),
    );
    (names, codes, amounts, references).prop_map(
        |(
            (scientific_name, common_name, description, term),
            (marks, appendix, source),
            (quantity, unit, quota, actual_quantity),
            (origin, last_reexport, registered_operation, acquisition_date),
        )| EPermitLine {
            id: String::new(),
            scientific_name,
            common_name,
            description,
            term,
            marks,
            appendix,
            source,
            quantity,
            unit,
            quota,
            origin,
            last_reexport,
            registered_operation,
            acquisition_date,
            actual_quantity,
        },
    )
}

fn endorsement() -> impl Strategy<Value = Option<Endorsement>> {
    proptest::option::of(
        (proptest::option::of(date()), maybe_text(), maybe_text())
            .prop_map(|(date, port, officer)| Endorsement {
                date,
                port,
                officer,
            })
            .prop_filter("says something", |e| *e != Endorsement::default()),
    )
}

fn permit() -> impl Strategy<Value = EPermit> {
    let head = (
        proptest::sample::select(EPermitType::ALL.to_vec()),
        maybe_text(),
        token(),
        any::<bool>(),
        proptest::option::of(prop_oneof![
            Just("EN".to_string()),
            Just("FR".to_string()),
            Just("es".to_string())
        ]),
        country(),
        date(),
        date(),
    );
    let parties = (
        trader(),
        trader(),
        proptest::collection::vec(text(), 0..3),
        proptest::option::of(proptest::sample::select(PurposeCode::ALL.to_vec())),
        proptest::option::of("[0-9]{1,9}"),
        (
            prop_oneof![Just(String::new()), text()],
            address(),
            maybe_text(),
        ),
    );
    let rest = (
        proptest::option::of(token()),
        maybe_text(),
        maybe_text(),
        maybe_text(),
        endorsement(),
        proptest::collection::vec(line(), 1..5),
    );
    (head, parties, rest).prop_map(
        |(
            (
                document_type,
                document_name,
                number,
                copy,
                language,
                issuing_party,
                issued_on,
                valid_until,
            ),
            (
                importer,
                exporter,
                special_conditions,
                purpose,
                security_stamp,
                (ma_name, ma_address, representative),
            ),
            (replaces, issued_by, issue_place, transport_document, endorsement, lines),
        )| EPermit {
            document_type,
            document_name,
            number,
            copy,
            language,
            issuing_party,
            issued_on,
            valid_until,
            importer,
            exporter,
            special_conditions,
            purpose,
            security_stamp,
            management_authority: ManagementAuthority {
                name: ma_name,
                address: ma_address,
                representative,
            },
            replaces,
            issued_by,
            issue_place,
            transport_document,
            endorsement,
            lines: lines
                .into_iter()
                .enumerate()
                .map(|(i, l)| EPermitLine {
                    id: (i + 1).to_string(),
                    ..l
                })
                .collect(),
        },
    )
}

#[test]
fn the_undamaged_samples_read() {
    assert!(from_xml(&sample("v2")).is_ok());
    assert!(from_xml(&sample("v1")).is_ok());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = from_xml(&bytes);
        let mut framed = b"<CITESEPermit>".to_vec();
        framed.extend_from_slice(&bytes);
        framed.extend_from_slice(b"</CITESEPermit>");
        let _ = from_xml(&framed);
    }

    #[test]
    fn damaged_samples_never_panic(
        v1 in any::<bool>(),
        damages in proptest::collection::vec(damage(), 1..4),
    ) {
        let mut doc = sample(if v1 { "v1" } else { "v2" });
        for d in &damages {
            doc = apply(doc, d);
        }
        let _ = from_xml(&doc);
    }

    #[test]
    fn written_permits_read_back_equal(p in permit()) {
        let xml = to_xml(&p);
        prop_assert_eq!(from_xml(xml.as_bytes()), Ok(p.clone()));
        prop_assert_eq!(to_xml(&p), xml);
        let soap = format!("<Body>{}</Body>", to_soap_element(&p));
        prop_assert_eq!(from_xml(soap.as_bytes()), Ok(p));
    }
}
