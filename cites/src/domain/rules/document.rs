//! Which document, by appendix and movement (Art. III, IV, V).

use super::{line_field, Finding};
use crate::domain::codes::{Appendix, DocumentType, SourceCode};
use crate::domain::context::DecisionContext;
use crate::domain::rules::catalogue;
use ecites_events::payloads::permit::{ApplicationContent, PermitLine};

fn appendix_of(app: &ApplicationContent, i: usize) -> Option<Appendix> {
    app.lines[i].listing.as_ref().map(|l| l.appendix)
}

/// DOC-ISSUING-PARTY (Art. III.2, III.3, III.4, III.5, IV.2, IV.4, IV.5, IV.6, V.2, V.3,
/// VII.2, VII.5): a Management Authority issues documents for its own State's trade only. The
/// State of export or re-export issues export permits, re-export certificates, certificates of
/// origin and the pre-Convention and captive-breeding certificates that travel as them; the
/// State of import issues import permits; the State of introduction issues certificates of
/// introduction from the sea, for specimens landed in its own territory.
pub fn issuing_party(app: &ApplicationContent) -> Vec<Finding> {
    const RULE: &str = catalogue::DOC_ISSUING_PARTY.id;
    let party = app.issuing_party;
    let (field, country, sources, role) = match app.document_type {
        DocumentType::ImportPermit => (
            "importing_country",
            app.importing_country,
            "Art. III.3, IV.4",
            "import permit: the importing country",
        ),
        DocumentType::IntroductionFromTheSea => (
            "importing_country",
            app.importing_country,
            "Art. III.5, IV.6",
            "certificate of introduction from the sea: the State of introduction",
        ),
        DocumentType::ReExportCertificate => (
            "exporting_country",
            app.exporting_country,
            "Art. III.4, IV.5, V.4",
            "re-export certificate: the re-exporting country",
        ),
        DocumentType::CertificateOfOrigin => (
            "exporting_country",
            app.exporting_country,
            "Art. V.3",
            "certificate of origin: the exporting country",
        ),
        DocumentType::PreConventionCertificate | DocumentType::CaptiveBreedingCertificate => (
            "exporting_country",
            app.exporting_country,
            "Art. VII.2, VII.5",
            "certificate: the exporting country",
        ),
        DocumentType::ExportPermit => (
            "exporting_country",
            app.exporting_country,
            "Art. III.2, IV.2, V.2",
            "export permit: the exporting country",
        ),
    };
    if country == party {
        return vec![];
    }
    // The article depends on the document: the catalogue's lists them all.
    vec![Finding::refuse(
        RULE,
        sources,
        format!("{party} issues documents for its own trade only; on this {role} is {country}, not {party}"),
    )
    .at(field)]
}

/// Specimens of Appendix I deemed to be in Appendix II (Art. VII.4, Res. Conf. 12.10 and 9.19):
/// animals bred in captivity and plants artificially propagated for commercial purposes in an
/// operation registered with the Secretariat (source D). They need no import permit.
fn deemed_appendix_ii(line: &PermitLine) -> bool {
    line.source == SourceCode::RegisteredOperation
}

/// DOC-APP1-EXPORT-NEEDS-IMPORT-PERMIT (Art. III.2(d)); not for source D (Art. VII.4).
pub fn app1_export_needs_import_permit(app: &ApplicationContent) -> Vec<Finding> {
    if app.document_type != DocumentType::ExportPermit {
        return vec![];
    }
    (0..app.lines.len())
        .filter(|&i| appendix_of(app, i) == Some(Appendix::I) && !deemed_appendix_ii(&app.lines[i]))
        .filter(|&i| {
            app.lines[i]
                .import_permit
                .as_ref()
                .is_none_or(|p| p.country != app.importing_country || p.number.trim().is_empty())
        })
        .map(|i| {
            catalogue::DOC_APP1_EXPORT_NEEDS_IMPORT_PERMIT.refuse("an Appendix I export permit is granted only against the importing country's import permit (number and country)",
            )
            .at(line_field(i, "import_permit"))
        })
        .collect()
}

/// DOC-IMPORT-PERMIT-AGE (Res. Conf. 12.3, validity of import permits; a warning): an export
/// or re-export that relies on the importing country's import permit should not name one
/// issued more than 12 months before, since an import permit is valid for 12 months at most.
pub fn import_permit_age(app: &ApplicationContent, ctx: &DecisionContext) -> Vec<Finding> {
    if !matches!(
        app.document_type,
        DocumentType::ExportPermit | DocumentType::ReExportCertificate
    ) {
        return vec![];
    }
    let Some(limit) = ctx.today.0.replace_year(ctx.today.0.year() - 1).ok() else {
        return vec![];
    };
    app.lines
        .iter()
        .enumerate()
        .filter_map(|(i, l)| {
            let p = l.import_permit.as_ref()?;
            let date = p.date?;
            (date.0 < limit).then(|| {
                catalogue::DOC_IMPORT_PERMIT_AGE.warn(format!(
                        "import permit {} of {} was issued more than 12 months ago: an import permit is valid for 12 months at most; check that it is still valid",
                        p.number, date
                    ),
                )
                .at(line_field(i, "import_permit.date"))
            })
        })
        .collect()
}

/// DOC-APP1-REEXPORT-LIVE-NEEDS-IMPORT-PERMIT (Art. III.4(c)); not for source D (Art. VII.4).
pub fn app1_reexport_live_needs_import_permit(app: &ApplicationContent) -> Vec<Finding> {
    if app.document_type != DocumentType::ReExportCertificate {
        return vec![];
    }
    (0..app.lines.len())
        .filter(|&i| {
            appendix_of(app, i) == Some(Appendix::I)
                && app.lines[i].term == "LIV"
                && !deemed_appendix_ii(&app.lines[i])
        })
        .filter(|&i| app.lines[i].import_permit.is_none())
        .map(|i| {
            catalogue::DOC_APP1_REEXPORT_LIVE_NEEDS_IMPORT_PERMIT
                .refuse(
                    "re-export of live Appendix I specimens needs the destination's import permit",
                )
                .at(line_field(i, "import_permit"))
        })
        .collect()
}

/// DOC-APP2-IMPORT-PERMIT-NOT-REQUIRED (Art. IV.4): a warning, the Convention does not ask for it.
pub fn app2_import_permit_not_required(app: &ApplicationContent) -> Vec<Finding> {
    let all_2_or_3 = app.lines.iter().all(|l| {
        l.listing
            .as_ref()
            .is_some_and(|x| x.appendix != Appendix::I)
    });
    if app.document_type == DocumentType::ImportPermit && all_2_or_3 {
        return vec![catalogue::DOC_APP2_IMPORT_PERMIT_NOT_REQUIRED.warn(
            "an import permit is not required by the Convention for Appendix II or III specimens",
        )];
    }
    vec![]
}

/// DOC-APP3-EXPORT-BY-LISTING-PARTY (Art. V.2) and DOC-APP3-ORIGIN-CERTIFICATE (Art. V.3).
pub fn app3_document(app: &ApplicationContent) -> Vec<Finding> {
    let mut out = vec![];
    for (i, line) in app.lines.iter().enumerate() {
        let Some(listing) = line
            .listing
            .as_ref()
            .filter(|l| l.appendix == Appendix::III)
        else {
            continue;
        };
        let by_listing_party = listing.listing_party == Some(app.exporting_country);
        match (by_listing_party, app.document_type) {
            (true, DocumentType::CertificateOfOrigin) => out.push(
                catalogue::DOC_APP3_EXPORT_BY_LISTING_PARTY.refuse("the listing Party exports Appendix III specimens on an export permit, not a certificate of origin",
                )
                .at("document_type"),
            ),
            (false, DocumentType::ExportPermit) => out.push(
                catalogue::DOC_APP3_ORIGIN_CERTIFICATE.refuse(format!(
                        "Appendix III specimens exported from a Party other than the listing Party ({}) need a certificate of origin",
                        listing.listing_party.map_or("?".into(), |p| p.to_string())
                    ),
                )
                .at(line_field(i, "species")),
            ),
            _ => {}
        }
    }
    out
}

/// DOC-REEXPORT-NEEDS-ORIGIN (Art. III.4, IV.5, V.4; Res. Conf. 12.3).
pub fn reexport_needs_origin(app: &ApplicationContent) -> Vec<Finding> {
    if app.document_type != DocumentType::ReExportCertificate {
        return vec![];
    }
    app.lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.origin.as_ref().is_none_or(|o| o.number.trim().is_empty() || o.date.is_none()))
        .map(|(i, _)| {
            catalogue::DOC_REEXPORT_NEEDS_ORIGIN.refuse("a re-export certificate names the country of origin and the origin export permit (number and date)",
            )
            .at(line_field(i, "origin"))
        })
        .collect()
}

/// DOC-SEA-CERTIFICATE (Art. III.5, IV.6).
pub fn sea_certificate(app: &ApplicationContent) -> Vec<Finding> {
    let from_sea = app
        .lines
        .iter()
        .any(|l| l.source == SourceCode::IntroducedFromTheSea);
    if from_sea && app.document_type != DocumentType::IntroductionFromTheSea {
        return vec![catalogue::DOC_SEA_CERTIFICATE.refuse("specimens taken in the marine environment outside any State's jurisdiction (source X) need a certificate of introduction from the sea",
        )
        .at("document_type")];
    }
    vec![]
}

/// DOC-NOT-LISTED (Art. II) and DOC-NATIONAL-LIST (stricter domestic measure).
pub fn not_listed(app: &ApplicationContent, ctx: &DecisionContext) -> Vec<Finding> {
    app.lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.listing.is_none() && !ctx.settings.on_national_list(l.taxon_id))
        .map(|(i, l)| {
            catalogue::DOC_NOT_LISTED
                .refuse(not_listed_message(app, l, ctx))
                .at(line_field(i, "species"))
        })
        .collect()
}

/// A split listing that leaves out the specimens' population is not "no listing": the
/// message names the population so the applicant sees why.
fn not_listed_message(app: &ApplicationContent, l: &PermitLine, ctx: &DecisionContext) -> String {
    let listed_elsewhere = !ctx.reference.listings_on(l.taxon_id, ctx.today).is_empty();
    if listed_elsewhere {
        let population = l
            .origin
            .as_ref()
            .map_or(app.exporting_country, |o| o.country);
        return format!(
            "the CITES listings of {} in force on {} cover other populations, not specimens from {population} (country of origin, else the exporting country), and it is not on the Party's national list: no CITES document can be issued",
            l.scientific_name, ctx.today
        );
    }
    format!(
        "{} has no CITES listing on {} and is not on the Party's national list: no CITES document can be issued",
        l.scientific_name, ctx.today
    )
}

pub fn all(app: &ApplicationContent, ctx: &DecisionContext) -> Vec<Finding> {
    [
        issuing_party(app),
        app1_export_needs_import_permit(app),
        import_permit_age(app, ctx),
        app1_reexport_live_needs_import_permit(app),
        app2_import_permit_not_required(app),
        app3_document(app),
        reexport_needs_origin(app),
        sea_certificate(app),
        not_listed(app, ctx),
    ]
    .concat()
}
