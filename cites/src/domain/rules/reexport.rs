//! Re-exports tied to the Party's own imports (Art. III.4(a), IV.5(a): a re-export certificate
//! is granted only when the specimens were imported in accordance with the Convention): a line
//! may name the line of the Party's import permit it re-exports from, and no more is
//! re-exported than was imported.

use super::{line_field, Finding};
use crate::domain::codes::DocumentType;
use crate::domain::context::{DecisionContext, ImportLine};
use crate::domain::rules::catalogue;
use crate::domain::units;
use ecites_events::cites::Quantity;
use ecites_events::payloads::permit::{ApplicationContent, PermitLine};

fn import_of<'c>(ctx: &'c DecisionContext, l: &PermitLine) -> Option<&'c ImportLine> {
    let r = l.reexport_from?;
    ctx.imports
        .iter()
        .find(|i| i.permit_id == r.permit_id && i.line_no == r.line_no)
}

/// REEXPORT-FROM-IMPORT: the import named is a line of the Party's own import permit, issued
/// or endorsed, of the same species and term, in a unit the re-export's converts to.
pub fn from_import(app: &ApplicationContent, ctx: &DecisionContext) -> Vec<Finding> {
    let mut out = vec![];
    for (i, l) in app.lines.iter().enumerate() {
        let Some(r) = l.reexport_from else { continue };
        let refuse = |m: String| {
            catalogue::REEXPORT_FROM_IMPORT
                .refuse(m)
                .at(line_field(i, "reexport_from"))
        };
        if app.document_type != DocumentType::ReExportCertificate {
            out.push(refuse(
                "only a re-export certificate names the import it re-exports from".into(),
            ));
            continue;
        }
        let Some(import) = import_of(ctx, l) else {
            out.push(refuse(format!(
                "{} has no import permit {} with a line {}",
                ctx.settings.party, r.permit_id, r.line_no
            )));
            continue;
        };
        let number = import.permit_number.as_deref().unwrap_or("(not issued)");
        let problem = if import.document_type != DocumentType::ImportPermit {
            Some(format!("{number} is not an import permit"))
        } else if !import.usable {
            Some(format!(
                "import permit {number} was not issued or not used for an import"
            ))
        } else if import.taxon_id != l.taxon_id {
            Some(format!(
                "line {} of import permit {number} is another species",
                r.line_no
            ))
        } else if import.term != l.term {
            Some(format!(
                "line {} of import permit {number} is of term {}, not {}",
                r.line_no, import.term, l.term
            ))
        } else if units::convert(l.quantity, l.unit.as_deref(), import.unit.as_deref()).is_none() {
            Some(format!(
                "line {} of import permit {number} is counted in {}, which {} does not convert to",
                r.line_no,
                import.unit.as_deref().unwrap_or("number of specimens"),
                l.unit.as_deref().unwrap_or("a number of specimens")
            ))
        } else {
            None
        };
        out.extend(problem.map(refuse));
    }
    out
}

/// REEXPORT-IMPORT-BALANCE: each line re-exports at most what is left of its import: what came
/// in, less what the other re-exports took or hold. Lines of one application drawing on the
/// same import count together.
pub fn import_balance(app: &ApplicationContent, ctx: &DecisionContext) -> Vec<Finding> {
    let mut out = vec![];
    let mut drawn: Vec<((uuid::Uuid, u32), Quantity)> = vec![];
    for (i, l) in app.lines.iter().enumerate() {
        let Some(import) = import_of(ctx, l) else {
            continue;
        };
        let Some(counted) = units::convert(l.quantity, l.unit.as_deref(), import.unit.as_deref())
        else {
            continue;
        };
        let key = (import.permit_id, import.line_no);
        let before = drawn
            .iter()
            .find(|(k, _)| *k == key)
            .map_or(Quantity::ZERO, |(_, q)| *q);
        let left = import
            .imported
            .saturating_sub(import.drawn_by_others)
            .saturating_sub(before);
        let wanted = counted.quantity();
        if wanted > left {
            out.push(
                catalogue::REEXPORT_IMPORT_BALANCE.refuse(format!(
                        "import permit {} line {} brought in {} {}; re-exports took or hold {}, so {} is left, not {}",
                        import.permit_number.as_deref().unwrap_or("?"),
                        import.line_no,
                        import.imported,
                        import.unit.as_deref().unwrap_or("specimens"),
                        import.drawn_by_others.checked_add(before).unwrap_or(import.imported),
                        left,
                        wanted
                    ),
                )
                .at(line_field(i, "quantity")),
            );
        }
        match drawn.iter_mut().find(|(k, _)| *k == key) {
            Some((_, q)) => *q = q.checked_add(wanted).unwrap_or(*q),
            None => drawn.push((key, wanted)),
        }
    }
    out
}

pub fn all(app: &ApplicationContent, ctx: &DecisionContext) -> Vec<Finding> {
    [from_import(app, ctx), import_balance(app, ctx)].concat()
}
