//! Supporting documents over HTTP: upload the raw bytes (the answer is their SHA-256, which
//! the application then lists in `supporting_documents`), and download them again.

use super::permits::party;
use super::problem::Problem;
use super::problem::Violation;
use super::{ApiState, Authenticated};
use crate::handler::document_types::DocumentKind;
use crate::handler::documents::{canonical_hash, may_upload, DocumentError, DocumentStore, Upload};
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use ecites_events::{EventAppender, EventReader};
use futures::StreamExt;
use serde_json::{json, Map, Value};
use std::sync::Arc;

/// The document routes.
pub fn routes<L: EventAppender + EventReader + 'static>() -> Router<Arc<ApiState<L>>> {
    Router::new()
        .route("/api/{party}/documents", post(upload::<L>))
        .route("/api/{party}/documents/{sha256}", get(download::<L>))
}

impl From<DocumentError> for Problem {
    fn from(e: DocumentError) -> Self {
        let detail = e.to_string();
        match e {
            DocumentError::BadHash(_) => Problem::bad_request(detail),
            DocumentError::Io(_) | DocumentError::Meta(..) => Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "document-store-unavailable",
                "The document store is unavailable",
                detail,
            ),
        }
    }
}

fn store<L>(api: &ApiState<L>) -> Result<&DocumentStore, Problem> {
    api.handler.documents().ok_or_else(|| {
        Problem::new(
            StatusCode::NOT_FOUND,
            "no-document-store",
            "Documents are not stored here",
            "this deployment has no document store configured",
        )
    })
}

/// A refusal of the upload (nothing stored), naming its rule and the field at fault: the
/// `content-type` header or the `body`. The message never repeats what was sent.
fn refused(status: StatusCode, rule: &str, field: &str, message: String) -> Problem {
    let mut p = Problem::new(
        status,
        "document-refused",
        "The document is not accepted",
        message.clone(),
    );
    p.violations.push(Violation {
        rule: rule.into(),
        message,
        field: Some(field.into()),
    });
    p
}

fn too_large(kind: DocumentKind) -> Problem {
    refused(
        StatusCode::PAYLOAD_TOO_LARGE,
        "DOC-FILE-SIZE",
        "body",
        format!(
            "a {} document may have at most {} bytes",
            kind.media_type(),
            kind.max_bytes()
        ),
    )
}

/// The body, refused as soon as it passes `kind`'s cap (whatever Content-Length claims).
async fn read_limited(body: Body, kind: DocumentKind) -> Result<Vec<u8>, Problem> {
    let mut out = Vec::new();
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            // `serve`'s outer bound on every body cut it: too large, not broken.
            let cut = std::error::Error::source(&e)
                .is_some_and(|s| s.is::<http_body_util::LengthLimitError>())
                || e.into_inner().is::<http_body_util::LengthLimitError>();
            if cut {
                return too_large(kind);
            }
            refused(
                StatusCode::BAD_REQUEST,
                "DOC-FILE-BODY",
                "body",
                "the body could not be read to its end".into(),
            )
        })?;
        if out.len() + chunk.len() > kind.max_bytes() {
            return Err(too_large(kind));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// The allowed type the `Content-Type` header names. A multipart form, a type not on the
/// list, a missing or unreadable header: DOC-FILE-TYPE.
fn content_type(headers: &HeaderMap) -> Result<DocumentKind, Problem> {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(DocumentKind::from_content_type)
        .ok_or_else(|| {
            refused(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "DOC-FILE-TYPE",
                "content-type",
                format!(
                    "send the document itself as the body, with a Content-Type of: {}",
                    DocumentKind::list()
                ),
            )
        })
}

pub async fn upload<L: EventAppender + EventReader>(
    State(api): State<Arc<ApiState<L>>>,
    Authenticated(who): Authenticated,
    Path(code): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<Value>), Problem> {
    let party = party(&code)?;
    let store = store(&api)?;
    if !may_upload(&who, party) {
        return Err(Problem::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Not allowed",
            format!(
                "a {} of {} may not upload documents to {party}",
                who.role.as_str(),
                who.party
            ),
        ));
    }
    let kind = content_type(&headers)?;
    let announced = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if announced.is_some_and(|n| n > kind.max_bytes()) {
        return Err(too_large(kind));
    }
    let bytes = read_limited(body, kind).await?;
    if bytes.is_empty() {
        return Err(refused(
            StatusCode::BAD_REQUEST,
            "DOC-FILE-EMPTY",
            "body",
            "the document is empty".into(),
        ));
    }
    // What the bytes are, not what the header says, is what a reader's software will open.
    if !kind.matches(&bytes) {
        return Err(refused(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "DOC-FILE-CONTENT",
            "body",
            format!("the bytes are not a {} file", kind.media_type()),
        ));
    }
    let upload = Upload {
        party,
        user_id: who.user_id.clone(),
        organisation_id: who.organisation_id,
        uploaded_at: time::OffsetDateTime::now_utc(),
    };
    let (meta, new) = store
        .put(bytes, kind.media_type().to_string(), upload)
        .await?;
    let status = if new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(json!({"sha256": meta.sha256, "size": meta.size, "content_type": kind.media_type()})),
    ))
}

pub async fn download<L: EventAppender + EventReader>(
    State(api): State<Arc<ApiState<L>>>,
    Authenticated(who): Authenticated,
    Path((code, sha256)): Path<(String, String)>,
) -> Result<Response, Problem> {
    let party = party(&code)?;
    let store = store(&api)?;
    let sha = canonical_hash(&sha256)?;
    let not_found = || {
        Problem::new(
            StatusCode::NOT_FOUND,
            "not-found",
            "No such document",
            format!("no document {sha} that you may read"),
        )
    };
    // Someone who may not read it is not told that it exists.
    if who.party != party {
        return Err(not_found());
    }
    let readable = match store.meta(&sha).await? {
        Some(meta) => api.handler.may_read_document(&who, &meta).await?,
        None => false,
    };
    if !readable {
        return Err(not_found());
    }
    let Some((meta, bytes)) = store.get(&sha).await? else {
        return Err(not_found());
    };
    // Only a type of the list, and only when the bytes are of it: a store written before the
    // types were checked may record anything (text/html, or a header's worth of junk).
    let content_type = DocumentKind::served_as(&meta.content_type, &bytes);
    let mut res = (StatusCode::OK, bytes).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // Uploaded bytes are never rendered as a page of this origin: saved, not opened in place,
    // never sniffed into another type, and sandboxed with no rights should a browser render.
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{sha}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!("\"{sha}\"")) {
        h.insert(header::ETAG, v);
    }
    Ok(res)
}

/// The document routes of the OpenAPI document.
pub fn openapi_paths(paths: &mut Map<String, Value>) {
    let stored = json!({"description": "stored (201) or already stored (200)", "content": {"application/json": {"schema": {"type": "object", "properties": {
        "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"}, "size": {"type": "integer"},
        "content_type": {"type": "string"}}}}}});
    paths.insert("/api/{party}/documents".into(), json!({"post": {
        "summary": format!("Upload a supporting document: the raw bytes as the body, with their Content-Type, one of {} (at most {} bytes for a PDF or TIFF, {} for a JPEG or PNG), the bytes starting as that type does; list the answered sha256 in the application's supporting_documents",
            DocumentKind::list(), DocumentKind::Pdf.max_bytes(), DocumentKind::Jpeg.max_bytes()),
        "security": [{"bearer": []}],
        "requestBody": {"content": DocumentKind::ALL.iter().map(|k| (k.media_type().to_string(), json!({"schema": {"type": "string", "format": "binary"}}))).collect::<Map<String, Value>>()},
        "responses": {"201": stored, "200": stored,
            "400": {"description": "DOC-FILE-EMPTY: an empty body"},
            "413": {"description": "DOC-FILE-SIZE: larger than the type's cap"},
            "415": {"description": "DOC-FILE-TYPE: a Content-Type not on the list (field content-type); DOC-FILE-CONTENT: bytes not of the claimed type (field body)"}}}}));
    paths.insert("/api/{party}/documents/{sha256}".into(), json!({"get": {
        "summary": "A stored document, to its uploader's organisation and the Party's officials",
        "security": [{"bearer": []}],
        "responses": {"200": {"description": "the bytes as an attachment (nosniff, a sandboxing CSP), with their type when it is one of the list and the bytes agree, application/octet-stream otherwise"},
            "404": {"description": "not stored, or not yours to read"}}}}));
}
