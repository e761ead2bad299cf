//! Data validity (always refuse, naming the field): the application form as typed by a trader,
//! turned into a checked [`ApplicationContent`] with each species resolved and its listing seen.

use super::{line_field, population, Finding};
use crate::domain::codes::{Appendix, DocumentType, PurposeCode, SourceCode};
use crate::domain::context::DecisionContext;
use crate::domain::rules::catalogue;
use crate::domain::rules::Rule;
use ecites_events::cites::{IsoDate, Quantity, QuantityError};
use ecites_events::payloads::permit::{
    ApplicationContent, DocumentReference, ListingSeen, PermitLine,
};
use ecites_events::PartyCode;
use schemars::JsonSchema;
use serde::Deserialize;

/// A document reference as typed.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReferenceForm {
    pub country: String,
    pub number: String,
    pub date: Option<String>,
}

/// One species line as typed.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LineForm {
    /// Scientific name (accepted name or synonym).
    pub species: String,
    pub source: String,
    pub purpose: String,
    pub term: String,
    /// A decimal number, as a JSON number or string.
    pub quantity: serde_json::Value,
    pub unit: Option<String>,
    pub description: Option<String>,
    pub marks: Option<String>,
    pub origin: Option<ReferenceForm>,
    pub last_reexport: Option<ReferenceForm>,
    pub import_permit: Option<ReferenceForm>,
    /// On an import permit: the exporter's export permit or re-export certificate, when the
    /// import relies on one that exists already (country, number, date).
    pub export_permit: Option<ReferenceForm>,
    /// On a re-export certificate: the line of the Party's own import permit the specimens
    /// came in on.
    pub reexport_from: Option<ecites_events::payloads::permit::ImportLineRef>,
    pub registered_operation: Option<String>,
    pub acquisition_date: Option<String>,
    pub seizure_reference: Option<String>,
    pub source_justification: Option<String>,
}

/// An application as typed by the trader.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicationForm {
    /// `export_permit`, `re_export_certificate`, `import_permit`, `certificate_of_origin`,
    /// `pre_convention_certificate`, `captive_breeding_certificate`, `introduction_from_the_sea`.
    pub document_type: String,
    /// Defaults to the issuing Party for exports and re-exports.
    pub exporting_country: Option<String>,
    /// Defaults to the issuing Party for imports.
    pub importing_country: Option<String>,
    pub lines: Vec<LineForm>,
    #[serde(default)]
    pub express: bool,
    pub requested_validity_months: Option<u8>,
    /// SHA-256 (hex) of supporting documents already uploaded.
    #[serde(default)]
    pub supporting_documents: Vec<String>,
    /// The issued permit this application replaces, and why.
    pub replaces: Option<ReplacesForm>,
    /// When the consignment already left the exporting country, the date it left
    /// (YYYY-MM-DD, not in the future): the permit would be retrospective
    /// (PERMIT-NO-RETROSPECTIVE).
    pub consignment_departed_on: Option<String>,
}

/// A replacement request as typed.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplacesForm {
    pub permit_id: uuid::Uuid,
    pub reason: String,
}

struct Checker<'c> {
    findings: Vec<Finding>,
    ctx: &'c DecisionContext<'c>,
}

impl Checker<'_> {
    fn refuse(&mut self, rule: Rule, field: String, message: String) {
        self.findings.push(rule.refuse(message).at(field));
    }

    fn country(&mut self, field: String, code: &str) -> Option<PartyCode> {
        match code.parse::<PartyCode>() {
            Ok(p) if self.ctx.reference.is_country(p.as_str()) => Some(p),
            _ => {
                self.refuse(
                    catalogue::DATA_COUNTRY,
                    field,
                    format!("{code:?} is not a country code of the ISO 3166 list used by CITES"),
                );
                None
            }
        }
    }

    fn date(&mut self, field: String, text: &str, past: bool) -> Option<IsoDate> {
        match IsoDate::parse(text) {
            Ok(d) if past && d > self.ctx.today => {
                self.refuse(
                    catalogue::DATA_DATE,
                    field,
                    format!("{text} is in the future"),
                );
                None
            }
            Ok(d) => Some(d),
            Err(_) => {
                self.refuse(
                    catalogue::DATA_DATE,
                    field,
                    format!("{text:?} is not an ISO 8601 date (YYYY-MM-DD)"),
                );
                None
            }
        }
    }

    fn reference(&mut self, field: String, r: &Option<ReferenceForm>) -> Option<DocumentReference> {
        let r = r.as_ref()?;
        let country = self.country(format!("{field}.country"), &r.country)?;
        let date = match &r.date {
            Some(d) => Some(self.date(format!("{field}.date"), d, true)?),
            None => None,
        };
        Some(DocumentReference {
            country,
            number: r.number.trim().to_string(),
            date,
        })
    }

    fn quantity(&mut self, field: String, v: &serde_json::Value) -> Option<Quantity> {
        let text = match v {
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        match Quantity::parse(&text) {
            Ok(q) if q.is_positive() => Some(q),
            Ok(_) => {
                self.refuse(
                    catalogue::DATA_QUANTITY,
                    field,
                    format!("the quantity must be greater than zero, not {text}"),
                );
                None
            }
            Err(
                e @ (QuantityError::NotANumber(_)
                | QuantityError::TooPrecise(_)
                | QuantityError::TooLarge(_)),
            ) => {
                self.refuse(catalogue::DATA_QUANTITY, field, format!("quantity {e}"));
                None
            }
        }
    }
}

/// A number of specimens (no unit) or of items of a counting unit is whole: 2.5 specimens
/// are not a quantity a customs officer can check.
fn counts_whole(unit: Option<&str>) -> bool {
    const COUNTED: &[&str] = &[
        "BAG", "BAK", "BOT", "BOX", "BSK", "CAN", "CAS", "CRT", "FLA", "HRN", "ITE", "PAI", "PCS",
        "SET", "SHP", "SID", "SKI",
    ];
    unit.is_none_or(|u| COUNTED.contains(&u))
}

fn document_type(s: &str) -> Option<DocumentType> {
    serde_json::from_value(serde_json::Value::String(s.trim().to_string())).ok()
}

/// The listing in force for the population of the line's specimens: its country of origin,
/// else the exporting country (split listings, `rules::population`).
pub fn listing_seen(
    ctx: &DecisionContext,
    taxon_id: u64,
    origin: Option<PartyCode>,
    exporting: PartyCode,
) -> Option<ListingSeen> {
    let mut listings = ctx.reference.listings_on(taxon_id, ctx.today);
    // The Party's own Appendix III listing, when the Species+ data does not hold it yet.
    let national = crate::domain::national_entries::listings_on(ctx.settings, taxon_id, ctx.today);
    let own_iii = |l: &crate::domain::context::ListingInfo| {
        l.appendix == Appendix::III && l.listing_party == Some(ctx.settings.party)
    };
    if !listings.iter().any(own_iii) {
        listings.extend(national);
    }
    let named = |name: &str| ctx.reference.country_named(name);
    population::seen(population::listing_for(
        listings,
        origin.unwrap_or(exporting),
        &named,
    ))
}

/// Checks every field; refuses with all DATA-* findings at once, or returns the content.
pub fn check_form(
    form: &ApplicationForm,
    ctx: &DecisionContext,
) -> Result<ApplicationContent, Vec<Finding>> {
    let mut c = Checker {
        findings: vec![],
        ctx,
    };
    let party = ctx.settings.party;
    let doc = document_type(&form.document_type);
    if doc.is_none() {
        c.refuse(
            catalogue::DATA_CODE,
            "document_type".into(),
            format!("unknown document type {:?}", form.document_type),
        );
    }
    let is_import = doc == Some(DocumentType::ImportPermit);
    // Specimens introduced from the sea come from no State: the State of introduction is the
    // only country of the certificate (Art. I(e), IV.6), recorded as exporter and importer.
    let from_sea = doc == Some(DocumentType::IntroductionFromTheSea);
    let exporting = match &form.exporting_country {
        Some(code) if from_sea => {
            c.refuse(catalogue::DATA_COUNTRY,
                "exporting_country".into(),
                format!("a certificate of introduction from the sea has no exporting State (the specimens come from the marine environment outside any State's jurisdiction), not {code:?}"),
            );
            None
        }
        Some(code) => c.country("exporting_country".into(), code),
        None if from_sea => form
            .importing_country
            .as_deref()
            .and_then(|code| code.parse::<PartyCode>().ok())
            .or(Some(party)),
        None if !is_import => Some(party),
        None => {
            c.refuse(
                catalogue::DATA_COUNTRY,
                "exporting_country".into(),
                "the exporting country is required for an import permit".into(),
            );
            None
        }
    };
    let importing = match &form.importing_country {
        Some(code) => c.country("importing_country".into(), code),
        None if is_import || from_sea => Some(party),
        None => {
            c.refuse(
                catalogue::DATA_COUNTRY,
                "importing_country".into(),
                "the importing country is required".into(),
            );
            None
        }
    };
    if exporting.is_some() && exporting == importing && !from_sea {
        c.refuse(
            catalogue::DATA_COUNTRY,
            "importing_country".into(),
            "the exporter and the importer are the same country".into(),
        );
    }
    if form.lines.is_empty() {
        c.refuse(
            catalogue::DATA_QUANTITY,
            "lines".into(),
            "an application needs at least one species line".into(),
        );
    }
    for h in &form.supporting_documents {
        if h.len() != 64 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
            c.refuse(
                catalogue::DATA_CODE,
                "supporting_documents".into(),
                format!("{h:?} is not a SHA-256 hash"),
            );
        }
    }
    let consignment_departed_on = form
        .consignment_departed_on
        .as_deref()
        .and_then(|d| c.date("consignment_departed_on".into(), d, true));
    let lines: Vec<Option<PermitLine>> = form
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| check_line(&mut c, i, l, exporting))
        .collect();
    match (doc, exporting, importing, c.findings.is_empty()) {
        (Some(document_type), Some(exporting_country), Some(importing_country), true) => {
            Ok(ApplicationContent {
                document_type,
                issuing_party: party,
                exporting_country,
                importing_country,
                lines: lines.into_iter().flatten().collect(),
                express: form.express,
                requested_validity_months: form.requested_validity_months,
                supporting_documents: form
                    .supporting_documents
                    .iter()
                    .map(|h| h.to_ascii_lowercase())
                    .collect(),
                consignment_departed_on,
            })
        }
        _ => Err(c.findings),
    }
}

fn check_line(
    c: &mut Checker,
    i: usize,
    l: &LineForm,
    exporting: Option<PartyCode>,
) -> Option<PermitLine> {
    let f = |name: &str| line_field(i, name);
    let taxon = c.ctx.reference.resolve_taxon(l.species.trim());
    if taxon.is_none() {
        c.refuse(
            catalogue::DATA_UNKNOWN_TAXON,
            f("species"),
            format!("{:?} is not in the species catalogue", l.species),
        );
    }
    let source = SourceCode::parse(&l.source);
    if source.is_none() {
        c.refuse(
            catalogue::DATA_CODE,
            f("source"),
            format!("unknown source code {:?}", l.source),
        );
    }
    let purpose = PurposeCode::parse(&l.purpose);
    if purpose.is_none() {
        c.refuse(
            catalogue::DATA_CODE,
            f("purpose"),
            format!("unknown purpose code {:?}", l.purpose),
        );
    }
    let term = l.term.trim().to_ascii_uppercase();
    let unit = l
        .unit
        .as_deref()
        .map(|u| u.trim().to_ascii_uppercase())
        .filter(|u| !u.is_empty());
    if !c.ctx.reference.is_term(&term) {
        c.refuse(
            catalogue::DATA_CODE,
            f("term"),
            format!("unknown term code {:?}", l.term),
        );
    } else if unit.as_deref().is_some_and(|u| !c.ctx.reference.is_unit(u)) {
        c.refuse(
            catalogue::DATA_CODE,
            f("unit"),
            format!("unknown unit code {:?}", l.unit.as_deref().unwrap_or("")),
        );
    } else if !c
        .ctx
        .reference
        .unit_allowed_for_term(&term, unit.as_deref())
    {
        let unit_text = unit.as_deref().unwrap_or("a number of specimens");
        c.refuse(
            catalogue::DATA_TERM_UNIT,
            f("unit"),
            format!("{unit_text} is not a unit for term {term}"),
        );
    }
    let quantity = c.quantity(f("quantity"), &l.quantity);
    if let Some(q) = quantity.filter(|q| q.decimals() > 0 && counts_whole(unit.as_deref())) {
        c.refuse(catalogue::DATA_QUANTITY,
            f("quantity"),
            format!(
                "{q} {} are counted in whole numbers; give a unit of measure (KIL, LTR, MTR…) for a part",
                unit.as_deref().unwrap_or("specimens")
            ),
        );
    }
    let origin = c.reference(f("origin"), &l.origin);
    if let (Some(o), Some(e)) = (&origin, exporting) {
        if o.country == e {
            c.refuse(
                catalogue::DATA_COUNTRY,
                f("origin.country"),
                "the country of origin is the exporter: leave the origin blank".into(),
            );
        }
    }
    let last_reexport = c.reference(f("last_reexport"), &l.last_reexport);
    let import_permit = c.reference(f("import_permit"), &l.import_permit);
    let export_permit = c.reference(f("export_permit"), &l.export_permit);
    let acquisition_date = l
        .acquisition_date
        .as_deref()
        .and_then(|d| c.date(f("acquisition_date"), d, true));
    let (taxon, source, purpose, quantity) = (taxon?, source?, purpose?, quantity?);
    let listing = listing_seen(
        c.ctx,
        taxon.taxon_id,
        origin.as_ref().map(|o| o.country),
        exporting?,
    );
    Some(PermitLine {
        line_no: i as u32 + 1,
        taxon_id: taxon.taxon_id,
        scientific_name: taxon.accepted_name,
        name_as_written: taxon.written_as,
        kingdom: taxon.kingdom,
        listing,
        source,
        purpose,
        term,
        quantity,
        unit,
        description: l.description.clone(),
        marks: l.marks.clone(),
        origin,
        last_reexport,
        import_permit,
        export_permit,
        reexport_from: l.reexport_from,
        registered_operation: l.registered_operation.clone(),
        acquisition_date,
        seizure_reference: l.seizure_reference.clone(),
        source_justification: l.source_justification.clone(),
    })
}

/// The strictest appendix among the lines (for fees).
pub fn strictest_appendix(app: &ApplicationContent) -> Option<Appendix> {
    app.lines
        .iter()
        .filter_map(|l| l.listing.as_ref().map(|x| x.appendix))
        .min()
}
