//! A trader reads what the organisations listing it (as a member or an agent) own, in the API
//! and the UI, against a real PostgreSQL: the account's organisation id grants nothing by
//! itself, a removed member reads nothing more, an agent reads its client's permits.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use common::*;
use tower::ServiceExt;

const ACCOUNT: &str = "00000000-0000-0000-0000-0000000000ac";

async fn page(r: &Router, uri: &str, session: &str) -> Answer {
    let req = Request::get(uri)
        .header("cookie", format!("ecites_session={session}; ecites_csrf=x"))
        .header("host", "ecites.example")
        .body(Body::empty())
        .unwrap();
    answer(r.clone().oneshot(req).await.unwrap()).await
}

/// Permits, lines, payments, organisations and prepayment accounts `token` lists.
async fn lists(r: &Router, token: &str) -> [Vec<String>; 5] {
    let list = |uri: &'static str, key: &'static str| async move {
        let a = get(r, uri, token).await;
        assert_eq!(a.status, StatusCode::OK, "{uri}: {}", a.text());
        let mut ids = ids(&a, key);
        ids.sort();
        ids.dedup();
        ids
    };
    [
        list("/api/LK/permits", "permit_id").await,
        list("/api/LK/trade-records", "permit_id").await,
        list("/api/LK/payments", "permit_id").await,
        list("/api/LK/organisations", "organisation_id").await,
        list("/api/LK/prepayment-accounts", "account_id").await,
    ]
}

fn strings<T: ToString>(v: &[T]) -> Vec<String> {
    v.iter().map(ToString::to_string).collect()
}

async fn seed_account(h: &Harness) {
    exec(
        &h.pool,
        &format!(
            "INSERT INTO prepayment_accounts VALUES ('{ACCOUNT}', 'LK', '{ORG_A}', 'LKR', 777, 1);
             INSERT INTO payments VALUES ('LK', 11, NULL, '{ACCOUNT}', 'deposit', 'manual_receipt',
               'DEP-1', 777, 'LKR', '2025-02-01T09:00:00Z', 'ma_officer@LK');"
        ),
    )
    .await;
}

#[tokio::test]
async fn a_removed_member_reads_nothing_more_of_the_organisation() {
    let (h, ui) = ui_router().await;
    let r = &h.router;
    seed_account(&h).await;
    let [permits, lines, payments, organisations, accounts] = lists(r, "trader_a").await;
    assert_eq!(permits, strings(&[P1, P2, P5]));
    assert_eq!(lines, strings(&[P1, P2]));
    // The deposit has no permit: its id is "".
    assert_eq!(
        payments,
        [String::new(), P1.to_string()],
        "fees and the deposit"
    );
    assert_eq!(organisations, strings(&[ORG_A]));
    assert_eq!(accounts, [ACCOUNT]);
    let a = page(&ui, "/ui/LK/organisation", "trader_a").await;
    assert!(a.text().contains("Alpha Exports") && a.text().contains("7.77 LKR"));

    // The organisation's staff remove the user: the projector deletes its row. The account
    // still carries ORG_A's id.
    exec(
        &h.pool,
        &format!(
            "DELETE FROM organisation_members WHERE organisation_id = '{ORG_A}'
               AND user_id = 'trader_a@LK'"
        ),
    )
    .await;
    assert_eq!(lists(r, "trader_a").await, <[Vec<String>; 5]>::default());
    for uri in [
        format!("/api/LK/permits/{P1}"),
        format!("/api/LK/permits/{P1}/timeline"),
        "/api/LK/permit-lookup?number=LK/2025/000001".to_string(),
        format!("/api/LK/organisations/{ORG_A}"),
        format!("/api/LK/payments?permit_id={P1}"),
    ] {
        let a = get(r, &uri, "trader_a").await;
        assert!(
            a.status == StatusCode::NOT_FOUND || a.json()["total"] == 0,
            "{uri}: {}",
            a.text()
        );
        assert!(!a.text().contains("Python"), "{uri}");
    }
    // The UI: no organisation page, balance, members or permits; and no registration form
    // for an organisation that is registered.
    let a = page(&ui, "/ui/LK/organisation", "trader_a").await;
    assert_eq!(a.status, StatusCode::OK);
    let html = a.text();
    assert!(html.contains(r#"id="not-listed""#), "{html}");
    assert!(!html.contains("Alpha Exports") && !html.contains("7.77"));
    assert!(!html.contains(r#"data-action="register""#));
    for uri in [
        format!("/ui/LK/organisations/{ORG_A}"),
        format!("/ui/LK/permits/{P1}"),
    ] {
        let a = page(&ui, &uri, "trader_a").await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{uri}");
        assert!(!a.text().contains("Alpha Exports") && !a.text().contains("Python"));
    }
    let a = page(&ui, "/ui/LK/organisations", "trader_a").await;
    assert!(!a.text().contains("Alpha Exports"));
    // The officials still read it all.
    assert_eq!(
        get(r, "/api/LK/permits", "ma_officer").await.json()["total"],
        5
    );
    h.drop_database().await;
}

#[tokio::test]
async fn an_agent_reads_its_client_s_permits_and_organisations_stay_apart() {
    let (h, ui) = ui_router().await;
    let r = &h.router;
    seed_account(&h).await;
    // Isolation: each trader its own organisation's.
    let [permits, _, payments, organisations, accounts] = lists(r, "trader_b").await;
    assert_eq!(permits, strings(&[P3, P4]));
    assert_eq!(payments, strings(&[P3]));
    assert_eq!(organisations, strings(&[ORG_B]));
    assert!(accounts.is_empty());
    let a = get(r, &format!("/api/LK/permits/{P3}"), "trader_a").await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);

    // ORG_A lists trader_b (of ORG_B's account) as its agent.
    exec(
        &h.pool,
        &format!(
            "INSERT INTO organisation_members VALUES
               ('{ORG_A}', 'trader_b@LK', 'agent', '{ORG_B}', '2025-01-01T00:00:00Z', 'LK')"
        ),
    )
    .await;
    let [permits, lines, payments, organisations, accounts] = lists(r, "trader_b").await;
    assert_eq!(permits, strings(&[P1, P2, P3, P4, P5]));
    assert_eq!(lines, strings(&[P1, P2, P3, P4]));
    assert_eq!(payments, [String::new(), P1.to_string(), P3.to_string()]);
    assert_eq!(organisations, strings(&[ORG_A, ORG_B]));
    assert_eq!(accounts, [ACCOUNT]);
    let a = get(r, &format!("/api/LK/permits/{P1}"), "trader_b").await;
    assert_eq!(a.status, StatusCode::OK);
    let a = get(r, &format!("/api/LK/organisations/{ORG_A}"), "trader_b").await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.json()["members"][1]["capacity"], "agent");
    // The client's members do not read the agent's firm for all that.
    let [permits, _, _, organisations, _] = lists(r, "trader_a").await;
    assert_eq!(permits, strings(&[P1, P2, P5]));
    assert_eq!(organisations, strings(&[ORG_A]));

    // The UI: the agent's organisation page lists both, each page opens; the permit too.
    let a = page(&ui, "/ui/LK/organisation", "trader_b").await;
    assert_eq!(a.status, StatusCode::OK);
    let html = a.text();
    assert!(
        html.contains(&format!(r#"data-organisation="{ORG_A}""#))
            && html.contains(&format!(r#"data-organisation="{ORG_B}""#)),
        "{html}"
    );
    let a = page(&ui, &format!("/ui/LK/organisations/{ORG_A}"), "trader_b").await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.text().contains(r#"data-member="trader_b@LK""#));
    assert!(
        !a.text().contains(r#"data-action="add-member""#),
        "an agent manages no list"
    );
    let a = page(&ui, &format!("/ui/LK/permits/{P1}"), "trader_b").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());

    // A trader whose account's organisation is registered but does not list it: no
    // registration form (the organisation exists), nothing of it.
    exec(
        &h.pool,
        &format!(
            "DELETE FROM organisation_members WHERE organisation_id = '{ORG_A}';
             DELETE FROM organisation_members WHERE user_id = 'trader_b@LK'"
        ),
    )
    .await;
    let a = page(&ui, "/ui/LK/organisation", "trader_b").await;
    assert!(a.text().contains(r#"id="not-listed""#), "{}", a.text());
    assert!(!a.text().contains("Beta Traders") && !a.text().contains(r#"data-action="register""#));
    // …until the organisation is not registered: then it is the account's to register.
    exec(
        &h.pool,
        &format!("DELETE FROM organisations WHERE organisation_id = '{ORG_B}'"),
    )
    .await;
    let a = page(&ui, "/ui/LK/organisation", "trader_b").await;
    assert!(
        a.text().contains(r#"data-action="register""#),
        "{}",
        a.text()
    );
    h.drop_database().await;
}
