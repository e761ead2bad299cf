//! The permit as a document (issue #14): the standard form of Res. Conf. 12.3 Annex 2 (boxes
//! 1–15) as an A4 PDF in English, French or Spanish, drawn from the read model of the signed
//! events, never from form input, with its `CP1` seal as a vector QR code. Fonts are embedded
//! and subset (DejaVu Sans), so the text extracts, accents included. A permit that is no
//! longer valid (cancelled, replaced, lost) or not issued is marked so across the page.
//!
//! Pure: the caller gives the view; the same view gives the same bytes.

mod form;
mod words;

pub use form::{permit_pdf, DocumentError, PermitDocument};
pub use words::DocumentLang;
