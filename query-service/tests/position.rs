//! Read-your-writes: a request naming a position beyond the checkpoint waits, bounded.

mod common;

use axum::http::StatusCode;
use common::*;
use std::time::Duration;

#[tokio::test]
async fn a_position_beyond_the_checkpoint_times_out_then_is_awaited() {
    let h = harness(Duration::from_millis(200)).await;
    let r = &h.router;

    // Reached already: answered at once, with the checkpoint read at.
    let a = get_with(
        r,
        "/api/LK/permits",
        Some("ma_officer"),
        &[("x-ecites-position", "LK:10")],
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.header("x-ecites-read-position"), Some("LK:10"));

    // Not reached within the wait: 503, Retry-After.
    let a = get_with(
        r,
        "/api/LK/permits",
        Some("ma_officer"),
        &[("x-ecites-position", "LK:11")],
    )
    .await;
    assert_eq!(a.status, StatusCode::SERVICE_UNAVAILABLE, "{}", a.text());
    assert_eq!(a.header("retry-after"), Some("1"));
    assert_eq!(
        a.json()["detail"],
        "read model at LK:10 has not reached LK:11 within 200 ms"
    );
    let a = get(r, "/api/LK/permits?position=LK:11", "ma_officer").await;
    assert_eq!(a.status, StatusCode::SERVICE_UNAVAILABLE);

    // Malformed tokens name where they came from.
    let a = get_with(
        r,
        "/api/LK/permits",
        Some("ma_officer"),
        &[("x-ecites-position", "eleven")],
    )
    .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(a.json()["parameter"], "X-Ecites-Position");
    let a = get(r, "/api/LK/permits?position=KE:1", "ma_officer").await;
    assert_eq!(a.json()["parameter"], "position");

    // A request waiting (with a long bound) completes once the projector commits the position.
    let patient = {
        let pool = h.pool.clone();
        let sessions = sessions();
        ecites_query::router(std::sync::Arc::new(ecites_query::QueryState {
            pool,
            sessions,
            position_wait: Duration::from_secs(30),
            first_seal: None,
        }))
    };
    let waiting = tokio::spawn(async move {
        get_with(
            &patient,
            "/api/LK/permits",
            Some("ma_officer"),
            &[("x-ecites-position", "LK:12")],
        )
        .await
    });
    // The projector commits a batch and its checkpoint in one transaction.
    let pool = h.pool.clone();
    let writer = tokio::spawn(async move {
        let mut tx = pool.begin().await.unwrap();
        sqlx::query("UPDATE permits SET status = 'used' WHERE permit_id = $1")
            .bind(P4)
            .execute(&mut *tx)
            .await
            .unwrap();
        sqlx::query("UPDATE checkpoint SET sequence = 12 WHERE party = 'LK'")
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    });
    writer.await.unwrap();
    let a = waiting.await.unwrap();
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    assert_eq!(a.header("x-ecites-read-position"), Some("LK:12"));
    let used = a.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["permit_id"] == P4.to_string() && p["status"] == "used");
    assert!(used, "the answer reflects the write it waited for");
}
