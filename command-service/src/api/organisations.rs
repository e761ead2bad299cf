//! Trader organisations over HTTP: self-registration, verification and suspension by the
//! Management Authority, members and agents; idempotent by `command_id` like the permits.

use super::body::{typed, JsonBody};
use super::permits::{body, party};
use super::problem::Problem;
use super::{ApiState, Authenticated};
use crate::domain::organisation::{OrganisationCommand, OrganisationError};
use crate::domain::registration_number::{self, NumberError};
use crate::handler::Accepted;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use ecites_events::payloads::organisation::MemberCapacity;
use ecites_events::{EventAppender, EventReader, PartyCode};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::sync::Arc;
use uuid::Uuid;

fn accepted(a: Accepted, status: StatusCode) -> (StatusCode, Json<Value>) {
    super::accepted(Some("organisation_id"), a, status)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegisterBody {
    command_id: Uuid,
    /// Defaults to the organisation the caller's account was opened for (the only one a
    /// trader may register).
    organisation_id: Option<Uuid>,
    name: String,
    registration_number: String,
    country: PartyCode,
    address_ref: Option<String>,
}

pub async fn register<L: EventAppender + EventReader>(
    State(api): State<Arc<ApiState<L>>>,
    Authenticated(who): Authenticated,
    Path(code): Path<String>,
    raw: JsonBody,
) -> Result<(StatusCode, Json<Value>), Problem> {
    let party = party(&code)?;
    let b: RegisterBody = body(raw)?;
    let id = b
        .organisation_id
        .or(who.organisation_id)
        .unwrap_or_else(Uuid::now_v7);
    let command = OrganisationCommand::Register {
        name: b.name,
        registration_number: b.registration_number,
        country: b.country,
        address_ref: b.address_ref,
        registrant: who.user_id.clone(),
    };
    let done = api
        .handler
        .handle_organisation(&who, party, id, b.command_id, command)
        .await?;
    Ok(accepted(done, StatusCode::CREATED))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Verify {
    command_id: Uuid,
    note: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Suspend {
    command_id: Uuid,
    reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AddMember {
    command_id: Uuid,
    user_id: String,
    /// `"member"` or `{"agent": {"agency_organisation_id": …}}`.
    capacity: MemberCapacity,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RemoveMember {
    command_id: Uuid,
    user_id: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReleaseNumber {
    command_id: Uuid,
    reason: String,
}

pub const ACTIONS: [&str; 5] = [
    "verify",
    "suspend",
    "add-member",
    "remove-member",
    RELEASE_NUMBER,
];

/// Not an organisation command: it writes to the number's reservation, not the organisation.
const RELEASE_NUMBER: &str = "release-registration-number";

/// The command named by the URL's last segment, with its command id, from its JSON body.
fn command(action: &str, v: Value) -> Result<(Uuid, OrganisationCommand), Problem> {
    Ok(match action {
        "verify" => {
            let b: Verify = typed(v)?;
            (b.command_id, OrganisationCommand::Verify { note: b.note })
        }
        "suspend" => {
            let b: Suspend = typed(v)?;
            (
                b.command_id,
                OrganisationCommand::Suspend { reason: b.reason },
            )
        }
        "add-member" => {
            let b: AddMember = typed(v)?;
            let command = OrganisationCommand::AddMember {
                user_id: b.user_id,
                capacity: b.capacity,
            };
            (b.command_id, command)
        }
        "remove-member" => {
            let b: RemoveMember = typed(v)?;
            let command = OrganisationCommand::RemoveMember { user_id: b.user_id };
            (b.command_id, command)
        }
        other => {
            return Err(Problem::new(
                StatusCode::NOT_FOUND,
                "unknown-command",
                "Unknown command",
                format!("no organisation command {other:?}"),
            ))
        }
    })
}

/// ORG-MEMBER-USER (ours): a member or agent is a trader account of the organisation's own
/// Party. A user id of another Party names nobody here, and listing it must not let that user
/// read anything of this Party (issue #17).
fn member_is_a_trader_of<L>(
    api: &ApiState<L>,
    party: PartyCode,
    user_id: &str,
) -> Result<(), Problem> {
    use crate::handler::auth::Role;
    match api.users.role_of(party, user_id) {
        Some(Role::Trader) => Ok(()),
        Some(_) => Err(Problem::refused(
            "ORG-MEMBER-USER",
            "user_id",
            format!("{user_id:?} is not a trader account of {party}"),
        )),
        None => Err(Problem::refused(
            "ORG-MEMBER-USER",
            "user_id",
            format!("{party} has no user {user_id:?}; the Party admin opens trader accounts"),
        )),
    }
}

pub async fn act<L: EventAppender + EventReader>(
    State(api): State<Arc<ApiState<L>>>,
    Authenticated(who): Authenticated,
    Path((code, id, action)): Path<(String, Uuid, String)>,
    raw: JsonBody,
) -> Result<(StatusCode, Json<Value>), Problem> {
    let party = party(&code)?;
    if action == RELEASE_NUMBER {
        let b: ReleaseNumber = body(raw)?;
        let done = api
            .handler
            .release_registration_number(&who, party, id, b.command_id, &b.reason)
            .await?;
        return Ok(accepted(done, StatusCode::OK));
    }
    let (command_id, command) = command(&action, body(raw)?)?;
    if let OrganisationCommand::AddMember { user_id, .. } = &command {
        member_is_a_trader_of(&api, party, user_id)?;
    }
    let done = api
        .handler
        .handle_organisation(&who, party, id, command_id, command)
        .await?;
    Ok(accepted(done, StatusCode::OK))
}

pub async fn show<L: EventAppender + EventReader>(
    State(api): State<Arc<ApiState<L>>>,
    Authenticated(who): Authenticated,
    Path((code, id)): Path<(String, Uuid)>,
) -> Result<Json<Value>, Problem> {
    let party = party(&code)?;
    let s = api.handler.organisation(&who, party, id).await?;
    let members: Vec<Value> = s
        .members
        .iter()
        .map(|(user_id, capacity)| json!({"user_id": user_id, "capacity": capacity}))
        .collect();
    let r = s.registration.as_ref();
    Ok(Json(json!({
        "organisation_id": id,
        "status": s.status,
        "name": r.map(|r| &r.name),
        "registration_number": r.map(|r| &r.registration_number),
        "country": r.map(|r| r.country),
        "address_ref": r.and_then(|r| r.address_ref.as_ref()),
        "members": members,
    })))
}

impl From<OrganisationError> for Problem {
    fn from(e: OrganisationError) -> Self {
        let detail = e.to_string();
        match e {
            OrganisationError::InvalidTransition { .. } => Problem::new(
                StatusCode::CONFLICT,
                "invalid-transition",
                "Not possible in the organisation's current state",
                detail,
            ),
            OrganisationError::RegistrationNumber(ref n) => {
                let (status, field) = match n {
                    NumberError::Taken { .. } | NumberError::NotHeld(_) => {
                        (StatusCode::CONFLICT, "registration_number")
                    }
                    NumberError::HolderVerified(_) => (StatusCode::CONFLICT, "status"),
                    NumberError::Empty(_) => {
                        (StatusCode::UNPROCESSABLE_ENTITY, "registration_number")
                    }
                    NumberError::NoReason => (StatusCode::UNPROCESSABLE_ENTITY, "reason"),
                };
                let mut p = Problem::refused(registration_number::RULE, field, detail);
                p.status = status.as_u16();
                p
            }
            OrganisationError::AlreadyListed(_)
            | OrganisationError::NotListed(_)
            | OrganisationError::LastMember(_)
            | OrganisationError::Invalid(_) => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                "Invalid command",
                detail,
            ),
        }
    }
}

/// The organisation routes of the OpenAPI document.
pub fn openapi_paths(paths: &mut Map<String, Value>) {
    let accepted = json!({"description": "accepted", "content": {"application/json": {"schema": {"type": "object", "properties": {
        "organisation_id": {"type": "string", "format": "uuid"},
        "events": {"type": "array", "items": {"type": "string"}},
        "position": {"type": "string"}, "duplicate": {"type": "boolean"}}}}}});
    let capacity = json!({"oneOf": [{"const": "member"}, {"type": "object", "required": ["agent"],
        "properties": {"agent": {"type": "object", "properties": {
            "agency_organisation_id": {"type": ["string", "null"], "format": "uuid"}}}}}]});
    let text = json!({"type": "string"});
    let uuid = json!({"type": "string", "format": "uuid"});
    let body = |required: &[&str], properties: Value| {
        json!({"content": {"application/json": {"schema": {"type": "object",
            "required": required, "properties": properties}}}})
    };
    paths.insert("/api/{party}/organisations".into(), json!({"post": {
        "summary": "Register the caller's organisation (pending until the Management Authority verifies it); the caller becomes its first member",
        "security": [{"bearer": []}],
        "requestBody": body(&["command_id", "name", "registration_number", "country"], json!({
            "command_id": uuid, "organisation_id": uuid, "name": text, "registration_number": text,
            "country": {"type": "string", "description": "ISO 3166 alpha-2"}, "address_ref": text})),
        "responses": {"201": accepted,
            "409": {"description": "the organisation is already registered, or the registration number (compared without case, spaces or punctuation) is another organisation's in this Party: rule ORG-REGISTRATION-NUMBER-UNIQUE, field registration_number"},
            "422": {"description": "invalid input, e.g. a registration number without letters or digits"}}}}));
    paths.insert("/api/{party}/organisations/{id}".into(), json!({"get": {
        "summary": "The organisation, its status and the users listed (to its members and agents and the Party's officials)",
        "security": [{"bearer": []}]}}));
    let actions = [
        (
            "verify",
            "Verify (or reinstate) the organisation (MA)",
            body(
                &["command_id", "note"],
                json!({"command_id": uuid, "note": text}),
            ),
        ),
        (
            "suspend",
            "Suspend the organisation: nobody files for it until verified again (MA)",
            body(
                &["command_id", "reason"],
                json!({"command_id": uuid, "reason": text}),
            ),
        ),
        (
            "add-member",
            "List a user as a member or as an agent filing on its behalf (its members or MA)",
            body(
                &["command_id", "user_id", "capacity"],
                json!({"command_id": uuid, "user_id": text, "capacity": capacity}),
            ),
        ),
        (
            "remove-member",
            "Remove a user from the list (its members or MA)",
            body(
                &["command_id", "user_id"],
                json!({"command_id": uuid, "user_id": text}),
            ),
        ),
    ];
    for (action, summary, request) in actions {
        paths.insert(
            format!("/api/{{party}}/organisations/{{id}}/{action}"),
            json!({"post": {"summary": summary, "security": [{"bearer": []}],
                "requestBody": request, "responses": {"200": accepted}}}),
        );
    }
    paths.insert(
        format!("/api/{{party}}/organisations/{{id}}/{RELEASE_NUMBER}"),
        json!({"post": {
            "summary": "Release the company-register number the organisation holds, so that another organisation may register it; only while the organisation is not verified (pending or suspended) (MA)",
            "security": [{"bearer": []}],
            "requestBody": body(&["command_id", "reason"], json!({"command_id": uuid, "reason": text})),
            "responses": {"200": accepted,
                "403": {"description": "not a Management Authority officer of the Party"},
                "404": {"description": "no such organisation"},
                "409": {"description": "rule ORG-REGISTRATION-NUMBER-UNIQUE: the organisation does not hold the number (field registration_number), or it is verified (field status; suspend it first)"},
                "422": {"description": "rule ORG-REGISTRATION-NUMBER-UNIQUE, field reason: no reason given"}}}}),
    );
}
