//! What the auditor checks with the Merkle tree (issue #12): it rebuilds the tree from the
//! events it reads, in stream order, and holds it against every tree head the stream records
//! and against a tree head from outside (one an auditor keeps, one a witness co-signed): a cut
//! export, a lost tail or a rewritten event no longer verifies against a head that covered it.

use crate::audit::FailureReason;
use crate::keyring::PublicKeys;
use crate::log::RecordedEvent;
use crate::merkle::MemoryTree;
use crate::payloads::tree::TreeHeadSigned;
use crate::schema::EventPayload;
use crate::tree_head::SignedTreeHead;

/// The tree rebuilt from the events pushed, and the heads to hold it against.
pub struct TreeCheck {
    /// Every complete aligned block is kept, so the root at any size read so far is at hand.
    tree: MemoryTree,
    /// The tree heads the stream itself records, with the sequence they are recorded at.
    recorded: Vec<(u64, SignedTreeHead)>,
    /// A head from outside the stream (`--checkpoint`, the latest witnessed one).
    given: Option<SignedTreeHead>,
    in_order: bool,
}

impl TreeCheck {
    pub fn new(given: Option<SignedTreeHead>) -> Self {
        Self {
            tree: MemoryTree::default(),
            recorded: vec![],
            given,
            in_order: true,
        }
    }

    pub fn push(&mut self, ev: &RecordedEvent) {
        // The tree's leaves are the stream's sequences: a gap or a reordering makes every
        // later root differ, which the head comparison then reports.
        self.in_order &= ev.sequence == self.tree.size + 1;
        if let Some(head) = recorded_head(ev) {
            self.recorded.push((ev.sequence, head));
        }
        self.tree.push(&ev.hash().0);
    }

    /// Whether the first `size` events read hash to `head`'s root.
    fn matches(&self, head: &SignedTreeHead) -> bool {
        self.in_order
            && self.tree.root_at(head.size).is_some()
            && self.tree.root_at(head.size) == head.root_hash().ok()
    }

    /// What the heads say of the events pushed, by stream sequence.
    pub fn finish(self, keys: &PublicKeys) -> Vec<(u64, FailureReason)> {
        let mut out = vec![];
        for (sequence, head) in &self.recorded {
            if let Err(e) = head.verify(keys) {
                out.push((*sequence, FailureReason::TreeHeadInvalid(e.to_string())));
            } else if head.size >= *sequence || !self.matches(head) {
                // A head recorded at sequence s covers only the events before it.
                out.push((
                    *sequence,
                    FailureReason::TreeHeadMismatch {
                        size: head.size,
                        source: "a tree head the log records",
                    },
                ));
            }
        }
        let Some(head) = &self.given else {
            return out;
        };
        if let Err(e) = head.verify(keys) {
            out.push((0, FailureReason::TreeHeadInvalid(e.to_string())));
        } else if self.tree.size < head.size {
            let first = self.tree.size + 1;
            let (last, size) = (head.size, head.size);
            out.push((first, FailureReason::TreeHeadMissing { first, last, size }));
        } else if !self.matches(head) {
            out.push((
                head.size,
                FailureReason::TreeHeadMismatch {
                    size: head.size,
                    source: "the tree head given",
                },
            ));
        }
        out
    }
}

/// The tree head an event of the `tree_head` aggregate records, if it is one.
fn recorded_head(ev: &RecordedEvent) -> Option<SignedTreeHead> {
    let token = ev.subject.split('.').nth(2)?;
    if token != TreeHeadSigned::AGGREGATE {
        return None;
    }
    let envelope = ev.envelope().ok()?;
    if envelope.event_type != TreeHeadSigned::EVENT_TYPE {
        return None;
    }
    serde_json::from_str::<TreeHeadSigned>(envelope.payload.get())
        .ok()
        .map(|t| t.head)
}
