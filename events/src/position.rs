//! A place in the log: a Party's stream and a sequence in it, written `LK:123` wherever it
//! travels (the read-your-writes token of every command answer, `X-Ecites-Position`, the
//! receipts). One type, so that the token is built and read in one place.

use crate::party::PartyCode;
use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Position {
    pub party: PartyCode,
    pub sequence: u64,
}

impl Position {
    pub fn new(party: PartyCode, sequence: u64) -> Self {
        Self { party, sequence }
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.party, self.sequence)
    }
}

/// Why a text is not a position.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PositionError {
    #[error("a position is <ISO2>:<sequence>, e.g. LK:123")]
    Shape,
    #[error("{0:?} is not a Party code")]
    Party(String),
    #[error("{0:?} is not a sequence (digits only)")]
    Sequence(String),
}

impl FromStr for Position {
    type Err = PositionError;

    /// `LK:123`, surrounding blanks ignored; the sequence in digits only (no sign, no blank).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (party, sequence) = s.trim().split_once(':').ok_or(PositionError::Shape)?;
        let party: PartyCode = party
            .parse()
            .map_err(|_| PositionError::Party(party.into()))?;
        if sequence.is_empty() || !sequence.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PositionError::Sequence(sequence.into()));
        }
        let sequence = sequence
            .parse()
            .map_err(|_| PositionError::Sequence(sequence.into()))?;
        Ok(Self { party, sequence })
    }
}

impl serde::Serialize for Position {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Position {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_position_reads_back_what_it_writes_and_refuses_the_rest() {
        let p: Position = " LK:123 ".parse().unwrap();
        assert_eq!(p.to_string(), "LK:123");
        assert_eq!(p.sequence, 123);
        for bad in [
            "LK",
            "LK:",
            "LK:-1",
            "LK:+1",
            "LK:1 2",
            "L:1",
            "LK:99999999999999999999",
        ] {
            assert!(bad.parse::<Position>().is_err(), "{bad}");
        }
    }
}
