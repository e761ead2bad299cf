//! Prepayment accounts end to end on real NATS, through HTTP: opening and deposits, a permit
//! fee debited in the same atomic batch as its payment, the refusals (balance, organisation,
//! currency, more than owed) writing nothing, who reads the statement, and two debits racing
//! for one balance.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use ecites_command::api::{router, users::Users, ApiState};
use ecites_command::domain::context::PartySettings;
use ecites_command::handler::auth::Role;
use ecites_command::handler::CommandHandler;
use ecites_command::reference::ReferenceData;
use ecites_events::audit::verify_event;
use ecites_events::jetstream::JetStreamLog;
use ecites_events::payloads::prepayment::PrepaymentDebited;
use ecites_events::{
    AggregateRef, AggregateType, AppendError, Commit, Committed, EventAppender, EventReader,
    PartyCode, ReadError, RecordedEvent,
};
use ecites_tests::*;
use futures::stream::BoxStream;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tower::ServiceExt;
use uuid::Uuid;

const PASSWORD: &str = "correct horse battery staple";

/// The log, except that the next `held` appends wait until all of them have arrived: the
/// commands behind them have all decided against the same state before any of them commits.
#[derive(Clone)]
struct Gate {
    log: JetStreamLog,
    held: Arc<AtomicUsize>,
    barrier: Arc<tokio::sync::Barrier>,
}

const RACERS: usize = 2;

impl Gate {
    fn hold_next_appends(&self) {
        self.held.store(RACERS, Ordering::SeqCst);
    }
}

impl EventAppender for Gate {
    async fn append(&self, commit: Commit) -> Result<Committed, AppendError> {
        let take = |n: usize| n.checked_sub(1);
        if self
            .held
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, take)
            .is_ok()
        {
            self.barrier.wait().await;
        }
        self.log.append(commit).await
    }
}

impl EventReader for Gate {
    async fn read_aggregate(&self, a: &AggregateRef) -> Result<Vec<RecordedEvent>, ReadError> {
        self.log.read_aggregate(a).await
    }
    async fn read_last(&self, a: &AggregateRef) -> Result<Option<RecordedEvent>, ReadError> {
        self.log.read_last(a).await
    }
    async fn read_party(
        &self,
        party: PartyCode,
        from: u64,
    ) -> Result<BoxStream<'static, Result<RecordedEvent, ReadError>>, ReadError> {
        self.log.read_party(party, from).await
    }
    async fn read_type(
        &self,
        party: PartyCode,
        t: &AggregateType,
    ) -> Result<BoxStream<'static, Result<RecordedEvent, ReadError>>, ReadError> {
        self.log.read_type(party, t).await
    }
    async fn follow_party(
        &self,
        party: PartyCode,
        from: u64,
    ) -> Result<BoxStream<'static, Result<RecordedEvent, ReadError>>, ReadError> {
        self.log.follow_party(party, from).await
    }
    async fn head(&self, party: PartyCode) -> Result<u64, ReadError> {
        self.log.head(party).await
    }
}

struct Api {
    app: axum::Router,
    t: TestLedger,
    gate: Gate,
    org_a: Uuid,
    org_b: Uuid,
}

async fn api() -> Api {
    let t = TestLedger::new().await;
    let gate = Gate {
        log: t.log.clone(),
        held: Arc::default(),
        barrier: Arc::new(tokio::sync::Barrier::new(RACERS)),
    };
    let handler = CommandHandler::new(
        gate.clone(),
        t.public_keys(),
        Arc::new(ReferenceData::demo()),
    );
    handler.configure_party(PartySettings::new(lk()));
    let users = Users::default();
    let (org_a, org_b) = (Uuid::now_v7(), Uuid::now_v7());
    for (id, role, org) in [
        ("trader-a", Role::Trader, Some(org_a)),
        ("trader-b", Role::Trader, Some(org_b)),
        ("officer", Role::MaOfficer, None),
        ("sa", Role::SaExpert, None),
        ("customs", Role::Customs, None),
        ("auditor", Role::Auditor, None),
    ] {
        users.add(lk(), id, role, org, PASSWORD).unwrap();
    }
    let app = router(Arc::new(ApiState { handler, users }));
    let api = Api {
        app,
        t,
        gate,
        org_a,
        org_b,
    };
    let officer = api.login("officer").await;
    for (trader, org) in [("trader-a", org_a), ("trader-b", org_b)] {
        let token = api.login(trader).await;
        let register = json!({"command_id": Uuid::now_v7(), "name": format!("{trader} Ltd"),
            "registration_number": format!("PV {org}"), "country": "LK"});
        let (status, out) = api
            .call("/api/LK/organisations", Some(&token), Some(register))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{out}");
        let verify = json!({"command_id": Uuid::now_v7(), "note": "register extract seen"});
        let path = format!("/api/LK/organisations/{org}/verify");
        let (status, out) = api.call(&path, Some(&officer), Some(verify)).await;
        assert_eq!(status, StatusCode::OK, "{out}");
    }
    api
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

    async fn act(
        &self,
        token: &str,
        permit: &str,
        action: &str,
        mut body: Value,
    ) -> (StatusCode, Value) {
        body["command_id"] = json!(Uuid::now_v7());
        self.call(
            &format!("/api/LK/permits/{permit}/{action}"),
            Some(token),
            Some(body),
        )
        .await
    }

    /// Opens an account of `org` as `token`'s user.
    async fn open(&self, token: &str, org: Uuid, currency: Option<&str>) -> (StatusCode, Value) {
        let mut body = json!({"command_id": Uuid::now_v7(), "account_id": Uuid::now_v7(),
            "organisation_id": org});
        if let Some(c) = currency {
            body["currency"] = json!(c);
        }
        self.call("/api/LK/accounts", Some(token), Some(body)).await
    }

    async fn deposit(&self, account: &str, minor_units: i64, receipt: &str) -> (StatusCode, Value) {
        let officer = self.login("officer").await;
        let body = json!({"command_id": Uuid::now_v7(), "receipt_number": receipt,
            "amount": {"minor_units": minor_units, "currency": "USD"}});
        let path = format!("/api/LK/accounts/{account}/deposit");
        self.call(&path, Some(&officer), Some(body)).await
    }

    /// An approved application of `trader`'s organisation, with its fee.
    async fn approved(&self, trader: &str) -> (String, Value) {
        let trader = self.login(trader).await;
        let officer = self.login("officer").await;
        let sa = self.login("sa").await;
        let application = json!({"document_type": "export_permit", "importing_country": "DE",
            "lines": [{"species": "Python regius", "source": "W", "purpose": "T", "term": "SKI", "quantity": 10}]});
        let (status, body) = self
            .call(
                "/api/LK/permits",
                Some(&trader),
                Some(json!({"command_id": Uuid::now_v7(), "application": application})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let id = body["permit_id"].as_str().unwrap().to_string();
        for (token, action, body) in [
            (&officer, "assign", json!({"officer_id": "officer"})),
            (
                &officer,
                "legal-acquisition",
                json!({"evidence": [], "note": "farm records"}),
            ),
            (&officer, "request-opinion", json!({})),
            (
                &sa,
                "opinion",
                json!({"lines": [{"line_no": 1, "non_detrimental": true, "conditions": []}]}),
            ),
            (&officer, "approve", json!({})),
        ] {
            let (status, out) = self.act(token, &id, action, body).await;
            assert_eq!(status, StatusCode::OK, "{action}: {out}");
        }
        let (_, state) = self
            .call(&format!("/api/LK/permits/{id}"), Some(&trader), None)
            .await;
        (id, state["fee"].clone())
    }

    /// Pays `amount` on `permit` from `account`, as `trader`, with the command id given.
    async fn pay(
        &self,
        trader: &str,
        permit: &str,
        account: &str,
        amount: Value,
        command_id: Uuid,
    ) -> (StatusCode, Value) {
        let token = self.login(trader).await;
        let body = json!({"command_id": command_id, "amount": amount,
            "method": {"prepayment_debit": {"account_id": account}}});
        let path = format!("/api/LK/permits/{permit}/payment");
        self.call(&path, Some(&token), Some(body)).await
    }

    async fn account_events(&self, account: &str) -> Vec<RecordedEvent> {
        let agg = AggregateRef::new(lk(), "prepayment_account", account).unwrap();
        self.t.log.read_aggregate(&agg).await.unwrap()
    }

    async fn head(&self) -> u64 {
        self.t.log.head(lk()).await.unwrap()
    }
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
    let api = api().await;
    let (a, b) = (api.login("trader-a").await, api.login("trader-b").await);
    // Only the organisation's own staff (or the MA) open its account.
    let (status, out) = api.open(&b, api.org_a, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{out}");
    let (status, out) = api.open(&a, api.org_a, None).await;
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
    let (status, out) = api.deposit(&account, 100, "R-1").await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "one receipt, one credit: {out}"
    );

    let (permit, fee) = api.approved("trader-a").await;
    assert_eq!(fee["currency"], "USD");
    let fee_units = fee["minor_units"].as_i64().unwrap();
    assert!(fee_units > 0 && fee_units <= 5_000, "{fee}");
    let command_id = Uuid::now_v7();
    let (status, out) = api
        .pay("trader-a", &permit, &account, fee.clone(), command_id)
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert_eq!(out["events"], json!(["PaymentRecorded"]));

    // One commit: the permit's payment and the account's debit are the two messages of one
    // atomic batch under the command's id.
    let permit_ref = AggregateRef::new(lk(), "permit", &permit).unwrap();
    let paid = api.t.log.read_last(&permit_ref).await.unwrap().unwrap();
    let debited = api.account_events(&account).await.pop().unwrap();
    assert_eq!(paid.msg_id, Some(format!("{command_id}:1")));
    assert_eq!(debited.msg_id, Some(format!("{command_id}:2")));
    assert_eq!(debited.sequence, paid.sequence + 1);
    let keys = api.t.public_keys();
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
    assert_eq!(out["organisation_id"], json!(api.org_a));
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
    let (second, fee) = api.approved("trader-a").await;
    let head = api.head().await;
    let (status, out) = api
        .pay("trader-a", &second, &account, fee, Uuid::now_v7())
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    assert_eq!(violation(&out), ("FEE-PREPAYMENT-BALANCE", "amount"));
    assert_eq!(api.head().await, head, "nothing written");

    let report = ecites_events::audit::audit_party(&api.t.log, lk(), &keys, |_| {})
        .await
        .unwrap();
    assert!(report.is_ok(), "{:?}", report.failures);
}

#[tokio::test]
async fn only_the_organisations_own_account_in_the_fee_currency_pays_what_is_owed() {
    let api = api().await;
    let (a, officer) = (api.login("trader-a").await, api.login("officer").await);
    let (_, out) = api.open(&a, api.org_a, None).await;
    let account_a = out["account_id"].as_str().unwrap().to_string();
    let (status, out) = api.deposit(&account_a, 100_000, "R-A").await;
    assert_eq!(status, StatusCode::OK, "{out}");
    // The MA may open one for an organisation, here in another currency than the fees'.
    let (status, out) = api.open(&officer, api.org_b, Some("eur")).await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    let account_b_eur = out["account_id"].as_str().unwrap().to_string();

    let (permit_b, fee_b) = api.approved("trader-b").await;
    let (permit_a, fee_a) = api.approved("trader-a").await;
    let head = api.head().await;
    // Another organisation's account, however full, does not pay (and says nothing of it).
    let (status, out) = api
        .pay(
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
    let (status, out) = api
        .pay(
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
    let (status, out) = api
        .pay("trader-b", &permit_b, &account_b_eur, fee_b, Uuid::now_v7())
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    assert_eq!(
        violation(&out),
        ("FEE-PREPAYMENT-CURRENCY", "amount.currency")
    );

    // More than the permit still owes would take money for nothing.
    let mut more = fee_a.clone();
    more["minor_units"] = json!(fee_a["minor_units"].as_i64().unwrap() + 1);
    let (status, out) = api
        .pay("trader-a", &permit_a, &account_a, more, Uuid::now_v7())
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    assert_eq!(violation(&out), ("FEE-PREPAYMENT-AMOUNT", "amount"));
    assert_eq!(api.head().await, head, "refusals wrote nothing");
}

#[tokio::test]
async fn two_debits_racing_for_one_balance_exactly_one_succeeds() {
    let api = api().await;
    let a = api.login("trader-a").await;
    let (_, out) = api.open(&a, api.org_a, None).await;
    let account = out["account_id"].as_str().unwrap().to_string();
    let (first, fee) = api.approved("trader-a").await;
    let (second, _) = api.approved("trader-a").await;
    let fee_units = fee["minor_units"].as_i64().unwrap();
    // Enough for one fee and a half.
    let balance = fee_units + fee_units / 2;
    let (status, out) = api.deposit(&account, balance, "R-1").await;
    assert_eq!(status, StatusCode::OK, "{out}");

    // Both payments decide against the full balance before either commits.
    api.gate.hold_next_appends();
    let race = async {
        tokio::join!(
            api.pay("trader-a", &first, &account, fee.clone(), Uuid::now_v7()),
            api.pay("trader-a", &second, &account, fee.clone(), Uuid::now_v7()),
        )
    };
    let (x, y) = tokio::time::timeout(std::time::Duration::from_secs(60), race)
        .await
        .expect("both payments reached the log");
    assert_eq!(api.gate.held.load(Ordering::SeqCst), 0, "both were held");
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
    let debits = api
        .account_events(&account)
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
