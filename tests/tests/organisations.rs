//! Trader organisations end to end on real NATS, through HTTP: registration, verification by
//! the Management Authority, members and agents filing, removal and suspension, isolation.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use ecites_command::api::{router, users::Users, ApiState};
use ecites_command::domain::context::PartySettings;
use ecites_command::handler::auth::Role;
use ecites_command::handler::CommandHandler;
use ecites_command::reference::ReferenceData;
use ecites_events::EventReader;
use ecites_tests::*;
use serde_json::{json, Value};
use std::sync::Arc;
use tower::ServiceExt;
use uuid::Uuid;

const PASSWORD: &str = "correct horse battery staple";
const NOT_VERIFIED: &str = "https://ecites.example/problems/organisation-not-verified";

struct Api {
    app: axum::Router,
    t: TestLedger,
    /// The exporter's organisation (founder, clerk) and a rival's (rival).
    org: Uuid,
    rival_org: Uuid,
}

async fn api() -> Api {
    let t = TestLedger::new().await;
    let handler = CommandHandler::new(
        t.log.clone(),
        t.public_keys(),
        Arc::new(ReferenceData::demo()),
    );
    handler.configure_party(PartySettings::new(lk()));
    let users = Users::default();
    let (org, rival_org, brokerage) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    for (id, role, o) in [
        ("founder", Role::Trader, Some(org)),
        ("clerk", Role::Trader, Some(org)),
        ("broker", Role::Trader, Some(brokerage)),
        ("rival", Role::Trader, Some(rival_org)),
        ("officer", Role::MaOfficer, None),
        ("auditor", Role::Auditor, None),
    ] {
        users.add(lk(), id, role, o, PASSWORD).unwrap();
    }
    let app = router(Arc::new(ApiState { handler, users }));
    Api {
        app,
        t,
        org,
        rival_org,
    }
}

impl Api {
    async fn call(
        &self,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req =
            Request::builder()
                .uri(path)
                .method(if body.is_some() { "POST" } else { "GET" });
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let req = match body {
            Some(b) => req
                .header("content-type", "application/json")
                .body(Body::from(b.to_string())),
            None => req.body(Body::empty()),
        }
        .unwrap();
        let res = self.app.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .unwrap();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    async fn login(&self, user: &str) -> String {
        let (status, body) = self
            .call(
                "/api/login",
                None,
                Some(json!({"party": "LK", "user_id": user, "password": PASSWORD})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["token"].as_str().unwrap().to_string()
    }

    /// An organisation command with a fresh command id.
    async fn org_act(
        &self,
        token: &str,
        org: Uuid,
        action: &str,
        mut body: Value,
    ) -> (StatusCode, Value) {
        body["command_id"] = json!(Uuid::now_v7());
        let path = format!("/api/LK/organisations/{org}/{action}");
        self.call(&path, Some(token), Some(body)).await
    }

    async fn register(&self, token: &str, name: &str) -> (StatusCode, Value) {
        let body = json!({"command_id": Uuid::now_v7(), "name": name,
            "registration_number": format!("PV {}", Uuid::now_v7().simple()), "country": "LK"});
        self.call("/api/LK/organisations", Some(token), Some(body))
            .await
    }

    /// Registered by `token`'s user and verified by the officer.
    async fn verified(&self, token: &str, org: Uuid) {
        let (status, out) = self.register(token, "Ceylon Reptile Exports").await;
        assert_eq!(status, StatusCode::CREATED, "{out}");
        let officer = self.login("officer").await;
        let (status, out) = self
            .org_act(
                &officer,
                org,
                "verify",
                json!({"note": "register extract seen"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{out}");
    }

    /// Files a python-skin export for `org` (the account's own when `None`).
    async fn file(&self, token: &str, org: Option<Uuid>) -> (StatusCode, Value) {
        let mut body = json!({"command_id": Uuid::now_v7(), "application": {
            "document_type": "export_permit", "importing_country": "DE",
            "lines": [{"species": "Python regius", "source": "W", "purpose": "T", "term": "SKI", "quantity": 10}]}});
        if let Some(org) = org {
            body["organisation_id"] = json!(org);
        }
        self.call("/api/LK/permits", Some(token), Some(body)).await
    }

    async fn head(&self) -> u64 {
        self.t.log.head(lk()).await.unwrap()
    }
}

#[tokio::test]
async fn a_trader_files_only_once_the_ma_has_verified_its_organisation() {
    let api = api().await;
    let founder = api.login("founder").await;
    let (status, out) = api.register(&founder, "Ceylon Reptile Exports").await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    assert_eq!(out["organisation_id"], json!(api.org), "the account's own");
    assert_eq!(
        out["events"],
        json!(["OrganisationRegistered", "MemberAdded"])
    );

    let (status, org) = api
        .call(
            &format!("/api/LK/organisations/{}", api.org),
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
    let (status, out) = api.file(&founder, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{out}");
    assert_eq!(out["type"], NOT_VERIFIED);
    // Nor may the trader verify it.
    let (status, _) = api
        .org_act(&founder, api.org, "verify", json!({"note": "me"}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(api.head().await, head, "nothing written");

    let officer = api.login("officer").await;
    let (status, out) = api
        .org_act(
            &officer,
            api.org,
            "verify",
            json!({"note": "register extract seen"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let (status, out) = api.file(&founder, None).await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    let permit = out["permit_id"].as_str().unwrap();
    let (status, out) = api
        .call(&format!("/api/LK/permits/{permit}"), Some(&founder), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert_eq!(out["organisation_id"], json!(api.org));
}

#[tokio::test]
async fn an_agent_files_on_behalf_of_the_organisation() {
    let api = api().await;
    let founder = api.login("founder").await;
    let broker = api.login("broker").await;
    api.verified(&founder, api.org).await;

    // Before it is listed, the broker is a stranger to the organisation.
    let (status, out) = api.file(&broker, Some(api.org)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{out}");
    let (status, out) = api
        .org_act(
            &founder,
            api.org,
            "add-member",
            json!({"user_id": "broker", "capacity": {"agent": {"agency_organisation_id": null}}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");

    let (status, out) = api.file(&broker, Some(api.org)).await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    let permit = out["permit_id"].as_str().unwrap().to_string();
    for who in [&broker, &founder] {
        let (status, out) = api
            .call(&format!("/api/LK/permits/{permit}"), Some(who), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{out}");
        assert_eq!(out["organisation_id"], json!(api.org));
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
        .org_act(
            &broker,
            api.org,
            "add-member",
            json!({"user_id": "rival", "capacity": "member"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = api.file(&broker, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_removed_member_or_a_suspended_organisation_cannot_file() {
    let api = api().await;
    let founder = api.login("founder").await;
    let clerk = api.login("clerk").await;
    let officer = api.login("officer").await;
    api.verified(&founder, api.org).await;

    // Sharing the account's organisation is not membership: the list decides.
    let (status, _) = api.file(&clerk, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let add = json!({"user_id": "clerk", "capacity": "member"});
    let (status, out) = api.org_act(&founder, api.org, "add-member", add).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let (status, out) = api.file(&clerk, None).await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    let permit = out["permit_id"].as_str().unwrap().to_string();

    let remove = json!({"user_id": "clerk"});
    let (status, out) = api
        .org_act(&founder, api.org, "remove-member", remove)
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let (status, _) = api.file(&clerk, None).await;
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
    let (status, out) = api.org_act(&officer, api.org, "suspend", suspend).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let head = api.head().await;
    let (status, out) = api.file(&founder, None).await;
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
        .org_act(
            &officer,
            api.org,
            "verify",
            json!({"note": "licence restored"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let (status, out) = api.file(&founder, None).await;
    assert_eq!(status, StatusCode::CREATED, "reinstated: {out}");
}

#[tokio::test]
async fn a_trader_of_another_organisation_cannot_see_or_act() {
    let api = api().await;
    let founder = api.login("founder").await;
    let rival = api.login("rival").await;
    api.verified(&founder, api.org).await;
    api.verified(&rival, api.rival_org).await;
    let (_, out) = api.file(&founder, None).await;
    let permit = out["permit_id"].as_str().unwrap().to_string();
    let head = api.head().await;

    let (status, _) = api
        .call(
            &format!("/api/LK/organisations/{}", api.org),
            Some(&rival),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = api
        .call(&format!("/api/LK/permits/{permit}"), Some(&rival), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = api.file(&rival, Some(api.org)).await;
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
    let (status, _) = api.org_act(&rival, api.org, "add-member", me).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no joining uninvited");
    let (status, _) = api
        .org_act(
            &rival,
            api.org,
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
            &format!("/api/LK/organisations/{}", api.org),
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
    assert_eq!(head, 2, "registration and first member, once");

    // Registering again under a new command id is a state conflict, not a second company.
    let (status, out) = api.register(&founder, "Again Ltd").await;
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
        .org_act(&officer, api.org, "verify", json!({"note": " "}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    let bad = json!({"user_id": "clerk", "capacity": "owner"});
    let (status, _) = api.org_act(&founder, api.org, "add-member", bad).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, out) = api
        .org_act(
            &founder,
            api.org,
            "remove-member",
            json!({"user_id": "founder"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "last member: {out}"
    );
    let (status, _) = api.org_act(&officer, api.org, "dissolve", json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = api
        .org_act(&officer, Uuid::now_v7(), "verify", json!({"note": "n"}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "no such organisation");
    assert_eq!(api.head().await, head, "nothing written");

    let (_, doc) = api.call("/api/openapi.json", None, None).await;
    assert!(doc["paths"]["/api/{party}/organisations"]["post"].is_object());
    for action in ecites_command::api::organisations::ACTIONS {
        let path = format!("/api/{{party}}/organisations/{{id}}/{action}");
        assert!(doc["paths"][&path]["post"].is_object(), "{action}");
    }
    let audit = ecites_events::audit::audit_party(&api.t.log, lk(), &api.t.public_keys(), |_| {})
        .await
        .unwrap();
    assert!(audit.is_ok(), "{:?}", audit.failures);
}

/// Permit commands never write to the organisation, so only the log can tell an instance that
/// another one suspended it: the instance that filed a moment ago must refuse the next filing.
#[tokio::test]
async fn a_suspension_through_another_instance_stops_filing_here() {
    let api = api().await;
    let founder = api.login("founder").await;
    api.verified(&founder, api.org).await;
    let (status, out) = api.file(&founder, None).await;
    assert_eq!(status, StatusCode::CREATED, "{out}");

    let handler = CommandHandler::new(
        api.t.log.clone(),
        api.t.public_keys(),
        Arc::new(ReferenceData::demo()),
    );
    handler.configure_party(PartySettings::new(lk()));
    let users = Users::default();
    users
        .add(lk(), "officer", Role::MaOfficer, None, PASSWORD)
        .unwrap();
    let (officer, _) = users.login(lk(), "officer", PASSWORD).unwrap();
    let other = router(Arc::new(ApiState { handler, users }));
    let suspend = json!({"command_id": Uuid::now_v7(), "reason": "licence revoked"});
    let req = Request::post(format!("/api/LK/organisations/{}/suspend", api.org))
        .header("authorization", format!("Bearer {officer}"))
        .header("content-type", "application/json")
        .body(Body::from(suspend.to_string()))
        .unwrap();
    let res = other.oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    let (status, out) = api.file(&founder, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{out}");
    assert_eq!(out["type"], NOT_VERIFIED);
}
