//! Permits past their validity are expired by the sweep (PERMIT-VALIDITY): once, whoever
//! sweeps, recorded as the scheduler's act; permits still valid are left alone.

use axum::http::StatusCode;
use ecites_command::domain::context::PartySettings;
use ecites_command::handler::auth::Role;
use ecites_command::handler::CommandHandler;
use ecites_command::reference::ReferenceData;
use ecites_events::cites::IsoDate;
use ecites_projector::{db, Projection};
use ecites_tests::api::TestApi;
use ecites_tests::readside::*;
use ecites_tests::*;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

fn in_a_year() -> IsoDate {
    IsoDate(time::OffsetDateTime::now_utc().date() + time::Duration::days(400))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sweep_expires_overdue_permits_once() {
    let api = TestApi::builder()
        .trader("trader-a", "org-a")
        .user("officer", Role::MaOfficer)
        .user("signatory", Role::MaSignatory)
        .user("scientist", Role::SaExpert)
        .verified_organisations()
        .build()
        .await;
    let url = test_database().await;
    let projector = RunningProjector::start(&api.ledger, &url);
    let application = json!({"document_type": "export_permit", "importing_country": "DE",
        "lines": [{"species": "Python regius", "source": "W", "purpose": "T", "term": "SKI", "quantity": 5}]});
    let id = api.submit_and_approve("trader-a", application, &[]).await;
    let officer = api.login("officer").await;
    let (status, out) = api
        .act(&officer, &id, "waive-fee", json!({"reason": "test"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let signatory = api.login("signatory").await;
    let (status, out) = api.act(&signatory, &id, "issue", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    caught_up(
        &api.ledger,
        &url,
        Projection::ReadModels,
        Duration::from_secs(60),
    )
    .await;
    let pool = db::pool(&url, db::ACTIVE_SCHEMA, 2).await.unwrap();

    // Today the permit is valid: nothing is due.
    let handler = CommandHandler::new(
        api.ledger.log.clone(),
        api.ledger.public_keys(),
        Arc::new(ReferenceData::demo()),
    );
    handler.configure_party(PartySettings::new(lk()));
    let today = IsoDate(time::OffsetDateTime::now_utc().date());
    let sweep = ecites::expiry::sweep(&handler, &pool, lk(), today)
        .await
        .unwrap();
    assert_eq!(sweep, ecites::expiry::Sweep::default());

    // A year on, it is.
    let later = CommandHandler::new(
        api.ledger.log.clone(),
        api.ledger.public_keys(),
        Arc::new(ReferenceData::demo()),
    )
    .with_clock(in_a_year);
    later.configure_party(PartySettings::new(lk()));
    let sweep = ecites::expiry::sweep(&later, &pool, lk(), in_a_year())
        .await
        .unwrap();
    assert_eq!(sweep.expired.len(), 1, "{sweep:?}");
    assert_eq!(sweep.expired[0].to_string(), id);

    // A second sweep before the projector caught up finds it again: the command is a duplicate.
    let again = ecites::expiry::sweep(&later, &pool, lk(), in_a_year())
        .await
        .unwrap();
    assert!(again.expired.is_empty(), "{again:?}");
    caught_up(
        &api.ledger,
        &url,
        Projection::ReadModels,
        Duration::from_secs(60),
    )
    .await;
    let (status, actor): (String, String) = sqlx::query_as(
        "SELECT p.status, e.actor_id FROM permits p JOIN permit_events e ON e.permit_id = p.permit_id \
         WHERE p.permit_id = $1::uuid AND e.event_type = 'PermitExpired'",
    )
    .bind(&id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        (status.as_str(), actor.as_str()),
        ("expired", ecites::expiry::SCHEDULER)
    );
    assert!(ecites::expiry::due(&pool, lk(), in_a_year())
        .await
        .unwrap()
        .is_empty());
    projector.stop().await.unwrap();
}
