//! The Convention's small, fixed code sets as Rust types. Open-ended lists (terms, units,
//! countries) are data in `schemas/codes/`, checked against [`crate::reference::codes`].

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::fmt;

/// CITES Appendix of a listing (Art. II).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
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
