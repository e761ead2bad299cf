//! One batch of a Party's events applied to one projection, with its checkpoint, in one
//! PostgreSQL transaction.

use crate::{archive, read_models, tree, Projection, ProjectionError};
use ecites_events::audit::VerifiedEvent;
use ecites_events::batch_verify::verify_events;
use ecites_events::schema::Upcasters;
use ecites_events::{PartyCode, PublicKeys, RecordedEvent};
use sqlx::PgPool;
use std::sync::Arc;

/// Where a projection writes: the projection and a pool whose search_path is its schema.
#[derive(Clone)]
pub struct Target {
    pub projection: Projection,
    pub pool: PgPool,
    pub keys: Arc<PublicKeys>,
    pub upcasters: Arc<Upcasters>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Applied up to this sequence.
    Applied { last: u64, events: usize },
    /// Everything in the batch was applied before (a replayed batch).
    AlreadyApplied,
    /// The batch starts after the checkpoint's next sequence: read again from there.
    Gap { checkpoint: u64 },
}

/// The checkpoint of `party` (0 when nothing was applied).
pub async fn checkpoint(pool: &PgPool, party: PartyCode) -> Result<u64, ProjectionError> {
    let row: Option<(i64,)> = sqlx::query_as("SELECT sequence FROM checkpoint WHERE party = $1")
        .bind(party.to_string())
        .fetch_optional(pool)
        .await?;
    Ok(row.map_or(0, |r| r.0 as u64))
}

/// A batch whose signatures were checked, ready to commit.
pub struct Prepared {
    recorded: Vec<RecordedEvent>,
    verified: Vec<VerifiedEvent>,
}

/// Verifies `events` (CPU work, off the async workers). A replay verifies the next batch while
/// the previous one commits.
pub async fn prepare(
    target: &Target,
    events: Vec<RecordedEvent>,
) -> Result<Prepared, ProjectionError> {
    let keys = target.keys.clone();
    let first = events.first().map_or(0, |e| e.sequence);
    let (recorded, verified) = tokio::task::spawn_blocking(move || {
        let verified = verify_events(&events, &keys);
        (events, verified)
    })
    .await
    .map_err(|e| ProjectionError::Event {
        sequence: first,
        event_type: String::new(),
        reason: format!("verifier task failed: {e}"),
    })?;
    let verified = verified.map_err(|f| ProjectionError::Verification {
        sequence: f.sequence,
        subject: f.subject.clone(),
        reason: f.reason.to_string(),
    })?;
    Ok(Prepared { recorded, verified })
}

/// Verifies and applies `events` (consecutive, in stream order).
pub async fn apply(
    target: &Target,
    party: PartyCode,
    events: Vec<RecordedEvent>,
) -> Result<Outcome, ProjectionError> {
    commit(target, party, prepare(target, events).await?).await
}

/// Applies a prepared batch with its checkpoint. The checkpoint row is locked first, so two
/// writers on one projection serialise and the second skips what the first did.
#[tracing::instrument(level = "debug", skip_all, fields(%party, events = batch.recorded.len()))]
pub async fn commit(
    target: &Target,
    party: PartyCode,
    batch: Prepared,
) -> Result<Outcome, ProjectionError> {
    let mut tx = target.pool.begin().await?;
    // Creates the row on first use and locks it, in one round trip: the no-op update takes
    // the row lock that makes a second writer wait and then skip what this one applied.
    let (cp,): (i64,) = sqlx::query_as(
        "INSERT INTO checkpoint VALUES ($1, 0) ON CONFLICT (party) \
         DO UPDATE SET sequence = checkpoint.sequence RETURNING sequence",
    )
    .bind(party.to_string())
    .fetch_one(&mut *tx)
    .await?;
    let cp = cp as u64;
    let skip = batch
        .recorded
        .iter()
        .take_while(|e| e.sequence <= cp)
        .count();
    let recorded = &batch.recorded[skip..];
    let verified = &batch.verified[skip..];
    let Some(first) = recorded.first() else {
        return Ok(Outcome::AlreadyApplied);
    };
    if first.sequence != cp + 1 {
        return Ok(Outcome::Gap { checkpoint: cp });
    }
    if let Some(w) = recorded
        .windows(2)
        .find(|w| w[1].sequence != w[0].sequence + 1)
    {
        return Err(ProjectionError::MissingSequence {
            party,
            sequence: w[0].sequence + 1,
            checkpoint: cp,
        });
    }
    match target.projection {
        Projection::ReadModels => {
            read_models::apply(&mut tx, recorded, verified, &target.upcasters).await?
        }
        Projection::Archive => archive::apply(&mut tx, recorded, verified).await?,
        Projection::Tree => tree::apply(&mut tx, verified, &target.upcasters).await?,
    }
    let last = recorded.last().map_or(cp, |e| e.sequence);
    sqlx::query("UPDATE checkpoint SET sequence = $2 WHERE party = $1")
        .bind(party.to_string())
        .bind(last as i64)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Outcome::Applied {
        last,
        events: recorded.len(),
    })
}
