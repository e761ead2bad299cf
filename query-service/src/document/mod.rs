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

/// What [`FirstSeal::seal`] answers, in time.
pub type SealFuture<'a> = std::pin::Pin<
    Box<
        dyn std::future::Future<Output = Result<Option<ecites_events::Position>, String>>
            + Send
            + 'a,
    >,
>;

/// Seals a permit that was issued before seals existed, so that its first document carries
/// one and every later copy the same (implemented by `ecites serve` over the command side; the
/// query side itself never writes).
pub trait FirstSeal: Send + Sync {
    /// Records the permit's seal for `viewer` (who asked for the document) and returns the
    /// position of the log the read model must reach to show it; `Ok(None)` when no seal
    /// can be made here (no key), so the document is drawn without one.
    fn seal<'a>(
        &'a self,
        viewer: &'a crate::Viewer,
        party: ecites_events::PartyCode,
        permit_id: uuid::Uuid,
    ) -> SealFuture<'a>;
}
