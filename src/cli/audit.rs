//! `ecites audit verify` and `ecites audit export`.

use crate::config::Config;
use anyhow::Context;
use clap::Subcommand;
use ecites_events::audit::{audit_aggregate, audit_party, AuditReport, Auditor};
use ecites_events::export::{export_party, read_lines};
use ecites_events::{AggregateRef, KeyringStore, PartyCode, PublicKeys};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Source {
    Log,
    Archive,
}

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Check every signature, chain link and version: the whole log, one Party, one aggregate,
    /// or an export file. Exit code 1 when anything fails.
    Verify {
        /// Only this Party (default: every Party with a stream).
        #[arg(long)]
        party: Option<PartyCode>,
        /// Only this aggregate, as `<type>/<id>` (needs --party).
        #[arg(long, requires = "party")]
        aggregate: Option<String>,
        /// Verify an export file offline instead of the live log.
        #[arg(long)]
        file: Option<PathBuf>,
        /// Public keys (a file or directory from `ecites keys export-public`); default: the
        /// keyrings in the keys directory.
        #[arg(long)]
        keys: Option<PathBuf>,
        /// What to verify: the live log (JetStream) or the archive copy in PostgreSQL.
        #[arg(long, value_enum, default_value_t = Source::Log)]
        source: Source,
    },
    /// Write a Party's log as JSON Lines (sequence, subject, signature headers, body bytes).
    Export {
        #[arg(long)]
        party: PartyCode,
        #[arg(long)]
        out: PathBuf,
    },
}

pub async fn run(
    config: &Config,
    command: AuditCommand,
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    match command {
        AuditCommand::Verify {
            party,
            aggregate,
            file,
            keys,
            source,
        } => {
            let keys = load_keys(config, keys.as_deref())?;
            if let Some(file) = file {
                return verify_file(&file, &keys, out);
            }
            if source == Source::Archive {
                return verify_archive_cli(config, party, &keys, out).await;
            }
            verify_live(config, party, aggregate, &keys, out).await
        }
        AuditCommand::Export { party, out: path } => {
            let log = super::connect(config).await?;
            let file = std::fs::File::create(&path)
                .with_context(|| format!("creating {}", path.display()))?;
            let mut w = BufWriter::new(file);
            let n = export_party(&log, party, &mut w).await?;
            writeln!(
                out,
                "exported {n} events of Party {party} to {}",
                path.display()
            )?;
            Ok(0)
        }
    }
}

fn load_keys(config: &Config, path: Option<&Path>) -> anyhow::Result<PublicKeys> {
    let keys = match path {
        Some(p) => PublicKeys::read_path(p)?,
        None => {
            let store = KeyringStore::new(&config.keys_dir);
            let rings = store
                .parties()?
                .into_iter()
                .map(|p| store.load_public(p))
                .collect::<Result<Vec<_>, _>>()?;
            PublicKeys::from_rings(&rings).map_err(anyhow::Error::msg)?
        }
    };
    anyhow::ensure!(
        !keys.is_empty(),
        "no public keys found: pass --keys or set the keys directory"
    );
    Ok(keys)
}

fn progress_bar(total: u64, label: String) -> ProgressBar {
    let bar = ProgressBar::new(total);
    let style =
        ProgressStyle::with_template("{msg} {bar:40} {pos}/{len} events ({per_sec}, eta {eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.set_message(label);
    bar
}

async fn verify_live(
    config: &Config,
    party: Option<PartyCode>,
    aggregate: Option<String>,
    keys: &PublicKeys,
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    use ecites_events::EventReader;
    let log = super::connect(config).await?;
    if let (Some(party), Some(agg)) = (party, aggregate) {
        let (kind, id) = agg
            .split_once('/')
            .context("--aggregate must be <type>/<id>, e.g. permit/0193…")?;
        let aggregate = AggregateRef::new(party, kind, id)?;
        let report = audit_aggregate(&log, &aggregate, keys).await?;
        return print_report(&format!("aggregate {aggregate}"), &report, out);
    }
    let parties = match party {
        Some(p) => vec![p],
        None => log.parties().await?,
    };
    let mut worst = 0;
    for party in parties {
        let bar = progress_bar(log.head(party).await?, format!("Party {party}"));
        let report = audit_party(&log, party, keys, |n| bar.set_position(n)).await?;
        bar.finish_and_clear();
        worst = worst.max(print_report(&format!("Party {party}"), &report, out)?);
    }
    Ok(worst)
}

fn verify_file(path: &Path, keys: &PublicKeys, out: &mut dyn Write) -> anyhow::Result<u8> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let bar = progress_bar(size / 1024, format!("{}", path.display()));
    // An export is a Party's stream from sequence 1; its last sequence is not stated, so a
    // cut tail shows only through the signed tree heads.
    let mut auditor = Auditor::new(keys).whole_stream(None);
    for ev in read_lines(BufReader::new(file)) {
        let ev = ev?;
        bar.inc((ev.body.len() as u64 * 4 / 3 + 200) / 1024);
        auditor.push(&ev);
    }
    bar.finish_and_clear();
    print_report(
        &format!("export {}", path.display()),
        &auditor.finish(),
        out,
    )
}

/// Prints the verdict and the first bad events; 1 when anything failed.
fn print_report(what: &str, report: &AuditReport, out: &mut dyn Write) -> anyhow::Result<u8> {
    if report.is_ok() {
        writeln!(
            out,
            "OK: {what}: {} events in {} aggregates verified (signatures, chains, versions)",
            report.events_checked, report.aggregates
        )?;
        return Ok(0);
    }
    writeln!(
        out,
        "FAILED: {what}: {} problem(s) in {} events",
        report.failure_count, report.events_checked
    )?;
    if let Some(first) = report.first_failure() {
        writeln!(out, "first bad event: {first}")?;
    }
    for f in report.failures.iter().skip(1).take(19) {
        writeln!(out, "  then: {f}")?;
    }
    Ok(1)
}

/// Verifies the archived copy of a Party's log as `audit verify` does the live one.
pub(crate) async fn verify_archive(
    pool: &sqlx::PgPool,
    party: PartyCode,
    keys: &PublicKeys,
) -> anyhow::Result<AuditReport> {
    use futures::StreamExt;
    let mut auditor = Auditor::new(keys).whole_stream(None);
    let mut events = ecites_projector::archive::read(pool.clone(), party.to_string());
    while let Some(ev) = events.next().await {
        auditor.push(&ev?);
    }
    Ok(auditor.finish())
}

async fn verify_archive_cli(
    config: &Config,
    party: Option<PartyCode>,
    keys: &PublicKeys,
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    use ecites_projector::db;
    let pool = db::pool(&config.database_url, db::ARCHIVE_SCHEMA, 2).await?;
    let parties: Vec<PartyCode> = match party {
        Some(p) => vec![p],
        None => sqlx::query_as::<_, (String,)>("SELECT DISTINCT party FROM events ORDER BY party")
            .fetch_all(&pool)
            .await?
            .into_iter()
            .filter_map(|(p,)| p.parse().ok())
            .collect(),
    };
    let mut worst = 0;
    for party in parties {
        let report = verify_archive(&pool, party, keys).await?;
        worst = worst.max(print_report(
            &format!("archive of Party {party}"),
            &report,
            out,
        )?);
    }
    Ok(worst)
}
