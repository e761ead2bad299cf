//! Users, passwords (argon2id) and bearer sessions.
//!
//! Users live in a JSON file beside the keys (`users.json`): only ids, roles and password
//! hashes, never plain passwords. Sessions are random 256-bit bearer tokens held in memory;
//! a restart logs everyone out. A session ends after [`SESSION_IDLE`] unused and at the
//! latest [`SESSION_ABSOLUTE`] after sign-in.
//!
//! A Party admin adds a user without a password: the user gets a one-time set-password link
//! (a random 256-bit token, only its SHA-256 stored, valid [`SET_PASSWORD_TTL`]) and chooses
//! the password. So the admin never knows it, nothing has to force a change at first sign-in,
//! and the account cannot be used until its owner has set one. Every change is appended to
//! an audit file beside the users file (`users.audit.jsonl`, see [`super::users_audit`]).

use super::attempts::SharedAttempts;
use super::users_audit::{AuditEntry, AuditLog};
use crate::handler::auth::{Principal, Role};
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use ecites_events::PartyCode;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::RwLock;
use uuid::Uuid;

#[path = "sign_in.rs"]
mod sign_in;
pub use sign_in::SignInRefused;

/// How long a set-password link stays valid.
pub const SET_PASSWORD_TTL: time::Duration = time::Duration::hours(72);
/// The shortest password a user may choose.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// A session nobody used for this long has ended (a screen left signed in at a counter).
pub const SESSION_IDLE: time::Duration = time::Duration::minutes(30);
/// A session ends this long after sign-in however much it is used (a stolen token works for
/// a working day at most).
pub const SESSION_ABSOLUTE: time::Duration = time::Duration::hours(12);

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct UserRecord {
    pub user_id: String,
    pub party: PartyCode,
    pub role: Role,
    pub organisation_id: Option<Uuid>,
    /// PHC string of an argon2id hash; empty while the user has not set a password yet.
    #[serde(default)]
    pub password_hash: String,
    /// A disabled user cannot sign in; their sessions ended when they were disabled.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub disabled: bool,
    /// The pending one-time set-password link, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set_password: Option<SetPasswordTicket>,
}

/// A set-password link as stored: the SHA-256 of its token (hex) and when it expires.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct SetPasswordTicket {
    pub token_sha256: String,
    /// Unix seconds.
    pub expires_at: i64,
}

/// A user as the Party admin sees it: never a hash nor a token.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct UserSummary {
    pub user_id: String,
    pub role: Role,
    pub organisation_id: Option<Uuid>,
    pub disabled: bool,
    pub password_set: bool,
    pub link_pending: bool,
}

/// A new set-password link: the token (shown once) and its expiry (unix seconds).
#[derive(Clone, Debug)]
pub struct SetPasswordLink {
    pub token: String,
    pub expires_at: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error("user {0} already exists")]
    Exists(String),
    #[error("no user {0} in this Party")]
    NotFound(String),
    #[error("a trader must belong to an organisation (--organisation)")]
    TraderWithoutOrganisation,
    #[error("the set-password link is unknown, used or expired")]
    InvalidLink,
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("users file {0}: {1}")]
    File(PathBuf, String),
    #[error("user {0} is the system operator, managed from the command line only")]
    NotManaged(String),
    #[error("too many unknown set-password links from this address; try again in {0} s")]
    TooManyAttempts(i64),
}

pub fn hash_password(password: &str) -> Result<String, UserError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| UserError::Hash(e.to_string()))
}

type Records = HashMap<(PartyCode, String), UserRecord>;

/// A signed-in user, until idle or too old.
struct Session {
    principal: Principal,
    /// Unix seconds.
    started: i64,
    /// Unix seconds of the last use; updated under the read lock.
    last_seen: std::sync::atomic::AtomicI64,
}

/// How long sessions last: idle and absolute.
#[derive(Clone, Copy, Debug)]
pub struct SessionLifetimes {
    pub idle: time::Duration,
    pub absolute: time::Duration,
}

impl Default for SessionLifetimes {
    fn default() -> Self {
        Self {
            idle: SESSION_IDLE,
            absolute: SESSION_ABSOLUTE,
        }
    }
}

impl Session {
    fn live(&self, now: i64, life: SessionLifetimes) -> bool {
        let last = self.last_seen.load(std::sync::atomic::Ordering::Relaxed);
        now - self.started < life.absolute.whole_seconds() && now - last < life.idle.whole_seconds()
    }
}

/// The users of the deployment and their sessions.
#[derive(Default)]
pub struct Users {
    records: RwLock<Records>,
    sessions: RwLock<HashMap<String, Session>>,
    lifetimes: SessionLifetimes,
    file: Option<PathBuf>,
    audit: AuditLog,
    /// Failed sign-ins, set-password links and tokens ([`super::attempts`]).
    attempts: SharedAttempts,
}

fn random_token() -> String {
    let mut raw = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut raw);
    hex::encode(raw)
}

fn sha256_hex(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn now_unix() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn poisoned() -> UserError {
    UserError::Hash("users lock poisoned".into())
}

impl Users {
    pub fn load(file: &Path) -> Result<Self, UserError> {
        let records = read_file(file)?;
        Ok(Users {
            records: RwLock::new(records),
            file: Some(file.into()),
            audit: AuditLog::beside(file),
            ..Users::default()
        })
    }

    /// Adds a user with a password (the CLI: `ecites admin init`, `ecites users add`).
    pub fn add(
        &self,
        party: PartyCode,
        user_id: &str,
        role: Role,
        organisation_id: Option<Uuid>,
        password: &str,
    ) -> Result<(), UserError> {
        if role == Role::Trader && organisation_id.is_none() {
            return Err(UserError::TraderWithoutOrganisation);
        }
        let record = UserRecord {
            user_id: user_id.into(),
            party,
            role,
            organisation_id,
            password_hash: hash_password(password)?,
            disabled: false,
            set_password: None,
        };
        let entry =
            AuditEntry::new("cli", "user_added", party, user_id).with_role(role, organisation_id);
        self.change(entry, |records| {
            if records.contains_key(&(party, user_id.to_string())) {
                return Err(UserError::Exists(user_id.into()));
            }
            records.insert((party, user_id.into()), record);
            Ok(())
        })
    }

    /// Adds a user without a password and returns their one-time set-password link.
    pub fn invite(
        &self,
        actor: &Principal,
        user_id: &str,
        role: Role,
        organisation_id: Option<Uuid>,
    ) -> Result<SetPasswordLink, UserError> {
        if role == Role::Trader && organisation_id.is_none() {
            return Err(UserError::TraderWithoutOrganisation);
        }
        let party = actor.party;
        let (link, ticket) = new_link();
        let record = UserRecord {
            user_id: user_id.into(),
            party,
            role,
            organisation_id,
            password_hash: String::new(),
            disabled: false,
            set_password: Some(ticket),
        };
        let entry = AuditEntry::by(actor, "user_added", user_id).with_role(role, organisation_id);
        self.change(entry, |records| {
            if records.contains_key(&(party, user_id.to_string())) {
                return Err(UserError::Exists(user_id.into()));
            }
            records.insert((party, user_id.into()), record);
            Ok(())
        })?;
        Ok(link)
    }

    /// A new set-password link for an existing, enabled user (a forgotten password); the
    /// current password keeps working until the link is used.
    pub fn reissue_link(
        &self,
        actor: &Principal,
        user_id: &str,
    ) -> Result<SetPasswordLink, UserError> {
        let (link, ticket) = new_link();
        let entry = AuditEntry::by(actor, "set_password_link_issued", user_id);
        self.change(entry, |records| {
            let r = managed(records, actor.party, user_id)?;
            r.set_password = Some(ticket);
            Ok(())
        })?;
        Ok(link)
    }

    /// Changes a user's role (and organisation, for a trader); their sessions end, so the new
    /// role applies from their next sign-in.
    pub fn set_role(
        &self,
        actor: &Principal,
        user_id: &str,
        role: Role,
        organisation_id: Option<Uuid>,
    ) -> Result<(), UserError> {
        if role == Role::Trader && organisation_id.is_none() {
            return Err(UserError::TraderWithoutOrganisation);
        }
        let organisation_id = organisation_id.filter(|_| role == Role::Trader);
        let entry = AuditEntry::by(actor, "role_changed", user_id).with_role(role, organisation_id);
        self.change(entry, |records| {
            let r = managed(records, actor.party, user_id)?;
            r.role = role;
            r.organisation_id = organisation_id;
            Ok(())
        })?;
        self.end_sessions(actor.party, user_id);
        Ok(())
    }

    /// Disables a user: no sign-in, no pending link, and every session of theirs ends.
    pub fn disable(&self, actor: &Principal, user_id: &str) -> Result<(), UserError> {
        let entry = AuditEntry::by(actor, "user_disabled", user_id);
        self.change(entry, |records| {
            let r = managed(records, actor.party, user_id)?;
            r.disabled = true;
            r.set_password = None;
            Ok(())
        })?;
        self.end_sessions(actor.party, user_id);
        Ok(())
    }

    /// Enables a disabled user again: they sign in with their password as before (or need a
    /// new link if they never set one).
    pub fn enable(&self, actor: &Principal, user_id: &str) -> Result<(), UserError> {
        let entry = AuditEntry::by(actor, "user_enabled", user_id);
        self.change(entry, |records| {
            managed(records, actor.party, user_id)?.disabled = false;
            Ok(())
        })
    }

    /// Sets the password of the user a valid link was issued to, and uses the link up.
    /// The caller checks the password's length.
    pub fn set_password(&self, token: &str, password: &str) -> Result<(), UserError> {
        let wanted = sha256_hex(token);
        let holder = |records: &Records| {
            records
                .values()
                .find(|r| {
                    !r.disabled
                        && r.set_password.as_ref().is_some_and(|t| {
                            constant_time_eq(t.token_sha256.as_bytes(), wanted.as_bytes())
                                && t.expires_at > now_unix()
                        })
                })
                .map(|r| (r.party, r.user_id.clone()))
        };
        let found = |users: &Self| -> Result<_, UserError> {
            Ok(holder(&*users.records.read().map_err(|_| poisoned())?))
        };
        let (party, user_id) = match found(self)? {
            Some(h) => h,
            // A link `ecites users link` wrote to the file while this process ran.
            None => {
                self.refresh()?;
                found(self)?.ok_or(UserError::InvalidLink)?
            }
        };
        // Hashing is slow: done outside the lock, then the link is checked again.
        let hash = hash_password(password)?;
        let entry = AuditEntry::new(&user_id, "password_set", party, &user_id);
        self.change(entry, |records| {
            if holder(records).as_ref() != Some(&(party, user_id.clone())) {
                return Err(UserError::InvalidLink);
            }
            let r = existing(records, party, &user_id)?;
            r.password_hash = hash;
            r.set_password = None;
            Ok(())
        })?;
        self.end_sessions(party, &user_id);
        Ok(())
    }

    /// The Party's users, by id.
    pub fn list(&self, party: PartyCode) -> Vec<UserSummary> {
        // The records are whole even if a writer panicked: an empty list would read as "no
        // such user is disabled".
        let records = self
            .records
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut out: Vec<UserSummary> = records
            .values()
            .filter(|r| r.party == party)
            .map(|r| UserSummary {
                user_id: r.user_id.clone(),
                role: r.role,
                organisation_id: r.organisation_id,
                disabled: r.disabled,
                password_set: !r.password_hash.is_empty(),
                link_pending: r.set_password.is_some(),
            })
            .collect();
        out.sort_by(|a, b| a.user_id.cmp(&b.user_id));
        out
    }

    /// The audit trail of user changes, oldest first.
    pub fn audit_entries(&self) -> Result<Vec<AuditEntry>, UserError> {
        self.audit.entries()
    }

    /// Applies `f` to a copy of the records, records `entry` in the audit trail, saves the
    /// copy and only then makes it current: a refusal by `f` writes nothing.
    fn change<T>(
        &self,
        entry: AuditEntry,
        f: impl FnOnce(&mut Records) -> Result<T, UserError>,
    ) -> Result<T, UserError> {
        let mut records = self.records.write().map_err(|_| poisoned())?;
        // The file, not memory, is what a change applies to: `ecites users add` may have
        // written it while this server ran, and saving memory would drop that user.
        let mut next = match &self.file {
            Some(file) => read_file(file)?,
            None => records.clone(),
        };
        let out = f(&mut next)?;
        // Audit first: no change is ever saved without its line (a failed save adds one more).
        self.audit.append(&entry)?;
        if let Err(e) = self.save(&next) {
            let _ = self.audit.append(&entry.failed());
            return Err(e);
        }
        *records = next;
        Ok(out)
    }

    /// Writes every record to the users file atomically (a temporary file renamed over it).
    fn save(&self, records: &Records) -> Result<(), UserError> {
        let Some(file) = &self.file else {
            return Ok(());
        };
        let err = |e: String| UserError::File(file.clone(), e);
        let mut all: Vec<&UserRecord> = records.values().collect();
        all.sort_by(|a, b| (a.party, &a.user_id).cmp(&(b.party, &b.user_id)));
        let text = serde_json::to_vec_pretty(&all).map_err(|e| err(e.to_string()))?;
        if let Some(dir) = file.parent() {
            std::fs::create_dir_all(dir).map_err(|e| err(e.to_string()))?;
        }
        let tmp = file.with_extension("json.tmp");
        write_private(&tmp, &text).map_err(|e| err(e.to_string()))?;
        std::fs::rename(&tmp, file).map_err(|e| err(e.to_string()))?;
        // The rename is durable only once the directory is on disk too.
        if let Some(dir) = file.parent() {
            std::fs::File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(|e| err(e.to_string()))?;
        }
        Ok(())
    }

    fn end_sessions(&self, party: PartyCode, user_id: &str) {
        // A poisoned lock still holds the sessions: ending them must not be skipped, or a
        // disabled user would keep working.
        let mut sessions = self
            .sessions
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        sessions.retain(|_, s| !(s.principal.party == party && s.principal.user_id == user_id));
    }

    /// Reads the users file again (a user or link added by the CLI while `serve` runs).
    fn refresh(&self) -> Result<(), UserError> {
        let Some(file) = &self.file else {
            return Ok(());
        };
        let fresh = read_file(file)?;
        *self.records.write().map_err(|_| poisoned())? = fresh;
        Ok(())
    }

    /// How many sessions are live now (for the operator's metrics).
    pub fn open_sessions(&self) -> usize {
        let now = now_unix();
        self.sessions.read().map_or(0, |s| {
            s.values().filter(|s| s.live(now, self.lifetimes)).count()
        })
    }

    /// The session's user, while the session lives; using it keeps it from going idle.
    pub fn session(&self, token: &str) -> Option<Principal> {
        let sessions = self.sessions.read().ok()?;
        let s = sessions.get(token)?;
        let now = now_unix();
        if !s.live(now, self.lifetimes) {
            return None;
        }
        s.last_seen.store(now, std::sync::atomic::Ordering::Relaxed);
        Some(s.principal.clone())
    }

    /// Sets how long sessions last (the defaults are [`SESSION_IDLE`], [`SESSION_ABSOLUTE`]).
    pub fn with_session_lifetimes(mut self, lifetimes: SessionLifetimes) -> Self {
        self.lifetimes = lifetimes;
        self
    }

    /// The role of a user of `party`, if there is such a user (disabled or not).
    pub fn role_of(&self, party: PartyCode, user_id: &str) -> Option<Role> {
        let key = (party, user_id.to_string());
        let known = |users: &Self| users.records.read().ok()?.get(&key).map(|r| r.role);
        known(self).or_else(|| {
            self.refresh().ok()?;
            known(self)
        })
    }

    /// Ends a session (the browser's logout); an unknown token is a no-op.
    pub fn logout(&self, token: &str) {
        if let Ok(mut sessions) = self.sessions.write() {
            sessions.remove(token);
        }
    }
}

fn read_file(file: &Path) -> Result<Records, UserError> {
    let records: Vec<UserRecord> = match std::fs::read(file) {
        Ok(b) => {
            serde_json::from_slice(&b).map_err(|e| UserError::File(file.into(), e.to_string()))?
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => vec![],
        Err(e) => return Err(UserError::File(file.into(), e.to_string())),
    };
    Ok(records
        .into_iter()
        .map(|u| ((u.party, u.user_id.clone()), u))
        .collect())
}

fn new_link() -> (SetPasswordLink, SetPasswordTicket) {
    let token = random_token();
    let expires_at = now_unix() + SET_PASSWORD_TTL.whole_seconds();
    let ticket = SetPasswordTicket {
        token_sha256: sha256_hex(&token),
        expires_at,
    };
    (SetPasswordLink { token, expires_at }, ticket)
}

fn existing<'r>(
    records: &'r mut Records,
    party: PartyCode,
    user_id: &str,
) -> Result<&'r mut UserRecord, UserError> {
    records
        .get_mut(&(party, user_id.to_string()))
        .ok_or_else(|| UserError::NotFound(user_id.into()))
}

/// A user the Party admin may manage: never the system operator, whose account reads every
/// Party (a Party admin who could reset its password would read them all).
fn managed<'r>(
    records: &'r mut Records,
    party: PartyCode,
    user_id: &str,
) -> Result<&'r mut UserRecord, UserError> {
    let r = existing(records, party, user_id)?;
    if r.role == Role::SystemOperator {
        return Err(UserError::NotManaged(user_id.into()));
    }
    Ok(r)
}

/// The browser's session cookie (HttpOnly, SameSite=Strict): the same token as a bearer one.
pub const SESSION_COOKIE: &str = "ecites_session";
/// The readable double-submit cookie: the UI's script copies it into [`CSRF_HEADER`].
pub const CSRF_COOKIE: &str = "ecites_csrf";
/// The header a cookie-authenticated command must carry, equal to the [`CSRF_COOKIE`].
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie<'h>(headers: &'h axum::http::HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// The session token of a browser request: the [`SESSION_COOKIE`], accepted only when the
/// request carries [`CSRF_HEADER`] equal to the [`CSRF_COOKIE`] (double submit: another site
/// can make the browser send the cookies but can neither read them nor set the header).
pub fn cookie_session(headers: &axum::http::HeaderMap) -> Option<&str> {
    let session = cookie(headers, SESSION_COOKIE)?;
    let csrf = cookie(headers, CSRF_COOKIE)?;
    let header = headers.get(CSRF_HEADER)?.to_str().ok()?;
    constant_time_eq(csrf.as_bytes(), header.trim().as_bytes()).then_some(session)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Writes `bytes` to a new file only its owner reads (it holds password hashes), on disk
/// before it is renamed into place.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(test)]
#[path = "users_tests.rs"]
mod tests;
