//! The event log on NATS JetStream.
//!
//! One stream per Party (`<PREFIX>_<ISO2>`), one subject per aggregate
//! (`<prefix>.<iso2>.<aggregate>.<id>`). The server enforces immutability (`deny_delete`,
//! `deny_purge`), per-subject optimistic concurrency (`Nats-Expected-Last-Subject-Sequence`),
//! dedupe by command id (`Nats-Msg-Id`) and, from 2.12, all-or-nothing atomic batches across
//! subjects. Two server behaviours need care (see `docs/ledger.md`): a retried append whose ack
//! was lost comes back as a sequence conflict, and servers before 2.12 split "atomic" batches
//! silently. Both are handled here.

mod append;
mod provision;
mod read;
mod restore;

pub use provision::{check_server_version, stream_config, verify_stream_config};
pub use restore::Restored;

use crate::aggregate::{AggregateRef, AggregateType};
use crate::keyring::Signer;
use crate::log::{
    AppendError, Commit, Committed, EventAppender, EventReader, ReadError, RecordedEvent,
};
use crate::party::PartyCode;
use async_nats::jetstream;
use futures::stream::BoxStream;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// How acknowledged events are made durable. Stated, not assumed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Durability {
    /// One server that fsyncs every message before acknowledging it (`sync_interval: always`
    /// in the server config; `deploy/stack.sh` writes it).
    FsyncAlways,
    /// Three replicas: an ack means a quorum of servers holds the event.
    Replicated3,
}

impl Durability {
    pub fn replicas(self) -> usize {
        match self {
            Self::FsyncAlways => 1,
            Self::Replicated3 => 3,
        }
    }
}

#[derive(Clone, Debug)]
pub struct LogConfig {
    /// Stream names are `<stream_prefix>_<ISO2>`.
    pub stream_prefix: String,
    /// Subjects are `<subject_prefix>.<iso2>.<aggregate>.<id>`.
    pub subject_prefix: String,
    pub durability: Durability,
    /// Largest event body accepted (bytes); checked before anything is sent.
    pub max_event_bytes: usize,
    /// How long a retried command id is recognised as a duplicate by the server.
    pub duplicate_window: Duration,
    pub ack_timeout: Duration,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            stream_prefix: "ECITES".into(),
            subject_prefix: "ecites".into(),
            durability: Durability::FsyncAlways,
            max_event_bytes: 512 * 1024,
            duplicate_window: Duration::from_secs(300),
            ack_timeout: Duration::from_secs(10),
        }
    }
}

impl LogConfig {
    pub fn stream_name(&self, party: PartyCode) -> String {
        format!("{}_{}", self.stream_prefix, party)
    }
    pub fn subject(&self, aggregate: &AggregateRef) -> String {
        format!(
            "{}.{}.{}.{}",
            self.subject_prefix,
            aggregate.party.subject_token(),
            aggregate.aggregate_type,
            aggregate.aggregate_id
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("cannot connect to NATS at {url}: {reason}")]
    Connect { url: String, reason: String },
    #[error("NATS server {found} is too old: the ledger needs >= 2.12 for atomic batch publish (older servers split batches silently)")]
    ServerTooOld { found: String },
    #[error("stream {stream} is not fit for the ledger: {reason}")]
    StreamMisconfigured { stream: String, reason: String },
    #[error("JetStream request failed: {0}")]
    JetStream(String),
}

/// The ledger's event log on JetStream. Clone freely: clones share the connection and caches.
#[derive(Clone)]
pub struct JetStreamLog {
    inner: Arc<Inner>,
}

struct Inner {
    client: async_nats::Client,
    js: jetstream::Context,
    config: LogConfig,
    signers: RwLock<HashMap<PartyCode, Signer>>,
    streams: RwLock<HashMap<PartyCode, jetstream::stream::Stream>>,
}

impl JetStreamLog {
    /// Connects and refuses servers older than 2.12.
    pub async fn connect(url: &str, config: LogConfig) -> Result<Self, LogError> {
        let client = async_nats::ConnectOptions::new()
            .name("ecites-ledger")
            .connect(url)
            .await
            .map_err(|e| LogError::Connect {
                url: url.into(),
                reason: e.to_string(),
            })?;
        check_server_version(&client.server_info().version)?;
        Ok(Self::with_client(client, config))
    }

    fn with_client(client: async_nats::Client, config: LogConfig) -> Self {
        let js = jetstream::ContextBuilder::new()
            .ack_timeout(config.ack_timeout)
            .max_ack_inflight(4096)
            .build(client.clone());
        Self {
            inner: Arc::new(Inner {
                client,
                js,
                config,
                signers: RwLock::default(),
                streams: RwLock::default(),
            }),
        }
    }

    pub fn config(&self) -> &LogConfig {
        &self.inner.config
    }

    /// The raw connection, for tools that must bypass the ledger (benchmarks, tamper tests).
    pub fn nats_client(&self) -> async_nats::Client {
        self.inner.client.clone()
    }

    /// Makes `signer` the key used for its Party's appends (e.g. after a rotation).
    pub fn set_signer(&self, signer: Signer) {
        if let Ok(mut s) = self.inner.signers.write() {
            s.insert(signer.party, signer);
        }
    }

    fn signer(&self, party: PartyCode) -> Result<Signer, AppendError> {
        self.inner
            .signers
            .read()
            .ok()
            .and_then(|s| s.get(&party).cloned())
            .ok_or(AppendError::MissingKey(party))
    }

    /// Creates the Party's stream if it does not exist and checks that it is fit for the ledger.
    pub async fn provision_party(&self, party: PartyCode) -> Result<(), LogError> {
        let stream = provision::ensure_stream(&self.inner.js, &self.inner.config, party).await?;
        self.cache_stream(party, stream);
        Ok(())
    }

    fn cache_stream(&self, party: PartyCode, stream: jetstream::stream::Stream) {
        if let Ok(mut s) = self.inner.streams.write() {
            s.insert(party, stream);
        }
    }

    /// The Party's stream, looked up once and checked; `None` when it was never provisioned.
    async fn stream(
        &self,
        party: PartyCode,
    ) -> Result<Option<jetstream::stream::Stream>, LogError> {
        if let Some(s) = self
            .inner
            .streams
            .read()
            .ok()
            .and_then(|s| s.get(&party).cloned())
        {
            return Ok(Some(s));
        }
        let name = self.inner.config.stream_name(party);
        match self.inner.js.get_stream(&name).await {
            Ok(stream) => {
                verify_stream_config(&name, &stream.cached_info().config)?;
                self.cache_stream(party, stream.clone());
                Ok(Some(stream))
            }
            Err(e) if is_stream_not_found(&e) => Ok(None),
            Err(e) => Err(LogError::JetStream(e.to_string())),
        }
    }

    async fn stream_for_append(
        &self,
        party: PartyCode,
    ) -> Result<jetstream::stream::Stream, AppendError> {
        match self.stream(party).await {
            Ok(Some(s)) => Ok(s),
            Ok(None) => Err(AppendError::UnknownParty(party)),
            Err(e) => Err(AppendError::Unavailable(e.to_string())),
        }
    }

    async fn stream_for_read(
        &self,
        party: PartyCode,
    ) -> Result<jetstream::stream::Stream, ReadError> {
        match self.stream(party).await {
            Ok(Some(s)) => Ok(s),
            Ok(None) => Err(ReadError::UnknownParty(party)),
            Err(e) => Err(ReadError::Unavailable(e.to_string())),
        }
    }

    /// Parties with a provisioned stream under this log's prefix.
    pub async fn parties(&self) -> Result<Vec<PartyCode>, LogError> {
        use futures::TryStreamExt;
        let prefix = format!("{}_", self.inner.config.stream_prefix);
        let names: Vec<String> = self
            .inner
            .js
            .stream_names()
            .try_collect()
            .await
            .map_err(|e| LogError::JetStream(e.to_string()))?;
        let mut parties: Vec<PartyCode> = names
            .iter()
            .filter_map(|n| n.strip_prefix(&prefix)?.parse().ok())
            .collect();
        parties.sort();
        Ok(parties)
    }
}

fn is_stream_not_found(e: &jetstream::context::GetStreamError) -> bool {
    matches!(e.kind(), jetstream::context::GetStreamErrorKind::JetStream(j)
        if j.error_code() == jetstream::ErrorCode::STREAM_NOT_FOUND)
}

impl EventAppender for JetStreamLog {
    async fn append(&self, commit: Commit) -> Result<Committed, AppendError> {
        append::append(self, commit).await
    }
}

impl EventReader for JetStreamLog {
    async fn read_aggregate(
        &self,
        aggregate: &AggregateRef,
    ) -> Result<Vec<RecordedEvent>, ReadError> {
        read::read_aggregate(self, aggregate).await
    }

    async fn read_last(
        &self,
        aggregate: &AggregateRef,
    ) -> Result<Option<RecordedEvent>, ReadError> {
        read::read_last(self, aggregate).await
    }

    async fn read_party(
        &self,
        party: PartyCode,
        from_sequence: u64,
    ) -> Result<BoxStream<'static, Result<RecordedEvent, ReadError>>, ReadError> {
        read::read_party(self, party, from_sequence, true).await
    }

    async fn aggregate_ids(
        &self,
        party: PartyCode,
        aggregate_type: &AggregateType,
    ) -> Result<Vec<crate::aggregate::AggregateId>, ReadError> {
        read::aggregate_ids(self, party, aggregate_type).await
    }

    async fn read_type(
        &self,
        party: PartyCode,
        aggregate_type: &AggregateType,
    ) -> Result<BoxStream<'static, Result<RecordedEvent, ReadError>>, ReadError> {
        read::read_type(self, party, aggregate_type).await
    }

    async fn follow_party(
        &self,
        party: PartyCode,
        from_sequence: u64,
    ) -> Result<BoxStream<'static, Result<RecordedEvent, ReadError>>, ReadError> {
        read::read_party(self, party, from_sequence, false).await
    }

    async fn head(&self, party: PartyCode) -> Result<u64, ReadError> {
        let stream = self.stream_for_read(party).await?;
        let info = stream
            .get_info()
            .await
            .map_err(|e| ReadError::Unavailable(e.to_string()))?;
        Ok(info.state.last_sequence)
    }

    async fn extent(&self, party: PartyCode) -> Result<crate::log::StreamExtent, ReadError> {
        let stream = self.stream_for_read(party).await?;
        let info = stream
            .get_info()
            .await
            .map_err(|e| ReadError::Unavailable(e.to_string()))?;
        Ok(crate::log::StreamExtent {
            first: info.state.first_sequence,
            last: info.state.last_sequence,
            stored: info.state.messages,
        })
    }
}
