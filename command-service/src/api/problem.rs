//! Errors as RFC 9457 problem details, mapped in one place.

use crate::domain::permit::PermitError;
use crate::handler::auth::Denied;
use crate::handler::HandlerError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct Violation {
    pub rule: String,
    pub message: String,
    pub field: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub violations: Vec<Violation>,
    /// Seconds for the `Retry-After` header (a 429).
    #[serde(skip)]
    pub retry_after: Option<i64>,
}

impl Problem {
    pub fn new(status: StatusCode, kind: &str, title: &str, detail: impl Into<String>) -> Self {
        Self {
            kind: format!("https://ecites.example/problems/{kind}"),
            title: title.into(),
            status: status.as_u16(),
            detail: detail.into(),
            violations: vec![],
            retry_after: None,
        }
    }

    /// A 429: too many failed attempts (rule `rule`), to be tried again after `seconds`.
    pub fn too_many_attempts(rule: &str, field: Option<&str>, seconds: i64) -> Self {
        let message = format!("too many failed attempts; try again in {seconds} s");
        let mut p = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too-many-attempts",
            "Too many failed attempts",
            message.clone(),
        );
        p.violations.push(Violation {
            rule: rule.into(),
            message,
            field: field.map(str::to_string),
        });
        p.retry_after = Some(seconds.max(1));
        p
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "malformed-request",
            "The request body is not valid",
            detail,
        )
    }

    /// A 422 naming one rule and the field it refused.
    pub fn refused(rule: &str, field: &str, message: String) -> Self {
        let mut p = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "rule-violation",
            "Refused by the CITES rules",
            message.clone(),
        );
        p.violations.push(Violation {
            rule: rule.into(),
            message,
            field: Some(field.into()),
        });
        p
    }

    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "Log in first",
            "send `Authorization: Bearer <token>` from POST /api/login",
        )
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut res = (status, axum::Json(&self)).into_response();
        res.headers_mut().insert(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("application/problem+json"),
        );
        if let Some(seconds) = self.retry_after {
            res.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        res
    }
}

impl From<HandlerError> for Problem {
    fn from(e: HandlerError) -> Self {
        use StatusCode as S;
        let detail = e.to_string();
        match e {
            HandlerError::Denied(Denied::OrganisationNotVerified { .. }) => Problem::new(
                S::FORBIDDEN,
                "organisation-not-verified",
                "The organisation may not file",
                detail,
            ),
            HandlerError::Denied(_) => {
                Problem::new(S::FORBIDDEN, "forbidden", "Not allowed", detail)
            }
            HandlerError::NotFound(_) => Problem::new(
                S::NOT_FOUND,
                "not-found",
                "No such permit application",
                detail,
            ),
            HandlerError::OrganisationNotFound(_) => {
                Problem::new(S::NOT_FOUND, "not-found", "No such organisation", detail)
            }
            HandlerError::OrganisationRefused(e) => e.into(),
            HandlerError::AccountNotFound(_) => Problem::new(
                S::NOT_FOUND,
                "not-found",
                "No such prepayment account",
                detail,
            ),
            HandlerError::AccountRefused(e) => e.into(),
            HandlerError::ConfigRefused(e) => e.into(),
            HandlerError::SpecimenRefused(e) => {
                let mut p = Problem::new(
                    S::UNPROCESSABLE_ENTITY,
                    "specimen-refused",
                    "The specimen cannot be recorded or withdrawn",
                    detail,
                );
                let message = e.to_string();
                let field = message.split(':').next().map(str::to_string);
                p.violations = vec![Violation {
                    rule: "SPECIMEN".into(),
                    message,
                    field,
                }];
                p
            }
            HandlerError::UnknownParty(_) => {
                Problem::new(S::NOT_FOUND, "unknown-party", "Unknown Party", detail)
            }
            HandlerError::Refused(PermitError::Rules(findings)) => {
                let mut p = Problem::new(
                    S::UNPROCESSABLE_ENTITY,
                    "rule-violation",
                    "Refused by the CITES rules",
                    detail,
                );
                p.violations = findings
                    .into_iter()
                    .map(|f| Violation {
                        rule: f.rule.into(),
                        message: format!("{} ({})", f.message, f.source),
                        field: f.field,
                    })
                    .collect();
                p
            }
            HandlerError::Refused(PermitError::InvalidTransition { .. }) => Problem::new(
                S::CONFLICT,
                "invalid-transition",
                "Not possible in the permit's current state",
                detail,
            ),
            HandlerError::Refused(PermitError::FeeOutstanding { .. }) => {
                let mut p = Problem::new(
                    S::UNPROCESSABLE_ENTITY,
                    "fee-outstanding",
                    "The fee is not paid",
                    detail.clone(),
                );
                p.violations.push(Violation {
                    rule: "FEE-UNPAID".into(),
                    message: detail,
                    field: None,
                });
                p
            }
            HandlerError::Refused(PermitError::Invalid(_)) => Problem::new(
                S::UNPROCESSABLE_ENTITY,
                "invalid",
                "Invalid command",
                detail,
            ),
            HandlerError::Invalid(_) => Problem::new(
                S::UNPROCESSABLE_ENTITY,
                "invalid",
                "Invalid command",
                detail,
            ),
            HandlerError::Contended => Problem::new(
                S::CONFLICT,
                "contended",
                "The permit changed meanwhile",
                detail,
            ),
            HandlerError::Read(ecites_events::ReadError::UnknownParty(party)) => Problem::new(
                S::NOT_FOUND,
                "unknown-party",
                "Unknown Party",
                format!("Party {party} has no ledger here"),
            ),
            // What failed inside is for the operator's log, not for the caller.
            HandlerError::Integrity(_) => {
                tracing::error!(error = %detail, "a command met a log that fails verification");
                Problem::new(
                    S::INTERNAL_SERVER_ERROR,
                    "integrity",
                    "The log failed verification",
                    "the ledger refused to decide on events that fail verification; the operator has been told",
                )
            }
            HandlerError::Append(_) | HandlerError::Read(_) => {
                tracing::warn!(error = %detail, "the log is unavailable to a command");
                Problem::new(
                    S::SERVICE_UNAVAILABLE,
                    "log-unavailable",
                    "The ledger is unavailable",
                    "the ledger cannot be reached now; nothing was written unless a retry with the same command_id says so",
                )
            }
        }
    }
}
