//! The reader's refusals: broken boxes named with their rule, DTDs and entities, the limits,
//! truncated and garbage documents.

use super::tests::{day, fixture, party, q};
use super::*;

fn permit_with(header_extra: &str, item: &str) -> String {
    format!(
        "<CITESEPermit><HeaderExchangedDocument><ID>X1</ID><TypeCode>E</TypeCode>\
         <IssueDateTime>2026-01-02</IssueDateTime>{header_extra}\
         <EffectiveSpecifiedPeriod><EndDateTime>2026-07-01Z</EndDateTime></EffectiveSpecifiedPeriod>\
         </HeaderExchangedDocument><SpecifiedSupplyChainConsignment>\
         <ConsignorTradeParty><PostalTradeAddress><CountryID>LK</CountryID></PostalTradeAddress></ConsignorTradeParty>\
         <ConsigneeTradeParty><PostalTradeAddress><CountryID>fr</CountryID></PostalTradeAddress></ConsigneeTradeParty>\
         {item}</SpecifiedSupplyChainConsignment></CITESEPermit>"
    )
}

const ITEM: &str = "<IncludedSupplyChainConsignmentItem><ID>1</ID>\
    <TransportLogisticsPackage><ItemQuantity unitCode=\"KGM\">2.5000</ItemQuantity></TransportLogisticsPackage>\
    <IncludedSupplyChainTradeLineItem><SpecifiedTradeProduct><ScientificName>Aloe ferox</ScientificName>\
    </SpecifiedTradeProduct></IncludedSupplyChainTradeLineItem></IncludedSupplyChainConsignmentItem>";

#[test]
fn a_minimal_foreign_permit_reads_with_its_defaults() {
    let p = from_xml(permit_with("", ITEM).as_bytes()).expect("reads");
    assert_eq!(
        p.issuing_party,
        party("LK"),
        "from the exporter without box 6"
    );
    assert_eq!(p.importer.country, party("FR"));
    assert_eq!(p.issued_on, day("2026-01-02"));
    assert_eq!(p.valid_until, day("2026-07-01"));
    assert_eq!(p.lines[0].unit.as_deref(), Some("KIL"), "Rec 20 KGM is KIL");
    assert_eq!(p.lines[0].quantity, q("2.5"));
}

#[test]
fn dates_are_read_as_written_in_every_form() {
    for (text, expected) in [
        ("2014-01-06T12:03:52.00+01:00", "2014-01-06"),
        ("2007-07-09T00:00:00.000+02:00", "2007-07-09"),
        ("2014-01-06T23:30:00-05:00", "2014-01-06"),
        ("2014-01-06T12:03:52Z", "2014-01-06"),
        ("2014-01-06T12:03:52", "2014-01-06"),
        ("2014-01-06", "2014-01-06"),
        ("2014-01-06+01:00", "2014-01-06"),
        ("20140106", "2014-01-06"),
    ] {
        let xml = permit_with("", ITEM).replace("2026-01-02", text);
        let p = from_xml(xml.as_bytes()).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(p.issued_on, day(expected), "{text}");
    }
    for bad in [
        "2014-13-01",
        "06/01/2014",
        "2014-01-06T25:00:00Z",
        "2014-01-06T12:00Z",
        "2014-01-06X",
    ] {
        let xml = permit_with("", ITEM).replace("2026-01-02", bad);
        assert!(
            matches!(from_xml(xml.as_bytes()), Err(EPermitError::Invalid { ref path, .. }) if path.ends_with("HeaderExchangedDocument/IssueDateTime")),
            "{bad}"
        );
    }
}

fn refusal(xml: &str) -> EPermitError {
    from_xml(xml.as_bytes()).expect_err("refused")
}

#[test]
fn broken_boxes_are_named_with_their_rule() {
    let no_number = permit_with("", ITEM).replace("<ID>X1</ID>", "<ID> </ID>");
    assert_eq!(
        refusal(&no_number),
        EPermitError::Missing {
            path: "CITESEPermit/HeaderExchangedDocument/ID".into(),
            rule: "box 1: the document number"
        }
    );
    let bad_type =
        permit_with("", ITEM).replace("<TypeCode>E</TypeCode>", "<TypeCode>X</TypeCode>");
    assert!(matches!(
        refusal(&bad_type),
        EPermitError::Invalid {
            expected: "E, R, I or O",
            ..
        }
    ));
    let bad_quantity = permit_with("", &ITEM.replace("2.5000", "ten"));
    assert!(matches!(
        refusal(&bad_quantity),
        EPermitError::Invalid { ref path, .. } if path == "CITESEPermit/SpecifiedSupplyChainConsignment/IncludedSupplyChainConsignmentItem[1]/TransportLogisticsPackage[1]/ItemQuantity"
    ));
    let negative = permit_with("", &ITEM.replace("2.5000", "-1"));
    assert!(matches!(refusal(&negative), EPermitError::Invalid { .. }));
    let bad_purpose = permit_with("<PurposeCode>K</PurposeCode>", ITEM);
    assert!(matches!(
        refusal(&bad_purpose),
        EPermitError::Invalid {
            expected: "a CITES purpose code",
            ..
        }
    ));
    let twice = permit_with("", &format!("{ITEM}{ITEM}"));
    assert!(matches!(refusal(&twice), EPermitError::Invalid { ref value, .. } if value == "1"));
    let two_species = permit_with(
        "",
        &ITEM.replace(
            "</IncludedSupplyChainTradeLineItem>",
            "</IncludedSupplyChainTradeLineItem><IncludedSupplyChainTradeLineItem/>",
        ),
    );
    assert!(matches!(
        refusal(&two_species),
        EPermitError::Invalid {
            expected: "one trade line item per consignment item",
            ..
        }
    ));
    let no_lines = permit_with("", "");
    assert!(matches!(
        refusal(&no_lines),
        EPermitError::Missing {
            rule: "at least one line",
            ..
        }
    ));
    let origin_without_country = permit_with(
        "",
        &ITEM.replace(
            "<TransportLogisticsPackage>",
            "<AssociatedReferencedDocument><TypeCode>861</TypeCode><ID>TH1</ID></AssociatedReferencedDocument><TransportLogisticsPackage>",
        ),
    );
    assert!(
        matches!(refusal(&origin_without_country), EPermitError::Missing { ref path, .. } if path.ends_with("OriginTradeCountry/ID"))
    );
    let other_unit = permit_with(
        "",
        &ITEM.replace(
            "</IncludedSupplyChainTradeLineItem>",
            "</IncludedSupplyChainTradeLineItem><ExaminationTransportEvent><UnitQuantity unitCode=\"GRM\">2</UnitQuantity></ExaminationTransportEvent>",
        ),
    );
    assert!(matches!(
        refusal(&other_unit),
        EPermitError::Invalid {
            expected: "a quantity in box 11's unit",
            ..
        }
    ));
    let no_consignee = permit_with("", ITEM).replace("ConsigneeTradeParty", "Other");
    assert!(matches!(
        refusal(&no_consignee),
        EPermitError::Missing {
            rule: "box 3, 3a: the importer and country",
            ..
        }
    ));
}

#[test]
fn a_dtd_is_refused_before_any_entity_is_seen() {
    let laughs = "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">\
        <!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">]>\
        <CITESEPermit>&lol2;</CITESEPermit>";
    assert_eq!(refusal(laughs), EPermitError::Doctype);
    let xxe = "<!DOCTYPE x [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]><CITESEPermit>&xxe;</CITESEPermit>";
    assert_eq!(refusal(xxe), EPermitError::Doctype);
    let public = "<!DOCTYPE CITESEPermit PUBLIC \"-//x//y\" \"http://example.invalid/a.dtd\"><CITESEPermit/>";
    assert_eq!(refusal(public), EPermitError::Doctype);
}

#[test]
fn an_undeclared_entity_is_refused_in_text_and_attributes() {
    let in_text = permit_with("<Information>&xxe;</Information>", ITEM);
    assert_eq!(refusal(&in_text), EPermitError::Entity("xxe".into()));
    let in_attr = permit_with("<Information languageID=\"&xxe;\">x</Information>", ITEM);
    assert_eq!(refusal(&in_attr), EPermitError::Entity("xxe".into()));
    let predefined = permit_with("<Information>a &amp; b &#233;&#x153;</Information>", ITEM);
    let p = from_xml(predefined.as_bytes()).expect("XML's own entities and character references");
    assert_eq!(p.special_conditions, vec!["a & b éœ".to_string()]);
}

#[test]
fn limits_are_enforced() {
    let huge = format!(
        "<CITESEPermit>{}</CITESEPermit>",
        " ".repeat(Limits::DEFAULT.max_bytes)
    );
    assert!(matches!(refusal(&huge), EPermitError::TooLarge { .. }));
    let deep = format!("{}{}", "<a>".repeat(65), "</a>".repeat(65));
    assert_eq!(refusal(&deep), EPermitError::TooDeep(64));
    let ok_depth = format!("{}{}", "<a>".repeat(64), "</a>".repeat(64));
    assert_eq!(refusal(&ok_depth), EPermitError::NoPermit);
    let many = format!("<r>{}</r>", "<a/>".repeat(50_001));
    assert_eq!(refusal(&many), EPermitError::TooManyElements(50_000));
    let sample = fixture("v2/get_non_final_cites_certificate.xml");
    let one_line = Limits {
        max_lines: 1,
        ..Limits::DEFAULT
    };
    assert_eq!(read(&sample, &one_line), Err(EPermitError::TooManyLines(1)));
    let few = Limits {
        max_elements: 100,
        ..Limits::DEFAULT
    };
    assert_eq!(read(&sample, &few), Err(EPermitError::TooManyElements(100)));
}

#[test]
fn truncated_garbage_and_foreign_documents_are_errors() {
    let sample = fixture("v2/get_non_final_cites_certificate.xml");
    for cut in [1, 100, sample.len() / 2, sample.len() - 30] {
        assert!(from_xml(&sample[..cut]).is_err(), "cut at {cut}");
    }
    assert!(matches!(
        from_xml(&sample[..sample.len() / 2]),
        Err(EPermitError::Truncated(_))
    ));
    for garbage in [
        &b""[..],
        b"   ",
        b"not xml at all",
        b"<",
        b"<a><b></a></b>",
        b"<a></a><b></b>",
        b"<a>text</a> trailing",
        b"<a x='1' x='2'/>",
        b"<a>&#1;</a>",
        b"<a>\x01</a>",
        b"<a>&#xD800;</a>",
        b"\xff\xfe<\x00a\x00/\x00>\x00",
        b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a/>",
    ] {
        assert!(
            from_xml(garbage).is_err(),
            "{:?}",
            String::from_utf8_lossy(garbage)
        );
    }
    assert!(matches!(
        from_xml(b"\xc3\x28"),
        Err(EPermitError::NotUtf8 { position: 0 })
    ));
    assert_eq!(
        refusal("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a/>"),
        EPermitError::Encoding("iso-8859-1".into())
    );
    assert_eq!(
        refusal("<CITESePermit><ID>1</ID></CITESePermit>"),
        EPermitError::Unsupported("CITESePermit (toolkit v3, WCO view)")
    );
    let fault = "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body><s:Fault>\
        <faultcode>s:Client</faultcode><faultstring>CertificateNotFound</faultstring></s:Fault></s:Body></s:Envelope>";
    assert_eq!(
        refusal(fault),
        EPermitError::Fault("CertificateNotFound".into())
    );
}
