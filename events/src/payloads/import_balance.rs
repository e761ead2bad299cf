//! What the Party's re-exports drew on one line of one of its own import permits (aggregate
//! `import_balance`, id `<import permit id>-<line no>`; Art. III.4(a), IV.5(a)): a re-export
//! certificate naming the import it re-exports from draws its quantity at issuance, settles it
//! at the quantity actually re-exported when customs endorse it, and gives it back when it is
//! cancelled, expires, is replaced or lost. Committed in the re-export's own atomic batch, so
//! the balance never disagrees with the certificates, and two racing issuances cannot both take
//! the last of an import.

use crate::cites::Quantity;
use crate::schema::EventPayload;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! balance_event {
    ($t:ident) => {
        impl EventPayload for $t {
            const AGGREGATE: &'static str = "import_balance";
            const EVENT_TYPE: &'static str = stringify!($t);
            const SCHEMA_VERSION: u32 = 1;
        }
    };
}

/// A re-export certificate issued against the import: its line's quantity, in the import
/// line's unit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportDrawn {
    pub import_permit_id: Uuid,
    pub import_line_no: u32,
    pub reexport_permit_id: Uuid,
    pub reexport_permit_number: String,
    pub reexport_line_no: u32,
    pub quantity: Quantity,
}
balance_event!(ImportDrawn);

/// The re-export was endorsed: what it drew is settled at what left.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportDrawSettled {
    pub reexport_permit_id: Uuid,
    pub reexport_line_no: u32,
    pub drawn: Quantity,
    pub reexported: Quantity,
}
balance_event!(ImportDrawSettled);

/// The re-export certificate was cancelled, expired, replaced or lost unused: what it drew is
/// available again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportDrawReleased {
    pub reexport_permit_id: Uuid,
    pub reexport_line_no: u32,
    pub quantity: Quantity,
    /// The event that released it (`PermitCancelled`, `PermitExpired`…).
    pub reason: String,
}
balance_event!(ImportDrawReleased);
