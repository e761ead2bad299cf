//! A permit as the e-permit XML carries it: the boxes of the standard form (Res. Conf. 12.3
//! Annex 2), each field named by its box.
//!
//! Absent and empty are the same thing on the wire (real documents are full of empty
//! elements), so an optional text is `None` when absent and a required one is empty; a
//! `Some("")` is written as absent and reads back as `None`. Texts are kept trimmed.
//! Quantities are exact decimals ([`Quantity`]), never floats, so that a round trip is
//! lossless. Codes the Convention fixes (appendix, source, purpose) are typed; open lists
//! (terms, units) are validated strings, because another Party may use a code this ledger's
//! lists do not have yet.

use ecites_events::cites::{Appendix, DocumentType, IsoDate, PurposeCode, Quantity, SourceCode};
use ecites_events::PartyCode;
use serde::{Deserialize, Serialize};

/// Box 1: the kind of document (`HeaderExchangedDocument/TypeCode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EPermitType {
    /// `E`
    Export,
    /// `R`
    ReExport,
    /// `I`
    Import,
    /// `O`: every certificate (origin, pre-Convention, captive breeding, introduction from
    /// the sea); which one is said in [`EPermit::document_name`].
    Other,
}

impl EPermitType {
    pub const ALL: [EPermitType; 4] = [Self::Export, Self::ReExport, Self::Import, Self::Other];

    pub fn code(self) -> &'static str {
        match self {
            Self::Export => "E",
            Self::ReExport => "R",
            Self::Import => "I",
            Self::Other => "O",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.code() == s.trim())
    }
}

impl From<DocumentType> for EPermitType {
    fn from(d: DocumentType) -> Self {
        Self::parse(d.type_code()).unwrap_or(Self::Other)
    }
}

/// A postal address as `PostalTradeAddress` splits it; the country is beside it, on the
/// party, because it is a box of its own (3a, and the issuing Party of box 6).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    /// `StreetName*`: one per address line.
    pub street: Vec<String>,
    pub po_box: Option<String>,
    pub city: Option<String>,
    pub postcode: Option<String>,
    /// `CountrySubDivisionName`: state, province, district.
    pub subdivision: Option<String>,
}

/// The importer (box 3, 3a) or the exporter or re-exporter (box 4).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trader {
    pub name: String,
    pub address: Address,
    /// ISO 3166-1 alpha-2 (`CountryID`; v1 `CountryIdentificationTradeCountry/ID`).
    pub country: PartyCode,
}

/// Box 6: the Management Authority that issued the document. Its country is
/// [`EPermit::issuing_party`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManagementAuthority {
    pub name: String,
    pub address: Address,
    /// `SpecifiedRepresentativePerson/Name`.
    pub representative: Option<String>,
}

/// A document a line refers to: the permit of the country of origin (box 12) or the
/// certificate of the country of last re-export (box 12a).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentRef {
    /// `OriginTradeCountry/ID` or `ExportTradeCountry/ID`.
    pub country: PartyCode,
    /// `AssociatedReferencedDocument/ID` (TypeCode 861 or 811).
    pub number: Option<String>,
    /// `AssociatedReferencedDocument/IssueDateTime`.
    pub date: Option<IsoDate>,
}

/// Box 11a: what the quota had used, this line included, and the year's quota.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotaFigures {
    pub used_to_date: Option<Quantity>,
    pub annual: Option<Quantity>,
    /// The quota's unit (`@unitCode`); `None`: number of specimens.
    pub unit: Option<String>,
}

/// One species line (`IncludedSupplyChainConsignmentItem`): boxes 7–12b, and box 14's actual
/// quantity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EPermitLine {
    /// The item's `ID`: the key `ConfirmQuantities/CitesPosition/ID` names a line by. The
    /// ledger writes the line number; a foreign document may use anything (`A`, `B`).
    pub id: String,
    /// Box 7.
    pub scientific_name: String,
    /// Box 8.
    pub common_name: Option<String>,
    /// Box 9, the words (`SpecifiedTradeProduct/Description`).
    pub description: Option<String>,
    /// Box 9, the CITES term code (`SpecifiedTradeProduct/TypeCode`), e.g. `LPS`.
    pub term: Option<String>,
    /// Box 9, marks (`PhysicalLogisticsShippingMarks/Marking`).
    pub marks: Vec<String>,
    /// Box 10 (`IncludedSupplyChainTradeLineItem/TypeCode`).
    pub appendix: Option<Appendix>,
    /// Box 10 (`IncludedSupplyChainTradeLineItem/TypeExtensionCode`).
    pub source: Option<SourceCode>,
    /// Box 11 (`TransportLogisticsPackage/ItemQuantity`).
    pub quantity: Quantity,
    /// Box 11's unit, a CITES unit code (UN/ECE Rec 20 codes are read as their CITES
    /// equal: `KGM` is `KIL`); `None`: number of specimens.
    pub unit: Option<String>,
    /// Box 11a.
    pub quota: Option<QuotaFigures>,
    /// Box 12.
    pub origin: Option<DocumentRef>,
    /// Box 12a.
    pub last_reexport: Option<DocumentRef>,
    /// Box 12b: the registered operation's number (`PreviousReferencedDocument/ID`).
    pub registered_operation: Option<String>,
    /// Box 12b: the pre-Convention acquisition date (`AcquisitionDateTime`).
    pub acquisition_date: Option<IsoDate>,
    /// Box 14: the quantity actually exported, in box 11's unit
    /// (`ExaminationTransportEvent/UnitQuantity`; v1 `InspectedUnitQuantity`).
    pub actual_quantity: Option<Quantity>,
}

/// Box 14 for the whole consignment: the border inspection that endorsed the document.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endorsement {
    /// `ExaminationTransportEvent/ActualOccurrenceDateTime`.
    pub date: Option<IsoDate>,
    /// The port of export (`OccurrenceLogisticsLocation/ID`, where EPIX reads it).
    pub port: Option<String>,
    /// The inspecting officer (`CertifyingTradeParty/Name`, and the fourth signatory).
    pub officer: Option<String>,
}

/// A CITES document, box by box.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EPermit {
    /// Box 1.
    pub document_type: EPermitType,
    /// Box 1.1 (`HeaderExchangedDocument/Name`): which certificate an `O` document is.
    pub document_name: Option<String>,
    /// Box 1 (`HeaderExchangedDocument/ID`). Toolkit v3 allows 35 characters: keep to it.
    pub number: String,
    /// `CopyIndicator`: true on a copy, false on the original.
    pub copy: bool,
    /// The language of the texts (`languageID`, e.g. `EN`), when said.
    pub language: Option<String>,
    /// The Party whose Management Authority issued it (box 6's country).
    pub issuing_party: PartyCode,
    /// Box 13's date (`IssueDateTime`; also the start of box 2).
    pub issued_on: IsoDate,
    /// Box 2 (`EffectiveSpecifiedPeriod/EndDateTime`).
    pub valid_until: IsoDate,
    /// Box 3, 3a (`ConsigneeTradeParty`).
    pub importer: Trader,
    /// Box 4 (`ConsignorTradeParty`).
    pub exporter: Trader,
    /// Box 5 (`Information*`).
    pub special_conditions: Vec<String>,
    /// Box 5a (`PurposeCode`).
    pub purpose: Option<PurposeCode>,
    /// Box 5b (`FirstSignatoryDocumentAuthentication/ID`). The ledger's stamps are numbers; a
    /// foreign one may not be.
    pub security_stamp: Option<String>,
    /// Box 6 (`FirstSignatoryDocumentAuthentication/ProviderTradeParty`).
    pub management_authority: ManagementAuthority,
    /// The number of the document this one replaces (Res. Conf. 12.3: a replacement names
    /// it): a `ReferenceReferencedDocument` with an `ID`.
    pub replaces: Option<String>,
    /// Box 13: who signed (`ThirdSignatoryDocumentAuthentication/ProviderTradeParty/Name`).
    pub issued_by: Option<String>,
    /// Box 13: where (`HeaderExchangedDocument/IssueLogisticsLocation/Name`).
    pub issue_place: Option<String>,
    /// Box 15: bill of lading or air waybill (`TransportContractReferencedDocument/ID`).
    pub transport_document: Option<String>,
    /// Box 14, when the document has been endorsed.
    pub endorsement: Option<Endorsement>,
    /// Boxes 7–12b, one per species line, in the document's order.
    pub lines: Vec<EPermitLine>,
}
