//! What `ecites serve` tells a Prometheus scraper about its traffic (prometheus-client, the
//! Prometheus project's own crate): requests and their latency per route template, method and
//! status; the command refusals per CITES rule; the sessions open. `/metrics` serves these
//! with the projector's gauges (checkpoints, lag, stream integrity, witness refusals), behind
//! the same gate as `/projector/metrics`. Alerting on them: `docs/operations.md`.

use axum::extract::{MatchedPath, Request};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::sync::Arc;
use std::time::Instant;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    /// The route template (`/api/{party}/permits/{id}/{action}`), never the path itself, so
    /// the series stay few and hold no permit number.
    route: String,
    method: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
    method: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RuleLabels {
    rule: String,
}

/// The instruments; cheap to clone (each is an `Arc` inside).
#[derive(Clone)]
pub struct HttpMetrics {
    registry: Arc<Registry>,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    refusals: Family<RuleLabels, Counter>,
    sessions: Gauge,
}

fn latency_histogram() -> Histogram {
    // 1 ms to about 16 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

impl HttpMetrics {
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        let latency =
            Family::<RouteLabels, Histogram>::new_with_constructor(latency_histogram as fn() -> _);
        let refusals = Family::<RuleLabels, Counter>::default();
        let sessions = Gauge::default();
        registry.register(
            "ecites_http_requests",
            "Answers, by route template, method and status",
            requests.clone(),
        );
        registry.register(
            "ecites_http_request_duration_seconds",
            "Time to answer, by route template and method",
            latency.clone(),
        );
        registry.register(
            "ecites_command_refusals",
            "Commands refused by a CITES rule (422), by rule id; one refusal may name several",
            refusals.clone(),
        );
        registry.register("ecites_sessions", "Sessions open", sessions.clone());
        Self {
            registry: Arc::new(registry),
            requests,
            latency,
            refusals,
            sessions,
        }
    }

    pub fn set_sessions(&self, open: usize) {
        self.sessions.set(i64::try_from(open).unwrap_or(i64::MAX));
    }

    /// The OpenMetrics text of these instruments.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        // The projector's text follows: the exposition's end marker would hide it.
        out.trim_end().trim_end_matches("# EOF").to_string()
    }

    fn observe(&self, route: String, method: &Method, status: StatusCode, seconds: f64) {
        let method = method.as_str().to_string();
        self.requests
            .get_or_create(&RequestLabels {
                route: route.clone(),
                method: method.clone(),
                status: status.as_u16(),
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels { route, method })
            .observe(seconds);
    }

    /// Counts each rule a 422 problem names; the answer goes on unchanged.
    async fn count_refusals(&self, res: Response) -> Response {
        let (parts, body) = res.into_parts();
        let Ok(bytes) = axum::body::to_bytes(body, 1 << 20).await else {
            return (StatusCode::INTERNAL_SERVER_ERROR, "").into_response();
        };
        if let Ok(problem) = serde_json::from_slice::<serde_json::Value>(&bytes) {
            let rules = problem["violations"].as_array().into_iter().flatten();
            for rule in rules.filter_map(|v| v["rule"].as_str()) {
                self.refusals
                    .get_or_create(&RuleLabels { rule: rule.into() })
                    .inc();
            }
        }
        Response::from_parts(parts, axum::body::Body::from(bytes))
    }
}

/// Around every route: the request's count and latency, and a refusal's rules.
pub async fn observe(metrics: HttpMetrics, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let method = req.method().clone();
    let command = method == Method::POST && route.starts_with("/api/");
    let start = Instant::now();
    let mut res = next.run(req).await;
    let status = res.status();
    let problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if command && status == StatusCode::UNPROCESSABLE_ENTITY && problem {
        res = metrics.count_refusals(res).await;
    }
    metrics.observe(route, &method, status, start.elapsed().as_secs_f64());
    res
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::routing::{get, post};
    use axum::Router;
    use tower::ServiceExt;

    fn app(metrics: HttpMetrics) -> Router {
        let refused = || async {
            let body = r#"{"type":"x","title":"Refused","status":422,"detail":"d","violations":[{"rule":"SUSPENSION","message":"m","field":null},{"rule":"QUOTA-EXCEEDED","message":"m","field":"lines[0]"}]}"#;
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                [(header::CONTENT_TYPE, "application/problem+json")],
                body,
            )
        };
        Router::new()
            .route("/api/{party}/permits/{id}/{action}", post(refused))
            .route("/query/api/{party}/permits", get(|| async { "[]" }))
            .layer(axum::middleware::from_fn(move |req, next| {
                observe(metrics.clone(), req, next)
            }))
    }

    async fn send(app: &Router, method: Method, uri: &str) -> (StatusCode, Vec<u8>) {
        let req = Request::builder()
            .method(method)
            .uri(uri)
            .body(Body::empty())
            .unwrap();
        let res = app.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let body = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .unwrap();
        (status, body.to_vec())
    }

    #[tokio::test]
    async fn requests_are_counted_by_route_template_and_refusals_by_rule() {
        let metrics = HttpMetrics::new();
        let app = app(metrics.clone());
        let id = "0193a000-0000-7000-8000-000000000000";
        let (status, body) = send(&app, Method::POST, &format!("/api/LK/permits/{id}/issue")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            String::from_utf8(body).unwrap().contains("QUOTA-EXCEEDED"),
            "the answer is unchanged"
        );
        send(&app, Method::GET, "/query/api/LK/permits").await;
        send(&app, Method::GET, "/query/api/LK/permits").await;
        metrics.set_sessions(3);
        let text = metrics.render();
        assert!(text.contains(r#"ecites_http_requests_total{route="/api/{party}/permits/{id}/{action}",method="POST",status="422"} 1"#), "{text}");
        assert!(text.contains(r#"ecites_http_requests_total{route="/query/api/{party}/permits",method="GET",status="200"} 2"#), "{text}");
        assert!(
            text.contains(r#"ecites_command_refusals_total{rule="SUSPENSION"} 1"#),
            "{text}"
        );
        assert!(
            text.contains(r#"ecites_command_refusals_total{rule="QUOTA-EXCEEDED"} 1"#),
            "{text}"
        );
        assert!(text.contains("ecites_sessions 3"), "{text}");
        assert!(
            text.contains("ecites_http_request_duration_seconds_bucket"),
            "{text}"
        );
        assert!(!text.contains(id), "no path, only templates: {text}");
    }
}
