//! The quota aggregate and how permit events draw on it (QUOTA-EXCEEDED, QUOTA-SETTLE).
//!
//! Quota events are not decided on their own (except setting a quota): they are consequences
//! of permit events, committed with them in one atomic batch, so a quota can never disagree
//! with the permits that use it.

use super::context::QuotaState;
use super::permit::{PermitEvent, PermitState};
use crate::domain::aggregate::aggregate_events;
use crate::domain::rules::catalogue;
use ecites_events::cites::Quantity;
use ecites_events::payloads::quota::*;
use std::collections::BTreeMap;
use uuid::Uuid;

aggregate_events! {
    pub enum QuotaEvent ("a quota event") {
        Set(QuotaSet),
        Reserved(QuotaReserved),
        Settled(QuotaSettled),
        Released(QuotaReleased),
    }
}

/// The first year a CITES quota can be for: the Convention entered into force on 1 July 1975.
pub const FIRST_QUOTA_YEAR: i32 = 1975;
/// How many years ahead of the decision date a quota may be set (quotas are communicated for
/// the coming year, sometimes a few).
pub const QUOTA_YEARS_AHEAD: i32 = 5;

/// QUOTA-DEFINITION (Res. Conf. 14.7 (Rev. CoP19) annex: a quota is for a calendar year, in a
/// unit and for a type of specimen of the standard lists): the year is a real quota year, the
/// term and unit are codes of the shipped lists and go together, the amount is not negative.
pub fn check_definition(
    d: &QuotaSet,
    reference: &dyn super::context::Reference,
    today: ecites_events::cites::IsoDate,
) -> Vec<super::rules::Finding> {
    let mut out = vec![];
    let last = today.0.year() + QUOTA_YEARS_AHEAD;
    if !(FIRST_QUOTA_YEAR..=last).contains(&d.year) {
        out.push(
            catalogue::QUOTA_DEFINITION
                .refuse(format!(
                    "{} is not a quota year: from {FIRST_QUOTA_YEAR} to {last}",
                    d.year
                ))
                .at("year"),
        );
    }
    if let Some(term) = d.term.as_deref() {
        if !reference.is_term(term) {
            out.push(
                catalogue::QUOTA_DEFINITION
                    .refuse(format!(
                        "{term:?} is not a term code of the annual-report guidelines"
                    ))
                    .at("term"),
            );
        }
    }
    if let Some(unit) = d.unit.as_deref() {
        if !reference.is_unit(unit) {
            out.push(
                catalogue::QUOTA_DEFINITION
                    .refuse(format!(
                        "{unit:?} is not a unit code of the annual-report guidelines"
                    ))
                    .at("unit"),
            );
        }
    }
    if let (Some(term), true) = (d.term.as_deref(), out.is_empty()) {
        if !reference.unit_allowed_for_term(term, d.unit.as_deref()) {
            out.push(
                catalogue::QUOTA_DEFINITION
                    .refuse(format!(
                        "{term} is not counted in {}",
                        d.unit.as_deref().unwrap_or("number of specimens")
                    ))
                    .at("unit"),
            );
        }
    }
    if d.annual < Quantity::ZERO {
        out.push(
            catalogue::QUOTA_DEFINITION
                .refuse("a quota cannot be negative")
                .at("annual"),
        );
    }
    out
}

/// A quota with what is reserved by issued permits and settled by endorsed ones.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Quota {
    pub definition: Option<QuotaSet>,
    pub reservations: BTreeMap<(Uuid, u32), Quantity>,
    pub settled: Quantity,
}

impl Quota {
    pub fn evolve(mut self, e: &QuotaEvent) -> Self {
        match e {
            QuotaEvent::Set(s) => self.definition = Some(s.clone()),
            QuotaEvent::Reserved(r) => {
                self.reservations
                    .insert((r.permit_id, r.line_no), r.quantity);
            }
            QuotaEvent::Settled(s) => {
                self.reservations.remove(&(s.permit_id, s.line_no));
                self.settled = self.settled.checked_add(s.exported).unwrap_or(self.settled);
            }
            QuotaEvent::Released(r) => {
                self.reservations.remove(&(r.permit_id, r.line_no));
            }
        }
        self
    }

    /// The quota as the rules see it.
    pub fn state(&self, quota_id: &str) -> Option<QuotaState> {
        self.state_releasing(quota_id, None)
    }

    /// The quota as the rules see it when the reservations of permit `released` are released
    /// in the same commit (a replacement: its consignment is counted once, not twice).
    pub fn state_releasing(&self, quota_id: &str, released: Option<Uuid>) -> Option<QuotaState> {
        let d = self.definition.as_ref()?;
        let reserved = self
            .reservations
            .iter()
            .filter(|((permit, _), _)| Some(*permit) != released)
            .fold(Quantity::ZERO, |a, (_, q)| a.checked_add(*q).unwrap_or(a));
        Some(QuotaState {
            quota_id: quota_id.into(),
            taxon_id: d.taxon_id,
            year: d.year,
            term: d.term.clone(),
            unit: d.unit.clone(),
            source: d.source,
            annual: d.annual,
            reserved,
            settled: self.settled,
            domestic: d.domestic,
        })
    }
}

/// `events` of one quota counted in the quota's unit: a reservation or export converted from
/// the line's unit (`unit_of(permit, line)`, rounded up when finer than a thousandth, as the
/// issuance check counted it), a settlement or release at what was actually reserved.
pub fn in_quota_unit(
    quota: &Quota,
    events: Vec<QuotaEvent>,
    unit_of: impl Fn(Uuid, u32) -> Option<String>,
) -> Vec<QuotaEvent> {
    let to = quota.definition.as_ref().and_then(|d| d.unit.clone());
    let counted = |q: Quantity, permit: Uuid, line: u32| {
        super::units::convert(q, unit_of(permit, line).as_deref(), to.as_deref())
            .map_or(q, |c| c.quantity())
    };
    let reserved = |permit: Uuid, line: u32, fallback: Quantity| {
        quota
            .reservations
            .get(&(permit, line))
            .copied()
            .unwrap_or_else(|| counted(fallback, permit, line))
    };
    events
        .into_iter()
        .map(|e| match e {
            QuotaEvent::Reserved(mut r) => {
                r.quantity = counted(r.quantity, r.permit_id, r.line_no);
                QuotaEvent::Reserved(r)
            }
            QuotaEvent::Settled(mut s) => {
                s.reserved = reserved(s.permit_id, s.line_no, s.reserved);
                s.exported = counted(s.exported, s.permit_id, s.line_no);
                QuotaEvent::Settled(s)
            }
            QuotaEvent::Released(mut r) => {
                r.quantity = reserved(r.permit_id, r.line_no, r.quantity);
                QuotaEvent::Released(r)
            }
            other => other,
        })
        .collect()
}

/// The quota events that permit events imply, by quota id, in the lines' units (see
/// [`in_quota_unit`]).
pub fn consequences(
    permit_id: Uuid,
    before: &PermitState,
    events: &[PermitEvent],
) -> Vec<(String, QuotaEvent)> {
    let line_quantity = |line_no: u32| {
        before
            .content
            .as_ref()
            .and_then(|c| c.lines.iter().find(|l| l.line_no == line_no))
            .map_or(Quantity::ZERO, |l| l.quantity)
    };
    let uses = before
        .permit
        .as_ref()
        .map(|p| p.quota_use.clone())
        .unwrap_or_default();
    let mut out = vec![];
    for e in events {
        match e {
            PermitEvent::PermitIssued(p) => out.extend(p.quota_use.iter().map(|u| {
                let reserved = QuotaReserved {
                    permit_id,
                    permit_number: p.permit_number.clone(),
                    line_no: u.line_no,
                    quantity: line_quantity(u.line_no),
                };
                (u.quota_id.clone(), QuotaEvent::Reserved(reserved))
            })),
            PermitEvent::PermitEndorsed(en) => out.extend(uses.iter().map(|u| {
                // A line not shipped settles at zero: what was not exported is not carried over.
                let exported = en
                    .lines
                    .iter()
                    .find(|l| l.line_no == u.line_no)
                    .map_or(Quantity::ZERO, |l| l.actual_quantity);
                let settled = QuotaSettled {
                    permit_id,
                    line_no: u.line_no,
                    reserved: line_quantity(u.line_no),
                    exported,
                };
                (u.quota_id.clone(), QuotaEvent::Settled(settled))
            })),
            PermitEvent::PermitCancelled(_)
            | PermitEvent::PermitExpired(_)
            | PermitEvent::PermitReplaced(_)
            | PermitEvent::PermitReportedLost(_) => out.extend(uses.iter().map(|u| {
                let released = QuotaReleased {
                    permit_id,
                    line_no: u.line_no,
                    quantity: line_quantity(u.line_no),
                    reason: e.event_type().into(),
                };
                (u.quota_id.clone(), QuotaEvent::Released(released))
            })),
            _ => {}
        }
    }
    out
}
