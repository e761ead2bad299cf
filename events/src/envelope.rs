//! The envelope: the JSON body of every stored event. It is serialised exactly once, when the
//! event is signed; afterwards only the stored bytes are hashed and verified.

use crate::aggregate::{AggregateId, AggregateRef, AggregateType};
use crate::hash::EventHash;
use crate::party::PartyCode;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use time::OffsetDateTime;
use uuid::Uuid;

/// Who did it. Only opaque ids and the role: names and contact details stay out of the signed
/// body so that erasing personal data never breaks verification.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub user_id: String,
    pub role: String,
    pub party: PartyCode,
}

/// The signed body. `P` is the payload: raw JSON when read back, any serialisable value when
/// written.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Envelope<P = Box<RawValue>> {
    pub event_id: Uuid,
    pub party: PartyCode,
    pub aggregate_type: AggregateType,
    pub aggregate_id: AggregateId,
    pub version: u64,
    pub event_type: String,
    pub schema_version: u32,
    #[serde(with = "time::serde::rfc3339")]
    pub occurred_at: OffsetDateTime,
    pub actor: Actor,
    pub command_id: Uuid,
    pub correlation_id: Uuid,
    pub prev_hash: EventHash,
    pub payload: P,
}

impl<P> Envelope<P> {
    pub fn aggregate(&self) -> AggregateRef {
        AggregateRef {
            party: self.party,
            aggregate_type: self.aggregate_type.clone(),
            aggregate_id: self.aggregate_id.clone(),
        }
    }
}

/// NATS header names the ledger uses. The signature travels beside the body, not inside it.
pub mod headers {
    pub const MSG_ID: &str = "Nats-Msg-Id";
    pub const EXPECTED_LAST_SUBJECT_SEQUENCE: &str = "Nats-Expected-Last-Subject-Sequence";
    pub const KEY_ID: &str = "Ecites-Key-Id";
    pub const SIGNATURE: &str = "Ecites-Signature";
    pub const BATCH_ID: &str = "Nats-Batch-Id";
    pub const BATCH_SEQUENCE: &str = "Nats-Batch-Sequence";
    pub const BATCH_COMMIT: &str = "Nats-Batch-Commit";
}
