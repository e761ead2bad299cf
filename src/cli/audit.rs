//! `ecites audit verify` and `ecites audit export`.

use crate::config::Config;
use anyhow::Context;
use clap::Subcommand;
use ecites_events::audit::{audit_aggregate, audit_party_against, AuditReport, Auditor};
use ecites_events::export::{export_party, read_lines};
use ecites_events::tree_head::SignedTreeHead;
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
        /// A signed tree head the events must match (a file from `GET /api/{party}/checkpoint`
        /// or a witness). Without it the live log is held against the latest tree head a
        /// witness co-signed (else the latest recorded one) in the tree's database.
        #[arg(long)]
        checkpoint: Option<PathBuf>,
    },
    /// Check a proof offline against a signed tree head: that an event (its receipt's hash)
    /// is in it (`--inclusion`, the answer of `GET /api/{party}/proof/inclusion`), or that an
    /// older tree head is a prefix of it (`--consistency` with `--old`).
    CheckProof {
        /// The signed tree head (the answer of `GET /api/{party}/checkpoint`).
        #[arg(long)]
        checkpoint: PathBuf,
        #[arg(long)]
        keys: Option<PathBuf>,
        #[arg(long, conflicts_with = "consistency")]
        inclusion: Option<PathBuf>,
        /// The event's hash (hex), from the command's receipt.
        #[arg(long, requires = "inclusion")]
        hash: Option<String>,
        #[arg(long, requires = "old")]
        consistency: Option<PathBuf>,
        /// The older signed tree head.
        #[arg(long)]
        old: Option<PathBuf>,
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
            checkpoint,
        } => {
            let keys = load_keys(config, keys.as_deref())?;
            let given = checkpoint.as_deref().map(read_checkpoint).transpose()?;
            if let Some(file) = file {
                return verify_file(&file, &keys, given, out);
            }
            if source == Source::Archive {
                return verify_archive_cli(config, party, &keys, given, out).await;
            }
            verify_live(config, party, aggregate, &keys, given, out).await
        }
        AuditCommand::CheckProof {
            checkpoint,
            keys,
            inclusion,
            hash,
            consistency,
            old,
        } => {
            let keys = load_keys(config, keys.as_deref())?;
            let head = read_checkpoint(&checkpoint)?;
            head.verify(&keys)?;
            let verdict = match (inclusion, consistency) {
                (Some(file), None) => {
                    let hash = hash.context("--inclusion needs --hash, the event's hash")?;
                    check_inclusion(&head, &file, &hash)?
                }
                (None, Some(file)) => {
                    let old = read_checkpoint(&old.context("--consistency needs --old")?)?;
                    old.verify(&keys)?;
                    check_consistency(&old, &head, &file)?
                }
                _ => anyhow::bail!("give --inclusion or --consistency"),
            };
            writeln!(out, "{}", verdict.1)?;
            Ok(u8::from(!verdict.0))
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

fn proof_hashes(
    file: &Path,
) -> anyhow::Result<(serde_json::Value, Vec<ecites_events::merkle::Hash>)> {
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(file)?)
        .with_context(|| format!("{} is not JSON", file.display()))?;
    let list: Vec<&str> = v["proof"]
        .as_array()
        .context("the proof has no \"proof\" list")?
        .iter()
        .map(|h| h.as_str().unwrap_or(""))
        .collect();
    let hashes =
        ecites_events::merkle::parse_hashes(&list).context("a proof hash is not 64 hex digits")?;
    Ok((v, hashes))
}

fn check_inclusion(
    head: &SignedTreeHead,
    file: &Path,
    event_hash: &str,
) -> anyhow::Result<(bool, String)> {
    use ecites_events::merkle;
    let (v, proof) = proof_hashes(file)?;
    let sequence = v["sequence"]
        .as_u64()
        .context("the proof names no sequence")?;
    let hash = merkle::parse_hash(event_hash).context("--hash is not 64 hex digits")?;
    let ok = merkle::verify_inclusion(
        &merkle::leaf_hash(&hash),
        sequence - 1,
        head.size,
        &proof,
        &head.root_hash()?,
    );
    Ok((
        ok,
        if ok {
            format!("OK: the event {event_hash} is sequence {sequence} of {}'s log, in its signed tree head of {} events", head.party, head.size)
        } else {
            format!("FAILED: the proof does not show {event_hash} at sequence {sequence} in the tree head of {} events", head.size)
        },
    ))
}

fn check_consistency(
    old: &SignedTreeHead,
    head: &SignedTreeHead,
    file: &Path,
) -> anyhow::Result<(bool, String)> {
    let (_, proof) = proof_hashes(file)?;
    let ok = old.party == head.party
        && ecites_events::merkle::verify_consistency(
            old.size,
            head.size,
            &old.root_hash()?,
            &head.root_hash()?,
            &proof,
        );
    Ok((
        ok,
        if ok {
            format!(
                "OK: {}'s tree head of {} events grows from the one of {}",
                head.party, head.size, old.size
            )
        } else {
            format!("FAILED: the tree head of {} events is not shown to grow from the one of {}: history may have changed", head.size, old.size)
        },
    ))
}

/// A tree head from a file: the checkpoint route's answer (`{"head": …}`) or a bare head.
fn read_checkpoint(path: &Path) -> anyhow::Result<SignedTreeHead> {
    let text = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let value: serde_json::Value =
        serde_json::from_slice(&text).with_context(|| format!("{} is not JSON", path.display()))?;
    let head = value.get("head").cloned().unwrap_or(value);
    serde_json::from_value(head)
        .with_context(|| format!("{} holds no signed tree head", path.display()))
}

/// The tree projection's reader, when its database answers (an offline audit has none).
async fn tree_reader(config: &Config) -> Option<ecites_projector::tree::TreeReader> {
    let pool = ecites_projector::db::pool(
        config.database_url.expose(),
        ecites_projector::db::TREE_SCHEMA,
        1,
    )
    .await
    .ok()?;
    Some(ecites_projector::tree::TreeReader { pool })
}

/// The latest tree head a witness co-signed for `party`, else the latest the tree recorded;
/// `None` when the tree's database cannot tell.
async fn latest_known_head(
    tree: Option<&ecites_projector::tree::TreeReader>,
    party: PartyCode,
) -> Option<SignedTreeHead> {
    let tree = tree?;
    if let Ok(Some((head, _))) = tree.latest_witnessed(party).await {
        return Some(head);
    }
    tree.head(party, None).await.ok().flatten()
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
    given: Option<SignedTreeHead>,
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
    // Opened once, and only when some Party has no head given.
    let all_given = parties
        .iter()
        .all(|p| given.as_ref().is_some_and(|g| g.party == *p));
    let tree = if all_given {
        None
    } else {
        tree_reader(config).await
    };
    let mut worst = 0;
    for party in parties {
        let bar = progress_bar(log.head(party).await?, format!("Party {party}"));
        let head = match given.clone().filter(|h| h.party == party) {
            Some(h) => Some(h),
            None => latest_known_head(tree.as_ref(), party).await,
        };
        if let Some(h) = &head {
            writeln!(
                out,
                "holding Party {party} against its signed tree head of {} events",
                h.size
            )?;
        }
        let report = audit_party_against(&log, party, keys, head, |n| bar.set_position(n)).await?;
        bar.finish_and_clear();
        worst = worst.max(print_report(&format!("Party {party}"), &report, out)?);
    }
    Ok(worst)
}

fn verify_file(
    path: &Path,
    keys: &PublicKeys,
    given: Option<SignedTreeHead>,
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let bar = progress_bar(size / 1024, format!("{}", path.display()));
    // An export is a Party's stream from sequence 1; its last sequence is not stated, so a
    // cut tail shows only through the signed tree heads.
    let mut auditor = Auditor::new(keys).whole_stream(None).with_tree(given);
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
    given: Option<SignedTreeHead>,
) -> anyhow::Result<AuditReport> {
    use futures::StreamExt;
    let mut auditor = Auditor::new(keys).whole_stream(None).with_tree(given);
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
    given: Option<SignedTreeHead>,
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    use ecites_projector::db;
    let pool = db::pool(config.database_url.expose(), db::ARCHIVE_SCHEMA, 2).await?;
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
        let head = given.clone().filter(|h| h.party == party);
        let report = verify_archive(&pool, party, keys, head).await?;
        worst = worst.max(print_report(
            &format!("archive of Party {party}"),
            &report,
            out,
        )?);
    }
    Ok(worst)
}
