//! Every query parameter of every list, report and page is read as text a person could have
//! typed (issue #13): a control character (C0 but tab, line feed and carriage return; DEL;
//! C1), bytes that are not UTF-8, or a value longer than `MAX_PARAM_CHARS` (1,000) characters is a 400 naming the
//! parameter, never a 5xx. The query API's routes and parameters are taken from its OpenAPI
//! document (written beside the handlers); the pages' from `ui/pages/`.

mod common;

use axum::http::StatusCode;
use common::*;
use serde_json::Value;

/// The answers that were not a 400 naming the parameter, the 5xx among them counted apart.
#[derive(Default)]
struct Wrong {
    server_errors: Vec<String>,
    others: Vec<String>,
}

impl Wrong {
    fn note(&mut self, uri: &str, a: &Answer, named: bool) {
        let line = format!("{uri} → {}", a.status);
        if a.status.is_server_error() {
            self.server_errors.push(line);
        } else if !named {
            self.others.push(line);
        }
    }

    fn assert_none(&self) {
        let shown = |v: &[String]| v.iter().take(12).cloned().collect::<Vec<_>>().join("\n  ");
        assert!(
            self.server_errors.is_empty() && self.others.is_empty(),
            "{} answers were 5xx:\n  {}\n{} were not a 400 naming the parameter:\n  {}",
            self.server_errors.len(),
            shown(&self.server_errors),
            self.others.len(),
            shown(&self.others)
        );
    }
}

/// Percent-encoded values no parameter may hold.
fn hostile() -> Vec<String> {
    let mut v: Vec<String> = [
        "%00", "LK%00", "a%00b", "%01", "%1F", "%7F", "%C2%85", "%C2%9F", "%FF", "%C3",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    v.push("x".repeat(ecites_query::query_guard::MAX_PARAM_CHARS + 1));
    v
}

/// Every (path, query parameter) of the query API, from its OpenAPI document, with the path's
/// own parameters filled in with rows the seed holds.
fn api_parameters() -> Vec<(String, String)> {
    let doc = ecites_query::openapi::document();
    let components = &doc["components"]["parameters"];
    let mut out = vec![];
    for (path, item) in doc["paths"].as_object().unwrap() {
        let Some(get) = item.get("get") else { continue };
        let concrete = path.replace("{party}", "LK").replace(
            "{id}",
            &if path.contains("organisations") {
                ORG_A
            } else {
                P1
            }
            .to_string(),
        );
        let params = get["parameters"].as_array().cloned().unwrap_or_default();
        let mut names: Vec<String> = params
            .iter()
            .map(|p| match p.get("$ref").and_then(Value::as_str) {
                Some(r) => components[r.rsplit('/').next().unwrap()].clone(),
                None => p.clone(),
            })
            .filter(|p| p["in"] == "query")
            .map(|p| p["name"].as_str().unwrap().to_string())
            .collect();
        // A parameter no route reads is refused too when it holds what none may.
        names.push("unknown_parameter".into());
        for name in names {
            out.push((concrete.clone(), name));
        }
    }
    assert!(
        out.len() > 80,
        "the OpenAPI document lists the parameters: {}",
        out.len()
    );
    out
}

#[tokio::test]
async fn every_query_api_parameter_refuses_control_characters_by_name() {
    let h = harness(std::time::Duration::from_millis(200)).await;
    let (mut checked, mut wrong) = (0, Wrong::default());
    for (path, name) in api_parameters() {
        // The route answers at all for this viewer; then each hostile value is a named 400.
        let plain = get(&h.router, &path, "ma_officer").await;
        assert!(!plain.status.is_server_error(), "{path}: {}", plain.status);
        for value in hostile() {
            let uri = format!("{path}?{name}={value}");
            let a = get(&h.router, &uri, "ma_officer").await;
            let named = a.status == StatusCode::BAD_REQUEST
                && a.header("content-type") == Some("application/problem+json")
                && a.json()["parameter"] == name.as_str();
            wrong.note(&uri, &a, named);
            checked += 1;
        }
    }
    wrong.assert_none();
    // The name itself, and a value of a parameter that also has a good value.
    for uri in [
        "/api/LK/permits?%00=1",
        "/api/LK/permits?st%01atus=issued",
        "/api/LK/permits?status=issued&status=%00",
        "/api/LK/species?q=Python%00regius",
    ] {
        let a = get(&h.router, uri, "ma_officer").await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{uri}: {}", a.text());
        assert!(a.json()["parameter"].is_string(), "{uri}");
    }
    // Tab, line feed and carriage return are text, and `MAX_PARAM_CHARS` characters are allowed.
    for uri in [
        "/api/LK/permits?species=Python%09regius",
        "/api/LK/organisations?q=Alpha%0D%0AExports",
        &format!(
            "/api/LK/species?q={}",
            "p".repeat(ecites_query::query_guard::MAX_PARAM_CHARS)
        ),
    ] {
        let a = get(&h.router, uri, "ma_officer").await;
        assert_eq!(a.status, StatusCode::OK, "{uri}: {}", a.text());
    }
    assert!(checked > 800, "{checked}");
    h.drop_database().await;
}

/// Every page's query parameters (as `ui/pages/` reads them), with a viewer who may open it.
fn ui_parameters() -> Vec<(String, &'static str, Vec<&'static str>)> {
    let p1 = format!("/ui/LK/permits/{P1}");
    let trade = vec![
        "group_by",
        "basis",
        "taxon_id",
        "taxon",
        "appendix",
        "term",
        "unit",
        "purpose",
        "source",
        "partner",
        "year",
        "document_type",
    ];
    vec![
        ("/ui/login".into(), "", vec!["party", "error"]),
        ("/ui/set-password".into(), "", vec![]),
        ("/ui/LK".into(), "ma_officer", vec![]),
        ("/ui/LK/apply".into(), "trader_a", vec![]),
        ("/ui/LK/species".into(), "trader_a", vec!["q"]),
        ("/ui/LK/find".into(), "customs", vec!["number", "scanned"]),
        ("/ui/LK/verify".into(), "customs", vec!["n", "h"]),
        (p1.clone(), "ma_officer", vec!["qr"]),
        (format!("{p1}/timeline"), "auditor", vec![]),
        // A version the seeded timeline does not have (its payloads are not real events).
        (format!("{p1}/at/99"), "auditor", vec![]),
        ("/ui/LK/organisation".into(), "trader_a", vec![]),
        ("/ui/LK/organisations".into(), "ma_officer", vec!["status"]),
        (
            format!("/ui/LK/organisations/{ORG_A}"),
            "ma_officer",
            vec![],
        ),
        ("/ui/LK/dashboard".into(), "ma_officer", vec!["year"]),
        (
            "/ui/LK/reports/annual.csv".into(),
            "ma_officer",
            vec!["year", "view", "basis"],
        ),
        ("/ui/LK/reports/trade".into(), "ma_officer", trade.clone()),
        ("/ui/LK/reports/trade.csv".into(), "ma_officer", trade),
        ("/ui/LK/reports/national".into(), "ma_officer", vec!["year"]),
        (
            "/ui/LK/reports/national.csv".into(),
            "ma_officer",
            vec!["year"],
        ),
        ("/ui/LK/admin".into(), "party_admin", vec![]),
        ("/ui/LK/admin/users".into(), "party_admin", vec![]),
        ("/ui/LK/admin/fees".into(), "party_admin", vec![]),
        ("/ui/LK/admin/quotas".into(), "party_admin", vec!["year"]),
        ("/ui/LK/admin/measures".into(), "party_admin", vec![]),
        ("/ui/LK/admin/species".into(), "party_admin", vec![]),
    ]
}

#[tokio::test]
async fn every_page_parameter_refuses_control_characters_by_name() {
    let (h, r) = ui_router().await;
    let (mut checked, mut wrong) = (0, Wrong::default());
    for (path, viewer, mut names) in ui_parameters() {
        // Every page reads these two (the language switcher and read-your-writes).
        names.extend(["lang", "position", "unknown_parameter"]);
        let cookie = format!("ecites_session={viewer}; ecites_csrf=x");
        let headers: Vec<(&str, &str)> = if viewer.is_empty() {
            vec![]
        } else {
            vec![("cookie", cookie.as_str())]
        };
        let plain = get_with(&r, &path, None, &headers).await;
        assert!(!plain.status.is_server_error(), "{path}: {}", plain.status);
        for name in names {
            for value in hostile() {
                let uri = format!("{path}?{name}={value}");
                let a = get_with(&r, &uri, None, &headers).await;
                let named = a.status == StatusCode::BAD_REQUEST
                    && a.header("content-type")
                        .is_some_and(|c| c.starts_with("text/html"))
                    && a.text().contains(name);
                wrong.note(&uri, &a, named);
                checked += 1;
            }
        }
    }
    wrong.assert_none();
    assert!(checked > 500, "{checked}");
    h.drop_database().await;
}
