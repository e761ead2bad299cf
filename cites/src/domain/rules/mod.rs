//! The CITES rules catalogue (`docs/reference/rules.md`): one named function per rule,
//! each with its stable id and the article or resolution it comes from.
//!
//! A rule returns findings: a refusal stops the command and nothing is written; a warning is
//! recorded in the event and shown to the officer.

pub mod catalogue;
pub mod checks;
pub mod data;
pub mod document;
pub mod endorsement;
pub mod findings;
pub mod issuance;
pub mod population;
pub mod reexport;
pub mod source;
pub mod trade;

use ecites_events::payloads::permit::RuleFinding;

/// A rule of the catalogue: its stable id and the article or resolution it comes from
/// ([`catalogue`] declares each once).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    pub id: &'static str,
    pub source: &'static str,
}

impl Rule {
    pub const fn new(id: &'static str, source: &'static str) -> Self {
        Self { id, source }
    }

    /// A refusal by this rule: the command fails and nothing is written.
    pub fn refuse(self, message: impl Into<String>) -> Finding {
        Finding::refuse(self.id, self.source, message)
    }

    /// A warning by this rule, recorded and shown to the officer.
    pub fn warn(self, message: impl Into<String>) -> Finding {
        Finding::warn(self.id, self.source, message)
    }
}

/// One rule's verdict on an application, a line or a field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub rule: &'static str,
    /// The article or resolution the rule comes from.
    pub source: &'static str,
    pub refuse: bool,
    pub message: String,
    /// JSON path of the offending input, e.g. `lines[0].source`.
    pub field: Option<String>,
}

impl Finding {
    pub fn refuse(rule: &'static str, source: &'static str, message: impl Into<String>) -> Self {
        Self {
            rule,
            source,
            refuse: true,
            message: message.into(),
            field: None,
        }
    }

    pub fn warn(rule: &'static str, source: &'static str, message: impl Into<String>) -> Self {
        Self {
            refuse: false,
            ..Self::refuse(rule, source, message)
        }
    }

    pub fn at(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn recorded(&self) -> RuleFinding {
        RuleFinding {
            rule: self.rule.to_string(),
            warning: !self.refuse,
            message: format!("{} ({})", self.message, self.source),
            field: self.field.clone(),
        }
    }
}

/// Splits findings into refusals (if any, the command fails) and warnings (recorded).
pub fn verdict(findings: Vec<Finding>) -> Result<Vec<RuleFinding>, Vec<Finding>> {
    let (refusals, warnings): (Vec<_>, Vec<_>) = findings.into_iter().partition(|f| f.refuse);
    if refusals.is_empty() {
        Ok(warnings.iter().map(Finding::recorded).collect())
    } else {
        Err(refusals)
    }
}

pub(crate) fn line_field(i: usize, name: &str) -> String {
    format!("lines[{i}].{name}")
}

#[cfg(test)]
mod lifecycle_tests;
#[cfg(test)]
mod population_tests;
#[cfg(test)]
mod retrospective_tests;
#[cfg(test)]
mod tests;
