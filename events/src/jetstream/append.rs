//! Appending commits: one message with a plain publish, several with an atomic batch.

use super::JetStreamLog;
use crate::envelope::headers as h;
use crate::log::{seal, AggregatePosition, AppendError, Commit, Committed, SealedEvent};
use async_nats::jetstream::context::PublishErrorKind;
use async_nats::jetstream::stream::Stream;
use async_nats::HeaderMap;
use serde::Deserialize;
use std::collections::HashMap;

/// Sends again after a lost ack; the server's dedupe (or the read-back) makes this safe.
const SEND_ATTEMPTS: usize = 3;

pub(super) async fn append(log: &JetStreamLog, commit: Commit) -> Result<Committed, AppendError> {
    let party = commit.party()?;
    let stream = log.stream_for_append(party).await?;
    let signer = log.signer(party)?;
    let sealed = seal(&commit, &signer, log.config().max_event_bytes)?;
    let last_sequence = if sealed.len() == 1 {
        publish_one(log, &stream, &sealed[0], &commit).await?
    } else {
        publish_batch(log, &stream, &sealed, &commit).await?
    };
    Ok(committed(party, &sealed, last_sequence))
}

/// Positions after the commit. Batch messages are stored contiguously, so each event's
/// sequence follows from the last one.
fn committed(party: crate::PartyCode, sealed: &[SealedEvent], last_sequence: u64) -> Committed {
    let first = last_sequence + 1 - sealed.len() as u64;
    let mut positions: Vec<(crate::AggregateRef, AggregatePosition)> = vec![];
    for (i, ev) in sealed.iter().enumerate() {
        let pos = AggregatePosition {
            version: ev.version,
            sequence: first + i as u64,
            hash: ev.hash,
        };
        match positions.last_mut() {
            Some((agg, p)) if *agg == ev.aggregate => *p = pos,
            _ => positions.push((ev.aggregate.clone(), pos)),
        }
    }
    Committed {
        party,
        positions,
        last_sequence,
    }
}

fn headers(ev: &SealedEvent) -> HeaderMap {
    let mut map = HeaderMap::new();
    map.insert(h::MSG_ID, ev.msg_id.as_str());
    map.insert(h::KEY_ID, ev.key_id.as_str());
    map.insert(h::SIGNATURE, ev.signature.as_str());
    if let Some(seq) = ev.expected_sequence {
        map.insert(h::EXPECTED_LAST_SUBJECT_SEQUENCE, seq.to_string().as_str());
    }
    map
}

async fn publish_one(
    log: &JetStreamLog,
    stream: &Stream,
    ev: &SealedEvent,
    commit: &Commit,
) -> Result<u64, AppendError> {
    let subject = log.config().subject(&ev.aggregate);
    let mut last_err = String::new();
    for _ in 0..SEND_ATTEMPTS {
        let sent = log
            .inner
            .js
            .publish_with_headers(subject.clone(), headers(ev), ev.body.clone())
            .await;
        let ack = match sent {
            Ok(fut) => fut.await,
            Err(e) => Err(e),
        };
        match ack {
            Ok(ack) if ack.duplicate => {
                return Err(AppendError::Duplicate {
                    command_id: commit.command_id,
                    sequence: ack.sequence,
                })
            }
            Ok(ack) => return Ok(ack.sequence),
            Err(e) if e.kind() == PublishErrorKind::WrongLastSequence => {
                return Err(resolve_stale(log, stream, std::slice::from_ref(ev), commit).await)
            }
            Err(e) if e.kind() == PublishErrorKind::TimedOut => last_err = e.to_string(),
            Err(e) if e.kind() == PublishErrorKind::MaxPayloadExceeded => {
                return Err(AppendError::PayloadTooLarge {
                    aggregate: ev.aggregate.clone(),
                    event_type: "event".into(),
                    size: ev.body.len(),
                    limit: log.config().max_event_bytes,
                })
            }
            Err(e) if e.kind() == PublishErrorKind::StreamNotFound => {
                return Err(AppendError::UnknownParty(ev.aggregate.party))
            }
            Err(e) => return Err(AppendError::Unavailable(e.to_string())),
        }
    }
    Err(AppendError::Unavailable(format!(
        "no ack after {SEND_ATTEMPTS} attempts: {last_err}"
    )))
}

/// Reply to a batch commit. A server that really committed atomically names the batch and its
/// size; one that does not (before 2.12) answers like a plain publish.
#[derive(Deserialize)]
struct BatchReply {
    seq: Option<u64>,
    batch: Option<String>,
    count: Option<u64>,
    error: Option<ApiError>,
}

#[derive(Deserialize)]
struct ApiError {
    err_code: Option<u64>,
    description: Option<String>,
}

const ERR_WRONG_LAST_SEQUENCE: u64 = 10071;
const ERR_BATCH_DUPLICATE: u64 = 10201;

async fn publish_batch(
    log: &JetStreamLog,
    stream: &Stream,
    sealed: &[SealedEvent],
    commit: &Commit,
) -> Result<u64, AppendError> {
    let mut last_err = String::new();
    for _ in 0..SEND_ATTEMPTS {
        let reply = match send_batch(log, sealed).await {
            Ok(r) => r,
            Err(e) => {
                last_err = e;
                continue;
            }
        };
        let parsed: BatchReply = serde_json::from_slice(&reply)
            .map_err(|e| AppendError::Unavailable(format!("unreadable batch reply: {e}")))?;
        if let Some(err) = parsed.error {
            return match err.err_code {
                Some(ERR_WRONG_LAST_SEQUENCE | ERR_BATCH_DUPLICATE) => {
                    Err(resolve_stale(log, stream, sealed, commit).await)
                }
                _ => Err(AppendError::Unavailable(format!(
                    "batch refused: {}",
                    err.description.unwrap_or_default()
                ))),
            };
        }
        return match (parsed.batch, parsed.count, parsed.seq) {
            (Some(_), Some(n), Some(seq)) if n == sealed.len() as u64 => Ok(seq),
            (batch, count, _) => Err(AppendError::BatchNotAtomic(format!(
                "reply batch={batch:?} count={count:?} for {} messages",
                sealed.len()
            ))),
        };
    }
    Err(AppendError::Unavailable(format!(
        "no batch reply after {SEND_ATTEMPTS} attempts: {last_err}"
    )))
}

/// Sends messages 1..n-1 without reply and the last as the commit request; one connection keeps
/// them in order.
async fn send_batch(log: &JetStreamLog, sealed: &[SealedEvent]) -> Result<bytes::Bytes, String> {
    let batch_id = uuid::Uuid::now_v7().simple().to_string();
    let client = &log.inner.client;
    let n = sealed.len();
    for (i, ev) in sealed.iter().enumerate() {
        let mut map = headers(ev);
        map.insert(h::BATCH_ID, batch_id.as_str());
        map.insert(h::BATCH_SEQUENCE, (i + 1).to_string().as_str());
        let subject = log.config().subject(&ev.aggregate);
        if i + 1 < n {
            client
                .publish_with_headers(subject, map, ev.body.clone())
                .await
                .map_err(|e| e.to_string())?;
        } else {
            map.insert(h::BATCH_COMMIT, "1");
            let request = client.request_with_headers(subject, map, ev.body.clone());
            let msg = tokio::time::timeout(log.config().ack_timeout, request)
                .await
                .map_err(|_| "timed out waiting for the batch commit".to_string())?
                .map_err(|e| e.to_string())?;
            return Ok(msg.payload);
        }
    }
    Err("empty batch".into())
}

/// The last sequence of our commit that landed earlier, from any of its messages that is
/// still its subject's last: a batch is stored contiguously and each message's id carries its
/// place (`<command id>:<k>` of `n`), so the retry names the very position the first answer
/// named, not that of later events on the same subjects.
fn landed_last_sequence(
    heads: &HashMap<&crate::AggregateRef, (u64, Option<String>)>,
    ours: &str,
    n: usize,
) -> u64 {
    heads
        .values()
        .find_map(|(seq, id)| {
            let id = id.as_deref()?;
            let rest = id.strip_prefix(ours)?;
            match rest.strip_prefix(':') {
                Some(k) if k.contains('/') => {
                    Some(crate::log::commit_last_sequence(*seq, Some(id)))
                }
                // An id from before the place carried the batch size.
                Some(k) => Some(seq + n as u64 - k.parse::<u64>().ok()?),
                None if rest.is_empty() => Some(*seq),
                None => None,
            }
        })
        .unwrap_or_else(|| heads.values().map(|(s, _)| *s).max().unwrap_or(0))
}

/// The server refused an expectation. Either our own earlier attempt landed (its ack was lost,
/// and on 2.15 the retry answers "wrong last sequence" rather than "duplicate"), or another
/// writer got there first. The subjects' last messages tell which.
async fn resolve_stale(
    log: &JetStreamLog,
    stream: &Stream,
    sealed: &[SealedEvent],
    commit: &Commit,
) -> AppendError {
    let mut heads: HashMap<&crate::AggregateRef, (u64, Option<String>)> = HashMap::new();
    for ev in sealed.iter().filter(|e| e.expected_sequence.is_some()) {
        let subject = log.config().subject(&ev.aggregate);
        let head = match stream.direct_get_last_for_subject(subject).await {
            Ok(m) => (
                m.sequence,
                m.headers.get(h::MSG_ID).map(|v| v.as_str().to_string()),
            ),
            Err(e) if e.kind() == async_nats::jetstream::stream::DirectGetErrorKind::NotFound => {
                (0, None)
            }
            Err(e) => return AppendError::Unavailable(e.to_string()),
        };
        heads.insert(&ev.aggregate, head);
    }
    let ours = commit.command_id.to_string();
    let ours_landed = sealed.iter().any(|ev| {
        heads
            .get(&ev.aggregate)
            .is_some_and(|(_, id)| id.as_deref().is_some_and(|id| id.starts_with(&ours)))
    });
    if ours_landed {
        return AppendError::Duplicate {
            command_id: commit.command_id,
            sequence: landed_last_sequence(&heads, &ours, sealed.len()),
        };
    }
    let stale = sealed
        .iter()
        .filter_map(|ev| Some((ev, ev.expected_sequence?)))
        .find(|(ev, expected)| heads.get(&ev.aggregate).is_some_and(|(s, _)| s != expected))
        .or_else(|| {
            sealed
                .first()
                .map(|ev| (ev, ev.expected_sequence.unwrap_or(0)))
        });
    match stale {
        Some((ev, expected_sequence)) => AppendError::Conflict {
            aggregate: ev.aggregate.clone(),
            expected_version: ev.version - 1,
            expected_sequence,
        },
        None => AppendError::EmptyCommit,
    }
}
