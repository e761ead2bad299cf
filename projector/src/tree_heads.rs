//! The signer of tree heads (issue #12): for each Party, when something other than a tree head
//! was appended since the last tree head and either `every` events have gone by or `interval`
//! has, it computes the root of the tree projection and appends a `TreeHeadSigned` event to the
//! Party's log, signed over its canonical text with the Party's key. Then it asks the
//! deployment's witnesses to co-sign it (`crate::witness`).
//!
//! Two instances racing append at the tree head aggregate's position: one wins, the other
//! learns it from the conflict and moves on.

use crate::tree::TreeReader;
use crate::witness::Witnesses;
use ecites_events::payloads::tree::TreeHeadSigned;
use ecites_events::schema::EventPayload;
use ecites_events::tree_head::SignedTreeHead;
use ecites_events::{
    Actor, AggregateChange, AggregatePosition, AggregateRef, AppendError, Commit, EventAppender,
    EventData, EventReader, ExpectedPosition, PartyCode, Signer,
};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use time::OffsetDateTime;
use tokio::sync::watch;
use uuid::Uuid;

#[derive(Clone, Debug)]
pub struct TreeHeadConfig {
    /// A tree head at least this often while the log grows.
    pub interval: Duration,
    /// And at once after this many events.
    pub every: u64,
}

impl Default for TreeHeadConfig {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(1),
            every: 1000,
        }
    }
}

/// The aggregate of a Party's tree heads.
pub fn tree_head_ref(party: PartyCode) -> AggregateRef {
    AggregateRef::new(party, TreeHeadSigned::AGGREGATE, &party.subject_token())
        .unwrap_or_else(|_| unreachable!("a Party's code is a valid id"))
}

struct Due {
    size: u64,
    at: Instant,
}

/// Signs tree heads until `shutdown`.
pub async fn run<L: EventAppender + EventReader + 'static>(
    log: Arc<L>,
    signers: HashMap<PartyCode, Signer>,
    tree: TreeReader,
    witnesses: Witnesses,
    config: TreeHeadConfig,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut last: HashMap<PartyCode, Due> = HashMap::new();
    let tick = (config.interval / 4).max(Duration::from_millis(50));
    loop {
        for (party, signer) in &signers {
            match step(&*log, signer, &tree, &config, last.get(party)).await {
                Ok(Some(head)) => {
                    witnesses.submit(&tree, &head).await;
                    last.insert(
                        *party,
                        Due {
                            size: head.size,
                            at: Instant::now(),
                        },
                    );
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(party = %party, error = %e, "no tree head this time"),
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(tick) => {}
            _ = shutdown.changed() => if *shutdown.borrow() { return },
        }
    }
}

/// Signs and appends one tree head when one is due; the head appended.
async fn step<L: EventAppender + EventReader>(
    log: &L,
    signer: &Signer,
    tree: &TreeReader,
    config: &TreeHeadConfig,
    last: Option<&Due>,
) -> Result<Option<SignedTreeHead>, String> {
    let party = signer.party;
    let size = tree.size(party).await.map_err(|e| e.to_string())?;
    let content = tree.content_size(party).await.map_err(|e| e.to_string())?;
    let recorded = match last {
        Some(d) => d.size,
        None => tree
            .head(party, None)
            .await
            .map_err(|e| e.to_string())?
            .map_or(0, |h| h.size),
    };
    if content <= recorded || size <= recorded {
        return Ok(None);
    }
    let waited = last.is_none_or(|d| d.at.elapsed() >= config.interval);
    if !waited && size - recorded < config.every {
        return Ok(None);
    }
    let root = tree.root(party, size).await.map_err(|e| e.to_string())?;
    let head = SignedTreeHead::sign(signer, size, &root, OffsetDateTime::now_utc());
    Ok(append(log, &head).await?.then_some(head))
}

/// `false` when another instance appended a tree head first.
async fn append<L: EventAppender + EventReader>(
    log: &L,
    head: &SignedTreeHead,
) -> Result<bool, String> {
    let aggregate = tree_head_ref(head.party);
    let expected = match log.read_last(&aggregate).await.map_err(|e| e.to_string())? {
        None => ExpectedPosition::New,
        Some(ev) => {
            let envelope = ev.envelope().map_err(|e| e.to_string())?;
            ExpectedPosition::At(AggregatePosition {
                version: envelope.version,
                sequence: ev.sequence,
                hash: ev.hash(),
            })
        }
    };
    let data = EventData::from_payload(&TreeHeadSigned { head: head.clone() })
        .map_err(|e| e.to_string())?;
    let commit = Commit {
        command_id: Uuid::now_v7(),
        correlation_id: Uuid::now_v7(),
        actor: Actor {
            user_id: "tree-head-signer".into(),
            role: "system".into(),
            party: head.party,
        },
        occurred_at: OffsetDateTime::now_utc(),
        changes: vec![AggregateChange {
            aggregate,
            expected,
            events: vec![data],
        }],
    };
    match log.append(commit).await {
        Ok(_) => Ok(true),
        // Another instance signed one meanwhile: it will be in the tree at its turn.
        Err(AppendError::Conflict { .. }) => Ok(false),
        Err(e) => Err(e.to_string()),
    }
}
