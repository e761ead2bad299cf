//! The live projector. Per projection, one instance in a database holds an advisory lock and
//! applies; others stand by and take over when the lock is released (the holder stopped, or
//! its connection died). The active instance follows every Party's stream from its checkpoint.

use crate::batch::{self, Outcome, Target};
use crate::status::{Role, Status};
use crate::{db, Projection, ProjectionError};
use ecites_events::schema::Upcasters;
use ecites_events::{EventReader, PartyCode, PublicKeys, RecordedEvent};
use futures::StreamExt;
use sqlx::{Connection, PgConnection};
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;
use tokio::sync::watch;
use tokio::task::JoinSet;

#[derive(Clone, Debug)]
pub struct ProjectorConfig {
    pub database_url: String,
    /// Most events in one transaction.
    pub batch_size: usize,
    /// How often a standby tries the lock, and the active instance checks it still holds it.
    pub standby_poll: Duration,
    /// How often the stream heads are read for the lag metric.
    pub head_poll: Duration,
}

impl ProjectorConfig {
    pub fn new(database_url: impl Into<String>) -> Self {
        Self {
            database_url: database_url.into(),
            batch_size: 1000,
            standby_poll: Duration::from_secs(1),
            head_poll: Duration::from_secs(1),
        }
    }
}

/// Runs every projection until `shutdown` turns true. When one projection fails, the others
/// are stopped too and the failure is returned: a projector never runs half-broken quietly.
pub async fn run<R: EventReader + 'static>(
    reader: Arc<R>,
    keys: Arc<PublicKeys>,
    parties: Vec<PartyCode>,
    config: ProjectorConfig,
    status: Status,
    mut shutdown: watch::Receiver<bool>,
) -> Result<(), ProjectionError> {
    let (stop, stopped) = watch::channel(false);
    let mut set = JoinSet::new();
    for projection in Projection::ALL {
        set.spawn(run_projection(
            projection,
            reader.clone(),
            keys.clone(),
            parties.clone(),
            config.clone(),
            status.clone(),
            stopped.clone(),
        ));
    }
    set.spawn(watch_heads(
        reader,
        parties,
        config.head_poll,
        status,
        stopped,
    ));
    let mut first = Ok(());
    loop {
        tokio::select! {
            done = set.join_next() => match done {
                None => return first,
                Some(Ok(Err(e))) => {
                    let _ = stop.send(true);
                    if first.is_ok() {
                        first = Err(e);
                    }
                }
                Some(_) => {}
            },
            changed = shutdown.changed() => {
                if changed.is_err() || *shutdown.borrow() {
                    let _ = stop.send(true);
                }
            }
        }
    }
}

/// One projection: migrate, wait for the lock, apply until shutdown or failure.
pub async fn run_projection<R: EventReader + 'static>(
    projection: Projection,
    reader: Arc<R>,
    keys: Arc<PublicKeys>,
    parties: Vec<PartyCode>,
    config: ProjectorConfig,
    status: Status,
    mut shutdown: watch::Receiver<bool>,
) -> Result<(), ProjectionError> {
    let schema = projection.live_schema();
    db::migrate(&config.database_url, schema, projection.migrator()).await?;
    let target = Target {
        projection,
        pool: db::pool(&config.database_url, schema, 4).await?,
        keys,
        upcasters: Arc::new(ecites_events::payloads::upcasters()),
    };
    loop {
        status.set_role(projection, Role::Standby);
        let Some(mut lock) = acquire(&config, projection, &mut shutdown).await? else {
            status.set_role(projection, Role::Stopped);
            return Ok(());
        };
        status.set_role(projection, Role::Active);
        tracing::info!(projection = projection.name(), "active");
        let result = apply_while_locked(
            &target,
            &reader,
            &parties,
            &config,
            &status,
            &mut lock,
            &mut shutdown,
        )
        .await;
        let _ = lock.close().await;
        match result {
            Ok(true) => continue,
            Ok(false) => {
                status.set_role(projection, Role::Stopped);
                return Ok(());
            }
            Err(e) => {
                tracing::error!(projection = projection.name(), "{e}");
                status.set_role(projection, Role::Failed(e.to_string()));
                return Err(e);
            }
        }
    }
}

/// Waits for the projection's lock; `None` when shut down first.
async fn acquire(
    config: &ProjectorConfig,
    projection: Projection,
    shutdown: &mut watch::Receiver<bool>,
) -> Result<Option<PgConnection>, ProjectionError> {
    loop {
        if *shutdown.borrow() {
            return Ok(None);
        }
        let mut conn = PgConnection::connect(&config.database_url).await?;
        let (got,): (bool,) = sqlx::query_as("SELECT pg_try_advisory_lock($1)")
            .bind(projection.lock_key())
            .fetch_one(&mut conn)
            .await?;
        if got {
            return Ok(Some(conn));
        }
        drop(conn);
        tokio::select! {
            _ = tokio::time::sleep(config.standby_poll) => {}
            _ = shutdown.changed() => {}
        }
    }
}

/// Follows every Party while the lock holds. `Ok(true)`: the lock was lost, stand by again;
/// `Ok(false)`: shut down.
async fn apply_while_locked<R: EventReader + 'static>(
    target: &Target,
    reader: &Arc<R>,
    parties: &[PartyCode],
    config: &ProjectorConfig,
    status: &Status,
    lock: &mut PgConnection,
    shutdown: &mut watch::Receiver<bool>,
) -> Result<bool, ProjectionError> {
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut set = JoinSet::new();
    for party in parties {
        set.spawn(follow(
            target.clone(),
            reader.clone(),
            *party,
            config.batch_size,
            status.clone(),
            stop_rx.clone(),
        ));
    }
    let outcome = loop {
        tokio::select! {
            done = set.join_next() => match done {
                Some(Ok(Err(e))) => break Err(e),
                Some(_) => continue,
                None => break Ok(false),
            },
            _ = shutdown.changed() => if *shutdown.borrow() { break Ok(false) },
            _ = tokio::time::sleep(config.standby_poll) => {
                if sqlx::query("SELECT 1").execute(&mut *lock).await.is_err() {
                    tracing::warn!(projection = target.projection.name(), "lost the lock connection; standing by");
                    break Ok(true);
                }
            }
        }
    };
    let _ = stop_tx.send(true);
    while set.join_next().await.is_some() {}
    outcome
}

/// Applies one Party's stream from the checkpoint, batch by batch, until stopped.
async fn follow<R: EventReader + 'static>(
    target: Target,
    reader: Arc<R>,
    party: PartyCode,
    batch_size: usize,
    status: Status,
    mut stop: watch::Receiver<bool>,
) -> Result<(), ProjectionError> {
    let p = target.projection;
    let mut from = batch::checkpoint(&target.pool, party).await? + 1;
    status.set_checkpoint(p, party, from - 1);
    let mut last_gap = None;
    'subscribe: loop {
        let mut chunks = reader
            .follow_party(party, from)
            .await?
            .ready_chunks(batch_size);
        loop {
            let chunk = tokio::select! {
                c = chunks.next() => c,
                _ = stop.changed() => return Ok(()),
            };
            let Some(chunk) = chunk else { return Ok(()) };
            let events = chunk
                .into_iter()
                .collect::<Result<Vec<RecordedEvent>, _>>()?;
            let first_stored = events.first().map(|e| e.stored_at);
            match batch::apply(&target, party, events).await? {
                Outcome::Applied { last, events } => {
                    let lag = first_stored.map_or(0.0, seconds_since);
                    status.applied(p, party, last, events, lag);
                    last_gap = None;
                }
                Outcome::AlreadyApplied => {}
                Outcome::Gap { checkpoint } => {
                    if last_gap == Some(checkpoint) {
                        return Err(ProjectionError::MissingSequence {
                            party,
                            sequence: checkpoint + 1,
                            checkpoint,
                        });
                    }
                    last_gap = Some(checkpoint);
                    from = checkpoint + 1;
                    continue 'subscribe;
                }
            }
        }
    }
}

fn seconds_since(t: OffsetDateTime) -> f64 {
    (OffsetDateTime::now_utc() - t).as_seconds_f64().max(0.0)
}

async fn watch_heads<R: EventReader + 'static>(
    reader: Arc<R>,
    parties: Vec<PartyCode>,
    every: Duration,
    status: Status,
    mut shutdown: watch::Receiver<bool>,
) -> Result<(), ProjectionError> {
    loop {
        for party in &parties {
            if let Ok(head) = reader.head(*party).await {
                status.set_head(*party, head);
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shutdown.changed() => if *shutdown.borrow() { return Ok(()) },
        }
    }
}

/// Upcasters are shared by every batch.
pub fn upcasters() -> Arc<Upcasters> {
    Arc::new(ecites_events::payloads::upcasters())
}
