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
//!
//! With the projector, the same run then measures what the Merkle tree costs the command path
//! (issue #12): the mixed workload with the tree projection and the tree-head signer stopped,
//! then running (caught up first, so it is measured following the log), twice each, as a
//! ratio; and inclusion and consistency proofs/s read from the tree projection.

use axum::http::StatusCode;
use ecites_command::handler::auth::Role;
use ecites_events::envelope::headers as h;
use ecites_events::merkle;
use ecites_projector::runner::{run_projection, ProjectorConfig};
use ecites_projector::status::Status;
use ecites_projector::tree::TreeReader;
use ecites_projector::witness::Witnesses;
use ecites_projector::{db, tree_heads, Projection};
use ecites_tests::api::TestApi;
use ecites_tests::readside::caught_up;
use ecites_tests::*;
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;
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
    // reader sees. The tree and its signer run too, as in `ecites serve`.
    let status = Status::default();
    let projector = if env_usize("ECITES_BENCH_PROJECTOR", 1) == 1 {
        let database = ecites_tests::readside::test_database().await;
        let read_side = Workers::projections(
            &api.ledger,
            &database,
            &[Projection::ReadModels, Projection::Archive],
            &status,
        );
        let tree = Workers::tree(&api.ledger, &database, &status);
        Some((database, read_side, tree))
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
    if let Some((database, read_side, tree)) = projector {
        report_lag(&client.api.ledger, &database, &status).await;
        let tree = tree_cost(&client, clients, rounds, &database, &status, tree).await;
        proofs(&database).await;
        tree.stop().await;
        read_side.stop().await;
    }
}

async fn report_lag(ledger: &TestLedger, database: &str, status: &Status) {
    caught_up(
        ledger,
        database,
        Projection::ReadModels,
        Duration::from_secs(120),
    )
    .await;
    let mut lags: Vec<Duration> = status
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
}

/// Background projector tasks that stop together.
struct Workers {
    stop: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Workers {
    fn projections(
        ledger: &TestLedger,
        database: &str,
        which: &[Projection],
        status: &Status,
    ) -> Self {
        let (stop, stopped) = watch::channel(false);
        let tasks = which
            .iter()
            .map(|p| {
                let run = run_projection(
                    *p,
                    Arc::new(ledger.log.clone()),
                    Arc::new(ledger.public_keys()),
                    vec![lk()],
                    ProjectorConfig::new(database),
                    status.clone(),
                    stopped.clone(),
                );
                tokio::spawn(async move { run.await.expect("projection") })
            })
            .collect();
        Self { stop, tasks }
    }

    /// The tree projection and the tree-head signer, with `ecites serve`'s defaults.
    fn tree(ledger: &TestLedger, database: &str, status: &Status) -> Self {
        let mut workers = Self::projections(ledger, database, &[Projection::Tree], status);
        let reader = TreeReader {
            pool: db::pool_lazy(database, db::TREE_SCHEMA, 4).expect("tree pool"),
        };
        let signer = tree_heads::run(
            Arc::new(ledger.log.clone()),
            HashMap::from([(lk(), ledger.ring.signer.clone())]),
            reader,
            Witnesses::default(),
            tree_heads::TreeHeadConfig {
                interval: Duration::from_secs(1),
                every: 1000,
            },
            workers.stop.subscribe(),
        );
        workers.tasks.push(tokio::spawn(signer));
        workers
    }

    async fn stop(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            task.await.expect("worker");
        }
    }
}

/// The mixed workload without the tree, then with it (caught up first), twice; the tree
/// running again at the end.
async fn tree_cost(
    client: &Arc<Client>,
    clients: usize,
    rounds: usize,
    database: &str,
    status: &Status,
    tree: Workers,
) -> Workers {
    let mut tree = Some(tree);
    let reader = TreeReader {
        pool: db::pool(database, db::TREE_SCHEMA, 1)
            .await
            .expect("tree pool"),
    };
    let ledger = &client.api.ledger;
    let (mut without, mut with) = (vec![], vec![]);
    // Without, with, with, without: a drift over the run (the stream grows) cancels out.
    for running in [false, true, true, false] {
        let on = tree.is_some();
        if running && !on {
            let from = reader.size(lk()).await.expect("tree size");
            let started = Instant::now();
            tree = Some(Workers::tree(ledger, database, status));
            let to = caught_up(ledger, database, Projection::Tree, Duration::from_secs(120)).await;
            println!(
                "  tree catching up {} events: {:.0} events/s",
                to - from,
                (to - from) as f64 / started.elapsed().as_secs_f64()
            );
        } else if !running {
            if let Some(t) = tree.take() {
                t.stop().await;
            }
        }
        let rate = mixed_rate(client, clients, rounds).await;
        if running {
            with.push(rate)
        } else {
            without.push(rate)
        }
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    println!(
        "tree cost on the command path (mixed workload; without, with, with, without): without the tree {:.0} commands/s {without:.0?} | with the tree projection and signer {:.0} commands/s {with:.0?} | ratio {:.3}",
        mean(&without),
        mean(&with),
        mean(&with) / mean(&without)
    );
    let tree = Workers::tree(ledger, database, status);
    caught_up(ledger, database, Projection::Tree, Duration::from_secs(120)).await;
    tree
}

async fn mixed_rate(client: &Arc<Client>, clients: usize, rounds: usize) -> f64 {
    let (single, issuing, _, secs) = run_clients(client, clients, rounds, Phase::Mixed).await;
    (single.len() + issuing.len()) as f64 / secs
}

/// Inclusion and consistency proofs/s from the tree projection, 8 readers at a time, and
/// their verification offline on one core.
async fn proofs(database: &str) {
    let tree = TreeReader {
        pool: db::pool(database, db::TREE_SCHEMA, 8)
            .await
            .expect("tree pool"),
    };
    let size = tree.size(lk()).await.expect("tree size");
    let root = tree.root(lk(), size).await.expect("root");
    let (readers, each) = (8u64, 500u64);
    // A fixed spread of sequences over the whole tree, so every run asks the same questions.
    let pick = move |r: u64, i: u64| (r * 7919 + i * 104_729) % size + 1;
    let started = Instant::now();
    let tasks: Vec<_> = (0..readers)
        .map(|r| {
            let tree = TreeReader {
                pool: tree.pool.clone(),
            };
            tokio::spawn(async move {
                let mut out = vec![];
                for i in 0..each {
                    let sequence = pick(r, i);
                    let t = Instant::now();
                    let proof = tree.inclusion(lk(), sequence, size).await.expect("proof");
                    out.push((t.elapsed(), sequence, proof));
                }
                out
            })
        })
        .collect();
    let mut all = vec![];
    for t in tasks {
        all.extend(t.await.expect("reader"));
    }
    let secs = started.elapsed().as_secs_f64();
    let mut latency: Vec<Duration> = all.iter().map(|(d, _, _)| *d).collect();
    latency.sort();
    println!(
        "inclusion proofs from PostgreSQL, tree of {size} leaves, {readers} readers: {} in {secs:.2} s = {:.0} proofs/s | p50 {:.2} ms | p99 {:.2} ms",
        all.len(),
        all.len() as f64 / secs,
        percentile(&latency, 0.5),
        percentile(&latency, 0.99)
    );
    let started = Instant::now();
    let mut verified = 0;
    for (_, sequence, (leaf, path)) in &all {
        verified += usize::from(merkle::verify_inclusion(
            leaf,
            sequence - 1,
            size,
            path,
            &root,
        ));
    }
    let secs = started.elapsed().as_secs_f64();
    assert_eq!(verified, all.len(), "every proof verifies");
    println!(
        "inclusion proofs verified offline, one core: {:.0} proofs/s",
        verified as f64 / secs
    );
    let started = Instant::now();
    let n = 2000u64;
    for i in 0..n {
        let from = pick(i, i).min(size - 1).max(1);
        tree.consistency(lk(), from, size)
            .await
            .expect("consistency");
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "consistency proofs from PostgreSQL to size {size}, one reader: {:.0} proofs/s",
        n as f64 / secs
    );
}
