//! The Party's configuration aggregate (`party_config`): its fee schedule, its stricter
//! domestic measures and its national list. `evolve` folds the events over the start-up
//! defaults into the [`PartySettings`] every permit decision is taken with; `decide` checks an
//! administrator's change before it is recorded, so that a schedule or a measure that would
//! misbehave at the next submission never reaches the log.

use super::context::{FeeRule, PartySettings};
use crate::domain::aggregate::aggregate_events;
use ecites_events::payloads::party_config::*;
use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PartyConfigCommand {
    /// Replaces the whole schedule.
    SetFees(FeeScheduleSet),
    /// Sets a measure, or revises the one with the same id.
    SetDomesticMeasure(DomesticMeasureSet),
    RevokeDomesticMeasure {
        id: String,
        reason: String,
    },
    AddToNationalList(NationalListSpeciesAdded),
    RemoveFromNationalList {
        taxon_id: u64,
    },
    SetSecurityStampRange(SecurityStampRangeSet),
    /// Allows or withdraws the documented exceptions to PERMIT-NO-RETROSPECTIVE.
    SetRetrospectiveIssuePolicy(RetrospectiveIssuePolicySet),
    /// Records a suspension, reservation or Appendix III listing, or revises it (same id).
    RecordNationalEntry(NationalEntryRecorded),
    LiftNationalEntry(NationalEntryLifted),
}

impl PartyConfigCommand {
    pub fn name(&self) -> &'static str {
        match self {
            Self::SetFees(_) => "set the fee schedule",
            Self::SetDomesticMeasure(_) => "set a domestic measure",
            Self::RevokeDomesticMeasure { .. } => "revoke a domestic measure",
            Self::AddToNationalList(_) => "add a species to the national list",
            Self::RemoveFromNationalList { .. } => "remove a species from the national list",
            Self::SetSecurityStampRange(_) => "set the security-stamp range",
            Self::SetRetrospectiveIssuePolicy(_) => "set the retrospective-issue policy",
            Self::RecordNationalEntry(_) => "record a national entry",
            Self::LiftNationalEntry(_) => "lift a national entry",
        }
    }
}

aggregate_events! {
    pub enum PartyConfigEvent ("a party_config event") {
        FeeScheduleSet(FeeScheduleSet),
        DomesticMeasureSet(DomesticMeasureSet),
        DomesticMeasureRevoked(DomesticMeasureRevoked),
        NationalListSpeciesAdded(NationalListSpeciesAdded),
        NationalListSpeciesRemoved(NationalListSpeciesRemoved),
        SecurityStampRangeSet(SecurityStampRangeSet),
        RetrospectiveIssuePolicySet(RetrospectiveIssuePolicySet),
        NationalEntryRecorded(NationalEntryRecorded),
        NationalEntryLifted(NationalEntryLifted),
    }
}

/// Folds one event into the settings. Pure and total: events are facts, never refused here.
pub fn evolve(mut s: PartySettings, event: &PartyConfigEvent) -> PartySettings {
    use PartyConfigEvent as E;
    match event {
        E::FeeScheduleSet(e) => {
            s.currency = e.currency.clone();
            s.fees = e.rules.clone();
        }
        E::DomesticMeasureSet(e) => match s.domestic_measures.iter_mut().find(|m| m.id == e.id) {
            Some(m) => *m = e.clone(),
            None => s.domestic_measures.push(e.clone()),
        },
        E::DomesticMeasureRevoked(e) => s.domestic_measures.retain(|m| m.id != e.id),
        E::NationalListSpeciesAdded(e) => {
            match s
                .national_list
                .iter_mut()
                .find(|n| n.taxon_id == e.taxon_id)
            {
                Some(n) => *n = e.clone(),
                None => s.national_list.push(e.clone()),
            }
        }
        E::NationalListSpeciesRemoved(e) => s.national_list.retain(|n| n.taxon_id != e.taxon_id),
        E::SecurityStampRangeSet(e) => s.security_stamps = Some((e.first, e.last)),
        E::RetrospectiveIssuePolicySet(e) => s.retrospective_exceptions = e.exceptions_allowed,
        E::NationalEntryRecorded(e) => match s.national_entries.iter_mut().find(|n| n.id == e.id) {
            Some(n) => *n = e.clone(),
            None => s.national_entries.push(e.clone()),
        },
        E::NationalEntryLifted(e) => super::national_entries::lift(&mut s.national_entries, e),
    }
    s
}

/// One thing wrong with a command, with the JSON path of the field at fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigViolation {
    pub rule: &'static str,
    pub field: String,
    pub message: String,
}

impl fmt::Display for ConfigViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// Why a configuration command was refused. Nothing is written in any case.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PartyConfigError {
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<ConfigViolation>),
    #[error("no domestic measure {0} is in force")]
    UnknownMeasure(String),
    #[error("{0} is already on the national list")]
    AlreadyListed(String),
    #[error("taxon {0} is not on the national list")]
    NotListed(u64),
    #[error("no national entry {0} is in force")]
    UnknownEntry(String),
}

fn violation(
    rule: &'static str,
    field: impl Into<String>,
    message: impl Into<String>,
) -> ConfigViolation {
    ConfigViolation {
        rule,
        field: field.into(),
        message: message.into(),
    }
}

/// The trimmed text, or a violation when it is empty.
fn text(field: &str, value: &str, out: &mut Vec<ConfigViolation>) -> String {
    let v = value.trim();
    if v.is_empty() {
        out.push(violation("CONFIG-TEXT", field, "must not be empty"));
    }
    v.to_string()
}

/// Does every application `earlier` matches also match `later`'s conditions? Then `later`,
/// coming after it, can never apply.
fn shadows(earlier: &FeeRule, later: &FeeRule) -> bool {
    earlier
        .document_type
        .is_none_or(|d| Some(d) == later.document_type)
        && earlier.appendix.is_none_or(|a| Some(a) == later.appendix)
}

fn check_schedule(schedule: &FeeScheduleSet) -> Vec<ConfigViolation> {
    let mut out = vec![];
    let c = &schedule.currency;
    if c.len() != 3 || !c.bytes().all(|b| b.is_ascii_uppercase()) {
        out.push(violation(
            "CONFIG-CURRENCY",
            "currency",
            format!("{c:?} is not an ISO 4217 code (three upper-case letters)"),
        ));
    }
    for (i, r) in schedule.rules.iter().enumerate() {
        for (name, amount) in [
            ("base", r.base),
            ("per_line", r.per_line),
            ("express_surcharge", r.express_surcharge),
        ] {
            if amount < 0 {
                out.push(violation(
                    "CONFIG-FEE-AMOUNT",
                    format!("rules[{i}].{name}"),
                    format!("{amount} is negative: fees are charged, never paid out"),
                ));
            }
        }
        // The first matching rule applies, so a rule behind a broader one is dead text that
        // an administrator would believe in force.
        if let Some(j) = schedule.rules[..i].iter().position(|e| shadows(e, r)) {
            out.push(violation(
                "CONFIG-FEE-UNREACHABLE",
                format!("rules[{i}]"),
                format!(
                    "never applies: rules[{j}] comes first and matches every application it would"
                ),
            ));
        }
    }
    let catch_all = |r: &FeeRule| r.document_type.is_none() && r.appendix.is_none();
    if !schedule.rules.iter().any(catch_all) {
        out.push(violation(
            "CONFIG-FEE-CATCH-ALL",
            "rules",
            "the schedule needs a last rule without conditions: an application matching no rule would otherwise be charged nothing",
        ));
    }
    out
}

/// Measure ids appear in URLs and in refusals, so they are kept to a plain token.
fn check_measure_id(id: &str, out: &mut Vec<ConfigViolation>) {
    let ok = (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if !ok {
        out.push(violation(
            "CONFIG-MEASURE-ID",
            "id",
            format!("{id:?} must be 1 to 64 letters, digits, '.', '_' or '-'"),
        ));
    }
}

fn deduplicated<T: PartialEq + Clone>(items: &[T]) -> Vec<T> {
    let mut out: Vec<T> = vec![];
    for i in items {
        if !out.contains(i) {
            out.push(i.clone());
        }
    }
    out
}

type Decision = Result<Vec<PartyConfigEvent>, PartyConfigError>;

fn valid(events: Vec<PartyConfigEvent>, violations: Vec<ConfigViolation>) -> Decision {
    if violations.is_empty() {
        Ok(events)
    } else {
        Err(PartyConfigError::Invalid(violations))
    }
}

/// The largest security-stamp number: what a signed 64-bit integer holds.
pub const MAX_STAMP: u64 = i64::MAX as u64;

pub fn decide(state: &PartySettings, command: PartyConfigCommand) -> Decision {
    use PartyConfigCommand as C;
    use PartyConfigEvent as E;
    let mut bad = vec![];
    match command {
        C::SetSecurityStampRange(range) => {
            if range.first == 0 || range.last < range.first {
                bad.push(ConfigViolation {
                    rule: "CONFIG-STAMP-RANGE",
                    field: "last".into(),
                    message: format!("a stamp range runs from a first number of at least 1 to a last number not below it, not {}..{}", range.first, range.last),
                });
            } else if range.last > MAX_STAMP {
                // Every reader stores a stamp as a signed 64-bit number (PostgreSQL bigint).
                bad.push(ConfigViolation {
                    rule: "CONFIG-STAMP-RANGE",
                    field: "last".into(),
                    message: format!("security stamp numbers end at {MAX_STAMP}"),
                });
            }
            valid(vec![E::SecurityStampRangeSet(range)], bad)
        }
        C::SetRetrospectiveIssuePolicy(policy) => {
            let event = RetrospectiveIssuePolicySet {
                exceptions_allowed: policy.exceptions_allowed,
                basis: text("basis", &policy.basis, &mut bad),
            };
            valid(vec![E::RetrospectiveIssuePolicySet(event)], bad)
        }
        C::RecordNationalEntry(entry) => {
            let bad = super::national_entries::check(&entry, state.party);
            valid(vec![E::NationalEntryRecorded(entry)], bad)
        }
        C::LiftNationalEntry(lifted) => {
            let open = state
                .national_entries
                .iter()
                .any(|e| e.id == lifted.id && e.ends_on.is_none_or(|end| lifted.lifted_on <= end));
            if !open {
                return Err(PartyConfigError::UnknownEntry(lifted.id));
            }
            let event = NationalEntryLifted {
                reason: text("reason", &lifted.reason, &mut bad),
                ..lifted
            };
            valid(vec![E::NationalEntryLifted(event)], bad)
        }
        C::SetFees(schedule) => {
            let bad = check_schedule(&schedule);
            valid(vec![E::FeeScheduleSet(schedule)], bad)
        }
        C::SetDomesticMeasure(m) => {
            check_measure_id(&m.id, &mut bad);
            let event = DomesticMeasureSet {
                description: text("description", &m.description, &mut bad),
                scientific_name: text("species", &m.scientific_name, &mut bad),
                banned_purposes: deduplicated(&m.banned_purposes),
                banned_sources: deduplicated(&m.banned_sources),
                ..m
            };
            valid(vec![E::DomesticMeasureSet(event)], bad)
        }
        C::RevokeDomesticMeasure { id, reason } => {
            if !state.domestic_measures.iter().any(|m| m.id == id) {
                return Err(PartyConfigError::UnknownMeasure(id));
            }
            let reason = text("reason", &reason, &mut bad);
            valid(
                vec![E::DomesticMeasureRevoked(DomesticMeasureRevoked {
                    id,
                    reason,
                })],
                bad,
            )
        }
        C::AddToNationalList(entry) => {
            if state.on_national_list(entry.taxon_id) {
                return Err(PartyConfigError::AlreadyListed(entry.scientific_name));
            }
            let note = entry
                .note
                .as_deref()
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(String::from);
            let event = NationalListSpeciesAdded {
                scientific_name: text("species", &entry.scientific_name, &mut bad),
                note,
                ..entry
            };
            valid(vec![E::NationalListSpeciesAdded(event)], bad)
        }
        C::RemoveFromNationalList { taxon_id } => {
            if !state.on_national_list(taxon_id) {
                return Err(PartyConfigError::NotListed(taxon_id));
            }
            Ok(vec![E::NationalListSpeciesRemoved(
                NationalListSpeciesRemoved { taxon_id },
            )])
        }
    }
}

#[cfg(test)]
#[path = "party_config_tests.rs"]
mod tests;
