//! Events about the ledger itself: a Party joining it and its signing keys.

use crate::party::PartyCode;
use crate::schema::EventPayload;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A Party's Management Authority starts keeping its permits in this ledger.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PartyRegistered {
    pub party: PartyCode,
    /// Name of the Management Authority, as it appears on permits.
    pub management_authority: String,
}

impl EventPayload for PartyRegistered {
    const AGGREGATE: &'static str = "party";
    const EVENT_TYPE: &'static str = "PartyRegistered";
    const SCHEMA_VERSION: u32 = 1;
}

/// A signing key enters service. Recorded in the log (public half only) so that the key
/// history an auditor relies on is itself signed and chained.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SigningKeyActivated {
    pub key_id: String,
    /// Base64 of the ed25519 public key.
    pub public_key: String,
    /// The key this one replaces, now verify-only.
    pub retires: Option<String>,
}

impl EventPayload for SigningKeyActivated {
    const AGGREGATE: &'static str = "keyring";
    const EVENT_TYPE: &'static str = "SigningKeyActivated";
    const SCHEMA_VERSION: u32 = 1;
}
