//! SHA-256 of an event body: what is signed, and what the next event of the aggregate links to.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;

#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(try_from = "String", into = "String")]
pub struct EventHash(pub [u8; 32]);

#[derive(Debug, thiserror::Error)]
#[error("not a 64-digit hex SHA-256 hash: {0:?}")]
pub struct InvalidHash(String);

impl EventHash {
    /// `prev_hash` of an aggregate's first event.
    pub const GENESIS: EventHash = EventHash([0u8; 32]);

    pub fn of(body: &[u8]) -> Self {
        EventHash(Sha256::digest(body).into())
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl TryFrom<String> for EventHash {
    type Error = InvalidHash;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(&s, &mut out).map_err(|_| InvalidHash(s))?;
        Ok(EventHash(out))
    }
}

impl From<EventHash> for String {
    fn from(h: EventHash) -> String {
        h.to_hex()
    }
}

impl fmt::Display for EventHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for EventHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EventHash({})", &self.to_hex()[..16])
    }
}
