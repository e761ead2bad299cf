//! Where the `tracing` events of every crate go: stderr, filtered by `RUST_LOG` (an
//! `EnvFilter`; default `warn`, so the CLI's own output stays readable), as JSON lines when
//! `ECITES_LOG_FORMAT=json` (for a log shipper), else as text.

use tracing_subscriber::EnvFilter;

/// Installs the subscriber once; later calls (the tests run many commands in one process)
/// keep the first.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"));
    let json = std::env::var("ECITES_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().with_current_span(true).try_init()
    } else {
        builder.try_init()
    };
}

/// A request id on every request (`x-request-id`: the caller's, else a new UUID), echoed in
/// the answer, and one `request` span per request with it, closed by a line with the status
/// and latency at `info`. The path only: a query string may carry a set-password link's token.
pub fn traced(app: axum::Router) -> axum::Router {
    use axum::http::Request;
    use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
    use tower_http::trace::{DefaultOnRequest, DefaultOnResponse, TraceLayer};
    use tower_http::LatencyUnit;
    use tracing::Level;
    let trace = TraceLayer::new_for_http()
        .make_span_with(|req: &Request<axum::body::Body>| {
            let id = req
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-");
            tracing::info_span!("request", id = %id, method = %req.method(), path = %req.uri().path())
        })
        .on_request(DefaultOnRequest::new().level(Level::DEBUG))
        .on_response(
            DefaultOnResponse::new()
                .level(Level::INFO)
                .latency_unit(LatencyUnit::Micros),
        );
    app.layer(PropagateRequestIdLayer::x_request_id())
        .layer(trace)
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}
