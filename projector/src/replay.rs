//! `ecites replay`: project every Party's stream from sequence 1 into a fresh generation of the
//! read models, then swap it in. Interrupted (even by `kill -9`), it resumes from the fresh
//! generation's own checkpoint; `fresh` starts over.

use crate::batch::{self, Outcome, Target};
use crate::db::{self, ACTIVE_SCHEMA, NEXT_SCHEMA};
use crate::{Projection, ProjectionError, REPLAY_LOCK_KEY};
use ecites_events::{EventReader, PartyCode, PublicKeys, RecordedEvent};
use futures::StreamExt;
use sqlx::{Connection, Executor, PgConnection};
use std::sync::Arc;

#[derive(Debug, Default)]
pub struct ReplayReport {
    pub parties: Vec<(PartyCode, u64)>,
    pub events: u64,
    pub resumed_from: Vec<(PartyCode, u64)>,
}

pub struct Replay<'a, R> {
    pub reader: &'a R,
    pub database_url: &'a str,
    pub keys: Arc<PublicKeys>,
    pub parties: Vec<PartyCode>,
    pub batch_size: usize,
    pub fresh: bool,
}

impl<R: EventReader> Replay<'_, R> {
    /// Builds the next generation, swaps it in; `progress(party, done, total)` after each batch.
    pub async fn run(
        &self,
        mut progress: impl FnMut(PartyCode, u64, u64),
    ) -> Result<ReplayReport, ProjectionError> {
        let mut lock = PgConnection::connect(self.database_url).await?;
        let (got,): (bool,) = sqlx::query_as("SELECT pg_try_advisory_lock($1)")
            .bind(REPLAY_LOCK_KEY)
            .fetch_one(&mut lock)
            .await?;
        if !got {
            return Err(ProjectionError::ReplayRunning);
        }
        if self.fresh {
            lock.execute(
                format!("DROP SCHEMA IF EXISTS {} CASCADE", db::ident(NEXT_SCHEMA)?).as_str(),
            )
            .await?;
        }
        db::migrate(self.database_url, NEXT_SCHEMA, &db::READ_MODELS).await?;
        let target = Target {
            projection: Projection::ReadModels,
            pool: db::pool(self.database_url, NEXT_SCHEMA, 2).await?,
            keys: self.keys.clone(),
            upcasters: crate::runner::upcasters(),
        };
        let mut report = ReplayReport::default();
        for party in &self.parties {
            let (resumed, applied, head) = self.catch_up(&target, *party, &mut progress).await?;
            report.resumed_from.push((*party, resumed));
            report.parties.push((*party, head));
            report.events += applied;
        }
        target.pool.close().await;
        swap(&mut lock).await?;
        let _ = lock.close().await;
        Ok(report)
    }

    async fn catch_up(
        &self,
        target: &Target,
        party: PartyCode,
        progress: &mut impl FnMut(PartyCode, u64, u64),
    ) -> Result<(u64, u64, u64), ProjectionError> {
        let resumed = batch::checkpoint(&target.pool, party).await?;
        let head = self.reader.head(party).await?;
        let mut applied = 0;
        progress(party, resumed, head);
        if resumed >= head {
            return Ok((resumed, 0, head));
        }
        // Reading and verifying the next batches overlaps with committing this one.
        let mut chunks = self
            .reader
            .read_party(party, resumed + 1)
            .await?
            .chunks(self.batch_size);
        let (tx, mut rx) = tokio::sync::mpsc::channel(4);
        let reader_target = target.clone();
        let producer = tokio::spawn(async move {
            while let Some(chunk) = chunks.next().await {
                let prepared = match chunk.into_iter().collect::<Result<Vec<RecordedEvent>, _>>() {
                    Ok(events) => batch::prepare(&reader_target, events).await,
                    Err(e) => Err(e.into()),
                };
                let failed = prepared.is_err();
                if tx.send(prepared).await.is_err() || failed {
                    return;
                }
            }
        });
        while let Some(prepared) = rx.recv().await {
            match batch::commit(target, party, prepared?).await? {
                Outcome::Applied { last, events } => {
                    applied += events as u64;
                    progress(party, last, head);
                }
                Outcome::AlreadyApplied => {}
                Outcome::Gap { checkpoint } => {
                    producer.abort();
                    return Err(ProjectionError::MissingSequence {
                        party,
                        sequence: checkpoint + 1,
                        checkpoint,
                    });
                }
            }
        }
        let _ = producer.await;
        Ok((resumed, applied, head))
    }
}

/// Swaps the fresh generation in, in one transaction: readers see the old tables or the new,
/// never a mix. The old generation is dropped.
async fn swap(conn: &mut PgConnection) -> Result<(), ProjectionError> {
    let old = "ecites_rm_old";
    let mut tx = conn.begin().await?;
    tx.execute(format!("DROP SCHEMA IF EXISTS {old} CASCADE").as_str())
        .await?;
    let (live,): (bool,) =
        sqlx::query_as("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)")
            .bind(ACTIVE_SCHEMA)
            .fetch_one(&mut *tx)
            .await?;
    if live {
        tx.execute(format!("ALTER SCHEMA {ACTIVE_SCHEMA} RENAME TO {old}").as_str())
            .await?;
    }
    tx.execute(format!("ALTER SCHEMA {NEXT_SCHEMA} RENAME TO {ACTIVE_SCHEMA}").as_str())
        .await?;
    tx.execute(format!("DROP SCHEMA IF EXISTS {old} CASCADE").as_str())
        .await?;
    tx.commit().await?;
    Ok(())
}
