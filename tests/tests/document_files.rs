//! What a supporting document may be (issue #13): only the file types a CITES application
//! needs (PDF, JPEG, PNG, TIFF), whose bytes are what the upload claims, each within its size
//! cap; every refusal an RFC 9457 problem naming its rule and field, with nothing stored; and
//! every download an attachment that no browser renders as a page of this origin.

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use ecites_command::handler::auth::Role;
use ecites_command::handler::document_types::DocumentKind;
use ecites_tests::api::TestApi;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::path::Path;

async fn api() -> TestApi {
    TestApi::builder()
        .trader("trader-a", "org-a")
        .user("officer", Role::MaOfficer)
        .verified_organisations()
        .document_store()
        .build()
        .await
}

/// POST the bytes with `content_type` (none: no header); status, headers, JSON answer.
async fn upload(
    api: &TestApi,
    token: &str,
    bytes: Vec<u8>,
    content_type: Option<&str>,
) -> (StatusCode, HeaderMap, Value) {
    let mut req =
        Request::post("/api/LK/documents").header("authorization", format!("Bearer {token}"));
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    let (status, headers, body) = api.send(req.body(Body::from(bytes)).unwrap()).await;
    (
        status,
        headers,
        serde_json::from_slice(&body).unwrap_or(Value::Null),
    )
}

async fn download(api: &TestApi, token: &str, sha: &str) -> (StatusCode, HeaderMap, Vec<u8>) {
    let req = Request::get(format!("/api/LK/documents/{sha}"))
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    api.send(req).await
}

fn sha256(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// The number of documents in the store (each file is a document or its metadata).
fn stored(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .filter(|e| e.file_name().len() == 64)
                .count()
        })
        .unwrap_or(0)
}

const PDF: &[u8] = b"%PDF-1.7\n1 0 obj farm licence\n";
const JPEG: &[u8] = b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00 photo of the consignment";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR scan of the invoice";
const TIFF_LE: &[u8] = b"II*\x00\x08\x00\x00\x00 scan, Intel order";
const TIFF_BE: &[u8] = b"MM\x00*\x00\x00\x00\x08 scan, Motorola order";

/// Bytes that start the way a file of `kind` does.
fn magic(kind: DocumentKind) -> &'static [u8] {
    match kind {
        DocumentKind::Pdf => PDF,
        DocumentKind::Jpeg => JPEG,
        DocumentKind::Png => PNG,
        DocumentKind::Tiff => TIFF_LE,
    }
}

/// The one violation of a problem answer: its rule and field.
fn violation(out: &Value) -> (&str, &str) {
    assert_eq!(out["violations"].as_array().map(Vec::len), Some(1), "{out}");
    let v = &out["violations"][0];
    (
        v["rule"].as_str().unwrap_or_default(),
        v["field"].as_str().unwrap_or_default(),
    )
}

#[tokio::test]
async fn only_the_allowed_types_are_stored_and_nothing_else_is_written() {
    let api = api().await;
    let a = api.login("trader-a").await;
    let dir = api.document_store_dir();
    for claimed in [
        Some("text/html"),
        Some("../../etc/passwd"),
        Some("image/svg+xml"),
        Some("application/octet-stream"),
        Some("application/x-msdownload"),
        Some("text/plain; charset=utf-8"),
        Some("multipart/form-data; boundary=x"),
        None,
    ] {
        let (status, headers, out) = upload(&api, &a, PDF.to_vec(), claimed).await;
        assert_eq!(
            status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{claimed:?}: {out}"
        );
        assert_eq!(headers["content-type"], "application/problem+json");
        assert_eq!(
            violation(&out),
            ("DOC-FILE-TYPE", "content-type"),
            "{claimed:?}"
        );
        // The refusal lists what is accepted and never echoes what was sent.
        let text = out.to_string();
        assert!(
            text.contains("application/pdf") && text.contains("image/tiff"),
            "{text}"
        );
        if let Some(claimed) = claimed {
            assert!(!text.contains(claimed), "{claimed:?} reflected: {text}");
        }
    }
    assert_eq!(stored(&dir), 0, "nothing stored on refusal");

    // Each allowed type with its own bytes is stored, under its canonical media type.
    for (bytes, claimed, kept) in [
        (PDF, "application/pdf", "application/pdf"),
        (JPEG, "image/jpeg", "image/jpeg"),
        (PNG, "IMAGE/PNG", "image/png"),
        (TIFF_LE, "image/tiff", "image/tiff"),
        (TIFF_BE, "image/tiff; name=scan.tif", "image/tiff"),
    ] {
        let (status, _, out) = upload(&api, &a, bytes.to_vec(), Some(claimed)).await;
        assert_eq!(status, StatusCode::CREATED, "{claimed}: {out}");
        assert_eq!(out["content_type"], kept, "{claimed}");
        assert_eq!(out["sha256"], sha256(bytes));
    }
    assert_eq!(stored(&dir), 5);
}

#[tokio::test]
async fn bytes_that_are_not_the_claimed_type_are_refused() {
    let api = api().await;
    let a = api.login("trader-a").await;
    for (bytes, claimed) in [
        (
            &b"<html><script>alert(1)</script></html>"[..],
            "application/pdf",
        ),
        (PDF, "image/png"),
        (PNG, "image/jpeg"),
        (JPEG, "image/tiff"),
        (&b"%PD"[..], "application/pdf"),
        (&b"II*"[..], "image/tiff"),
        (&b"GIF89a not a png"[..], "image/png"),
    ] {
        let (status, _, out) = upload(&api, &a, bytes.to_vec(), Some(claimed)).await;
        assert_eq!(
            status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{claimed}: {out}"
        );
        assert_eq!(violation(&out), ("DOC-FILE-CONTENT", "body"), "{claimed}");
    }
    let (status, _, out) = upload(&api, &a, vec![], Some("application/pdf")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{out}");
    assert_eq!(violation(&out), ("DOC-FILE-EMPTY", "body"));
    assert_eq!(stored(&api.document_store_dir()), 0, "nothing stored");
}

#[tokio::test]
async fn each_type_has_its_own_size_cap() {
    let api = api().await;
    let a = api.login("trader-a").await;
    let dir = api.document_store_dir();
    let padded = |magic: &[u8], len: usize| {
        let mut v = magic.to_vec();
        v.resize(len, b'0');
        v
    };
    // Over the cap: refused whether or not the length was announced (a streamed body has none).
    for kind in DocumentKind::ALL {
        let cap = kind.max_bytes();
        let (status, _, out) = upload(
            &api,
            &a,
            padded(magic(kind), cap + 1),
            Some(kind.media_type()),
        )
        .await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{kind:?}: {out}");
        assert_eq!(violation(&out), ("DOC-FILE-SIZE", "body"), "{kind:?}");
        assert!(
            out["detail"].as_str().unwrap().contains(&cap.to_string()),
            "{out}"
        );

        let stream = futures::stream::iter(
            padded(magic(kind), cap + 1)
                .chunks(64 * 1024)
                .map(|c| Ok::<_, std::io::Error>(c.to_vec()))
                .collect::<Vec<_>>(),
        );
        let req = Request::post("/api/LK/documents")
            .header("authorization", format!("Bearer {a}"))
            .header("content-type", kind.media_type())
            .body(Body::from_stream(stream))
            .unwrap();
        let (status, _, body) = api.send(req).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{kind:?} streamed");
        let out: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(violation(&out), ("DOC-FILE-SIZE", "body"));
    }
    assert_eq!(stored(&dir), 0, "nothing stored on refusal");
    // The smaller caps are smaller: a JPEG the size of the largest PDF is refused.
    let pdf_cap = DocumentKind::Pdf.max_bytes();
    assert!(DocumentKind::Jpeg.max_bytes() < pdf_cap);
    let (status, _, _) = upload(&api, &a, padded(JPEG, pdf_cap), Some("image/jpeg")).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    // Exactly at the cap is fine.
    let (status, _, out) = upload(&api, &a, padded(PDF, pdf_cap), Some("application/pdf")).await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    assert_eq!(stored(&dir), 1);
}

#[tokio::test]
async fn a_download_is_an_attachment_never_rendered_and_old_types_are_octet_streams() {
    let api = api().await;
    let a = api.login("trader-a").await;
    let officer = api.login("officer").await;
    let (status, _, _) = upload(&api, &a, PDF.to_vec(), Some("application/pdf")).await;
    assert_eq!(status, StatusCode::CREATED);
    let sha = sha256(PDF);
    let (status, headers, bytes) = download(&api, &officer, &sha).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(bytes, PDF);
    assert_eq!(headers["content-type"], "application/pdf");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(
        headers["content-security-policy"],
        "default-src 'none'; sandbox"
    );
    assert_eq!(
        headers["content-disposition"],
        format!("attachment; filename=\"{sha}\"").as_str()
    );

    // A store written before the types were checked: the recorded type is not trusted.
    let meta_path = api.document_store_dir().join(format!("{sha}.meta.json"));
    let meta: Value = serde_json::from_slice(&std::fs::read(&meta_path).unwrap()).unwrap();
    for recorded in [
        "text/html",
        "../../etc/passwd",
        "image/png",
        "application/pdf\r\nX-Evil: 1",
    ] {
        let mut old = meta.clone();
        old["content_type"] = Value::from(recorded);
        std::fs::write(&meta_path, serde_json::to_vec(&old).unwrap()).unwrap();
        let (status, headers, bytes) = download(&api, &officer, &sha).await;
        assert_eq!(status, StatusCode::OK, "{recorded}");
        assert_eq!(bytes, PDF);
        assert_eq!(
            headers["content-type"], "application/octet-stream",
            "recorded as {recorded:?}"
        );
        assert_eq!(
            headers["content-security-policy"],
            "default-src 'none'; sandbox"
        );
        assert!(headers.get("x-evil").is_none());
    }
}
