//! Configuration in layers: built-in defaults, then `ecites.toml` (or `--config FILE`), then
//! `ECITES_*` environment variables (e.g. `ECITES_NATS_URL`), then command-line flags.

use ecites_events::jetstream::{Durability, LogConfig};
use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// A value that must not reach a log or an error message (a token, a URL with a password):
/// `Debug` prints no part of it, and the value is read only through [`Secret::expose`], so
/// each use is visible. It serialises as itself, which the layered configuration needs.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Config {
    /// NATS server holding the log.
    pub nats_url: String,
    /// Directory of the Parties' keyrings (private keys are 0600 files inside).
    pub keys_dir: PathBuf,
    /// Address `ecites serve` listens on.
    pub listen: String,
    /// Stream names are `<stream_prefix>_<ISO2>`.
    pub stream_prefix: String,
    /// Subjects are `<subject_prefix>.<iso2>.<aggregate>.<id>`.
    pub subject_prefix: String,
    /// `fsync-always` (one server with `sync_interval: always`) or `replicated3` (R3 cluster).
    pub durability: Durability,
    /// Largest event body accepted, in bytes.
    pub max_event_bytes: usize,
    /// Where the JSON Schemas of event payloads live.
    pub schemas_dir: PathBuf,
    /// Users and their argon2id password hashes.
    pub users_file: PathBuf,
    /// A directory of saved Species+ answers that `ecites species import` reads by default.
    /// The catalogue itself comes from the Parties' logs; while they hold no taxon, `serve`
    /// uses the shipped demo list when this is empty and refuses to start when it is set.
    pub species_dir: Option<PathBuf>,
    /// Species+ API token, for `ecites species import --live`.
    pub speciesplus_token: Option<Secret>,
    /// Base URL of the Species+ API v1 (`ECITES_SPECIESPLUS_URL`).
    pub speciesplus_url: String,
    /// Currency of the fee schedule (ISO 4217).
    pub fee_currency: String,
    /// Supporting documents, stored under their SHA-256 (with a `.meta.json` of who uploaded
    /// them); back it up with the log, since the events hold only the hashes.
    pub documents_dir: PathBuf,
    /// PostgreSQL of the read models and the archive (`ECITES_DATABASE_URL`).
    pub database_url: Secret,
    /// Most events the projector applies in one transaction.
    pub projector_batch_size: usize,
    /// Address `ecites project` serves `/health` and `/metrics` on.
    pub projector_listen: String,
    /// Longest a query waits for the read models to reach a position token, in milliseconds.
    pub read_wait_ms: u64,
    /// Seconds between sweeps that expire permits past their validity (0: never).
    pub expiry_interval_secs: u64,
    /// A bearer token that reads `/projector/metrics` (for a Prometheus scraper); without it
    /// only a signed-in system operator reads them.
    pub metrics_token: Option<Secret>,
    /// A signed tree head at least this often while a Party's log grows (milliseconds).
    pub tree_head_interval_ms: u64,
    /// And at once after this many events.
    pub tree_head_every: u64,
    /// The witnesses asked to co-sign every tree head (`[[witnesses]] name = … url = …`).
    pub witnesses: Vec<ecites_projector::witness::WitnessEndpoint>,
    /// Take the client's address from `X-Forwarded-For` (its last entry: what the proxy in
    /// front of `serve` saw). Only behind a proxy that sets it, or anyone could name any
    /// address and escape the limits on guessing.
    pub trust_forwarded_for: bool,
    /// Longest a request may take to be answered (a streamed CSV's body is not counted).
    pub request_timeout_secs: u64,
}

impl Default for Config {
    fn default() -> Self {
        let log = LogConfig::default();
        Self {
            nats_url: "nats://127.0.0.1:4222".into(),
            keys_dir: PathBuf::from(".ecites/keys"),
            listen: "127.0.0.1:8080".into(),
            stream_prefix: log.stream_prefix,
            subject_prefix: log.subject_prefix,
            durability: log.durability,
            max_event_bytes: log.max_event_bytes,
            schemas_dir: PathBuf::from("schemas"),
            users_file: PathBuf::from(".ecites/users.json"),
            species_dir: None,
            speciesplus_token: None,
            speciesplus_url: "https://api.speciesplus.net/api/v1".into(),
            fee_currency: "USD".into(),
            documents_dir: PathBuf::from(".ecites/documents"),
            database_url: Secret::new("postgres://ecites@127.0.0.1:5432/ecites"),
            projector_batch_size: 1000,
            projector_listen: "127.0.0.1:8081".into(),
            read_wait_ms: 2000,
            expiry_interval_secs: 3600,
            metrics_token: None,
            tree_head_interval_ms: 1000,
            tree_head_every: 1000,
            witnesses: vec![],
            trust_forwarded_for: false,
            request_timeout_secs: 30,
        }
    }
}

impl Config {
    pub fn load(file: Option<&Path>) -> Result<Self, Box<figment::Error>> {
        let file = file.map_or_else(|| PathBuf::from("ecites.toml"), Path::to_path_buf);
        Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::file(file))
            .merge(Env::prefixed("ECITES_").ignore(&["home"]))
            .extract()
            .map_err(Box::new)
    }

    pub fn log_config(&self) -> LogConfig {
        LogConfig {
            stream_prefix: self.stream_prefix.clone(),
            subject_prefix: self.subject_prefix.clone(),
            durability: self.durability,
            max_event_bytes: self.max_event_bytes,
            ..LogConfig::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let c = Config {
            database_url: Secret::new("postgres://ecites:hunter2@db/ecites"),
            speciesplus_token: Some(Secret::new("tok-123")),
            ..Config::default()
        };
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("tok-123"),
            "{shown}"
        );
    }
}
