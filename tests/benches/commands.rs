//! Commands/s end to end: HTTP request (in-process through the axum router, without a socket)
//! → bearer authentication → load (cached) → decide → sign → append, with 64 concurrent
//! clients on a mix of single-permit commands and issuances (atomic batch of permit, number
//! and stamp). Next to it, in the same run: raw JetStream publishes of the same number of
//! messages with the same headers, the same durability and 64 in flight.
//!
//! Run: `deploy/stack.sh start && eval "$(deploy/stack.sh env)" && cargo bench -p ecites-tests --bench commands`
//! Size: `ECITES_BENCH_CLIENTS` (64), `ECITES_BENCH_ROUNDS` (8 applications per client).
//! `ECITES_BENCH_PROJECTOR=0` leaves the projector out, to measure the command side alone on
//! the two cores (a deployment runs the projector and PostgreSQL beside it).

use axum::http::StatusCode;
use ecites_command::handler::auth::Role;
use ecites_events::envelope::headers as h;
use ecites_tests::api::TestApi;
use ecites_tests::*;
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The API and a bearer token for each of its users, shared by the concurrent clients.
struct Client {
    api: TestApi,
    tokens: HashMap<&'static str, String>,
}

/// One application through review to approval: seven single-permit commands.
async fn review(c: &Client, single: &mut Vec<Duration>) -> String {
    let application = json!({"document_type": "export_permit", "importing_country": "DE",
        "lines": [{"species": "Python regius", "source": "W", "purpose": "T", "term": "SKI", "quantity": 10}]});
    let started = Instant::now();
    let (status, out) = c
        .api
        .call(
            "/api/LK/permits",
            Some(&c.tokens["trader"]),
            Some(json!({"command_id": Uuid::now_v7(), "application": application})),
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
    for (who, action, body) in steps {
        let started = Instant::now();
        let (status, out) = c.api.act(&c.tokens[who], &id, action, body).await;
        single.push(started.elapsed());
        assert_eq!(status, StatusCode::OK, "{action}: {out}");
    }
    id
}

async fn issue(c: &Client, id: &str, issuing: &mut Vec<Duration>) {
    let started = Instant::now();
    let (status, out) = c
        .api
        .act(&c.tokens["signatory"], id, "issue", json!({}))
        .await;
    issuing.push(started.elapsed());
    assert_eq!(status, StatusCode::OK, "issue: {out}");
}

#[derive(Clone, Copy)]
enum Phase {
    /// Only single-permit commands (the seven review steps).
    Review,
    /// Review then issue each application: seven single-permit commands and one issuance.
    Mixed,
}

/// Runs `rounds` applications on each of `clients` clients; returns the latencies and the
/// ids of applications left approved but not issued.
async fn run_clients(
    client: &Arc<Client>,
    clients: usize,
    rounds: usize,
    phase: Phase,
) -> (Vec<Duration>, Vec<Duration>, Vec<String>, f64) {
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let c = client.clone();
            tokio::spawn(async move {
                let (mut single, mut issuing, mut approved) = (vec![], vec![], vec![]);
                for _ in 0..rounds {
                    let id = review(&c, &mut single).await;
                    match phase {
                        Phase::Review => approved.push(id),
                        Phase::Mixed => issue(&c, &id, &mut issuing).await,
                    }
                }
                (single, issuing, approved)
            })
        })
        .collect();
    let (mut single, mut issuing, mut approved) = (vec![], vec![], vec![]);
    for task in tasks {
        let (s, i, a) = task.await.expect("client");
        single.extend(s);
        issuing.extend(i);
        approved.extend(a);
    }
    let elapsed = started.elapsed().as_secs_f64();
    single.sort();
    issuing.sort();
    (single, issuing, approved, elapsed)
}

/// Issues every approved application, `clients` at a time.
async fn issue_all(client: &Arc<Client>, clients: usize, ids: Vec<String>) -> (Vec<Duration>, f64) {
    let ids = Arc::new(ids);
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|w| {
            let (c, ids) = (client.clone(), ids.clone());
            tokio::spawn(async move {
                let mut issuing = vec![];
                for id in ids.iter().skip(w).step_by(clients) {
                    issue(&c, id, &mut issuing).await;
                }
                issuing
            })
        })
        .collect();
    let mut all = vec![];
    for t in tasks {
        all.extend(t.await.expect("client"));
    }
    all.sort();
    (all, started.elapsed().as_secs_f64())
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

async fn raw_baseline(n: usize, clients: usize) -> (f64, Vec<Duration>) {
    let t = TestLedger::new().await;
    let body = bytes::Bytes::from(vec![b'x'; 1400]);
    let js = async_nats::jetstream::new(t.log.nats_client());
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|w| {
            let (js, body, prefix) = (js.clone(), body.clone(), t.config.subject_prefix.clone());
            tokio::spawn(async move {
                let mut latencies = vec![];
                for i in (w..n).step_by(clients) {
                    let sent = Instant::now();
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
                    latencies.push(sent.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut latencies = vec![];
    for task in tasks {
        latencies.extend(task.await.expect("task"));
    }
    latencies.sort();
    (n as f64 / started.elapsed().as_secs_f64(), latencies)
}

#[tokio::main]
async fn main() {
    let clients = env_usize("ECITES_BENCH_CLIENTS", 64);
    let rounds = env_usize("ECITES_BENCH_ROUNDS", 8);
    // Only the listed users of an organisation the MA has verified file for it.
    let api = TestApi::builder()
        .trader("trader", "benchmark-exports")
        .user("officer", Role::MaOfficer)
        .user("sa", Role::SaExpert)
        .user("signatory", Role::MaSignatory)
        .verified_organisations()
        .build()
        .await;
    let mut tokens = HashMap::new();
    for id in ["trader", "officer", "sa", "signatory"] {
        tokens.insert(id, api.login(id).await);
    }
    // The projector follows the log through the whole run: its commit lag is the delay a
    // reader sees.
    let projector = if env_usize("ECITES_BENCH_PROJECTOR", 1) == 1 {
        let database = ecites_tests::readside::test_database().await;
        let running = ecites_tests::readside::RunningProjector::start(&api.ledger, &database);
        Some((database, running))
    } else {
        None
    };
    let client = Arc::new(Client { api, tokens });

    println!(
        "machine: {} cores; {clients} clients, {rounds} applications each",
        std::thread::available_parallelism().map_or(1, |c| c.get())
    );
    let (raw, raw_latency) = raw_baseline(clients * rounds * 7, clients).await;
    println!(
        "raw JetStream publish-with-ack, same headers and durability, {clients} in flight: {raw:.0} msg/s | p50 {:.1} ms | p99 {:.1} ms",
        percentile(&raw_latency, 0.5), percentile(&raw_latency, 0.99)
    );

    let (single, _, approved, secs) = run_clients(&client, clients, rounds, Phase::Review).await;
    let rate = single.len() as f64 / secs;
    println!(
        "single-permit commands only: {} in {secs:.2} s = {rate:.0} commands/s ({:.0} % of raw) | p50 {:.1} ms | p99 {:.1} ms",
        single.len(), 100.0 * rate / raw, percentile(&single, 0.5), percentile(&single, 0.99)
    );
    let (issuing, secs) = issue_all(&client, clients, approved).await;
    println!(
        "issuances only (permit + number + stamp, atomic batch): {} in {secs:.2} s = {:.0}/s | p50 {:.1} ms | p99 {:.1} ms",
        issuing.len(), issuing.len() as f64 / secs, percentile(&issuing, 0.5), percentile(&issuing, 0.99)
    );
    let (single, issuing, _, secs) = run_clients(&client, clients, rounds, Phase::Mixed).await;
    let total = single.len() + issuing.len();
    println!(
        "mixed (7 single-permit commands + 1 issuance per application): {total} in {secs:.2} s = {:.0} commands/s ({:.0} % of raw)",
        total as f64 / secs, 100.0 * total as f64 / secs / raw
    );
    println!(
        "  single-permit p50 {:.1} ms p99 {:.1} ms | issuance p50 {:.1} ms p99 {:.1} ms",
        percentile(&single, 0.5),
        percentile(&single, 0.99),
        percentile(&issuing, 0.5),
        percentile(&issuing, 0.99)
    );
    if let Some((database, projector)) = projector {
        report_lag(&client.api.ledger, &database, projector).await;
    }
}

async fn report_lag(
    ledger: &TestLedger,
    database: &str,
    projector: ecites_tests::readside::RunningProjector,
) {
    ecites_tests::readside::caught_up(
        ledger,
        database,
        ecites_projector::Projection::ReadModels,
        Duration::from_secs(120),
    )
    .await;
    let mut lags: Vec<Duration> = projector
        .status
        .take_lags()
        .into_iter()
        .map(Duration::from_secs_f64)
        .collect();
    lags.sort();
    println!(
        "projection lag while the commands ran (log stored the batch's first event -> batch committed in PostgreSQL), {} batches: p50 {:.1} ms | p99 {:.1} ms | max {:.1} ms",
        lags.len(),
        percentile(&lags, 0.5),
        percentile(&lags, 0.99),
        percentile(&lags, 1.0)
    );
    projector.stop().await.expect("projector");
}
