//! CITES Parties are identified by their ISO 3166-1 alpha-2 code.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A Party (or any trading country) by its two-letter ISO code, stored upper case.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PartyCode([u8; 2]);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("party code {0:?} is not a two-letter ISO 3166-1 alpha-2 code")]
pub struct InvalidPartyCode(pub String);

impl PartyCode {
    pub fn as_str(&self) -> &str {
        // Only ASCII letters are ever stored (checked in from_str).
        std::str::from_utf8(&self.0).unwrap_or("??")
    }

    /// Lower-case form used in NATS subjects (`ecites.lk.permit.<id>`).
    pub fn subject_token(&self) -> String {
        self.as_str().to_ascii_lowercase()
    }
}

impl FromStr for PartyCode {
    type Err = InvalidPartyCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let b = s.as_bytes();
        if b.len() != 2 || !b.iter().all(u8::is_ascii_alphabetic) {
            return Err(InvalidPartyCode(s.to_string()));
        }
        Ok(PartyCode([
            b[0].to_ascii_uppercase(),
            b[1].to_ascii_uppercase(),
        ]))
    }
}

impl TryFrom<String> for PartyCode {
    type Error = InvalidPartyCode;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<PartyCode> for String {
    fn from(p: PartyCode) -> String {
        p.as_str().to_string()
    }
}

impl fmt::Display for PartyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for PartyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PartyCode({})", self.as_str())
    }
}

impl schemars::JsonSchema for PartyCode {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "PartyCode".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "pattern": "^[A-Z]{2}$" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_normalises_case() {
        let p: PartyCode = "lk".parse().unwrap();
        assert_eq!(p.as_str(), "LK");
        assert_eq!(p.subject_token(), "lk");
    }

    #[test]
    fn rejects_non_alpha2() {
        for bad in ["", "L", "LKA", "L1", "l.", "é"] {
            assert!(bad.parse::<PartyCode>().is_err(), "{bad}");
        }
    }
}
