//! The Party's configuration through the command API on real NATS: the administrator's fee
//! schedule is what a submission is charged, a domestic measure refuses a submission until it
//! is revoked, a non-CITES species needs the national list, nobody else changes any of it, and
//! a change made through another instance applies at once.

// Amounts are written major_minor (100_00 = 100.00) so that they read as prices.
#![allow(clippy::inconsistent_digit_grouping)]

use axum::http::StatusCode;
use ecites_command::handler::auth::Role;
use ecites_tests::api::TestApi;
use serde_json::{json, Value};
use uuid::Uuid;

async fn api() -> TestApi {
    // Only the listed users of an organisation the MA has verified file for it.
    TestApi::builder()
        .trader("trader", "serendib-reptiles")
        .user("officer", Role::MaOfficer)
        .user("admin", Role::PartyAdmin)
        .verified_organisations()
        .build()
        .await
}

/// A configuration command with a fresh command id.
async fn configure(api: &TestApi, token: &str, path: &str, mut body: Value) -> (StatusCode, Value) {
    body["command_id"] = json!(Uuid::now_v7());
    api.call(&format!("/api/LK/config{path}"), Some(token), Some(body))
        .await
}

async fn submit(api: &TestApi, application: Value) -> (StatusCode, Value) {
    let trader = api.login("trader").await;
    let body = json!({"command_id": Uuid::now_v7(), "application": application});
    api.call("/api/LK/permits", Some(&trader), Some(body)).await
}

/// The fee of a submission that must be accepted.
async fn fee_of(api: &TestApi, application: Value) -> Value {
    let (status, out) = submit(api, application).await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    let trader = api.login("trader").await;
    let path = format!("/api/LK/permits/{}", out["permit_id"].as_str().unwrap());
    let (status, permit) = api.call(&path, Some(&trader), None).await;
    assert_eq!(status, StatusCode::OK, "{permit}");
    permit["fee"].clone()
}

fn one_line(species: &str, source: &str, purpose: &str, term: &str) -> Value {
    json!({
        "document_type": "export_permit",
        "importing_country": "DE",
        "lines": [{"species": species, "source": source, "purpose": purpose, "term": term, "quantity": 10}]
    })
}

fn wild_python_skins() -> Value {
    one_line("Python regius", "W", "T", "SKI")
}

/// An Appendix I export of two lines: scientific, against Germany's import permit.
fn tiger_specimens() -> Value {
    let line = |term: &str| {
        json!({"species": "Panthera tigris", "source": "W", "purpose": "S",
        "term": term, "quantity": 2,
        "import_permit": {"country": "DE", "number": "DE-IMP-2026-77", "date": "2026-01-05"}})
    };
    json!({"document_type": "export_permit", "importing_country": "DE",
        "lines": [line("SPE"), line("BOD")]})
}

fn violations(out: &Value) -> Vec<(String, String)> {
    out["violations"]
        .as_array()
        .map(|v| {
            v.iter()
                .map(|v| {
                    let text = |k: &str| v[k].as_str().unwrap_or_default().to_string();
                    (text("rule"), text("field"))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn schedule() -> Value {
    json!({"currency": "LKR", "rules": [
        {"document_type": "export_permit", "appendix": "I", "base": 100_00, "per_line": 10_00},
        {"base": 25_00, "per_line": 5_00, "express_surcharge": 50_00}]})
}

#[tokio::test]
async fn the_admins_fee_schedule_is_what_a_submission_is_charged() {
    let api = api().await;
    let admin = api.login("admin").await;
    let default = json!({"minor_units": 2_500 + 500, "currency": "USD"});
    assert_eq!(fee_of(&api, wild_python_skins()).await, default);

    let mut set = schedule();
    set["command_id"] = json!(Uuid::now_v7());
    let (status, out) = api
        .request(
            "PUT",
            "/api/LK/config/fees",
            Some(&admin),
            Some(set.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert_eq!(out["events"], json!(["FeeScheduleSet"]));
    let head = api.head().await;
    let (status, out) = api
        .request("PUT", "/api/LK/config/fees", Some(&admin), Some(set))
        .await;
    assert_eq!((status, &out["duplicate"]), (StatusCode::OK, &json!(true)));
    assert_eq!(api.head().await, head, "a retried command is applied once");

    assert_eq!(
        fee_of(&api, tiger_specimens()).await,
        json!({"minor_units": 100_00 + 2 * 10_00, "currency": "LKR"})
    );
    let mut express = wild_python_skins();
    express["express"] = json!(true);
    assert_eq!(
        fee_of(&api, express).await,
        json!({"minor_units": 25_00 + 5_00 + 50_00, "currency": "LKR"})
    );

    // Traders read the schedule they are charged by.
    let trader = api.login("trader").await;
    let (status, config) = api.call("/api/LK/config", Some(&trader), None).await;
    assert_eq!(status, StatusCode::OK, "{config}");
    assert_eq!(config["currency"], "LKR");
    assert_eq!(config["fees"][0]["appendix"], "I");
    assert_eq!(config["fees"][1]["document_type"], Value::Null);
    assert_eq!(config["position"], format!("LK:{head}"));
}

#[tokio::test]
async fn a_domestic_ban_refuses_a_submission_until_it_is_revoked() {
    let api = api().await;
    let admin = api.login("admin").await;
    let measure = json!({"species": "Python regius",
        "description": "no commercial export of wild-caught pythons (gazette 2026/3)",
        "banned_purposes": ["T"], "banned_sources": ["W"]});
    let (status, out) = configure(&api, &admin, "/domestic-measures/LK-FFPO-2026-3", measure).await;
    assert_eq!(status, StatusCode::OK, "{out}");

    let (status, out) = submit(&api, wild_python_skins()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    assert_eq!(
        violations(&out),
        [("DOMESTIC-BAN".to_string(), "lines[0].species".to_string())]
    );
    // The ban is on wild specimens only.
    let (status, out) = submit(&api, one_line("Python regius", "C", "T", "SKI")).await;
    assert_eq!(status, StatusCode::CREATED, "{out}");

    let (status, config) = api.call("/api/LK/config", Some(&admin), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(config["domestic_measures"][0]["id"], "LK-FFPO-2026-3");
    assert_eq!(
        config["domestic_measures"][0]["scientific_name"],
        "Python regius"
    );

    let revoke = json!({"reason": "lifted by gazette 2026/7"});
    let path = "/domestic-measures/LK-FFPO-2026-3/revoke";
    let (status, out) = configure(&api, &admin, path, revoke.clone()).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert_eq!(out["events"], json!(["DomesticMeasureRevoked"]));
    let (status, out) = submit(&api, wild_python_skins()).await;
    assert_eq!(status, StatusCode::CREATED, "{out}");

    let (status, out) = configure(&api, &admin, path, revoke).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "no longer in force: {out}");
}

#[tokio::test]
async fn a_non_cites_species_needs_the_national_list() {
    let api = api().await;
    let admin = api.login("admin").await;
    let pigeons = one_line("Columba livia", "C", "T", "LIV");
    let (status, out) = submit(&api, pigeons.clone()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    assert_eq!(violations(&out)[0].0, "DOC-NOT-LISTED");

    let add =
        json!({"species": "Columba livia", "note": "Fauna and Flora Protection Ordinance s.40"});
    let (status, out) = configure(&api, &admin, "/national-list", add.clone()).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert_eq!(out["events"], json!(["NationalListSpeciesAdded"]));
    // No Appendix, so the catch-all of the (default) schedule applies.
    assert_eq!(
        fee_of(&api, pigeons.clone()).await,
        json!({"minor_units": 2_500 + 500, "currency": "USD"})
    );
    let (status, out) = configure(&api, &admin, "/national-list", add).await;
    assert_eq!(status, StatusCode::CONFLICT, "listed once: {out}");

    let (_, config) = api.call("/api/LK/config", Some(&admin), None).await;
    let entry = &config["national_list"][0];
    assert_eq!(entry["scientific_name"], "Columba livia");
    let taxon_id = entry["taxon_id"].as_u64().unwrap();
    let remove = format!("/national-list/{taxon_id}/remove");
    let (status, out) = configure(&api, &admin, &remove, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let (status, out) = submit(&api, pigeons).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    assert_eq!(violations(&out)[0].0, "DOC-NOT-LISTED");
    let (status, _) = configure(&api, &admin, &remove, json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn only_the_party_admin_changes_the_configuration() {
    let api = api().await;
    let head = api.head().await;
    let measure = json!({"species": "Python regius", "description": "ban"});
    let calls = [
        ("/fees", schedule()),
        ("/domestic-measures/LK-1", measure),
        ("/domestic-measures/LK-1/revoke", json!({"reason": "r"})),
        ("/national-list", json!({"species": "Columba livia"})),
        ("/national-list/1/remove", json!({})),
        (
            "/retrospective-issue",
            json!({"exceptions_allowed": true, "basis": "Wildlife Act s. 40(2)"}),
        ),
    ];
    for user in ["trader", "officer"] {
        let token = api.login(user).await;
        for (path, body) in &calls {
            let (status, out) = configure(&api, &token, path, body.clone()).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{user} {path}: {out}");
        }
        // Reading is for every user of the Party.
        let (status, config) = api.call("/api/LK/config", Some(&token), None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(config["currency"], "USD", "the defaults, unchanged");
        assert_eq!(config["retrospective_exceptions"], false);
        assert_eq!(config["position"], Value::Null);
    }
    let (status, _) = api.call("/api/LK/config", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(api.head().await, head, "nothing written");
}

#[tokio::test]
async fn bad_configuration_is_refused_with_the_field_at_fault() {
    let api = api().await;
    let admin = api.login("admin").await;
    let head = api.head().await;
    let refused = |out: &Value| violations(out);

    let mut no_catch_all = schedule();
    no_catch_all["rules"].as_array_mut().unwrap().pop();
    let (status, out) = configure(&api, &admin, "/fees", no_catch_all).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    assert_eq!(
        refused(&out),
        [("CONFIG-FEE-CATCH-ALL".to_string(), "rules".to_string())]
    );

    let mut bad = schedule();
    bad["currency"] = json!("lkr");
    bad["rules"][0]["base"] = json!(-1);
    let (status, out) = configure(&api, &admin, "/fees", bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    assert_eq!(
        refused(&out),
        [
            ("CONFIG-CURRENCY".to_string(), "currency".to_string()),
            ("CONFIG-FEE-AMOUNT".to_string(), "rules[0].base".to_string()),
        ]
    );

    let mut bad = schedule();
    bad["rules"][1]["appendix"] = json!("IV");
    let (status, out) = configure(&api, &admin, "/fees", bad).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{out}");
    assert_eq!(refused(&out)[0].1, "rules[1]");

    let measure = json!({"species": "Dodo ineptus", "description": "extinct anyway"});
    let (status, out) = configure(&api, &admin, "/domestic-measures/LK-2", measure).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    assert_eq!(
        refused(&out),
        [("DATA-UNKNOWN-TAXON".to_string(), "species".to_string())]
    );
    let (status, out) = configure(
        &api,
        &admin,
        "/national-list",
        json!({"species": "Dodo ineptus"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    assert_eq!(refused(&out)[0].0, "DATA-UNKNOWN-TAXON");

    let measure = json!({"species": "Python regius", "description": " "});
    let (status, out) = configure(&api, &admin, "/domestic-measures/LK%201", measure).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    assert_eq!(
        refused(&out),
        [
            ("CONFIG-MEASURE-ID".to_string(), "id".to_string()),
            ("CONFIG-TEXT".to_string(), "description".to_string()),
        ]
    );
    let policy = json!({"exceptions_allowed": true, "basis": "  "});
    let (status, out) = configure(&api, &admin, "/retrospective-issue", policy).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    assert_eq!(
        refused(&out),
        [("CONFIG-TEXT".to_string(), "basis".to_string())]
    );
    assert_eq!(api.head().await, head, "nothing written");
}

#[tokio::test]
async fn the_admin_allows_the_documented_retrospective_exceptions_over_http() {
    let api = api().await;
    let admin = api.login("admin").await;
    let policy = json!({"exceptions_allowed": true, "basis": "Wildlife Act s. 40(2)"});
    let (status, out) = configure(&api, &admin, "/retrospective-issue", policy).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let (_, config) = api.call("/api/LK/config", Some(&admin), None).await;
    assert_eq!(config["retrospective_exceptions"], true, "{config}");
    let withdrawn = json!({"exceptions_allowed": false, "basis": "provision repealed"});
    let (status, out) = configure(&api, &admin, "/retrospective-issue", withdrawn).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let (_, config) = api.call("/api/LK/config", Some(&admin), None).await;
    assert_eq!(config["retrospective_exceptions"], false, "{config}");
}

/// Permit commands never write to the configuration, so only the log can tell an instance
/// that another one changed it: the instance that accepted a submission a moment ago must
/// apply the new ban and the new fees to the next one.
#[tokio::test]
async fn a_change_through_another_instance_applies_here() {
    let api = api().await;
    let (status, out) = submit(&api, wild_python_skins()).await;
    assert_eq!(status, StatusCode::CREATED, "{out}");

    let other = TestApi::builder()
        .user("admin", Role::PartyAdmin)
        .build_beside(&api)
        .await;
    let admin = other.login("admin").await;
    let measure = json!({"species": "Python regius", "description": "no exports at all"});
    let (status, out) = configure(&other, &admin, "/domestic-measures/LK-3", measure).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let (status, out) = configure(&other, &admin, "/fees", schedule()).await;
    assert_eq!(status, StatusCode::OK, "{out}");

    let (status, out) = submit(&api, wild_python_skins()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    assert_eq!(violations(&out)[0].0, "DOMESTIC-BAN");
    assert_eq!(
        fee_of(&api, tiger_specimens()).await,
        json!({"minor_units": 120_00, "currency": "LKR"})
    );
    let report = api.ledger.audit().await;
    assert!(report.is_ok(), "{:?}", report.failures);
}

#[tokio::test]
async fn the_openapi_document_lists_the_configuration_routes() {
    let api = api().await;
    let (status, doc) = api.call("/api/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let paths = &doc["paths"];
    assert!(paths["/api/{party}/config"]["get"].is_object());
    assert!(paths["/api/{party}/config/fees"]["put"].is_object());
    assert!(paths["/api/{party}/config/fees"]["post"].is_object());
    for path in [
        "/api/{party}/config/domestic-measures/{id}",
        "/api/{party}/config/domestic-measures/{id}/revoke",
        "/api/{party}/config/national-list",
        "/api/{party}/config/national-list/{taxon_id}/remove",
        "/api/{party}/config/retrospective-issue",
    ] {
        assert!(paths[path]["post"]["requestBody"].is_object(), "{path}");
    }
}
