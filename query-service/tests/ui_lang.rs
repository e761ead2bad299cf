//! The web UI's language against a real PostgreSQL: `Accept-Language` picks French or
//! Spanish, the `ecites_lang` cookie overrides it, `?lang=` sets that cookie (on any page,
//! through the sign-in gate too), an unknown language falls back to English, and the header's
//! switcher links to the other two.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use common::*;
use tower::ServiceExt;

/// GET `uri` with an `Accept-Language` and a `Cookie` header when given.
async fn page(r: &Router, uri: &str, accept: Option<&str>, cookie: Option<&str>) -> Answer {
    let mut req = Request::get(uri);
    if let Some(a) = accept {
        req = req.header("accept-language", a);
    }
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    answer(
        r.clone()
            .oneshot(req.body(Body::empty()).unwrap())
            .await
            .unwrap(),
    )
    .await
}

fn lang_of(a: &Answer) -> &'static str {
    let html = a.text();
    for l in ["en", "fr", "es"] {
        if html.contains(&format!(r#"<html lang="{l}">"#)) {
            return l;
        }
    }
    panic!("no lang attribute: {html}")
}

fn set_lang_cookie(a: &Answer) -> Option<String> {
    a.headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("ecites_lang="))
        .map(str::to_string)
}

#[tokio::test]
async fn a_french_browser_gets_french_pages() {
    let (h, r) = ui_router().await;
    with_issuing_event(&h).await;
    let a = page(&r, "/ui/login", Some("fr-FR,fr;q=0.9,en;q=0.5"), None).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(lang_of(&a), "fr");
    let html = a.text();
    assert!(
        html.contains("Se connecter") && html.contains("Mot de passe"),
        "{html}"
    );
    assert!(!html.contains("Sign in"), "{html}");
    // The switcher: the other two as links, French as the current one.
    assert!(html.contains(r#"aria-label="Langue""#), "{html}");
    assert!(html.contains(r#"<a href="?lang=en" lang="en" hreflang="en">English</a>"#));
    assert!(html.contains(r#"<a href="?lang=es" lang="es" hreflang="es">Español</a>"#));
    assert!(html.contains(r#"<span lang="fr" aria-current="true">Français</span>"#));
    assert_eq!(set_lang_cookie(&a), None, "the header alone sets no cookie");

    // A customs officer's permit page in the Convention's French.
    let cookie = "ecites_session=customs; ecites_csrf=x";
    let a = page(
        &r,
        &format!("/ui/LK/permits/{P4}"),
        Some("fr"),
        Some(cookie),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    assert_eq!(lang_of(&a), "fr");
    let html = a.text();
    assert!(html.contains(">VALABLE<"), "{html}");
    assert!(
        html.contains("Timbre de sécurité") && html.contains("Douane"),
        "{html}"
    );
    assert!(!html.contains(">VALID<") && !html.contains("Security stamp"));
    let a = page(
        &r,
        &format!("/ui/LK/permits/{P2}"),
        Some("fr"),
        Some(cookie),
    )
    .await;
    assert!(a.text().contains("NON VALABLE · Utilisé"), "{}", a.text());
    h.drop_database().await;
}

#[tokio::test]
async fn the_cookie_overrides_accept_language() {
    let (h, r) = ui_router().await;
    with_issuing_event(&h).await;
    let a = page(&r, "/ui/login", Some("fr-FR"), Some("ecites_lang=es")).await;
    assert_eq!(lang_of(&a), "es");
    assert!(a.text().contains("Iniciar sesión"), "{}", a.text());
    let a = page(&r, "/ui/login", Some("es, fr"), Some("a=1; ecites_lang=en")).await;
    assert_eq!(lang_of(&a), "en");
    assert!(a.text().contains("Sign in"));
    // Through the gate, next to the session cookie.
    let a = page(
        &r,
        &format!("/ui/LK/permits/{P4}"),
        Some("en"),
        Some("ecites_session=customs; ecites_lang=es"),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    assert_eq!(lang_of(&a), "es");
    assert!(a.text().contains("Sello de seguridad") && a.text().contains(">VÁLIDO<"));
    h.drop_database().await;
}

#[tokio::test]
async fn lang_in_the_query_sets_the_cookie() {
    let (h, r) = ui_router().await;
    let a = page(&r, "/ui/login?lang=es", Some("fr-FR"), None).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(lang_of(&a), "es");
    let set = set_lang_cookie(&a).expect("the language cookie");
    assert!(set.starts_with("ecites_lang=es;"), "{set}");
    assert!(
        set.contains("SameSite=Lax") && set.contains("Path=/"),
        "{set}"
    );
    // The query wins over an earlier choice, and the other cookies still count: the gate
    // still finds the session (no redirect to sign in).
    let a = page(
        &r,
        "/ui/LK?lang=fr",
        None,
        Some("ecites_lang=es; ecites_session=trader_a; ecites_csrf=x"),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    assert_eq!(lang_of(&a), "fr");
    assert!(a.text().contains("Demander un permis"), "{}", a.text());
    assert!(set_lang_cookie(&a).is_some_and(|c| c.starts_with("ecites_lang=fr;")));
    // Other parameters are left to the page.
    let a = page(&r, "/ui/login?party=KE&lang=es", None, None).await;
    assert_eq!(lang_of(&a), "es");
    assert!(a.text().contains(r#"value="KE""#), "{}", a.text());
    h.drop_database().await;
}

#[tokio::test]
async fn an_unknown_language_falls_back_to_english() {
    let (h, r) = ui_router().await;
    let a = page(&r, "/ui/login", Some("de-DE, ja;q=0.8"), None).await;
    assert_eq!(lang_of(&a), "en");
    assert!(a.text().contains("Sign in"));
    let a = page(&r, "/ui/login?lang=de", None, Some("ecites_lang=xx")).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(lang_of(&a), "en");
    assert_eq!(
        set_lang_cookie(&a),
        None,
        "no cookie for an unknown language"
    );
    // An unknown choice leaves the browser's language in force.
    let a = page(&r, "/ui/login?lang=de", Some("es"), None).await;
    assert_eq!(lang_of(&a), "es");
    h.drop_database().await;
}
