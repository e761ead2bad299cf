//! The command HTTP API (axum): login, the permit commands, OpenAPI.

pub mod accounts;
pub mod admin_users;
pub mod attempts;
pub mod body;
pub mod documents;
pub mod national_entries;
pub mod openapi;
pub mod organisations;
pub mod party_config;
pub mod permits;
pub mod problem;
pub mod quotas;
pub mod species_import;
pub mod specimens;
pub mod users;
pub mod users_audit;

use crate::handler::auth::Principal;
use crate::handler::CommandHandler;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use body::{typed, JsonBody};
use ecites_events::{EventAppender, EventReader, PartyCode};
use problem::Problem;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;
use users::{SignInRefused, Users};

pub struct ApiState<L> {
    pub handler: CommandHandler<L>,
    pub users: Users,
}

/// The caller, from its bearer token, or from the browser's session cookie when the request
/// also carries the double-submit CSRF header (see [`users::cookie_session`]).
pub struct Authenticated(pub Principal);

/// Lets the extractor reach the sessions whatever the log type.
pub trait SessionLookup {
    fn session(&self, token: &str) -> Option<Principal>;
}

impl<L> SessionLookup for ApiState<L> {
    fn session(&self, token: &str) -> Option<Principal> {
        self.users.session(token)
    }
}

impl<L: Send + Sync + 'static> admin_users::UserAdmin for ApiState<L> {
    fn users(&self) -> &Users {
        &self.users
    }
}

impl<S: SessionLookup + Send + Sync> FromRequestParts<Arc<S>> for Authenticated {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<S>) -> Result<Self, Problem> {
        let bearer = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        // The bearer header wins; the cookie counts only with a matching CSRF header.
        let token = bearer
            .or_else(|| users::cookie_session(&parts.headers))
            .ok_or_else(Problem::unauthorized)?;
        state
            .session(token.trim())
            .map(Authenticated)
            .ok_or_else(Problem::unauthorized)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Login {
    party: PartyCode,
    user_id: String,
    password: String,
}

async fn login<L: Send + Sync + 'static>(
    State(api): State<Arc<ApiState<L>>>,
    client: attempts::ClientAddress,
    raw: JsonBody,
) -> Result<Json<Value>, Problem> {
    let JsonBody(v) = raw;
    let b: Login = typed(v)?;
    // Hashing is deliberately slow: keep it off the async workers.
    let result = tokio::task::spawn_blocking(move || {
        api.users
            .sign_in(b.party, &b.user_id, &b.password, client.0)
    })
    .await
    .unwrap_or(Err(SignInRefused::BadCredentials));
    let (token, who) = result.map_err(|refused| match refused {
        SignInRefused::TooManyAttempts { retry_after } => {
            Problem::too_many_attempts("USER-SIGN-IN-ATTEMPTS", Some("user_id"), retry_after)
        }
        SignInRefused::BadCredentials => Problem::new(
            StatusCode::UNAUTHORIZED,
            "bad-credentials",
            "Login failed",
            "unknown user or wrong password",
        ),
    })?;
    Ok(Json(
        json!({ "token": token, "user_id": who.user_id, "role": who.role, "party": who.party, "organisation_id": who.organisation_id }),
    ))
}

/// The answer to an accepted command: the aggregate's id under `id_key` (none for the Party's
/// configuration), the events written, the read-your-writes position, and whether it was a
/// retry. A retry answers 200 whatever a first acceptance answers.
pub(crate) fn accepted<I: serde::Serialize>(
    id_key: Option<&str>,
    a: crate::handler::Accepted<I>,
    status: StatusCode,
) -> (StatusCode, Json<Value>) {
    let status = if a.duplicate { StatusCode::OK } else { status };
    let mut body = json!({ "events": a.events, "position": a.position, "duplicate": a.duplicate });
    // The receipt: where the commit's last event is, and its hash, which an inclusion proof in
    // a signed tree head confirms (`GET /api/{party}/proof/inclusion?sequence=`).
    let sequence = a.position.sequence;
    body["receipt"] = json!({ "position": a.position, "sequence": sequence, "hash": a.hash });
    if let Some(key) = id_key {
        body[key] = json!(a.id);
    }
    (status, Json(body))
}

/// The species a command names, as the catalogue knows it; refused like an application naming
/// an unknown one (DATA-UNKNOWN-TAXON on `species`).
pub(crate) fn known_species<L>(
    api: &ApiState<L>,
    species: &str,
) -> Result<crate::domain::context::TaxonInfo, Problem> {
    api.handler
        .reference()
        .resolve_taxon(species)
        .ok_or_else(|| {
            Problem::refused(
                "DATA-UNKNOWN-TAXON",
                "species",
                format!("{species:?} is not in the species catalogue"),
            )
        })
}

/// The command API's routes.
pub fn router<L: EventAppender + EventReader + 'static>(state: Arc<ApiState<L>>) -> Router {
    Router::new()
        .route("/api/login", post(login::<L>))
        .route(
            "/api/openapi.json",
            get(|| async { Json(openapi::document()) }),
        )
        .route("/api/{party}/permits", post(permits::submit::<L>))
        .route("/api/{party}/permits/assess", post(permits::assess::<L>))
        .route("/api/{party}/permits/{id}", get(permits::show::<L>))
        .route("/api/{party}/quotas/{quota_id}", post(quotas::set::<L>))
        .route(
            "/api/{party}/organisations",
            post(organisations::register::<L>),
        )
        .route(
            "/api/{party}/organisations/{id}",
            get(organisations::show::<L>),
        )
        .route(
            "/api/{party}/organisations/{id}/{action}",
            post(organisations::act::<L>),
        )
        .route(
            "/api/{party}/permits/{id}/{action}",
            post(permits::act::<L>),
        )
        .merge(party_config::routes::<L>())
        .merge(specimens::routes::<L>())
        .merge(accounts::routes::<L>())
        .merge(documents::routes::<L>())
        .merge(admin_users::routes::<ApiState<L>>())
        .with_state(state)
}
