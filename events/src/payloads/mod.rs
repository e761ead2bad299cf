//! Event payloads, one module per aggregate family. Every payload type is listed in [`all`],
//! which is what the schema check and `ecites schemas write` walk.

pub mod ledger;

use crate::schema::{SchemaEntry, Upcasters};

pub fn all() -> Vec<SchemaEntry> {
    vec![
        SchemaEntry::of::<ledger::PartyRegistered>(),
        SchemaEntry::of::<ledger::SigningKeyActivated>(),
    ]
}

/// Upcasters for every payload version still in logs; empty while all are at v1.
pub fn upcasters() -> Upcasters {
    Upcasters::default()
}
