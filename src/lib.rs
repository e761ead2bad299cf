//! The `ecites` binary as a library, so that tests drive the same code paths as operators.
//!
//! - [`config`]: layered configuration (defaults, `ecites.toml`, `ECITES_*` environment).
//! - [`cli`]: the commands: `serve`, `keys`, `party`, `audit`, `schemas`, `demo`.

pub mod cli;
pub mod config;
