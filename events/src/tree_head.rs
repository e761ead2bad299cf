//! Signed tree heads: a Party's commitment to every event of its stream up to a size (the root
//! of the Merkle tree of [`crate::merkle`]), signed with the Party's key over a canonical text
//! so that a tree head verifies on its own (in a file an auditor keeps, at a witness), and
//! co-signed by witnesses that checked it is consistent with the last one they saw.

use crate::hash::EventHash;
use crate::keyring::{KeyId, PublicKeys, Signer};
use crate::merkle::Hash;
use crate::party::PartyCode;
use base64::{engine::general_purpose::STANDARD as B64, Engine};
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier, VerifyingKey};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// A tree head as signed: Party, size, root, time, the key and the signature.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SignedTreeHead {
    pub party: PartyCode,
    /// Leaves: the events at stream sequences 1..=size.
    pub size: u64,
    /// Hex of the RFC 9162 root.
    pub root: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "String")]
    pub timestamp: OffsetDateTime,
    pub key_id: String,
    /// Base64 ed25519 signature of SHA-256 of [`SignedTreeHead::canonical`].
    pub signature: String,
}

/// A witness's co-signature of a tree head.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Cosignature {
    /// The witness's name, as the deployment configures it.
    pub witness: String,
    /// Base64 of the witness's ed25519 public key.
    pub public_key: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "String")]
    pub timestamp: OffsetDateTime,
    /// Base64 ed25519 signature of SHA-256 of [`Cosignature::canonical`].
    pub signature: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TreeHeadError {
    #[error("the tree head's key {0} is not among the Party's public keys")]
    UnknownKey(String),
    #[error("the tree head is signed with a key of {key_party}, not of {party}")]
    OtherParty {
        party: PartyCode,
        key_party: PartyCode,
    },
    #[error("the tree head's signature does not match its Party, size, root and time")]
    BadSignature,
    #[error("the tree head's root is not 64 hex digits")]
    BadRoot,
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

impl SignedTreeHead {
    /// The text the Party signs: one field per line, nothing else.
    pub fn canonical(party: PartyCode, size: u64, root: &str, timestamp: OffsetDateTime) -> String {
        format!(
            "ecites tree head v1\n{party}\n{size}\n{root}\n{}\n",
            rfc3339(timestamp)
        )
    }

    /// A tree head of `size` leaves with `root`, signed now with `signer`. The time is kept to
    /// the second, so that its text reads back the same.
    pub fn sign(signer: &Signer, size: u64, root: &Hash, now: OffsetDateTime) -> Self {
        let timestamp = now.replace_nanosecond(0).unwrap_or(now);
        let root = hex::encode(root);
        let text = Self::canonical(signer.party, size, &root, timestamp);
        let signature = signer.sign(&EventHash::of(text.as_bytes()));
        Self {
            party: signer.party,
            size,
            root,
            timestamp,
            key_id: signer.key_id.0.clone(),
            signature: B64.encode(signature.to_bytes()),
        }
    }

    pub fn root_hash(&self) -> Result<Hash, TreeHeadError> {
        crate::merkle::parse_hash(&self.root).ok_or(TreeHeadError::BadRoot)
    }

    fn text(&self) -> String {
        Self::canonical(self.party, self.size, &self.root, self.timestamp)
    }

    /// Checks the signature with the Party's public keys (a retired key still verifies what it
    /// signed before it was retired).
    pub fn verify(&self, keys: &PublicKeys) -> Result<(), TreeHeadError> {
        self.root_hash()?;
        let (key_party, entry, key) = keys
            .get(&KeyId(self.key_id.clone()))
            .ok_or_else(|| TreeHeadError::UnknownKey(self.key_id.clone()))?;
        if key_party != self.party {
            return Err(TreeHeadError::OtherParty {
                party: self.party,
                key_party,
            });
        }
        if entry.retired_at.is_some_and(|r| self.timestamp > r) {
            return Err(TreeHeadError::BadSignature);
        }
        verify_text(key, &self.text(), &self.signature)
    }
}

fn verify_text(key: &VerifyingKey, text: &str, signature: &str) -> Result<(), TreeHeadError> {
    let bytes: [u8; 64] = B64
        .decode(signature)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or(TreeHeadError::BadSignature)?;
    key.verify(
        &EventHash::of(text.as_bytes()).0,
        &Signature::from_bytes(&bytes),
    )
    .map_err(|_| TreeHeadError::BadSignature)
}

impl Cosignature {
    /// What a witness signs: the tree head's own text, then the witness and its time.
    pub fn canonical(head: &SignedTreeHead, witness: &str, timestamp: OffsetDateTime) -> String {
        format!(
            "ecites witness cosignature v1\n{witness}\n{}\n{}",
            rfc3339(timestamp),
            head.text()
        )
    }

    pub fn sign(
        key: &SigningKey,
        witness: &str,
        head: &SignedTreeHead,
        now: OffsetDateTime,
    ) -> Self {
        let timestamp = now.replace_nanosecond(0).unwrap_or(now);
        let text = Self::canonical(head, witness, timestamp);
        let signature = key.sign(&EventHash::of(text.as_bytes()).0);
        Self {
            witness: witness.into(),
            public_key: B64.encode(key.verifying_key().to_bytes()),
            timestamp,
            signature: B64.encode(signature.to_bytes()),
        }
    }

    /// Checks the co-signature against the witness's own public key.
    pub fn verify(&self, head: &SignedTreeHead) -> Result<(), TreeHeadError> {
        let key: [u8; 32] = B64
            .decode(&self.public_key)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or(TreeHeadError::BadSignature)?;
        let key = VerifyingKey::from_bytes(&key).map_err(|_| TreeHeadError::BadSignature)?;
        verify_text(
            &key,
            &Self::canonical(head, &self.witness, self.timestamp),
            &self.signature,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyring::KeyringStore;

    #[test]
    fn a_tree_head_verifies_and_a_forged_one_does_not() {
        let dir = tempfile::tempdir().unwrap();
        let store = KeyringStore::new(dir.path());
        let lk: PartyCode = "LK".parse().unwrap();
        let ke: PartyCode = "KE".parse().unwrap();
        let ring = store.generate(lk).unwrap();
        let other = store.generate(ke).unwrap();
        let keys = PublicKeys::from_rings([
            &store.load_public(lk).unwrap(),
            &store.load_public(ke).unwrap(),
        ])
        .unwrap();
        let head = SignedTreeHead::sign(&ring.signer, 42, &[7; 32], OffsetDateTime::now_utc());
        assert_eq!(head.verify(&keys), Ok(()));
        let text = serde_json::to_string(&head).unwrap();
        let back: SignedTreeHead = serde_json::from_str(&text).unwrap();
        assert_eq!(back.verify(&keys), Ok(()), "{text}");
        let wrong_root = SignedTreeHead {
            root: hex::encode([8u8; 32]),
            ..head.clone()
        };
        assert_eq!(wrong_root.verify(&keys), Err(TreeHeadError::BadSignature));
        let bigger = SignedTreeHead {
            size: 43,
            ..head.clone()
        };
        assert_eq!(bigger.verify(&keys), Err(TreeHeadError::BadSignature));
        let by_ke = SignedTreeHead::sign(&other.signer, 42, &[7; 32], OffsetDateTime::now_utc());
        let claimed = SignedTreeHead { party: lk, ..by_ke };
        assert!(matches!(
            claimed.verify(&keys),
            Err(TreeHeadError::OtherParty { .. })
        ));

        let witness = SigningKey::from_bytes(&[3; 32]);
        let c = Cosignature::sign(&witness, "ngo-1", &head, OffsetDateTime::now_utc());
        assert_eq!(c.verify(&head), Ok(()));
        assert_eq!(c.verify(&bigger), Err(TreeHeadError::BadSignature));
    }
}
