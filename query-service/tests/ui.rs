//! The web UI's server side against a real PostgreSQL: sign-in cookies, the gate, trader
//! isolation, the customs status banner (only an issued permit in date is valid) and escaping.
//! The journeys in a real browser are `ui-tests/` (deploy/browser.sh test).

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use common::*;
use tower::ServiceExt;

async fn page(r: &Router, uri: &str, session: Option<&str>) -> Answer {
    let mut req = Request::get(uri);
    if let Some(s) = session {
        req = req.header("cookie", format!("ecites_session={s}; ecites_csrf=x"));
    }
    answer(
        r.clone()
            .oneshot(req.body(Body::empty()).unwrap())
            .await
            .unwrap(),
    )
    .await
}

async fn login(r: &Router, form: &str) -> Answer {
    let req = Request::post("/ui/login")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(form.to_string()))
        .unwrap();
    answer(r.clone().oneshot(req).await.unwrap()).await
}

#[tokio::test]
async fn sign_in_sets_an_http_only_session_cookie_and_a_csrf_cookie() {
    let (h, r) = ui_router().await;
    let a = page(&r, "/ui/LK", None).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert_eq!(a.header("location"), Some("/query/ui/login?party=LK"));
    let a = page(&r, "/ui/LK", Some("nobody")).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);

    let a = login(&r, "party=LK&user_id=trader_a&password=wrong").await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert!(a.headers.get("set-cookie").is_none());
    assert!(a.text().contains("login-error"));

    let a = login(&r, "party=LK&user_id=trader_a&password=pw").await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.text());
    assert_eq!(a.header("location"), Some("/query/ui/LK"));
    let cookies: Vec<&str> = a
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    let session = cookies
        .iter()
        .find(|c| c.starts_with("ecites_session=trader_a;"));
    let session = session.expect("a session cookie");
    assert!(session.contains("HttpOnly") && session.contains("SameSite=Strict"));
    let csrf = cookies
        .iter()
        .find(|c| c.starts_with("ecites_csrf="))
        .expect("a CSRF cookie");
    assert!(!csrf.contains("HttpOnly") && csrf.contains("SameSite=Strict"));
    assert!(csrf.len() > "ecites_csrf=; Path=/; SameSite=Strict".len() + 32);
    assert!(!session.contains("Secure"), "plain HTTP: {session}");

    // Behind a TLS-terminating proxy both cookies are Secure.
    let req = Request::post("/ui/login")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-forwarded-proto", "https")
        .body(Body::from("party=LK&user_id=trader_a&password=pw"))
        .unwrap();
    let a = answer(r.clone().oneshot(req).await.unwrap()).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.text());
    let secure: Vec<&str> = a
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(secure.len(), 2, "{secure:?}");
    assert!(secure.iter().all(|c| c.ends_with("; Secure")), "{secure:?}");

    // Another Party's user is refused here.
    let a = page(&r, "/ui/LK", Some("ke_officer")).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);

    // Signing out is a state change: it needs the session's CSRF token.
    let token = csrf
        .strip_prefix("ecites_csrf=")
        .and_then(|c| c.split(';').next())
        .unwrap()
        .to_string();
    let logout = |body: String| {
        Request::post("/ui/logout")
            .header("content-type", "application/x-www-form-urlencoded")
            .header(
                "cookie",
                format!("ecites_session=trader_a; ecites_csrf={token}"),
            )
            .body(Body::from(body))
            .unwrap()
    };
    for forged in [
        String::new(),
        "csrf=".into(),
        format!("csrf={}x", &token[1..]),
    ] {
        let a = answer(r.clone().oneshot(logout(forged.clone())).await.unwrap()).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{forged:?}: {}", a.text());
        assert!(a.headers.get("set-cookie").is_none());
    }
    let a = answer(
        r.clone()
            .oneshot(logout(format!("csrf={token}")))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.text());
    assert_eq!(a.header("location"), Some("/query/ui/login"));
    assert_eq!(a.headers.get_all("set-cookie").iter().count(), 2);
    h.drop_database().await;
}

#[tokio::test]
async fn pages_keep_a_trader_inside_its_organisation() {
    let (h, r) = ui_router().await;
    let a = page(&r, "/ui/LK", Some("trader_a")).await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.text().contains(&format!("/permits/{P1}")));
    assert!(!a.text().contains(&format!("/permits/{P3}")));
    let a = page(&r, &format!("/ui/LK/permits/{P3}"), Some("trader_a")).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(!a.text().contains("Panthera"));
    let a = page(
        &r,
        &format!("/ui/LK/permits/{P1}/timeline"),
        Some("trader_b"),
    )
    .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    h.drop_database().await;
}

#[tokio::test]
async fn customs_sees_only_an_issued_permit_in_date_as_valid() {
    let (h, r) = ui_router().await;
    with_issuing_event(&h).await;
    let a = page(&r, "/ui/LK/find?number=LK/2025/000004", Some("customs")).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert_eq!(
        a.header("location"),
        Some(format!("/query/ui/LK/permits/{P4}").as_str())
    );
    let valid = page(&r, &format!("/ui/LK/permits/{P4}"), Some("customs")).await;
    assert!(
        valid.text().contains(r#"class="banner big good""#),
        "{}",
        valid.text()
    );
    assert!(valid.text().contains(">VALID<"));
    // Used, and issued but past its validity: red, never valid.
    for (id, words) in [(P2, "NOT VALID · Used"), (P1, "NOT VALID: expired")] {
        let a = page(&r, &format!("/ui/LK/permits/{id}"), Some("customs")).await;
        assert!(a.text().contains(r#"class="banner big bad""#), "{id}");
        assert!(a.text().contains(words), "{id}: {}", a.text());
        assert!(!a.text().contains(r#"data-action="endorse""#), "{id}");
    }
    let a = page(&r, "/ui/LK/find?number=LK/2025/999999", Some("customs")).await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.text().contains("not-found"));
    h.drop_database().await;
}

#[tokio::test]
async fn user_text_is_escaped() {
    let (h, r) = ui_router().await;
    exec(
        &h.pool,
        &format!(
            r#"UPDATE permits SET state = '{{"reason": "<script>alert(1)</script>"}}'
               WHERE permit_id = '{P1}'"#
        ),
    )
    .await;
    let a = page(&r, &format!("/ui/LK/permits/{P1}"), Some("ma_officer")).await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.text().contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!a.text().contains("<script>alert"));
    h.drop_database().await;
}

#[tokio::test]
async fn the_dashboard_charts_the_year_and_offers_the_annual_report() {
    let (h, r) = ui_router().await;
    let a = page(&r, "/ui/LK/dashboard?year=2025", Some("ma_officer")).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    let html = a.text();
    // The seeded rankings: Python regius first (2 permits), then Crocodylus niloticus.
    let python = html.find("Python regius").expect("species ranked");
    let croc = html.find("Crocodylus niloticus").expect("species ranked");
    assert!(python < croc, "ranked by permits");
    assert!(
        html.contains("<svg") && html.contains("role=\"img\""),
        "{html}"
    );
    assert!(
        html.contains("/ui/LK/reports/annual.csv?year=2025&amp;view=exporter&amp;basis=endorsed"),
        "{html}"
    );
    // The download is the query API's validated file.
    let csv = page(
        &r,
        "/ui/LK/reports/annual.csv?year=2025&view=exporter&basis=endorsed",
        Some("ma_officer"),
    )
    .await;
    assert!(
        csv.status == StatusCode::OK || csv.status == StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        csv.text()
    );
    if csv.status == StatusCode::OK {
        assert!(
            csv.text()
                .starts_with("Appendix,SpeciesName,TermCode,Quantity"),
            "{}",
            csv.text()
        );
    }
    // Traders read no reports.
    let a = page(&r, "/ui/LK/dashboard?year=2025", Some("trader_a")).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    h.drop_database().await;
}

#[tokio::test]
async fn an_import_permit_shows_what_its_reexports_hold_and_what_is_left() {
    let (h, r) = ui_router().await;
    exec(
        &h.pool,
        &format!(
            "INSERT INTO import_balances VALUES ('LK', '{P1}', 1, 50000, 20000, 99);
             INSERT INTO import_balances VALUES ('KE', '{P1}', 1, 1000, 0, 99);"
        ),
    )
    .await;
    let a = page(&r, &format!("/ui/LK/permits/{P1}"), Some("ma_officer")).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    let html = a.text();
    assert!(html.contains("Re-exports from this import"), "{html}");
    let row = html.split("id=\"reexports\"").nth(1).expect("the table");
    assert!(row.contains(">50<") && row.contains(">20<"), "{row}");
    h.drop_database().await;
}

/// The forms a page offers, by `data-action`.
fn offered(a: &Answer) -> Vec<String> {
    a.text()
        .split(r#"data-action=""#)
        .skip(1)
        .filter_map(|rest| rest.split('"').next().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn the_page_offers_what_the_lifecycle_allows_the_role_as_the_api_does() {
    let (h, r) = ui_router().await;
    // P3 is submitted: it can be assigned, rejected or returned, not yet approved.
    let officer = offered(&page(&r, &format!("/ui/LK/permits/{P3}"), Some("ma_officer")).await);
    let signatory = offered(&page(&r, &format!("/ui/LK/permits/{P3}"), Some("ma_signatory")).await);
    for action in ["assign", "reject", "return"] {
        assert!(officer.contains(&action.to_string()), "{officer:?}");
    }
    assert!(!officer.contains(&"approve".to_string()), "{officer:?}");
    // The command API lets a signatory do what an officer does in review, but for taking a
    // payment at the counter (an officer's); so does the page.
    let without_counter: Vec<String> = officer
        .iter()
        .filter(|a| *a != "payment-counter")
        .cloned()
        .collect();
    assert!(
        officer.contains(&"payment-counter".to_string()),
        "{officer:?}"
    );
    assert_eq!(without_counter, signatory);
    // P5 is approved: only the signatory issues.
    let approved = |who: &'static str| {
        let r = r.clone();
        async move { offered(&page(&r, &format!("/ui/LK/permits/{P5}"), Some(who)).await) }
    };
    assert!(approved("ma_signatory")
        .await
        .contains(&"issue".to_string()));
    assert!(!approved("ma_officer").await.contains(&"issue".to_string()));
    for who in ["auditor", "party_admin", "customs", "sa_expert"] {
        assert_eq!(approved(who).await, Vec::<String>::new(), "{who}");
    }
    h.drop_database().await;
}
