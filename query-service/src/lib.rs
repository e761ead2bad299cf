//! The query API of the eCITES ledger: lists, permits, work queues, reports and dashboards,
//! read from the PostgreSQL read models the projector keeps (brief §5).
//!
//! Every `/api/{party}/…` route goes through [`party_gate`]: bearer token → [`Viewer`] (401),
//! own Party only (403, except the system operator), the read-your-writes wait for
//! `X-Ecites-Position` (503 after [`QueryState::position_wait`]), and the answer carries the
//! checkpoint it was read at in `X-Ecites-Read-Position`.
//!
//! The web UI ([`ui`]) is served beside the API: [`ui::router`] adds the `/ui/...` pages.

pub mod auth;
pub mod catalogue;
pub mod document;
pub mod listing;
pub mod openapi;
pub mod permits;
pub mod position;
pub mod problem;
pub mod query_guard;
pub mod reports;
pub mod revoked;
pub mod specimens;
pub mod ui;

pub use auth::{Sessions, Viewer};
pub use problem::ApiError;

use axum::extract::{RawPathParams, Request, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::{routing::get, Json, Router};
use ecites_events::PartyCode;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

pub const SERVICE: &str = "ecites-query";
/// How long a request waits for its read-your-writes position by default.
pub const DEFAULT_POSITION_WAIT: Duration = Duration::from_secs(2);

/// What the query routes share.
pub struct QueryState {
    /// Connections to the read models (`search_path` = the live schema).
    pub pool: sqlx::PgPool,
    pub sessions: Arc<dyn Sessions>,
    /// The longest a request waits for the position it names.
    pub position_wait: Duration,
    /// Seals a permit issued before seals existed when its first document is drawn; `None`
    /// where no command side is at hand (the document is then drawn without a seal).
    pub first_seal: Option<Arc<dyn document::FirstSeal>>,
}

impl QueryState {
    pub fn new(pool: sqlx::PgPool, sessions: Arc<dyn Sessions>) -> Self {
        Self {
            pool,
            sessions,
            position_wait: DEFAULT_POSITION_WAIT,
            first_seal: None,
        }
    }

    pub fn with_first_seal(mut self, sealer: Arc<dyn document::FirstSeal>) -> Self {
        self.first_seal = Some(sealer);
        self
    }
}

/// Who asks, for which Party, and the checkpoint the answer reads at; put in the request's
/// extensions by [`party_gate`].
#[derive(Clone, Debug)]
pub struct Ctx {
    pub viewer: Viewer,
    pub party: PartyCode,
    pub read_position: i64,
    /// What the viewer reads of the organisations' rows (a trader: those listing it).
    pub reach: auth::Reach,
}

impl Ctx {
    /// The context of `viewer` reading `party` at `read_position`, its [`auth::Reach`] read
    /// at that position.
    pub async fn resolve(
        pool: &sqlx::PgPool,
        viewer: Viewer,
        party: PartyCode,
        read_position: i64,
    ) -> Result<Self, ApiError> {
        let reach = auth::Reach::of(&viewer, party, pool).await?;
        Ok(Self {
            viewer,
            party,
            read_position,
            reach,
        })
    }

    pub fn party(&self) -> &str {
        self.party.as_str()
    }
}

/// The service's routes, ready to be served alone or mounted (`ecites serve` mounts them under
/// `/query`).
pub fn router(state: Arc<QueryState>) -> Router {
    let party = Router::new()
        .route("/permits", get(permits::list))
        .route("/permits/{id}", get(permits::detail))
        .route("/permits/{id}/timeline", get(permits::timeline))
        .route("/permits/{id}/document.pdf", get(permits::document))
        .route("/permit-lookup", get(permits::lookup))
        .route("/work-queue", get(permits::work_queue))
        .route("/trade-records", get(permits::trade_records))
        .route("/organisations", get(catalogue::organisations))
        .route("/organisations/{id}", get(catalogue::organisation))
        .route("/species", get(catalogue::species))
        .route("/quotas", get(catalogue::quotas))
        .route("/national-entries", get(catalogue::national_entries))
        .route("/payments", get(catalogue::payments))
        .route("/prepayment-accounts", get(catalogue::prepayment_accounts))
        .route("/reports/annual", get(reports::annual_http::handler))
        .route("/reports/trade", get(reports::trade::handler))
        .route("/reports/national-list", get(reports::national::handler))
        .route("/dashboard", get(reports::dashboard::handler))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            party_gate,
        ));
    Router::new()
        .route("/health", get(health))
        .route(
            "/api/openapi.json",
            get(|| async { Json(openapi::document()) }),
        )
        .nest("/api/{party}", party)
        .with_state(state)
        .layer(axum::middleware::from_fn(query_guard::guard))
}

async fn health() -> Json<Value> {
    Json(json!({ "service": SERVICE, "status": "ok" }))
}

/// Authentication, Party check and read-your-writes for every Party route.
#[tracing::instrument(name = "query", level = "debug", skip_all)]
async fn party_gate(
    State(state): State<Arc<QueryState>>,
    params: RawPathParams,
    mut req: Request,
    next: Next,
) -> Response {
    let raw = params
        .iter()
        .find(|(k, _)| *k == "party")
        .map(|(_, v)| v.to_string())
        .unwrap_or_default();
    let query = req.uri().query().map(str::to_string);
    let ctx = match gate(&state, &raw, req.headers(), query.as_deref()).await {
        Ok(ctx) => ctx,
        Err(e) => return e.into_response(),
    };
    let header =
        position::Position::new(ctx.party, position::sequence(ctx.read_position)).to_string();
    req.extensions_mut().insert(ctx);
    let mut res = next.run(req).await;
    if let Ok(v) = HeaderValue::from_str(&header) {
        res.headers_mut().insert(position::READ_POSITION_HEADER, v);
    }
    res
}

async fn gate(
    state: &QueryState,
    raw_party: &str,
    headers: &HeaderMap,
    query: Option<&str>,
) -> Result<Ctx, ApiError> {
    let party: PartyCode = raw_party.parse().map_err(|_| {
        ApiError::bad(
            "party",
            format!("{raw_party:?} is not an ISO 3166 alpha-2 code"),
        )
    })?;
    let viewer = auth::authenticate(state.sessions.as_ref(), headers, party)?;
    let target = position::requested(headers, query, party)?;
    let read_position = position::wait_for(&state.pool, party, target, state.position_wait).await?;
    Ctx::resolve(&state.pool, viewer, party, read_position).await
}
