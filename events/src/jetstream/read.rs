//! Reading aggregates (direct gets) and Party streams (ordered consumers).

use super::JetStreamLog;
use crate::aggregate::{AggregateRef, AggregateType};
use crate::envelope::headers as h;
use crate::log::{ReadError, RecordedEvent};
use crate::party::PartyCode;
use async_nats::jetstream::consumer::{pull::OrderedConfig, Consumer, DeliverPolicy};
use async_nats::jetstream::stream::DirectGetErrorKind;
use async_nats::HeaderMap;
use futures::stream::{BoxStream, StreamExt};

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name).map(|v| v.as_str().to_string())
}

fn recorded(m: async_nats::jetstream::message::StreamMessage) -> RecordedEvent {
    RecordedEvent {
        sequence: m.sequence,
        subject: m.subject.to_string(),
        key_id: header(&m.headers, h::KEY_ID),
        signature: header(&m.headers, h::SIGNATURE),
        msg_id: header(&m.headers, h::MSG_ID),
        stored_at: m.time,
        body: m.payload,
    }
}

pub(super) async fn read_aggregate(
    log: &JetStreamLog,
    aggregate: &AggregateRef,
) -> Result<Vec<RecordedEvent>, ReadError> {
    let stream = log.stream_for_read(aggregate.party).await?;
    let subject = log.config().subject(aggregate);
    let unavailable =
        |e: async_nats::jetstream::stream::DirectGetError| ReadError::Unavailable(e.to_string());
    let last = match stream.direct_get_last_for_subject(subject.clone()).await {
        Ok(m) => m.sequence,
        Err(e) if e.kind() == DirectGetErrorKind::NotFound => return Ok(vec![]),
        Err(e) => return Err(unavailable(e)),
    };
    let mut events = vec![];
    let mut next = 1;
    while next <= last {
        let m = stream
            .direct_get_next_for_subject(subject.clone(), Some(next))
            .await
            .map_err(unavailable)?;
        next = m.sequence + 1;
        events.push(recorded(m));
    }
    Ok(events)
}

pub(super) async fn read_last(
    log: &JetStreamLog,
    aggregate: &AggregateRef,
) -> Result<Option<RecordedEvent>, ReadError> {
    let stream = log.stream_for_read(aggregate.party).await?;
    match stream
        .direct_get_last_for_subject(log.config().subject(aggregate))
        .await
    {
        Ok(m) => Ok(Some(recorded(m))),
        Err(e) if e.kind() == DirectGetErrorKind::NotFound => Ok(None),
        Err(e) => Err(ReadError::Unavailable(e.to_string())),
    }
}

/// Streams a Party's events from `from_sequence`; when `bounded`, stops at the head as it was
/// when the call began.
pub(super) async fn read_party(
    log: &JetStreamLog,
    party: PartyCode,
    from_sequence: u64,
    bounded: bool,
) -> Result<BoxStream<'static, Result<RecordedEvent, ReadError>>, ReadError> {
    let stream = log.stream_for_read(party).await?;
    let head = stream
        .get_info()
        .await
        .map_err(|e| ReadError::Unavailable(e.to_string()))?
        .state
        .last_sequence;
    let start = from_sequence.max(1);
    if bounded && start > head {
        return Ok(futures::stream::empty().boxed());
    }
    let consumer = stream
        .create_consumer(OrderedConfig {
            deliver_policy: DeliverPolicy::ByStartSequence {
                start_sequence: start,
            },
            ..Default::default()
        })
        .await
        .map_err(|e| ReadError::Unavailable(e.to_string()))?;
    if !bounded {
        return Ok(consumed(consumer).await?.map(|r| r.map(|(e, _)| e)).boxed());
    }
    // The head may hold no event (its block was damaged, its write never synced): a read that
    // waited for it would never end. It ends at the head or when nothing is pending, which
    // is exact at each delivery.
    if consumer.cached_info().num_pending == 0 {
        return Ok(futures::stream::empty().boxed());
    }
    let events = consumed(consumer).await?;
    let ends = until(events, move |(e, pending)| {
        e.sequence >= head || *pending == 0
    });
    Ok(ends.map(|r| r.map(|(e, _)| e)).boxed())
}

/// Streams the events on every aggregate of one type of a Party, up to the last one stored
/// when the call began.
pub(super) async fn read_type(
    log: &JetStreamLog,
    party: PartyCode,
    aggregate_type: &AggregateType,
) -> Result<BoxStream<'static, Result<RecordedEvent, ReadError>>, ReadError> {
    let stream = log.stream_for_read(party).await?;
    let filter = format!(
        "{}.{}.{}.>",
        log.config().subject_prefix,
        party.subject_token(),
        aggregate_type
    );
    let consumer = stream
        .create_consumer(OrderedConfig {
            filter_subject: filter,
            deliver_policy: DeliverPolicy::All,
            ..Default::default()
        })
        .await
        .map_err(|e| ReadError::Unavailable(e.to_string()))?;
    // The stream's head is no bound here: the type's last event may lie well before it, and
    // waiting for a sequence the filter never delivers would hang. The consumer's pending
    // count at creation is exactly the number of matching events stored by then.
    let total = consumer.cached_info().num_pending;
    if total == 0 {
        return Ok(futures::stream::empty().boxed());
    }
    let events = consumed(consumer).await?;
    let mut seen = 0u64;
    let ends = until(events, move |_| {
        seen += 1;
        seen >= total
    });
    Ok(ends.map(|r| r.map(|(e, _)| e)).boxed())
}

/// An event and how many the consumer still had pending after it.
type Pending = (RecordedEvent, u64);

async fn consumed(
    consumer: Consumer<OrderedConfig>,
) -> Result<BoxStream<'static, Result<Pending, ReadError>>, ReadError> {
    let messages = consumer
        .messages()
        .await
        .map_err(|e| ReadError::Unavailable(e.to_string()))?;
    Ok(messages
        .map(|m| {
            let m = m.map_err(|e| ReadError::Unavailable(e.to_string()))?;
            let info = m
                .info()
                .map_err(|e| ReadError::Unavailable(e.to_string()))?;
            let (sequence, stored_at, pending) =
                (info.stream_sequence, info.published, info.pending);
            let msg = m.message;
            let headers = msg.headers.unwrap_or_default();
            let event = RecordedEvent {
                sequence,
                subject: msg.subject.to_string(),
                key_id: header(&headers, h::KEY_ID),
                signature: header(&headers, h::SIGNATURE),
                msg_id: header(&headers, h::MSG_ID),
                stored_at,
                body: msg.payload,
            };
            Ok((event, pending))
        })
        .boxed())
}

/// Ends `events` right after the event for which `last` says so, or after an error, without
/// polling the consumer again: it would wait for an event that may never come.
fn until<T: Send + 'static>(
    events: BoxStream<'static, Result<T, ReadError>>,
    last: impl FnMut(&T) -> bool + Send + 'static,
) -> BoxStream<'static, Result<T, ReadError>> {
    futures::stream::unfold(
        (events, false, last),
        |(mut inner, done, mut last)| async move {
            if done {
                return None;
            }
            let ev = inner.next().await?;
            let done = ev.as_ref().map_or(true, &mut last);
            Some((ev, (inner, done, last)))
        },
    )
    .boxed()
}

pub(super) async fn aggregate_ids(
    log: &JetStreamLog,
    party: PartyCode,
    aggregate_type: &crate::aggregate::AggregateType,
) -> Result<Vec<crate::aggregate::AggregateId>, ReadError> {
    use futures::TryStreamExt;
    let stream = log.stream_for_read(party).await?;
    let prefix = format!(
        "{}.{}.{}.",
        log.config().subject_prefix,
        party.subject_token(),
        aggregate_type
    );
    let subjects: Vec<(String, usize)> = stream
        .info_with_subjects(format!("{prefix}*"))
        .await
        .map_err(|e| ReadError::Unavailable(e.to_string()))?
        .try_collect()
        .await
        .map_err(|e| ReadError::Unavailable(e.to_string()))?;
    let mut ids: Vec<_> = subjects
        .iter()
        .filter_map(|(subject, _)| {
            crate::aggregate::AggregateId::new(subject.strip_prefix(&prefix)?).ok()
        })
        .collect();
    ids.sort();
    Ok(ids)
}
