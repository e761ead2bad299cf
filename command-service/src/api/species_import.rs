//! The Species+ import as a background job the Party admin starts and watches over HTTP.
//!
//! The importer lives in the `ecites` binary crate (`src/species/`), which depends on this
//! crate and not the other way round: it implements [`SpeciesImports`] and `ecites serve`
//! mounts [`router`] with it. One import at a time per Party.

use super::admin_users::admin_of;
use super::body::{typed, JsonBody};
use super::problem::{Problem, Violation};
use super::{Authenticated, SessionLookup};
use crate::handler::auth::Principal;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use ecites_events::PartyCode;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::sync::Arc;

/// Where an import reads the checklist from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportSource {
    /// The saved Species+ answers of the configured `species_dir`.
    Saved,
    /// The Species+ API (needs `speciesplus_token`).
    Live,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportState {
    Running,
    Done,
    Failed,
}

/// What an import has done so far, as the progress endpoint answers it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ImportProgress {
    pub party: PartyCode,
    pub source: ImportSource,
    pub state: ImportState,
    pub started_by: String,
    /// RFC 3339.
    pub started_at: String,
    pub finished_at: Option<String>,
    /// The step under way: `fetching_pages`, `fetching_legislation`, `reading_answers`,
    /// `comparing`, `recording_taxa`, `rebuilding_catalogue`, `finished`.
    pub phase: String,
    /// Progress of the step: `done` of `total` (0 of 0 when the step has no count).
    pub done: u64,
    pub total: u64,
    /// Taxa in the answers, once read.
    pub read: Option<u64>,
    /// Taxa recorded (new or changed) so far.
    pub recorded: u64,
    /// Taxa whose record is already up to date, once compared.
    pub unchanged: Option<u64>,
    pub errors: Vec<String>,
    /// The final report: seen, new, changed, unchanged, already recorded.
    pub report: Option<Value>,
}

/// Which sources this server can import from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ImportSources {
    pub saved: bool,
    pub live: bool,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ImportRefused {
    #[error("an import is already running for this Party")]
    Running,
    #[error("this server has no {0} source configured (species_dir for saved answers, speciesplus_token for live)")]
    NotConfigured(&'static str),
}

/// Runs and reports species imports (implemented by `ecites serve`).
pub trait SpeciesImports: Send + Sync {
    fn sources(&self) -> ImportSources;
    /// Starts an import for the actor's Party in the background.
    fn start(
        &self,
        actor: &Principal,
        source: ImportSource,
    ) -> Result<ImportProgress, ImportRefused>;
    /// The running or last import of the Party since the server started.
    fn progress(&self, party: PartyCode) -> Option<ImportProgress>;
}

struct ImportApi<S> {
    api: Arc<S>,
    imports: Arc<dyn SpeciesImports>,
}

impl<S: SessionLookup> SessionLookup for ImportApi<S> {
    fn session(&self, token: &str) -> Option<Principal> {
        self.api.session(token)
    }
}

/// `GET|POST /api/{party}/species/import`, sharing `api`'s sessions.
pub fn router<S: SessionLookup + Send + Sync + 'static>(
    api: Arc<S>,
    imports: Arc<dyn SpeciesImports>,
) -> Router {
    Router::new()
        .route(
            "/api/{party}/species/import",
            get(show::<S>).post(start::<S>),
        )
        .with_state(Arc::new(ImportApi { api, imports }))
}

async fn show<S: SessionLookup + Send + Sync>(
    State(s): State<Arc<ImportApi<S>>>,
    Authenticated(who): Authenticated,
    Path(code): Path<String>,
) -> Result<Json<Value>, Problem> {
    let party = admin_of(&who, &code)?;
    Ok(Json(json!({
        "sources": s.imports.sources(),
        "import": s.imports.progress(party),
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StartBody {
    source: Value,
}

async fn start<S: SessionLookup + Send + Sync>(
    State(s): State<Arc<ImportApi<S>>>,
    Authenticated(who): Authenticated,
    Path(code): Path<String>,
    raw: JsonBody,
) -> Result<(StatusCode, Json<Value>), Problem> {
    admin_of(&who, &code)?;
    let JsonBody(v) = raw;
    let b: StartBody = typed(v)?;
    let source: ImportSource = serde_json::from_value(b.source)
        .map_err(|_| refused("IMPORT-SOURCE", "source", "saved or live".into()))?;
    let progress = s.imports.start(&who, source).map_err(|e| match e {
        ImportRefused::Running => Problem::new(
            StatusCode::CONFLICT,
            "import-running",
            "An import is running",
            e.to_string(),
        ),
        ImportRefused::NotConfigured(_) => refused("IMPORT-SOURCE", "source", e.to_string()),
    })?;
    Ok((StatusCode::ACCEPTED, Json(json!({ "import": progress }))))
}

fn refused(rule: &str, field: &str, message: String) -> Problem {
    let mut p = Problem::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid",
        "Invalid import",
        message.clone(),
    );
    p.violations.push(Violation {
        rule: rule.into(),
        message,
        field: Some(field.into()),
    });
    p
}

/// The import routes of the OpenAPI document.
pub fn openapi_paths(paths: &mut Map<String, Value>) {
    paths.insert("/api/{party}/species/import".into(), json!({
        "get": {"summary": "The sources this server imports from and the Party's running or last species import: step, done/total, taxa read/recorded/unchanged, errors, final report (Party admin)",
            "security": [{"bearer": []}]},
        "post": {"summary": "Start a Species+ import in the background from the saved answers (species_dir) or live (speciesplus_token); one at a time per Party (Party admin)",
            "security": [{"bearer": []}],
            "requestBody": {"content": {"application/json": {"schema": {"type": "object", "required": ["source"],
                "properties": {"source": {"enum": ["saved", "live"]}}}}}},
            "responses": {"202": {"description": "started"}, "403": {"description": "not the Party's administrator"},
                "409": {"description": "an import is running"}, "422": {"description": "source not configured"}}}}));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::users::Users;
    use crate::handler::auth::Role;
    use axum::body::Body;
    use axum::http::Request;
    use std::sync::Mutex;
    use tower::ServiceExt;

    struct Sessions(Users);
    impl SessionLookup for Sessions {
        fn session(&self, token: &str) -> Option<Principal> {
            self.0.session(token)
        }
    }

    /// Records what it was asked; the real importer is tested end to end by `ecites serve`.
    #[derive(Default)]
    struct Recorder(Mutex<Vec<(String, ImportSource)>>);
    impl SpeciesImports for Recorder {
        fn sources(&self) -> ImportSources {
            ImportSources {
                saved: true,
                live: false,
            }
        }
        fn start(
            &self,
            who: &Principal,
            source: ImportSource,
        ) -> Result<ImportProgress, ImportRefused> {
            if source == ImportSource::Live {
                return Err(ImportRefused::NotConfigured("live"));
            }
            let mut started = self.0.lock().unwrap();
            if !started.is_empty() {
                return Err(ImportRefused::Running);
            }
            started.push((who.user_id.clone(), source));
            Ok(ImportProgress {
                party: who.party,
                source,
                state: ImportState::Running,
                started_by: who.user_id.clone(),
                started_at: "2026-01-01T00:00:00Z".into(),
                finished_at: None,
                phase: "reading_answers".into(),
                done: 0,
                total: 0,
                read: None,
                recorded: 0,
                unchanged: None,
                errors: vec![],
                report: None,
            })
        }
        fn progress(&self, _: PartyCode) -> Option<ImportProgress> {
            None
        }
    }

    async fn call(app: &Router, method: &str, token: &str, body: Value) -> (u16, Value) {
        let req = Request::builder()
            .method(method)
            .uri("/api/LK/species/import")
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        let res = app.clone().oneshot(req).await.unwrap();
        let status = res.status().as_u16();
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .unwrap();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    #[tokio::test]
    async fn only_the_partys_admin_starts_one_import_from_a_configured_source() {
        let users = Users::default();
        let (lk, ke) = ("LK".parse().unwrap(), "KE".parse().unwrap());
        let pw = "a long enough password";
        users.add(lk, "admin", Role::PartyAdmin, None, pw).unwrap();
        users.add(lk, "officer", Role::MaOfficer, None, pw).unwrap();
        users
            .add(ke, "admin-ke", Role::PartyAdmin, None, pw)
            .unwrap();
        let token = |p, id| users.login(p, id, pw).unwrap().0;
        let (admin, officer, other) = (
            token(lk, "admin"),
            token(lk, "officer"),
            token(ke, "admin-ke"),
        );
        let recorder = Arc::new(Recorder::default());
        let app = router(Arc::new(Sessions(users)), recorder.clone());

        for t in [&officer, &other] {
            assert_eq!(
                call(&app, "POST", t, json!({"source": "saved"})).await.0,
                403
            );
            assert_eq!(call(&app, "GET", t, Value::Null).await.0, 403);
        }
        let (status, body) = call(&app, "POST", &admin, json!({"source": "tape"})).await;
        assert_eq!(
            (status, body["violations"][0]["field"].as_str()),
            (422, Some("source"))
        );
        let (status, body) = call(&app, "POST", &admin, json!({"source": "live"})).await;
        assert_eq!(
            (status, body["violations"][0]["field"].as_str()),
            (422, Some("source"))
        );
        assert!(
            recorder.0.lock().unwrap().is_empty(),
            "nothing started on refusal"
        );

        let (status, body) = call(&app, "POST", &admin, json!({"source": "saved"})).await;
        assert_eq!(
            (status, body["import"]["state"].as_str()),
            (202, Some("running"))
        );
        assert_eq!(
            call(&app, "POST", &admin, json!({"source": "saved"}))
                .await
                .0,
            409
        );
        let (status, body) = call(&app, "GET", &admin, Value::Null).await;
        assert_eq!(
            (status, body["sources"]["saved"].as_bool()),
            (200, Some(true))
        );
        assert_eq!(recorder.0.lock().unwrap().len(), 1);
    }
}
