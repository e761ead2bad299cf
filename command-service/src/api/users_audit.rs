//! The audit trail of user administration: one JSON line per change, appended to
//! `users.audit.jsonl` beside the users file and synced before the change is saved.
//!
//! Users are not events (they hold password hashes, which must never enter a log that is
//! exported to auditors, and no aggregate of the ledger owns them), so who added, changed or
//! disabled whom is kept here instead: append-only, never a password, a hash or a link token.

use super::users::UserError;
use crate::handler::auth::{Principal, Role};
use ecites_events::PartyCode;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use uuid::Uuid;

/// One change to the users.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct AuditEntry {
    #[serde(with = "time::serde::rfc3339")]
    pub at: time::OffsetDateTime,
    pub party: PartyCode,
    /// Who made the change (`cli` for the command line).
    pub actor: String,
    /// user_added | role_changed | user_disabled | user_enabled | set_password_link_issued |
    /// password_set,
    /// with `_failed` appended when saving the change failed after its line was written; and
    /// the sign-ins, which change nothing: signed_in | sign_in_failed | sign_in_locked (a
    /// failure that started a lockout; see `api/attempts.rs`).
    pub action: String,
    pub user_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisation_id: Option<Uuid>,
    /// The client's address, for the sign-ins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<std::net::IpAddr>,
}

impl AuditEntry {
    pub fn new(actor: &str, action: &str, party: PartyCode, user_id: &str) -> Self {
        Self {
            at: time::OffsetDateTime::now_utc(),
            party,
            actor: actor.into(),
            action: action.into(),
            user_id: user_id.into(),
            role: None,
            organisation_id: None,
            address: None,
        }
    }

    pub fn with_address(mut self, address: Option<std::net::IpAddr>) -> Self {
        self.address = address;
        self
    }

    /// A change made by `actor` in their own Party.
    pub fn by(actor: &Principal, action: &str, user_id: &str) -> Self {
        Self::new(&actor.user_id, action, actor.party, user_id)
    }

    pub fn with_role(mut self, role: Role, organisation_id: Option<Uuid>) -> Self {
        self.role = Some(role);
        self.organisation_id = organisation_id;
        self
    }

    /// The line recording that this change was not saved after all.
    pub fn failed(&self) -> Self {
        let mut e = self.clone();
        e.action = format!("{}_failed", self.action);
        e.at = time::OffsetDateTime::now_utc();
        e
    }
}

/// Where the trail goes: a file, or memory for a users store without a file (tests).
#[derive(Default)]
pub struct AuditLog {
    file: Option<PathBuf>,
    memory: Mutex<Vec<AuditEntry>>,
}

impl AuditLog {
    /// The trail beside `users_file`: `users.json` → `users.audit.jsonl`.
    pub fn beside(users_file: &Path) -> Self {
        Self {
            file: Some(users_file.with_extension("audit.jsonl")),
            memory: Mutex::default(),
        }
    }

    pub fn append(&self, entry: &AuditEntry) -> Result<(), UserError> {
        let Some(path) = &self.file else {
            let mut memory = self
                .memory
                .lock()
                .map_err(|_| UserError::Hash("audit lock poisoned".into()))?;
            memory.push(entry.clone());
            return Ok(());
        };
        let err = |e: String| UserError::File(path.clone(), e);
        let mut line = serde_json::to_vec(entry).map_err(|e| err(e.to_string()))?;
        line.push(b'\n');
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| err(e.to_string()))?;
        }
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| err(e.to_string()))?;
        f.write_all(&line).map_err(|e| err(e.to_string()))?;
        f.sync_data().map_err(|e| err(e.to_string()))
    }

    /// Every entry, oldest first.
    pub fn entries(&self) -> Result<Vec<AuditEntry>, UserError> {
        let Some(path) = &self.file else {
            return self
                .memory
                .lock()
                .map(|m| m.clone())
                .map_err(|_| UserError::Hash("audit lock poisoned".into()));
        };
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
            Err(e) => return Err(UserError::File(path.clone(), e.to_string())),
        };
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                serde_json::from_str(l).map_err(|e| UserError::File(path.clone(), e.to_string()))
            })
            .collect()
    }
}
