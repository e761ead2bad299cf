//! `ecites admin init` (first run: a Party, its keys, its stream and its admin) and
//! `ecites users add | list | link`.

use crate::config::Config;
use anyhow::Context;
use clap::Subcommand;
use ecites_command::api::users::Users;
use ecites_command::domain::organisation::OrganisationCommand;
use ecites_command::handler::auth::{Principal, Role};
use ecites_command::handler::CommandHandler;
use ecites_command::reference::ReferenceData;
use ecites_events::{KeyringStore, PartyCode, PublicKeys};
use std::io::Write;
use std::sync::Arc;
use uuid::Uuid;

#[derive(Subcommand)]
pub enum AdminCommand {
    /// First run for a Party: signing keys (unless present), its stream and registration, and
    /// its first Party admin. The password comes from ECITES_ADMIN_PASSWORD.
    Init {
        #[arg(long)]
        party: PartyCode,
        #[arg(long, default_value = "Management Authority")]
        ma_name: String,
        #[arg(long, default_value = "admin")]
        admin: String,
    },
}

#[derive(Subcommand)]
pub enum UsersCommand {
    /// Add a user; the password comes from ECITES_USER_PASSWORD (never from the command line).
    Add {
        #[arg(long)]
        party: PartyCode,
        #[arg(long)]
        user: String,
        /// trader, ma_officer, ma_signatory, sa_expert, customs, auditor, party_admin, system_operator
        #[arg(long)]
        role: String,
        /// The organisation a trader's account is opened for: the trader registers it, or one
        /// of its members lists the trader, before filing for it.
        #[arg(long)]
        organisation: Option<Uuid>,
    },
    /// The Party's users, their roles and status (never a password hash).
    List {
        #[arg(long)]
        party: PartyCode,
    },
    /// A new one-time set-password link for a user (e.g. the only admin forgot the password):
    /// prints the path to open on the server, valid 72 hours.
    Link {
        #[arg(long)]
        party: PartyCode,
        #[arg(long)]
        user: String,
    },
}

fn password(var: &str) -> anyhow::Result<String> {
    let p = std::env::var(var).with_context(|| format!("set {var} to the password"))?;
    anyhow::ensure!(
        p.chars().count() >= 12,
        "{var}: a password needs at least 12 characters"
    );
    Ok(p)
}

fn role(name: &str) -> anyhow::Result<Role> {
    Role::ALL
        .into_iter()
        .find(|r| r.as_str() == name)
        .with_context(|| format!("unknown role {name:?}"))
}

pub async fn init(
    config: &Config,
    command: AdminCommand,
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    let AdminCommand::Init {
        party,
        ma_name,
        admin,
    } = command;
    let store = KeyringStore::new(&config.keys_dir);
    if store.load_public(party).is_err() {
        let ring = store.generate(party)?;
        writeln!(
            out,
            "generated key {} for Party {party}",
            ring.signer.key_id
        )?;
    }
    super::party::provision(config, party, &ma_name, out).await?;
    let users = Users::load(&config.users_file)?;
    users.add(
        party,
        &admin,
        Role::PartyAdmin,
        None,
        &password("ECITES_ADMIN_PASSWORD")?,
    )?;
    writeln!(
        out,
        "Party admin {admin} of {party} can log in (users in {})",
        config.users_file.display()
    )?;
    Ok(0)
}

pub fn users(config: &Config, command: UsersCommand, out: &mut dyn Write) -> anyhow::Result<u8> {
    let users = Users::load(&config.users_file)?;
    let (party, user, name, organisation) = match command {
        UsersCommand::Add {
            party,
            user,
            role,
            organisation,
        } => (party, user, role, organisation),
        UsersCommand::List { party } => {
            for u in users.list(party) {
                let status = match (u.disabled, u.password_set) {
                    (true, _) => "disabled",
                    (false, false) => "awaiting password",
                    (false, true) => "active",
                };
                let org = u.organisation_id.map(|o| o.to_string()).unwrap_or_default();
                writeln!(out, "{}\t{}\t{status}\t{org}", u.user_id, u.role.as_str())?;
            }
            return Ok(0);
        }
        UsersCommand::Link { party, user } => {
            // The command line acts as the operator of the machine; the audit trail says `cli`.
            let cli = Principal {
                user_id: "cli".into(),
                role: Role::SystemOperator,
                party,
                organisation_id: None,
            };
            anyhow::ensure!(
                !users
                    .list(party)
                    .iter()
                    .any(|u| u.user_id == user && u.disabled),
                "user {user} is disabled"
            );
            let link = users.reissue_link(&cli, &user)?;
            writeln!(
                out,
                "/query/ui/set-password#token={} (valid until {} UTC; give it to {user} only)",
                link.token,
                time::OffsetDateTime::from_unix_timestamp(link.expires_at)
                    .map(|t| t.to_string())
                    .unwrap_or_default()
            )?;
            return Ok(0);
        }
    };
    users.add(
        party,
        &user,
        role(&name)?,
        organisation,
        &password("ECITES_USER_PASSWORD")?,
    )?;
    writeln!(out, "added {name} {user} to Party {party}")?;
    Ok(0)
}

/// The demo organisation every demo trader files for.
pub const DEMO_ORGANISATION: Uuid = Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_0001);
/// Printed by `deploy/dev.sh`; for local demos only.
pub const DEMO_PASSWORD: &str = "demo-password-not-for-production";

/// One user of each role for a local demo; existing users are left alone.
/// The demo customs broker's own firm: a broker is a trader account of its agency, which the
/// demo trader's organisation can list as its agent.
pub const DEMO_BROKER_AGENCY: Uuid = Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_0002);

pub fn demo_users(config: &Config, party: PartyCode, out: &mut dyn Write) -> anyhow::Result<()> {
    let users = Users::load(&config.users_file)?;
    for (id, role) in [
        ("trader", Role::Trader),
        ("broker", Role::Trader),
        ("officer", Role::MaOfficer),
        ("signatory", Role::MaSignatory),
        ("scientist", Role::SaExpert),
        ("customs", Role::Customs),
        ("auditor", Role::Auditor),
        ("admin", Role::PartyAdmin),
    ] {
        let org = match (id, role) {
            ("broker", _) => Some(DEMO_BROKER_AGENCY),
            (_, Role::Trader) => Some(DEMO_ORGANISATION),
            _ => None,
        };
        match users.add(party, id, role, org, DEMO_PASSWORD) {
            Ok(()) => writeln!(out, "demo user {id} ({}) added", role.as_str())?,
            Err(ecites_command::api::users::UserError::Exists(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Registers the demo organisation as the demo trader and verifies it as the demo officer, so
/// that the demo trader can file at once. Fixed command ids make a second seed a no-op.
pub async fn demo_organisation(
    config: &Config,
    party: PartyCode,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let store = KeyringStore::new(&config.keys_dir);
    let log = super::connect(config).await?;
    log.set_signer(store.load(party)?.signer);
    let keys = PublicKeys::from_rings([&store.load_public(party)?]).map_err(anyhow::Error::msg)?;
    let handler = CommandHandler::new(log, keys, Arc::new(ReferenceData::demo()));
    let principal = |user_id: &str, role, organisation_id| Principal {
        user_id: user_id.into(),
        role,
        party,
        organisation_id,
    };
    let register = OrganisationCommand::Register {
        name: "Demo Exports (Pvt) Ltd".into(),
        registration_number: "PV 00001".into(),
        country: party,
        address_ref: None,
        registrant: "trader".into(),
    };
    let verify = OrganisationCommand::Verify {
        note: "demo data".into(),
    };
    let steps = [
        (
            principal("trader", Role::Trader, Some(DEMO_ORGANISATION)),
            Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_0101),
            register,
        ),
        (
            principal("officer", Role::MaOfficer, None),
            Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_0102),
            verify,
        ),
    ];
    for (who, command_id, command) in steps {
        let done = handler
            .handle_organisation(&who, party, DEMO_ORGANISATION, command_id, command)
            .await?;
        if !done.duplicate {
            writeln!(out, "demo organisation: {}", done.events.join(", "))?;
        }
    }
    Ok(())
}
