//! Export quotas (aggregate `quota`, id chosen by the Party, e.g. `lk-2026-python-regius-ski`).
//! Issuance reserves the permitted quantity, endorsement settles it at the quantity actually
//! exported, and expiry or cancellation releases it (rules QUOTA-EXCEEDED, QUOTA-SETTLE).

use crate::cites::{Quantity, SourceCode};
use crate::schema::EventPayload;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! quota_event {
    ($t:ident) => {
        impl EventPayload for $t {
            const AGGREGATE: &'static str = "quota";
            const EVENT_TYPE: &'static str = stringify!($t);
            const SCHEMA_VERSION: u32 = 1;
        }
    };
}

/// A Party's annual export quota for a taxon (CITES or a stricter national one), set or revised.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QuotaSet {
    pub taxon_id: u64,
    pub scientific_name: String,
    pub year: i32,
    /// Term code the quota counts; `None` = every term.
    pub term: Option<String>,
    /// Unit; `None` = number of specimens.
    pub unit: Option<String>,
    pub source: Option<SourceCode>,
    pub annual: Quantity,
    /// A national quota lower than the CITES one (DOMESTIC-QUOTA).
    pub domestic: bool,
    pub notes: Option<String>,
}
quota_event!(QuotaSet);

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QuotaReserved {
    pub permit_id: Uuid,
    pub permit_number: String,
    pub line_no: u32,
    pub quantity: Quantity,
}
quota_event!(QuotaReserved);

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QuotaSettled {
    pub permit_id: Uuid,
    pub line_no: u32,
    pub reserved: Quantity,
    pub exported: Quantity,
}
quota_event!(QuotaSettled);

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QuotaReleased {
    pub permit_id: Uuid,
    pub line_no: u32,
    pub quantity: Quantity,
    pub reason: String,
}
quota_event!(QuotaReleased);
