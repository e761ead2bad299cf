//! Prepayment accounts end to end on real NATS, through HTTP: opening and deposits, a permit
//! fee debited in the same atomic batch as its payment, the refusals (balance, organisation,
//! currency, more than owed) writing nothing, who reads the statement, and two debits racing
//! for one balance.

use axum::http::StatusCode;
use ecites_command::handler::auth::Role;
use ecites_events::audit::verify_event;
use ecites_events::payloads::prepayment::PrepaymentDebited;
use ecites_events::{AggregateRef, EventReader, RecordedEvent};
use ecites_tests::api::TestApi;
use ecites_tests::race::RaceGate;
use ecites_tests::*;
use serde_json::{json, Value};
use std::sync::Arc;
use uuid::Uuid;

/// The API with its commands going through a [`RaceGate`] on the test ledger's log.
async fn api() -> (TestApi, RaceGate) {
    let ledger = Arc::new(TestLedger::new().await);
    let gate = RaceGate::new(ledger.log.clone(), 2);
    let api = TestApi::builder()
        .trader("trader-a", "org-a")
        .trader("trader-b", "org-b")
        .user("officer", Role::MaOfficer)
        .user("sa", Role::SaExpert)
        .user("customs", Role::Customs)
        .user("auditor", Role::Auditor)
        .verified_organisations()
        .build_on(ledger, gate.clone())
        .await;
    (api, gate)
}

/// Opens an account of `org` as `token`'s user.
async fn open(
    api: &TestApi,
    token: &str,
    org: Uuid,
    currency: Option<&str>,
) -> (StatusCode, Value) {
    let mut body = json!({"command_id": Uuid::now_v7(), "account_id": Uuid::now_v7(),
        "organisation_id": org});
    if let Some(c) = currency {
        body["currency"] = json!(c);
    }
    api.call("/api/LK/accounts", Some(token), Some(body)).await
}

/// A deposit of `minor_units` USD into `account` against `receipt`, recorded by the officer.
async fn record_deposit(
    api: &TestApi,
    account: &str,
    minor_units: i64,
    receipt: &str,
) -> (StatusCode, Value) {
    let officer = api.login("officer").await;
    let body = json!({"command_id": Uuid::now_v7(), "receipt_number": receipt,
        "amount": {"minor_units": minor_units, "currency": "USD"}});
    let path = format!("/api/LK/accounts/{account}/deposit");
    api.call(&path, Some(&officer), Some(body)).await
}

/// An approved application of `trader`'s organisation, with its fee.
async fn approved(api: &TestApi, trader: &str) -> (String, Value) {
    let application = json!({"document_type": "export_permit", "importing_country": "DE",
        "lines": [{"species": "Python regius", "source": "W", "purpose": "T", "term": "SKI", "quantity": 10}]});
    let id = api.submit_and_approve(trader, application, &[]).await;
    let trader = api.login(trader).await;
    let (_, state) = api
        .call(&format!("/api/LK/permits/{id}"), Some(&trader), None)
        .await;
    (id, state["fee"].clone())
}

/// Pays `amount` on `permit` from `account`, as `trader`, with the command id given.
async fn pay(
    api: &TestApi,
    trader: &str,
    permit: &str,
    account: &str,
    amount: Value,
    command_id: Uuid,
) -> (StatusCode, Value) {
    let token = api.login(trader).await;
    let body = json!({"command_id": command_id, "amount": amount,
        "method": {"prepayment_debit": {"account_id": account}}});
    let path = format!("/api/LK/permits/{permit}/payment");
    api.call(&path, Some(&token), Some(body)).await
}

async fn account_events(api: &TestApi, account: &str) -> Vec<RecordedEvent> {
    let agg = AggregateRef::new(lk(), "prepayment_account", account).unwrap();
    api.ledger.log.read_aggregate(&agg).await.unwrap()
}

fn violation(out: &Value) -> (&str, &str) {
    let v = &out["violations"][0];
    (
        v["rule"].as_str().unwrap_or_default(),
        v["field"].as_str().unwrap_or_default(),
    )
}

#[tokio::test]
async fn a_fee_paid_from_a_prepayment_account_debits_it_in_the_same_batch() {
    let (api, _) = api().await;
    let (a, b) = (api.login("trader-a").await, api.login("trader-b").await);
    // Only the organisation's own staff (or the MA) open its account.
    let (status, out) = open(&api, &b, api.organisation("org-a"), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{out}");
    let (status, out) = open(&api, &a, api.organisation("org-a"), None).await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    let account = out["account_id"].as_str().unwrap().to_string();

    // Deposits are the MA's: it received the money.
    let path = format!("/api/LK/accounts/{account}/deposit");
    let deposit = json!({"command_id": Uuid::now_v7(), "receipt_number": "R-1",
        "amount": {"minor_units": 5_000, "currency": "USD"}});
    let (status, _) = api.call(&path, Some(&a), Some(deposit.clone())).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let officer = api.login("officer").await;
    let (status, out) = api.call(&path, Some(&officer), Some(deposit.clone())).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let (status, out) = api.call(&path, Some(&officer), Some(deposit)).await;
    assert_eq!((status, &out["duplicate"]), (StatusCode::OK, &json!(true)));
    let (status, out) = record_deposit(&api, &account, 100, "R-1").await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "one receipt, one credit: {out}"
    );

    let (permit, fee) = approved(&api, "trader-a").await;
    assert_eq!(fee["currency"], "USD");
    let fee_units = fee["minor_units"].as_i64().unwrap();
    assert!(fee_units > 0 && fee_units <= 5_000, "{fee}");
    let command_id = Uuid::now_v7();
    let (status, out) = pay(&api, "trader-a", &permit, &account, fee.clone(), command_id).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert_eq!(out["events"], json!(["PaymentRecorded"]));

    // One commit: the permit's payment and the account's debit are the two messages of one
    // atomic batch under the command's id.
    let permit_ref = AggregateRef::new(lk(), "permit", &permit).unwrap();
    let paid = api
        .ledger
        .log
        .read_last(&permit_ref)
        .await
        .unwrap()
        .unwrap();
    let debited = account_events(&api, &account).await.pop().unwrap();
    assert_eq!(paid.msg_id, Some(format!("{command_id}:1/2")));
    assert_eq!(debited.msg_id, Some(format!("{command_id}:2/2")));
    assert_eq!(debited.sequence, paid.sequence + 1);
    let keys = api.ledger.public_keys();
    let v = verify_event(&debited, &keys).unwrap();
    let d: PrepaymentDebited = v.decode(&ecites_events::payloads::upcasters()).unwrap();
    assert_eq!(d.permit_id.to_string(), permit);
    assert_eq!(d.amount.minor_units, fee_units);
    let (_, state) = api
        .call(&format!("/api/LK/permits/{permit}"), Some(&a), None)
        .await;
    assert_eq!(state["paid_minor_units"], fee_units);

    // The statement: to the organisation's staff, the MA and auditors only.
    let statement = format!("/api/LK/accounts/{account}");
    let (status, out) = api.call(&statement, Some(&a), None).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert_eq!(out["balance"]["minor_units"], 5_000 - fee_units);
    assert_eq!(out["organisation_id"], json!(api.organisation("org-a")));
    let kinds: Vec<&str> = out["movements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["deposit", "debit"]);
    assert_eq!(out["movements"][1]["permit_id"], json!(permit));
    assert_eq!(
        out["movements"][1]["position"],
        format!("LK:{}", debited.sequence)
    );
    for (user, expected) in [
        ("officer", StatusCode::OK),
        ("auditor", StatusCode::OK),
        ("trader-b", StatusCode::NOT_FOUND),
        ("customs", StatusCode::FORBIDDEN),
    ] {
        let token = api.login(user).await;
        let (status, _) = api.call(&statement, Some(&token), None).await;
        assert_eq!(status, expected, "{user}");
    }

    // The rest of the balance does not cover a second fee: refused, nothing written.
    let (second, fee) = approved(&api, "trader-a").await;
    let head = api.head().await;
    let (status, out) = pay(&api, "trader-a", &second, &account, fee, Uuid::now_v7()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    assert_eq!(violation(&out), ("FEE-PREPAYMENT-BALANCE", "amount"));
    assert_eq!(api.head().await, head, "nothing written");

    let report = api.ledger.audit().await;
    assert!(report.is_ok(), "{:?}", report.failures);
}

#[tokio::test]
async fn only_the_organisations_own_account_in_the_fee_currency_pays_what_is_owed() {
    let (api, _) = api().await;
    let (a, officer) = (api.login("trader-a").await, api.login("officer").await);
    let (_, out) = open(&api, &a, api.organisation("org-a"), None).await;
    let account_a = out["account_id"].as_str().unwrap().to_string();
    let (status, out) = record_deposit(&api, &account_a, 100_000, "R-A").await;
    assert_eq!(status, StatusCode::OK, "{out}");
    // The MA may open one for an organisation, here in another currency than the fees'.
    let (status, out) = open(&api, &officer, api.organisation("org-b"), Some("eur")).await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    let account_b_eur = out["account_id"].as_str().unwrap().to_string();

    let (permit_b, fee_b) = approved(&api, "trader-b").await;
    let (permit_a, fee_a) = approved(&api, "trader-a").await;
    let head = api.head().await;
    // Another organisation's account, however full, does not pay (and says nothing of it).
    let (status, out) = pay(
        &api,
        "trader-b",
        &permit_b,
        &account_a,
        fee_b.clone(),
        Uuid::now_v7(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    assert_eq!(
        violation(&out),
        (
            "FEE-PREPAYMENT-ACCOUNT",
            "method.prepayment_debit.account_id"
        )
    );
    assert!(!out.to_string().contains("100000"), "{out}");
    // Nor does an account that does not exist.
    let (status, out) = pay(
        &api,
        "trader-b",
        &permit_b,
        &Uuid::now_v7().to_string(),
        fee_b.clone(),
        Uuid::now_v7(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    assert_eq!(violation(&out).0, "FEE-PREPAYMENT-ACCOUNT");
    // Its own account in euros does not pay a fee in dollars.
    let (status, out) = pay(
        &api,
        "trader-b",
        &permit_b,
        &account_b_eur,
        fee_b,
        Uuid::now_v7(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    assert_eq!(
        violation(&out),
        ("FEE-PREPAYMENT-CURRENCY", "amount.currency")
    );

    // More than the permit still owes would take money for nothing.
    let mut more = fee_a.clone();
    more["minor_units"] = json!(fee_a["minor_units"].as_i64().unwrap() + 1);
    let (status, out) = pay(
        &api,
        "trader-a",
        &permit_a,
        &account_a,
        more,
        Uuid::now_v7(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    assert_eq!(violation(&out), ("FEE-PREPAYMENT-AMOUNT", "amount"));
    assert_eq!(api.head().await, head, "refusals wrote nothing");
}

#[tokio::test]
async fn two_debits_racing_for_one_balance_exactly_one_succeeds() {
    let (api, gate) = api().await;
    let a = api.login("trader-a").await;
    let (_, out) = open(&api, &a, api.organisation("org-a"), None).await;
    let account = out["account_id"].as_str().unwrap().to_string();
    let (first, fee) = approved(&api, "trader-a").await;
    let (second, _) = approved(&api, "trader-a").await;
    let fee_units = fee["minor_units"].as_i64().unwrap();
    // Enough for one fee and a half.
    let balance = fee_units + fee_units / 2;
    let (status, out) = record_deposit(&api, &account, balance, "R-1").await;
    assert_eq!(status, StatusCode::OK, "{out}");

    // Both payments decide against the full balance before either commits.
    gate.hold_next_appends();
    let race = async {
        tokio::join!(
            pay(
                &api,
                "trader-a",
                &first,
                &account,
                fee.clone(),
                Uuid::now_v7()
            ),
            pay(
                &api,
                "trader-a",
                &second,
                &account,
                fee.clone(),
                Uuid::now_v7()
            ),
        )
    };
    let (x, y) = tokio::time::timeout(std::time::Duration::from_secs(60), race)
        .await
        .expect("both payments reached the log");
    assert_eq!(gate.still_held(), 0, "both were held");
    let mut outcomes = [
        (x.0, violation(&x.1).0.to_string()),
        (y.0, violation(&y.1).0.to_string()),
    ];
    outcomes.sort();
    assert_eq!(
        outcomes,
        [
            (StatusCode::OK, String::new()),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                "FEE-PREPAYMENT-BALANCE".to_string()
            )
        ],
        "{x:?} {y:?}"
    );
    let debits = account_events(&api, &account)
        .await
        .iter()
        .filter(|e| e.envelope().unwrap().event_type == "PrepaymentDebited")
        .count();
    assert_eq!(debits, 1);
    let (_, out) = api
        .call(&format!("/api/LK/accounts/{account}"), Some(&a), None)
        .await;
    assert_eq!(out["balance"]["minor_units"], balance - fee_units);
}
