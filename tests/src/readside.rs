//! The read side in tests: one PostgreSQL database per test, a projector running in the test's
//! runtime, and content snapshots of the read models for comparisons.

use crate::{env_url, lk, TestLedger};
use ecites_events::EventReader;
use ecites_events::PartyCode;
use ecites_projector::runner::ProjectorConfig;
use ecites_projector::status::{Following, Status};
use ecites_projector::{batch, db, Projection, ProjectionError};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use uuid::Uuid;

/// A database of its own on the test PostgreSQL server; its URL.
pub async fn test_database() -> String {
    let url = env_url("ECITES_TEST_DATABASE_URL");
    let name = format!("t_{}", Uuid::now_v7().simple());
    db::create_database(&url, &name)
        .await
        .expect("create the test database")
}

/// A projector (both projections) running in the background until stopped.
pub struct RunningProjector {
    pub status: Status,
    stop: watch::Sender<bool>,
    task: JoinHandle<Result<(), ProjectionError>>,
}

impl RunningProjector {
    pub fn start(ledger: &TestLedger, database_url: &str) -> Self {
        Self::start_with(ledger, database_url, 200)
    }

    pub fn start_with(ledger: &TestLedger, database_url: &str, batch_size: usize) -> Self {
        let status = Status::default();
        let (stop, stopped) = watch::channel(false);
        let config = ProjectorConfig {
            batch_size,
            standby_poll: Duration::from_millis(50),
            head_poll: Duration::from_millis(50),
            ..ProjectorConfig::new(database_url)
        };
        let task = tokio::spawn(ecites_projector::runner::run(
            Arc::new(ledger.log.clone()),
            Arc::new(ledger.public_keys()),
            vec![lk()],
            config,
            status.clone(),
            stopped,
        ));
        Self { status, stop, task }
    }

    /// Stops it and returns how it ended.
    pub async fn stop(self) -> Result<(), ProjectionError> {
        let _ = self.stop.send(true);
        self.task.await.expect("projector task")
    }

    /// Waits until `projection` holds `party` (an event it cannot apply, a lost event), at
    /// most `limit`; what it says.
    pub async fn held(
        &self,
        projection: Projection,
        party: PartyCode,
        limit: Duration,
    ) -> Following {
        let start = Instant::now();
        loop {
            let f = self.status.progress(projection, party).following;
            if matches!(f, Following::Failed { .. }) {
                return f;
            }
            assert!(
                start.elapsed() < limit,
                "{} never held {party}: {f:?}",
                projection.name()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Waits until `projection` follows `party` again, at most `limit`.
    pub async fn following(&self, projection: Projection, party: PartyCode, limit: Duration) {
        let start = Instant::now();
        loop {
            let f = self.status.progress(projection, party).following;
            if f == Following::Following {
                return;
            }
            assert!(
                start.elapsed() < limit,
                "{} does not follow {party}: {f:?}",
                projection.name()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// Waits until `projection`'s checkpoint in `schema` reaches the log's head, polling PostgreSQL
/// (the condition itself, not a fixed delay), at most `limit`.
pub async fn caught_up(
    ledger: &TestLedger,
    database_url: &str,
    projection: Projection,
    limit: Duration,
) -> u64 {
    let head = ledger.log.head(lk()).await.expect("head");
    let pool = db::pool(database_url, projection.live_schema(), 1)
        .await
        .expect("pool");
    let start = Instant::now();
    loop {
        let cp = batch::checkpoint(&pool, lk()).await.unwrap_or(0);
        if cp >= head {
            pool.close().await;
            return cp;
        }
        assert!(
            start.elapsed() < limit,
            "{} stuck at {cp} of {head}",
            projection.name()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Each read-model table of `schema` as an order-independent digest of its rows.
pub async fn snapshot(database_url: &str, schema: &str) -> BTreeMap<String, (i64, String)> {
    let pool = db::pool(database_url, schema, 1).await.expect("pool");
    let tables: Vec<(String,)> = sqlx::query_as(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = $1 \
         AND table_name <> '_sqlx_migrations' ORDER BY 1",
    )
    .bind(schema)
    .fetch_all(&pool)
    .await
    .expect("tables");
    let mut out = BTreeMap::new();
    for (t,) in tables {
        let sql = format!(
            "SELECT count(*), md5(coalesce(string_agg(r::text, '|' ORDER BY r::text), '')) FROM \"{schema}\".\"{t}\" r"
        );
        let row: (i64, String) = sqlx::query_as(&sql).fetch_one(&pool).await.expect("digest");
        out.insert(t, row);
    }
    pool.close().await;
    out
}

/// The query service beside a [`crate::api::TestApi`]: its sessions, the read models of
/// `database_url`, waiting at most `wait` for a position.
pub async fn query_router(
    api: &crate::api::TestApi,
    database_url: &str,
    wait: Duration,
) -> axum::Router {
    struct ApiSessions(crate::api::SessionLookup);
    impl ecites_query::Sessions for ApiSessions {
        fn viewer(&self, token: &str) -> Option<ecites_query::Viewer> {
            (self.0)(token).map(|p| ecites_query::Viewer {
                user_id: p.user_id,
                party: p.party,
                role: p.role.as_str().to_string(),
                organisation_id: p.organisation_id,
            })
        }
    }
    // The projector creates the schema; the query side must not wait for its first batch.
    db::migrate(database_url, db::ACTIVE_SCHEMA, &db::READ_MODELS)
        .await
        .expect("migrate");
    let pool = db::pool(database_url, db::ACTIVE_SCHEMA, 4)
        .await
        .expect("pool");
    let mut state =
        ecites_query::QueryState::new(pool, Arc::new(ApiSessions(api.sessions.clone())));
    state.position_wait = wait;
    ecites_query::router(Arc::new(state.with_first_seal(api.first_seal.clone())))
}

/// The global `ecites` flags that point a command at `ledger` and `database_url`.
pub fn cli_flags(ledger: &TestLedger, database_url: &str) -> Vec<String> {
    [
        "--nats-url",
        &crate::nats_url(),
        "--keys-dir",
        &ledger.keys_dir.path().display().to_string(),
        "--stream-prefix",
        &ledger.config.stream_prefix,
        "--subject-prefix",
        &ledger.config.subject_prefix,
        "--database-url",
        database_url,
    ]
    .map(String::from)
    .to_vec()
}

/// Runs `ecites <flags> <args>` in process (from a blocking context): the exit code and what
/// it printed; an error is exit code 2 with its text.
pub fn run_cli(ledger: &TestLedger, database_url: &str, args: &[&str]) -> (u8, String) {
    let mut argv = vec!["ecites".to_string()];
    argv.extend(cli_flags(ledger, database_url));
    argv.extend(args.iter().map(|a| a.to_string()));
    let mut out = Vec::new();
    match ecites::cli::run(argv, &mut out) {
        Ok(code) => (code, String::from_utf8_lossy(&out).into_owned()),
        Err(e) => (2, format!("{}{e:#}", String::from_utf8_lossy(&out))),
    }
}
