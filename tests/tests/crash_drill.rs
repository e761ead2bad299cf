//! The crash drill as a test: `ecites serve` as a separate process takes applications from
//! concurrent traders and is killed with SIGKILL mid-load, restarted, and killed again. Then
//! every command it acknowledged is in the log at the position its answer named, and the read
//! models the restarted server projected equal a rebuild from the log in a fresh database.
//!
//! Trials: `ECITES_CRASH_TRIALS` (default 3, as CI runs it; the drill that issue #13 reports
//! ran 12).

use ecites_events::{AggregateRef, EventReader};
use ecites_projector::replay::Replay;
use ecites_projector::{batch, db};
use ecites_tests::readside::*;
use ecites_tests::*;
use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

const WAIT: Duration = Duration::from_secs(60);
const WRITERS: usize = 6;
/// Acknowledged submissions to wait for before each kill.
const ACKS_PER_TRIAL: usize = 40;

fn trials() -> usize {
    std::env::var("ECITES_CRASH_TRIALS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
}

/// What `ecites serve` runs with: the ledger's keys and prefixes, files of its own.
struct Server {
    env: Vec<(String, String)>,
    base: String,
    child: Option<Child>,
}

impl Server {
    fn new(ledger: &TestLedger, dir: &std::path::Path, database_url: &str) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let path = |name: &str| dir.join(name).display().to_string();
        let env = [
            ("ECITES_NATS_URL", nats_url()),
            (
                "ECITES_KEYS_DIR",
                ledger.keys_dir.path().display().to_string(),
            ),
            ("ECITES_USERS_FILE", path("users.json")),
            ("ECITES_DOCUMENTS_DIR", path("documents")),
            ("ECITES_DATABASE_URL", database_url.to_string()),
            ("ECITES_STREAM_PREFIX", ledger.config.stream_prefix.clone()),
            (
                "ECITES_SUBJECT_PREFIX",
                ledger.config.subject_prefix.clone(),
            ),
            ("ECITES_LISTEN", format!("127.0.0.1:{port}")),
            ("ECITES_PROJECTOR_LISTEN", "127.0.0.1:0".to_string()),
        ]
        .map(|(k, v)| (k.to_string(), v))
        .to_vec();
        Self {
            env,
            base: format!("http://127.0.0.1:{port}"),
            child: None,
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_ecites-child"));
        c.args(args).envs(self.env.iter().cloned());
        c
    }

    fn run(&self, args: &[&str]) {
        let out = self.command(args).output().expect("run ecites");
        assert!(out.status.success(), "{args:?}: {out:?}");
    }

    async fn start(&mut self, http: &reqwest::Client) {
        let child = self
            .command(&["serve"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start ecites serve");
        self.child = Some(child);
        let start = Instant::now();
        loop {
            let health = http.get(format!("{}/health", self.base)).send().await;
            if health.is_ok_and(|r| r.status().is_success()) {
                return;
            }
            assert!(start.elapsed() < WAIT, "ecites serve did not come up");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().expect("SIGKILL");
            child.wait().expect("reap");
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// An acknowledged submission: the permit and the position its answer named.
#[derive(Clone, Debug)]
struct Ack {
    permit_id: Uuid,
    sequence: u64,
}

async fn login(http: &reqwest::Client, base: &str) -> String {
    let answer: Value = http
        .post(format!("{base}/api/login"))
        .json(&json!({"party": "LK", "user_id": "trader", "password": "demo-password-not-for-production"}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("login answer");
    answer["token"].as_str().expect("a token").to_string()
}

fn application(n: usize) -> Value {
    json!({
        "command_id": Uuid::now_v7(),
        "application": {
            "document_type": "export_permit",
            "importing_country": "DE",
            "lines": [{"species": "Python regius", "source": "C", "purpose": "T",
                       "term": "LIV", "quantity": (1 + n % 50).to_string()}],
        },
    })
}

/// Submits until the server stops answering; every 201 is recorded.
async fn writer(
    http: reqwest::Client,
    base: String,
    token: String,
    acks: Arc<Mutex<Vec<Ack>>>,
    count: Arc<AtomicUsize>,
) {
    for n in 0.. {
        let sent = http
            .post(format!("{base}/api/LK/permits"))
            .bearer_auth(&token)
            .json(&application(n))
            .send()
            .await;
        let Ok(answer) = sent else { return };
        if answer.status() != reqwest::StatusCode::CREATED {
            // Cut off mid-answer, or refused while going down: not acknowledged.
            return;
        }
        let Ok(body) = answer.json::<Value>().await else {
            return;
        };
        let permit_id = body["permit_id"].as_str().and_then(|s| s.parse().ok());
        let position = body["position"]
            .as_str()
            .and_then(|p| p.rsplit(':').next()?.parse().ok());
        let (Some(permit_id), Some(sequence)) = (permit_id, position) else {
            panic!("an acknowledgement without permit id or position: {body}");
        };
        acks.lock().unwrap().push(Ack {
            permit_id,
            sequence,
        });
        count.fetch_add(1, Ordering::SeqCst);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn serve_killed_under_load_loses_nothing_acknowledged_and_projects_what_a_rebuild_does() {
    let ledger = TestLedger::new().await;
    let url = test_database().await;
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::new(&ledger, dir.path(), &url);
    server.run(&["demo", "seed", "--party", "LK", "--without-trade"]);
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let acks = Arc::new(Mutex::new(vec![]));
    for trial in 0..trials() {
        server.start(&http).await;
        let token = login(&http, &server.base).await;
        let count = Arc::new(AtomicUsize::new(0));
        let writers: Vec<_> = (0..WRITERS)
            .map(|_| {
                tokio::spawn(writer(
                    http.clone(),
                    server.base.clone(),
                    token.clone(),
                    acks.clone(),
                    count.clone(),
                ))
            })
            .collect();
        let start = Instant::now();
        while count.load(Ordering::SeqCst) < ACKS_PER_TRIAL {
            assert!(
                start.elapsed() < WAIT,
                "trial {trial}: too few acknowledgements"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        // Mid-load: the writers have commands in flight.
        server.kill();
        for w in writers {
            w.await.unwrap();
        }
    }
    let acks = acks.lock().unwrap().clone();
    assert!(acks.len() >= trials() * ACKS_PER_TRIAL, "{}", acks.len());

    // Nothing acknowledged is lost: each at the position its answer named.
    for ack in &acks {
        let aggregate = AggregateRef::new(lk(), "permit", &ack.permit_id.to_string()).unwrap();
        let events = ledger.log.read_aggregate(&aggregate).await.unwrap();
        let first = events
            .first()
            .unwrap_or_else(|| panic!("acknowledged {ack:?} is not in the log"));
        assert_eq!(first.sequence, ack.sequence, "{ack:?}");
    }

    // The restarted server projects what it had not, and equals a rebuild.
    server.start(&http).await;
    let head = ledger.log.head(lk()).await.unwrap();
    let pool = db::pool(&url, db::ACTIVE_SCHEMA, 1).await.unwrap();
    let start = Instant::now();
    while batch::checkpoint(&pool, lk()).await.unwrap_or(0) < head {
        assert!(
            start.elapsed() < WAIT,
            "the restarted server did not catch up to {head}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    pool.close().await;
    server.kill();
    let projected = snapshot(&url, db::ACTIVE_SCHEMA).await;
    let rebuilt_url = test_database().await;
    Replay {
        reader: &ledger.log,
        database_url: &rebuilt_url,
        keys: Arc::new(ledger.public_keys()),
        parties: vec![lk()],
        batch_size: 97,
        fresh: true,
    }
    .run(|_, _, _| {})
    .await
    .expect("rebuild");
    let rebuilt = snapshot(&rebuilt_url, db::ACTIVE_SCHEMA).await;
    assert_eq!(projected, rebuilt);
    println!(
        "{} trials: {} acknowledged submissions, all in the log; head {head}",
        trials(),
        acks.len()
    );
}
