//! The command side of eCITES: command handling ([`handler`]: load, authorize, decide, append,
//! retry) and the command HTTP API ([`api`]), over the CITES vocabulary and rules of
//! [`ecites_cites`] (re-exported as [`domain`] and [`reference`]).

pub mod api;
pub mod handler;

pub use ecites_cites::{domain, reference, seal};

use axum::{routing::get, Json, Router};
use serde_json::{json, Value};

pub const SERVICE: &str = "ecites-command";

/// The service's routes, ready to be served alone or mounted by `ecites serve`.
pub fn router() -> Router {
    Router::new().route("/health", get(health))
}

async fn health() -> Json<Value> {
    Json(json!({ "service": SERVICE, "status": "ok" }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt;

    #[tokio::test]
    async fn health_answers_ok() {
        let res = router()
            .oneshot(Request::get("/health").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }
}
