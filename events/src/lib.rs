//! The eCITES ledger: signed, hash-chained events and the log that stores them.
//!
//! Every accepted action becomes an [`Envelope`] serialised once into JSON body bytes. Those
//! bytes are what is hashed (SHA-256), signed (ed25519 over the hash) and stored; verification
//! only ever hashes the stored bytes again, so nothing is re-serialised between signer and
//! auditor. Events of one aggregate are chained through `prev_hash` and numbered by `version`.
//!
//! - [`party`], [`aggregate`]: who and what an event is about, validated at the edge.
//! - [`envelope`], [`hash`]: the signed body and its chain link.
//! - [`keyring`]: per-Party signing keys, rotation, public-key export.
//! - [`log`]: the backend-neutral [`log::EventAppender`] / [`log::EventReader`] traits.
//! - [`jetstream`]: the NATS JetStream implementation.
//! - [`audit`]: verification of a whole log or an export, naming the first bad event.
//! - [`schema`], [`payloads`]: typed payloads, their JSON Schemas and upcasting.

pub mod aggregate;
pub mod audit;
pub mod audit_tree;
pub mod batch_verify;
pub mod cites;
pub mod envelope;
pub mod export;
pub mod hash;
pub mod jetstream;
pub mod keyring;
pub mod log;
pub mod memory;
pub mod merkle;
pub mod party;
pub mod payloads;
pub mod position;
pub mod schema;
pub mod tree_head;

pub use aggregate::{AggregateId, AggregateRef, AggregateType};
pub use envelope::{Actor, Envelope};
pub use hash::EventHash;
pub use keyring::{KeyId, KeyringStore, PartyKeyring, PublicKeys, Signer};
pub use log::{
    AggregateChange, AggregatePosition, AppendError, Commit, Committed, EventAppender, EventData,
    EventReader, ExpectedPosition, ReadError, RecordedEvent, StreamExtent,
};
pub use party::PartyCode;
pub use position::Position;
