//! Signing in, within the limits on guessing ([`crate::api::attempts`]): a locked account or
//! address is refused before any password is checked; every sign-in and every failure is in
//! the users' audit trail (`signed_in`, `sign_in_failed`, and `sign_in_locked` when a failure
//! starts a lockout), with the client's address when known. A child of `users.rs` so that
//! it reaches the records and sessions.

use super::*;
use crate::api::attempts::{Attempt, AttemptKey, Attempts};
use std::net::IpAddr;

/// Why a sign-in was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignInRefused {
    /// Unknown user, wrong password, disabled account or no password set: one answer for all,
    /// so that the answer does not tell which user ids exist.
    BadCredentials,
    /// Too many failures for the account or from the address: seconds until the next try.
    TooManyAttempts { retry_after: i64 },
}

impl Users {
    /// [`Self::sign_in`] without a client address (the command line, tests).
    pub fn login(
        &self,
        party: PartyCode,
        user_id: &str,
        password: &str,
    ) -> Option<(String, Principal)> {
        self.sign_in(party, user_id, password, None).ok()
    }

    /// Checks the password unless the account or `client` is locked out; on success opens a
    /// session (its bearer token) and forgets the account's failures.
    pub fn sign_in(
        &self,
        party: PartyCode,
        user_id: &str,
        password: &str,
        client: Option<IpAddr>,
    ) -> Result<(String, Principal), SignInRefused> {
        let now = now_unix();
        let attempts = self.attempts();
        let account = AttemptKey::account(party, user_id);
        let keys: Vec<AttemptKey> = std::iter::once(account.clone())
            .chain(client.map(|a| AttemptKey::address(Attempt::SignIn, a)))
            .collect();
        if let Some(retry_after) = keys.iter().filter_map(|k| attempts.locked(k, now)).max() {
            return Err(SignInRefused::TooManyAttempts { retry_after });
        }
        let audited = |action: &str, actor: &str| {
            let entry =
                AuditEntry::new(actor, action, party, &bounded(user_id)).with_address(client);
            // A sign-in is not a change to the users: a full disk must not lock everyone out.
            if let Err(e) = self.audit.append(&entry) {
                tracing::warn!("users audit trail: {e}");
            }
        };
        match self.verify_and_open(party, user_id, password) {
            Some(opened) => {
                attempts.succeeded(&account);
                audited("signed_in", user_id);
                Ok(opened)
            }
            None => {
                audited("sign_in_failed", "anonymous");
                if let Some(lockout) = keys.iter().filter_map(|k| attempts.failed(k, now)).max() {
                    tracing::warn!(party = %party, lockout, ?client, "sign-in locked out after repeated failures");
                    audited("sign_in_locked", "anonymous");
                }
                Err(SignInRefused::BadCredentials)
            }
        }
    }

    /// [`Self::set_password`], unless `client` tried too many unknown links; an unknown,
    /// used or expired link counts against it.
    pub fn set_password_from(
        &self,
        token: &str,
        password: &str,
        client: Option<IpAddr>,
    ) -> Result<(), UserError> {
        let now = now_unix();
        let key = client.map(|a| AttemptKey::address(Attempt::SetPassword, a));
        if let Some(retry_after) = key.as_ref().and_then(|k| self.attempts().locked(k, now)) {
            return Err(UserError::TooManyAttempts(retry_after));
        }
        let result = self.set_password(token, password);
        if let (Err(UserError::InvalidLink), Some(key)) = (&result, &key) {
            if self.attempts().failed(key, now).is_some() {
                tracing::warn!(
                    ?client,
                    "set-password links locked out after repeated failures"
                );
            }
        }
        result
    }

    /// The failure counts of this deployment.
    pub fn attempts(&self) -> &dyn Attempts {
        self.attempts.0.as_ref()
    }

    /// Counts failures in `attempts` (a store shared by instances) instead of this process.
    pub fn with_attempts(mut self, attempts: std::sync::Arc<dyn Attempts>) -> Self {
        self.attempts = SharedAttempts(attempts);
        self
    }

    /// Checks the password; on success opens a session and returns its bearer token. No
    /// limit applies here: every caller goes through [`Users::sign_in`].
    fn verify_and_open(
        &self,
        party: PartyCode,
        user_id: &str,
        password: &str,
    ) -> Option<(String, Principal)> {
        let key = (party, user_id.to_string());
        let known = |users: &Self| users.records.read().ok()?.get(&key).cloned();
        let record = match known(self) {
            Some(r) => r,
            // A user `ecites users add` wrote to the file while this process ran.
            None => {
                self.refresh().ok()?;
                known(self)?
            }
        };
        if record.disabled || record.password_hash.is_empty() {
            return None;
        }
        let hash = PasswordHash::new(&record.password_hash).ok()?;
        Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .ok()?;
        let token = random_token();
        let principal = Principal {
            user_id: record.user_id,
            role: record.role,
            party: record.party,
            organisation_id: record.organisation_id,
        };
        let now = now_unix();
        let session = Session {
            principal: principal.clone(),
            started: now,
            last_seen: now.into(),
        };
        let mut sessions = self.sessions.write().ok()?;
        // Ended sessions go at each sign-in, so the table holds live ones only.
        sessions.retain(|_, s| s.live(now, self.lifetimes));
        sessions.insert(token.clone(), session);
        Some((token, principal))
    }
}

/// A claimed user id as the audit trail keeps it: whatever was typed, but not without bound.
fn bounded(user_id: &str) -> String {
    user_id.chars().take(200).collect()
}
