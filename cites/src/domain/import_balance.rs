//! What the Party's re-exports drew on a line of one of its own import permits (aggregate
//! `import_balance`): the supply chain origin → import → re-export, and the rule that no more
//! is re-exported than was imported (Art. III.4(a), IV.5(a)). Like the quotas, the balance's
//! events are consequences of permit events, committed with them in one atomic batch.

use super::permit::{PermitEvent, PermitState};
use crate::domain::aggregate::aggregate_events;
use ecites_events::cites::Quantity;
use ecites_events::payloads::import_balance::*;
use std::collections::BTreeMap;
use uuid::Uuid;

/// The aggregate id of the balance of line `line_no` of import permit `permit_id`.
pub fn balance_id(permit_id: Uuid, line_no: u32) -> String {
    format!("{permit_id}-{line_no}")
}

aggregate_events! {
    pub enum BalanceEvent ("an import_balance event") {
        Drawn(ImportDrawn),
        Settled(ImportDrawSettled),
        Released(ImportDrawReleased),
    }
}

/// What the re-exports drew on one import line: open draws by re-export line, and what left.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportBalance {
    pub draws: BTreeMap<(Uuid, u32), Quantity>,
    pub reexported: Quantity,
}

impl ImportBalance {
    pub fn evolve(mut self, e: &BalanceEvent) -> Self {
        match e {
            BalanceEvent::Drawn(d) => {
                self.draws
                    .insert((d.reexport_permit_id, d.reexport_line_no), d.quantity);
            }
            BalanceEvent::Settled(s) => {
                self.draws
                    .remove(&(s.reexport_permit_id, s.reexport_line_no));
                self.reexported = self
                    .reexported
                    .checked_add(s.reexported)
                    .unwrap_or(self.reexported);
            }
            BalanceEvent::Released(r) => {
                self.draws
                    .remove(&(r.reexport_permit_id, r.reexport_line_no));
            }
        }
        self
    }

    /// What the re-exports other than `permit` took or hold: re-exported plus open draws.
    pub fn taken_except(&self, permit: Uuid) -> Quantity {
        self.draws
            .iter()
            .filter(|((p, _), _)| *p != permit)
            .fold(self.reexported, |a, (_, q)| a.checked_add(*q).unwrap_or(a))
    }
}

/// The balance events that a re-export's permit events imply, by balance id, with quantities
/// in the re-export line's unit (the handler converts them to the import line's, see
/// [`in_import_unit`]).
pub fn consequences(
    permit_id: Uuid,
    before: &PermitState,
    events: &[PermitEvent],
) -> Vec<(String, BalanceEvent)> {
    let Some(content) = before.content.as_ref() else {
        return vec![];
    };
    let lines: Vec<_> = content
        .lines
        .iter()
        .filter_map(|l| Some((l, l.reexport_from?)))
        .collect();
    let mut out = vec![];
    for e in events {
        for (l, from) in &lines {
            let id = balance_id(from.permit_id, from.line_no);
            let event = match e {
                PermitEvent::PermitIssued(p) => BalanceEvent::Drawn(ImportDrawn {
                    import_permit_id: from.permit_id,
                    import_line_no: from.line_no,
                    reexport_permit_id: permit_id,
                    reexport_permit_number: p.permit_number.clone(),
                    reexport_line_no: l.line_no,
                    quantity: l.quantity,
                }),
                PermitEvent::PermitEndorsed(en) => BalanceEvent::Settled(ImportDrawSettled {
                    reexport_permit_id: permit_id,
                    reexport_line_no: l.line_no,
                    drawn: l.quantity,
                    reexported: en
                        .lines
                        .iter()
                        .find(|x| x.line_no == l.line_no)
                        .map_or(Quantity::ZERO, |x| x.actual_quantity),
                }),
                PermitEvent::PermitCancelled(_)
                | PermitEvent::PermitExpired(_)
                | PermitEvent::PermitReplaced(_)
                | PermitEvent::PermitReportedLost(_) => {
                    BalanceEvent::Released(ImportDrawReleased {
                        reexport_permit_id: permit_id,
                        reexport_line_no: l.line_no,
                        quantity: l.quantity,
                        reason: e.event_type().into(),
                    })
                }
                _ => continue,
            };
            out.push((id, event));
        }
    }
    out
}

/// `events` of one balance counted in the import line's unit (`import_unit`): a draw or what
/// was re-exported converted from the re-export line's unit (`unit_of(line)`), a settlement or
/// release at what was actually drawn.
pub fn in_import_unit(
    balance: &ImportBalance,
    events: Vec<BalanceEvent>,
    import_unit: Option<&str>,
    unit_of: impl Fn(u32) -> Option<String>,
) -> Vec<BalanceEvent> {
    let counted = |q: Quantity, line: u32| {
        super::units::convert(q, unit_of(line).as_deref(), import_unit).map_or(q, |c| c.quantity())
    };
    let drawn = |permit: Uuid, line: u32, fallback: Quantity| {
        balance
            .draws
            .get(&(permit, line))
            .copied()
            .unwrap_or_else(|| counted(fallback, line))
    };
    events
        .into_iter()
        .map(|e| match e {
            BalanceEvent::Drawn(mut d) => {
                d.quantity = counted(d.quantity, d.reexport_line_no);
                BalanceEvent::Drawn(d)
            }
            BalanceEvent::Settled(mut s) => {
                s.drawn = drawn(s.reexport_permit_id, s.reexport_line_no, s.drawn);
                s.reexported = counted(s.reexported, s.reexport_line_no);
                BalanceEvent::Settled(s)
            }
            BalanceEvent::Released(mut r) => {
                r.quantity = drawn(r.reexport_permit_id, r.reexport_line_no, r.quantity);
                BalanceEvent::Released(r)
            }
        })
        .collect()
}
