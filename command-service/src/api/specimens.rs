//! The specimens of the Party's signatures and stamp over HTTP (issue #14): recorded and
//! withdrawn by the Party's administrator, idempotent by `command_id`. The image is sent as
//! base64 in the JSON body; what is published is read from the read models.

use super::body::JsonBody;
use super::permits::{body, party};
use super::problem::Problem;
use super::{ApiState, Authenticated};
use crate::domain::specimens::SpecimenCommand;
use crate::handler::auth::Role;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use base64::Engine;
use ecites_events::payloads::specimen::SpecimenKind;
use ecites_events::{EventAppender, EventReader};
use serde::Deserialize;
use serde_json::Value;
use std::sync::Arc;
use uuid::Uuid;

pub fn routes<L: EventAppender + EventReader + 'static>() -> Router<Arc<ApiState<L>>> {
    Router::new()
        .route("/api/{party}/specimens", post(record::<L>))
        .route("/api/{party}/specimens/{id}/withdraw", post(withdraw::<L>))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RecordBody {
    command_id: Uuid,
    /// Chosen by the caller, so that a retried request names the same specimen.
    specimen_id: Uuid,
    kind: SpecimenKind,
    signatory: Option<String>,
    name: String,
    /// `image/png`, the only kind recorded.
    #[serde(default = "png")]
    media_type: String,
    /// The image, base64.
    image: String,
}

fn png() -> String {
    "image/png".into()
}

async fn record<L: EventAppender + EventReader>(
    State(api): State<Arc<ApiState<L>>>,
    Authenticated(who): Authenticated,
    Path(code): Path<String>,
    raw: JsonBody,
) -> Result<Json<Value>, Problem> {
    let party = party(&code)?;
    let b: RecordBody = body(raw)?;
    if b.media_type != "image/png" {
        return Err(Problem::refused(
            "SPECIMEN",
            "media_type",
            format!(
                "media_type: {:?}; a specimen is recorded as image/png",
                b.media_type
            ),
        ));
    }
    let image = base64::engine::general_purpose::STANDARD
        .decode(b.image.trim())
        .map_err(|e| Problem::bad_request(format!("image: not base64 ({e})")))?;
    // A signature is a signatory's of this Party: an unknown user id would print nobody's.
    if let Some(id) = &b.signatory {
        let known = api
            .users
            .list(party)
            .into_iter()
            .any(|u| &u.user_id == id && u.role == Role::MaSignatory);
        if !known && b.kind == SpecimenKind::Signature {
            return Err(Problem::refused(
                "SPECIMEN",
                "signatory",
                format!("signatory: {id:?} is not a signatory (ma_signatory) of {party}"),
            ));
        }
    }
    let command = SpecimenCommand::Record {
        specimen_id: b.specimen_id,
        kind: b.kind,
        signatory: b.signatory,
        name: b.name,
        image,
    };
    let done = api
        .handler
        .handle_specimen(&who, party, b.command_id, command)
        .await?;
    Ok(super::accepted(None, done, StatusCode::OK).1)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WithdrawBody {
    command_id: Uuid,
    reason: String,
}

async fn withdraw<L: EventAppender + EventReader>(
    State(api): State<Arc<ApiState<L>>>,
    Authenticated(who): Authenticated,
    Path((code, id)): Path<(String, String)>,
    raw: JsonBody,
) -> Result<Json<Value>, Problem> {
    let party = party(&code)?;
    let specimen_id = Uuid::parse_str(&id)
        .map_err(|_| Problem::bad_request(format!("specimen id {id:?} is not a UUID")))?;
    let b: WithdrawBody = body(raw)?;
    let command = SpecimenCommand::Withdraw {
        specimen_id,
        reason: b.reason,
    };
    let done = api
        .handler
        .handle_specimen(&who, party, b.command_id, command)
        .await?;
    Ok(super::accepted(None, done, StatusCode::OK).1)
}
