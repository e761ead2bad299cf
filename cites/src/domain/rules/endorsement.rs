//! Export endorsement by customs (box 14; Art. VI; Res. Conf. 12.3).

use super::Finding;
use crate::domain::rules::catalogue;
use ecites_events::cites::{IsoDate, Quantity};
use ecites_events::payloads::permit::{EndorsedLine, PermitLine};

/// What endorsement needs to know of the permit.
pub struct EndorsementTarget<'a> {
    pub permit_number: &'a str,
    pub issued_on: IsoDate,
    pub valid_until: IsoDate,
    pub lines: &'a [PermitLine],
    pub already_endorsed: bool,
    /// Why the permit is void, if it is (cancelled, replaced, lost or stolen, expired).
    pub void: Option<&'a str>,
}

/// PERMIT-ONE-CONSIGNMENT (Art. VI.5): one consignment, used once.
pub fn one_consignment(t: &EndorsementTarget) -> Vec<Finding> {
    if t.already_endorsed {
        return vec![catalogue::PERMIT_ONE_CONSIGNMENT.refuse(format!(
            "permit {} has already been used for a consignment; a permit is used once",
            t.permit_number
        ))];
    }
    vec![]
}

/// PERMIT-ENDORSE-VALID (Art. VI.2).
pub fn valid(t: &EndorsementTarget, on: IsoDate) -> Vec<Finding> {
    if let Some(why) = t.void {
        return vec![catalogue::PERMIT_ENDORSE_VALID
            .refuse(format!("permit {} is void: {why}", t.permit_number))];
    }
    if on > t.valid_until {
        return vec![catalogue::PERMIT_ENDORSE_VALID
            .refuse(format!(
                "permit {} expired on {}",
                t.permit_number, t.valid_until
            ))
            .at("endorsed_on")];
    }
    vec![]
}

/// How far ahead of the ledger's date (UTC) an endorsement may be dated: at a border east of
/// Greenwich the local date is already tomorrow for some hours of the day.
pub const ENDORSE_DATE_AHEAD_DAYS: i64 = 1;

/// PERMIT-ENDORSE-DATE (Art. VI.2, Res. Conf. 12.3 Annex 2 box 14): the date of export lies
/// within the permit's validity, from its issuance, and is not in the future. Customs record
/// the day the consignment left, not a day chosen to fit.
pub fn date(t: &EndorsementTarget, on: IsoDate, today: IsoDate) -> Vec<Finding> {
    let refuse = |message: String| {
        vec![catalogue::PERMIT_ENDORSE_DATE
            .refuse(message)
            .at("endorsed_on")]
    };
    if on.0 < t.issued_on.0 {
        return refuse(format!(
            "permit {} was issued on {}; a consignment cannot have left on it on {on}",
            t.permit_number, t.issued_on
        ));
    }
    if on.0 > today.0 + time::Duration::days(ENDORSE_DATE_AHEAD_DAYS) {
        return refuse(format!(
            "{on} is in the future (today is {today}): endorse with the date the consignment left"
        ));
    }
    vec![]
}

/// PERMIT-ENDORSE-QUANTITY (Res. Conf. 12.3): each actual quantity at most what was permitted.
pub fn quantity(t: &EndorsementTarget, lines: &[EndorsedLine]) -> Vec<Finding> {
    let mut out = vec![];
    let mut seen = std::collections::HashSet::new();
    for (i, e) in lines.iter().enumerate() {
        let field = format!("lines[{i}].actual_quantity");
        let Some(permitted) = t.lines.iter().find(|l| l.line_no == e.line_no) else {
            out.push(
                catalogue::PERMIT_ENDORSE_QUANTITY
                    .refuse(format!("the permit has no line {}", e.line_no))
                    .at(format!("lines[{i}].line_no")),
            );
            continue;
        };
        if !seen.insert(e.line_no) {
            out.push(
                catalogue::PERMIT_ENDORSE_QUANTITY
                    .refuse(format!("line {} is endorsed twice", e.line_no))
                    .at(field),
            );
        } else if e.actual_quantity < Quantity::ZERO || e.actual_quantity > permitted.quantity {
            out.push(
                catalogue::PERMIT_ENDORSE_QUANTITY
                    .refuse(format!(
                        "line {}: {} {} exported, but {} were permitted",
                        e.line_no,
                        e.actual_quantity,
                        permitted.unit.as_deref().unwrap_or("specimens"),
                        permitted.quantity
                    ))
                    .at(field),
            );
        }
    }
    out
}
