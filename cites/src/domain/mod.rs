//! The pure CITES domain: no I/O. Decisions are `decide(state, command, context)` and
//! `evolve(state, event)`; the context carries everything from outside (the listing in force,
//! quotas, suspensions, domestic measures, the clock) and the events record what was seen.

pub mod account;
pub mod aggregate;
pub mod codes;
pub mod context;
#[cfg(test)]
pub mod given;
pub mod import_balance;
pub mod lifecycle;
pub mod national_entries;
pub mod organisation;
pub mod party_config;
pub mod permit;
pub mod quota;
pub mod registration_number;
pub mod rules;
pub mod specimens;
#[cfg(test)]
pub mod testing;
pub mod units;
