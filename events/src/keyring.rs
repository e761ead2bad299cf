//! Per-Party ed25519 keyrings.
//!
//! On disk, under the configured keys directory, each Party has `<ISO2>/keyring.json` (public
//! metadata of every key it ever used) and `<ISO2>/<key id>.secret` (the 32-byte seed of the
//! active key, hex, mode 0600). Rotation writes a new active key, marks the old one retired and
//! removes its secret: a retired key can only verify. The public half is exported as JSON for
//! customs, other Parties and auditors to verify offline.

use crate::party::PartyCode;
use base64::{engine::general_purpose::STANDARD as B64, Engine};
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fmt;
use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use time::OffsetDateTime;

/// `<party lower>-<16 hex of SHA-256(public key)>`: stable, self-describing, and bound to the
/// Party so that one Party's key can never pass for another's.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct KeyId(pub String);

impl KeyId {
    fn for_key(party: PartyCode, key: &VerifyingKey) -> Self {
        let fp = Sha256::digest(key.as_bytes());
        KeyId(format!(
            "{}-{}",
            party.subject_token(),
            hex::encode(&fp[..8])
        ))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({})", self.0)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyringError {
    #[error("no keyring for Party {0} in {1}: run `ecites keys generate --party {0}`")]
    NoKeyring(PartyCode, PathBuf),
    #[error("Party {0} already has a keyring in {1}; use `ecites keys rotate`")]
    AlreadyExists(PartyCode, PathBuf),
    #[error("Party {0} has no active signing key (the secret file {1} is missing)")]
    MissingSecret(PartyCode, PathBuf),
    #[error("private key file {0} is readable by others (mode {1:o}); it must be 0600")]
    InsecurePermissions(PathBuf, u32),
    #[error("key file {0} is corrupt: {1}")]
    Corrupt(PathBuf, String),
    #[error("public key file {0}: {1}")]
    PublicKeys(PathBuf, String),
    #[error("I/O on {0}: {1}")]
    Io(PathBuf, std::io::Error),
}

/// Public metadata of one key, as kept in `keyring.json` and in public exports.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicKeyEntry {
    pub key_id: KeyId,
    pub algorithm: String,
    /// Base64 of the 32-byte ed25519 public key.
    pub public_key: String,
    #[serde(with = "time::serde::rfc3339")]
    pub activated_at: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub retired_at: Option<OffsetDateTime>,
}

impl PublicKeyEntry {
    pub fn verifying_key(&self) -> Result<VerifyingKey, String> {
        let raw = B64.decode(&self.public_key).map_err(|e| e.to_string())?;
        let arr: [u8; 32] = raw
            .try_into()
            .map_err(|_| "public key is not 32 bytes".to_string())?;
        VerifyingKey::from_bytes(&arr).map_err(|e| e.to_string())
    }
}

/// The public half of a Party's keyring: what `ecites keys export-public` writes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicKeyring {
    pub party: PartyCode,
    pub keys: Vec<PublicKeyEntry>,
}

/// A Party's active signing key. Cheap to clone; never serialised, never logged.
#[derive(Clone)]
pub struct Signer {
    pub party: PartyCode,
    pub key_id: KeyId,
    key: SigningKey,
}

impl Signer {
    pub fn sign(&self, hash: &crate::hash::EventHash) -> Signature {
        self.key.sign(&hash.0)
    }
    pub fn verifying_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }
    /// Signs a message that is not an event hash: a permit seal's COSE Sig_structure (always
    /// longer than 32 bytes, and beginning with its CBOR context, so never an event's hash).
    pub fn sign_message(&self, message: &[u8]) -> Signature {
        self.key.sign(message)
    }
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signer({}, {})", self.party, self.key_id)
    }
}

/// A rotation half done: the new key exists on disk but is not active yet.
#[derive(Debug)]
pub struct PendingRotation {
    /// The key being retired, still able to sign.
    pub old: Signer,
    /// The key that becomes active when the rotation completes.
    pub new: Signer,
}

fn public_entry(signer: &Signer) -> PublicKeyEntry {
    PublicKeyEntry {
        key_id: signer.key_id.clone(),
        algorithm: "ed25519".into(),
        public_key: B64.encode(signer.verifying_key().as_bytes()),
        activated_at: OffsetDateTime::now_utc(),
        retired_at: None,
    }
}

/// One Party's keyring loaded from disk: its signer plus every public key it ever had.
#[derive(Clone, Debug)]
pub struct PartyKeyring {
    pub signer: Signer,
    pub public: PublicKeyring,
}

/// Reads and writes keyrings under one directory.
#[derive(Clone, Debug)]
pub struct KeyringStore {
    dir: PathBuf,
}

impl KeyringStore {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    fn party_dir(&self, party: PartyCode) -> PathBuf {
        self.dir.join(party.as_str())
    }

    fn public_path(&self, party: PartyCode) -> PathBuf {
        self.party_dir(party).join("keyring.json")
    }

    fn secret_path(&self, party: PartyCode, key_id: &KeyId) -> PathBuf {
        self.party_dir(party).join(format!("{key_id}.secret"))
    }

    /// Creates a Party's first key. Refuses to overwrite an existing keyring.
    pub fn generate(&self, party: PartyCode) -> Result<PartyKeyring, KeyringError> {
        if self.public_path(party).exists() {
            return Err(KeyringError::AlreadyExists(party, self.dir.clone()));
        }
        let dir = self.party_dir(party);
        fs::create_dir_all(&dir).map_err(|e| KeyringError::Io(dir.clone(), e))?;
        let public = PublicKeyring {
            party,
            keys: vec![],
        };
        self.add_new_key(public)
    }

    /// Makes a new key active; the old one becomes verify-only and its secret is removed.
    pub fn rotate(&self, party: PartyCode) -> Result<PartyKeyring, KeyringError> {
        let pending = self.prepare_rotation(party)?;
        self.complete_rotation(pending)
    }

    /// The first half of a rotation: the new key's secret is written (0600) while the old key
    /// stays active, so that the old key can still sign the log's `SigningKeyActivated` that
    /// vouches for the new one. Nothing changes for readers of the keyring until
    /// [`complete_rotation`](Self::complete_rotation); [`abandon_rotation`](Self::abandon_rotation)
    /// removes the new secret.
    pub fn prepare_rotation(&self, party: PartyCode) -> Result<PendingRotation, KeyringError> {
        let old = self.load(party)?.signer;
        let key = SigningKey::generate(&mut rand::rngs::OsRng);
        let key_id = KeyId::for_key(party, &key.verifying_key());
        write_secret(&self.secret_path(party, &key_id), &key)?;
        Ok(PendingRotation {
            old,
            new: Signer { party, key_id, key },
        })
    }

    /// Retires every active key (verify-only from now on, secrets removed) and makes the
    /// prepared key the active one.
    pub fn complete_rotation(
        &self,
        pending: PendingRotation,
    ) -> Result<PartyKeyring, KeyringError> {
        let party = pending.new.party;
        let mut current = self.load_public(party)?;
        let now = OffsetDateTime::now_utc();
        let mut retired = vec![];
        for k in current.keys.iter_mut().filter(|k| k.retired_at.is_none()) {
            k.retired_at = Some(now);
            retired.push(k.key_id.clone());
        }
        current.keys.push(public_entry(&pending.new));
        write_json_atomically(&self.public_path(party), &current)?;
        for id in retired {
            self.remove_secret(party, &id)?;
        }
        Ok(PartyKeyring {
            signer: pending.new,
            public: current,
        })
    }

    /// Undoes [`prepare_rotation`](Self::prepare_rotation): the new secret is deleted.
    pub fn abandon_rotation(&self, pending: PendingRotation) -> Result<(), KeyringError> {
        self.remove_secret(pending.new.party, &pending.new.key_id)
    }

    fn remove_secret(&self, party: PartyCode, key_id: &KeyId) -> Result<(), KeyringError> {
        let path = self.secret_path(party, key_id);
        match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(KeyringError::Io(path, e)),
        }
    }

    fn add_new_key(&self, mut public: PublicKeyring) -> Result<PartyKeyring, KeyringError> {
        let party = public.party;
        let key = SigningKey::generate(&mut rand::rngs::OsRng);
        let key_id = KeyId::for_key(party, &key.verifying_key());
        write_secret(&self.secret_path(party, &key_id), &key)?;
        let signer = Signer { party, key_id, key };
        public.keys.push(public_entry(&signer));
        write_json_atomically(&self.public_path(party), &public)?;
        Ok(PartyKeyring { signer, public })
    }

    pub fn load_public(&self, party: PartyCode) -> Result<PublicKeyring, KeyringError> {
        let path = self.public_path(party);
        let text = match fs::read(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(KeyringError::NoKeyring(party, self.dir.clone()))
            }
            Err(e) => return Err(KeyringError::Io(path, e)),
        };
        serde_json::from_slice(&text).map_err(|e| KeyringError::Corrupt(path, e.to_string()))
    }

    /// Loads a Party's signer; refuses a secret file that others can read.
    pub fn load(&self, party: PartyCode) -> Result<PartyKeyring, KeyringError> {
        let public = self.load_public(party)?;
        let active = public
            .keys
            .iter()
            .find(|k| k.retired_at.is_none())
            .ok_or_else(|| KeyringError::MissingSecret(party, self.party_dir(party)))?;
        let path = self.secret_path(party, &active.key_id);
        let key = read_secret(&path, party)?;
        if KeyId::for_key(party, &key.verifying_key()) != active.key_id {
            return Err(KeyringError::Corrupt(
                path,
                "secret does not match the active public key".into(),
            ));
        }
        let key_id = active.key_id.clone();
        Ok(PartyKeyring {
            signer: Signer { party, key_id, key },
            public,
        })
    }

    /// Every Party that has a keyring in this directory.
    pub fn parties(&self) -> Result<Vec<PartyCode>, KeyringError> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
            Err(e) => return Err(KeyringError::Io(self.dir.clone(), e)),
        };
        let mut out: Vec<PartyCode> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().to_str()?.parse().ok())
            .filter(|p| self.public_path(*p).exists())
            .collect();
        out.sort();
        Ok(out)
    }
}

fn write_secret(path: &Path, key: &SigningKey) -> Result<(), KeyringError> {
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| KeyringError::Io(path.into(), e))?;
    f.write_all(hex::encode(key.to_bytes()).as_bytes())
        .and_then(|_| f.sync_all())
        .map_err(|e| KeyringError::Io(path.into(), e))
}

fn read_secret(path: &Path, party: PartyCode) -> Result<SigningKey, KeyringError> {
    let meta = match fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(KeyringError::MissingSecret(party, path.into()))
        }
        Err(e) => return Err(KeyringError::Io(path.into(), e)),
    };
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(KeyringError::InsecurePermissions(path.into(), mode));
    }
    let text = fs::read_to_string(path).map_err(|e| KeyringError::Io(path.into(), e))?;
    let mut seed = [0u8; 32];
    hex::decode_to_slice(text.trim(), &mut seed)
        .map_err(|_| KeyringError::Corrupt(path.into(), "not a 32-byte hex seed".into()))?;
    Ok(SigningKey::from_bytes(&seed))
}

fn write_json_atomically<T: Serialize>(path: &Path, value: &T) -> Result<(), KeyringError> {
    let tmp = path.with_extension("json.tmp");
    let text = serde_json::to_vec_pretty(value)
        .map_err(|e| KeyringError::Corrupt(path.into(), e.to_string()))?;
    fs::write(&tmp, text).map_err(|e| KeyringError::Io(tmp.clone(), e))?;
    fs::rename(&tmp, path).map_err(|e| KeyringError::Io(path.into(), e))
}

/// Verification keys of any number of Parties, by key id. Built from keyrings or from public
/// exports; this is all an offline auditor needs.
#[derive(Clone, Debug, Default)]
pub struct PublicKeys {
    keys: HashMap<KeyId, (PartyCode, PublicKeyEntry, VerifyingKey)>,
}

impl PublicKeys {
    pub fn add(&mut self, ring: &PublicKeyring) -> Result<(), String> {
        for entry in &ring.keys {
            let vk = entry
                .verifying_key()
                .map_err(|e| format!("key {}: {e}", entry.key_id))?;
            if KeyId::for_key(ring.party, &vk) != entry.key_id {
                return Err(format!(
                    "key {} does not match its public key for Party {}",
                    entry.key_id, ring.party
                ));
            }
            self.keys
                .insert(entry.key_id.clone(), (ring.party, entry.clone(), vk));
        }
        Ok(())
    }

    pub fn from_rings<'a>(
        rings: impl IntoIterator<Item = &'a PublicKeyring>,
    ) -> Result<Self, String> {
        let mut keys = Self::default();
        for r in rings {
            keys.add(r)?;
        }
        Ok(keys)
    }

    /// Reads a public export: one JSON file (a keyring or a list of them) or a directory of them.
    pub fn read_path(path: &Path) -> Result<Self, KeyringError> {
        let mut keys = Self::default();
        let files: Vec<PathBuf> = if path.is_dir() {
            let mut v: Vec<PathBuf> = fs::read_dir(path)
                .map_err(|e| KeyringError::Io(path.into(), e))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect();
            v.sort();
            v
        } else {
            vec![path.to_path_buf()]
        };
        for file in files {
            let text = fs::read(&file).map_err(|e| KeyringError::Io(file.clone(), e))?;
            let rings: Vec<PublicKeyring> = match serde_json::from_slice::<PublicKeyring>(&text) {
                Ok(r) => vec![r],
                Err(_) => serde_json::from_slice(&text)
                    .map_err(|e| KeyringError::PublicKeys(file.clone(), e.to_string()))?,
            };
            for r in &rings {
                keys.add(r)
                    .map_err(|e| KeyringError::PublicKeys(file.clone(), e))?;
            }
        }
        Ok(keys)
    }

    pub fn get(&self, key_id: &KeyId) -> Option<(PartyCode, &PublicKeyEntry, &VerifyingKey)> {
        self.keys.get(key_id).map(|(p, e, k)| (*p, e, k))
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::EventHash;
    use ed25519_dalek::Verifier;

    fn lk() -> PartyCode {
        "LK".parse().unwrap()
    }

    #[test]
    fn generate_writes_a_0600_secret_and_refuses_to_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let store = KeyringStore::new(dir.path());
        let ring = store.generate(lk()).unwrap();
        let secret = dir
            .path()
            .join("LK")
            .join(format!("{}.secret", ring.signer.key_id));
        let mode = fs::metadata(&secret).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert!(matches!(
            store.generate(lk()),
            Err(KeyringError::AlreadyExists(..))
        ));
        assert_eq!(store.load(lk()).unwrap().signer.key_id, ring.signer.key_id);
    }

    #[test]
    fn a_world_readable_secret_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = KeyringStore::new(dir.path());
        let ring = store.generate(lk()).unwrap();
        let secret = dir
            .path()
            .join("LK")
            .join(format!("{}.secret", ring.signer.key_id));
        fs::set_permissions(&secret, fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(
            store.load(lk()),
            Err(KeyringError::InsecurePermissions(..))
        ));
    }

    #[test]
    fn rotation_retires_the_old_key_and_keeps_it_verifiable() {
        let dir = tempfile::tempdir().unwrap();
        let store = KeyringStore::new(dir.path());
        let old = store.generate(lk()).unwrap();
        let hash = EventHash::of(b"event body");
        let old_sig = old.signer.sign(&hash);
        let new = store.rotate(lk()).unwrap();
        assert_ne!(old.signer.key_id, new.signer.key_id);
        assert_eq!(store.load(lk()).unwrap().signer.key_id, new.signer.key_id);
        let old_secret = dir
            .path()
            .join("LK")
            .join(format!("{}.secret", old.signer.key_id));
        assert!(!old_secret.exists(), "a retired key's secret must be gone");
        let keys = PublicKeys::from_rings([&new.public]).unwrap();
        let (party, entry, vk) = keys.get(&old.signer.key_id).unwrap();
        assert_eq!(party, lk());
        assert!(entry.retired_at.is_some());
        vk.verify(&hash.0, &old_sig).unwrap();
    }

    #[test]
    fn a_key_claimed_by_another_party_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = KeyringStore::new(dir.path());
        let mut ring = store.generate(lk()).unwrap().public;
        ring.party = "KE".parse().unwrap();
        assert!(PublicKeys::from_rings([&ring]).is_err());
    }
}
