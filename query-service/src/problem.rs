//! Every error of the query API, mapped to an RFC 9457 problem detail in one place.

use crate::reports::annual::Finding;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use std::time::Duration;

/// What went wrong with a query request.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("send `Authorization: Bearer <token>`")]
    Unauthenticated,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    /// A query parameter, path segment or header that could not be read; names it.
    #[error("{param}: {message}")]
    BadParameter { param: String, message: String },
    #[error("read model at {current} has not reached {target} within {}", seconds(*.wait))]
    PositionNotReached {
        current: String,
        target: String,
        wait: Duration,
    },
    /// The annual report has errors, so it cannot be downloaded.
    #[error("the annual report has {count} error(s); fix them before exporting")]
    ReportInvalid { count: usize, errors: Vec<Finding> },
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("writing CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error("writing CSV: {0}")]
    Io(#[from] std::io::Error),
    /// The permit's document could not be drawn (its view did not read, the PDF not write).
    #[error("document: {0}")]
    Document(String),
}

impl ApiError {
    pub fn bad(param: impl Into<String>, message: impl Into<String>) -> Self {
        Self::BadParameter {
            param: param.into(),
            message: message.into(),
        }
    }
}

fn seconds(d: Duration) -> String {
    let ms = d.as_millis();
    if ms.is_multiple_of(1000) {
        format!("{} s", ms / 1000)
    } else {
        format!("{ms} ms")
    }
}

#[derive(Debug, Serialize)]
struct Violation<'a> {
    rule: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    row: Option<usize>,
}

#[derive(Debug, Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    parameter: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    violations: Vec<Violation<'a>>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        use StatusCode as S;
        let detail = self.to_string();
        let (status, kind, title) = match &self {
            ApiError::Unauthenticated => (S::UNAUTHORIZED, "unauthenticated", "Log in first"),
            ApiError::Forbidden(_) => (S::FORBIDDEN, "forbidden", "Not allowed"),
            ApiError::NotFound(_) => (S::NOT_FOUND, "not-found", "Not found"),
            ApiError::BadParameter { .. } => (
                S::BAD_REQUEST,
                "bad-parameter",
                "A request parameter is not valid",
            ),
            ApiError::PositionNotReached { .. } => (
                S::SERVICE_UNAVAILABLE,
                "position-not-reached",
                "The read model is behind the requested position",
            ),
            ApiError::ReportInvalid { .. } => (
                S::UNPROCESSABLE_ENTITY,
                "report-invalid",
                "The annual report does not pass validation",
            ),
            ApiError::Database(_) | ApiError::Csv(_) | ApiError::Io(_) | ApiError::Document(_) => {
                tracing::error!(error = %self, "query failed");
                (S::INTERNAL_SERVER_ERROR, "internal", "Internal error")
            }
        };
        let detail = match &self {
            // No SQL text or server detail leaks to the client.
            ApiError::Database(_) | ApiError::Csv(_) | ApiError::Io(_) | ApiError::Document(_) => {
                "the read model could not be queried".to_string()
            }
            _ => detail,
        };
        let violations = match &self {
            ApiError::ReportInvalid { errors, .. } => errors
                .iter()
                .map(|f| Violation {
                    rule: f.rule,
                    message: &f.message,
                    field: Some(f.column),
                    row: Some(f.row),
                })
                .collect(),
            _ => vec![],
        };
        let problem = Problem {
            kind: format!("https://ecites.example/problems/{kind}"),
            title,
            status: status.as_u16(),
            detail,
            parameter: match &self {
                ApiError::BadParameter { param, .. } => Some(param),
                _ => None,
            },
            violations,
        };
        let mut res = (status, axum::Json(&problem)).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        match &self {
            ApiError::PositionNotReached { .. } => {
                res.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            ApiError::Unauthenticated => {
                res.headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            _ => {}
        }
        res
    }
}
