//! The tree projection (issue #12): the Merkle tree over each Party's stream, kept as the hash
//! of every complete aligned block of leaves (`ecites_tree.nodes`), the tree heads the log
//! records, and the witnesses' co-signatures; and the reads that answer roots and proofs from
//! it (each a plan of the nodes it needs, fetched in one query).

use crate::ProjectionError;
use ecites_events::audit::VerifiedEvent;
use ecites_events::merkle::{self, Hash, MemoryTree, NodeId, Nodes};
use ecites_events::payloads::tree::TreeHeadSigned;
use ecites_events::schema::{EventPayload, Upcasters};
use ecites_events::tree_head::{Cosignature, SignedTreeHead};
use ecites_events::PartyCode;
use sqlx::{PgConnection, PgPool};
use std::collections::BTreeMap;

/// The nodes that hold the tree of `size` leaves together on its right edge: a new leaf's
/// parents need only them.
fn frontier(size: u64) -> Vec<NodeId> {
    (0..64)
        .filter(|level| size >> level & 1 == 1)
        .map(|level| NodeId {
            level,
            index: (size >> level) - 1,
        })
        .collect()
}

async fn fetch(
    conn: &mut PgConnection,
    party: &str,
    ids: &[NodeId],
) -> Result<BTreeMap<NodeId, Hash>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(BTreeMap::new());
    }
    let levels: Vec<i32> = ids.iter().map(|i| i.level as i32).collect();
    let indexes: Vec<i64> = ids.iter().map(|i| i.index as i64).collect();
    let rows: Vec<(i32, i64, Vec<u8>)> = sqlx::query_as(
        "SELECT n.level, n.idx, n.hash FROM nodes n \
         JOIN unnest($2::int[], $3::bigint[]) AS w(level, idx) ON n.level = w.level AND n.idx = w.idx \
         WHERE n.party = $1",
    )
    .bind(party)
    .bind(&levels)
    .bind(&indexes)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(level, idx, hash)| {
            let hash: Hash = hash.try_into().ok()?;
            Some((
                NodeId {
                    level: level as u32,
                    index: idx as u64,
                },
                hash,
            ))
        })
        .collect())
}

/// Adds the batch's events as leaves (in stream order, after the checkpoint), every block they
/// complete, the batch's tree heads, and how far the content (not tree heads) reaches.
pub async fn apply(
    tx: &mut PgConnection,
    events: &[VerifiedEvent],
    up: &Upcasters,
) -> Result<(), ProjectionError> {
    let Some(first) = events.first() else {
        return Ok(());
    };
    let party = first.envelope.party.to_string();
    let before = first.sequence - 1;
    let mut tree = MemoryTree::continuing(before, &fetch(tx, &party, &frontier(before)).await?);
    let mut made: Vec<(NodeId, Hash)> = vec![];
    for ev in events {
        made.extend(tree.push(&ev.hash.0));
    }
    let levels: Vec<i32> = made.iter().map(|(n, _)| n.level as i32).collect();
    let indexes: Vec<i64> = made.iter().map(|(n, _)| n.index as i64).collect();
    let hashes: Vec<Vec<u8>> = made.iter().map(|(_, h)| h.to_vec()).collect();
    sqlx::query(
        "INSERT INTO nodes SELECT $1, l, i, h FROM unnest($2::int[], $3::bigint[], $4::bytea[]) AS t(l, i, h) \
         ON CONFLICT DO NOTHING",
    )
    .bind(&party)
    .bind(&levels)
    .bind(&indexes)
    .bind(&hashes)
    .execute(&mut *tx)
    .await?;
    let content = events
        .iter()
        .filter(|e| e.envelope.aggregate_type.as_str() != TreeHeadSigned::AGGREGATE)
        .map(|e| e.sequence)
        .max();
    if let Some(c) = content {
        sqlx::query(
            "INSERT INTO contents VALUES ($1, $2) ON CONFLICT (party) \
             DO UPDATE SET content_size = GREATEST(contents.content_size, EXCLUDED.content_size)",
        )
        .bind(&party)
        .bind(c as i64)
        .execute(&mut *tx)
        .await?;
    }
    for ev in events
        .iter()
        .filter(|e| e.envelope.event_type == TreeHeadSigned::EVENT_TYPE)
    {
        let h: TreeHeadSigned = ev.decode(up).map_err(|e| ProjectionError::Event {
            sequence: ev.sequence,
            event_type: ev.envelope.event_type.clone(),
            reason: e.to_string(),
        })?;
        let h = h.head;
        sqlx::query("INSERT INTO tree_heads VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT DO NOTHING")
            .bind(&party)
            .bind(h.size as i64)
            .bind(&h.root)
            .bind(h.timestamp)
            .bind(&h.key_id)
            .bind(&h.signature)
            .bind(ev.sequence as i64)
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

/// Nodes read from the tree's tables for one computation.
struct Fetched(BTreeMap<NodeId, Hash>);

impl Nodes for Fetched {
    fn node(&self, id: NodeId) -> Option<Hash> {
        self.0.get(&id).copied()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TreeError {
    #[error("{0}")]
    Merkle(#[from] merkle::MerkleError),
    #[error("the tree of {party} has {have} leaves, not {asked}")]
    TooSmall {
        party: PartyCode,
        have: u64,
        asked: u64,
    },
    #[error("PostgreSQL: {0}")]
    Sql(#[from] sqlx::Error),
}

/// The tree's reads, on a pool whose search path is the tree's schema.
#[derive(Clone)]
pub struct TreeReader {
    pub pool: PgPool,
}

impl TreeReader {
    /// How many leaves the tree holds (its checkpoint).
    pub async fn size(&self, party: PartyCode) -> Result<u64, TreeError> {
        crate::batch::checkpoint(&self.pool, party)
            .await
            .map_err(|e| match e {
                ProjectionError::Sql(s) => TreeError::Sql(s),
                other => TreeError::Sql(sqlx::Error::Protocol(other.to_string())),
            })
    }

    /// The last sequence that is not a tree head.
    pub async fn content_size(&self, party: PartyCode) -> Result<u64, TreeError> {
        let c: Option<i64> =
            sqlx::query_scalar("SELECT content_size FROM contents WHERE party = $1")
                .bind(party.as_str())
                .fetch_optional(&self.pool)
                .await?;
        Ok(c.unwrap_or(0) as u64)
    }

    async fn compute<T>(
        &self,
        party: PartyCode,
        within: u64,
        run: impl Fn(&dyn NodesDyn) -> Result<T, merkle::MerkleError>,
    ) -> Result<T, TreeError> {
        let have = self.size(party).await?;
        if within > have {
            return Err(TreeError::TooSmall {
                party,
                have,
                asked: within,
            });
        }
        let needed = merkle::plan(|p| {
            let _ = run(p);
        });
        let mut conn = self.pool.acquire().await?;
        let nodes = Fetched(fetch(&mut conn, party.as_str(), &needed).await?);
        Ok(run(&nodes)?)
    }

    pub async fn root(&self, party: PartyCode, size: u64) -> Result<Hash, TreeError> {
        self.compute(party, size, |n| merkle::root(&Dyn(n), size))
            .await
    }

    /// The audit path of the event at `sequence` in the tree of `size`.
    pub async fn inclusion(
        &self,
        party: PartyCode,
        sequence: u64,
        size: u64,
    ) -> Result<(Hash, Vec<Hash>), TreeError> {
        let index = sequence.saturating_sub(1);
        self.compute(party, size, |n| {
            let leaf = Dyn(n)
                .node(NodeId { level: 0, index })
                .ok_or(merkle::MerkleError::MissingNode(NodeId { level: 0, index }))?;
            Ok((leaf, merkle::inclusion_proof(&Dyn(n), index, size)?))
        })
        .await
    }

    pub async fn consistency(
        &self,
        party: PartyCode,
        from: u64,
        to: u64,
    ) -> Result<Vec<Hash>, TreeError> {
        self.compute(party, to, |n| merkle::consistency_proof(&Dyn(n), from, to))
            .await
    }

    /// The latest tree head the log recorded, or the one of `size`.
    pub async fn head(
        &self,
        party: PartyCode,
        size: Option<u64>,
    ) -> Result<Option<SignedTreeHead>, TreeError> {
        let row: Option<(i64, String, time::OffsetDateTime, String, String)> = match size {
            Some(s) => sqlx::query_as(
                "SELECT size, root, signed_at, key_id, signature FROM tree_heads WHERE party = $1 AND size = $2",
            )
            .bind(party.as_str())
            .bind(s as i64)
            .fetch_optional(&self.pool)
            .await?,
            None => sqlx::query_as(
                "SELECT size, root, signed_at, key_id, signature FROM tree_heads WHERE party = $1 ORDER BY size DESC LIMIT 1",
            )
            .bind(party.as_str())
            .fetch_optional(&self.pool)
            .await?,
        };
        Ok(row.map(
            |(size, root, timestamp, key_id, signature)| SignedTreeHead {
                party,
                size: size as u64,
                root,
                timestamp,
                key_id,
                signature,
            },
        ))
    }

    pub async fn cosignatures(
        &self,
        party: PartyCode,
        size: u64,
    ) -> Result<Vec<Cosignature>, TreeError> {
        let rows: Vec<(String, String, time::OffsetDateTime, String)> = sqlx::query_as(
            "SELECT witness, public_key, signed_at, signature FROM cosignatures WHERE party = $1 AND size = $2 ORDER BY witness",
        )
        .bind(party.as_str())
        .bind(size as i64)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(witness, public_key, timestamp, signature)| Cosignature {
                witness,
                public_key,
                timestamp,
                signature,
            })
            .collect())
    }

    /// The largest tree head a witness co-signed.
    pub async fn latest_witnessed(
        &self,
        party: PartyCode,
    ) -> Result<Option<(SignedTreeHead, Vec<Cosignature>)>, TreeError> {
        let size: Option<i64> =
            sqlx::query_scalar("SELECT max(size) FROM cosignatures WHERE party = $1")
                .bind(party.as_str())
                .fetch_one(&self.pool)
                .await?;
        let Some(size) = size else { return Ok(None) };
        let Some(head) = self.head(party, Some(size as u64)).await? else {
            return Ok(None);
        };
        let cos = self.cosignatures(party, size as u64).await?;
        Ok(Some((head, cos)))
    }

    pub async fn record_cosignature(
        &self,
        head: &SignedTreeHead,
        c: &Cosignature,
    ) -> Result<(), TreeError> {
        sqlx::query("INSERT INTO cosignatures VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT DO NOTHING")
            .bind(head.party.as_str())
            .bind(head.size as i64)
            .bind(&c.witness)
            .bind(&c.public_key)
            .bind(c.timestamp)
            .bind(&c.signature)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn record_refusal(
        &self,
        head: &SignedTreeHead,
        witness: &str,
        reason: &str,
    ) -> Result<(), TreeError> {
        sqlx::query(
            "INSERT INTO witness_refusals VALUES ($1,$2,$3,$4,now()) ON CONFLICT DO NOTHING",
        )
        .bind(head.party.as_str())
        .bind(witness)
        .bind(head.size as i64)
        .bind(reason)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

/// The computations take any [`Nodes`]; a trait object so one closure serves the plan and the
/// fetched nodes.
pub trait NodesDyn {
    fn get(&self, id: NodeId) -> Option<Hash>;
}

impl<T: Nodes> NodesDyn for T {
    fn get(&self, id: NodeId) -> Option<Hash> {
        self.node(id)
    }
}

struct Dyn<'a>(&'a dyn NodesDyn);

impl Nodes for Dyn<'_> {
    fn node(&self, id: NodeId) -> Option<Hash> {
        self.0.get(id)
    }
}
