//! A foreign permit into an [`EPermit`]: v2 `CITESEPermit` or v1 `CBFShip`, standalone or
//! anywhere inside a SOAP envelope (EPIX answers with it in the body).
//!
//! Lenient where real documents are loose (empty elements are absent, prefixes are anyone's,
//! v1's element names are taken where v2's are missing), strict where a box would otherwise
//! be guessed: every refusal names the element and the rule.

use super::dom;
use super::fields::*;
use super::model::*;
use super::{LAST_REEXPORT_DOCUMENT_CODE, ORIGIN_DOCUMENT_CODE};
use ecites_events::cites::{Appendix, PurposeCode, SourceCode};
use ecites_events::PartyCode;
use std::collections::BTreeSet;

/// The bounds a foreign document is read within; past any of them it is refused unread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub max_bytes: usize,
    pub max_depth: usize,
    pub max_elements: usize,
    pub max_lines: usize,
}

impl Limits {
    /// 1 MiB (the EPIX sample is 44 KB with two lines), 64 levels (a permit in a SOAP
    /// answer nests 12 deep), 50,000 elements, 999 lines.
    pub const DEFAULT: Limits = Limits {
        max_bytes: 1 << 20,
        max_depth: 64,
        max_elements: 50_000,
        max_lines: 999,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Which version of the toolkit the document was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ToolkitVersion {
    /// 2010, root `CBFShip`.
    V1,
    /// 2013, root `CITESEPermit`.
    V2,
}

/// A permit read from another Party.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForeignPermit {
    pub toolkit: ToolkitVersion,
    pub permit: EPermit,
}

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum EPermitError {
    #[error("the document is {size} bytes, over the limit of {limit}")]
    TooLarge { size: usize, limit: usize },
    #[error("the document is not UTF-8 (from byte {position})")]
    NotUtf8 { position: u64 },
    #[error("the document declares encoding {0:?}: only UTF-8 is read")]
    Encoding(String),
    #[error("the document has a DOCTYPE: DTDs are refused, so no entity is ever declared")]
    Doctype,
    #[error("the entity &{0}; is not one of XML's five: entities are never expanded")]
    Entity(String),
    #[error("elements nest deeper than {0} levels")]
    TooDeep(usize),
    #[error("the document has more than {0} elements")]
    TooManyElements(usize),
    #[error("the permit has more than {0} lines")]
    TooManyLines(usize),
    #[error("malformed XML near byte {position}: {message}")]
    Malformed { position: u64, message: String },
    #[error("the document ends inside <{0}>")]
    Truncated(String),
    #[error("no CITESEPermit (v2) or CBFShip (v1) element in the document")]
    NoPermit,
    #[error("the answer is a SOAP fault: {0}")]
    Fault(String),
    #[error("{0} is not read (only toolkit v1 and v2)")]
    Unsupported(&'static str),
    #[error("{path} is missing: {rule}")]
    Missing { path: String, rule: &'static str },
    #[error("{path}: {value:?} is not {expected}")]
    Invalid {
        path: String,
        value: String,
        expected: &'static str,
    },
}

/// The permit in `input`, read within [`Limits::DEFAULT`].
pub fn from_xml(input: &[u8]) -> Result<EPermit, EPermitError> {
    read(input, &Limits::DEFAULT).map(|f| f.permit)
}

/// The permit in `input` and which toolkit it was written in.
pub fn read(input: &[u8], limits: &Limits) -> Result<ForeignPermit, EPermitError> {
    let doc = dom::parse(input, limits)?;
    let Some(root) = doc.find(&["CITESEPermit", "CBFShip", "CITESePermit"]) else {
        return Err(match doc.find(&["Fault"]) {
            Some(fault) => EPermitError::Fault(
                fault
                    .find(&["faultstring", "Text"])
                    .map_or("(no faultstring)", |f| f.text.trim())
                    .to_string(),
            ),
            None => EPermitError::NoPermit,
        });
    };
    let toolkit = match root.name.as_str() {
        "CBFShip" => ToolkitVersion::V1,
        "CITESEPermit" => ToolkitVersion::V2,
        _ => {
            return Err(EPermitError::Unsupported(
                "CITESePermit (toolkit v3, WCO view)",
            ))
        }
    };
    let at = At {
        el: root,
        path: root.name.clone(),
    };
    Ok(ForeignPermit {
        toolkit,
        permit: permit(&at, limits)?,
    })
}

fn trader(
    consignment: &At<'_>,
    name: &str,
    fallback_country: Option<PartyCode>,
    rule: &'static str,
) -> Result<Trader, EPermitError> {
    let Some(party) = consignment.child(name) else {
        return Err(missing(consignment.path_of(name), rule));
    };
    let country = match party_country(&party)? {
        Some(c) => c,
        None => fallback_country
            .ok_or_else(|| missing(party.path_of("PostalTradeAddress/CountryID"), rule))?,
    };
    Ok(Trader {
        name: party.string("Name").unwrap_or_default(),
        address: address(party.child("PostalTradeAddress").as_ref()),
        country,
    })
}

fn reference(
    item: &At<'_>,
    country_element: &str,
    document: Option<&At<'_>>,
    rule: &'static str,
) -> Result<Option<DocumentRef>, EPermitError> {
    let code = country(item.child(country_element).and_then(|c| c.leaf("ID")))?;
    let number = document.and_then(|d| d.string("ID"));
    let date = date(document.and_then(|d| d.leaf("IssueDateTime")))?;
    match code {
        Some(country) => Ok(Some(DocumentRef {
            country,
            number,
            date,
        })),
        None if number.is_none() && date.is_none() => Ok(None),
        None => Err(missing(
            item.path_of(&format!("{country_element}/ID")),
            rule,
        )),
    }
}

fn line(index: usize, item: &At<'_>) -> Result<EPermitLine, EPermitError> {
    let id = match item.leaf("ID") {
        Some(l) if l.text.chars().count() > 35 || l.text.chars().any(char::is_whitespace) => {
            return Err(invalid(&l, "a line ID of at most 35 characters, no spaces"));
        }
        Some(l) => l.text.to_string(),
        None => (index + 1).to_string(),
    };
    let trades = item.all("IncludedSupplyChainTradeLineItem");
    let trade = match trades.as_slice() {
        [] => {
            return Err(missing(
                item.path_of("IncludedSupplyChainTradeLineItem"),
                "boxes 7-10: the species of the line",
            ))
        }
        [one] => one,
        // Boxes 7-11 are one species per line; taking the first of two would drop the
        // second species from the comparison with an application, unseen.
        [_, second, ..] => {
            return Err(EPermitError::Invalid {
                path: second.path.clone(),
                value: format!("{} trade line items", trades.len()),
                expected: "one trade line item per consignment item",
            })
        }
    };
    let product = trade.child("SpecifiedTradeProduct");
    let scientific_name = product
        .as_ref()
        .and_then(|p| p.string("ScientificName"))
        .ok_or_else(|| {
            missing(
                trade.path_of("SpecifiedTradeProduct/ScientificName"),
                "box 7: the scientific name",
            )
        })?;
    let term = match product.as_ref().and_then(|p| p.leaf("TypeCode")) {
        Some(l) => Some(code(l.text).ok_or_else(|| invalid(&l, "a CITES term code"))?),
        None => None,
    };
    let appendix = match trade.leaf("TypeCode") {
        Some(l) => Some(Appendix::parse(l.text).ok_or_else(|| invalid(&l, "I, II or III"))?),
        None => None,
    };
    let source = match trade.leaf("TypeExtensionCode") {
        Some(l) => {
            Some(SourceCode::parse(l.text).ok_or_else(|| invalid(&l, "a CITES source code"))?)
        }
        None => None,
    };
    let packages = item.all("TransportLogisticsPackage");
    let Some(declared) = packages.iter().find_map(|p| p.leaf("ItemQuantity")) else {
        return Err(missing(
            item.path_of("TransportLogisticsPackage/ItemQuantity"),
            "box 11: the quantity",
        ));
    };
    let unit_of_line = unit(&declared.at)?;

    let procedure = item
        .child("ApplicableCrossBorderRegulatoryProcedure")
        .or_else(|| item.child("ApplicableCrossBorderGovernmentProcedure"));
    let mut quota = None;
    let mut registered_operation = None;
    let mut acquisition_date = None;
    if let Some(p) = &procedure {
        let used = p.leaf("UsedToDateQuotaQuantity");
        let annual = p.leaf("AnnualQuotaQuantity");
        if used.is_some() || annual.is_some() {
            let quota_unit = match annual.as_ref().or(used.as_ref()) {
                Some(l) => unit(&l.at)?,
                None => None,
            };
            quota = Some(QuotaFigures {
                used_to_date: used.as_ref().map(quantity).transpose()?,
                annual: annual.as_ref().map(quantity).transpose()?,
                unit: quota_unit,
            });
        }
        registered_operation = p
            .all("PreviousReferencedDocument")
            .iter()
            .find_map(|d| d.string("ID"));
        acquisition_date = date(p.leaf("AcquisitionDateTime"))?;
    }

    let documents = item.all("AssociatedReferencedDocument");
    let typed = |code: &str| {
        documents
            .iter()
            .find(|d| d.leaf("TypeCode").is_some_and(|t| t.text == code))
    };
    let origin = reference(
        item,
        "OriginTradeCountry",
        typed(ORIGIN_DOCUMENT_CODE),
        "box 12: the country of origin of the origin permit",
    )?;
    let last_reexport = reference(
        item,
        "ExportTradeCountry",
        typed(LAST_REEXPORT_DOCUMENT_CODE),
        "box 12a: the country of last re-export of the certificate",
    )?;

    let mut actual_quantity = None;
    for event in item.all("ExaminationTransportEvent") {
        let Some(l) = event
            .leaf("UnitQuantity")
            .or_else(|| event.leaf("InspectedUnitQuantity"))
        else {
            continue;
        };
        if let Some(u) = unit(&l.at)? {
            if Some(&u) != unit_of_line.as_ref() {
                return Err(invalid(&l, "a quantity in box 11's unit"));
            }
        }
        actual_quantity = Some(quantity(&l)?);
        break;
    }

    Ok(EPermitLine {
        id,
        scientific_name,
        common_name: product.as_ref().and_then(|p| p.string("CommonName")),
        description: product.as_ref().and_then(|p| p.string("Description")),
        term,
        marks: item
            .all("PhysicalLogisticsShippingMarks")
            .iter()
            .flat_map(|m| m.all("Marking"))
            .filter_map(|m| m.text().map(String::from))
            .collect(),
        appendix,
        source,
        quantity: quantity(&declared)?,
        unit: unit_of_line,
        quota,
        origin,
        last_reexport,
        registered_operation,
        acquisition_date,
        actual_quantity,
    })
}

fn language(root: &At<'_>) -> Option<String> {
    let value = root
        .child("SpecifiedExchangedDocumentContext")?
        .child("BusinessProcessSpecifiedDocumentContextParameter")?
        .child("Value")?;
    let id = value.el.attr("languageID")?.trim();
    ((2..=3).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphabetic()))
        .then(|| id.to_string())
}

fn permit(root: &At<'_>, limits: &Limits) -> Result<EPermit, EPermitError> {
    let header = root.child("HeaderExchangedDocument").ok_or_else(|| {
        missing(
            root.path_of("HeaderExchangedDocument"),
            "the document's header",
        )
    })?;
    let consignment = root
        .child("SpecifiedSupplyChainConsignment")
        .ok_or_else(|| {
            missing(
                root.path_of("SpecifiedSupplyChainConsignment"),
                "the consignment",
            )
        })?;

    let number = header
        .leaf("ID")
        .ok_or_else(|| missing(header.path_of("ID"), "box 1: the document number"))?;
    if number.text.chars().count() > 70 {
        return Err(invalid(
            &number,
            "a number of at most 70 characters (v2 an..70)",
        ));
    }
    let type_code = header
        .leaf("TypeCode")
        .ok_or_else(|| missing(header.path_of("TypeCode"), "box 1: the document type"))?;
    let document_type =
        EPermitType::parse(type_code.text).ok_or_else(|| invalid(&type_code, "E, R, I or O"))?;
    let period = header.child("EffectiveSpecifiedPeriod");
    let duplicate_periods: Vec<_> = header
        .all("ReferenceReferencedDocument")
        .into_iter()
        .filter_map(|r| r.child("EffectiveSpecifiedPeriod"))
        .collect();
    let issued_on = match date(header.leaf("IssueDateTime"))? {
        Some(d) => d,
        None => date(period.as_ref().and_then(|p| p.leaf("StartDateTime")))?
            .ok_or_else(|| missing(header.path_of("IssueDateTime"), "box 13: the date of issue"))?,
    };
    let until = period
        .as_ref()
        .and_then(|p| p.leaf("EndDateTime"))
        .or_else(|| duplicate_periods.iter().find_map(|p| p.leaf("EndDateTime")));
    let valid_until = date(until)?.ok_or_else(|| {
        missing(
            header.path_of("EffectiveSpecifiedPeriod/EndDateTime"),
            "box 2: the date the document is valid until",
        )
    })?;
    let copy = match header.leaf("CopyIndicator") {
        Some(l) => match l.text {
            "true" | "1" => true,
            "false" | "0" => false,
            _ => return Err(invalid(&l, "true or false")),
        },
        None => false,
    };
    let purpose = match header.leaf("PurposeCode") {
        Some(l) => {
            Some(PurposeCode::parse(l.text).ok_or_else(|| invalid(&l, "a CITES purpose code"))?)
        }
        None => None,
    };

    let first = header.child("FirstSignatoryDocumentAuthentication");
    let authority = first.as_ref().and_then(|f| f.child("ProviderTradeParty"));
    let authority_country = match &authority {
        Some(a) => party_country(a)?,
        None => None,
    };
    let management_authority = match &authority {
        Some(a) => ManagementAuthority {
            name: a.string("Name").unwrap_or_default(),
            address: address(a.child("PostalTradeAddress").as_ref()),
            representative: a
                .child("SpecifiedRepresentativePerson")
                .and_then(|p| p.string("Name")),
        },
        None => ManagementAuthority::default(),
    };
    let imported_to = country(
        consignment
            .child("ImportTradeCountry")
            .and_then(|c| c.leaf("ID")),
    )?;
    let exporter = trader(
        &consignment,
        "ConsignorTradeParty",
        None,
        "box 4: the exporter and country",
    )?;
    let importer = trader(
        &consignment,
        "ConsigneeTradeParty",
        imported_to,
        "box 3, 3a: the importer and country",
    )?;
    // Without box 6's country, the Party that issues a document is the one the specimens
    // leave from, or arrive in for an import permit.
    let issuing_party = authority_country.unwrap_or(match document_type {
        EPermitType::Import => importer.country,
        _ => exporter.country,
    });

    let fourth = header.child("FourthSignatoryDocumentAuthentication");
    let inspection = consignment.child("ExaminationTransportEvent");
    let endorsement = Endorsement {
        date: match date(
            inspection
                .as_ref()
                .and_then(|e| e.leaf("ActualOccurrenceDateTime")),
        )? {
            Some(d) => Some(d),
            None => date(fourth.as_ref().and_then(|f| f.leaf("ActualDateTime")))?,
        },
        port: inspection
            .as_ref()
            .and_then(|e| e.child("OccurrenceLogisticsLocation"))
            .and_then(|l| l.string("ID").or_else(|| l.string("Name"))),
        officer: inspection
            .as_ref()
            .and_then(|e| e.child("CertifyingTradeParty"))
            .and_then(|p| p.string("Name"))
            .or_else(|| {
                fourth
                    .as_ref()
                    .and_then(|f| f.child("ProviderTradeParty"))
                    .and_then(|p| p.string("Name"))
            }),
    };

    let items = consignment.all("IncludedSupplyChainConsignmentItem");
    if items.len() > limits.max_lines {
        return Err(EPermitError::TooManyLines(limits.max_lines));
    }
    if items.is_empty() {
        return Err(missing(
            consignment.path_of("IncludedSupplyChainConsignmentItem"),
            "at least one line",
        ));
    }
    let lines = items
        .iter()
        .enumerate()
        .map(|(i, item)| line(i, item))
        .collect::<Result<Vec<_>, _>>()?;
    let mut ids = BTreeSet::new();
    for (item, l) in items.iter().zip(&lines) {
        if !ids.insert(l.id.as_str()) {
            return Err(EPermitError::Invalid {
                path: item.path_of("ID"),
                value: l.id.clone(),
                expected: "a line ID of its own (ConfirmQuantities names lines by it)",
            });
        }
    }

    Ok(EPermit {
        document_type,
        document_name: header.string("Name"),
        number: number.text.to_string(),
        copy,
        language: language(root),
        issuing_party,
        issued_on,
        valid_until,
        importer,
        exporter,
        special_conditions: header
            .all("Information")
            .iter()
            .filter_map(|i| i.text().map(String::from))
            .collect(),
        purpose,
        security_stamp: first.as_ref().and_then(|f| f.string("ID")),
        management_authority,
        replaces: header
            .all("ReferenceReferencedDocument")
            .iter()
            .find_map(|r| r.string("ID")),
        issued_by: header
            .child("ThirdSignatoryDocumentAuthentication")
            .and_then(|t| t.child("ProviderTradeParty"))
            .and_then(|p| p.string("Name")),
        issue_place: header
            .child("IssueLogisticsLocation")
            .and_then(|l| l.string("Name")),
        transport_document: consignment
            .child("TransportContractReferencedDocument")
            .and_then(|d| d.string("ID")),
        endorsement: (endorsement != Endorsement::default()).then_some(endorsement),
        lines,
    })
}
