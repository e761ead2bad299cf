//! The Party's own imports that re-exports draw on: each import line named by an application
//! read from the log (the import permit and its balance aggregate) for the decision, and the
//! balance events a re-export's issuance, endorsement or end add to its atomic commit.

use super::{CommandHandler, HandlerError};
use crate::domain::context::ImportLine;
use crate::domain::import_balance::{self, BalanceEvent, ImportBalance};
use crate::domain::permit::{PermitCommand, PermitEvent, PermitState, PermitStatus};
use ecites_events::cites::Quantity;
use ecites_events::payloads::permit::ImportLineRef;
use ecites_events::{AggregateRef, EventAppender, EventReader, ExpectedPosition, PartyCode};
use uuid::Uuid;

/// The import lines a command's application names (the form's for a submission, else the
/// recorded application's), once each.
pub(super) fn named_imports(command: &PermitCommand, state: &PermitState) -> Vec<ImportLineRef> {
    let mut refs: Vec<ImportLineRef> = match command {
        PermitCommand::Submit { form, .. } | PermitCommand::Resubmit { form } => {
            form.lines.iter().filter_map(|l| l.reexport_from).collect()
        }
        _ => state
            .content
            .iter()
            .flat_map(|c| c.lines.iter().filter_map(|l| l.reexport_from))
            .collect(),
    };
    refs.sort_by_key(|r| (r.permit_id, r.line_no));
    refs.dedup();
    refs
}

pub(super) fn balance_ref(
    party: PartyCode,
    r: ImportLineRef,
) -> Result<AggregateRef, HandlerError> {
    AggregateRef::new(
        party,
        "import_balance",
        &import_balance::balance_id(r.permit_id, r.line_no),
    )
    .map_err(|e| HandlerError::Invalid(e.to_string()))
}

impl<L: EventAppender + EventReader> CommandHandler<L> {
    pub(super) async fn load_balance(
        &self,
        aggregate: &AggregateRef,
    ) -> Result<(ImportBalance, ExpectedPosition), HandlerError> {
        let f = self
            .fold_log(
                aggregate,
                ImportBalance::default(),
                BalanceEvent::decode,
                |b, step| b.evolve(&step.event),
            )
            .await?;
        Ok((f.state, f.position))
    }

    /// The named import lines as the decision sees them; `permit` is the re-export deciding,
    /// whose own draws do not count against it.
    pub(super) async fn import_lines(
        &self,
        party: PartyCode,
        refs: &[ImportLineRef],
        permit: Uuid,
    ) -> Result<Vec<ImportLine>, HandlerError> {
        let mut out = vec![];
        for r in refs {
            let import = self
                .load_permit(&Self::permit_ref(party, r.permit_id))
                .await?;
            let Some(content) = import.state.content.as_ref() else {
                continue;
            };
            let Some(line) = content.lines.iter().find(|l| l.line_no == r.line_no) else {
                continue;
            };
            let s = &import.state;
            // What customs recorded at import, else what was permitted.
            let imported = s
                .endorsement
                .as_ref()
                .map(|e| {
                    e.lines
                        .iter()
                        .find(|x| x.line_no == r.line_no)
                        .map_or(Quantity::ZERO, |x| x.actual_quantity)
                })
                .unwrap_or(line.quantity);
            let (balance, _) = self.load_balance(&balance_ref(party, *r)?).await?;
            out.push(ImportLine {
                permit_id: r.permit_id,
                line_no: r.line_no,
                permit_number: s.permit.as_ref().map(|p| p.permit_number.clone()),
                document_type: content.document_type,
                usable: matches!(s.status, PermitStatus::Issued | PermitStatus::Used),
                taxon_id: line.taxon_id,
                term: line.term.clone(),
                unit: line.unit.clone(),
                imported,
                drawn_by_others: balance.taken_except(permit),
            });
        }
        Ok(out)
    }

    /// The balance changes a re-export's events imply, each balance at the position it was
    /// read at, its events in the import line's unit.
    pub(super) async fn balance_changes(
        &self,
        party: PartyCode,
        permit_id: Uuid,
        before: &PermitState,
        events: &[PermitEvent],
        imports: &[ImportLine],
    ) -> Result<Vec<(AggregateRef, ExpectedPosition, Vec<BalanceEvent>)>, HandlerError> {
        let mut grouped: Vec<(String, Vec<BalanceEvent>)> = vec![];
        for (id, e) in import_balance::consequences(permit_id, before, events) {
            match grouped.iter_mut().find(|(g, _)| *g == id) {
                Some((_, v)) => v.push(e),
                None => grouped.push((id, vec![e])),
            }
        }
        let unit_of = |line: u32| {
            before
                .content
                .as_ref()
                .and_then(|c| c.lines.iter().find(|l| l.line_no == line))
                .and_then(|l| l.unit.clone())
        };
        let mut out = vec![];
        for (id, evs) in grouped {
            let aggregate = AggregateRef::new(party, "import_balance", &id)
                .map_err(|e| HandlerError::Invalid(e.to_string()))?;
            let (balance, position) = self.load_balance(&aggregate).await?;
            let import_unit = imports
                .iter()
                .find(|i| import_balance::balance_id(i.permit_id, i.line_no) == id)
                .and_then(|i| i.unit.clone());
            let evs =
                import_balance::in_import_unit(&balance, evs, import_unit.as_deref(), unit_of);
            out.push((aggregate, position, evs));
        }
        Ok(out)
    }
}
