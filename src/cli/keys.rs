//! `ecites keys generate | rotate | export-public`.

use crate::config::Config;
use anyhow::Context;
use base64::{engine::general_purpose::STANDARD as B64, Engine};
use clap::Subcommand;
use ecites_events::audit::verify_event;
use ecites_events::keyring::{PendingRotation, PublicKeyring};
use ecites_events::payloads::ledger::SigningKeyActivated;
use ecites_events::{
    Actor, AggregateChange, AggregatePosition, AggregateRef, Commit, EventAppender, EventData,
    EventReader, ExpectedPosition, KeyringStore, PartyCode, PublicKeys, ReadError,
};
use std::io::Write;
use std::path::PathBuf;
use uuid::Uuid;

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Create a Party's first signing key.
    Generate {
        #[arg(long)]
        party: PartyCode,
    },
    /// Retire the active key (it stays for verification) and make a new one active. The
    /// Party's log records `SigningKeyActivated` (new key, retires the old), signed with the
    /// old key, before the files change. Restart running services afterwards: events signed
    /// with a retired key fail `audit verify`.
    Rotate {
        #[arg(long)]
        party: PartyCode,
    },
    /// Write the public keys (all Parties, or one) as JSON for offline verification.
    ExportPublic {
        #[arg(long)]
        party: Option<PartyCode>,
        /// Output file (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

pub fn run(config: &Config, command: KeysCommand, out: &mut dyn Write) -> anyhow::Result<u8> {
    let store = KeyringStore::new(&config.keys_dir);
    match command {
        KeysCommand::Generate { party } => {
            let ring = store.generate(party)?;
            writeln!(
                out,
                "generated key {} for Party {party} in {}",
                ring.signer.key_id,
                config.keys_dir.display()
            )?;
        }
        KeysCommand::Rotate { party } => {
            super::runtime()?.block_on(rotate(config, &store, party, out))?;
        }
        KeysCommand::ExportPublic { party, out: path } => {
            let parties = match party {
                Some(p) => vec![p],
                None => store.parties()?,
            };
            let rings = parties
                .into_iter()
                .map(|p| store.load_public(p))
                .collect::<Result<Vec<PublicKeyring>, _>>()?;
            let text = if rings.len() == 1 {
                serde_json::to_string_pretty(&rings[0])?
            } else {
                serde_json::to_string_pretty(&rings)?
            };
            match path {
                Some(p) => std::fs::write(&p, text + "\n")?,
                None => writeln!(out, "{text}")?,
            }
        }
    }
    Ok(0)
}

/// Rotation: the new key is made, the log records it signed by the key it retires (so that an
/// auditor who trusts the old key sees the old key vouch for the new one, and the event is
/// stamped before the old key's retirement), then the keyring files switch. A Party not
/// provisioned yet has no keyring aggregate: only the files change, and `party provision`
/// records the key active then.
async fn rotate(
    config: &Config,
    store: &KeyringStore,
    party: PartyCode,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let pending = store.prepare_rotation(party)?;
    let recorded = match record_rotation(config, store, &pending).await {
        Ok(r) => r,
        Err(e) => {
            store.abandon_rotation(pending)?;
            return Err(e.context("the rotation was not recorded; the active key is unchanged"));
        }
    };
    let ring = store.complete_rotation(pending)?;
    match recorded {
        Some(token) => writeln!(
            out,
            "Party {party} now signs with {}; earlier keys are verify-only; the log records the rotation at {token}",
            ring.signer.key_id
        )?,
        None => writeln!(
            out,
            "Party {party} now signs with {}; earlier keys are verify-only (the Party is not provisioned: nothing recorded in the log)",
            ring.signer.key_id
        )?,
    }
    Ok(())
}

/// Appends `SigningKeyActivated { new, retires: old }` to the Party's keyring aggregate, signed
/// with the old key, after the aggregate's last event (verified). `None` when the Party has no
/// keyring aggregate yet.
async fn record_rotation(
    config: &Config,
    store: &KeyringStore,
    pending: &PendingRotation,
) -> anyhow::Result<Option<String>> {
    let party = pending.old.party;
    let log = super::connect(config).await?;
    let keyring = AggregateRef::new(party, "keyring", party.as_str())?;
    let last = match log.read_last(&keyring).await {
        Ok(Some(last)) => last,
        Ok(None) | Err(ReadError::UnknownParty(_)) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let keys = PublicKeys::from_rings([&store.load_public(party)?]).map_err(anyhow::Error::msg)?;
    let verified = verify_event(&last, &keys)
        .map_err(|f| anyhow::anyhow!("the keyring's last event does not verify: {f}"))?;
    log.set_signer(pending.old.clone());
    let event = SigningKeyActivated {
        key_id: pending.new.key_id.to_string(),
        public_key: B64.encode(pending.new.verifying_key().as_bytes()),
        retires: Some(pending.old.key_id.to_string()),
    };
    let commit = Commit {
        command_id: Uuid::now_v7(),
        correlation_id: Uuid::now_v7(),
        actor: Actor {
            user_id: "system".into(),
            role: "system_operator".into(),
            party,
        },
        occurred_at: time::OffsetDateTime::now_utc(),
        changes: vec![AggregateChange {
            aggregate: keyring,
            expected: ExpectedPosition::At(AggregatePosition {
                version: verified.envelope.version,
                sequence: last.sequence,
                hash: verified.hash,
            }),
            events: vec![EventData::from_payload(&event)?],
        }],
    };
    let done = log
        .append(commit)
        .await
        .context("appending SigningKeyActivated")?;
    Ok(Some(done.position_token()))
}
