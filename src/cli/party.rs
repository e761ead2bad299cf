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
    /// Allow (or withdraw) the documented exceptions to PERMIT-NO-RETROSPECTIVE (Res. Conf.
    /// 12.3): a permit for a consignment that already left, with the signatory's reason.
    /// Recorded as the Party's configuration, as its admin.
    RetrospectiveExceptions {
        #[arg(long)]
        party: PartyCode,
        /// `true` to allow, `false` to withdraw.
        #[arg(long, action = clap::ArgAction::Set)]
        allowed: bool,
        /// The national provision that allows them, or why they are withdrawn.
        #[arg(long)]
        basis: String,
        /// The Party admin's user id recorded as the actor.
        #[arg(long, default_value = "admin")]
        admin: String,
    },
}

pub async fn run(
    config: &Config,
    command: PartyCommand,
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    match command {
        PartyCommand::Provision { party, ma_name } => provision(config, party, &ma_name, out).await,
        PartyCommand::RetrospectiveExceptions {
            party,
            allowed,
            basis,
            admin,
        } => retrospective_exceptions(config, party, allowed, basis, &admin, out).await,
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

/// Records `RetrospectiveIssuePolicySet` through the command handler, as the Party's admin, so
/// the same validation and the same aggregate apply as for every configuration change.
async fn retrospective_exceptions(
    config: &Config,
    party: PartyCode,
    allowed: bool,
    basis: String,
    admin: &str,
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    use ecites_command::domain::party_config::PartyConfigCommand;
    use ecites_command::handler::{auth::Principal, auth::Role, CommandHandler};
    use ecites_events::payloads::party_config::RetrospectiveIssuePolicySet;
    let store = KeyringStore::new(&config.keys_dir);
    let log = super::connect(config).await?;
    log.set_signer(store.load(party)?.signer);
    let keys = ecites_events::PublicKeys::from_rings([&store.load_public(party)?])
        .map_err(anyhow::Error::msg)?;
    let handler = CommandHandler::new(
        log,
        keys,
        std::sync::Arc::new(ecites_command::reference::ReferenceData::demo()),
    );
    handler.configure_party(ecites_command::domain::context::PartySettings::new(party));
    let who = Principal {
        user_id: admin.into(),
        role: Role::PartyAdmin,
        party,
        organisation_id: None,
    };
    let command = PartyConfigCommand::SetRetrospectiveIssuePolicy(RetrospectiveIssuePolicySet {
        exceptions_allowed: allowed,
        basis,
    });
    let done = handler
        .handle_party_config(&who, party, Uuid::now_v7(), command)
        .await?;
    let what = if allowed { "allows" } else { "does not allow" };
    writeln!(
        out,
        "Party {party} {what} retrospective permits under the documented exceptions (position {})",
        done.position
    )?;
    Ok(0)
}
