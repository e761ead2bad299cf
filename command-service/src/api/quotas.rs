//! Setting a Party's export quotas over HTTP.

use super::problem::Problem;
use super::{ApiState, Authenticated};
use crate::domain::codes::SourceCode;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use ecites_events::cites::Quantity;
use ecites_events::payloads::quota::QuotaSet;
use ecites_events::{EventAppender, EventReader, PartyCode};
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;
use uuid::Uuid;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QuotaBody {
    command_id: Uuid,
    species: String,
    year: i32,
    term: Option<String>,
    unit: Option<String>,
    source: Option<SourceCode>,
    annual: Quantity,
    #[serde(default)]
    domestic: bool,
    notes: Option<String>,
}

pub async fn set<L: EventAppender + EventReader>(
    State(api): State<Arc<ApiState<L>>>,
    Authenticated(who): Authenticated,
    Path((code, quota_id)): Path<(String, String)>,
    raw: Result<Json<Value>, JsonRejection>,
) -> Result<Json<Value>, Problem> {
    let party: PartyCode = code.parse().map_err(|_| {
        Problem::new(
            StatusCode::NOT_FOUND,
            "unknown-party",
            "Unknown Party",
            code.clone(),
        )
    })?;
    let Json(v) = raw.map_err(|e| Problem::bad_request(e.body_text()))?;
    let b: QuotaBody =
        serde_json::from_value(v).map_err(|e| Problem::bad_request(e.to_string()))?;
    let taxon = api
        .handler
        .reference()
        .resolve_taxon(&b.species)
        .ok_or_else(|| {
            let mut p = Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "rule-violation",
                "Refused",
                "unknown species",
            );
            p.violations.push(super::problem::Violation {
                rule: "DATA-UNKNOWN-TAXON".into(),
                message: format!("{:?} is not in the species catalogue", b.species),
                field: Some("species".into()),
            });
            p
        })?;
    let definition = QuotaSet {
        taxon_id: taxon.taxon_id,
        scientific_name: taxon.accepted_name,
        year: b.year,
        term: b.term.map(|t| t.trim().to_ascii_uppercase()),
        unit: b.unit.map(|u| u.trim().to_ascii_uppercase()),
        source: b.source,
        annual: b.annual,
        domestic: b.domestic,
        notes: b.notes,
    };
    let position = api
        .handler
        .set_quota(&who, party, &quota_id, b.command_id, definition)
        .await?;
    Ok(Json(json!({ "quota_id": quota_id, "position": position })))
}
