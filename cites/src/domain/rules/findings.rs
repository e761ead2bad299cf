//! Findings the Management and Scientific Authorities must record before approval (Art. III, IV).

use super::{line_field, Finding};
use crate::domain::codes::{Appendix, DocumentType, SourceCode};
use crate::domain::rules::catalogue;
use ecites_events::payloads::permit::{ApplicationContent, LineOpinion};
use std::collections::BTreeMap;

/// What the review has established so far.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Review {
    pub opinions: BTreeMap<u32, (uuid::Uuid, LineOpinion)>,
    pub legal_acquisition: bool,
    pub recipient_suitably_equipped: Option<bool>,
}

/// Lines that need a non-detriment finding by the Scientific Authority.
pub fn lines_needing_ndf(app: &ApplicationContent) -> Vec<u32> {
    app.lines
        .iter()
        .filter(|l| {
            let appendix = l.listing.as_ref().map(|x| x.appendix);
            let wildish = matches!(
                l.source,
                SourceCode::Wild
                    | SourceCode::Ranched
                    | SourceCode::IntroducedFromTheSea
                    | SourceCode::Unknown
            );
            match app.document_type {
                DocumentType::ExportPermit => {
                    matches!(appendix, Some(Appendix::I | Appendix::II)) && wildish
                }
                DocumentType::ImportPermit => appendix == Some(Appendix::I),
                _ => false,
            }
        })
        .map(|l| l.line_no)
        .collect()
}

/// FIND-NDF-REQUIRED and FIND-NDF-NEGATIVE (Art. III.2(a), III.3(a), IV.2(a)).
pub fn ndf(app: &ApplicationContent, review: &Review) -> Vec<Finding> {
    let mut out = vec![];
    for (i, line_no) in lines_needing_ndf(app).into_iter().enumerate() {
        match review.opinions.get(&line_no) {
            None => out.push(
                catalogue::FIND_NDF_REQUIRED.refuse(format!("line {line_no} needs the Scientific Authority's non-detriment finding before approval"),
                )
                .at(line_field(i, "opinion")),
            ),
            Some((_, o)) if !o.non_detrimental => out.push(
                catalogue::FIND_NDF_NEGATIVE.refuse(format!("the Scientific Authority found that trade in line {line_no} would be detrimental"),
                )
                .at(line_field(i, "opinion")),
            ),
            Some(_) => {}
        }
    }
    out
}

/// FIND-LEGAL-ACQUISITION (Art. III.2(b), IV.2(b), V.2(a)).
pub fn legal_acquisition(app: &ApplicationContent, review: &Review) -> Vec<Finding> {
    if app.document_type == DocumentType::ExportPermit && !review.legal_acquisition {
        return vec![catalogue::FIND_LEGAL_ACQUISITION.refuse(
            "an export permit needs the officer's finding that the specimens were legally acquired",
        )];
    }
    vec![]
}

/// FIND-APP1-RECIPIENT-EQUIPPED (Art. III.3(b)).
pub fn recipient_equipped(app: &ApplicationContent, review: &Review) -> Vec<Finding> {
    let live_app1 = app.lines.iter().any(|l| {
        l.term == "LIV"
            && l.listing
                .as_ref()
                .is_some_and(|x| x.appendix == Appendix::I)
    });
    if app.document_type == DocumentType::ImportPermit
        && live_app1
        && review.recipient_suitably_equipped != Some(true)
    {
        return vec![catalogue::FIND_APP1_RECIPIENT_EQUIPPED.refuse("importing live Appendix I specimens needs the Scientific Authority's finding that the recipient is suitably equipped",
        )];
    }
    vec![]
}

/// FIND-LIVE-TRANSPORT (Art. III.2(c), IV.2(c)): the condition added to live shipments.
pub const LIVE_TRANSPORT_CONDITION: &str =
    "Live specimens must be prepared and shipped in accordance with the IATA Live Animals Regulations (animals) or Perishable Cargo Regulations (plants) (Art. III.2(c), IV.2(c))";

pub fn live_transport_conditions(app: &ApplicationContent) -> Vec<String> {
    if app.lines.iter().any(|l| l.term == "LIV") {
        vec![LIVE_TRANSPORT_CONDITION.to_string()]
    } else {
        vec![]
    }
}

pub fn all(app: &ApplicationContent, review: &Review) -> Vec<Finding> {
    [
        ndf(app, review),
        legal_acquisition(app, review),
        recipient_equipped(app, review),
    ]
    .concat()
}
