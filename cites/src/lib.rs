//! The CITES vocabulary and rules, below both the command side and the read side: the pure
//! domain ([`domain`]: the aggregates' `decide`/`evolve`, the rules catalogue, the lifecycle)
//! and the reference data it consults ([`reference`]: code lists, the species catalogue,
//! Species+ answers), and the documents exchanged with other Parties ([`epermit`]: the CITES
//! e-permit XML; [`seal`]: the printed permit's QR seal). Pure by construction: nothing here
//! can reach a runtime, a socket, a database or the log, because none of those crates is a
//! dependency.

pub mod domain;
pub mod epermit;
pub mod reference;
pub mod seal;
