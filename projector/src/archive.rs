//! The archive projection: every event verbatim, verified (signature, key, chain link and
//! version) before it is stored. JetStream has lost acknowledged writes under some failures, so
//! this is the ledger's second, verified copy: `audit verify --source archive` checks it and
//! `ecites restore` rebuilds a stream from it.

use crate::ProjectionError;
use ecites_events::audit::{FailureReason, VerifiedEvent};
use ecites_events::{EventHash, RecordedEvent};
use futures::stream::BoxStream;
use futures::StreamExt;
use serde::Serialize;
use sqlx::{PgConnection, PgPool};
use std::collections::HashMap;
use time::OffsetDateTime;

#[derive(Serialize)]
struct ArchivedRow<'a> {
    party: String,
    sequence: u64,
    subject: &'a str,
    /// bytea from JSON: PostgreSQL's hex input form.
    body: String,
    key_id: &'a str,
    signature: &'a str,
    msg_id: Option<&'a str>,
    #[serde(with = "time::serde::rfc3339")]
    stored_at: OffsetDateTime,
    hash: String,
}

#[derive(Serialize)]
struct HeadRow {
    party: String,
    aggregate: String,
    version: u64,
    hash: String,
}

/// Stores verified events; the chain is checked against the archive's aggregate heads.
pub async fn apply(
    tx: &mut PgConnection,
    recorded: &[RecordedEvent],
    events: &[VerifiedEvent],
) -> Result<(), ProjectionError> {
    let keys: Vec<String> = events.iter().map(aggregate_key).collect();
    let party = match events.first() {
        Some(e) => e.envelope.party.to_string(),
        None => return Ok(()),
    };
    let mut heads: HashMap<String, (u64, String)> = sqlx::query_as::<_, (String, i64, String)>(
        "SELECT aggregate, version, hash FROM aggregate_heads WHERE party = $1 AND aggregate = ANY($2)",
    )
    .bind(&party)
    .bind(&keys)
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|(a, v, h)| (a, (v as u64, h)))
    .collect();
    let mut rows = Vec::with_capacity(events.len());
    for ((rec, ev), key) in recorded.iter().zip(events).zip(&keys) {
        let (version, hash) = heads
            .get(key)
            .cloned()
            .unwrap_or((0, EventHash::GENESIS.to_string()));
        check_link(ev, version, &hash)?;
        heads.insert(key.clone(), (ev.envelope.version, ev.hash.to_string()));
        rows.push(ArchivedRow {
            party: party.clone(),
            sequence: rec.sequence,
            subject: &rec.subject,
            body: format!("\\x{}", hex::encode(&rec.body)),
            key_id: rec.key_id.as_deref().unwrap_or_default(),
            signature: rec.signature.as_deref().unwrap_or_default(),
            msg_id: rec.msg_id.as_deref(),
            stored_at: rec.stored_at,
            hash: ev.hash.to_string(),
        });
    }
    sqlx::query(
        "INSERT INTO events SELECT * FROM json_populate_recordset(NULL::events, $1::json) ON CONFLICT DO NOTHING",
    )
    .bind(crate::read_models::to_json(&rows)?)
    .execute(&mut *tx)
    .await?;
    let head_rows: Vec<HeadRow> = heads
        .into_iter()
        .map(|(aggregate, (version, hash))| HeadRow {
            party: party.clone(),
            aggregate,
            version,
            hash,
        })
        .collect();
    sqlx::query(
        "INSERT INTO aggregate_heads SELECT * FROM json_populate_recordset(NULL::aggregate_heads, $1::json) \
         ON CONFLICT (party, aggregate) DO UPDATE SET version = EXCLUDED.version, hash = EXCLUDED.hash",
    )
    .bind(crate::read_models::to_json(&head_rows)?)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

fn aggregate_key(ev: &VerifiedEvent) -> String {
    format!(
        "{}/{}",
        ev.envelope.aggregate_type, ev.envelope.aggregate_id
    )
}

fn check_link(ev: &VerifiedEvent, version: u64, hash: &str) -> Result<(), ProjectionError> {
    let e = &ev.envelope;
    let reason = if e.version > version + 1 {
        FailureReason::VersionGap {
            expected: version + 1,
            found: e.version,
        }
        .to_string()
    } else if e.version <= version {
        FailureReason::Reordered {
            expected: version + 1,
            found: e.version,
        }
        .to_string()
    } else if e.prev_hash.to_string() != hash {
        format!(
            "broken chain: prev_hash {} is not the previous event's hash {hash}",
            e.prev_hash
        )
    } else {
        return Ok(());
    };
    Err(ProjectionError::Verification {
        sequence: ev.sequence,
        subject: format!("{}/{}", e.aggregate_type, e.aggregate_id),
        reason,
    })
}

/// An archived row: sequence, subject, body, key id, signature, message id, stored at.
type ArchivedTuple = (
    i64,
    String,
    Vec<u8>,
    String,
    String,
    Option<String>,
    OffsetDateTime,
);

/// The archived events of a Party in sequence order, as the log stored them.
pub fn read(pool: PgPool, party: String) -> BoxStream<'static, Result<RecordedEvent, sqlx::Error>> {
    async_stream(pool, party)
        .map(|r: Result<ArchivedTuple, sqlx::Error>| {
            r.map(
                |(sequence, subject, body, key_id, signature, msg_id, stored_at)| RecordedEvent {
                    sequence: sequence as u64,
                    subject,
                    body: body.into(),
                    key_id: Some(key_id),
                    signature: Some(signature),
                    msg_id,
                    stored_at,
                },
            )
        })
        .boxed()
}

fn async_stream(
    pool: PgPool,
    party: String,
) -> BoxStream<'static, Result<ArchivedTuple, sqlx::Error>> {
    // Pages by sequence so no cursor stays open across a long verification or restore.
    const PAGE: i64 = 2000;
    futures::stream::unfold(Some(0i64), move |after| {
        let pool = pool.clone();
        let party = party.clone();
        async move {
            let after = after?;
            let page = sqlx::query_as(
                "SELECT sequence, subject, body, key_id, signature, msg_id, stored_at FROM events \
                 WHERE party = $1 AND sequence > $2 ORDER BY sequence LIMIT $3",
            )
            .bind(&party)
            .bind(after)
            .bind(PAGE)
            .fetch_all(&pool)
            .await;
            match page {
                Ok(rows) => {
                    let next = rows.last().map(|r: &ArchivedTuple| r.0);
                    let done = (rows.len() as i64) < PAGE;
                    let items: Vec<Result<_, sqlx::Error>> = rows.into_iter().map(Ok).collect();
                    Some((futures::stream::iter(items), if done { None } else { next }))
                }
                Err(e) => Some((futures::stream::iter(vec![Err(e)]), None)),
            }
        }
    })
    .flatten()
    .boxed()
}
