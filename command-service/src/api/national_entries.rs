//! The Party admin's national entries over HTTP: trade suspensions, the Party's reservations
//! and its own Appendix III listings (`domain::national_entries`), recorded, revised (the same
//! id again) and lifted as events of the Party's configuration.

use super::body::JsonBody;
use super::party_config::configure;
use super::permits::{body, party};
use super::problem::Problem;
use super::{ApiState, Authenticated};
use crate::domain::party_config::PartyConfigCommand as C;
use axum::extract::{Path, State};
use axum::routing::post;
use axum::{Json, Router};
use ecites_events::cites::IsoDate;
use ecites_events::payloads::party_config::{
    NationalEntry, NationalEntryLifted, NationalEntryRecorded,
};
use ecites_events::{EventAppender, EventReader};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::sync::Arc;
use uuid::Uuid;

pub fn routes<L: EventAppender + EventReader + 'static>() -> Router<Arc<ApiState<L>>> {
    Router::new()
        .route(
            "/api/{party}/config/national-entries/{id}",
            post(record::<L>),
        )
        .route(
            "/api/{party}/config/national-entries/{id}/lift",
            post(lift::<L>),
        )
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct RecordBody {
    command_id: Uuid,
    /// `{"kind": "suspension", "country": "TG", "applies_to_import": false}`,
    /// `{"kind": "reservation", "appendix": "I"}` or `{"kind": "appendix_iii", "annotation": …}`.
    entry: NationalEntry,
    /// The species (accepted name or synonym); absent only for a suspension of every taxon.
    species: Option<String>,
    /// The Notification to the Parties or the national act.
    notification: String,
    starts_on: IsoDate,
    ends_on: Option<IsoDate>,
}

async fn record<L: EventAppender + EventReader>(
    State(api): State<Arc<ApiState<L>>>,
    Authenticated(who): Authenticated,
    Path((code, id)): Path<(String, String)>,
    raw: JsonBody,
) -> Result<Json<Value>, Problem> {
    let party = party(&code)?;
    let b: RecordBody = body(raw)?;
    let taxon = match b.species.as_deref() {
        Some(name) => Some(super::known_species(&api, name)?),
        None => None,
    };
    let entry = NationalEntryRecorded {
        id,
        entry: b.entry,
        taxon_id: taxon.as_ref().map(|t| t.taxon_id),
        scientific_name: taxon.map(|t| t.accepted_name),
        notification: b.notification.trim().to_string(),
        starts_on: b.starts_on,
        ends_on: b.ends_on,
    };
    configure(
        &api,
        &who,
        party,
        b.command_id,
        C::RecordNationalEntry(entry),
    )
    .await
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct LiftBody {
    command_id: Uuid,
    /// The first day the entry no longer applies.
    lifted_on: IsoDate,
    reason: String,
}

async fn lift<L: EventAppender + EventReader>(
    State(api): State<Arc<ApiState<L>>>,
    Authenticated(who): Authenticated,
    Path((code, id)): Path<(String, String)>,
    raw: JsonBody,
) -> Result<Json<Value>, Problem> {
    let party = party(&code)?;
    let b: LiftBody = body(raw)?;
    let lifted = NationalEntryLifted {
        id,
        lifted_on: b.lifted_on,
        reason: b.reason,
    };
    configure(
        &api,
        &who,
        party,
        b.command_id,
        C::LiftNationalEntry(lifted),
    )
    .await
}

/// The routes in the OpenAPI document.
pub fn openapi_paths(paths: &mut Map<String, Value>) {
    let schema = |s: schemars::Schema| serde_json::to_value(s).unwrap_or(Value::Null);
    paths.insert(
        "/api/{party}/config/national-entries/{id}".into(),
        json!({"post": {
            "summary": "Record or revise a national entry (Party admin): a trade suspension (applied as SUSPENSION), a reservation of the Party (LISTING-RESERVATION warning) or its own Appendix III listing (a listing in force), with the Notification or act it comes from and its dates",
            "security": [{"bearer": []}],
            "requestBody": {"required": true, "content": {"application/json": {"schema": schema(schemars::schema_for!(RecordBody))}}},
            "responses": {"200": {"description": "recorded"}}
        }}),
    );
    paths.insert(
        "/api/{party}/config/national-entries/{id}/lift".into(),
        json!({"post": {
            "summary": "Lift a national entry from a date (Party admin)",
            "security": [{"bearer": []}],
            "requestBody": {"required": true, "content": {"application/json": {"schema": schema(schemars::schema_for!(LiftBody))}}},
            "responses": {"200": {"description": "lifted"}, "404": {"description": "no such entry in force"}}
        }}),
    );
}
