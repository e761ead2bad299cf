//! Supporting documents, stored content-addressed: the bytes live at `<dir>/<sha256 hex>` and
//! the events record only the hash, so the log stays small and free of personal data while
//! anyone holding a document can prove it is the one the application referred to.
//!
//! Next to each document, `<sha256>.meta.json` records its content type and who uploaded it
//! (Party, user, the account's organisation), which is what download is decided on, with the
//! organisation's current list of members and agents. It is a file rather than
//! memory so that a restart does not lock every trader out of their own documents. Both files
//! are written to a temporary name in the same directory, synced, then renamed, so a crash
//! never leaves a partial file under a valid name. A document without its metadata (a crash
//! between the two renames) counts as absent until it is uploaded again.

use super::auth::{Principal, Role};
use super::organisations::organisation_ref;
use super::{CommandHandler, HandlerError};
use crate::domain::permit::{PermitError, PermitEvent};
use crate::domain::rules::Finding;
use ecites_events::{EventAppender, EventReader, PartyCode, ReadError};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error("{0:?} is not a SHA-256 hash (64 hexadecimal digits)")]
    BadHash(String),
    #[error("document store: {0}")]
    Io(#[from] std::io::Error),
    #[error("document metadata {0} is unreadable: {1}")]
    Meta(String, String),
}

/// One upload of a document's bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Upload {
    pub party: PartyCode,
    pub user_id: String,
    /// The organisation of the uploader's account: the users it lists (members and agents, as
    /// the log has them when the document is read) may download the document. Sharing the
    /// account's organisation id is not membership.
    pub organisation_id: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    pub uploaded_at: OffsetDateTime,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentMeta {
    pub sha256: String,
    pub size: u64,
    /// As given by the first upload; later uploads of the same bytes do not change it. Since
    /// issue #13 one of [`super::document_types::DocumentKind`]'s; older stores may hold any
    /// text here, which is why downloads serve it only through `DocumentKind::served_as`.
    pub content_type: String,
    pub uploads: Vec<Upload>,
}

impl DocumentMeta {
    /// Who may read it without asking an organisation: the officials of a Party the document
    /// was uploaded in, and its uploaders themselves. SA experts are officials here: supporting
    /// documents are what their opinions rest on. Anyone else needs
    /// [`CommandHandler::may_read_document`].
    pub fn may_read(&self, who: &Principal) -> bool {
        let official = matches!(
            who.role,
            Role::MaOfficer | Role::MaSignatory | Role::Auditor | Role::SaExpert
        );
        self.uploads
            .iter()
            .filter(|u| u.party == who.party)
            .any(|u| official || u.user_id == who.user_id)
    }

    /// The organisations the document was uploaded for in `party` (each once): their listed
    /// members and agents may read it.
    pub fn organisations(&self, party: PartyCode) -> Vec<Uuid> {
        let mut out: Vec<Uuid> = vec![];
        for org in self
            .uploads
            .iter()
            .filter(|u| u.party == party)
            .filter_map(|u| u.organisation_id)
        {
            if !out.contains(&org) {
                out.push(org);
            }
        }
        out
    }

    fn uploaded_in(&self, party: PartyCode) -> bool {
        self.uploads.iter().any(|u| u.party == party)
    }
}

/// May `who` upload at all? Read-only and cross-Party roles may not.
pub fn may_upload(who: &Principal, party: PartyCode) -> bool {
    who.party == party
        && matches!(
            who.role,
            Role::Trader | Role::MaOfficer | Role::MaSignatory | Role::SaExpert
        )
}

/// The hash in canonical form (lowercase), refused unless it is 64 hex digits; this is also
/// what keeps a path segment from naming anything but a document.
pub fn canonical_hash(s: &str) -> Result<String, DocumentError> {
    if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(s.to_ascii_lowercase())
    } else {
        Err(DocumentError::BadHash(s.chars().take(80).collect()))
    }
}

pub struct DocumentStore {
    dir: PathBuf,
    /// Serialises metadata updates in this process (two uploads of the same bytes at once).
    meta_lock: Arc<Mutex<()>>,
}

impl DocumentStore {
    /// The store in `dir`, created if missing.
    pub fn open(dir: impl Into<PathBuf>) -> std::io::Result<Self> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir)?;
        Ok(Self {
            dir,
            meta_lock: Arc::default(),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Stores the bytes (idempotently) and records the upload. `true` when the bytes are new.
    pub async fn put(
        &self,
        bytes: Vec<u8>,
        content_type: String,
        upload: Upload,
    ) -> Result<(DocumentMeta, bool), DocumentError> {
        let dir = self.dir.clone();
        let lock = self.meta_lock.clone();
        let task = tokio::task::spawn_blocking(move || {
            put_blocking(&dir, &lock, &bytes, content_type, upload)
        });
        task.await
            .map_err(|e| std::io::Error::other(e.to_string()))?
    }

    /// The metadata of a stored document, `None` when it is not (completely) stored.
    pub async fn meta(&self, sha256: &str) -> Result<Option<DocumentMeta>, DocumentError> {
        let sha = canonical_hash(sha256)?;
        if !tokio::fs::try_exists(self.dir.join(&sha)).await? {
            return Ok(None);
        }
        read_meta(&self.dir, &sha).await
    }

    /// The document's metadata and bytes.
    pub async fn get(
        &self,
        sha256: &str,
    ) -> Result<Option<(DocumentMeta, Vec<u8>)>, DocumentError> {
        let Some(meta) = self.meta(sha256).await? else {
            return Ok(None);
        };
        match tokio::fs::read(self.dir.join(&meta.sha256)).await {
            Ok(bytes) => Ok(Some((meta, bytes))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Whether the document is stored and was uploaded in `party`.
    pub async fn holds(&self, party: PartyCode, sha256: &str) -> Result<bool, DocumentError> {
        Ok(self
            .meta(sha256)
            .await?
            .is_some_and(|m| m.uploaded_in(party)))
    }
}

fn meta_path(dir: &Path, sha: &str) -> PathBuf {
    dir.join(format!("{sha}.meta.json"))
}

async fn read_meta(dir: &Path, sha: &str) -> Result<Option<DocumentMeta>, DocumentError> {
    match tokio::fs::read(meta_path(dir, sha)).await {
        Ok(b) => serde_json::from_slice(&b)
            .map(Some)
            .map_err(|e| DocumentError::Meta(sha.to_string(), e.to_string())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Writes `bytes` to `dir/name` through a synced temporary file and a rename, then syncs the
/// directory so that the rename itself survives a crash.
fn write_atomically(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = dir.join(format!(".tmp-{}", Uuid::now_v7().simple()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, dir.join(name))?;
        std::fs::File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        // Best effort: a leftover temporary file is harmless, only untidy.
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn put_blocking(
    dir: &Path,
    lock: &Mutex<()>,
    bytes: &[u8],
    content_type: String,
    upload: Upload,
) -> Result<(DocumentMeta, bool), DocumentError> {
    let sha = hex::encode(Sha256::digest(bytes));
    let blob = dir.join(&sha);
    // Bytes under their own hash are right by construction: a present file needs no rewrite.
    let new = !blob.try_exists()?;
    if new {
        write_atomically(dir, &sha, bytes)?;
    }
    // A poisoned lock only means another upload panicked; the files are still consistent.
    let _guard = lock
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    // Unreadable metadata is an error, not a fresh start: that would forget earlier uploaders.
    let existing = match std::fs::read(meta_path(dir, &sha)) {
        Ok(b) => Some(
            serde_json::from_slice::<DocumentMeta>(&b)
                .map_err(|e| DocumentError::Meta(sha.clone(), e.to_string()))?,
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e.into()),
    };
    let mut meta = existing.unwrap_or_else(|| DocumentMeta {
        sha256: sha.clone(),
        size: bytes.len() as u64,
        content_type,
        uploads: vec![],
    });
    let known = meta.uploads.iter().any(|u| {
        u.party == upload.party
            && u.user_id == upload.user_id
            && u.organisation_id == upload.organisation_id
    });
    if !known {
        meta.uploads.push(upload);
        let text = serde_json::to_vec_pretty(&meta)
            .map_err(|e| DocumentError::Meta(sha.clone(), e.to_string()))?;
        write_atomically(dir, &format!("{sha}.meta.json"), &text)?;
    }
    Ok((meta, new))
}

impl<L> CommandHandler<L> {
    /// Keeps supporting documents in `store`; submissions then refer only to stored ones.
    pub fn with_documents(mut self, store: DocumentStore) -> Self {
        self.documents = Some(Arc::new(store));
        self
    }

    pub fn documents(&self) -> Option<&DocumentStore> {
        self.documents.as_deref()
    }
}

impl<L: EventAppender + EventReader> CommandHandler<L> {
    /// Whether `who` may download the document: [`DocumentMeta::may_read`] (officials, the
    /// uploader), or a trader listed, as a member or an agent, by an organisation the document
    /// was uploaded for, as the log has the organisation now (the rule permits are read by:
    /// a removed member reads no more, an agent of the organisation does).
    pub async fn may_read_document(
        &self,
        who: &Principal,
        meta: &DocumentMeta,
    ) -> Result<bool, HandlerError> {
        if meta.may_read(who) {
            return Ok(true);
        }
        if who.role != Role::Trader {
            return Ok(false);
        }
        for org in meta.organisations(who.party) {
            let loaded = self
                .load_organisation(&organisation_ref(who.party, org))
                .await?;
            if loaded.state.capacity_of(&who.user_id).is_some() {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// DATA-DOCUMENT: an application may refer only to documents stored for its Party, so that
    /// every hash in the log can be resolved to the bytes it stands for.
    pub(super) async fn check_documents(
        &self,
        party: PartyCode,
        events: &[PermitEvent],
    ) -> Result<(), HandlerError> {
        let Some(store) = self.documents() else {
            return Ok(());
        };
        let mut findings = vec![];
        for e in events {
            let content = match e {
                PermitEvent::ApplicationSubmitted(s) => &s.content,
                PermitEvent::ApplicationResubmitted(r) => &r.content,
                _ => continue,
            };
            for hash in &content.supporting_documents {
                let held = store
                    .holds(party, hash)
                    .await
                    .map_err(|e| HandlerError::Read(ReadError::Unavailable(e.to_string())))?;
                if !held {
                    findings.push(
                        Finding::refuse(
                            "DATA-DOCUMENT",
                            "data validity",
                            format!("no document with SHA-256 {hash} was uploaded; upload it first (POST /api/{party}/documents)"),
                        )
                        .at("supporting_documents"),
                    );
                }
            }
        }
        if findings.is_empty() {
            Ok(())
        } else {
            Err(HandlerError::Refused(PermitError::Rules(findings)))
        }
    }
}
