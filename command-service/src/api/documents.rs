//! Supporting documents over HTTP: upload the raw bytes (the answer is their SHA-256, which
//! the application then lists in `supporting_documents`), and download them again.

use super::permits::party;
use super::problem::Problem;
use super::{ApiState, Authenticated};
use crate::handler::documents::{
    canonical_hash, may_upload, DocumentError, DocumentStore, Upload, DEFAULT_CONTENT_TYPE,
    MAX_DOCUMENT_BYTES,
};
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

fn too_large() -> Problem {
    Problem::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "document-too-large",
        "The document is too large",
        format!("a supporting document may have at most {MAX_DOCUMENT_BYTES} bytes"),
    )
}

/// The body, refused as soon as it passes the limit (whatever Content-Length claims).
async fn read_limited(body: Body) -> Result<Vec<u8>, Problem> {
    let mut out = Vec::new();
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| Problem::bad_request(e.to_string()))?;
        if out.len() + chunk.len() > MAX_DOCUMENT_BYTES {
            return Err(too_large());
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// The content type to keep: the header as sent, when it is a plausible media type.
fn content_type(headers: &HeaderMap) -> Result<String, Problem> {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Ok(DEFAULT_CONTENT_TYPE.into());
    };
    let text = value
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|t| (1..=200).contains(&t.len()) && t.contains('/'))
        .ok_or_else(|| Problem::bad_request("content-type: not a media type"))?;
    // A multipart form would be stored as its envelope, not as the document inside it.
    if text.to_ascii_lowercase().starts_with("multipart/") {
        return Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "multipart-not-accepted",
            "Send the document itself as the body",
            "upload the raw bytes with their own content-type, not a multipart form",
        ));
    }
    Ok(text.to_string())
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
    let announced = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if announced.is_some_and(|n| n > MAX_DOCUMENT_BYTES) {
        return Err(too_large());
    }
    let content_type = content_type(&headers)?;
    let bytes = read_limited(body).await?;
    if bytes.is_empty() {
        return Err(Problem::bad_request("the document is empty"));
    }
    let upload = Upload {
        party,
        user_id: who.user_id.clone(),
        organisation_id: who.organisation_id,
        uploaded_at: time::OffsetDateTime::now_utc(),
    };
    let (meta, new) = store.put(bytes, content_type, upload).await?;
    let status = if new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(json!({"sha256": meta.sha256, "size": meta.size, "content_type": meta.content_type})),
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
    let content_type = HeaderValue::from_str(&meta.content_type)
        .unwrap_or_else(|_| HeaderValue::from_static(DEFAULT_CONTENT_TYPE));
    let mut res = (StatusCode::OK, bytes).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, content_type);
    // Uploaded bytes are never rendered as a page of this origin.
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
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
        "summary": format!("Upload a supporting document (raw body, its own content-type, at most {MAX_DOCUMENT_BYTES} bytes); list the answered sha256 in the application's supporting_documents"),
        "security": [{"bearer": []}],
        "requestBody": {"content": {"*/*": {"schema": {"type": "string", "format": "binary"}}}},
        "responses": {"201": stored, "200": stored,
            "413": {"description": "larger than the limit"}, "415": {"description": "a multipart form"}}}}));
    paths.insert("/api/{party}/documents/{sha256}".into(), json!({"get": {
        "summary": "A stored document, to its uploader's organisation and the Party's officials",
        "security": [{"bearer": []}],
        "responses": {"200": {"description": "the bytes, with the content type they were uploaded with"},
            "404": {"description": "not stored, or not yours to read"}}}}));
}
