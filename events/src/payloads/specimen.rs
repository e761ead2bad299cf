//! Specimens of the Management Authority's signatures and stamp (aggregate `specimens`, id =
//! the Party's ISO code in lower case): what other Parties and customs compare a paper permit's
//! box 13 with. Each image travels in its event, named by its SHA-256, so the log alone proves
//! which specimen was in force when, who recorded it and who withdrew it.

use crate::schema::EventPayload;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! specimen_event {
    ($t:ident) => {
        impl EventPayload for $t {
            const AGGREGATE: &'static str = "specimens";
            const EVENT_TYPE: &'static str = stringify!($t);
            const SCHEMA_VERSION: u32 = 1;
        }
    };
}

/// What a specimen shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SpecimenKind {
    /// A signatory's signature (box 13).
    Signature,
    /// The Management Authority's stamp or seal (box 13).
    Stamp,
}

impl SpecimenKind {
    pub const fn wire(self) -> &'static str {
        match self {
            Self::Signature => "signature",
            Self::Stamp => "stamp",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SpecimenRecorded {
    pub specimen_id: Uuid,
    pub kind: SpecimenKind,
    /// The signatory's user id, for a signature (none for the stamp).
    pub signatory: Option<String>,
    /// The signatory's name as printed under the signature, or what the stamp is.
    pub name: String,
    /// `image/png`.
    pub media_type: String,
    /// Lower-case hex SHA-256 of the image bytes: the specimen's name everywhere.
    pub sha256: String,
    /// The image bytes, base64 (standard alphabet, padded).
    pub image: String,
}
specimen_event!(SpecimenRecorded);

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SpecimenWithdrawn {
    pub specimen_id: Uuid,
    pub reason: String,
}
specimen_event!(SpecimenWithdrawn);
