//! Aggregates are the consistency boundaries of the ledger: a permit, a quota, a numbering series.
//! Each one maps to exactly one NATS subject, so its type and id must be safe subject tokens.

use crate::party::PartyCode;
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InvalidAggregate {
    #[error(
        "aggregate type {0:?} must be 1-32 characters of a-z, 0-9 and '_', starting with a letter"
    )]
    Type(String),
    #[error("aggregate id {0:?} must be 1-128 characters of A-Z, a-z, 0-9, '-' and '_'")]
    Id(String),
}

/// The kind of aggregate (`permit`, `quota`, `numbering`…), one subject token.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AggregateType(String);

/// The identity of one aggregate within its type, one subject token.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AggregateId(String);

impl AggregateType {
    pub fn new(s: impl Into<String>) -> Result<Self, InvalidAggregate> {
        let s = s.into();
        let ok = (1..=32).contains(&s.len())
            && s.as_bytes()[0].is_ascii_lowercase()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if ok {
            Ok(Self(s))
        } else {
            Err(InvalidAggregate::Type(s))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AggregateId {
    pub fn new(s: impl Into<String>) -> Result<Self, InvalidAggregate> {
        let s = s.into();
        let ok = (1..=128).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            Ok(Self(s))
        } else {
            Err(InvalidAggregate::Id(s))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! string_newtype_impls {
    ($t:ty) => {
        impl TryFrom<String> for $t {
            type Error = InvalidAggregate;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                Self::new(s)
            }
        }
        impl From<$t> for String {
            fn from(v: $t) -> String {
                v.0
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{:?}", self.0)
            }
        }
    };
}
string_newtype_impls!(AggregateType);
string_newtype_impls!(AggregateId);

/// One aggregate of one Party: the unit of optimistic concurrency and of the hash chain.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub struct AggregateRef {
    pub party: PartyCode,
    pub aggregate_type: AggregateType,
    pub aggregate_id: AggregateId,
}

impl AggregateRef {
    pub fn new(
        party: PartyCode,
        aggregate_type: &str,
        aggregate_id: &str,
    ) -> Result<Self, InvalidAggregate> {
        Ok(Self {
            party,
            aggregate_type: AggregateType::new(aggregate_type)?,
            aggregate_id: AggregateId::new(aggregate_id)?,
        })
    }
}

impl fmt::Display for AggregateRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}/{}",
            self.party, self.aggregate_type, self.aggregate_id
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_unsafe_tokens_are_refused() {
        for bad in ["", "Permit", "per.mit", "per mit", "*", ">", "1permit"] {
            assert!(AggregateType::new(bad).is_err(), "{bad}");
        }
        for bad in ["", "a.b", "a b", "*", ">", &"x".repeat(129)] {
            assert!(AggregateId::new(bad).is_err(), "{bad}");
        }
        assert!(AggregateType::new("security_stamp").is_ok());
        assert!(AggregateId::new("0193b5e2-7c1a-7000-8000-000000000001").is_ok());
    }
}
