//! ORG-REGISTRATION-NUMBER-UNIQUE end to end on real NATS, through HTTP: a second
//! organisation with the same company-register number (however written) is refused with
//! nothing written, and two registrations racing with one number: exactly one lands, because
//! the number is reserved in the log in the registration's atomic batch.

use axum::http::StatusCode;
use ecites_command::handler::auth::Role;
use ecites_events::EventReader;
use ecites_tests::api::TestApi;
use ecites_tests::race::RaceGate;
use ecites_tests::*;
use futures::StreamExt;
use serde_json::{json, Value};
use std::sync::Arc;
use uuid::Uuid;

async fn api() -> (TestApi, RaceGate) {
    let ledger = Arc::new(TestLedger::new().await);
    let gate = RaceGate::new(ledger.log.clone(), 2);
    let api = TestApi::builder()
        .trader("alice", "alice-exports")
        .trader("bob", "bob-exports")
        .trader("carol", "carol-exports")
        .user("officer", Role::MaOfficer)
        .build_on(ledger, gate.clone())
        .await;
    (api, gate)
}

async fn register(api: &TestApi, user: &str, number: &str) -> (StatusCode, Value) {
    let token = api.login(user).await;
    let body = json!({"command_id": Uuid::now_v7(), "name": format!("{user} Ltd"),
        "registration_number": number, "country": "LK"});
    api.call("/api/LK/organisations", Some(&token), Some(body))
        .await
}

fn violation(out: &Value) -> (String, String) {
    let v = &out["violations"][0];
    (
        v["rule"].as_str().unwrap_or_default().to_string(),
        v["field"].as_str().unwrap_or_default().to_string(),
    )
}

/// The event types of the Party's log, in order.
async fn event_types(api: &TestApi) -> Vec<String> {
    let events: Vec<_> = api
        .ledger
        .log
        .read_party(lk(), 1)
        .await
        .unwrap()
        .collect()
        .await;
    events
        .into_iter()
        .map(|e| e.unwrap().envelope().unwrap().event_type)
        .collect()
}

fn count(types: &[String], t: &str) -> usize {
    types.iter().filter(|x| *x == t).count()
}

#[tokio::test]
async fn the_same_number_written_differently_is_refused_and_nothing_written() {
    let (api, _) = api().await;
    let (status, out) = register(&api, "alice", "PV-12345").await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    let head = api.head().await;

    for written in ["pv 12345", " P.V. 123-45 "] {
        let (status, out) = register(&api, "bob", written).await;
        assert_eq!(status, StatusCode::CONFLICT, "{out}");
        assert_eq!(
            violation(&out),
            (
                "ORG-REGISTRATION-NUMBER-UNIQUE".into(),
                "registration_number".into()
            ),
            "{out}"
        );
        assert!(
            !out.to_string()
                .contains(&api.organisation("alice-exports").to_string()),
            "the holder is not named: {out}"
        );
    }
    let (status, out) = register(&api, "bob", " - / ").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    assert_eq!(violation(&out).1, "registration_number");
    assert_eq!(api.head().await, head, "nothing written");

    // Another number is free; the refused organisation may still register with its own.
    let (status, out) = register(&api, "bob", "PV-12346").await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    let types = event_types(&api).await;
    assert_eq!(count(&types, "RegistrationNumberReserved"), 2);
    assert_eq!(count(&types, "OrganisationRegistered"), 2);
    let report = api.ledger.audit().await;
    assert!(report.is_ok(), "{report:?}");
}

#[tokio::test]
async fn two_registrations_racing_with_one_number_exactly_one_lands() {
    let (api, gate) = api().await;
    // Both decide against a log without the number before either commits.
    gate.hold_next_appends();
    let race = async {
        tokio::join!(
            register(&api, "bob", "LK-777 001"),
            register(&api, "carol", "lk777001")
        )
    };
    let (x, y) = tokio::time::timeout(std::time::Duration::from_secs(60), race)
        .await
        .expect("both registrations reached the log");
    assert_eq!(gate.still_held(), 0, "both were held");
    let mut statuses = [x.0, y.0];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::CREATED, StatusCode::CONFLICT],
        "{x:?} {y:?}"
    );
    let refused = if x.0 == StatusCode::CONFLICT {
        &x.1
    } else {
        &y.1
    };
    assert_eq!(violation(refused).0, "ORG-REGISTRATION-NUMBER-UNIQUE");
    let types = event_types(&api).await;
    assert_eq!(count(&types, "RegistrationNumberReserved"), 1, "{types:?}");
    assert_eq!(count(&types, "OrganisationRegistered"), 1, "{types:?}");
    let report = api.ledger.audit().await;
    assert!(report.is_ok(), "{report:?}");
}
