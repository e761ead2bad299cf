//! Rebuilding a Party's stream from a verified copy (the archive): the same bodies and the
//! same signature headers, in the same order, so the restored log verifies with the same keys.

use super::{JetStreamLog, LogError};
use crate::envelope::headers as h;
use crate::log::RecordedEvent;
use crate::party::PartyCode;
use async_nats::HeaderMap;
use futures::{Stream, StreamExt};
use std::collections::VecDeque;

/// Acknowledgements awaited at once: enough to keep the server's fsyncs busy.
const IN_FLIGHT: usize = 256;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Restored {
    pub events: u64,
    /// Events whose new sequence differs from the one they had (a copy with holes).
    pub renumbered: u64,
}

impl JetStreamLog {
    /// Replaces the Party's stream with `events`. Refuses a stream that holds events unless
    /// `replace`: restoring is for a log known to be damaged.
    pub async fn restore_party<E>(
        &self,
        party: PartyCode,
        events: impl Stream<Item = Result<RecordedEvent, E>>,
        replace: bool,
    ) -> Result<Restored, LogError>
    where
        E: std::fmt::Display,
    {
        let js = &self.inner.js;
        let name = self.inner.config.stream_name(party);
        if let Ok(mut stream) = js.get_stream(&name).await {
            let held = stream
                .info()
                .await
                .map_err(|e| LogError::JetStream(e.to_string()))?
                .state
                .messages;
            if held > 0 && !replace {
                return Err(LogError::JetStream(format!(
                    "stream {name} holds {held} events; pass --replace to discard them and restore"
                )));
            }
            js.delete_stream(&name)
                .await
                .map_err(|e| LogError::JetStream(e.to_string()))?;
        }
        if let Ok(mut s) = self.inner.streams.write() {
            s.remove(&party);
        }
        self.provision_party(party).await?;
        publish_all(self, events).await
    }
}

async fn publish_all<E: std::fmt::Display>(
    log: &JetStreamLog,
    events: impl Stream<Item = Result<RecordedEvent, E>>,
) -> Result<Restored, LogError> {
    let js = &log.inner.js;
    let mut pending = VecDeque::new();
    let mut restored = Restored::default();
    let mut events = std::pin::pin!(events);
    while let Some(ev) = events.next().await {
        let ev = ev.map_err(|e| LogError::JetStream(format!("reading the copy: {e}")))?;
        let mut headers = HeaderMap::new();
        if let Some(id) = &ev.msg_id {
            headers.insert(h::MSG_ID, id.as_str());
        }
        if let Some(k) = &ev.key_id {
            headers.insert(h::KEY_ID, k.as_str());
        }
        if let Some(s) = &ev.signature {
            headers.insert(h::SIGNATURE, s.as_str());
        }
        let ack = js
            .publish_with_headers(ev.subject.clone(), headers, ev.body.clone())
            .await
            .map_err(|e| LogError::JetStream(e.to_string()))?;
        pending.push_back((ev.sequence, ack));
        if pending.len() >= IN_FLIGHT {
            settle(pending.pop_front(), &mut restored).await?;
        }
    }
    while let Some(p) = pending.pop_front() {
        settle(Some(p), &mut restored).await?;
    }
    Ok(restored)
}

async fn settle(
    pending: Option<(u64, async_nats::jetstream::context::PublishAckFuture)>,
    restored: &mut Restored,
) -> Result<(), LogError> {
    let Some((sequence, ack)) = pending else {
        return Ok(());
    };
    let ack = ack.await.map_err(|e| LogError::JetStream(e.to_string()))?;
    restored.events += 1;
    if ack.sequence != sequence {
        restored.renumbered += 1;
    }
    Ok(())
}
