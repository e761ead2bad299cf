//! What `ecites serve` puts around every route (issue #13), on the whole app in process:
//! security headers on pages, API answers and errors alike (HSTS only over TLS), pages that
//! need no inline script or style under their Content-Security-Policy, request body limits
//! per kind of route, and a request timeout.

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use ecites_command::handler::auth::Role;
use ecites_tests::system::TestSystem;
use serde_json::json;
use std::time::{Duration, Instant};

async fn system() -> TestSystem {
    let sys = TestSystem::builder()
        .party("LK")
        .user("LK", "officer", Role::MaOfficer, None)
        .configure(|c| {
            c.request_timeout_secs = 1;
            c.read_wait_ms = 20_000;
        })
        .build()
        .await;
    // The read models exist once the projector follows the Party.
    sys.healthy(Duration::from_secs(60)).await;
    sys
}

fn get(path: &str, token: Option<&str>) -> Request<Body> {
    let mut r = Request::get(path);
    if let Some(t) = token {
        r = r.header("authorization", format!("Bearer {t}"));
    }
    r.body(Body::empty()).unwrap()
}

fn assert_hardened(what: &str, h: &HeaderMap) {
    let csp = h
        .get("content-security-policy")
        .unwrap_or_else(|| panic!("{what}: no Content-Security-Policy"))
        .to_str()
        .unwrap();
    for directive in [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    ] {
        assert!(csp.contains(directive), "{what}: {csp} lacks {directive}");
    }
    assert!(!csp.contains("unsafe"), "{what}: {csp}");
    assert_eq!(h["x-content-type-options"], "nosniff", "{what}");
    assert_eq!(h["referrer-policy"], "no-referrer", "{what}");
    assert_eq!(h["x-frame-options"], "DENY", "{what}");
    assert!(
        h.get("strict-transport-security").is_none(),
        "{what}: HSTS over plain HTTP"
    );
}

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let sys = system().await;
    let token = sys.login("LK", "officer").await;
    let bad_json = Request::post("/api/login")
        .header("content-type", "application/json")
        .body(Body::from("{\"party\": "))
        .unwrap();
    for (what, req, expected) in [
        ("sign-in page", get("/query/ui/login", None), StatusCode::OK),
        (
            "script",
            get("/query/ui/static/app.js", None),
            StatusCode::OK,
        ),
        (
            "command API document",
            get("/api/openapi.json", None),
            StatusCode::OK,
        ),
        (
            "query API answer",
            get("/query/api/LK/permits", Some(&token)),
            StatusCode::OK,
        ),
        (
            "query API refusal",
            get("/query/api/LK/permits", None),
            StatusCode::UNAUTHORIZED,
        ),
        ("command API refusal", bad_json, StatusCode::BAD_REQUEST),
        (
            "no such route",
            get("/nowhere", None),
            StatusCode::NOT_FOUND,
        ),
        ("public keys", get("/api/public-keys", None), StatusCode::OK),
    ] {
        let (status, headers, _) = sys.send(req).await;
        assert_eq!(status, expected, "{what}");
        assert_hardened(what, &headers);
    }
    // Over TLS (the proxy says so), HSTS too.
    let req = Request::get("/query/ui/login")
        .header("x-forwarded-proto", "https")
        .body(Body::empty())
        .unwrap();
    let (_, headers, _) = sys.send(req).await;
    assert!(
        headers["strict-transport-security"]
            .to_str()
            .unwrap()
            .starts_with("max-age="),
        "{headers:?}"
    );
}

/// Inline script, inline style and event-handler attributes, which the policy forbids.
fn inline_code(html: &str) -> Vec<String> {
    let lower = html.to_ascii_lowercase();
    let mut found = vec![];
    for (i, _) in lower.match_indices("<script") {
        let tag = &lower[i..lower[i..].find('>').map_or(lower.len(), |e| i + e)];
        if !tag.contains(" src=") {
            found.push(tag.to_string());
        }
    }
    for needle in [
        "<style",
        " style=",
        " onclick=",
        " onload=",
        " onchange=",
        " onsubmit=",
        "javascript:",
    ] {
        if lower.contains(needle) {
            found.push(needle.to_string());
        }
    }
    found
}

#[tokio::test]
async fn the_pages_need_no_inline_script_or_style() {
    let sys = system().await;
    let token = sys.login("LK", "officer").await;
    let page = |path: &str| {
        Request::get(path)
            .header("cookie", format!("ecites_session={token}; ecites_csrf=x"))
            .body(Body::empty())
            .unwrap()
    };
    for path in [
        "/query/ui/login",
        "/query/ui/set-password",
        "/query/ui/LK",
        "/query/ui/LK/find?number=LK%2F2026%2F000001",
        "/query/ui/LK/dashboard",
        "/query/ui/LK/reports/trade",
        "/query/ui/LK/organisations",
    ] {
        let (status, _, body) = sys.send(page(path)).await;
        assert!(status.is_success(), "{path}: {status}");
        let html = String::from_utf8(body).unwrap();
        assert!(html.contains("<html"), "{path}");
        assert_eq!(inline_code(&html), Vec::<String>::new(), "{path}");
    }
}

#[tokio::test]
async fn request_bodies_are_bounded_per_route() {
    let sys = system().await;
    let officer = sys.login("LK", "officer").await;
    let login = |password_len: usize| {
        let body =
            json!({"party": "LK", "user_id": "officer", "password": "p".repeat(password_len)});
        Request::post("/api/login")
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap()
    };
    // A command is small: 300 KiB is refused before it is parsed, 200 KiB is read.
    let (status, _, _) = sys.send(login(300 * 1024)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let (status, _, body) = sys.send(login(200 * 1024)).await;
    let out: serde_json::Value = serde_json::from_slice(&body).unwrap();
    // Read and parsed: refused for the password's length, not the body's.
    assert_eq!(status, StatusCode::BAD_REQUEST, "{out}");
    assert_eq!(out["violations"][0]["rule"], "DATA-TEXT-LENGTH");
    // A sign-in form too.
    let form = Request::post("/query/ui/login")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(format!(
            "party=LK&user_id=officer&password={}",
            "p".repeat(300 * 1024)
        )))
        .unwrap();
    assert_eq!(sys.send(form).await.0, StatusCode::PAYLOAD_TOO_LARGE);
    // A document has its own, larger cap.
    let upload = |len: usize| {
        let mut pdf = b"%PDF-1.7\n".to_vec();
        pdf.resize(len, b'0');
        Request::post("/api/LK/documents")
            .header("authorization", format!("Bearer {officer}"))
            .header("content-type", "application/pdf")
            .body(Body::from(pdf))
            .unwrap()
    };
    let (status, _, body) = sys.send(upload(6 * 1024 * 1024)).await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&body)
    );
    let (status, _, _) = sys.send(upload(11 * 1024 * 1024)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn a_request_that_takes_too_long_is_answered_at_the_timeout() {
    let sys = system().await;
    let token = sys.login("LK", "officer").await;
    // A position the read models will not reach: the query would wait read_wait_ms (20 s).
    let started = Instant::now();
    let (status, headers, _) = sys
        .send(get(
            "/query/api/LK/permits?position=LK:999999",
            Some(&token),
        ))
        .await;
    let took = started.elapsed();
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(took < Duration::from_secs(10), "answered after {took:?}");
    assert_hardened("timeout", &headers);
}
