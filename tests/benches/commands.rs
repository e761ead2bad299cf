//! Commands/s end to end: HTTP request (in-process through the axum router, without a socket)
//! → bearer authentication → load (cached) → decide → sign → append, with 64 concurrent
//! clients on a mix of single-permit commands and issuances (atomic batch of permit, number
//! and stamp). Next to it, in the same run: raw JetStream publishes of the same number of
//! messages with the same headers, the same durability and 64 in flight.
//!
//! Run: `deploy/stack.sh start && eval "$(deploy/stack.sh env)" && cargo bench -p ecites-tests --bench commands`
//! Size: `ECITES_BENCH_CLIENTS` (64), `ECITES_BENCH_ROUNDS` (8 applications per client).

use axum::body::Body;
use axum::http::{Request, StatusCode};
use ecites_command::api::{router, users::Users, ApiState};
use ecites_command::domain::context::PartySettings;
use ecites_command::handler::auth::Role;
use ecites_command::handler::CommandHandler;
use ecites_command::reference::ReferenceData;
use ecites_events::envelope::headers as h;
use ecites_tests::*;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tower::ServiceExt;
use uuid::Uuid;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Client {
    app: axum::Router,
    tokens: std::collections::HashMap<&'static str, String>,
}

async fn call(app: &axum::Router, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
    let req = Request::post(path)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .expect("request");
    let res = app.clone().oneshot(req).await.expect("router");
    let status = res.status();
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .expect("body");
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// One application through its whole review and issuance; latencies by kind.
async fn one_permit(c: &Client, single: &mut Vec<Duration>, issuing: &mut Vec<Duration>) {
    let application = json!({"document_type": "export_permit", "importing_country": "DE",
        "lines": [{"species": "Python regius", "source": "W", "purpose": "T", "term": "SKI", "quantity": 10}]});
    let started = Instant::now();
    let (status, out) = call(
        &c.app,
        "/api/LK/permits",
        &c.tokens["trader"],
        json!({"command_id": Uuid::now_v7(), "application": application}),
    )
    .await;
    single.push(started.elapsed());
    assert_eq!(status, StatusCode::CREATED, "{out}");
    let id = out["permit_id"].as_str().expect("id").to_string();
    let steps = [
        ("officer", "assign", json!({"officer_id": "officer"})),
        ("officer", "legal-acquisition", json!({})),
        ("officer", "request-opinion", json!({})),
        (
            "sa",
            "opinion",
            json!({"lines": [{"line_no": 1, "non_detrimental": true, "conditions": []}]}),
        ),
        ("officer", "approve", json!({})),
        ("officer", "waive-fee", json!({"reason": "benchmark"})),
    ];
    for (who, action, mut body) in steps {
        body["command_id"] = json!(Uuid::now_v7());
        let started = Instant::now();
        let (status, out) = call(
            &c.app,
            &format!("/api/LK/permits/{id}/{action}"),
            &c.tokens[who],
            body,
        )
        .await;
        single.push(started.elapsed());
        assert_eq!(status, StatusCode::OK, "{action}: {out}");
    }
    let started = Instant::now();
    let (status, out) = call(
        &c.app,
        &format!("/api/LK/permits/{id}/issue"),
        &c.tokens["signatory"],
        json!({"command_id": Uuid::now_v7()}),
    )
    .await;
    issuing.push(started.elapsed());
    assert_eq!(status, StatusCode::OK, "issue: {out}");
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

async fn raw_baseline(n: usize, clients: usize) -> f64 {
    let t = TestLedger::new().await;
    let body = bytes::Bytes::from(vec![b'x'; 1400]);
    let js = async_nats::jetstream::new(t.log.nats_client());
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|w| {
            let (js, body, prefix) = (js.clone(), body.clone(), t.config.subject_prefix.clone());
            tokio::spawn(async move {
                for i in (w..n).step_by(clients) {
                    let mut m = async_nats::HeaderMap::new();
                    m.insert(h::MSG_ID, Uuid::now_v7().to_string().as_str());
                    m.insert(h::KEY_ID, "lk-0123456789abcdef");
                    m.insert(h::SIGNATURE, "x".repeat(88).as_str());
                    m.insert(h::EXPECTED_LAST_SUBJECT_SEQUENCE, "0");
                    let subject = format!("{prefix}.lk.permit.{w}-{i}");
                    js.publish_with_headers(subject, m, body.clone())
                        .await
                        .expect("publish")
                        .await
                        .expect("ack");
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("task");
    }
    n as f64 / started.elapsed().as_secs_f64()
}

#[tokio::main]
async fn main() {
    let clients = env_usize("ECITES_BENCH_CLIENTS", 64);
    let rounds = env_usize("ECITES_BENCH_ROUNDS", 8);
    let t = TestLedger::new().await;
    let handler = CommandHandler::new(
        t.log.clone(),
        t.public_keys(),
        Arc::new(ReferenceData::demo()),
    );
    handler.configure_party(PartySettings::new(lk()));
    let users = Users::default();
    let org = Uuid::now_v7();
    for (id, role, o) in [
        ("trader", Role::Trader, Some(org)),
        ("officer", Role::MaOfficer, None),
        ("sa", Role::SaExpert, None),
        ("signatory", Role::MaSignatory, None),
    ] {
        users
            .add(lk(), id, role, o, "benchmark-password")
            .expect("user");
    }
    let mut tokens = std::collections::HashMap::new();
    for id in ["trader", "officer", "sa", "signatory"] {
        tokens.insert(
            id,
            users
                .login(lk(), id, "benchmark-password")
                .expect("login")
                .0,
        );
    }
    let app = router(Arc::new(ApiState { handler, users }));
    let client = Arc::new(Client { app, tokens });

    println!("machine: {} cores; {clients} clients x {rounds} applications (7 single-permit commands + 1 issuance each)", std::thread::available_parallelism().map_or(1, |c| c.get()));
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let c = client.clone();
            tokio::spawn(async move {
                let (mut single, mut issuing) = (vec![], vec![]);
                for _ in 0..rounds {
                    one_permit(&c, &mut single, &mut issuing).await;
                }
                (single, issuing)
            })
        })
        .collect();
    let (mut single, mut issuing) = (vec![], vec![]);
    for task in tasks {
        let (s, i) = task.await.expect("client");
        single.extend(s);
        issuing.extend(i);
    }
    let elapsed = started.elapsed().as_secs_f64();
    single.sort();
    issuing.sort();
    let total = single.len() + issuing.len();
    let rate = total as f64 / elapsed;
    let raw = raw_baseline(total, clients).await;
    println!("commands: {total} in {elapsed:.2} s = {rate:.0} commands/s (raw JetStream publish in the same run: {raw:.0} msg/s; ratio {:.0} %)", 100.0 * rate / raw);
    println!(
        "single-permit commands: {} | p50 {:.1} ms | p99 {:.1} ms",
        single.len(),
        percentile(&single, 0.5),
        percentile(&single, 0.99)
    );
    println!(
        "issuances (atomic batch of 3): {} | p50 {:.1} ms | p99 {:.1} ms",
        issuing.len(),
        percentile(&issuing, 0.5),
        percentile(&issuing, 0.99)
    );
}
