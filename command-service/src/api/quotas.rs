//! Setting a Party's export quotas over HTTP.

use super::body::JsonBody;
use super::problem::Problem;
use super::{ApiState, Authenticated};
use crate::domain::codes::SourceCode;
use axum::extract::{Path, State};
use axum::Json;
use ecites_events::cites::Quantity;
use ecites_events::payloads::quota::QuotaSet;
use ecites_events::{EventAppender, EventReader};
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;
use uuid::Uuid;

#[derive(Deserialize, schemars::JsonSchema)]
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
    raw: JsonBody,
) -> Result<Json<Value>, Problem> {
    let party = super::permits::party(&code)?;
    let b: QuotaBody = super::permits::body(raw)?;
    let taxon = super::known_species(&api, &b.species)?;
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

/// The quota route in the OpenAPI document.
pub(super) fn openapi_paths(paths: &mut serde_json::Map<String, Value>) {
    let body = serde_json::to_value(schemars::schema_for!(QuotaBody)).unwrap_or(Value::Null);
    paths.insert("/api/{party}/quotas/{quota_id}".into(), json!({"post": {
        "summary": "Set or revise an export quota (Party admin or MA officer; QUOTA-DEFINITION: a year from 1975 to five years ahead, term and unit codes that go together; a line in another convertible unit is counted in the quota's, QUOTA-UNIT when it cannot be)",
        "security": [{"bearer": []}],
        "requestBody": {"required": true, "content": {"application/json": {"schema": body}}},
        "responses": {"200": {"description": "set", "content": {"application/json": {"schema": {"type": "object", "properties": {
            "quota_id": {"type": "string"}, "position": {"type": "string"}}}}}}}
    }}));
}
