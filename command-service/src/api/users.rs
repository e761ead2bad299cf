//! Users, passwords (argon2id) and bearer sessions.
//!
//! Users live in a JSON file beside the keys (`users.json`): only ids, roles and password
//! hashes, never plain passwords. Sessions are random 256-bit bearer tokens held in memory;
//! a restart logs everyone out.

use crate::handler::auth::{Principal, Role};
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use ecites_events::PartyCode;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::RwLock;
use uuid::Uuid;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct UserRecord {
    pub user_id: String,
    pub party: PartyCode,
    pub role: Role,
    pub organisation_id: Option<Uuid>,
    /// PHC string of an argon2id hash.
    pub password_hash: String,
}

#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error("user {0} already exists")]
    Exists(String),
    #[error("a trader must belong to an organisation (--organisation)")]
    TraderWithoutOrganisation,
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("users file {0}: {1}")]
    File(PathBuf, String),
}

pub fn hash_password(password: &str) -> Result<String, UserError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| UserError::Hash(e.to_string()))
}

/// The users of the deployment and their sessions.
#[derive(Default)]
pub struct Users {
    records: RwLock<HashMap<(PartyCode, String), UserRecord>>,
    sessions: RwLock<HashMap<String, Principal>>,
    file: Option<PathBuf>,
}

impl Users {
    pub fn load(file: &Path) -> Result<Self, UserError> {
        let records: Vec<UserRecord> = match std::fs::read(file) {
            Ok(b) => serde_json::from_slice(&b)
                .map_err(|e| UserError::File(file.into(), e.to_string()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => vec![],
            Err(e) => return Err(UserError::File(file.into(), e.to_string())),
        };
        let users = Users {
            file: Some(file.into()),
            ..Users::default()
        };
        if let Ok(mut r) = users.records.write() {
            r.extend(
                records
                    .into_iter()
                    .map(|u| ((u.party, u.user_id.clone()), u)),
            );
        }
        Ok(users)
    }

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
        };
        let mut records = self
            .records
            .write()
            .map_err(|_| UserError::Hash("lock".into()))?;
        if records.contains_key(&(party, user_id.to_string())) {
            return Err(UserError::Exists(user_id.into()));
        }
        records.insert((party, user_id.into()), record);
        if let Some(file) = &self.file {
            let mut all: Vec<&UserRecord> = records.values().collect();
            all.sort_by(|a, b| (a.party, &a.user_id).cmp(&(b.party, &b.user_id)));
            let text = serde_json::to_vec_pretty(&all)
                .map_err(|e| UserError::File(file.clone(), e.to_string()))?;
            if let Some(dir) = file.parent() {
                std::fs::create_dir_all(dir)
                    .map_err(|e| UserError::File(file.clone(), e.to_string()))?;
            }
            std::fs::write(file, text).map_err(|e| UserError::File(file.clone(), e.to_string()))?;
        }
        Ok(())
    }

    /// Checks the password; on success opens a session and returns its bearer token.
    pub fn login(
        &self,
        party: PartyCode,
        user_id: &str,
        password: &str,
    ) -> Option<(String, Principal)> {
        let record = self
            .records
            .read()
            .ok()?
            .get(&(party, user_id.to_string()))?
            .clone();
        let hash = PasswordHash::new(&record.password_hash).ok()?;
        Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .ok()?;
        let mut raw = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut raw);
        let token = hex::encode(raw);
        let principal = Principal {
            user_id: record.user_id,
            role: record.role,
            party: record.party,
            organisation_id: record.organisation_id,
        };
        self.sessions
            .write()
            .ok()?
            .insert(token.clone(), principal.clone());
        Some((token, principal))
    }

    pub fn session(&self, token: &str) -> Option<Principal> {
        self.sessions.read().ok()?.get(token).cloned()
    }

    /// Ends a session (the browser's logout); an unknown token is a no-op.
    pub fn logout(&self, token: &str) {
        if let Ok(mut sessions) = self.sessions.write() {
            sessions.remove(token);
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{HeaderMap, HeaderValue};

    fn headers(cookie: &str, csrf: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            axum::http::header::COOKIE,
            HeaderValue::from_str(cookie).unwrap(),
        );
        if let Some(c) = csrf {
            h.insert(CSRF_HEADER, HeaderValue::from_str(c).unwrap());
        }
        h
    }

    #[test]
    fn the_cookie_counts_only_with_the_matching_csrf_header() {
        let both = "other=1; ecites_session=tok; ecites_csrf=abc";
        assert_eq!(cookie_session(&headers(both, Some("abc"))), Some("tok"));
        assert_eq!(cookie_session(&headers(both, None)), None);
        assert_eq!(cookie_session(&headers(both, Some("abd"))), None);
        assert_eq!(cookie_session(&headers(both, Some(""))), None);
        let no_csrf_cookie = "ecites_session=tok";
        assert_eq!(cookie_session(&headers(no_csrf_cookie, Some(""))), None);
        assert_eq!(cookie_session(&headers(no_csrf_cookie, Some("abc"))), None);
        let empty = "ecites_session=tok; ecites_csrf=";
        assert_eq!(cookie_session(&headers(empty, Some(""))), None);
    }
}
