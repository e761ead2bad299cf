//! What `ecites serve` puts around every route (issue #13), so that no route can forget it:
//! the client's address (and the proxy's word for it only when `trust_forwarded_for` is set),
//! the limit on tokens that resolve to no session, security headers on every answer, request
//! body limits and a timeout.

use axum::extract::{ConnectInfo, DefaultBodyLimit, Request};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use ecites_command::api::attempts::{client_address, Attempt, AttemptKey};
use ecites_command::api::problem::Problem;
use ecites_command::api::users::SESSION_COOKIE;
use ecites_command::api::ApiState;
use ecites_command::handler::document_types::max_document_bytes;
use ecites_events::jetstream::JetStreamLog;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;

/// The pages' policy: scripts and styles only from this origin's files (no inline script or
/// `style=`; the QR code is inline SVG markup, not an image URL), the script's `fetch` only
/// to this origin, forms only posting here, and no page framed by another site.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; \
     frame-ancestors 'none'; base-uri 'none'";

/// HSTS for a year, for this host only: the deployer's other hosts may not speak TLS.
pub const STRICT_TRANSPORT_SECURITY: &str = "max-age=31536000";

/// The largest JSON command or form: a permit application of many lines is a few KiB; the
/// largest event is 512 KiB, which no single request needs to approach.
pub const JSON_BODY_LIMIT: usize = 256 * 1024;

/// What the layers need from the configuration and the command side.
pub struct Hardening {
    pub api: Arc<ApiState<JetStreamLog>>,
    /// The scraper's bearer token: not a session, but not a guess either.
    pub metrics_token: Option<String>,
    pub trust_forwarded_for: bool,
    pub request_timeout: Duration,
}

impl Hardening {
    fn resolves(&self, token: &str) -> bool {
        self.api.users.session(token).is_some()
            || self
                .metrics_token
                .as_deref()
                .is_some_and(|m| super::serve::constant_time_eq(m.as_bytes(), token.as_bytes()))
    }
}

/// Every layer, around `app`.
pub fn harden(app: Router, h: Hardening) -> Router {
    let trust = h.trust_forwarded_for;
    let timeout = h.request_timeout;
    let h = Arc::new(h);
    let set = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
    };
    app.layer(DefaultBodyLimit::max(JSON_BODY_LIMIT))
        // The outer bound of a streamed body (a document upload); each type has its own cap.
        .layer(RequestBodyLimitLayer::new(max_document_bytes() + 64 * 1024))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            timeout,
        ))
        // Outside the limits and the timeout, so their answers become problems too.
        .layer(axum::middleware::from_fn(super::api_problems::api_problems))
        .layer(axum::middleware::from_fn(
            move |req: Request, next: Next| {
                let h = h.clone();
                async move { limit_tokens(&h, req, next).await }
            },
        ))
        .layer(axum::middleware::from_fn(move |req, next| {
            client(trust, req, next)
        }))
        .layer(axum::middleware::from_fn(strict_transport))
        .layer(set(
            header::CONTENT_SECURITY_POLICY,
            CONTENT_SECURITY_POLICY,
        ))
        .layer(set(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(set(header::REFERRER_POLICY, "no-referrer"))
        .layer(set(header::X_FRAME_OPTIONS, "DENY"))
}

/// HSTS only on answers to requests that came over TLS: over plain HTTP the header is
/// meaningless, and a deployment trying TLS must not be pinned to it by a test request.
async fn strict_transport(req: Request, next: Next) -> Response {
    let tls = ecites_query::ui::over_tls(req.headers());
    let mut res = next.run(req).await;
    if tls {
        res.headers_mut().insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(STRICT_TRANSPORT_SECURITY),
        );
    }
    res
}

/// The client's address as the handlers read it (`ConnectInfo`): the connection's peer, or
/// behind a trusted proxy the last address of `X-Forwarded-For` (the one the proxy itself
/// appended; earlier ones are the client's own claim). Without `trust_forwarded_for` the
/// header is ignored: anyone can send it.
async fn client(trust: bool, mut req: Request, next: Next) -> Response {
    if trust {
        if let Some(ip) = forwarded_for(req.headers()) {
            req.extensions_mut()
                .insert(ConnectInfo(SocketAddr::new(ip, 0)));
        }
    }
    next.run(req).await
}

/// The last address of the last `X-Forwarded-For` header.
pub fn forwarded_for(headers: &HeaderMap) -> Option<IpAddr> {
    headers
        .get_all("x-forwarded-for")
        .iter()
        .next_back()?
        .to_str()
        .ok()?
        .rsplit(',')
        .next()?
        .trim()
        .parse()
        .ok()
}

/// A client presenting tokens that name no session (a bearer header, or the session cookie)
/// is refused for a while after too many, before its token is even looked at; each such token
/// counts against its address. Requests without a token are not concerned.
async fn limit_tokens(h: &Hardening, req: Request, next: Next) -> Response {
    let Some(address) = client_address(req.extensions()) else {
        return next.run(req).await;
    };
    let headers = req.headers();
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let cookie = ecites_command::api::users::cookie(headers, SESSION_COOKIE);
    let tokens: Vec<&str> = bearer.into_iter().chain(cookie).collect();
    if tokens.is_empty() {
        return next.run(req).await;
    }
    let key = AttemptKey::address(Attempt::Token, address);
    let attempts = h.api.users.attempts();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    if let Some(seconds) = attempts.locked(&key, now) {
        return Problem::too_many_attempts("USER-TOKEN-ATTEMPTS", Some("authorization"), seconds)
            .into_response();
    }
    if !tokens.iter().any(|t| h.resolves(t)) && attempts.failed(&key, now).is_some() {
        tracing::warn!(%address, "tokens locked out after repeated unknown tokens");
    }
    next.run(req).await
}
