//! The Species+ fixtures (recorded API answers in `fixtures/speciesplus/bodies/`) and
//! a local stand-in for the Species+ API that serves them over real HTTP: it pages, checks
//! the token, and can throttle or fail on cue so that the client's retries can be counted.

use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

pub const ELEPHANT: u64 = 4521;
/// 1 elephant (`name=Loxodonta africana`) + 20 Procyonidae/Ursidae concepts (pages 43-44).
pub const FIXTURE_TAXA: usize = 21;

pub fn bodies() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/speciesplus/bodies")
}

pub fn body(name: &str) -> Value {
    let path = bodies().join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// The recorded fixture bodies under the names of the saved-answers layout.
pub fn fixture_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (from, to) in [
        ("spp_taxonconcept_def__0.json", "taxon_concepts_1.json"),
        ("spp_taxonconcept_pag__0.json", "taxon_concepts_43.json"),
        ("spp_taxonconcept_pag__1.json", "taxon_concepts_44.json"),
        (
            "spp_cites_legislation_sco__0.json",
            "cites_legislation_4521.json",
        ),
    ] {
        std::fs::copy(bodies().join(from), dir.path().join(to)).unwrap();
    }
    dir
}

pub const TOKEN: &str = "test-token";

#[derive(Default)]
pub struct Fake {
    pub pages: BTreeMap<u64, Value>,
    pub legislation: BTreeMap<u64, Value>,
    /// Requests seen, as `page <n>` or `legislation <id>`.
    pub seen: Mutex<Vec<String>>,
    /// Answer 429 to this many requests for page 2 first.
    pub page_2_throttled: AtomicUsize,
    /// Answer 503 to this many requests for the elephant's legislation first.
    pub elephant_unavailable: AtomicUsize,
    /// Answer every request with 429.
    pub always_throttled: bool,
}

impl Fake {
    /// The 21 fixture concepts re-cut into two pages of 11, with the elephant's recorded
    /// legislation and an empty one for the 20 taxa the fixtures hold none for.
    pub fn two_pages() -> Self {
        let mut concepts = Vec::new();
        for name in [
            "spp_taxonconcept_def__0.json",
            "spp_taxonconcept_pag__0.json",
            "spp_taxonconcept_pag__1.json",
        ] {
            concepts.extend(body(name)["taxon_concepts"].as_array().unwrap().clone());
        }
        assert_eq!(concepts.len(), FIXTURE_TAXA);
        let mut fake = Fake::default();
        for (i, chunk) in concepts.chunks(11).enumerate() {
            let page = i as u64 + 1;
            fake.pages.insert(
                page,
                json!({
                    "pagination": {"current_page": page, "per_page": 11, "total_entries": concepts.len()},
                    "taxon_concepts": chunk,
                }),
            );
        }
        for c in &concepts {
            let id = c["id"].as_u64().unwrap();
            let answer = if id == ELEPHANT {
                body("spp_cites_legislation_sco__0.json")
            } else {
                json!({"cites_listings": [], "cites_quotas": [], "cites_suspensions": []})
            };
            fake.legislation.insert(id, answer);
        }
        fake
    }

    /// The same answers in the saved-answers layout.
    pub fn write_dir(&self) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (n, page) in &self.pages {
            let path = dir.path().join(format!("taxon_concepts_{n}.json"));
            std::fs::write(path, serde_json::to_vec(page).unwrap()).unwrap();
        }
        for (id, answer) in &self.legislation {
            let path = dir.path().join(format!("cites_legislation_{id}.json"));
            std::fs::write(path, serde_json::to_vec(answer).unwrap()).unwrap();
        }
        dir
    }

    pub fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

fn take_one(counter: &AtomicUsize) -> bool {
    counter
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
}

fn gate(fake: &Fake, headers: &HeaderMap, what: String) -> Option<Response> {
    fake.seen.lock().unwrap().push(what);
    if headers
        .get("X-Authentication-Token")
        .and_then(|v| v.to_str().ok())
        != Some(TOKEN)
    {
        return Some((StatusCode::UNAUTHORIZED, r#"{"message":"Unauthorised"}"#).into_response());
    }
    fake.always_throttled
        .then(|| StatusCode::TOO_MANY_REQUESTS.into_response())
}

async fn page(
    State(fake): State<Arc<Fake>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let n: u64 = q.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
    if let Some(refused) = gate(&fake, &headers, format!("page {n}")) {
        return refused;
    }
    if n == 2 && take_one(&fake.page_2_throttled) {
        return StatusCode::TOO_MANY_REQUESTS.into_response();
    }
    let empty = json!({"pagination": {"current_page": n, "per_page": 11, "total_entries": 21}, "taxon_concepts": []});
    axum::Json(fake.pages.get(&n).cloned().unwrap_or(empty)).into_response()
}

async fn legislation(
    State(fake): State<Arc<Fake>>,
    headers: HeaderMap,
    UrlPath(id): UrlPath<u64>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Some(refused) = gate(&fake, &headers, format!("legislation {id}")) {
        return refused;
    }
    if q.get("scope").map(String::as_str) != Some("all") {
        return (StatusCode::BAD_REQUEST, "scope=all expected").into_response();
    }
    if id == ELEPHANT && take_one(&fake.elephant_unavailable) {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    match fake.legislation.get(&id) {
        Some(answer) => axum::Json(answer.clone()).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Serves `fake` on a free loopback port; returns the API base URL.
pub async fn serve(fake: Arc<Fake>) -> String {
    let app = Router::new()
        .route("/api/v1/taxon_concepts", get(page))
        .route(
            "/api/v1/taxon_concepts/{id}/cites_legislation",
            get(legislation),
        )
        .with_state(fake);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/api/v1")
}
