//! Purpose and source (Art. III.3(c), VII; Res. Conf. 5.10, 10.16, 11.11, 12.10, 12.3).

use super::{line_field, Finding};
use crate::domain::codes::{Appendix, DocumentType, Kingdom, PurposeCode, SourceCode};
use crate::domain::context::DecisionContext;
use crate::domain::rules::catalogue;
use ecites_events::payloads::permit::{ApplicationContent, PermitLine};

fn appendix(l: &PermitLine) -> Option<Appendix> {
    l.listing.as_ref().map(|x| x.appendix)
}

fn each(
    app: &ApplicationContent,
    f: impl Fn(usize, &PermitLine) -> Option<Finding>,
) -> Vec<Finding> {
    app.lines
        .iter()
        .enumerate()
        .filter_map(|(i, l)| f(i, l))
        .collect()
}

/// PURPOSE-APP1-COMMERCIAL (Art. III.3(c); Res. Conf. 5.10).
pub fn app1_commercial(app: &ApplicationContent) -> Vec<Finding> {
    each(app, |i, l| {
        let exempt = matches!(
            l.source,
            SourceCode::RegisteredOperation | SourceCode::PreConvention
        );
        (appendix(l) == Some(Appendix::I) && l.purpose == PurposeCode::Commercial && !exempt).then(|| {
            catalogue::PURPOSE_APP1_COMMERCIAL.refuse(format!("{} is in Appendix I: specimens may not be traded for primarily commercial purposes (purpose T)", l.scientific_name),
            )
            .at(line_field(i, "purpose"))
        })
    })
}

/// SOURCE-KINGDOM (Res. Conf. 10.16, 11.11).
pub fn kingdom(app: &ApplicationContent) -> Vec<Finding> {
    each(app, |i, l| {
        let plant_only = matches!(
            l.source,
            SourceCode::ArtificiallyPropagated | SourceCode::AssistedProduction
        );
        let animal_only = matches!(
            l.source,
            SourceCode::BredInCaptivity | SourceCode::BornInCaptivity | SourceCode::Ranched
        );
        let wrong = match l.kingdom {
            Kingdom::Animalia => plant_only,
            Kingdom::Plantae => animal_only,
        };
        wrong.then(|| {
            catalogue::SOURCE_KINGDOM
                .refuse(format!(
                    "source {} cannot be used for {} ({:?})",
                    l.source.code(),
                    l.scientific_name,
                    l.kingdom
                ))
                .at(line_field(i, "source"))
        })
    })
}

/// SOURCE-D-REGISTERED (Art. VII.4; Res. Conf. 12.10).
pub fn d_registered(app: &ApplicationContent) -> Vec<Finding> {
    each(app, |i, l| {
        if l.source != SourceCode::RegisteredOperation {
            return None;
        }
        let message = if appendix(l) != Some(Appendix::I) {
            "source D is for Appendix I specimens from registered operations only"
        } else if l
            .registered_operation
            .as_deref()
            .is_none_or(|r| r.trim().is_empty())
        {
            "source D needs the registration number of the operation (box 12b)"
        } else {
            return None;
        };
        Some(
            catalogue::SOURCE_D_REGISTERED
                .refuse(message)
                .at(line_field(i, "registered_operation")),
        )
    })
}

/// SOURCE-C-APP1-COMMERCIAL (Res. Conf. 12.10) [K].
pub fn c_app1_commercial(app: &ApplicationContent) -> Vec<Finding> {
    each(app, |i, l| {
        let hit = appendix(l) == Some(Appendix::I)
            && l.kingdom == Kingdom::Animalia
            && l.source == SourceCode::BredInCaptivity
            && l.purpose == PurposeCode::Commercial;
        hit.then(|| {
            catalogue::SOURCE_C_APP1_COMMERCIAL.refuse("commercial trade in captive-bred Appendix I animals must come from a registered operation (source D)",
            )
            .at(line_field(i, "source"))
        })
    })
}

/// SOURCE-O-PRECONVENTION (Art. VII.2).
pub fn o_preconvention(app: &ApplicationContent, ctx: &DecisionContext) -> Vec<Finding> {
    each(app, |i, l| {
        if l.source != SourceCode::PreConvention {
            return None;
        }
        let first = ctx.reference.first_listed(l.taxon_id);
        let before = matches!((l.acquisition_date, first), (Some(a), Some(f)) if a < f);
        let message = if !before {
            format!(
                "source O needs an acquisition date before the species was first listed ({})",
                first.map_or("unknown".into(), |d| d.to_string())
            )
        } else if app.document_type != DocumentType::PreConventionCertificate {
            "pre-Convention specimens travel on a pre-Convention certificate".into()
        } else {
            return None;
        };
        Some(
            catalogue::SOURCE_O_PRECONVENTION
                .refuse(message)
                .at(line_field(i, "acquisition_date")),
        )
    })
}

/// SOURCE-U-JUSTIFIED (Res. Conf. 12.3) [K]: a warning, with a justification required.
pub fn u_justified(app: &ApplicationContent) -> Vec<Finding> {
    each(app, |i, l| {
        if l.source != SourceCode::Unknown {
            return None;
        }
        let justified = l
            .source_justification
            .as_deref()
            .is_some_and(|j| !j.trim().is_empty());
        let f = if justified {
            catalogue::SOURCE_U_JUSTIFIED.warn("source unknown (U): check the justification")
        } else {
            catalogue::SOURCE_U_JUSTIFIED.refuse("source U (unknown) needs a justification")
        };
        Some(f.at(line_field(i, "source_justification")))
    })
}

/// SOURCE-I-SEIZED (Res. Conf. 12.3) [K].
pub fn i_seized(app: &ApplicationContent) -> Vec<Finding> {
    each(app, |i, l| {
        let missing = l
            .seizure_reference
            .as_deref()
            .is_none_or(|r| r.trim().is_empty());
        (l.source == SourceCode::Confiscated && missing).then(|| {
            catalogue::SOURCE_I_SEIZED.refuse("source I (confiscated or seized) is for the disposal of seized specimens and needs the seizure reference",
            )
            .at(line_field(i, "seizure_reference"))
        })
    })
}

/// PURPOSE-TERM-UNUSUAL (WCMC validator): a warning.
pub fn term_purpose_unusual(app: &ApplicationContent, ctx: &DecisionContext) -> Vec<Finding> {
    each(app, |i, l| {
        (!ctx.reference.term_purpose_is_usual(&l.term, l.purpose)).then(|| {
            catalogue::PURPOSE_TERM_UNUSUAL
                .warn(format!(
                    "term {} with purpose {} is unusual",
                    l.term,
                    l.purpose.code()
                ))
                .at(line_field(i, "purpose"))
        })
    })
}

pub fn all(app: &ApplicationContent, ctx: &DecisionContext) -> Vec<Finding> {
    [
        app1_commercial(app),
        kingdom(app),
        d_registered(app),
        c_app1_commercial(app),
        o_preconvention(app, ctx),
        u_justified(app),
        i_seized(app),
        term_purpose_unusual(app, ctx),
    ]
    .concat()
}
