//! Trader organisations end to end on real NATS, through HTTP: registration, verification by
//! the Management Authority, members and agents filing, removal and suspension, isolation.

use axum::http::StatusCode;
use ecites_command::handler::auth::Role;
use ecites_tests::api::TestApi;
use serde_json::{json, Value};
use uuid::Uuid;

const NOT_VERIFIED: &str = "https://ecites.example/problems/organisation-not-verified";
/// The exporter's organisation, of founder and clerk.
const EXPORTER: &str = "exporter";
/// A rival exporter's organisation, of rival.
const RIVAL: &str = "rival";

async fn api() -> TestApi {
    TestApi::builder()
        .trader("founder", EXPORTER)
        .trader("clerk", EXPORTER)
        // An agent, whose own firm is never registered.
        .trader("broker", "brokerage")
        .trader("rival", RIVAL)
        .user("officer", Role::MaOfficer)
        .user("auditor", Role::Auditor)
        .build()
        .await
}

/// Files a python-skin export for `org` (the account's own when `None`).
async fn file(api: &TestApi, token: &str, org: Option<Uuid>) -> (StatusCode, Value) {
    let mut body = json!({"command_id": Uuid::now_v7(), "application": {
        "document_type": "export_permit", "importing_country": "DE",
        "lines": [{"species": "Python regius", "source": "W", "purpose": "T", "term": "SKI", "quantity": 10}]}});
    if let Some(org) = org {
        body["organisation_id"] = json!(org);
    }
    api.call("/api/LK/permits", Some(token), Some(body)).await
}

#[tokio::test]
async fn a_trader_files_only_once_the_ma_has_verified_its_organisation() {
    let api = api().await;
    let founder = api.login("founder").await;
    let (status, out) = api
        .register_organisation(&founder, "Ceylon Reptile Exports")
        .await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    assert_eq!(
        out["organisation_id"],
        json!(api.organisation(EXPORTER)),
        "the account's own"
    );
    assert_eq!(
        out["events"],
        json!(["OrganisationRegistered", "MemberAdded"])
    );

    let (status, org) = api
        .call(
            &format!("/api/LK/organisations/{}", api.organisation(EXPORTER)),
            Some(&founder),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{org}");
    assert_eq!(org["status"], "pending");
    assert_eq!(
        org["members"],
        json!([{"user_id": "founder", "capacity": "member"}])
    );

    let head = api.head().await;
    let (status, out) = file(&api, &founder, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{out}");
    assert_eq!(out["type"], NOT_VERIFIED);
    // Nor may the trader verify it.
    let (status, _) = api
        .organisation_act(
            &founder,
            api.organisation(EXPORTER),
            "verify",
            json!({"note": "me"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(api.head().await, head, "nothing written");

    let officer = api.login("officer").await;
    let (status, out) = api
        .organisation_act(
            &officer,
            api.organisation(EXPORTER),
            "verify",
            json!({"note": "register extract seen"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let (status, out) = file(&api, &founder, None).await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    let permit = out["permit_id"].as_str().unwrap();
    let (status, out) = api
        .call(&format!("/api/LK/permits/{permit}"), Some(&founder), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert_eq!(out["organisation_id"], json!(api.organisation(EXPORTER)));
}

#[tokio::test]
async fn an_agent_files_on_behalf_of_the_organisation() {
    let api = api().await;
    let founder = api.login("founder").await;
    let broker = api.login("broker").await;
    api.register_and_verify("founder", api.organisation(EXPORTER))
        .await;

    // Before it is listed, the broker is a stranger to the organisation.
    let (status, out) = file(&api, &broker, Some(api.organisation(EXPORTER))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{out}");
    let (status, out) = api
        .organisation_act(
            &founder,
            api.organisation(EXPORTER),
            "add-member",
            json!({"user_id": "broker", "capacity": {"agent": {"agency_organisation_id": null}}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");

    let (status, out) = file(&api, &broker, Some(api.organisation(EXPORTER))).await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    let permit = out["permit_id"].as_str().unwrap().to_string();
    for who in [&broker, &founder] {
        let (status, out) = api
            .call(&format!("/api/LK/permits/{permit}"), Some(who), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{out}");
        assert_eq!(out["organisation_id"], json!(api.organisation(EXPORTER)));
    }
    // The agent follows the application up for the organisation…
    let (status, out) = api
        .call(
            &format!("/api/LK/permits/{permit}/withdraw"),
            Some(&broker),
            Some(json!({"command_id": Uuid::now_v7(), "reason": "client changed plans"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    // …but manages nobody, and its own firm (not registered) files nothing.
    let (status, _) = api
        .organisation_act(
            &broker,
            api.organisation(EXPORTER),
            "add-member",
            json!({"user_id": "rival", "capacity": "member"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = file(&api, &broker, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_removed_member_or_a_suspended_organisation_cannot_file() {
    let api = api().await;
    let founder = api.login("founder").await;
    let clerk = api.login("clerk").await;
    let officer = api.login("officer").await;
    api.register_and_verify("founder", api.organisation(EXPORTER))
        .await;

    // Sharing the account's organisation is not membership: the list decides.
    let (status, _) = file(&api, &clerk, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let add = json!({"user_id": "clerk", "capacity": "member"});
    let (status, out) = api
        .organisation_act(&founder, api.organisation(EXPORTER), "add-member", add)
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let (status, out) = file(&api, &clerk, None).await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    let permit = out["permit_id"].as_str().unwrap().to_string();

    let remove = json!({"user_id": "clerk"});
    let (status, out) = api
        .organisation_act(
            &founder,
            api.organisation(EXPORTER),
            "remove-member",
            remove,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let (status, _) = file(&api, &clerk, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = api
        .call(&format!("/api/LK/permits/{permit}"), Some(&clerk), None)
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "no longer the clerk's to see"
    );

    let suspend = json!({"reason": "export licence revoked"});
    let (status, out) = api
        .organisation_act(&officer, api.organisation(EXPORTER), "suspend", suspend)
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let head = api.head().await;
    let (status, out) = file(&api, &founder, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{out}");
    assert_eq!(out["type"], NOT_VERIFIED);
    let (status, _) = api
        .call(
            &format!("/api/LK/permits/{permit}/withdraw"),
            Some(&founder),
            Some(json!({"command_id": Uuid::now_v7()})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "frozen while suspended");
    assert_eq!(api.head().await, head, "nothing written");
    let (status, _) = api
        .call(&format!("/api/LK/permits/{permit}"), Some(&founder), None)
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "its members still follow what is pending"
    );

    let (status, out) = api
        .organisation_act(
            &officer,
            api.organisation(EXPORTER),
            "verify",
            json!({"note": "licence restored"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let (status, out) = file(&api, &founder, None).await;
    assert_eq!(status, StatusCode::CREATED, "reinstated: {out}");
}

#[tokio::test]
async fn a_trader_of_another_organisation_cannot_see_or_act() {
    let api = api().await;
    let founder = api.login("founder").await;
    let rival = api.login("rival").await;
    api.register_and_verify("founder", api.organisation(EXPORTER))
        .await;
    api.register_and_verify("rival", api.organisation(RIVAL))
        .await;
    let (_, out) = file(&api, &founder, None).await;
    let permit = out["permit_id"].as_str().unwrap().to_string();
    let head = api.head().await;

    let (status, _) = api
        .call(
            &format!("/api/LK/organisations/{}", api.organisation(EXPORTER)),
            Some(&rival),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = api
        .call(&format!("/api/LK/permits/{permit}"), Some(&rival), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = file(&api, &rival, Some(api.organisation(EXPORTER))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = api
        .call(
            &format!("/api/LK/permits/{permit}/withdraw"),
            Some(&rival),
            Some(json!({"command_id": Uuid::now_v7()})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let me = json!({"user_id": "rival", "capacity": "member"});
    let (status, _) = api
        .organisation_act(&rival, api.organisation(EXPORTER), "add-member", me)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no joining uninvited");
    let (status, _) = api
        .organisation_act(
            &rival,
            api.organisation(EXPORTER),
            "remove-member",
            json!({"user_id": "founder"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Nor registering a company under an id that is not the account's.
    let squat = json!({"command_id": Uuid::now_v7(), "organisation_id": Uuid::now_v7(),
        "name": "Squat Ltd", "registration_number": "PV 9", "country": "LK"});
    let (status, _) = api
        .call("/api/LK/organisations", Some(&rival), Some(squat))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(api.head().await, head, "nothing written");

    // The Party's officials see every organisation.
    let auditor = api.login("auditor").await;
    let (status, out) = api
        .call(
            &format!("/api/LK/organisations/{}", api.organisation(EXPORTER)),
            Some(&auditor),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert_eq!(out["status"], "verified");
}

#[tokio::test]
async fn organisation_commands_are_idempotent_and_bad_input_writes_nothing() {
    let api = api().await;
    let founder = api.login("founder").await;
    let officer = api.login("officer").await;
    let body = json!({"command_id": Uuid::now_v7(), "name": "Ceylon Reptile Exports",
        "registration_number": "PV 12345", "country": "LK", "address_ref": "LK-ROC/PV12345"});
    let (first, _) = api
        .call("/api/LK/organisations", Some(&founder), Some(body.clone()))
        .await;
    let (second, out) = api
        .call("/api/LK/organisations", Some(&founder), Some(body))
        .await;
    assert_eq!((first, second), (StatusCode::CREATED, StatusCode::OK));
    assert_eq!(out["duplicate"], true);
    let head = api.head().await;
    assert_eq!(
        head, 3,
        "registration, first member and the number's reservation, once"
    );

    // Registering again under a new command id is a state conflict, not a second company.
    let (status, out) = api.register_organisation(&founder, "Again Ltd").await;
    assert_eq!(status, StatusCode::CONFLICT, "{out}");
    let (status, _) = api
        .call(
            "/api/LK/organisations",
            Some(&founder),
            Some(json!({"command_id": Uuid::now_v7()})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, out) = api
        .organisation_act(
            &officer,
            api.organisation(EXPORTER),
            "verify",
            json!({"note": " "}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    let bad = json!({"user_id": "clerk", "capacity": "owner"});
    let (status, _) = api
        .organisation_act(&founder, api.organisation(EXPORTER), "add-member", bad)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, out) = api
        .organisation_act(
            &founder,
            api.organisation(EXPORTER),
            "remove-member",
            json!({"user_id": "founder"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "last member: {out}"
    );
    let (status, _) = api
        .organisation_act(&officer, api.organisation(EXPORTER), "dissolve", json!({}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = api
        .organisation_act(&officer, Uuid::now_v7(), "verify", json!({"note": "n"}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "no such organisation");
    assert_eq!(api.head().await, head, "nothing written");

    let (_, doc) = api.call("/api/openapi.json", None, None).await;
    assert!(doc["paths"]["/api/{party}/organisations"]["post"].is_object());
    for action in ecites_command::api::organisations::ACTIONS {
        let path = format!("/api/{{party}}/organisations/{{id}}/{action}");
        assert!(doc["paths"][&path]["post"].is_object(), "{action}");
    }
    let audit = api.ledger.audit().await;
    assert!(audit.is_ok(), "{:?}", audit.failures);
}

/// Permit commands never write to the organisation, so only the log can tell an instance that
/// another one suspended it: the instance that filed a moment ago must refuse the next filing.
#[tokio::test]
async fn a_suspension_through_another_instance_stops_filing_here() {
    let api = api().await;
    let founder = api.login("founder").await;
    api.register_and_verify("founder", api.organisation(EXPORTER))
        .await;
    let (status, out) = file(&api, &founder, None).await;
    assert_eq!(status, StatusCode::CREATED, "{out}");

    let other = TestApi::builder()
        .user("officer", Role::MaOfficer)
        .build_beside(&api)
        .await;
    let officer = other.login("officer").await;
    let suspend = json!({"reason": "licence revoked"});
    let (status, out) = other
        .organisation_act(&officer, api.organisation(EXPORTER), "suspend", suspend)
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");

    let (status, out) = file(&api, &founder, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{out}");
    assert_eq!(out["type"], NOT_VERIFIED);
}
