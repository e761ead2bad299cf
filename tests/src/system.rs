//! The whole system in process, as `ecites serve` runs it: command API, projector, query API and
//! web UI on one router, for any number of Parties, on its own streams, keys, users file and
//! PostgreSQL database. And NATS servers of a test's own ([`PrivateNats`]), for the tests that
//! restart the server or damage its files.
//!
//! ```ignore
//! let sys = TestSystem::builder()
//!     .party("LK").party("KE")
//!     .user("LK", "officer", Role::MaOfficer, None)
//!     .build().await;
//! let token = sys.login("LK", "officer").await;
//! let (status, body) = sys.call("GET", "/query/api/LK/permits", Some(&token), None).await;
//! ```

use crate::api::PASSWORD;
use crate::{env_url, nats_url, unique_config};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use ecites::config::Config;
use ecites_command::api::users::Users;
use ecites_command::handler::auth::Role;
use ecites_events::jetstream::JetStreamLog;
use ecites_events::{KeyringStore, PartyCode};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tower::ServiceExt;
use uuid::Uuid;

struct User {
    party: PartyCode,
    id: String,
    role: Role,
    organisation: Option<Uuid>,
}

/// A change to the configuration a [`TestSystem`] starts with.
type Configure = Box<dyn FnOnce(&mut Config)>;

#[derive(Default)]
pub struct TestSystemBuilder {
    parties: Vec<PartyCode>,
    users: Vec<User>,
    nats_url: Option<String>,
    configure: Vec<Configure>,
}

impl TestSystemBuilder {
    pub fn party(mut self, code: &str) -> Self {
        self.parties.push(code.parse().expect("a Party code"));
        self
    }

    /// A user of `party` (a trader needs its account's organisation id).
    pub fn user(mut self, party: &str, id: &str, role: Role, organisation: Option<Uuid>) -> Self {
        self.users.push(User {
            party: party.parse().expect("a Party code"),
            id: id.into(),
            role,
            organisation,
        });
        self
    }

    /// Changes the configuration before the system starts (e.g. `trust_forwarded_for`).
    pub fn configure(mut self, f: impl FnOnce(&mut Config) + 'static) -> Self {
        self.configure.push(Box::new(f));
        self
    }

    /// The log on this NATS server instead of the shared test server.
    pub fn nats(mut self, url: &str) -> Self {
        self.nats_url = Some(url.into());
        self
    }

    pub async fn build(self) -> TestSystem {
        let dir = tempfile::tempdir().expect("temporary directory");
        let log_config = unique_config();
        let database_url = crate::readside::test_database().await;
        let mut config = Config {
            nats_url: self.nats_url.unwrap_or_else(nats_url),
            keys_dir: dir.path().join("keys"),
            stream_prefix: log_config.stream_prefix.clone(),
            subject_prefix: log_config.subject_prefix.clone(),
            users_file: dir.path().join("users.json"),
            documents_dir: dir.path().join("documents"),
            database_url: ecites::config::Secret::new(database_url),
            expiry_interval_secs: 0,
            read_wait_ms: 5000,
            ..Config::default()
        };
        for f in self.configure {
            f(&mut config);
        }
        let store = KeyringStore::new(&config.keys_dir);
        let log = JetStreamLog::connect(&config.nats_url, config.log_config())
            .await
            .expect("connect to NATS");
        for party in &self.parties {
            let ring = store.generate(*party).expect("generate the Party's keys");
            log.set_signer(ring.signer);
            log.provision_party(*party)
                .await
                .expect("provision the Party");
        }
        let users = Users::load(&config.users_file).expect("users file");
        for u in &self.users {
            users
                .add(u.party, &u.id, u.role, u.organisation, PASSWORD)
                .unwrap_or_else(|e| panic!("add user {}: {e}", u.id));
        }
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let app = ecites::cli::serve::app(&config, stopped)
            .await
            .expect("the system starts");
        TestSystem {
            app,
            config,
            log,
            parties: self.parties,
            _dir: dir,
            _stop: stop,
        }
    }
}

/// `ecites serve` in process.
pub struct TestSystem {
    app: axum::Router,
    pub config: Config,
    /// A connection of the test's own to the system's log, signing with the Parties' keys.
    pub log: JetStreamLog,
    pub parties: Vec<PartyCode>,
    _dir: tempfile::TempDir,
    /// Dropping it stops the projector and the sweeps.
    _stop: tokio::sync::watch::Sender<bool>,
}

impl TestSystem {
    pub fn builder() -> TestSystemBuilder {
        TestSystemBuilder::default()
    }

    /// `method` on `path` with `body` as JSON if any; the status and the answer as JSON (or
    /// as a JSON string when it is not JSON).
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let body = body.map(|b| b.to_string());
        self.send_raw(method, path, token, body.as_deref()).await
    }

    /// As [`Self::call`] with the body's bytes as given (for bodies no `Value` can hold).
    pub async fn send_raw(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
    ) -> (StatusCode, Value) {
        let mut request = Request::builder().uri(path).method(method);
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let request = match body {
            Some(b) => request
                .header("content-type", "application/json")
                .body(Body::from(b.to_string())),
            None => request.body(Body::empty()),
        }
        .expect("a valid request");
        let response = self
            .app
            .clone()
            .oneshot(request)
            .await
            .expect("the router answers");
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("the body");
        let value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        (status, value)
    }

    /// Sends `request` through the whole app; the status, headers and body.
    pub async fn send(
        &self,
        request: Request<Body>,
    ) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        let response = self
            .app
            .clone()
            .oneshot(request)
            .await
            .expect("the router answers");
        let (status, headers) = (response.status(), response.headers().clone());
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("the body");
        (status, headers, body.to_vec())
    }

    /// Signs `user` of `party` in; the bearer token.
    pub async fn login(&self, party: &str, user: &str) -> String {
        let (status, body) = self
            .call(
                "POST",
                "/api/login",
                None,
                Some(json!({"party": party, "user_id": user, "password": PASSWORD})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "login {party}/{user}: {body}");
        body["token"].as_str().expect("a token").to_string()
    }

    /// Waits until `/health` answers 200, at most `limit`; its last answer.
    pub async fn healthy(&self, limit: Duration) -> Value {
        self.health_where(limit, |ok, _| ok).await
    }

    /// Waits until `/health` answers other than 200 and `what` holds of its answer, at most
    /// `limit`; the answer.
    pub async fn unhealthy(&self, limit: Duration, what: impl Fn(&Value) -> bool) -> Value {
        self.health_where(limit, |ok, body| !ok && what(body)).await
    }

    async fn health_where(&self, limit: Duration, want: impl Fn(bool, &Value) -> bool) -> Value {
        let start = Instant::now();
        loop {
            let (status, body) = self.call("GET", "/health", None, None).await;
            if want(status == StatusCode::OK, &body) {
                return body;
            }
            assert!(
                start.elapsed() < limit,
                "/health stayed {status} for {limit:?}: {body}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until the read models of `party` have applied its whole stream, at most
    /// `limit`; the checkpoint.
    pub async fn caught_up(&self, party: PartyCode, limit: Duration) -> u64 {
        use ecites_events::EventReader;
        let pool = ecites_projector::db::pool(
            self.config.database_url.expose(),
            ecites_projector::db::ACTIVE_SCHEMA,
            1,
        )
        .await
        .expect("pool");
        let start = Instant::now();
        loop {
            let head = self.log.head(party).await.unwrap_or(u64::MAX);
            let cp = ecites_projector::batch::checkpoint(&pool, party)
                .await
                .unwrap_or(0);
            if cp >= head {
                pool.close().await;
                return cp;
            }
            assert!(
                start.elapsed() < limit,
                "read models of {party} stuck at {cp} of {head}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits until the log of `party` is quiet: its last event is the tree head covering every
    /// event before it (no other tree head will follow), and the read models have applied it.
    /// Tests that compare the read models at two moments need this, or a tree head signed in
    /// between would move the checkpoint.
    pub async fn settled(&self, party: PartyCode, limit: Duration) {
        use ecites_events::payloads::tree::TreeHeadSigned;
        use ecites_events::EventReader;
        let aggregate = ecites_projector::tree_heads::tree_head_ref(party);
        let start = Instant::now();
        loop {
            let head = self.log.head(party).await.unwrap_or(0);
            let last = self.log.read_last(&aggregate).await.ok().flatten();
            let covered = last.as_ref().and_then(|ev| {
                let envelope = ev.envelope().ok()?;
                let h: TreeHeadSigned = serde_json::from_str(envelope.payload.get()).ok()?;
                Some(ev.sequence == head && h.head.size + 1 == head)
            });
            if covered == Some(true) {
                break;
            }
            assert!(start.elapsed() < limit, "the log of {party} did not settle");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.caught_up(party, limit).await;
    }

    /// `ecites` run in process against this system's configuration (in a multi-thread test).
    pub fn cli(&self, args: &[&str]) -> (u8, String) {
        let c = &self.config;
        let mut argv: Vec<String> = vec![
            "ecites".into(),
            "--nats-url".into(),
            c.nats_url.clone(),
            "--keys-dir".into(),
            c.keys_dir.display().to_string(),
            "--database-url".into(),
            c.database_url.expose().to_string(),
            "--stream-prefix".into(),
            c.stream_prefix.clone(),
            "--subject-prefix".into(),
            c.subject_prefix.clone(),
        ];
        argv.extend(args.iter().map(|a| a.to_string()));
        // The CLI runs its own runtime: off this test's async workers (multi-thread tests).
        tokio::task::block_in_place(|| {
            let mut out = Vec::new();
            match ecites::cli::run(argv, &mut out) {
                Ok(code) => (code, String::from_utf8_lossy(&out).into_owned()),
                Err(e) => (2, format!("{}{e:#}", String::from_utf8_lossy(&out))),
            }
        })
    }
}

/// A NATS server of the test's own, with JetStream in a temporary directory and an fsync on
/// every acknowledgement as the ledger runs it; stopped and started again on the same port and
/// store, so a test can restart it under load or damage its files.
pub struct PrivateNats {
    binary: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    child: Option<std::process::Child>,
}

impl PrivateNats {
    pub fn start() -> Self {
        let binary = PathBuf::from(env_url("ECITES_TEST_NATS_SERVER_BIN"));
        let dir = tempfile::tempdir().expect("temporary directory");
        let port = free_port();
        let conf = format!(
            "listen: 127.0.0.1:{port}\nmax_payload: 1MB\njetstream {{\n  store_dir: \"{}\"\n  sync_interval: always\n}}\n",
            dir.path().join("store").display()
        );
        std::fs::write(dir.path().join("nats.conf"), conf).expect("write the configuration");
        let mut nats = Self {
            binary,
            dir,
            port,
            child: None,
        };
        nats.resume();
        nats
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Starts the server (again) and waits until it accepts connections.
    pub fn resume(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("nats.log"))
            .expect("log file");
        let child = std::process::Command::new(&self.binary)
            .arg("-c")
            .arg(self.dir.path().join("nats.conf"))
            .stdout(log.try_clone().expect("log file"))
            .stderr(log)
            .spawn()
            .expect("start nats-server");
        self.child = Some(child);
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "nats-server did not listen"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops the server: SIGTERM (a clean stop) or SIGKILL, and waits for it to exit.
    pub fn halt(&mut self, kill: bool) {
        if let Some(mut child) = self.child.take() {
            let signal = if kill { "-KILL" } else { "-TERM" };
            let _ = std::process::Command::new("kill")
                .arg(signal)
                .arg(child.id().to_string())
                .status();
            let _ = child.wait();
        }
    }

    /// The message block files of `stream`, oldest first.
    pub fn block_files(&self, stream: &str) -> Vec<PathBuf> {
        let dir = self
            .dir
            .path()
            .join("store/jetstream/$G/streams")
            .join(stream)
            .join("msgs");
        let mut files: Vec<(u64, PathBuf)> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter_map(|p| {
                let n = p
                    .file_name()?
                    .to_str()?
                    .strip_suffix(".blk")?
                    .parse()
                    .ok()?;
                Some((n, p))
            })
            .collect();
        files.sort();
        files.into_iter().map(|(_, p)| p).collect()
    }
}

impl Drop for PrivateNats {
    fn drop(&mut self) {
        self.halt(true);
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}
