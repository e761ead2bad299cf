//! The `ecites` binary as a library, so that tests drive the same code paths as operators.
//!
//! - [`config`]: layered configuration (defaults, `ecites.toml`, `ECITES_*` environment).
//! - [`cli`]: the commands: `serve`, `keys`, `party`, `audit`, `schemas`, `demo`.
//! - [`expiry`]: the sweep that expires permits past their validity.
//! - [`species`]: the Species+ checklist imported as events, and the catalogue rebuilt from them.

pub mod cli;
pub mod config;
pub mod expiry;
pub mod species;
