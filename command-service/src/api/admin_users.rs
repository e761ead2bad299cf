//! User administration over HTTP, for the Party's administrator: list the Party's users, add
//! one (with a one-time set-password link instead of a password, see [`super::users`]),
//! change a role, disable, issue a new link; and the public `POST /api/set-password` that
//! uses a link. Refusals write nothing; every change is in the users' audit trail.

use super::attempts::ClientAddress;
use super::body::{typed, JsonBody};
use super::problem::{Problem, Violation};
use super::users::{SetPasswordLink, UserError, Users, MIN_PASSWORD_CHARS};
use super::{Authenticated, SessionLookup};
use crate::handler::auth::{Principal, Role};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use ecites_events::PartyCode;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::sync::Arc;
use uuid::Uuid;

/// What the user routes need of the API's state.
pub trait UserAdmin: SessionLookup + Send + Sync + 'static {
    fn users(&self) -> &Users;
}

/// The longest password accepted: hashing cost grows with it.
const MAX_PASSWORD_BYTES: usize = 1024;

pub fn routes<S: UserAdmin>() -> Router<Arc<S>> {
    Router::new()
        .route("/api/{party}/users", get(list::<S>).post(add::<S>))
        .route("/api/{party}/users/{user_id}/role", post(set_role::<S>))
        .route("/api/{party}/users/{user_id}/disable", post(disable::<S>))
        .route("/api/{party}/users/{user_id}/enable", post(enable::<S>))
        .route(
            "/api/{party}/users/{user_id}/set-password-link",
            post(reissue::<S>),
        )
        .route("/api/set-password", post(set_password::<S>))
}

/// A 422 naming the field.
fn invalid(rule: &str, field: &str, message: impl Into<String>) -> Problem {
    let message = message.into();
    let mut p = Problem::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid",
        "Invalid user",
        message.clone(),
    );
    p.violations.push(Violation {
        rule: rule.into(),
        message,
        field: Some(field.into()),
    });
    p
}

/// The JSON body; an unknown or badly typed field is a 400 naming it.
fn parse<T: DeserializeOwned>(raw: JsonBody) -> Result<T, Problem> {
    typed(raw.0)
}

/// Only the Party's own administrator manages its users.
pub(crate) fn admin_of(who: &Principal, code: &str) -> Result<PartyCode, Problem> {
    let party: PartyCode = code
        .parse()
        .map_err(|_| invalid("DATA-PARTY", "party", format!("{code:?} is not a Party")))?;
    if who.role != Role::PartyAdmin {
        return Err(Problem::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Not allowed",
            format!("a {} may not manage users", who.role.as_str()),
        ));
    }
    if who.party != party {
        return Err(Problem::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Not allowed",
            format!("the administrator of {} may not manage {party}", who.party),
        ));
    }
    Ok(party)
}

fn user_id(raw: &str) -> Result<String, Problem> {
    let ok = (2..=64).contains(&raw.len())
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._@-".contains(&b));
    if ok {
        Ok(raw.to_string())
    } else {
        Err(invalid(
            "USER-ID",
            "user_id",
            "2 to 64 letters, digits or . _ @ -",
        ))
    }
}

/// A role a Party admin may grant (not the cross-Party system operator), with the
/// organisation a trader needs.
fn role_and_organisation(
    role: &str,
    organisation_id: Option<&str>,
) -> Result<(Role, Option<Uuid>), Problem> {
    let role: Role = serde_json::from_value(json!(role))
        .ok()
        .filter(|r| *r != Role::SystemOperator)
        .ok_or_else(|| {
            let allowed: Vec<&str> = Role::ALL
                .iter()
                .filter(|r| **r != Role::SystemOperator)
                .map(|r| r.as_str())
                .collect();
            invalid(
                "USER-ROLE",
                "role",
                format!("{role:?} is not one of: {}", allowed.join(", ")),
            )
        })?;
    let organisation = match organisation_id.map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(s.parse::<Uuid>().map_err(|_| {
            invalid(
                "USER-ORGANISATION",
                "organisation_id",
                format!("{s:?} is not an organisation id (UUID)"),
            )
        })?),
    };
    if role == Role::Trader && organisation.is_none() {
        return Err(invalid(
            "USER-ORGANISATION",
            "organisation_id",
            "a trader belongs to an organisation",
        ));
    }
    Ok((role, organisation.filter(|_| role == Role::Trader)))
}

fn not_self(who: &Principal, user_id: &str) -> Result<(), Problem> {
    if who.user_id == user_id {
        return Err(invalid(
            "USER-SELF",
            "user_id",
            "administrators do not change or disable their own account (ask another administrator)",
        ));
    }
    Ok(())
}

fn link_answer(user_id: &str, link: SetPasswordLink) -> Value {
    json!({ "user_id": user_id, "set_password_token": link.token, "expires_at": link.expires_at })
}

async fn list<S: UserAdmin>(
    State(api): State<Arc<S>>,
    Authenticated(who): Authenticated,
    Path(code): Path<String>,
) -> Result<Json<Value>, Problem> {
    let party = admin_of(&who, &code)?;
    Ok(Json(
        json!({ "party": party, "users": api.users().list(party) }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AddBody {
    user_id: String,
    role: String,
    organisation_id: Option<String>,
}

async fn add<S: UserAdmin>(
    State(api): State<Arc<S>>,
    Authenticated(who): Authenticated,
    Path(code): Path<String>,
    raw: JsonBody,
) -> Result<(StatusCode, Json<Value>), Problem> {
    admin_of(&who, &code)?;
    let b: AddBody = parse(raw)?;
    let id = user_id(b.user_id.trim())?;
    let (role, organisation) = role_and_organisation(&b.role, b.organisation_id.as_deref())?;
    let link = api.users().invite(&who, &id, role, organisation)?;
    let mut answer = link_answer(&id, link);
    answer["role"] = json!(role);
    answer["organisation_id"] = json!(organisation);
    Ok((StatusCode::CREATED, Json(answer)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleBody {
    role: String,
    organisation_id: Option<String>,
}

async fn set_role<S: UserAdmin>(
    State(api): State<Arc<S>>,
    Authenticated(who): Authenticated,
    Path((code, id)): Path<(String, String)>,
    raw: JsonBody,
) -> Result<Json<Value>, Problem> {
    admin_of(&who, &code)?;
    let b: RoleBody = parse(raw)?;
    not_self(&who, &id)?;
    let (role, organisation) = role_and_organisation(&b.role, b.organisation_id.as_deref())?;
    api.users().set_role(&who, &id, role, organisation)?;
    Ok(Json(
        json!({ "user_id": id, "role": role, "organisation_id": organisation }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Empty {}

async fn disable<S: UserAdmin>(
    State(api): State<Arc<S>>,
    Authenticated(who): Authenticated,
    Path((code, id)): Path<(String, String)>,
    raw: JsonBody,
) -> Result<Json<Value>, Problem> {
    admin_of(&who, &code)?;
    let Empty {} = parse(raw)?;
    not_self(&who, &id)?;
    api.users().disable(&who, &id)?;
    Ok(Json(json!({ "user_id": id, "disabled": true })))
}

async fn enable<S: UserAdmin>(
    State(api): State<Arc<S>>,
    Authenticated(who): Authenticated,
    Path((code, id)): Path<(String, String)>,
    raw: JsonBody,
) -> Result<Json<Value>, Problem> {
    admin_of(&who, &code)?;
    let Empty {} = parse(raw)?;
    api.users().enable(&who, &id)?;
    Ok(Json(json!({ "user_id": id, "disabled": false })))
}

async fn reissue<S: UserAdmin>(
    State(api): State<Arc<S>>,
    Authenticated(who): Authenticated,
    Path((code, id)): Path<(String, String)>,
    raw: JsonBody,
) -> Result<Json<Value>, Problem> {
    admin_of(&who, &code)?;
    let Empty {} = parse(raw)?;
    let disabled = api
        .users()
        .list(who.party)
        .iter()
        .any(|u| u.user_id == id && u.disabled);
    if disabled {
        return Err(invalid("USER-DISABLED", "user_id", "the user is disabled"));
    }
    let link = api.users().reissue_link(&who, &id)?;
    Ok(Json(link_answer(&id, link)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetPasswordBody {
    token: String,
    password: String,
}

async fn set_password<S: UserAdmin>(
    State(api): State<Arc<S>>,
    client: ClientAddress,
    raw: JsonBody,
) -> Result<Json<Value>, Problem> {
    let b: SetPasswordBody = parse(raw)?;
    if b.password.chars().count() < MIN_PASSWORD_CHARS || b.password.len() > MAX_PASSWORD_BYTES {
        return Err(invalid(
            "USER-PASSWORD-LENGTH",
            "password",
            format!(
                "at least {MIN_PASSWORD_CHARS} characters (and at most {MAX_PASSWORD_BYTES} bytes)"
            ),
        ));
    }
    // Hashing is deliberately slow: keep it off the async workers.
    tokio::task::spawn_blocking(move || {
        api.users()
            .set_password_from(&b.token, &b.password, client.0)
    })
    .await
    .map_err(|e| UserError::Hash(e.to_string()))??;
    Ok(Json(json!({ "password_set": true })))
}

impl From<UserError> for Problem {
    fn from(e: UserError) -> Self {
        let detail = e.to_string();
        match e {
            UserError::Exists(_) => invalid("USER-EXISTS", "user_id", detail),
            UserError::NotFound(_) => {
                Problem::new(StatusCode::NOT_FOUND, "not-found", "No such user", detail)
            }
            UserError::TraderWithoutOrganisation => {
                invalid("USER-ORGANISATION", "organisation_id", detail)
            }
            UserError::InvalidLink => invalid("USER-LINK", "token", detail),
            UserError::TooManyAttempts(seconds) => {
                Problem::too_many_attempts("USER-LINK-ATTEMPTS", Some("token"), seconds)
            }
            UserError::NotManaged(_) => Problem::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "Not a Party user",
                detail,
            ),
            UserError::Hash(_) | UserError::File(..) => {
                tracing::error!("users store: {detail}");
                Problem::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "users-store",
                    "The users store failed",
                    "the change was not saved",
                )
            }
        }
    }
}

/// The user routes of the OpenAPI document.
pub fn openapi_paths(paths: &mut Map<String, Value>) {
    let text = json!({"type": "string"});
    let body = |required: &[&str], properties: Value| {
        json!({"content": {"application/json": {"schema": {"type": "object",
            "required": required, "properties": properties}}}})
    };
    let admin = |summary: &str, request: Value| {
        json!({"summary": summary, "security": [{"bearer": []}], "requestBody": request,
            "responses": {"200": {"description": "done"}, "403": {"description": "not the Party's administrator"},
                "404": {"description": "no such user"}, "422": {"description": "invalid; the violation names the field"}}})
    };
    let role = json!({"type": "string", "description": "trader | ma_officer | ma_signatory | sa_expert | customs | auditor | party_admin"});
    let org = json!({"type": "string", "format": "uuid", "description": "a trader's organisation"});
    paths.insert("/api/{party}/users".into(), json!({
        "get": {"summary": "The Party's users with their roles and organisations (Party admin)", "security": [{"bearer": []}]},
        "post": admin("Add a user (Party admin); answers a one-time set-password token (valid 72 h) for the user, who chooses the password at /query/ui/set-password#token=<token>",
            body(&["user_id", "role"], json!({"user_id": text, "role": role, "organisation_id": org})))}));
    paths.insert(
        "/api/{party}/users/{user_id}/role".into(),
        json!({"post": admin(
        "Change a user's role (Party admin); their sessions end",
        body(&["role"], json!({"role": role, "organisation_id": org})))}),
    );
    paths.insert(
        "/api/{party}/users/{user_id}/disable".into(),
        json!({"post": admin(
        "Disable a user (Party admin): no sign-in, their sessions end", body(&[], json!({})))}),
    );
    paths.insert(
        "/api/{party}/users/{user_id}/enable".into(),
        json!({"post": admin(
        "Enable a disabled user again (Party admin)", body(&[], json!({})))}),
    );
    paths.insert(
        "/api/{party}/users/{user_id}/set-password-link".into(),
        json!({"post": admin(
        "A new one-time set-password token for a user (Party admin)", body(&[], json!({})))}),
    );
    paths.insert("/api/set-password".into(), json!({"post": {
        "summary": "Set one's password with a set-password token (at least 12 characters); the token is then used up",
        "requestBody": body(&["token", "password"], json!({"token": text, "password": text})),
        "responses": {"200": {"description": "password set"}, "422": {"description": "token unknown, used or expired, or password too short"}}}}));
}

#[cfg(test)]
#[path = "admin_users_tests.rs"]
mod tests;
