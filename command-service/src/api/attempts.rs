//! Limits on guessing (issue #13): failed sign-ins per account and per client address, bad
//! set-password links and bearer or cookie tokens that do not resolve to a session, per client
//! address. After [`Policy::max_failures`] failures within [`Policy::window`] the key is
//! locked out, each lockout twice as long as the one before (up to [`Policy::max_lockout`]);
//! a locked key is refused (429 with Retry-After) without a password being checked, so a
//! guesser learns nothing and costs no argon2 hash. A successful sign-in clears its account's
//! record; an address's record is only forgotten with time, or one's own account would reset
//! the counter of every account guessed from that address.
//!
//! The counts are kept in this process ([`MemoryAttempts`]) behind [`Attempts`], so that a
//! store shared by several instances (PostgreSQL) can replace it without touching the callers.

use ecites_events::PartyCode;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

/// What was attempted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Attempt {
    SignIn,
    SetPassword,
    /// A bearer token or session cookie presented with a request.
    Token,
}

/// What failures are counted against.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AttemptKey {
    Account { party: PartyCode, user_id: String },
    Address { attempt: Attempt, address: IpAddr },
}

impl AttemptKey {
    pub fn account(party: PartyCode, user_id: &str) -> Self {
        // Bounded, so a guesser cannot make the table hold megabytes per entry.
        Self::Account {
            party,
            user_id: user_id.chars().take(200).collect(),
        }
    }

    pub fn address(attempt: Attempt, address: IpAddr) -> Self {
        Self::Address { attempt, address }
    }

    fn attempt(&self) -> Attempt {
        match self {
            Self::Account { .. } => Attempt::SignIn,
            Self::Address { attempt, .. } => *attempt,
        }
    }
}

/// How many failures lock a key out, and for how long (seconds).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    pub max_failures: u32,
    pub window: i64,
    pub first_lockout: i64,
    pub max_lockout: i64,
}

impl Policy {
    /// An account: 5 failures within 15 minutes, then 1, 2, 4 … minutes, at most an hour.
    pub const ACCOUNT: Policy = Policy {
        max_failures: 5,
        window: 15 * 60,
        first_lockout: 60,
        max_lockout: 60 * 60,
    };
    /// Sign-ins from one address: an office behind one NAT mistypes more than one person.
    pub const ADDRESS_SIGN_IN: Policy = Policy {
        max_failures: 20,
        ..Policy::ACCOUNT
    };
    /// Set-password links from one address (a link is 256 random bits; a miss is rare).
    pub const ADDRESS_SET_PASSWORD: Policy = Policy {
        max_failures: 10,
        ..Policy::ACCOUNT
    };
    /// Tokens from one address: a browser with an ended session presents its cookie once or
    /// twice before signing in again.
    pub const ADDRESS_TOKEN: Policy = Policy {
        max_failures: 30,
        ..Policy::ACCOUNT
    };

    fn of(key: &AttemptKey) -> Policy {
        match (key, key.attempt()) {
            (AttemptKey::Account { .. }, _) => Self::ACCOUNT,
            (_, Attempt::SignIn) => Self::ADDRESS_SIGN_IN,
            (_, Attempt::SetPassword) => Self::ADDRESS_SET_PASSWORD,
            (_, Attempt::Token) => Self::ADDRESS_TOKEN,
        }
    }
}

/// The failure counts. `now` is unix seconds, passed in so that a shared store and the tests
/// use the same clock as the caller.
pub trait Attempts: Send + Sync {
    /// Seconds until `key` may try again, while it is locked out.
    fn locked(&self, key: &AttemptKey, now: i64) -> Option<i64>;
    /// Records a failure; the lockout's seconds when this failure started one.
    fn failed(&self, key: &AttemptKey, now: i64) -> Option<i64>;
    /// Forgets `key`'s failures and lockouts (its account signed in).
    fn succeeded(&self, key: &AttemptKey);
}

#[derive(Default)]
struct Record {
    /// Times of the failures within the window, oldest first.
    failures: Vec<i64>,
    /// Lockouts so far (each doubles the next), forgotten a day after the last failure.
    lockouts: u32,
    locked_until: i64,
    last: i64,
}

/// [`Attempts`] in this process's memory.
#[derive(Default)]
pub struct MemoryAttempts {
    records: Mutex<HashMap<AttemptKey, Record>>,
}

/// Records kept before the stale ones are swept out (a guesser with many names or addresses
/// must not grow the table without bound).
const SWEEP_ABOVE: usize = 10_000;
const FORGET_AFTER: i64 = 24 * 60 * 60;

impl MemoryAttempts {
    fn with<T>(&self, f: impl FnOnce(&mut HashMap<AttemptKey, Record>) -> T) -> T {
        // The counts stay usable after a panic elsewhere: refusing every sign-in would be worse.
        let mut records = self
            .records
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut records)
    }
}

impl Attempts for MemoryAttempts {
    fn locked(&self, key: &AttemptKey, now: i64) -> Option<i64> {
        self.with(|r| {
            r.get(key)
                .map(|rec| rec.locked_until - now)
                .filter(|left| *left > 0)
        })
    }

    fn failed(&self, key: &AttemptKey, now: i64) -> Option<i64> {
        let policy = Policy::of(key);
        self.with(|records| {
            if records.len() > SWEEP_ABOVE {
                records.retain(|_, rec| now - rec.last < FORGET_AFTER || rec.locked_until > now);
            }
            let rec = records.entry(key.clone()).or_default();
            if now - rec.last >= FORGET_AFTER {
                rec.lockouts = 0;
            }
            rec.last = now;
            rec.failures.retain(|t| now - t < policy.window);
            rec.failures.push(now);
            if rec.failures.len() < policy.max_failures as usize || rec.locked_until > now {
                return None;
            }
            let lockout = policy
                .first_lockout
                .saturating_mul(1 << rec.lockouts.min(20))
                .min(policy.max_lockout);
            rec.lockouts += 1;
            rec.failures.clear();
            rec.locked_until = now + lockout;
            Some(lockout)
        })
    }

    fn succeeded(&self, key: &AttemptKey) {
        self.with(|r| r.remove(key));
    }
}

/// The [`Attempts`] a [`super::users::Users`] counts with: in memory unless replaced.
#[derive(Clone)]
pub struct SharedAttempts(pub Arc<dyn Attempts>);

impl Default for SharedAttempts {
    fn default() -> Self {
        Self(Arc::new(MemoryAttempts::default()))
    }
}

/// The client's address: the connection's peer, as `ecites serve` records it in the request
/// (`ConnectInfo`; behind a trusted proxy, the address the proxy names). `None` when the
/// router is called without a connection (tests calling it in process).
pub fn client_address(extensions: &axum::http::Extensions) -> Option<IpAddr> {
    extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip())
}

/// [`client_address`] as an extractor (never refuses).
pub struct ClientAddress(pub Option<IpAddr>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(client_address(&parts.extensions)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account() -> AttemptKey {
        AttemptKey::account("LK".parse().unwrap(), "officer")
    }

    #[test]
    fn five_failures_lock_an_account_for_a_growing_time() {
        let a = MemoryAttempts::default();
        let k = account();
        let mut now = 1_000_000;
        for _ in 0..4 {
            assert_eq!(a.failed(&k, now), None);
            now += 10;
        }
        assert_eq!(a.locked(&k, now), None);
        assert_eq!(a.failed(&k, now), Some(60));
        assert_eq!(a.locked(&k, now + 1), Some(59));
        assert_eq!(a.locked(&k, now + 60), None);
        // The next five failures lock it for twice as long, then four times…
        for expected in [120, 240, 480, 960, 1920, 3600, 3600] {
            now += 3600;
            for _ in 0..4 {
                assert_eq!(a.failed(&k, now), None);
            }
            assert_eq!(a.failed(&k, now), Some(expected));
        }
        // A sign-in forgets it all.
        a.succeeded(&k);
        assert_eq!(a.locked(&k, now), None);
        for _ in 0..4 {
            assert_eq!(a.failed(&k, now), None);
        }
        assert_eq!(a.failed(&k, now), Some(60));
    }

    #[test]
    fn failures_outside_the_window_do_not_count() {
        let a = MemoryAttempts::default();
        let k = account();
        for i in 0..20 {
            assert_eq!(a.failed(&k, i * 300), None, "one every 5 minutes: {i}");
        }
        // A day without failures and the lockouts start over from a minute.
        let start = 10_000_000;
        for _ in 0..4 {
            a.failed(&k, start);
        }
        assert_eq!(a.failed(&k, start), Some(60));
        for _ in 0..4 {
            a.failed(&k, start + 120);
        }
        assert_eq!(a.failed(&k, start + 120), Some(120));
        for _ in 0..4 {
            a.failed(&k, start + FORGET_AFTER + 200);
        }
        assert_eq!(a.failed(&k, start + FORGET_AFTER + 200), Some(60));
    }

    #[test]
    fn addresses_have_their_own_limits() {
        let a = MemoryAttempts::default();
        let ip: IpAddr = "192.0.2.7".parse().unwrap();
        let sign_in = AttemptKey::address(Attempt::SignIn, ip);
        let tokens = AttemptKey::address(Attempt::Token, ip);
        for _ in 0..19 {
            assert_eq!(a.failed(&sign_in, 5), None);
        }
        assert_eq!(a.failed(&sign_in, 5), Some(60));
        assert_eq!(a.locked(&tokens, 5), None, "tokens are counted apart");
        for _ in 0..29 {
            assert_eq!(a.failed(&tokens, 5), None);
        }
        assert_eq!(a.failed(&tokens, 5), Some(60));
    }
}
