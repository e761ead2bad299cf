//! Export endorsement by customs (box 14; Art. VI; Res. Conf. 12.3).

use super::Finding;
use ecites_events::cites::{IsoDate, Quantity};
use ecites_events::payloads::permit::{EndorsedLine, PermitLine};

/// What endorsement needs to know of the permit.
pub struct EndorsementTarget<'a> {
    pub permit_number: &'a str,
    pub valid_until: IsoDate,
    pub lines: &'a [PermitLine],
    pub already_endorsed: bool,
    /// Why the permit is void, if it is (cancelled, replaced, lost or stolen, expired).
    pub void: Option<&'a str>,
}

/// PERMIT-ONE-CONSIGNMENT (Art. VI.5): one consignment, used once.
pub fn one_consignment(t: &EndorsementTarget) -> Vec<Finding> {
    if t.already_endorsed {
        return vec![Finding::refuse(
            "PERMIT-ONE-CONSIGNMENT",
            "Art. VI.5",
            format!(
                "permit {} has already been used for a consignment; a permit is used once",
                t.permit_number
            ),
        )];
    }
    vec![]
}

/// PERMIT-ENDORSE-VALID (Art. VI.2).
pub fn valid(t: &EndorsementTarget, on: IsoDate) -> Vec<Finding> {
    if let Some(why) = t.void {
        return vec![Finding::refuse(
            "PERMIT-ENDORSE-VALID",
            "Art. VI.2",
            format!("permit {} is void: {why}", t.permit_number),
        )];
    }
    if on > t.valid_until {
        return vec![Finding::refuse(
            "PERMIT-ENDORSE-VALID",
            "Art. VI.2",
            format!("permit {} expired on {}", t.permit_number, t.valid_until),
        )
        .at("endorsed_on")];
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
                Finding::refuse(
                    "PERMIT-ENDORSE-QUANTITY",
                    "Res. Conf. 12.3",
                    format!("the permit has no line {}", e.line_no),
                )
                .at(format!("lines[{i}].line_no")),
            );
            continue;
        };
        if !seen.insert(e.line_no) {
            out.push(
                Finding::refuse(
                    "PERMIT-ENDORSE-QUANTITY",
                    "Res. Conf. 12.3",
                    format!("line {} is endorsed twice", e.line_no),
                )
                .at(field),
            );
        } else if e.actual_quantity < Quantity::ZERO || e.actual_quantity > permitted.quantity {
            out.push(
                Finding::refuse(
                    "PERMIT-ENDORSE-QUANTITY",
                    "Res. Conf. 12.3",
                    format!(
                        "line {}: {} {} exported, but {} were permitted",
                        e.line_no,
                        e.actual_quantity,
                        permitted.unit.as_deref().unwrap_or("specimens"),
                        permitted.quantity
                    ),
                )
                .at(field),
            );
        }
    }
    out
}
