//! Reading aggregates (direct gets) and Party streams (ordered consumers).

use super::JetStreamLog;
use crate::aggregate::AggregateRef;
use crate::envelope::headers as h;
use crate::log::{ReadError, RecordedEvent};
use crate::party::PartyCode;
use async_nats::jetstream::consumer::{pull::OrderedConfig, DeliverPolicy};
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
    let unavailable = |e: String| ReadError::Unavailable(e);
    let head = stream
        .get_info()
        .await
        .map_err(|e| unavailable(e.to_string()))?
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
        .map_err(|e| unavailable(e.to_string()))?;
    let messages = consumer
        .messages()
        .await
        .map_err(|e| unavailable(e.to_string()))?;
    let events = messages.map(|m| {
        let m = m.map_err(|e| ReadError::Unavailable(e.to_string()))?;
        let info = m
            .info()
            .map_err(|e| ReadError::Unavailable(e.to_string()))?;
        let (sequence, stored_at) = (info.stream_sequence, info.published);
        let msg = m.message;
        let headers = msg.headers.unwrap_or_default();
        Ok(RecordedEvent {
            sequence,
            subject: msg.subject.to_string(),
            key_id: header(&headers, h::KEY_ID),
            signature: header(&headers, h::SIGNATURE),
            msg_id: header(&headers, h::MSG_ID),
            stored_at,
            body: msg.payload,
        })
    });
    if !bounded {
        return Ok(events.boxed());
    }
    // Stop right after the head without polling the consumer again: it would wait for an
    // event that may never come.
    let bounded = futures::stream::unfold(
        (events.boxed(), false),
        move |(mut inner, done)| async move {
            if done {
                return None;
            }
            let ev = inner.next().await?;
            let done = ev.as_ref().map_or(true, |e| e.sequence >= head);
            Some((ev, (inner, done)))
        },
    );
    Ok(bounded.boxed())
}
