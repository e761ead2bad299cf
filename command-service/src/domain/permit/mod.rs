//! The permit aggregate: an application from submission to a used, expired or void permit.

pub mod command;
pub mod decide;
pub mod event;
pub mod state;

pub use command::PermitCommand;
pub use decide::{decide, PermitError};
pub use event::PermitEvent;
pub use state::{evolve, PermitState, PermitStatus};
