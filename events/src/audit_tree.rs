//! What the auditor checks with the Merkle tree (issue #12): it rebuilds the tree from the
//! events it reads, in stream order, and holds it against every tree head the stream records
//! and against a tree head from outside (one an auditor keeps, one a witness co-signed): a cut
//! export, a lost tail or a rewritten event no longer verifies against a head that covered it.

use crate::keyring::PublicKeys;
use crate::log::RecordedEvent;
use crate::merkle::{self, MemoryTree};
use crate::payloads::tree::TreeHeadSigned;
use crate::tree_head::SignedTreeHead;

/// A problem the tree found, for the auditor to report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TreeFinding {
    /// The given tree head does not verify.
    Invalid(String),
    /// The events read end before the head's size: these sequences are missing.
    Missing { first: u64, last: u64, size: u64 },
    /// The events 1..=size read do not hash to the head's root.
    Mismatch { size: u64, source: &'static str },
}

/// The tree rebuilt from the events pushed, and the heads to hold it against.
pub struct TreeCheck {
    tree: MemoryTree,
    /// The tree heads the stream itself records, with the sequence they are recorded at.
    recorded: Vec<(u64, SignedTreeHead)>,
    /// A head from outside the stream (`--checkpoint`, the latest witnessed one).
    given: Option<SignedTreeHead>,
    /// The root at each size a head asks about, taken as the tree passes it.
    roots: Vec<(u64, merkle::Hash)>,
    wanted: Vec<u64>,
    in_order: bool,
}

impl TreeCheck {
    pub fn new(given: Option<SignedTreeHead>) -> Self {
        let wanted = given.iter().map(|h| h.size).collect();
        Self {
            tree: MemoryTree::default(),
            recorded: vec![],
            given,
            roots: vec![],
            wanted,
            in_order: true,
        }
    }

    pub fn push(&mut self, ev: &RecordedEvent) {
        // The tree's leaves are the stream's sequences: a gap or a reordering makes every
        // later root differ, which the head comparison then reports.
        self.in_order &= ev.sequence == self.tree.size + 1;
        let head = ev
            .subject
            .contains(".tree_head.")
            .then(|| recorded_head(ev))
            .flatten();
        // A head covers the events before it, usually all of them: the root it names is the
        // tree's before this event joins it.
        if let Some(head) = &head {
            if head.size == self.tree.size && !self.wanted.contains(&head.size) {
                self.roots.push((head.size, self.tree.root()));
            }
        }
        self.tree.push(&ev.hash().0);
        if self.wanted.contains(&self.tree.size) {
            self.roots.push((self.tree.size, self.tree.root()));
        }
        if let Some(head) = head {
            self.wanted.push(head.size);
            self.recorded.push((ev.sequence, head));
        }
    }

    fn root_at(&self, size: u64) -> Option<merkle::Hash> {
        if size == self.tree.size {
            return Some(self.tree.root());
        }
        self.roots.iter().find(|(s, _)| *s == size).map(|(_, r)| *r)
    }

    /// What the heads say of the events pushed.
    pub fn finish(self, keys: &PublicKeys) -> Vec<(u64, TreeFinding)> {
        let mut out = vec![];
        for (sequence, head) in &self.recorded {
            if let Err(e) = head.verify(keys) {
                out.push((*sequence, TreeFinding::Invalid(e.to_string())));
                continue;
            }
            // A head recorded at sequence s covers only events before it.
            if head.size < *sequence
                && self
                    .root_at(head.size)
                    .is_some_and(|r| Some(r) != head.root_hash().ok())
            {
                out.push((
                    *sequence,
                    TreeFinding::Mismatch {
                        size: head.size,
                        source: "a tree head the log records",
                    },
                ));
            }
        }
        let Some(head) = self.given.as_ref().or(self.recorded.last().map(|(_, h)| h)) else {
            return out;
        };
        if let Err(e) = head.verify(keys) {
            out.push((0, TreeFinding::Invalid(e.to_string())));
            return out;
        }
        let source = if self.given.is_some() {
            "the tree head given"
        } else {
            "the last tree head the log records"
        };
        if self.tree.size < head.size {
            let first = self.tree.size + 1;
            out.push((
                first,
                TreeFinding::Missing {
                    first,
                    last: head.size,
                    size: head.size,
                },
            ));
        } else if self.root_at(head.size) != head.root_hash().ok() || !self.in_order {
            out.push((
                head.size,
                TreeFinding::Mismatch {
                    size: head.size,
                    source,
                },
            ));
        }
        out
    }
}

/// The tree head an event of the `tree_head` aggregate records, if it is one.
fn recorded_head(ev: &RecordedEvent) -> Option<SignedTreeHead> {
    let envelope = ev.envelope().ok()?;
    if envelope.event_type != "TreeHeadSigned" {
        return None;
    }
    serde_json::from_str::<TreeHeadSigned>(envelope.payload.get())
        .ok()
        .map(|t| t.head)
}
