//! The Party admin's pages and the report pages against a real PostgreSQL (seeded read
//! models): who may open them, what they show (amounts in major units, quotas with reserved
//! and used, the national list), the trade report's table and CSV, and a bad parameter named.
//! The command side behind the pages is a small [`Directory`] here; the pages' commands are
//! tested in the command API's tests and in the browser (`ui-tests/admin.mjs`).

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use common::*;
use ecites_events::PartyCode;
use ecites_query::ui::{Directory, Login, UserEntry};
use ecites_query::Viewer;
use serde_json::{json, Value};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use tower::ServiceExt;

struct TestLogin;

impl Login for TestLogin {
    fn login(
        &self,
        _: PartyCode,
        _: &str,
        _: &str,
        _: Option<std::net::IpAddr>,
    ) -> Result<(String, Viewer), ecites_query::ui::LoginRefused> {
        Err(ecites_query::ui::LoginRefused::BadCredentials)
    }
    fn logout(&self, _token: &str) {}
    fn directory(&self) -> Option<&dyn Directory> {
        Some(self)
    }
}

impl Directory for TestLogin {
    fn users(&self, party: PartyCode) -> Vec<UserEntry> {
        let user = |id: &str, role: &str, password_set| UserEntry {
            user_id: id.into(),
            role: role.into(),
            organisation_id: None,
            disabled: false,
            password_set,
            link_pending: !password_set,
        };
        match party.as_str() {
            "LK" => vec![
                user("party_admin@LK", "party_admin", true),
                user("new.officer", "ma_officer", false),
                UserEntry {
                    disabled: true,
                    ..user("gone", "customs", true)
                },
            ],
            _ => vec![user("ke-admin", "party_admin", true)],
        }
    }

    fn config(&self, _: PartyCode) -> Pin<Box<dyn Future<Output = Option<Value>> + Send + '_>> {
        Box::pin(async {
            Some(json!({
                "currency": "USD",
                "fees": [
                    {"document_type": "export_permit", "appendix": "I", "base": 12345, "per_line": 0, "express_surcharge": 0},
                    {"document_type": null, "appendix": null, "base": 2500, "per_line": 500, "express_surcharge": 5000}
                ],
                "domestic_measures": [{"id": "GAZ-2026-1", "taxon_id": 101, "scientific_name": "Python regius",
                    "description": "No wild exports", "banned_purposes": [], "banned_sources": ["W"]}],
                "national_list": [{"taxon_id": 106, "scientific_name": "Varanus salvator", "note": "protected locally"}],
                "national_entries": [{"id": "SUSP-TG-1", "entry": {"kind": "suspension", "country": "TG", "applies_to_import": false},
                    "taxon_id": null, "scientific_name": null, "notification": "Notification No. 2026/041",
                    "starts_on": "2026-01-01", "ends_on": null}],
            }))
        })
    }

    fn import_sources(&self) -> (bool, bool) {
        (true, false)
    }
}

async fn admin_router() -> (Harness, Router) {
    ui_router_with(Arc::new(TestLogin)).await
}

async fn page_in(r: &Router, uri: &str, session: Option<&str>, lang: &str) -> Answer {
    let mut req = Request::get(uri).header("accept-language", lang);
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

async fn page(r: &Router, uri: &str, session: Option<&str>) -> Answer {
    page_in(r, uri, session, "en").await
}

const ADMIN_PAGES: [&str; 6] = [
    "/ui/LK/admin",
    "/ui/LK/admin/users",
    "/ui/LK/admin/fees",
    "/ui/LK/admin/quotas?year=2025",
    "/ui/LK/admin/measures",
    "/ui/LK/admin/species",
];

#[tokio::test]
async fn only_the_partys_admin_opens_the_admin_pages() {
    let (h, r) = admin_router().await;
    for uri in ADMIN_PAGES {
        let a = page(&r, uri, Some("party_admin")).await;
        assert_eq!(a.status, StatusCode::OK, "{uri}: {}", a.text());
        for other in ["ma_officer", "auditor", "trader_a", "ma_signatory"] {
            let a = page(&r, uri, Some(other)).await;
            assert_eq!(a.status, StatusCode::FORBIDDEN, "{other} on {uri}");
            assert!(
                !a.text().contains("data-command"),
                "no admin form for {other}"
            );
        }
        let a = page(&r, uri, Some("ke_officer")).await;
        assert_eq!(
            a.status,
            StatusCode::FORBIDDEN,
            "another Party's user on {uri}"
        );
    }
    let a = page(&r, "/ui/LK", Some("party_admin")).await;
    assert!(a.text().contains("id=\"nav-admin\""));
    let a = page(&r, "/ui/LK", Some("ma_officer")).await;
    assert!(!a.text().contains("id=\"nav-admin\""));
    assert!(a.text().contains("id=\"nav-reports\""));
    h.drop_database().await;
}

#[tokio::test]
async fn the_admin_pages_show_users_fees_in_major_units_quotas_and_measures() {
    let (h, r) = admin_router().await;
    let users = page(&r, "/ui/LK/admin/users", Some("party_admin"))
        .await
        .text();
    assert!(users.contains("data-user=\"new.officer\"") && users.contains("Awaiting password"));
    assert!(
        !users.contains("ke-admin"),
        "another Party's users are not listed"
    );
    assert!(users.contains("data-command=\"/api/LK/users\""));
    assert!(
        users.contains("/api/LK/users/gone/enable")
            && !users.contains("/api/LK/users/gone/disable")
    );
    assert!(
        users.contains("data-confirm=\"Disable new.officer?"),
        "disabling asks first"
    );
    assert!(
        !users.contains("/api/LK/users/party_admin@LK/disable"),
        "no form to disable oneself"
    );

    let fees = page(&r, "/ui/LK/admin/fees", Some("party_admin"))
        .await
        .text();
    assert!(
        fees.contains("123.45 USD") && fees.contains("25.00 USD") && fees.contains("50.00 USD")
    );
    assert!(fees.contains("value=\"123.45\"") && fees.contains("data-type=\"minor\""));
    assert!(fees.contains("data-command=\"/api/LK/config/fees\""));

    let quotas = page(&r, "/ui/LK/admin/quotas?year=2025", Some("party_admin")).await;
    let quotas = quotas.text();
    assert!(quotas.contains("data-quota=\"q1\""), "{quotas}");
    for figure in [">100<", ">1.5<", ">8<", ">90.5<"] {
        assert!(
            quotas.contains(figure),
            "annual, reserved, used, remaining: {figure}"
        );
    }
    assert!(
        quotas.contains("data-fill=\"set-quota\"")
            && quotas.contains("&quot;quota_id&quot;:&quot;q1&quot;")
    );
    assert!(quotas.contains("name=\"domestic\" data-type=\"bool\""));
    let none = page(&r, "/ui/LK/admin/quotas?year=2024", Some("party_admin")).await;
    assert!(!none.text().contains("data-quota="));

    let measures = page(&r, "/ui/LK/admin/measures", Some("party_admin"))
        .await
        .text();
    assert!(
        measures.contains("data-measure=\"GAZ-2026-1\"") && measures.contains("Varanus salvator")
    );
    // The Party's own entries, with where each comes from, and the forms that record them.
    assert!(measures.contains("data-entry=\"SUSP-TG-1\""), "{measures}");
    assert!(measures.contains("Notification No. 2026/041") && measures.contains("National entry"));
    for form in [
        "record-suspension",
        "record-reservation",
        "record-listing",
        "lift-entry",
    ] {
        assert!(
            measures.contains(&format!("data-action=\"{form}\"")),
            "{form}"
        );
    }
    assert!(measures.contains("/api/LK/config/domestic-measures/GAZ-2026-1/revoke"));
    assert!(measures.contains("/api/LK/config/national-list/106/remove"));

    let species = page(&r, "/ui/LK/admin/species", Some("party_admin"))
        .await
        .text();
    assert!(species.contains("id=\"source-saved\"") && !species.contains("id=\"source-live\""));
    assert!(species.contains("data-command=\"/api/LK/species/import\""));

    let fr = page_in(&r, "/ui/LK/admin/fees", Some("party_admin"), "fr").await;
    assert!(fr.text().contains("Barème des droits"));
    h.drop_database().await;
}

#[tokio::test]
async fn the_set_password_page_needs_no_session_and_keeps_the_token_out_of_the_url() {
    let (h, r) = admin_router().await;
    let a = page(&r, "/ui/set-password", None).await;
    assert_eq!(a.status, StatusCode::OK);
    let text = a.text();
    assert!(text.contains("data-token-from-fragment") && text.contains("minlength=\"12\""));
    assert!(text.contains("data-command=\"/api/set-password\""));
    let js = page(&r, "/ui/static/admin.js", None).await;
    assert_eq!(js.status, StatusCode::OK);
    assert!(js.text().contains("location.hash"));
    h.drop_database().await;
}

#[tokio::test]
async fn the_trade_report_groups_filters_and_downloads_for_report_readers_only() {
    let (h, r) = admin_router().await;
    let uri = "/ui/LK/reports/trade?group_by=taxon&group_by=year&basis=endorsed";
    let a = page(&r, uri, Some("ma_officer")).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    let text = a.text();
    assert!(text.contains("id=\"trade-table\"") && text.contains("Python regius"));
    assert!(text.contains("Aquilaria malaccensis") && text.contains("KIL"));
    assert!(
        text.contains("/query/ui/LK/reports/trade.csv?group_by=taxon%2Cyear&amp;basis=endorsed"),
        "{text}"
    );
    let filtered = page(
        &r,
        "/ui/LK/reports/trade?group_by=taxon&unit=KIL",
        Some("auditor"),
    )
    .await;
    let filtered = filtered.text();
    assert!(filtered.contains("Aquilaria malaccensis") && !filtered.contains(">Python regius<"));

    let csv = page(
        &r,
        "/ui/LK/reports/trade.csv?group_by=taxon%2Cyear",
        Some("ma_officer"),
    )
    .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    let body = csv.text();
    assert!(body.starts_with("taxon,year,unit,lines,quantity"), "{body}");
    assert!(body.contains("Python regius,2025,,1,8"), "{body}");

    let bad = page(
        &r,
        "/ui/LK/reports/trade?group_by=colour",
        Some("ma_officer"),
    )
    .await;
    assert_eq!(bad.status, StatusCode::OK);
    assert!(bad.text().contains("id=\"report-problem\"") && bad.text().contains("group_by"));
    for who in ["trader_a", "customs", "sa_expert"] {
        assert_eq!(
            page(&r, uri, Some(who)).await.status,
            StatusCode::FORBIDDEN,
            "{who}"
        );
        let csv = page(&r, "/ui/LK/reports/trade.csv", Some(who)).await;
        assert_eq!(csv.status, StatusCode::FORBIDDEN, "{who}");
    }
    h.drop_database().await;
}

#[tokio::test]
async fn the_national_list_report_and_its_csv() {
    let (h, r) = admin_router().await;
    let a = page(&r, "/ui/LK/reports/national?year=2025", Some("auditor")).await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.text().contains("Varanus salvator") && a.text().contains("protected locally"));
    let csv = page(&r, "/ui/LK/reports/national.csv?year=2025", Some("auditor")).await;
    assert!(csv.text().starts_with("taxon_id,scientific_name,note"));
    assert!(csv
        .text()
        .contains("106,Varanus salvator,protected locally"));
    let dashboard = page(&r, "/ui/LK/dashboard?year=2025", Some("ma_officer")).await;
    assert!(dashboard.text().contains("id=\"link-trade-report\""));
    assert_eq!(
        page(&r, "/ui/LK/reports/national", Some("trader_a"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    h.drop_database().await;
}
