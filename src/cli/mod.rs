//! Command-line interface. Each subcommand lives in its own module; this one parses arguments,
//! loads the configuration and dispatches.

mod admin;
mod api_problems;
mod audit;
mod demo;
mod hardening;
mod keys;
pub mod logging;
mod metrics;
mod party;
mod projector;
pub mod seal;
mod seal_page;
pub mod serve;
mod species;
pub mod witness;

use crate::config::Config;
use anyhow::Context;
use clap::error::ErrorKind;
use clap::{Parser, Subcommand};
use ecites_events::jetstream::JetStreamLog;
use std::io::Write;
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "ecites",
    version,
    about = "eCITES ledger: electronic CITES permits on a signed, hash-chained event log"
)]
struct Cli {
    /// Configuration file (default: ./ecites.toml if present).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// NATS server URL (overrides ECITES_NATS_URL).
    #[arg(long, global = true)]
    nats_url: Option<String>,
    /// Keyring directory (overrides ECITES_KEYS_DIR).
    #[arg(long, global = true)]
    keys_dir: Option<PathBuf>,
    /// PostgreSQL of the read models and the archive (overrides ECITES_DATABASE_URL).
    #[arg(long, global = true)]
    database_url: Option<String>,
    /// Stream name prefix (overrides ECITES_STREAM_PREFIX).
    #[arg(long, global = true, hide = true)]
    stream_prefix: Option<String>,
    /// Subject prefix (overrides ECITES_SUBJECT_PREFIX).
    #[arg(long, global = true, hide = true)]
    subject_prefix: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the services (command API, projector, query API) on one port.
    Serve {
        #[arg(long)]
        listen: Option<String>,
    },
    /// Manage a Party's signing keys.
    Keys {
        #[command(subcommand)]
        command: keys::KeysCommand,
    },
    /// Set up a Party in this ledger.
    Party {
        #[command(subcommand)]
        command: party::PartyCommand,
    },
    /// Verify or export the log.
    Audit {
        #[command(subcommand)]
        command: audit::AuditCommand,
    },
    /// The species catalogue: record the Species+ checklist in a Party's log.
    Species {
        #[command(subcommand)]
        command: species::SpeciesCommand,
    },
    /// First-run set-up of a Party.
    Admin {
        #[command(subcommand)]
        command: admin::AdminCommand,
    },
    /// Users and their roles.
    Users {
        #[command(subcommand)]
        command: admin::UsersCommand,
    },
    /// JSON Schemas of event payloads.
    Schemas {
        #[command(subcommand)]
        command: SchemasCommand,
    },
    /// Run the projector alone (read models and archive), with /health and /metrics.
    Project,
    /// Rebuild the read models from sequence 1 into fresh tables, then swap them in.
    Replay(projector::ReplayArgs),
    /// Stream heads, projector checkpoints and lag.
    Status,
    /// Rebuild a Party's stream from the verified archive (for a damaged log).
    Restore(projector::RestoreArgs),
    /// Witness other Parties' logs: co-sign their tree heads when consistent (issue #12).
    Witness(witness::WitnessArgs),
    /// Permit seals (the signed QR content of a printed permit).
    Seal {
        #[command(subcommand)]
        command: seal::SealCommand,
    },
    /// Demo data for a local run.
    Demo {
        #[command(subcommand)]
        command: DemoCommand,
    },
}

#[derive(Subcommand)]
enum SchemasCommand {
    /// Write the schema file of every payload version that has none yet.
    Write,
    /// Fail if any payload no longer matches its committed schema.
    Check,
}

#[derive(Subcommand)]
enum DemoCommand {
    /// Provision the Party with demo data (idempotent).
    Seed {
        #[arg(long, default_value = "LK")]
        party: String,
        /// Only the users and the verified organisation, no year of trade (the browser
        /// journeys start from a Party's first application).
        #[arg(long)]
        without_trade: bool,
    },
}

/// The whole program: the process's arguments in, its exit code out (errors on stderr).
pub fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let mut out = std::io::stdout().lock();
    match run(args, &mut out) {
        Ok(code) => std::process::ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}

/// Runs the command line `args`; returns the process exit code (0 ok, 1 verification failed).
pub fn run(args: Vec<String>, out: &mut dyn Write) -> anyhow::Result<u8> {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        // Asked for: the answer on stdout, and success.
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            write!(out, "{}", e.render())?;
            return Ok(0);
        }
        Err(e) => {
            let _ = e.print();
            anyhow::bail!("invalid arguments");
        }
    };
    logging::init();
    let mut config = Config::load(cli.config.as_deref()).context("loading configuration")?;
    if let Some(v) = cli.nats_url {
        config.nats_url = v;
    }
    if let Some(v) = cli.keys_dir {
        config.keys_dir = v;
    }
    if let Some(v) = cli.database_url {
        config.database_url = crate::config::Secret::new(v);
    }
    if let Some(v) = cli.stream_prefix {
        config.stream_prefix = v;
    }
    if let Some(v) = cli.subject_prefix {
        config.subject_prefix = v;
    }
    match cli.command {
        Command::Keys { command } => keys::run(&config, command, out),
        Command::Seal { command } => seal::run(command, out),
        Command::Users { command } => admin::users(&config, command, out),
        Command::Schemas { command } => schemas(&config, command, out),
        command => runtime()?.block_on(run_async(config, command, out)),
    }
}

async fn run_async(config: Config, command: Command, out: &mut dyn Write) -> anyhow::Result<u8> {
    match command {
        Command::Serve { listen } => serve::run(&config, listen).await,
        Command::Party { command } => party::run(&config, command, out).await,
        Command::Audit { command } => audit::run(&config, command, out).await,
        Command::Admin { command } => admin::init(&config, command, out).await,
        Command::Species { command } => species::run(&config, command, out).await,
        Command::Project => projector::project(&config).await,
        Command::Replay(args) => projector::replay(&config, args, out).await,
        Command::Status => projector::status(&config, out).await,
        Command::Restore(args) => projector::restore(&config, args, out).await,
        Command::Witness(args) => witness::run(args, out).await,
        Command::Demo {
            command:
                DemoCommand::Seed {
                    party,
                    without_trade,
                },
        } => {
            let party = party.parse()?;
            party::provision(
                &config,
                party,
                "Management Authority of the demo Party",
                out,
            )
            .await?;
            admin::demo_users(&config, party, out)?;
            admin::demo_organisation(&config, party, out).await?;
            if !without_trade {
                demo::seed(&config, party, out).await?;
            }
            Ok(0)
        }
        Command::Keys { .. }
        | Command::Schemas { .. }
        | Command::Users { .. }
        | Command::Seal { .. } => {
            unreachable!("handled synchronously")
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

pub(crate) async fn connect(config: &Config) -> anyhow::Result<JetStreamLog> {
    Ok(JetStreamLog::connect(&config.nats_url, config.log_config()).await?)
}

fn schemas(config: &Config, command: SchemasCommand, out: &mut dyn Write) -> anyhow::Result<u8> {
    let entries = ecites_events::payloads::all();
    match command {
        SchemasCommand::Write => {
            for p in ecites_events::schema::write_missing(&config.schemas_dir, &entries)? {
                writeln!(out, "wrote {}", p.display())?;
            }
            Ok(0)
        }
        SchemasCommand::Check => {
            let problems = ecites_events::schema::check(&config.schemas_dir, &entries);
            for p in &problems {
                writeln!(out, "{p}")?;
            }
            Ok(u8::from(!problems.is_empty()))
        }
    }
}
