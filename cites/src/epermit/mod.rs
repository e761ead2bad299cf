//! The CITES e-permit XML of the Electronic Permitting Toolkit v2 (UN/CEFACT `CITESEPermit`),
//! written for every document type the ledger issues and read from another Party, in v2 or in
//! the v1 `CBFShip` that EPIX still carries (`docs/epermit-xml.md`).
//!
//! [`EPermit`] is the permit box by box (1–15). [`to_xml`] writes the profile of the
//! reference's §2.4 — deterministic, in the XSD's element order, no empty elements — and
//! [`read`] takes a foreign document, standalone or inside a SOAP envelope, into the same
//! record. The reader is the ledger's border with another Party's software: it refuses any
//! DOCTYPE (so no entity is ever declared, let alone expanded), and bounds the input's size,
//! its nesting and its count of elements and lines before it looks at a single box.
//!
//! Pure: text in, text out. Fetching the document and answering with it is the caller's.

mod dom;
mod fields;
mod model;
mod read;
mod write;

#[cfg(test)]
mod refusal_tests;
#[cfg(test)]
mod tests;

pub use model::{
    Address, DocumentRef, EPermit, EPermitLine, EPermitType, Endorsement, ManagementAuthority,
    QuotaFigures, Trader,
};
pub use read::{from_xml, read, EPermitError, ForeignPermit, Limits, ToolkitVersion};
pub use write::{to_soap_element, to_xml};

/// The v2 root's namespace (`rsm`).
pub const NS_RSM_V2: &str = "urn:un:unece:uncefact:data:standard:CITESEPermit:2";
/// The reusable aggregates' namespace (`ram`), the same in v1 and v2.
pub const NS_RAM: &str =
    "urn:un:unece:uncefact:data:draft:ReusableAggregateBusinessInformationEntity:1";

/// UN/EDIFACT 1001 codes EPIX selects a line's referenced documents by (reference §2.3).
pub const ORIGIN_DOCUMENT_CODE: &str = "861";
pub const LAST_REEXPORT_DOCUMENT_CODE: &str = "811";
