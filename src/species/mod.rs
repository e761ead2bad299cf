//! The species catalogue in the ledger: Species+ answers in, `TaxonRecorded` events out, and
//! the catalogue the rules consult rebuilt from those events.
//!
//! - [`answers`]: the answers an import works from, read from a directory of saved answers.
//! - [`client`]: the live Species+ API client (token header, pagination, backoff).
//! - [`import`]: recording new and changed taxa in a Party's log, and reading them back.
//!
//! Decisions never call Species+: they see the catalogue built from the log, so a replay sees
//! the taxa exactly as they were recorded.

pub mod answers;
pub mod client;
pub mod import;
pub mod job;

pub use answers::{AnswersError, SpeciesAnswers};
pub use client::{ClientConfig, ClientError, RetryPolicy, SpeciesPlusClient};
pub use import::{
    catalogue_from_log, catalogue_from_logs, command_id, import, recorded_taxa, ImportReport,
    RecordedTaxon, SpeciesLogError,
};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::sync::{Arc, Mutex};

/// Whether long steps draw a progress bar on stderr (it draws only on a terminal), or report
/// to an [`Observer`] (the import job of `ecites serve`).
#[derive(Clone, Debug)]
pub enum Progress {
    Hidden,
    Stderr,
    Observed(Arc<Observer>),
}

/// The step a long operation is at, readable from another task: its name and its bar.
#[derive(Debug, Default)]
pub struct Observer {
    step: Mutex<Option<(&'static str, ProgressBar)>>,
}

impl Observer {
    /// The current step's name (the bar's message) and its position and length.
    pub fn step(&self) -> Option<(&'static str, u64, u64)> {
        let step = self.step.lock().ok()?;
        let (what, bar) = step.as_ref()?;
        Some((what, bar.position(), bar.length().unwrap_or(0)))
    }
}

impl Progress {
    pub(crate) fn bar(&self, len: u64, what: &'static str) -> ProgressBar {
        let target = match self {
            Self::Hidden | Self::Observed(_) => ProgressDrawTarget::hidden(),
            Self::Stderr => ProgressDrawTarget::stderr(),
        };
        let bar = ProgressBar::with_draw_target(Some(len), target);
        let style = ProgressStyle::with_template("{msg} {bar:40} {pos}/{len} (eta {eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_message(what);
        if let Self::Observed(o) = self {
            if let Ok(mut step) = o.step.lock() {
                *step = Some((what, bar.clone()));
            }
        }
        bar
    }
}
