//! The ledger's permits as toolkit v2 XML, in the profile of reference §2.4: the XSD's element
//! order, the context parameter, the header with box 2 twice (EPIX reads the header's period,
//! the toolkit sample also a referenced document's), the first and third signatories always,
//! and no empty element, ever (the sample's `<ID schemeID="?"/>` leftovers confuse readers).
//!
//! Deterministic: the same permit gives the same bytes, so a projection rebuilt from the log
//! serves the same documents. Dates are written at midnight UTC, box 2's end at the last
//! second of its day; readers take the date as written.

use super::model::*;
use super::{LAST_REEXPORT_DOCUMENT_CODE, NS_RAM, NS_RSM_V2, ORIGIN_DOCUMENT_CODE};
use crate::reference::codes::CodeLists;
use ecites_events::cites::{IsoDate, Quantity};
use ecites_events::PartyCode;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::OnceLock;

/// The standalone document (a download, an attachment): `<rsm:CITESEPermit>` with its
/// namespaces, after an XML declaration.
pub fn to_xml(permit: &EPermit) -> String {
    let mut x = Xml::default();
    x.out
        .push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    write_permit(&mut x, permit, "rsm:CITESEPermit");
    x.out
}

/// The element EPIX expects in a `GetNonFinalCitesCertificateResponse`: an unqualified
/// `<CITESEPermit>` (reference §2.1) whose children are `rsm:`-qualified, the prefixes
/// declared on it so that it stands in any envelope.
pub fn to_soap_element(permit: &EPermit) -> String {
    let mut x = Xml::default();
    write_permit(&mut x, permit, "CITESEPermit");
    x.out
}

/// English names of the shipped country list, for the `Name` beside a code that EPIX shows.
fn country_name(code: PartyCode) -> Option<&'static str> {
    static NAMES: OnceLock<HashMap<String, String>> = OnceLock::new();
    NAMES
        .get_or_init(|| {
            CodeLists::embedded()
                .map(|lists| {
                    lists
                        .countries()
                        .filter(|c| !c.former_code && !c.non_iso)
                        .map(|c| (c.code.clone(), c.name.clone()))
                        .collect()
                })
                .unwrap_or_default()
        })
        .get(code.as_str())
        .map(String::as_str)
}

/// XML 1.0 cannot carry these at all, not even as references: dropped rather than written
/// into a document no reader accepts.
fn writable(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}')
        || c >= '\u{10000}'
}

fn escape_into(out: &mut String, text: &str, attribute: bool) {
    for c in text.chars().filter(|&c| writable(c)) {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            // A reader normalises a raw CR (and, in attributes, tabs and line feeds) away.
            '\r' => out.push_str("&#13;"),
            '"' if attribute => out.push_str("&quot;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\t' if attribute => out.push_str("&#9;"),
            c => out.push(c),
        }
    }
}

#[derive(Default)]
struct Xml {
    out: String,
    depth: usize,
}

impl Xml {
    fn start_tag(&mut self, name: &str, attrs: &[(&str, &str)]) {
        for _ in 0..self.depth {
            self.out.push_str("  ");
        }
        self.out.push('<');
        self.out.push_str(name);
        for (k, v) in attrs {
            let _ = write!(self.out, " {k}=\"");
            escape_into(&mut self.out, v, true);
            self.out.push('"');
        }
        self.out.push('>');
    }

    fn open(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.start_tag(name, attrs);
        self.out.push('\n');
        self.depth += 1;
    }

    fn close(&mut self, name: &str) {
        self.depth = self.depth.saturating_sub(1);
        for _ in 0..self.depth {
            self.out.push_str("  ");
        }
        let _ = writeln!(self.out, "</{name}>");
    }

    /// A text element, or nothing when there is no text.
    fn leaf(&mut self, name: &str, attrs: &[(&str, &str)], text: &str) {
        let text = text.trim();
        if text.is_empty() {
            return;
        }
        self.start_tag(name, attrs);
        escape_into(&mut self.out, text, false);
        let _ = writeln!(self.out, "</{name}>");
    }

    fn opt(&mut self, name: &str, attrs: &[(&str, &str)], text: Option<&str>) {
        if let Some(t) = text {
            self.leaf(name, attrs, t);
        }
    }
}

fn has_text(t: &Option<String>) -> bool {
    t.as_deref().is_some_and(|t| !t.trim().is_empty())
}

fn start_of(d: IsoDate) -> String {
    format!("{d}T00:00:00Z")
}

fn end_of(d: IsoDate) -> String {
    format!("{d}T23:59:59Z")
}

/// `languageID`, when the permit says its language.
fn lang(p: &EPermit) -> Vec<(&'static str, &str)> {
    p.language
        .as_deref()
        .filter(|l| !l.is_empty())
        .map(|l| vec![("languageID", l)])
        .unwrap_or_default()
}

fn unit_attr(unit: &Option<String>) -> Vec<(&'static str, &str)> {
    unit.as_deref()
        .filter(|u| !u.is_empty())
        .map(|u| vec![("unitCode", u)])
        .unwrap_or_default()
}

const DOC_CODE_LIST: [(&str, &str); 2] = [("listID", "1001"), ("listAgencyID", "6")];

fn write_address(x: &mut Xml, p: &EPermit, a: &Address, country: PartyCode) {
    let l = lang(p);
    x.open("ram:PostalTradeAddress", &[]);
    x.opt("ram:PostcodeCode", &[], a.postcode.as_deref());
    x.opt("ram:PostOfficeBox", &l, a.po_box.as_deref());
    for s in &a.street {
        x.leaf("ram:StreetName", &l, s);
    }
    x.opt("ram:CityName", &l, a.city.as_deref());
    x.leaf("ram:CountryID", &[], country.as_str());
    x.opt(
        "ram:CountryName",
        &[("languageID", "EN")],
        country_name(country),
    );
    x.opt("ram:CountrySubDivisionName", &l, a.subdivision.as_deref());
    x.close("ram:PostalTradeAddress");
}

fn write_trader(x: &mut Xml, p: &EPermit, element: &str, t: &Trader) {
    x.open(element, &[]);
    x.leaf("ram:Name", &lang(p), &t.name);
    write_address(x, p, &t.address, t.country);
    x.close(element);
}

fn write_context(x: &mut Xml, p: &EPermit) {
    x.open("rsm:SpecifiedExchangedDocumentContext", &[]);
    x.open("ram:BusinessProcessSpecifiedDocumentContextParameter", &[]);
    x.leaf("ram:ID", &[], "1");
    x.leaf("ram:Value", &lang(p), "CITES PERMITTING");
    x.open("ram:SpecifiedDocumentVersion", &[]);
    x.leaf("ram:ID", &[], "1");
    x.close("ram:SpecifiedDocumentVersion");
    x.close("ram:BusinessProcessSpecifiedDocumentContextParameter");
    x.close("rsm:SpecifiedExchangedDocumentContext");
}

fn write_period(x: &mut Xml, p: &EPermit) {
    x.open("ram:EffectiveSpecifiedPeriod", &[]);
    x.leaf("ram:StartDateTime", &[], &start_of(p.issued_on));
    x.leaf("ram:EndDateTime", &[], &end_of(p.valid_until));
    x.close("ram:EffectiveSpecifiedPeriod");
}

fn write_header(x: &mut Xml, p: &EPermit) {
    let l = lang(p);
    let type_code = p.document_type.code();
    x.open("rsm:HeaderExchangedDocument", &[]);
    x.leaf("ram:ID", &[], &p.number);
    x.opt("ram:Name", &l, p.document_name.as_deref());
    x.leaf("ram:TypeCode", &DOC_CODE_LIST, type_code);
    x.leaf("ram:IssueDateTime", &[], &start_of(p.issued_on));
    x.leaf(
        "ram:CopyIndicator",
        &[],
        if p.copy { "true" } else { "false" },
    );
    x.opt("ram:PurposeCode", &[], p.purpose.map(|c| c.code()));
    for info in &p.special_conditions {
        x.leaf("ram:Information", &l, info);
    }
    x.open("ram:ReferenceReferencedDocument", &[]);
    write_period(x, p);
    x.close("ram:ReferenceReferencedDocument");
    if has_text(&p.replaces) {
        x.open("ram:ReferenceReferencedDocument", &[]);
        x.opt("ram:ID", &[], p.replaces.as_deref());
        x.close("ram:ReferenceReferencedDocument");
    }
    write_period(x, p);
    if has_text(&p.issue_place) {
        x.open("ram:IssueLogisticsLocation", &[]);
        x.opt("ram:Name", &l, p.issue_place.as_deref());
        x.close("ram:IssueLogisticsLocation");
    }

    let ma = &p.management_authority;
    x.open("ram:FirstSignatoryDocumentAuthentication", &[]);
    x.leaf("ram:TypeCode", &[], "A");
    x.opt("ram:ID", &[], p.security_stamp.as_deref());
    x.open("ram:ProviderTradeParty", &[]);
    x.leaf("ram:Name", &l, &ma.name);
    write_address(x, p, &ma.address, p.issuing_party);
    if has_text(&ma.representative) {
        x.open("ram:SpecifiedRepresentativePerson", &[]);
        x.opt("ram:Name", &l, ma.representative.as_deref());
        x.close("ram:SpecifiedRepresentativePerson");
    }
    x.close("ram:ProviderTradeParty");
    x.close("ram:FirstSignatoryDocumentAuthentication");

    x.open("ram:ThirdSignatoryDocumentAuthentication", &[]);
    x.leaf("ram:TypeCode", &[], "C");
    if has_text(&p.issued_by) {
        x.open("ram:ProviderTradeParty", &[]);
        x.opt("ram:Name", &l, p.issued_by.as_deref());
        x.close("ram:ProviderTradeParty");
    }
    x.close("ram:ThirdSignatoryDocumentAuthentication");

    if let Some(e) = &p.endorsement {
        if e.date.is_some() || has_text(&e.officer) {
            x.open("ram:FourthSignatoryDocumentAuthentication", &[]);
            x.leaf("ram:TypeCode", &[], "D");
            x.opt("ram:ActualDateTime", &[], e.date.map(start_of).as_deref());
            if has_text(&e.officer) {
                x.open("ram:ProviderTradeParty", &[]);
                x.opt("ram:Name", &l, e.officer.as_deref());
                x.close("ram:ProviderTradeParty");
            }
            x.close("ram:FourthSignatoryDocumentAuthentication");
        }
    }
    x.close("rsm:HeaderExchangedDocument");
}

fn write_inspection(x: &mut Xml, p: &EPermit, e: &Endorsement) {
    if e.date.is_none() && !has_text(&e.port) && !has_text(&e.officer) {
        return;
    }
    x.open("ram:ExaminationTransportEvent", &[]);
    x.opt(
        "ram:ActualOccurrenceDateTime",
        &[],
        e.date.map(start_of).as_deref(),
    );
    if has_text(&e.port) {
        x.open("ram:OccurrenceLogisticsLocation", &[]);
        x.opt("ram:ID", &[], e.port.as_deref());
        x.close("ram:OccurrenceLogisticsLocation");
    }
    if has_text(&e.officer) {
        x.open("ram:CertifyingTradeParty", &[]);
        x.opt("ram:Name", &lang(p), e.officer.as_deref());
        x.close("ram:CertifyingTradeParty");
    }
    x.close("ram:ExaminationTransportEvent");
}

fn write_trade_country(x: &mut Xml, element: &str, country: PartyCode) {
    x.open(element, &[]);
    x.leaf("ram:ID", &[], country.as_str());
    x.opt("ram:Name", &[("languageID", "EN")], country_name(country));
    x.close(element);
}

fn write_reference(x: &mut Xml, code: &str, r: &DocumentRef) {
    if r.date.is_none() && !has_text(&r.number) {
        return;
    }
    x.open("ram:AssociatedReferencedDocument", &[]);
    x.opt("ram:IssueDateTime", &[], r.date.map(start_of).as_deref());
    x.leaf("ram:TypeCode", &DOC_CODE_LIST, code);
    x.opt("ram:ID", &[], r.number.as_deref());
    x.close("ram:AssociatedReferencedDocument");
}

fn quantity_text(q: Quantity) -> String {
    q.to_string()
}

fn write_line(x: &mut Xml, line: &EPermitLine) {
    x.open("ram:IncludedSupplyChainConsignmentItem", &[]);
    x.leaf("ram:ID", &[], &line.id);
    if line.marks.iter().any(|m| !m.trim().is_empty()) {
        x.open("ram:PhysicalLogisticsShippingMarks", &[]);
        for m in &line.marks {
            x.leaf("ram:Marking", &[], m);
        }
        x.close("ram:PhysicalLogisticsShippingMarks");
    }
    if let Some(o) = &line.origin {
        write_trade_country(x, "ram:OriginTradeCountry", o.country);
    }
    if let Some(r) = &line.last_reexport {
        write_trade_country(x, "ram:ExportTradeCountry", r.country);
    }
    if let Some(o) = &line.origin {
        write_reference(x, ORIGIN_DOCUMENT_CODE, o);
    }
    if let Some(r) = &line.last_reexport {
        write_reference(x, LAST_REEXPORT_DOCUMENT_CODE, r);
    }
    let unit = unit_attr(&line.unit);
    x.open("ram:TransportLogisticsPackage", &[]);
    x.leaf("ram:ItemQuantity", &unit, &quantity_text(line.quantity));
    x.close("ram:TransportLogisticsPackage");

    x.open("ram:IncludedSupplyChainTradeLineItem", &[]);
    x.opt(
        "ram:TypeCode",
        &[],
        line.appendix.map(|a| a.to_string()).as_deref(),
    );
    x.opt("ram:TypeExtensionCode", &[], line.source.map(|s| s.code()));
    x.open("ram:SpecifiedTradeProduct", &[]);
    x.opt("ram:Description", &[], line.description.as_deref());
    x.opt("ram:TypeCode", &[], line.term.as_deref());
    x.opt("ram:CommonName", &[], line.common_name.as_deref());
    x.leaf("ram:ScientificName", &[], &line.scientific_name);
    x.close("ram:SpecifiedTradeProduct");
    x.close("ram:IncludedSupplyChainTradeLineItem");

    if let Some(actual) = line.actual_quantity {
        x.open("ram:ExaminationTransportEvent", &[]);
        x.leaf("ram:UnitQuantity", &unit, &quantity_text(actual));
        x.close("ram:ExaminationTransportEvent");
    }

    let quota = line
        .quota
        .as_ref()
        .filter(|q| q.used_to_date.is_some() || q.annual.is_some());
    if quota.is_some() || line.acquisition_date.is_some() || has_text(&line.registered_operation) {
        x.open("ram:ApplicableCrossBorderRegulatoryProcedure", &[]);
        if let Some(q) = quota {
            let quota_unit = unit_attr(&q.unit);
            if let Some(used) = q.used_to_date {
                x.leaf(
                    "ram:UsedToDateQuotaQuantity",
                    &quota_unit,
                    &quantity_text(used),
                );
            }
            if let Some(annual) = q.annual {
                x.leaf(
                    "ram:AnnualQuotaQuantity",
                    &quota_unit,
                    &quantity_text(annual),
                );
            }
        }
        x.opt(
            "ram:AcquisitionDateTime",
            &[],
            line.acquisition_date.map(start_of).as_deref(),
        );
        if has_text(&line.registered_operation) {
            x.open("ram:PreviousReferencedDocument", &[]);
            x.opt("ram:ID", &[], line.registered_operation.as_deref());
            x.close("ram:PreviousReferencedDocument");
        }
        x.close("ram:ApplicableCrossBorderRegulatoryProcedure");
    }
    x.close("ram:IncludedSupplyChainConsignmentItem");
}

fn write_permit(x: &mut Xml, p: &EPermit, root: &str) {
    x.open(root, &[("xmlns:rsm", NS_RSM_V2), ("xmlns:ram", NS_RAM)]);
    write_context(x, p);
    write_header(x, p);
    x.open("rsm:SpecifiedSupplyChainConsignment", &[]);
    write_trader(x, p, "ram:ConsignorTradeParty", &p.exporter);
    write_trader(x, p, "ram:ConsigneeTradeParty", &p.importer);
    if has_text(&p.transport_document) {
        x.open("ram:TransportContractReferencedDocument", &[]);
        x.opt("ram:ID", &[], p.transport_document.as_deref());
        x.close("ram:TransportContractReferencedDocument");
    }
    if let Some(e) = &p.endorsement {
        write_inspection(x, p, e);
    }
    for line in &p.lines {
        write_line(x, line);
    }
    x.close("rsm:SpecifiedSupplyChainConsignment");
    x.close(root);
}
