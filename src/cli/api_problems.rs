//! Every error answer of the two JSON APIs is a problem document (RFC 9457), whatever
//! produced it: a handler, an extractor's rejection (a path parameter that is no UUID), the
//! router (no such route, a method it does not serve) or a layer (the body limit, the
//! timeout). The handlers build their problems from their error enums; this layer turns the
//! plain-text answers of the framework into problems, so a client parses one shape.

use axum::extract::Request;
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use ecites_command::api::problem::Problem;

/// How much of a framework's plain-text rejection becomes the problem's detail.
const DETAIL_LIMIT: usize = 300;

fn is_api(path: &str) -> bool {
    path.starts_with("/api/") || path.starts_with("/query/api/")
}

fn is_json(res: &Response) -> bool {
    res.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"))
}

pub async fn api_problems(req: Request, next: Next) -> Response {
    let api = is_api(req.uri().path());
    let res = next.run(req).await;
    let status = res.status();
    if !api || !(status.is_client_error() || status.is_server_error()) || is_json(&res) {
        return res;
    }
    let retry_after = res.headers().get(header::RETRY_AFTER).cloned();
    let allow = res.headers().get(header::ALLOW).cloned();
    let text = match axum::body::to_bytes(res.into_body(), 64 * 1024).await {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(_) => String::new(),
    };
    let mut out = problem(status, &text).into_response();
    for (name, value) in [(header::RETRY_AFTER, retry_after), (header::ALLOW, allow)] {
        if let Some(v) = value {
            out.headers_mut().insert(name, v);
        }
    }
    out
}

/// The problem for a framework answer: its words for a client error (cut, they may repeat
/// the request), none of its own for a server error.
fn problem(status: StatusCode, text: &str) -> Problem {
    let title = status.canonical_reason().unwrap_or("Error");
    let kind = match status {
        StatusCode::NOT_FOUND => "not-found",
        StatusCode::METHOD_NOT_ALLOWED => "method-not-allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "too-large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported-media-type",
        StatusCode::SERVICE_UNAVAILABLE => "unavailable",
        s if s.is_server_error() => "server-error",
        _ => "malformed-request",
    };
    let detail = if status.is_server_error() {
        match status {
            StatusCode::SERVICE_UNAVAILABLE => "the service could not answer in time; try again",
            _ => "the server could not answer this request",
        }
        .to_string()
    } else if text.trim().is_empty() {
        match status {
            StatusCode::NOT_FOUND => "no such resource".to_string(),
            StatusCode::METHOD_NOT_ALLOWED => "this resource does not take that method".to_string(),
            _ => title.to_string(),
        }
    } else {
        text.chars().take(DETAIL_LIMIT).collect()
    };
    Problem::new(status, kind, title, detail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::routing::get;
    use axum::Router;
    use tower::ServiceExt;

    async fn answer(app: Router, uri: &str) -> (StatusCode, String, serde_json::Value) {
        let app = app.layer(axum::middleware::from_fn(api_problems));
        let req = Request::builder().uri(uri).body(Body::empty()).unwrap();
        let res = app.oneshot(req).await.unwrap();
        let status = res.status();
        let kind = res.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .to_string();
        let body = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .unwrap();
        (
            status,
            kind,
            serde_json::from_slice(&body).unwrap_or_default(),
        )
    }

    fn app() -> Router {
        Router::new()
            .route(
                "/api/{party}/permits/{id}",
                get(
                    |axum::extract::Path((_, _)): axum::extract::Path<(String, uuid::Uuid)>| async {
                        "ok"
                    },
                ),
            )
            .route("/ui/page", get(|| async { "page" }))
    }

    #[tokio::test]
    async fn a_rejected_path_parameter_is_a_problem_naming_it() {
        let (status, kind, body) = answer(app(), "/api/LK/permits/00").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(kind, "application/problem+json");
        assert_eq!(body["status"], 400);
        assert!(body["detail"].as_str().unwrap().contains("id"), "{body}");
    }

    #[tokio::test]
    async fn no_such_route_and_a_wrong_method_are_problems() {
        let (status, kind, body) = answer(app(), "/api/LK/nothing").await;
        assert_eq!(
            (status, kind.as_str()),
            (StatusCode::NOT_FOUND, "application/problem+json")
        );
        assert_eq!(body["detail"], "no such resource");
        let post = Request::builder()
            .method("POST")
            .uri("/api/LK/permits/0193a000-0000-7000-8000-000000000000")
            .body(Body::empty())
            .unwrap();
        let res = app()
            .layer(axum::middleware::from_fn(api_problems))
            .oneshot(post)
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert!(res.headers().contains_key(header::ALLOW));
        assert_eq!(
            res.headers()[header::CONTENT_TYPE],
            "application/problem+json"
        );
    }

    #[tokio::test]
    async fn pages_keep_their_own_answers() {
        let req = Request::builder()
            .uri("/ui/nothing")
            .body(Body::empty())
            .unwrap();
        let res = app()
            .layer(axum::middleware::from_fn(api_problems))
            .oneshot(req)
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        assert!(!res.headers().contains_key(header::CONTENT_TYPE));
    }

    #[test]
    fn a_server_error_says_nothing_of_its_cause() {
        let p = problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "connection to 10.0.0.5 refused",
        );
        assert!(!p.detail.contains("10.0.0.5"));
    }
}
