//! ORG-REGISTRATION-NUMBER-UNIQUE end to end on real NATS, through HTTP: a second
//! organisation with the same company-register number (however written) is refused with
//! nothing written, and two registrations racing with one number: exactly one lands, because
//! the number is reserved in the log in the registration's atomic batch.

use axum::http::StatusCode;
use ecites_command::handler::auth::Role;
use ecites_events::EventReader;
use ecites_projector::Projection;
use ecites_tests::api::TestApi;
use ecites_tests::race::RaceGate;
use ecites_tests::readside::{caught_up, test_database, RunningProjector};
use ecites_tests::*;
use futures::StreamExt;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
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

/// Two commands held at the log until both decided: exactly one answers `landed`, the other
/// 409. The refusal's body.
async fn one_lands(
    gate: &RaceGate,
    race: impl std::future::Future<Output = ((StatusCode, Value), (StatusCode, Value))>,
    landed: StatusCode,
) -> Value {
    let (x, y) = tokio::time::timeout(std::time::Duration::from_secs(60), race)
        .await
        .expect("both commands reached the log");
    assert_eq!(gate.still_held(), 0, "both were held");
    let mut statuses = [x.0, y.0];
    statuses.sort();
    assert_eq!(statuses, [landed, StatusCode::CONFLICT], "{x:?} {y:?}");
    if x.0 == StatusCode::CONFLICT {
        x.1
    } else {
        y.1
    }
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
    let refused = &one_lands(&gate, race, StatusCode::CREATED).await;
    assert_eq!(violation(refused).0, "ORG-REGISTRATION-NUMBER-UNIQUE");
    let types = event_types(&api).await;
    assert_eq!(count(&types, "RegistrationNumberReserved"), 1, "{types:?}");
    assert_eq!(count(&types, "OrganisationRegistered"), 1, "{types:?}");
    let report = api.ledger.audit().await;
    assert!(report.is_ok(), "{report:?}");
}

/// The MA frees a number a trader registered although it is not theirs: refused while the
/// holder is verified and to traders, then released with a reason, after which the real holder
/// registers it; the log still passes the audit.
#[tokio::test]
async fn the_ma_releases_a_number_held_by_an_unverified_organisation_and_another_registers_it() {
    let (api, _) = api().await;
    let alice = api.organisation("alice-exports");
    let (status, out) = register(&api, "alice", "PV-55501").await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    let (status, out) = register(&api, "bob", "pv 55501").await;
    assert_eq!(status, StatusCode::CONFLICT, "{out}");

    let officer = api.login("officer").await;
    let verify = json!({"note": "register extract seen"});
    let (status, out) = api
        .organisation_act(&officer, alice, "verify", verify)
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let head = api.head().await;

    // Not a trader, not even the holder.
    let release = json!({"reason": "the number is Bob Ltd's in the company register"});
    for trader in ["alice", "bob"] {
        let token = api.login(trader).await;
        let (status, out) = api
            .organisation_act(
                &token,
                alice,
                "release-registration-number",
                release.clone(),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{trader}: {out}");
    }
    // Not while the holder is verified.
    let (status, out) = api
        .organisation_act(
            &officer,
            alice,
            "release-registration-number",
            release.clone(),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{out}");
    assert_eq!(
        violation(&out),
        ("ORG-REGISTRATION-NUMBER-UNIQUE".into(), "status".into()),
        "{out}"
    );
    // Not without a reason.
    let suspend = json!({"reason": "registered with another company's number"});
    let (status, out) = api
        .organisation_act(&officer, alice, "suspend", suspend)
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let suspended = api.head().await;
    assert_eq!(suspended, head + 1, "refusals wrote nothing");
    let (status, out) = api
        .organisation_act(
            &officer,
            alice,
            "release-registration-number",
            json!({"reason": " "}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    assert_eq!(violation(&out).1, "reason", "{out}");
    assert_eq!(api.head().await, suspended, "nothing written");

    // Released once (a retry of the command is answered as a duplicate); another release
    // finds nothing held.
    let path = format!("/api/LK/organisations/{alice}/release-registration-number");
    let mut once = release.clone();
    once["command_id"] = json!(Uuid::now_v7());
    let (status, out) = api.call(&path, Some(&officer), Some(once.clone())).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert_eq!(
        out["events"],
        json!(["RegistrationNumberReleased"]),
        "{out}"
    );
    let position = json!(format!("LK:{}", suspended + 1));
    assert_eq!(out["position"], position, "{out}");
    let (status, out) = api.call(&path, Some(&officer), Some(once)).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert_eq!(
        (&out["duplicate"], &out["position"]),
        (&json!(true), &position)
    );
    let (status, out) = api
        .organisation_act(&officer, alice, "release-registration-number", release)
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{out}");
    assert_eq!(violation(&out).1, "registration_number", "{out}");

    // The real holder registers it, however written; the number is taken again.
    let (status, out) = register(&api, "bob", "PV 555-01").await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    let (status, out) = register(&api, "carol", "PV55501").await;
    assert_eq!(status, StatusCode::CONFLICT, "{out}");
    // The former holder is not verified again with a number that is now another's.
    let before = api.head().await;
    let (status, out) = api
        .organisation_act(&officer, alice, "verify", json!({"note": "again"}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{out}");
    assert_eq!(
        violation(&out),
        (
            "ORG-REGISTRATION-NUMBER-UNIQUE".into(),
            "registration_number".into()
        ),
        "{out}"
    );
    assert_eq!(api.head().await, before, "nothing written");

    let types = event_types(&api).await;
    assert_eq!(count(&types, "RegistrationNumberReserved"), 2, "{types:?}");
    assert_eq!(count(&types, "RegistrationNumberReleased"), 1, "{types:?}");
    let report = api.ledger.audit().await;
    assert!(report.is_ok(), "{report:?}");

    // The projector passes over the reservation aggregate, release included.
    let url = test_database().await;
    let projector = RunningProjector::start(&api.ledger, &url);
    for projection in Projection::ALL {
        caught_up(&api.ledger, &url, projection, Duration::from_secs(30)).await;
    }
    projector
        .stop()
        .await
        .expect("the projector did not stop on an event");
}

/// Two officers release one number in the same instant: one lands, the other's batch
/// conflicts, its retry reads the release and is refused, and the log holds one release.
#[tokio::test]
async fn two_releases_racing_for_one_number_exactly_one_lands() {
    let (api, gate) = api().await;
    let alice = api.organisation("alice-exports");
    let (status, out) = register(&api, "alice", "PV-66601").await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    let officer = api.login("officer").await;
    let release = || json!({"reason": "not their number"});
    gate.hold_next_appends();
    let race = async {
        tokio::join!(
            api.organisation_act(&officer, alice, "release-registration-number", release()),
            api.organisation_act(&officer, alice, "release-registration-number", release())
        )
    };
    let refused = &one_lands(&gate, race, StatusCode::OK).await;
    assert_eq!(
        violation(refused),
        (
            "ORG-REGISTRATION-NUMBER-UNIQUE".into(),
            "registration_number".into()
        ),
        "{refused}"
    );
    let types = event_types(&api).await;
    assert_eq!(count(&types, "RegistrationNumberReleased"), 1, "{types:?}");
    let report = api.ledger.audit().await;
    assert!(report.is_ok(), "{report:?}");
}
