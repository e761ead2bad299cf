//! `ecites party provision`: create a Party's stream and record its registration and key.

use crate::config::Config;
use base64::{engine::general_purpose::STANDARD as B64, Engine};
use clap::Subcommand;
use ecites_events::payloads::ledger::{PartyRegistered, SigningKeyActivated};
use ecites_events::{
    Actor, AggregateChange, AggregateRef, Commit, EventAppender, EventData, EventReader,
    ExpectedPosition, KeyringStore, PartyCode,
};
use std::io::Write;
use uuid::Uuid;

#[derive(Subcommand)]
pub enum PartyCommand {
    /// Create the Party's stream (idempotent) and record its registration and active key.
    Provision {
        #[arg(long)]
        party: PartyCode,
        /// Name of the Management Authority.
        #[arg(long, default_value = "Management Authority")]
        ma_name: String,
    },
}

pub async fn run(
    config: &Config,
    command: PartyCommand,
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    match command {
        PartyCommand::Provision { party, ma_name } => provision(config, party, &ma_name, out).await,
    }
}

pub async fn provision(
    config: &Config,
    party: PartyCode,
    ma_name: &str,
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    let ring = KeyringStore::new(&config.keys_dir).load(party)?;
    let log = super::connect(config).await?;
    log.provision_party(party).await?;
    log.set_signer(ring.signer.clone());
    let registration = AggregateRef::new(party, "party", party.as_str())?;
    if !log.read_aggregate(&registration).await?.is_empty() {
        writeln!(
            out,
            "Party {party} is already provisioned (stream {})",
            config.log_config().stream_name(party)
        )?;
        return Ok(0);
    }
    let keyring = AggregateRef::new(party, "keyring", party.as_str())?;
    let key = SigningKeyActivated {
        key_id: ring.signer.key_id.to_string(),
        public_key: B64.encode(ring.signer.verifying_key().as_bytes()),
        retires: None,
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
        changes: vec![
            AggregateChange {
                aggregate: registration,
                expected: ExpectedPosition::New,
                events: vec![EventData::from_payload(&PartyRegistered {
                    party,
                    management_authority: ma_name.into(),
                })?],
            },
            AggregateChange {
                aggregate: keyring,
                expected: ExpectedPosition::New,
                events: vec![EventData::from_payload(&key)?],
            },
        ],
    };
    let done = log.append(commit).await?;
    writeln!(
        out,
        "provisioned Party {party}: stream {}, position {}",
        config.log_config().stream_name(party),
        done.position_token()
    )?;
    Ok(0)
}
