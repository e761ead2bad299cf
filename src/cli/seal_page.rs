//! The phone page that checks a permit's `CP1` seal with the network off (issue #14,
//! `docs/seal.md`): static files under `/seal/`, open to anyone (a customs officer of another
//! country has no account here), and the revocation list it saves beside the published keys.
//!
//! The files are compiled in, so the page a verifier saved is the one this binary serves, and
//! the service worker's cache is named after their digest: a new release replaces the saved
//! copy on the next online visit, never half of it.

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use std::hash::{Hash, Hasher};
use std::sync::LazyLock;

const INDEX: &str = include_str!("seal_page/index.html");
const VERIFY: &str = include_str!("seal_page/verify.js");
const CP1: &str = include_str!("seal_page/cp1.js");
const NOBLE: &str = include_str!("seal_page/noble-ed25519.js");
const CSS: &str = include_str!("seal_page/seal.css");
const SW: &str = include_str!("seal_page/sw.js");

const JS: &str = "text/javascript; charset=utf-8";

/// The service worker with its cache's name: a digest of every file it saves. Only a byte
/// change of `sw.js` makes a browser install a new worker, hence the digest in it.
static SERVICE_WORKER: LazyLock<String> = LazyLock::new(|| {
    let mut h = std::hash::DefaultHasher::new();
    for file in [INDEX, VERIFY, CP1, NOBLE, CSS, SW] {
        file.hash(&mut h);
    }
    SW.replace("__VERSION__", &format!("{:016x}", h.finish()))
});

/// `/seal/…` and `/.well-known/ecites-revoked.json`, read from the live read models in `pool`.
pub fn router(pool: sqlx::PgPool) -> Router {
    Router::new()
        .route("/seal", get(|| async { Redirect::permanent("/seal/") }))
        .route(
            "/seal/",
            get(|| async { file("text/html; charset=utf-8", INDEX) }),
        )
        .route("/seal/verify.js", get(|| async { file(JS, VERIFY) }))
        .route("/seal/cp1.js", get(|| async { file(JS, CP1) }))
        .route("/seal/noble-ed25519.js", get(|| async { file(JS, NOBLE) }))
        .route(
            "/seal/seal.css",
            get(|| async { file("text/css; charset=utf-8", CSS) }),
        )
        .route(
            "/seal/sw.js",
            get(|| async { file(JS, SERVICE_WORKER.as_str()) }),
        )
        .route("/.well-known/ecites-revoked.json", get(revoked))
        .with_state(pool)
}

/// Revalidated on every online visit (`no-cache`): the service worker serves the saved copy
/// offline, and the browser's own cache must not hold back a release.
fn file(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

async fn revoked(State(pool): State<sqlx::PgPool>) -> Response {
    match ecites_query::revoked::revoked(&pool).await {
        Ok(list) => {
            let mut res = axum::Json(list).into_response();
            // Briefly: a cancellation should reach the verifiers that sync within minutes.
            res.headers_mut().insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300"),
            );
            res
        }
        Err(e) => {
            tracing::warn!("reading the revoked permits: {e}");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::RETRY_AFTER, "30")],
                "the revocation list cannot be read now\n",
            )
                .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worker_names_its_cache_after_the_files_and_saves_every_one() {
        assert!(!SERVICE_WORKER.contains("__VERSION__"));
        for name in ["verify.js", "cp1.js", "noble-ed25519.js", "seal.css"] {
            assert!(SW.contains(&format!("'./{name}'")), "{name} is not saved");
        }
        // The CSP allows no inline script or style.
        assert!(!INDEX.contains("<script>") && !INDEX.contains("style="));
    }
}
