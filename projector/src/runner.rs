//! The live projector. Per projection, one instance in a database holds an advisory lock and
//! applies; others stand by and take over when the lock is released (the holder stopped, or
//! its connection died). The active instance follows every Party's stream from its checkpoint.
//!
//! Nothing stops it for good (issue #17): each Party is followed on its own, so one Party's
//! event that cannot be applied holds that Party only, and is tried again now and then; a log
//! or database that goes away (a NATS restart, a leader change) is subscribed to again from the
//! checkpoint; a subscription that stops delivering while the stream grows is replaced. What
//! is not following shows in [`Status`] (health, metrics), never only in a log line.

use crate::batch::{self, Outcome, Target};
use crate::status::{Following, Role, Status};
use crate::{db, Projection, ProjectionError};
use ecites_events::schema::Upcasters;
use ecites_events::{EventReader, PartyCode, PublicKeys, ReadError, RecordedEvent};
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
    /// How often the stream heads are read for the lag metric (and the streams checked for
    /// lost events).
    pub head_poll: Duration,
    /// The first wait before subscribing again after the log or the database went away; it
    /// doubles up to `retry_max`.
    pub retry_min: Duration,
    pub retry_max: Duration,
    /// How often an event that cannot be applied is tried again.
    pub failed_retry: Duration,
    /// A subscription that delivered nothing for this long while the stream's head is past
    /// the checkpoint is replaced (a consumer the server lost without telling the client).
    pub stall_after: Duration,
    /// How long the tree projection lets a batch smaller than `batch_size` gather more events
    /// (it is following, not catching up): one transaction per pause instead of one per
    /// command keeps it off the command path's cores. Tree heads are signed every second, so
    /// a tenth of it costs them nothing that matters.
    pub tree_linger: Duration,
}

impl ProjectorConfig {
    pub fn new(database_url: impl Into<String>) -> Self {
        Self {
            database_url: database_url.into(),
            batch_size: 1000,
            standby_poll: Duration::from_secs(1),
            head_poll: Duration::from_secs(1),
            retry_min: Duration::from_millis(100),
            retry_max: Duration::from_secs(5),
            failed_retry: Duration::from_secs(30),
            stall_after: Duration::from_secs(5),
            tree_linger: Duration::from_millis(100),
        }
    }
}

/// Runs every projection until `shutdown` turns true. A projection that fails tries again;
/// what does not work shows in `status` (a projector never runs half-broken quietly).
pub async fn run<R: EventReader + 'static>(
    reader: Arc<R>,
    keys: Arc<PublicKeys>,
    parties: Vec<PartyCode>,
    config: ProjectorConfig,
    status: Status,
    mut shutdown: watch::Receiver<bool>,
) -> Result<(), ProjectionError> {
    let (stop, stopped) = watch::channel(false);
    // Every Party is named from the start, so health is not ok before each one follows.
    for projection in Projection::ALL {
        status.set_role(projection, Role::Starting);
        for party in &parties {
            status.set_following(projection, *party, Following::NotYet);
        }
    }
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

/// One projection: migrate, wait for the lock, apply until shutdown; when the database goes
/// away, try again with a growing pause.
pub async fn run_projection<R: EventReader + 'static>(
    projection: Projection,
    reader: Arc<R>,
    keys: Arc<PublicKeys>,
    parties: Vec<PartyCode>,
    config: ProjectorConfig,
    status: Status,
    mut shutdown: watch::Receiver<bool>,
) -> Result<(), ProjectionError> {
    let mut pause = Backoff::new(&config);
    loop {
        let run = Run {
            projection,
            reader: &reader,
            keys: &keys,
            parties: &parties,
            config: &config,
            status: &status,
        };
        match run.until_shutdown(&mut shutdown).await {
            Ok(()) => {
                status.set_role(projection, Role::Stopped);
                return Ok(());
            }
            Err(e) => {
                tracing::warn!(projection = projection.name(), error = %e, "projection unavailable; trying again");
                status.set_role(projection, Role::Failed(e.to_string()));
                if !pause.wait(&mut shutdown).await {
                    status.set_role(projection, Role::Stopped);
                    return Ok(());
                }
            }
        }
    }
}

/// What one attempt of a projection works with.
struct Run<'a, R> {
    projection: Projection,
    reader: &'a Arc<R>,
    keys: &'a Arc<PublicKeys>,
    parties: &'a [PartyCode],
    config: &'a ProjectorConfig,
    status: &'a Status,
}

impl<R: EventReader + 'static> Run<'_, R> {
    /// `Ok` on shutdown; an error when the database is not there (to try again).
    async fn until_shutdown(
        &self,
        shutdown: &mut watch::Receiver<bool>,
    ) -> Result<(), ProjectionError> {
        let (projection, config) = (self.projection, self.config);
        let schema = projection.live_schema();
        db::migrate(&config.database_url, schema, projection.migrator()).await?;
        let target = Target {
            projection,
            pool: db::pool(&config.database_url, schema, 4).await?,
            keys: self.keys.clone(),
            upcasters: Arc::new(ecites_events::payloads::upcasters()),
        };
        loop {
            self.status.set_role(projection, Role::Standby);
            let Some(mut lock) = acquire(config, projection, shutdown).await? else {
                return Ok(());
            };
            self.status.set_role(projection, Role::Active);
            tracing::info!(projection = projection.name(), "active");
            let lost = apply_while_locked(
                &target,
                self.reader,
                self.parties,
                config,
                self.status,
                &mut lock,
                shutdown,
            )
            .await;
            let _ = lock.close().await;
            for party in self.parties {
                self.status
                    .set_following(projection, *party, Following::NotYet);
            }
            if !lost {
                return Ok(());
            }
        }
    }
}

/// A pause that doubles from `retry_min` to `retry_max`.
struct Backoff {
    next: Duration,
    min: Duration,
    max: Duration,
}

impl Backoff {
    fn new(config: &ProjectorConfig) -> Self {
        Self {
            next: config.retry_min,
            min: config.retry_min,
            max: config.retry_max,
        }
    }

    fn reset(&mut self) {
        self.next = self.min;
    }

    /// Waits the next pause; `false` when shut down meanwhile.
    async fn wait(&mut self, stop: &mut watch::Receiver<bool>) -> bool {
        let pause = self.next;
        self.next = (self.next * 2).min(self.max);
        pause_unless_stopped(pause, stop).await
    }
}

/// `false` when `stop` turned true before `pause` ended.
async fn pause_unless_stopped(pause: Duration, stop: &mut watch::Receiver<bool>) -> bool {
    if *stop.borrow() {
        return false;
    }
    tokio::select! {
        _ = tokio::time::sleep(pause) => !*stop.borrow(),
        _ = stop.changed() => !*stop.borrow(),
    }
}

/// Waits for the projection's lock; `None` when shut down first.
async fn acquire(
    config: &ProjectorConfig,
    projection: Projection,
    shutdown: &mut watch::Receiver<bool>,
) -> Result<Option<PgConnection>, ProjectionError> {
    loop {
        // A standby waits on the lock only: its role stays Standby while the database answers.
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

/// Follows every Party while the lock holds: `true` when the lock was lost (stand by again),
/// `false` on shutdown. A Party's follower never ends on its own.
async fn apply_while_locked<R: EventReader + 'static>(
    target: &Target,
    reader: &Arc<R>,
    parties: &[PartyCode],
    config: &ProjectorConfig,
    status: &Status,
    lock: &mut PgConnection,
    shutdown: &mut watch::Receiver<bool>,
) -> bool {
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut set = JoinSet::new();
    for party in parties {
        let follower = Follower {
            target: target.clone(),
            reader: reader.clone(),
            party: *party,
            config: config.clone(),
            status: status.clone(),
        };
        set.spawn(follower.run(stop_rx.clone()));
    }
    let lost = loop {
        tokio::select! {
            done = set.join_next() => if done.is_none() { break false },
            _ = shutdown.changed() => if *shutdown.borrow() { break false },
            _ = tokio::time::sleep(config.standby_poll) => {
                if sqlx::query("SELECT 1").execute(&mut *lock).await.is_err() {
                    tracing::warn!(projection = target.projection.name(), "lost the lock connection; standing by");
                    break true;
                }
            }
        }
    };
    let _ = stop_tx.send(true);
    while set.join_next().await.is_some() {}
    lost
}

/// One Party's stream applied to one projection.
struct Follower<R> {
    target: Target,
    reader: Arc<R>,
    party: PartyCode,
    config: ProjectorConfig,
    status: Status,
}

impl<R: EventReader + 'static> Follower<R> {
    /// Applies the Party's stream until stopped, whatever happens on the way.
    async fn run(self, mut stop: watch::Receiver<bool>) {
        let (p, party) = (self.target.projection, self.party);
        let mut pause = Backoff::new(&self.config);
        loop {
            let e = match self.follow(&mut stop, &mut pause).await {
                Ok(()) => return,
                Err(e) => e,
            };
            let wait = if e.is_transient() {
                tracing::warn!(projection = p.name(), party = %party, error = %e, "subscribing again from the checkpoint");
                self.status
                    .set_following(p, party, Following::Reconnecting(e.to_string()));
                pause.wait(&mut stop).await
            } else {
                tracing::error!(projection = p.name(), party = %party, error = %e, "this Party's projection is held; the others go on");
                let sequence = e.sequence().unwrap_or_default();
                self.status.set_following(
                    p,
                    party,
                    Following::Failed {
                        sequence,
                        reason: e.to_string(),
                    },
                );
                pause_unless_stopped(self.config.failed_retry, &mut stop).await
            };
            if !wait {
                return;
            }
        }
    }

    /// Subscribes from the checkpoint and applies batch after batch; `Ok` when stopped.
    async fn follow(
        &self,
        stop: &mut watch::Receiver<bool>,
        pause: &mut Backoff,
    ) -> Result<(), ProjectionError> {
        let (p, party) = (self.target.projection, self.party);
        let mut from = batch::checkpoint(&self.target.pool, party).await? + 1;
        self.status.set_checkpoint(p, party, from - 1);
        let mut last_gap = None;
        'subscribe: loop {
            self.check_not_shrunk(from).await?;
            let mut chunks = self
                .reader
                .follow_party(party, from)
                .await?
                .ready_chunks(self.config.batch_size);
            self.status.set_following(p, party, Following::Following);
            loop {
                let chunk = tokio::select! {
                    c = chunks.next() => c,
                    _ = stop.changed() => return Ok(()),
                    _ = tokio::time::sleep(self.config.stall_after) => {
                        self.check_not_stalled(from).await?;
                        continue;
                    }
                };
                let Some(mut chunk) = chunk else {
                    return Err(ReadError::Unavailable("the subscription ended".into()).into());
                };
                if p == Projection::Tree {
                    self.linger(&mut chunks, &mut chunk).await;
                }
                let events = chunk
                    .into_iter()
                    .collect::<Result<Vec<RecordedEvent>, _>>()?;
                let first_stored = events.first().map(|e| e.stored_at);
                match batch::apply(&self.target, party, events).await? {
                    Outcome::Applied { last, events } => {
                        let lag = first_stored.map_or(0.0, seconds_since);
                        self.status.applied(p, party, last, events, lag);
                        self.status.set_following(p, party, Following::Following);
                        pause.reset();
                        last_gap = None;
                        from = last + 1;
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

    /// Lets a short batch gather what arrives within `tree_linger` (up to `batch_size`): a
    /// batch that is already full, as when catching up, does not wait.
    async fn linger<S, T>(&self, chunks: &mut S, batch: &mut Vec<T>)
    where
        S: futures::Stream<Item = Vec<T>> + Unpin,
    {
        let deadline = tokio::time::Instant::now() + self.config.tree_linger;
        while batch.len() < self.config.batch_size {
            match tokio::time::timeout_at(deadline, chunks.next()).await {
                Ok(Some(more)) => batch.extend(more),
                // The subscription's end is seen at the next read.
                Ok(None) | Err(_) => return,
            }
        }
    }

    /// A stream whose last sequence is below what was applied lost its tail, and after a
    /// crash the server hands those sequences to new events: following on from the
    /// checkpoint would pass over them without a word.
    async fn check_not_shrunk(&self, next: u64) -> Result<u64, ProjectionError> {
        // A server that does not answer is as good as gone: the question is cheap.
        let head = tokio::time::timeout(self.config.stall_after, self.reader.head(self.party))
            .await
            .map_err(|_| ReadError::Unavailable("the log does not answer".into()))??;
        if head + 1 < next {
            return Err(ProjectionError::StreamShrank {
                party: self.party,
                last: head,
                checkpoint: next - 1,
            });
        }
        Ok(head)
    }

    /// Nothing arrived for a while: fine if the stream holds nothing after `next - 1`; a
    /// stream that grew means the subscription is dead (the server lost its consumer).
    async fn check_not_stalled(&self, next: u64) -> Result<(), ProjectionError> {
        let head = self.check_not_shrunk(next).await?;
        if head >= next {
            return Err(ReadError::Unavailable(format!(
                "the subscription delivered nothing while the stream grew to {head} (next expected {next})"
            ))
            .into());
        }
        Ok(())
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
            match reader.extent(*party).await {
                Ok(extent) => match status.set_extent(*party, extent) {
                    Some(i) if !i.complete() => {
                        tracing::error!(party = %party, first = extent.first,
                        last = extent.last, stored = extent.stored, missing = i.missing,
                        shrunk_below = ?i.shrunk_below,
                        "the Party's stream lost events: see `ecites audit verify` and `ecites restore`")
                    }
                    Some(_) => {
                        tracing::info!(party = %party, "the Party's stream is complete again")
                    }
                    None => {}
                },
                Err(e) => tracing::debug!(party = %party, error = %e, "stream extent unavailable"),
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
