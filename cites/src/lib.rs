//! The CITES vocabulary and rules, below both the command side and the read side: the pure
//! domain ([`domain`]: the aggregates' `decide`/`evolve`, the rules catalogue, the lifecycle)
//! and the reference data it consults ([`reference`]: code lists, the species catalogue,
//! Species+ answers). Pure by construction: nothing here can reach a runtime, a socket, a
//! database or the log, because none of those crates is a dependency.

pub mod domain;
pub mod reference;
pub mod seal;
