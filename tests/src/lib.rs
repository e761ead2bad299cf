//! Shared harness for end-to-end tests against a real NATS JetStream server.
//!
//! Every test gets its own stream and subject prefixes and its own keyring directory, so tests
//! run in parallel against one server and never see each other's events. The server comes from
//! `deploy/stack.sh` (which `deploy/test.sh` starts): its URL is in `ECITES_TEST_NATS_URL`.

pub mod api;
pub mod generate;
pub mod race;
pub mod readside;
pub mod speciesplus;
pub mod system;

use ecites_events::audit::{audit_party, AuditReport};
use ecites_events::jetstream::{JetStreamLog, LogConfig};
use ecites_events::payloads::ledger::PartyRegistered;
use ecites_events::{
    Actor, AggregateChange, AggregateRef, Commit, EventData, ExpectedPosition, KeyringStore,
    PartyCode, PartyKeyring, PublicKeys,
};
use time::OffsetDateTime;
use uuid::Uuid;

pub fn env_url(var: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| {
        panic!("{var} is not set: run the tests through deploy/test.sh, or `eval \"$(deploy/stack.sh env)\"` after `deploy/stack.sh start`")
    })
}

pub fn nats_url() -> String {
    env_url("ECITES_TEST_NATS_URL")
}

pub fn lk() -> PartyCode {
    "LK".parse().expect("valid party")
}

/// A fresh, isolated ledger: unique prefixes, a temporary keyring with Party LK provisioned.
pub struct TestLedger {
    pub log: JetStreamLog,
    pub keys_dir: tempfile::TempDir,
    pub store: KeyringStore,
    pub ring: PartyKeyring,
    pub config: LogConfig,
}

pub fn unique_config() -> LogConfig {
    let tag = Uuid::now_v7().simple().to_string();
    let tag = &tag[tag.len() - 12..];
    LogConfig {
        stream_prefix: format!("T{tag}"),
        subject_prefix: format!("t{tag}"),
        ..LogConfig::default()
    }
}

impl TestLedger {
    pub async fn new() -> Self {
        Self::with_config(unique_config()).await
    }

    pub async fn with_config(config: LogConfig) -> Self {
        let log = JetStreamLog::connect(&nats_url(), config.clone())
            .await
            .expect("connect to the test NATS server");
        let keys_dir = tempfile::tempdir().expect("tempdir");
        let store = KeyringStore::new(keys_dir.path());
        let ring = store.generate(lk()).expect("generate keys");
        log.set_signer(ring.signer.clone());
        log.provision_party(lk()).await.expect("provision LK");
        Self {
            log,
            keys_dir,
            store,
            ring,
            config,
        }
    }

    /// Public keys as an auditor would load them (after any rotation).
    pub fn public_keys(&self) -> PublicKeys {
        let ring = self.store.load_public(lk()).expect("public ring");
        PublicKeys::from_rings([&ring]).expect("keys")
    }

    /// Party LK's whole log audited with its public keys.
    pub async fn audit(&self) -> AuditReport {
        audit_party(&self.log, lk(), &self.public_keys(), |_| {})
            .await
            .expect("read the log for the audit")
    }
}

pub fn actor() -> Actor {
    Actor {
        user_id: "officer-1".into(),
        role: "ma_officer".into(),
        party: lk(),
    }
}

pub fn aggregate(kind: &str, id: &str) -> AggregateRef {
    AggregateRef::new(lk(), kind, id).expect("aggregate")
}

pub fn new_permit() -> AggregateRef {
    aggregate("permit", &Uuid::now_v7().to_string())
}

/// A small, valid event for tests that care about the log, not the domain.
pub fn event(n: u32) -> EventData {
    EventData::from_payload(&PartyRegistered {
        party: lk(),
        management_authority: format!("Department of Wildlife Conservation #{n}"),
    })
    .expect("payload")
}

pub fn commit(changes: Vec<AggregateChange>) -> Commit {
    Commit {
        command_id: Uuid::now_v7(),
        correlation_id: Uuid::now_v7(),
        actor: actor(),
        occurred_at: OffsetDateTime::now_utc(),
        changes,
    }
}

pub fn change(
    aggregate: &AggregateRef,
    expected: ExpectedPosition,
    events: Vec<EventData>,
) -> AggregateChange {
    AggregateChange {
        aggregate: aggregate.clone(),
        expected,
        events,
    }
}

/// A commit of one event on one aggregate.
pub fn single(aggregate: &AggregateRef, expected: ExpectedPosition, n: u32) -> Commit {
    commit(vec![change(aggregate, expected, vec![event(n)])])
}

/// `ecites` run in process against its own stream names and a keys directory of the test's.
pub struct Cli {
    base: Vec<String>,
}

impl Cli {
    pub fn new(keys_dir: &std::path::Path) -> Self {
        let config = unique_config();
        let base = [
            "ecites",
            "--nats-url",
            &nats_url(),
            "--keys-dir",
            &keys_dir.display().to_string(),
            "--stream-prefix",
            &config.stream_prefix,
            "--subject-prefix",
            &config.subject_prefix,
        ]
        .map(String::from)
        .to_vec();
        Self { base }
    }

    /// The exit code and what the command printed; an error is exit code 2 with its text.
    pub fn run(&self, args: &[&str]) -> (u8, String) {
        let mut argv = self.base.clone();
        argv.extend(args.iter().map(|a| a.to_string()));
        let mut out = Vec::new();
        match ecites::cli::run(argv, &mut out) {
            Ok(code) => (code, String::from_utf8_lossy(&out).into_owned()),
            Err(e) => (2, format!("{}{e:#}", String::from_utf8_lossy(&out))),
        }
    }
}

/// Publishes recorded events again through the raw client, with the bytes and signature
/// headers as stored: a stream rebuilt by hand, as a node that lost its tail or an operator
/// would leave it.
pub async fn republish(
    js: &async_nats::jetstream::Context,
    events: &[ecites_events::RecordedEvent],
) {
    use ecites_events::envelope::headers as h;
    for ev in events {
        let mut headers = async_nats::HeaderMap::new();
        headers.insert(h::KEY_ID, ev.key_id.clone().unwrap().as_str());
        headers.insert(h::SIGNATURE, ev.signature.clone().unwrap().as_str());
        js.publish_with_headers(ev.subject.clone(), headers, ev.body.clone())
            .await
            .unwrap()
            .await
            .unwrap();
    }
}
