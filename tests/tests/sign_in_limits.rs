//! Limits on guessing (issue #13), on the whole `ecites serve` app in process with each request
//! coming from a client address of the test's choosing: five failed sign-ins lock an account
//! (429 with Retry-After, the password not even checked), a sign-in resets its account's
//! count, twenty failures lock an address whatever the accounts, unknown set-password links
//! and unknown tokens lock their address; `X-Forwarded-For` counts only when configured.
//! Every sign-in and failure is in the users' audit trail.

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Request, StatusCode};
use ecites_command::handler::auth::Role;
use ecites_tests::api::PASSWORD;
use ecites_tests::system::TestSystem;
use serde_json::{json, Value};
use std::net::SocketAddr;

async fn system(trust_forwarded_for: bool) -> TestSystem {
    TestSystem::builder()
        .party("LK")
        .user("LK", "officer", Role::MaOfficer, None)
        .user("LK", "clerk", Role::MaOfficer, None)
        .user("LK", "admin", Role::PartyAdmin, None)
        .configure(move |c| c.trust_forwarded_for = trust_forwarded_for)
        .build()
        .await
}

fn from(address: &str, mut req: Request<Body>) -> Request<Body> {
    let peer: SocketAddr = format!("{address}:40000").parse().unwrap();
    req.extensions_mut().insert(ConnectInfo(peer));
    req
}

fn json_post(path: &str, body: Value) -> Request<Body> {
    Request::post(path)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

/// `POST /api/login` as `user` with `password` from `address`; status, headers, answer.
async fn sign_in(
    sys: &TestSystem,
    address: &str,
    user: &str,
    password: &str,
) -> (StatusCode, HeaderMap, Value) {
    let req = json_post(
        "/api/login",
        json!({"party": "LK", "user_id": user, "password": password}),
    );
    let (status, headers, body) = sys.send(from(address, req)).await;
    (
        status,
        headers,
        serde_json::from_slice(&body).unwrap_or(Value::Null),
    )
}

fn retry_after(headers: &HeaderMap) -> u64 {
    headers["retry-after"].to_str().unwrap().parse().unwrap()
}

fn audit(sys: &TestSystem) -> Vec<Value> {
    let path = sys.config.users_file.with_extension("audit.jsonl");
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test]
async fn five_failures_lock_the_account_and_a_sign_in_resets_the_count() {
    let sys = system(false).await;
    let a = "192.0.2.10";
    for round in 0..2 {
        for _ in 0..4 {
            assert_eq!(
                sign_in(&sys, a, "officer", "wrong").await.0,
                StatusCode::UNAUTHORIZED
            );
        }
        // Four failures and a success: the next four start from nothing.
        assert_eq!(
            sign_in(&sys, a, "officer", PASSWORD).await.0,
            StatusCode::OK,
            "{round}"
        );
    }
    for _ in 0..5 {
        assert_eq!(
            sign_in(&sys, a, "officer", "wrong").await.0,
            StatusCode::UNAUTHORIZED
        );
    }
    // Locked: even the right password, from any address, is refused without being checked.
    for address in [a, "198.51.100.20"] {
        let (status, headers, out) = sign_in(&sys, address, "officer", PASSWORD).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{out}");
        assert!((1..=60).contains(&retry_after(&headers)), "{headers:?}");
        assert_eq!(out["violations"][0]["rule"], "USER-SIGN-IN-ATTEMPTS");
        assert!(out.get("token").is_none());
    }
    // The web sign-in says so too, and sets no cookie.
    let form = Request::post("/query/ui/login")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(format!(
            "party=LK&user_id=officer&password={PASSWORD}"
        )))
        .unwrap();
    let (status, headers, body) = sys.send(from(a, form)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(retry_after(&headers) >= 1);
    assert!(headers.get("set-cookie").is_none());
    assert!(String::from_utf8_lossy(&body).contains("Too many failed sign-ins"));
    // Another account from the same address is not concerned.
    assert_eq!(sign_in(&sys, a, "clerk", PASSWORD).await.0, StatusCode::OK);

    let entries = audit(&sys);
    let count = |action: &str, user: &str| {
        entries
            .iter()
            .filter(|e| e["action"] == action && e["user_id"] == user)
            .count()
    };
    assert_eq!(count("sign_in_failed", "officer"), 13);
    assert_eq!(count("signed_in", "officer"), 2);
    assert_eq!(count("sign_in_locked", "officer"), 1);
    assert_eq!(count("signed_in", "clerk"), 1);
    assert!(entries
        .iter()
        .filter(|e| e["action"].as_str().unwrap().starts_with("sign"))
        .all(|e| e["address"].is_string()));
    let text = serde_json::to_string(&entries).unwrap();
    assert!(
        !text.contains(PASSWORD) && !text.contains("wrong"),
        "no password in the trail"
    );
}

#[tokio::test]
async fn twenty_failures_lock_the_address_whatever_the_accounts() {
    let sys = system(false).await;
    let a = "192.0.2.11";
    for i in 0..20 {
        // Four per account, so that no account is locked by itself.
        let user = format!("guess-{}", i / 4);
        assert_eq!(
            sign_in(&sys, a, &user, "x").await.0,
            StatusCode::UNAUTHORIZED
        );
    }
    let (status, headers, _) = sign_in(&sys, a, "officer", PASSWORD).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(retry_after(&headers) >= 1);
    // The header naming another address is not believed unless configured.
    let req = json_post(
        "/api/login",
        json!({"party": "LK", "user_id": "officer", "password": PASSWORD}),
    );
    let mut req = from(a, req);
    req.headers_mut()
        .insert("x-forwarded-for", "203.0.113.5".parse().unwrap());
    assert_eq!(sys.send(req).await.0, StatusCode::TOO_MANY_REQUESTS);
    // Another address signs in.
    assert_eq!(
        sign_in(&sys, "192.0.2.12", "officer", PASSWORD).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_address_counts() {
    let sys = system(true).await;
    let proxy = "10.0.0.1";
    let via = |client: &str, password: &str| {
        let mut req = from(
            proxy,
            json_post(
                "/api/login",
                json!({"party": "LK", "user_id": format!("u-{client}"), "password": password}),
            ),
        );
        // The client's own claim first, then what the proxy appended.
        let chain = format!("203.0.113.99, {client}");
        req.headers_mut()
            .insert("x-forwarded-for", chain.parse().unwrap());
        req
    };
    for _ in 0..4 {
        for user in ["a", "b", "c", "d", "e"] {
            let mut req = via("198.51.100.7", "x");
            // Several accounts, so that only the address limit applies.
            let body = json!({"party": "LK", "user_id": user, "password": "x"});
            *req.body_mut() = Body::from(body.to_string());
            assert_eq!(sys.send(req).await.0, StatusCode::UNAUTHORIZED);
        }
    }
    assert_eq!(
        sys.send(via("198.51.100.7", "x")).await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Another client behind the same proxy is not locked out.
    assert_eq!(
        sys.send(via("198.51.100.8", "x")).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn unknown_tokens_lock_their_address() {
    let sys = system(false).await;
    // The read models exist once the projector follows the Party.
    sys.healthy(std::time::Duration::from_secs(60)).await;
    let token = sys.login("LK", "officer").await;
    let query = |address: &str, bearer: &str| {
        from(
            address,
            Request::get("/query/api/LK/permits")
                .header("authorization", format!("Bearer {bearer}"))
                .body(Body::empty())
                .unwrap(),
        )
    };
    let a = "192.0.2.13";
    for i in 0..30 {
        let (status, _, _) = sys.send(query(a, &format!("guess{i}"))).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    // Now even a good token from that address is refused; from another it works.
    let (status, headers, body) = sys.send(query(a, &token)).await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        String::from_utf8_lossy(&body)
    );
    assert!(retry_after(&headers) >= 1);
    assert_eq!(
        sys.send(query("192.0.2.14", &token)).await.0,
        StatusCode::OK
    );

    // Session cookies are tokens too (a page needs no CSRF header to be read).
    let b = "192.0.2.15";
    for i in 0..30 {
        let req = Request::get("/query/ui/LK")
            .header("cookie", format!("ecites_session=guess{i}"))
            .body(Body::empty())
            .unwrap();
        let (status, headers, _) = sys.send(from(b, req)).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        // The ended session's cookie is cleared, so a browser stops presenting it.
        assert!(headers
            .get_all("set-cookie")
            .iter()
            .any(|c| c.to_str().unwrap().starts_with("ecites_session=;")));
    }
    let req = Request::get("/query/ui/LK")
        .header("cookie", format!("ecites_session={token}"))
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        sys.send(from(b, req)).await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn unknown_set_password_links_lock_their_address() {
    let sys = system(false).await;
    let admin = sys.login("LK", "admin").await;
    let (status, out) = sys
        .call(
            "POST",
            "/api/LK/users",
            Some(&admin),
            Some(json!({"user_id": "new.officer", "role": "ma_officer"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    let link = out["set_password_token"].as_str().unwrap().to_string();
    let set = |address: &str, token: &str| {
        from(
            address,
            json_post(
                "/api/set-password",
                json!({"token": token, "password": "a long new passphrase"}),
            ),
        )
    };
    let a = "192.0.2.16";
    for i in 0..10 {
        let (status, _, _) = sys.send(set(a, &format!("{i:064}"))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let (status, headers, body) = sys.send(set(a, &link)).await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        String::from_utf8_lossy(&body)
    );
    assert!(retry_after(&headers) >= 1);
    let out: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(out["violations"][0]["field"], "token");
    // The link still works from elsewhere: it was never checked.
    let (status, _, body) = sys.send(set("192.0.2.17", &link)).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
}
