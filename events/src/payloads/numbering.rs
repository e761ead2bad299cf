//! Gapless per-Party permit numbers and security-stamp numbers (Res. Conf. 12.3: PERMIT-NUMBERING,
//! PERMIT-SECURITY-STAMP). Each allocation is committed in the same atomic batch as the
//! `PermitIssued` it serves, so a refused issuance leaves no gap.

use crate::schema::EventPayload;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The next document number of a Party's yearly series (aggregate `numbering`, id `<iso2>-<year>`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PermitNumberAllocated {
    pub year: i32,
    pub sequence: u64,
    pub permit_number: String,
    pub permit_id: Uuid,
}

impl EventPayload for PermitNumberAllocated {
    const AGGREGATE: &'static str = "numbering";
    const EVENT_TYPE: &'static str = "PermitNumberAllocated";
    const SCHEMA_VERSION: u32 = 1;
}

/// The next security stamp of the Party's stock (aggregate `security_stamp`, id `<iso2>`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SecurityStampAllocated {
    pub stamp_number: u64,
    pub permit_id: Uuid,
}

impl EventPayload for SecurityStampAllocated {
    const AGGREGATE: &'static str = "security_stamp";
    const EVENT_TYPE: &'static str = "SecurityStampAllocated";
    const SCHEMA_VERSION: u32 = 1;
}
