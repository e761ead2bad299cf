//! The Convention's small, fixed code sets as Rust types, shared by event payloads and the
//! rules engine. Open-ended lists (terms, units,
//! countries) are data in `schemas/codes/`, checked by the command service's reference module.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::fmt;

/// CITES Appendix of a listing (Art. II).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
pub enum Appendix {
    I,
    II,
    III,
}

impl Appendix {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "I" => Some(Self::I),
            "II" => Some(Self::II),
            "III" => Some(Self::III),
            _ => None,
        }
    }
}

impl fmt::Display for Appendix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::I => "I",
            Self::II => "II",
            Self::III => "III",
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum Kingdom {
    Animalia,
    Plantae,
}

/// Source of the specimens (Res. Conf. 12.3 annex; reference §3.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum SourceCode {
    #[serde(rename = "W")]
    Wild,
    #[serde(rename = "X")]
    IntroducedFromTheSea,
    #[serde(rename = "R")]
    Ranched,
    #[serde(rename = "D")]
    RegisteredOperation,
    #[serde(rename = "A")]
    ArtificiallyPropagated,
    #[serde(rename = "C")]
    BredInCaptivity,
    #[serde(rename = "F")]
    BornInCaptivity,
    #[serde(rename = "Y")]
    AssistedProduction,
    #[serde(rename = "U")]
    Unknown,
    #[serde(rename = "I")]
    Confiscated,
    #[serde(rename = "O")]
    PreConvention,
}

impl SourceCode {
    pub const ALL: [SourceCode; 11] = [
        Self::Wild,
        Self::IntroducedFromTheSea,
        Self::Ranched,
        Self::RegisteredOperation,
        Self::ArtificiallyPropagated,
        Self::BredInCaptivity,
        Self::BornInCaptivity,
        Self::AssistedProduction,
        Self::Unknown,
        Self::Confiscated,
        Self::PreConvention,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Wild => "W",
            Self::IntroducedFromTheSea => "X",
            Self::Ranched => "R",
            Self::RegisteredOperation => "D",
            Self::ArtificiallyPropagated => "A",
            Self::BredInCaptivity => "C",
            Self::BornInCaptivity => "F",
            Self::AssistedProduction => "Y",
            Self::Unknown => "U",
            Self::Confiscated => "I",
            Self::PreConvention => "O",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == s.trim())
    }
}

/// Purpose of the transaction (reference §3.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum PurposeCode {
    #[serde(rename = "B")]
    Breeding,
    #[serde(rename = "E")]
    Educational,
    #[serde(rename = "G")]
    BotanicalGarden,
    #[serde(rename = "H")]
    HuntingTrophy,
    #[serde(rename = "L")]
    LawEnforcement,
    #[serde(rename = "M")]
    Medical,
    #[serde(rename = "N")]
    Reintroduction,
    #[serde(rename = "P")]
    Personal,
    #[serde(rename = "Q")]
    Circus,
    #[serde(rename = "S")]
    Scientific,
    #[serde(rename = "T")]
    Commercial,
    #[serde(rename = "Z")]
    Zoo,
}

impl PurposeCode {
    pub const ALL: [PurposeCode; 12] = [
        Self::Breeding,
        Self::Educational,
        Self::BotanicalGarden,
        Self::HuntingTrophy,
        Self::LawEnforcement,
        Self::Medical,
        Self::Reintroduction,
        Self::Personal,
        Self::Circus,
        Self::Scientific,
        Self::Commercial,
        Self::Zoo,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Breeding => "B",
            Self::Educational => "E",
            Self::BotanicalGarden => "G",
            Self::HuntingTrophy => "H",
            Self::LawEnforcement => "L",
            Self::Medical => "M",
            Self::Reintroduction => "N",
            Self::Personal => "P",
            Self::Circus => "Q",
            Self::Scientific => "S",
            Self::Commercial => "T",
            Self::Zoo => "Z",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == s.trim())
    }
}

/// The CITES documents this system issues.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DocumentType {
    ExportPermit,
    ReExportCertificate,
    ImportPermit,
    CertificateOfOrigin,
    PreConventionCertificate,
    CaptiveBreedingCertificate,
    IntroductionFromTheSea,
}

impl DocumentType {
    /// Months of validity from the issue date (Art. VI.2; Res. Conf. 12.3; rule PERMIT-VALIDITY).
    pub fn validity_months(self) -> u8 {
        match self {
            Self::ExportPermit | Self::ReExportCertificate => 6,
            _ => 12,
        }
    }

    /// Box 1 type code of the e-permit XML: E, R, I or O.
    pub fn type_code(self) -> &'static str {
        match self {
            Self::ExportPermit => "E",
            Self::ReExportCertificate => "R",
            Self::ImportPermit => "I",
            _ => "O",
        }
    }
}

/// A quantity of specimens as a decimal with at most three decimals, stored in thousandths so
/// that sums and comparisons are exact. Written and read as a decimal string ("12.5").
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Quantity(i64);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum QuantityError {
    #[error("{0:?} is not a decimal number")]
    NotANumber(String),
    #[error("{0:?} has more than three decimals")]
    TooPrecise(String),
    #[error("{0:?} is too large")]
    TooLarge(String),
}

impl Quantity {
    pub const ZERO: Quantity = Quantity(0);

    pub fn from_thousandths(t: i64) -> Self {
        Quantity(t)
    }
    pub fn thousandths(self) -> i64 {
        self.0
    }
    pub fn whole(n: i64) -> Self {
        Quantity(n.saturating_mul(1000))
    }
    pub fn is_positive(self) -> bool {
        self.0 > 0
    }
    pub fn decimals(self) -> u32 {
        match self.0 % 1000 {
            0 => 0,
            r if r % 100 == 0 => 1,
            r if r % 10 == 0 => 2,
            _ => 3,
        }
    }
    pub fn checked_add(self, other: Quantity) -> Option<Quantity> {
        self.0.checked_add(other.0).map(Quantity)
    }
    pub fn saturating_sub(self, other: Quantity) -> Quantity {
        Quantity(self.0.saturating_sub(other.0))
    }

    pub fn parse(s: &str) -> Result<Self, QuantityError> {
        let t = s.trim();
        let (neg, digits) = t.strip_prefix('-').map_or((false, t), |r| (true, r));
        let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
        let ok = !int.is_empty()
            && int.bytes().all(|b| b.is_ascii_digit())
            && frac.bytes().all(|b| b.is_ascii_digit());
        if !ok {
            return Err(QuantityError::NotANumber(s.into()));
        }
        if frac.len() > 3 {
            return Err(QuantityError::TooPrecise(s.into()));
        }
        let int: i64 = int.parse().map_err(|_| QuantityError::TooLarge(s.into()))?;
        let frac_t: i64 = format!("{frac:0<3}").parse().unwrap_or(0);
        let v = int
            .checked_mul(1000)
            .and_then(|v| v.checked_add(frac_t))
            .ok_or_else(|| QuantityError::TooLarge(s.into()))?;
        // "-0" says nothing a "0" does not, and a signed minus on nothing is a client bug.
        if neg && v == 0 {
            return Err(QuantityError::NotANumber(s.into()));
        }
        Ok(Quantity(if neg { -v } else { v }))
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let a = self.0.unsigned_abs();
        let (int, frac) = (a / 1000, a % 1000);
        if frac == 0 {
            write!(f, "{sign}{int}")
        } else {
            let s = format!("{frac:03}");
            write!(f, "{sign}{int}.{}", s.trim_end_matches('0'))
        }
    }
}

impl Serialize for Quantity {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Quantity::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for Quantity {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Quantity".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "pattern": "^-?[0-9]+(\\.[0-9]{1,3})?$" })
    }
}

/// An amount of money in integer minor units of an ISO 4217 currency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Money {
    pub minor_units: i64,
    pub currency: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_are_exact_decimals() {
        assert_eq!(Quantity::parse("12.5").unwrap().thousandths(), 12_500);
        assert_eq!(Quantity::parse("0.125").unwrap().to_string(), "0.125");
        assert_eq!(Quantity::parse("3").unwrap().to_string(), "3");
        assert_eq!(Quantity::parse("1.10").unwrap().decimals(), 1);
        assert!(Quantity::parse("-0").is_err());
        assert!(Quantity::parse("-0.000").is_err());
        assert_eq!(Quantity::parse("-1.5").unwrap().thousandths(), -1500);
        assert!(matches!(
            Quantity::parse("1.2345"),
            Err(QuantityError::TooPrecise(_))
        ));
        for bad in ["", "abc", "1e3", "1,5", ".5", "--1"] {
            assert!(Quantity::parse(bad).is_err(), "{bad}");
        }
    }
}

/// A calendar date written `YYYY-MM-DD` (ISO 8601), as on permits and in annual reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IsoDate(pub time::Date);

const ISO_DATE: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

impl IsoDate {
    pub fn parse(s: &str) -> Result<Self, time::error::Parse> {
        time::Date::parse(s.trim(), ISO_DATE).map(IsoDate)
    }
    pub fn date(self) -> time::Date {
        self.0
    }
}

impl From<time::Date> for IsoDate {
    fn from(d: time::Date) -> Self {
        IsoDate(d)
    }
}

impl fmt::Display for IsoDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0.format(ISO_DATE).map_err(|_| fmt::Error)?;
        f.write_str(&s)
    }
}

impl Serialize for IsoDate {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for IsoDate {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        IsoDate::parse(&s)
            .map_err(|e| serde::de::Error::custom(format!("{s:?} is not a YYYY-MM-DD date: {e}")))
    }
}

impl JsonSchema for IsoDate {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "IsoDate".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "format": "date" })
    }
}
