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

pub use answers::{AnswersError, SpeciesAnswers};
pub use client::{ClientConfig, ClientError, RetryPolicy, SpeciesPlusClient};
pub use import::{
    catalogue_from_log, catalogue_from_logs, command_id, import, recorded_taxa, ImportReport,
    RecordedTaxon, SpeciesLogError,
};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Whether long steps draw a progress bar on stderr (it draws only on a terminal).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    Hidden,
    Stderr,
}

impl Progress {
    pub(crate) fn bar(self, len: u64, what: &'static str) -> ProgressBar {
        let target = match self {
            Self::Hidden => ProgressDrawTarget::hidden(),
            Self::Stderr => ProgressDrawTarget::stderr(),
        };
        let bar = ProgressBar::with_draw_target(Some(len), target);
        let style = ProgressStyle::with_template("{msg} {bar:40} {pos}/{len} (eta {eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_message(what);
        bar
    }
}
