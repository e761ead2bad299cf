//! Reference data the decisions consult: CITES code lists and the species catalogue.
//!
//! Everything here is pure: the code lists are compiled into the binary and the species
//! catalogue is built from Species+ answers that the caller has already fetched, so a decision
//! never waits on the network and a replay sees the same data it was given.

pub mod codes;
pub mod country_names;
mod data;
pub use data::{ReferenceData, ReferenceError};
mod codes_parse;
mod dates;
mod listing_history;
pub mod species;
mod species_build;
mod species_demo;
pub mod species_import;
pub mod speciesplus;
