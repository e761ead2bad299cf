//! The Convention's answers an acceptance run found wrong (issue #10), through the command API
//! on real NATS (and, for the quota list, the read side): each refusal names its rule and
//! field and writes nothing; each corrected acceptance goes through.

use axum::http::StatusCode;
use ecites_command::handler::auth::Role;
use ecites_events::PartyCode;
use ecites_tests::api::TestApi;
use ecites_tests::system::TestSystem;
use serde_json::{json, Value};
use std::time::Duration;
use uuid::Uuid;

async fn api() -> TestApi {
    TestApi::builder()
        .trader("trader-a", "org-a")
        .user("officer", Role::MaOfficer)
        .user("signatory", Role::MaSignatory)
        .user("sa", Role::SaExpert)
        .user("admin", Role::PartyAdmin)
        .verified_organisations()
        .build()
        .await
}

fn line(species: &str, source: &str, purpose: &str, term: &str, quantity: &str) -> Value {
    json!({"species": species, "source": source, "purpose": purpose, "term": term, "quantity": quantity})
}

async fn submit(api: &TestApi, application: Value) -> (StatusCode, Value) {
    let trader = api.login("trader-a").await;
    let body = json!({"command_id": Uuid::now_v7(), "application": application});
    api.call("/api/LK/permits", Some(&trader), Some(body)).await
}

/// Asserts a 422 by `rule` on `field`, with nothing written.
async fn refused(api: &TestApi, application: Value, rule: &str, field: &str) {
    let head = api.head().await;
    let (status, out) = submit(api, application).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    let v = out["violations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["rule"] == rule)
        .unwrap_or_else(|| panic!("no {rule} in {out}"));
    assert_eq!(v["field"], field, "{out}");
    assert_eq!(api.head().await, head, "a refusal wrote something");
}

#[tokio::test]
async fn a_party_issues_documents_only_for_its_own_trade() {
    let api = api().await;
    let skins = json!([line("Python regius", "W", "T", "SKI", "10")]);
    for doc in [
        "export_permit",
        "re_export_certificate",
        "certificate_of_origin",
    ] {
        let app = json!({"document_type": doc, "exporting_country": "IN", "importing_country": "JP", "lines": skins});
        refused(&api, app, "DOC-ISSUING-PARTY", "exporting_country").await;
    }
    let import = json!({"document_type": "import_permit", "exporting_country": "IN", "importing_country": "JP",
        "lines": [line("Panthera tigris", "W", "S", "LIV", "1")]});
    refused(&api, import, "DOC-ISSUING-PARTY", "importing_country").await;
    // LK's own import from IN.
    let import = json!({"document_type": "import_permit", "exporting_country": "IN",
        "lines": [line("Panthera tigris", "W", "S", "LIV", "1")]});
    let (status, out) = submit(&api, import).await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
}

#[tokio::test]
async fn a_certificate_of_introduction_from_the_sea_names_no_foreign_state() {
    let api = api().await;
    let sea = |importing: Option<&str>| {
        let mut app = json!({"document_type": "introduction_from_the_sea",
            "lines": [line("Python regius", "X", "T", "SKI", "3")]});
        if let Some(c) = importing {
            app["importing_country"] = json!(c);
        }
        app
    };
    let (status, out) = submit(&api, sea(None)).await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    let (status, out) = submit(&api, sea(Some("LK"))).await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    refused(
        &api,
        sea(Some("DE")),
        "DOC-ISSUING-PARTY",
        "importing_country",
    )
    .await;
}

#[tokio::test]
async fn appendix_i_animals_from_a_registered_operation_need_no_import_permit() {
    let api = api().await;
    let mut tiger = line("Panthera tigris", "D", "T", "LIV", "2");
    tiger["registered_operation"] = json!("A-LK-501");
    let app =
        json!({"document_type": "export_permit", "importing_country": "DE", "lines": [tiger]});
    let (status, out) = submit(&api, app).await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    let officer = api.login("officer").await;
    let id = out["permit_id"].as_str().unwrap();
    for (action, body) in [
        ("assign", json!({"officer_id": "officer"})),
        (
            "legal-acquisition",
            json!({"evidence": ["a".repeat(64)], "note": "studbook checked"}),
        ),
        ("approve", json!({})),
    ] {
        let (status, out) = api.act(&officer, id, action, body).await;
        assert_eq!(status, StatusCode::OK, "{action}: {out}");
    }
    let wild = json!({"document_type": "export_permit", "importing_country": "DE",
        "lines": [line("Panthera tigris", "W", "S", "LIV", "2")]});
    refused(
        &api,
        wild,
        "DOC-APP1-EXPORT-NEEDS-IMPORT-PERMIT",
        "lines[0].import_permit",
    )
    .await;
}

#[tokio::test]
async fn current_term_codes_are_known_and_a_count_is_whole() {
    let api = api().await;
    for term in ["GIL", "WPR", "JWL"] {
        let mut l = line("Python regius", "W", "T", term, "2");
        l["unit"] = json!(if term == "GIL" { "KIL" } else { "GRM" });
        let app =
            json!({"document_type": "export_permit", "importing_country": "DE", "lines": [l]});
        let (status, out) = submit(&api, app).await;
        assert_ne!(
            out["violations"][0]["rule"], "DATA-CODE",
            "{term} is a term code: {status} {out}"
        );
    }
    let app = json!({"document_type": "export_permit", "importing_country": "DE",
        "lines": [line("Python regius", "W", "T", "SKI", "2.5")]});
    refused(&api, app, "DATA-QUANTITY", "lines[0].quantity").await;
}

/// `application` approved, paid and issued by the signatory; the issuance's answer.
async fn issue(api: &TestApi, application: Value) -> (String, StatusCode, Value) {
    let id = api.submit_and_approve("trader-a", application, &[]).await;
    let trader = api.login("trader-a").await;
    let (_, state) = api
        .call(&format!("/api/LK/permits/{id}"), Some(&trader), None)
        .await;
    let pay = json!({"command_id": Uuid::now_v7(), "amount": state["fee"], "method": {"e_payment": {"reference": "PAY-1"}}});
    let (status, out) = api
        .call(
            &format!("/api/LK/permits/{id}/payment"),
            Some(&trader),
            Some(pay),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let signatory = api.login("signatory").await;
    let (status, out) = api
        .call(
            &format!("/api/LK/permits/{id}/issue"),
            Some(&signatory),
            Some(json!({"command_id": Uuid::now_v7()})),
        )
        .await;
    (id, status, out)
}

fn meat(quantity: &str, unit: &str) -> Value {
    let mut l = line("Python regius", "W", "T", "MEA", quantity);
    l["unit"] = json!(unit);
    json!({"document_type": "export_permit", "importing_country": "DE", "lines": [l]})
}

async fn set_quota(api: &TestApi, annual: &str, unit: &str) {
    let admin = api.login("admin").await;
    let year = time::OffsetDateTime::now_utc().year();
    let body = json!({"command_id": Uuid::now_v7(), "species": "Python regius", "year": year,
        "term": "MEA", "unit": unit, "source": "W", "annual": annual});
    let (status, out) = api
        .call("/api/LK/quotas/lk-python-meat", Some(&admin), Some(body))
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
}

#[tokio::test]
async fn a_quota_holds_the_lines_whatever_their_unit() {
    let api = api().await;
    set_quota(&api, "100", "KIL").await;
    let head = api.head().await;
    let (_, status, out) = issue(&api, meat("150000", "GRM")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    assert_eq!(out["violations"][0]["rule"], "QUOTA-EXCEEDED", "{out}");
    assert!(
        api.head().await > head,
        "the submission and approval were written"
    );
    let (id, status, out) = issue(&api, meat("60000", "GRM")).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let officer = api.login("officer").await;
    let (_, permit) = api
        .call(&format!("/api/LK/permits/{id}"), Some(&officer), None)
        .await;
    // Box 11a: 60 kg of the 100 kg quota.
    assert_eq!(
        permit["quota_use"][0]["used_including_this"], "60",
        "{permit}"
    );
    assert_eq!(permit["quota_use"][0]["annual_quota"], "100", "{permit}");
}

#[tokio::test]
async fn a_replacement_counts_its_consignment_once() {
    let api = api().await;
    set_quota(&api, "50", "KIL").await;
    let (old, status, out) = issue(&api, meat("40", "KIL")).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let mut replacement = meat("40", "KIL");
    replacement["replaces"] = json!({"permit_id": old, "reason": "damaged in transit"});
    let (new, status, out) = issue(&api, replacement).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the old reservation is released in the same commit: {out}"
    );
    let officer = api.login("officer").await;
    let (_, permit) = api
        .call(&format!("/api/LK/permits/{new}"), Some(&officer), None)
        .await;
    assert_eq!(
        permit["quota_use"][0]["used_including_this"], "40",
        "{permit}"
    );
    let (_, before) = api
        .call(&format!("/api/LK/permits/{old}"), Some(&officer), None)
        .await;
    assert_eq!(before["status"], "replaced", "{before}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quota_moved_to_another_year_is_listed_under_that_year_only() {
    let sys = TestSystem::builder()
        .party("LK")
        .user("LK", "admin", Role::PartyAdmin, None)
        .build()
        .await;
    let admin = sys.login("LK", "admin").await;
    for year in [2026, 2027] {
        let body = json!({"command_id": Uuid::now_v7(), "species": "Python regius", "year": year,
            "term": "SKI", "annual": "10"});
        let (status, out) = sys
            .call("POST", "/api/LK/quotas/q-python", Some(&admin), Some(body))
            .await;
        assert_eq!(status, StatusCode::OK, "{out}");
    }
    let lk: PartyCode = "LK".parse().unwrap();
    sys.caught_up(lk, Duration::from_secs(60)).await;
    let count = |year: i32| {
        let (sys, admin) = (&sys, admin.clone());
        async move {
            let (_, out) = sys
                .call(
                    "GET",
                    &format!("/query/api/LK/quotas?year={year}"),
                    Some(&admin),
                    None,
                )
                .await;
            out["items"].as_array().map_or(0, Vec::len)
        }
    };
    assert_eq!((count(2026).await, count(2027).await), (0, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_permit_names_the_export_permit_it_relies_on() {
    let org = Uuid::now_v7();
    let sys = TestSystem::builder()
        .party("LK")
        .user("LK", "trader", Role::Trader, Some(org))
        .user("LK", "officer", Role::MaOfficer, None)
        .build()
        .await;
    let trader = sys.login("LK", "trader").await;
    let body = json!({"command_id": Uuid::now_v7(), "name": "Importer Ltd", "registration_number": "PV 9", "country": "LK"});
    let (s, out) = sys
        .call("POST", "/api/LK/organisations", Some(&trader), Some(body))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{out}");
    let officer = sys.login("LK", "officer").await;
    let verify = json!({"command_id": Uuid::now_v7(), "note": "seen"});
    let (s, out) = sys
        .call(
            "POST",
            &format!("/api/LK/organisations/{org}/verify"),
            Some(&officer),
            Some(verify),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{out}");
    let mut l = line("Python regius", "W", "T", "SKI", "4");
    l["export_permit"] = json!({"country": "IN", "number": "IN-EX-1", "date": "2026-01-05"});
    let app = json!({"document_type": "import_permit", "exporting_country": "IN", "lines": [l]});
    let (s, out) = sys
        .call(
            "POST",
            "/api/LK/permits",
            Some(&trader),
            Some(json!({"command_id": Uuid::now_v7(), "application": app})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{out}");
    sys.caught_up("LK".parse().unwrap(), Duration::from_secs(60))
        .await;
    let (_, records) = sys
        .call("GET", "/query/api/LK/trade-records", Some(&officer), None)
        .await;
    assert_eq!(records["items"][0]["export_permit"], "IN-EX-1", "{records}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_party_records_lifts_and_lists_its_own_suspensions() {
    let org = Uuid::now_v7();
    let sys = TestSystem::builder()
        .party("LK")
        .user("LK", "trader", Role::Trader, Some(org))
        .user("LK", "officer", Role::MaOfficer, None)
        .user("LK", "admin", Role::PartyAdmin, None)
        .build()
        .await;
    let trader = sys.login("LK", "trader").await;
    let body = json!({"command_id": Uuid::now_v7(), "name": "Exporter Ltd", "registration_number": "PV 7", "country": "LK"});
    let (s, out) = sys
        .call("POST", "/api/LK/organisations", Some(&trader), Some(body))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{out}");
    let officer = sys.login("LK", "officer").await;
    let verify = json!({"command_id": Uuid::now_v7(), "note": "seen"});
    let (s, out) = sys
        .call(
            "POST",
            &format!("/api/LK/organisations/{org}/verify"),
            Some(&officer),
            Some(verify),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{out}");
    let admin = sys.login("LK", "admin").await;
    let today = ecites_events::cites::IsoDate(time::OffsetDateTime::now_utc().date());
    let record = json!({"command_id": Uuid::now_v7(), "entry": {"kind": "suspension", "country": "DE", "applies_to_import": true},
        "species": "Python regius", "notification": "Notification No. 2026/041", "starts_on": "2026-01-01"});
    let (s, out) = sys
        .call(
            "POST",
            "/api/LK/config/national-entries/susp-de-python",
            Some(&admin),
            Some(record),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{out}");
    // A trader may not record one.
    let forged = json!({"command_id": Uuid::now_v7(), "entry": {"kind": "reservation", "appendix": "II"},
        "species": "Python regius", "notification": "mine", "starts_on": "2026-01-01"});
    let (s, _) = sys
        .call(
            "POST",
            "/api/LK/config/national-entries/x",
            Some(&trader),
            Some(forged),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let submit = || {
        json!({"command_id": Uuid::now_v7(), "application": {"document_type": "export_permit", "importing_country": "DE",
        "lines": [line("Python regius", "W", "T", "SKI", "2")]}})
    };
    let (s, out) = sys
        .call("POST", "/api/LK/permits", Some(&trader), Some(submit()))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    assert_eq!(out["violations"][0]["rule"], "SUSPENSION", "{out}");
    assert!(out.to_string().contains("2026/041"), "{out}");
    let lk: PartyCode = "LK".parse().unwrap();
    sys.caught_up(lk, Duration::from_secs(60)).await;
    let (_, entries) = sys
        .call(
            "GET",
            &format!("/query/api/LK/national-entries?in_force_on={today}"),
            Some(&officer),
            None,
        )
        .await;
    assert_eq!(
        entries["items"][0]["entry_id"], "susp-de-python",
        "{entries}"
    );
    assert_eq!(entries["items"][0]["source"], "national", "{entries}");

    let lift = json!({"command_id": Uuid::now_v7(), "lifted_on": today.to_string(), "reason": "withdrawn by Notification 2026/090"});
    let (s, out) = sys
        .call(
            "POST",
            "/api/LK/config/national-entries/susp-de-python/lift",
            Some(&admin),
            Some(lift),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{out}");
    let (s, out) = sys
        .call("POST", "/api/LK/permits", Some(&trader), Some(submit()))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{out}");
    sys.caught_up(lk, Duration::from_secs(60)).await;
    let (_, entries) = sys
        .call(
            "GET",
            &format!("/query/api/LK/national-entries?in_force_on={today}"),
            Some(&officer),
            None,
        )
        .await;
    assert_eq!(
        entries["items"].as_array().map(Vec::len),
        Some(0),
        "{entries}"
    );
}

/// `application` filed by trader-a and approved without a Scientific Authority opinion (the
/// documents that need none: an Appendix II import, a re-export); the permit id.
async fn approved_without_opinion(api: &TestApi, application: Value) -> String {
    let (status, out) = submit(api, application).await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    let id = out["permit_id"].as_str().unwrap().to_string();
    let officer = api.login("officer").await;
    for (action, body) in [
        ("assign", json!({"officer_id": "officer"})),
        (
            "legal-acquisition",
            json!({"evidence": ["a".repeat(64)], "note": "papers seen"}),
        ),
        ("approve", json!({})),
    ] {
        let (status, out) = api.act(&officer, &id, action, body).await;
        assert_eq!(status, StatusCode::OK, "{action}: {out}");
    }
    id
}

/// Pays and issues approved `id`; the issuance's answer.
async fn pay_and_issue(api: &TestApi, id: &str) -> (StatusCode, Value) {
    let trader = api.login("trader-a").await;
    let (_, state) = api
        .call(&format!("/api/LK/permits/{id}"), Some(&trader), None)
        .await;
    let pay = json!({"command_id": Uuid::now_v7(), "amount": state["fee"], "method": {"e_payment": {"reference": "PAY-2"}}});
    let (status, out) = api
        .call(
            &format!("/api/LK/permits/{id}/payment"),
            Some(&trader),
            Some(pay),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let signatory = api.login("signatory").await;
    api.call(
        &format!("/api/LK/permits/{id}/issue"),
        Some(&signatory),
        Some(json!({"command_id": Uuid::now_v7()})),
    )
    .await
}

fn reexport_of(import: &str, quantity: &str) -> Value {
    let mut l = line("Python regius", "W", "T", "SKI", quantity);
    l["origin"] = json!({"country": "IN", "number": "IN-EX-7", "date": "2026-01-05"});
    l["reexport_from"] = json!({"permit_id": import, "line_no": 1});
    json!({"document_type": "re_export_certificate", "importing_country": "DE", "lines": [l]})
}

#[tokio::test]
async fn a_reexport_draws_on_the_partys_own_import_and_never_more_than_came_in() {
    let api = TestApi::builder()
        .trader("trader-a", "org-a")
        .user("officer", Role::MaOfficer)
        .user("signatory", Role::MaSignatory)
        .user("customs", Role::Customs)
        .verified_organisations()
        .build()
        .await;
    // 100 skins imported from IN on LK's import permit; customs record 80 at import.
    let import = approved_without_opinion(
        &api,
        json!({"document_type": "import_permit", "exporting_country": "IN",
        "lines": [line("Python regius", "W", "T", "SKI", "100")]}),
    )
    .await;
    let (status, out) = pay_and_issue(&api, &import).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let customs = api.login("customs").await;
    let today = ecites_events::cites::IsoDate(time::OffsetDateTime::now_utc().date());
    let endorse = json!({"lines": [{"line_no": 1, "actual_quantity": "80"}], "port": "CMB", "endorsed_on": today.to_string()});
    let (status, out) = api.act(&customs, &import, "endorse", endorse).await;
    assert_eq!(status, StatusCode::OK, "{out}");

    // A re-export of 50 of them.
    let first = approved_without_opinion(&api, reexport_of(&import, "50")).await;
    let (status, out) = pay_and_issue(&api, &first).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    // 80 came in, 50 are held: 40 more is refused at once, naming the quantity.
    refused(
        &api,
        reexport_of(&import, "40"),
        "REEXPORT-IMPORT-BALANCE",
        "lines[0].quantity",
    )
    .await;
    // 30 fits.
    let second = approved_without_opinion(&api, reexport_of(&import, "30")).await;
    // Meanwhile the first is cancelled: its 50 come back, the second still issues.
    let signatory = api.login("signatory").await;
    let (status, out) = api
        .act(
            &signatory,
            &first,
            "cancel",
            json!({"reason": "consignment split"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let (status, out) = pay_and_issue(&api, &second).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let third = approved_without_opinion(&api, reexport_of(&import, "50")).await;
    let (status, out) = pay_and_issue(&api, &third).await;
    assert_eq!(status, StatusCode::OK, "{out}");

    // The named import must be the Party's own import permit line, of the same species.
    refused(
        &api,
        reexport_of(&Uuid::now_v7().to_string(), "1"),
        "REEXPORT-FROM-IMPORT",
        "lines[0].reexport_from",
    )
    .await;
    let mut export = reexport_of(&import, "1");
    export["document_type"] = json!("export_permit");
    export["lines"][0].as_object_mut().unwrap().remove("origin");
    refused(
        &api,
        export,
        "REEXPORT-FROM-IMPORT",
        "lines[0].reexport_from",
    )
    .await;
}
