//! The Merkle tree over a Party's stream (RFC 9162 §2.1): leaf `i` is the event at stream
//! sequence `i + 1`, hashed as `SHA-256(0x00 ‖ event hash)`; an interior node is
//! `SHA-256(0x01 ‖ left ‖ right)`. A signed tree head commits to every event up to its size, so
//! a missing tail, a cut export or a rewritten event shows, which per-aggregate chains cannot.
//!
//! Every left subtree of RFC 9162's recursion is a complete, aligned block of `2^k` leaves, so
//! a store that keeps the hash of each complete aligned block ([`NodeId`]) answers any root,
//! inclusion proof or consistency proof with O(log² n) node reads. [`plan`] lists the nodes a
//! computation reads, so that a store can fetch them in one query before computing.

use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

pub type Hash = [u8; 32];

/// A complete aligned block of `2^level` leaves starting at leaf `index << level`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId {
    pub level: u32,
    pub index: u64,
}

pub fn leaf_hash(event_hash: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(event_hash);
    h.finalize().into()
}

pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// A hash written as 64 hex digits (roots and proofs travel so), if it is one.
pub fn parse_hash(hex_text: &str) -> Option<Hash> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(hex_text, &mut out).ok().map(|()| out)
}

/// Every hash of a list, or `None` if one is not 64 hex digits.
pub fn parse_hashes<S: AsRef<str>>(hex_list: &[S]) -> Option<Vec<Hash>> {
    hex_list.iter().map(|h| parse_hash(h.as_ref())).collect()
}

/// The root of the empty tree: SHA-256 of nothing.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// The largest power of two smaller than `n` (n ≥ 2).
fn split(n: u64) -> u64 {
    1 << (63 - (n - 1).leading_zeros())
}

/// Where hashes of complete aligned blocks come from.
pub trait Nodes {
    fn node(&self, id: NodeId) -> Option<Hash>;
}

impl Nodes for BTreeMap<NodeId, Hash> {
    fn node(&self, id: NodeId) -> Option<Hash> {
        self.get(&id).copied()
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MerkleError {
    #[error("the tree has no node {0:?}: it holds fewer leaves than asked")]
    MissingNode(NodeId),
    #[error("{0}")]
    Range(String),
}

/// The node that is the complete aligned block `[start, start + len)`, if it is one.
fn aligned(start: u64, len: u64) -> Option<NodeId> {
    (len.is_power_of_two() && start.is_multiple_of(len)).then(|| NodeId {
        level: len.trailing_zeros(),
        index: start / len,
    })
}

/// MTH of leaves `[start, end)` (RFC 9162's `MTH(D[start:end])`).
fn mth(nodes: &impl Nodes, start: u64, end: u64) -> Result<Hash, MerkleError> {
    let n = end - start;
    if n == 0 {
        return Ok(empty_root());
    }
    if let Some(id) = aligned(start, n) {
        return nodes.node(id).ok_or(MerkleError::MissingNode(id));
    }
    let k = split(n);
    Ok(node_hash(
        &mth(nodes, start, start + k)?,
        &mth(nodes, start + k, end)?,
    ))
}

/// The root of the tree of the first `size` leaves.
pub fn root(nodes: &impl Nodes, size: u64) -> Result<Hash, MerkleError> {
    mth(nodes, 0, size)
}

/// The audit path of leaf `index` in the tree of `size` leaves (RFC 9162 §2.1.3.1).
pub fn inclusion_proof(
    nodes: &impl Nodes,
    index: u64,
    size: u64,
) -> Result<Vec<Hash>, MerkleError> {
    if index >= size {
        return Err(MerkleError::Range(format!(
            "leaf {index} is not in a tree of {size}"
        )));
    }
    let mut out = vec![];
    path(nodes, index, 0, size, &mut out)?;
    Ok(out)
}

fn path(
    nodes: &impl Nodes,
    m: u64,
    start: u64,
    end: u64,
    out: &mut Vec<Hash>,
) -> Result<(), MerkleError> {
    let n = end - start;
    if n <= 1 {
        return Ok(());
    }
    let k = split(n);
    if m < k {
        path(nodes, m, start, start + k, out)?;
        out.push(mth(nodes, start + k, end)?);
    } else {
        path(nodes, m - k, start + k, end, out)?;
        out.push(mth(nodes, start, start + k)?);
    }
    Ok(())
}

/// The consistency proof from the tree of `old` leaves to that of `new` (RFC 9162 §2.1.4.1).
pub fn consistency_proof(nodes: &impl Nodes, old: u64, new: u64) -> Result<Vec<Hash>, MerkleError> {
    if old > new {
        return Err(MerkleError::Range(format!(
            "a tree of {old} does not grow into one of {new}"
        )));
    }
    let mut out = vec![];
    if old > 0 && old < new {
        subproof(nodes, old, 0, new, true, &mut out)?;
    }
    Ok(out)
}

fn subproof(
    nodes: &impl Nodes,
    m: u64,
    start: u64,
    end: u64,
    complete: bool,
    out: &mut Vec<Hash>,
) -> Result<(), MerkleError> {
    let n = end - start;
    if m == n {
        if !complete {
            out.push(mth(nodes, start, end)?);
        }
        return Ok(());
    }
    let k = split(n);
    if m <= k {
        subproof(nodes, m, start, start + k, complete, out)?;
        out.push(mth(nodes, start + k, end)?);
    } else {
        subproof(nodes, m - k, start + k, end, false, out)?;
        out.push(mth(nodes, start, start + k)?);
    }
    Ok(())
}

/// The nodes a computation reads: run it against this recorder, then fetch what it asked for.
#[derive(Default)]
pub struct Plan(std::cell::RefCell<Vec<NodeId>>);

impl Nodes for Plan {
    fn node(&self, id: NodeId) -> Option<Hash> {
        self.0.borrow_mut().push(id);
        Some([0; 32])
    }
}

impl Plan {
    pub fn nodes(self) -> Vec<NodeId> {
        let mut v = self.0.into_inner();
        v.sort();
        v.dedup();
        v
    }
}

/// The nodes that [`root`], [`inclusion_proof`] or [`consistency_proof`] with these arguments
/// read.
pub fn plan(compute: impl FnOnce(&Plan)) -> Vec<NodeId> {
    let p = Plan::default();
    compute(&p);
    p.nodes()
}

/// Whether `proof` shows leaf `index` (hash `leaf`) in the tree of `size` with `root`
/// (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(leaf: &Hash, index: u64, size: u64, proof: &[Hash], root: &Hash) -> bool {
    if index >= size {
        return false;
    }
    let (mut f_n, mut s_n) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if s_n == 0 {
            return false;
        }
        if f_n & 1 == 1 || f_n == s_n {
            r = node_hash(p, &r);
            if f_n & 1 == 0 {
                while f_n & 1 == 0 && f_n != 0 {
                    f_n >>= 1;
                    s_n >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    s_n == 0 && r == *root
}

/// Whether `proof` shows the tree of `old` leaves (`old_root`) to be a prefix of the tree of
/// `new` (`new_root`) (RFC 9162 §2.1.4.2).
pub fn verify_consistency(
    old: u64,
    new: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> bool {
    if old > new {
        return false;
    }
    if old == new {
        return proof.is_empty() && old_root == new_root;
    }
    if old == 0 {
        return proof.is_empty();
    }
    let mut proof = proof.to_vec();
    if old.is_power_of_two() {
        proof.insert(0, *old_root);
    }
    let Some((first, rest)) = proof.split_first() else {
        return false;
    };
    let (mut f_n, mut s_n) = (old - 1, new - 1);
    while f_n & 1 == 1 {
        f_n >>= 1;
        s_n >>= 1;
    }
    let (mut f_r, mut s_r) = (*first, *first);
    for c in rest {
        if s_n == 0 {
            return false;
        }
        if f_n & 1 == 1 || f_n == s_n {
            f_r = node_hash(c, &f_r);
            s_r = node_hash(c, &s_r);
            if f_n & 1 == 0 {
                while f_n & 1 == 0 && f_n != 0 {
                    f_n >>= 1;
                    s_n >>= 1;
                }
            }
        } else {
            s_r = node_hash(&s_r, c);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    s_n == 0 && f_r == *old_root && s_r == *new_root
}

/// A tree built in memory, leaf by leaf: every complete aligned block's hash, as a store keeps
/// them (tests, offline verification of an export, the tree worker's batches). Each level's
/// blocks are contiguous from its first, so they live in a vector per level: pushing a leaf
/// appends, and any root or proof up to the size is at hand.
#[derive(Clone, Debug, Default)]
pub struct MemoryTree {
    /// Level k: the blocks of `2^k` leaves from index `start`.
    levels: Vec<Level>,
    pub size: u64,
}

#[derive(Clone, Debug, Default)]
struct Level {
    start: u64,
    hashes: Vec<Hash>,
}

impl Nodes for MemoryTree {
    fn node(&self, id: NodeId) -> Option<Hash> {
        let level = self.levels.get(id.level as usize)?;
        let at = usize::try_from(id.index.checked_sub(level.start)?).ok()?;
        level.hashes.get(at).copied()
    }
}

impl MemoryTree {
    /// A tree of `size` leaves continued from the nodes on its right edge (the frontier a
    /// store holds), so that pushing more leaves completes the right blocks.
    pub fn continuing(size: u64, frontier: &BTreeMap<NodeId, Hash>) -> Self {
        let mut levels: Vec<Level> = Vec::new();
        for (id, h) in frontier {
            let k = id.level as usize;
            if levels.len() <= k {
                levels.resize_with(k + 1, Level::default);
            }
            let l = &mut levels[k];
            if l.hashes.is_empty() {
                l.start = id.index;
            }
            l.hashes.push(*h);
        }
        Self { levels, size }
    }

    fn insert(&mut self, id: NodeId, h: Hash) {
        let k = id.level as usize;
        if self.levels.len() <= k {
            self.levels.resize_with(k + 1, || Level {
                start: id.index,
                hashes: vec![],
            });
        }
        let l = &mut self.levels[k];
        if l.hashes.is_empty() {
            l.start = id.index;
        }
        // Blocks complete left to right: each is the next of its level.
        debug_assert_eq!(l.start + l.hashes.len() as u64, id.index);
        l.hashes.push(h);
    }

    /// Appends a leaf; returns the nodes it completed (the leaf first, then its parents).
    pub fn push(&mut self, event_hash: &Hash) -> Vec<(NodeId, Hash)> {
        let mut id = NodeId {
            level: 0,
            index: self.size,
        };
        let mut h = leaf_hash(event_hash);
        let mut made = vec![(id, h)];
        self.insert(id, h);
        while id.index & 1 == 1 {
            let left = NodeId {
                level: id.level,
                index: id.index - 1,
            };
            let Some(l) = self.node(left) else {
                break;
            };
            h = node_hash(&l, &h);
            id = NodeId {
                level: id.level + 1,
                index: id.index >> 1,
            };
            self.insert(id, h);
            made.push((id, h));
        }
        self.size += 1;
        made
    }

    pub fn root(&self) -> Hash {
        root(self, self.size).unwrap_or_else(|_| empty_root())
    }

    /// The root of the first `size` leaves, for any size up to the tree's.
    pub fn root_at(&self, size: u64) -> Option<Hash> {
        (size <= self.size).then(|| root(self, size).ok()).flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(n: u64) -> MemoryTree {
        let mut t = MemoryTree::default();
        for i in 0..n {
            let mut e = [0u8; 32];
            e[..8].copy_from_slice(&i.to_be_bytes());
            t.push(&e);
        }
        t
    }

    /// RFC 9162's MTH written the slow, obvious way, to check the stored-node one against.
    fn reference_root(leaves: &[Hash]) -> Hash {
        match leaves.len() {
            0 => empty_root(),
            1 => leaves[0],
            n => {
                let k = split(n as u64) as usize;
                node_hash(&reference_root(&leaves[..k]), &reference_root(&leaves[k..]))
            }
        }
    }

    #[test]
    fn roots_equal_the_definition() {
        let t = tree(70);
        let leaves: Vec<Hash> = (0..70)
            .map(|i| t.node(NodeId { level: 0, index: i }).unwrap())
            .collect();
        for n in 0..=70u64 {
            assert_eq!(
                root(&t, n).unwrap(),
                reference_root(&leaves[..n as usize]),
                "{n}"
            );
        }
        assert_eq!(empty_root(), reference_root(&[]));
    }

    #[test]
    fn every_inclusion_proof_verifies_and_a_wrong_one_does_not() {
        let t = tree(37);
        for size in 1..=37u64 {
            let r = root(&t, size).unwrap();
            for i in 0..size {
                let leaf = t.node(NodeId { level: 0, index: i }).unwrap();
                let p = inclusion_proof(&t, i, size).unwrap();
                assert!(verify_inclusion(&leaf, i, size, &p, &r), "{i} in {size}");
                assert!(!verify_inclusion(&[7; 32], i, size, &p, &r));
                if size > 1 {
                    assert!(!verify_inclusion(&leaf, (i + 1) % size, size, &p, &r) || p.is_empty());
                }
            }
        }
    }

    #[test]
    fn every_consistency_proof_verifies_and_a_forked_tree_does_not() {
        let t = tree(33);
        let mut forked = tree(20);
        forked.push(&[9; 32]);
        for old in 0..=33u64 {
            for new in old..=33u64 {
                let p = consistency_proof(&t, old, new).unwrap();
                let (ro, rn) = (root(&t, old).unwrap(), root(&t, new).unwrap());
                assert!(verify_consistency(old, new, &ro, &rn, &p), "{old} → {new}");
                if old > 0 && old < new {
                    assert!(
                        !verify_consistency(old, new, &[1; 32], &rn, &p),
                        "{old} → {new}"
                    );
                }
            }
        }
        // A tree of 21 that differs in its last leaf is not consistent with the real one.
        let p = consistency_proof(&t, 21, 33).unwrap();
        assert!(!verify_consistency(
            21,
            33,
            &forked.root(),
            &root(&t, 33).unwrap(),
            &p
        ));
    }

    #[test]
    fn a_plan_names_the_nodes_a_proof_reads() {
        let t = tree(1000);
        let needed = plan(|p| {
            let _ = consistency_proof(p, 300, 1000);
        });
        let only: BTreeMap<NodeId, Hash> = needed
            .iter()
            .map(|id| (*id, t.node(*id).unwrap()))
            .collect();
        assert_eq!(
            consistency_proof(&only, 300, 1000).unwrap(),
            consistency_proof(&t, 300, 1000).unwrap()
        );
        assert!(needed.len() < 40, "{}", needed.len());
        assert!(matches!(root(&t, 1001), Err(MerkleError::MissingNode(_))));
    }
}
