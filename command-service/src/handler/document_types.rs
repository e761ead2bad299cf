//! The file types a supporting document may be (issue #13). A permit system must not become a
//! file host for whatever a trader sends: an uploaded page or script served back from this
//! origin could act with the officer's session. So only the types a CITES file needs are
//! taken — scans and exports of permits, licences, invoices and breeding records (PDF, TIFF)
//! and photographs of specimens or documents (JPEG, PNG) — and only when the bytes start the
//! way that type does. Office documents, archives and SVG are left out on purpose: they carry
//! macros, other files or script, and every office suite exports PDF.

/// One allowed type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocumentKind {
    Pdf,
    Jpeg,
    Png,
    Tiff,
}

const MIB: usize = 1024 * 1024;

impl DocumentKind {
    pub const ALL: [DocumentKind; 4] = [Self::Pdf, Self::Jpeg, Self::Png, Self::Tiff];

    /// The media type it is stored and served as.
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Pdf => "application/pdf",
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Tiff => "image/tiff",
        }
    }

    /// The largest accepted file of this type. A multi-page scan (PDF, TIFF) needs more room
    /// than a photograph; a phone's photo is well under 5 MiB.
    pub fn max_bytes(self) -> usize {
        match self {
            Self::Pdf | Self::Tiff => 10 * MIB,
            Self::Jpeg | Self::Png => 5 * MIB,
        }
    }

    /// The kind a `Content-Type` value names (case and parameters ignored), if allowed.
    pub fn from_content_type(value: &str) -> Option<Self> {
        let essence = value.split(';').next().unwrap_or("").trim();
        Self::ALL
            .into_iter()
            .find(|k| essence.eq_ignore_ascii_case(k.media_type()))
    }

    /// Whether `bytes` start with this type's signature (its "magic number").
    pub fn matches(self, bytes: &[u8]) -> bool {
        match self {
            // The PDF header; readers tolerate junk before it, this store does not.
            Self::Pdf => bytes.starts_with(b"%PDF-"),
            // SOI followed by the first marker's 0xFF.
            Self::Jpeg => bytes.starts_with(&[0xFF, 0xD8, 0xFF]),
            Self::Png => bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
            // Little- and big-endian TIFF, and BigTIFF (43) for very large scans.
            Self::Tiff => [b"II*\0", b"MM\0*", b"II+\0", b"MM\0+"]
                .iter()
                .any(|m| bytes.starts_with(*m)),
        }
    }

    /// The type a stored document is served as: its recorded type only when that type is
    /// allowed and the bytes are of it (a store written before these checks may hold anything).
    pub fn served_as(recorded: &str, bytes: &[u8]) -> &'static str {
        Self::from_content_type(recorded)
            .filter(|k| k.matches(bytes))
            .map_or(SERVED_OTHERWISE, Self::media_type)
    }

    /// The allowed media types, for a refusal's message.
    pub fn list() -> String {
        Self::ALL.map(Self::media_type).join(", ")
    }
}

/// What a stored document of no allowed type is served as: bytes to save, never to render.
pub const SERVED_OTHERWISE: &str = "application/octet-stream";

/// The largest document of any type: the bound of every upload before its type is known.
pub fn max_document_bytes() -> usize {
    DocumentKind::ALL
        .into_iter()
        .map(DocumentKind::max_bytes)
        .max()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_are_read_by_their_essence() {
        assert_eq!(
            DocumentKind::from_content_type("Application/PDF; charset=binary"),
            Some(DocumentKind::Pdf)
        );
        assert_eq!(
            DocumentKind::from_content_type(" image/tiff "),
            Some(DocumentKind::Tiff)
        );
        for other in [
            "text/html",
            "image/svg+xml",
            "application/pdfx",
            "",
            "../../etc/passwd",
        ] {
            assert_eq!(DocumentKind::from_content_type(other), None, "{other}");
        }
    }

    #[test]
    fn a_recorded_type_is_served_only_when_the_bytes_agree() {
        assert_eq!(
            DocumentKind::served_as("image/png", b"\x89PNG\r\n\x1a\n.."),
            "image/png"
        );
        assert_eq!(
            DocumentKind::served_as("image/png", b"%PDF-1.4"),
            SERVED_OTHERWISE
        );
        assert_eq!(
            DocumentKind::served_as("text/html", b"<html>"),
            SERVED_OTHERWISE
        );
        assert_eq!(max_document_bytes(), 10 * MIB);
    }
}
