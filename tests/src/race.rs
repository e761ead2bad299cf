//! A log that holds back appends so that racing commands all decide against the same state
//! before any of them commits: what the uniqueness and balance races need to be real races.

use ecites_events::jetstream::JetStreamLog;
use ecites_events::{
    AggregateId, AggregateRef, AggregateType, AppendError, Commit, Committed, EventAppender,
    EventReader, PartyCode, ReadError, RecordedEvent,
};
use futures::stream::BoxStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// The log, except that after [`RaceGate::hold_next_appends`] the next `racers` appends wait
/// until all of them have arrived.
#[derive(Clone)]
pub struct RaceGate {
    log: JetStreamLog,
    racers: usize,
    held: Arc<AtomicUsize>,
    barrier: Arc<tokio::sync::Barrier>,
}

impl RaceGate {
    pub fn new(log: JetStreamLog, racers: usize) -> Self {
        Self {
            log,
            racers,
            held: Arc::default(),
            barrier: Arc::new(tokio::sync::Barrier::new(racers)),
        }
    }

    pub fn hold_next_appends(&self) {
        self.held.store(self.racers, Ordering::SeqCst);
    }

    /// How many of the held appends have not arrived yet (0 once every racer reached the log).
    pub fn still_held(&self) -> usize {
        self.held.load(Ordering::SeqCst)
    }
}

impl EventAppender for RaceGate {
    async fn append(&self, commit: Commit) -> Result<Committed, AppendError> {
        let take = |n: usize| n.checked_sub(1);
        if self
            .held
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, take)
            .is_ok()
        {
            self.barrier.wait().await;
        }
        self.log.append(commit).await
    }
}

impl EventReader for RaceGate {
    async fn read_aggregate(&self, a: &AggregateRef) -> Result<Vec<RecordedEvent>, ReadError> {
        self.log.read_aggregate(a).await
    }
    async fn read_last(&self, a: &AggregateRef) -> Result<Option<RecordedEvent>, ReadError> {
        self.log.read_last(a).await
    }
    async fn read_party(
        &self,
        party: PartyCode,
        from: u64,
    ) -> Result<BoxStream<'static, Result<RecordedEvent, ReadError>>, ReadError> {
        self.log.read_party(party, from).await
    }
    async fn aggregate_ids(
        &self,
        party: PartyCode,
        t: &AggregateType,
    ) -> Result<Vec<AggregateId>, ReadError> {
        self.log.aggregate_ids(party, t).await
    }
    async fn read_type(
        &self,
        party: PartyCode,
        t: &AggregateType,
    ) -> Result<BoxStream<'static, Result<RecordedEvent, ReadError>>, ReadError> {
        self.log.read_type(party, t).await
    }
    async fn follow_party(
        &self,
        party: PartyCode,
        from: u64,
    ) -> Result<BoxStream<'static, Result<RecordedEvent, ReadError>>, ReadError> {
        self.log.follow_party(party, from).await
    }
    async fn head(&self, party: PartyCode) -> Result<u64, ReadError> {
        self.log.head(party).await
    }
    async fn extent(&self, party: PartyCode) -> Result<ecites_events::StreamExtent, ReadError> {
        self.log.extent(party).await
    }
}
