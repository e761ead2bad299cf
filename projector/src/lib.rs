//! The projector: builds PostgreSQL read models, and the verified archive, from each Party's
//! stream (brief §5).
//!
//! - [`db`]: schemas, migrations, connections.
//! - [`batch`]: one batch and its checkpoint in one transaction, guarded so a replayed batch
//!   is a no-op.
//! - [`read_models`]: the read models (permits, trade records, timelines, payments, dashboards,
//!   organisations, taxa, quotas, configuration).
//! - [`archive`]: every event verbatim, verified as it is stored.
//! - [`runner`]: the live projector: one active instance per projection (advisory lock), the
//!   others standing by; follows every Party's stream.
//! - [`replay`]: rebuild into fresh tables from sequence 1 and swap.
//! - [`status`]: checkpoints, heads and lag, as Prometheus text at `/metrics`.
//! - [`storable`]: the stand-ins for text PostgreSQL cannot hold (a NUL in a signed event).

pub mod archive;
pub mod batch;
pub mod db;
pub mod proofs;
pub mod read_models;
pub mod replay;
pub mod runner;
pub mod status;
pub mod storable;
pub mod tree;
pub mod tree_heads;
pub mod witness;

use ecites_events::{PartyCode, ReadError};

pub const SERVICE: &str = "ecites-projector";

/// The projections this service maintains.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Projection {
    ReadModels,
    Archive,
    /// The Merkle tree over each stream (signed tree heads, proofs).
    Tree,
}

impl Projection {
    pub const ALL: [Projection; 3] = [
        Projection::ReadModels,
        Projection::Archive,
        Projection::Tree,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::ReadModels => "read_models",
            Self::Archive => "archive",
            Self::Tree => "tree",
        }
    }

    pub fn migrator(self) -> &'static sqlx::migrate::Migrator {
        match self {
            Self::ReadModels => &db::READ_MODELS,
            Self::Archive => &db::ARCHIVE,
            Self::Tree => &db::TREE,
        }
    }

    pub fn live_schema(self) -> &'static str {
        match self {
            Self::ReadModels => db::ACTIVE_SCHEMA,
            Self::Archive => db::ARCHIVE_SCHEMA,
            Self::Tree => db::TREE_SCHEMA,
        }
    }

    /// The advisory-lock key of the projection's one active instance in a database.
    pub fn lock_key(self) -> i64 {
        match self {
            Self::ReadModels => 0x6563_6974_0001,
            Self::Archive => 0x6563_6974_0002,
            Self::Tree => 0x6563_6974_0004,
        }
    }
}

/// Held by `ecites replay` while it builds the next generation.
pub const REPLAY_LOCK_KEY: i64 = 0x6563_6974_0003;

#[derive(Debug, thiserror::Error)]
pub enum ProjectionError {
    #[error("event at sequence {sequence} ({event_type}) cannot be projected: {reason}; the projector stopped there and skipped nothing")]
    Event {
        sequence: u64,
        event_type: String,
        reason: String,
    },
    #[error("event at sequence {sequence} ({subject}) fails verification: {reason}; the projector stopped there and skipped nothing")]
    Verification {
        sequence: u64,
        subject: String,
        reason: String,
    },
    #[error("the stream of Party {party} has no event at sequence {sequence} (the checkpoint is {checkpoint}): the log lost events; see `ecites audit verify` and `ecites restore`")]
    MissingSequence {
        party: PartyCode,
        sequence: u64,
        checkpoint: u64,
    },
    #[error("the stream of Party {party} ends at sequence {last}, below the {checkpoint} already applied: the log lost its tail (and may be reusing those sequences for new events); see `ecites audit verify` and `ecites restore`")]
    StreamShrank {
        party: PartyCode,
        last: u64,
        checkpoint: u64,
    },
    #[error("another `ecites replay` is running on this database")]
    ReplayRunning,
    #[error("PostgreSQL: {0}")]
    Sql(#[from] sqlx::Error),
    #[error(transparent)]
    Db(#[from] db::DbError),
    #[error("reading the log: {0}")]
    Read(#[from] ReadError),
}

impl ProjectionError {
    /// Whether trying again later may succeed without anyone changing anything: the log or
    /// the database went away (a restart, a leader change, a dropped connection). An event
    /// that cannot be applied, or a stream that lacks one, fails the same way every time.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Event { .. }
            | Self::Verification { .. }
            | Self::MissingSequence { .. }
            | Self::StreamShrank { .. } => false,
            Self::ReplayRunning => true,
            Self::Sql(e) => sql_transient(e),
            Self::Db(db::DbError::Sql(e)) => sql_transient(e),
            Self::Db(_) => true,
            Self::Read(_) => true,
        }
    }

    /// The stream sequence this error is about, when there is one.
    pub fn sequence(&self) -> Option<u64> {
        match self {
            Self::Event { sequence, .. }
            | Self::Verification { sequence, .. }
            | Self::MissingSequence { sequence, .. } => Some(*sequence),
            Self::StreamShrank { last, .. } => Some(*last + 1),
            _ => None,
        }
    }
}

/// A database error caused by the data (SQLSTATE class 22 "data exception", 23 "integrity
/// constraint violation") fails again on the same batch; anything else (I/O, a closed pool, an
/// administrator shutdown, a serialisation failure) may pass on the next try.
fn sql_transient(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(d) => !d
            .code()
            .is_some_and(|c| c.starts_with("22") || c.starts_with("23")),
        sqlx::Error::ColumnDecode { .. }
        | sqlx::Error::Decode(_)
        | sqlx::Error::TypeNotFound { .. } => false,
        _ => true,
    }
}
