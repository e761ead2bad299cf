//! `ecites project`, `ecites replay`, `ecites status` and `ecites restore`: the read side's
//! operations.

use crate::config::Config;
use anyhow::Context;
use clap::Args;
use ecites_events::{EventReader, PartyCode, PublicKeys};
use ecites_projector::runner::ProjectorConfig;
use ecites_projector::status::Status;
use ecites_projector::{batch, db, Projection};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::Write;
use std::sync::Arc;

#[derive(Args)]
pub struct ReplayArgs {
    /// Only these Parties (default: every Party with a stream).
    #[arg(long)]
    pub party: Vec<PartyCode>,
    /// Discard an interrupted replay's progress and start from sequence 1.
    #[arg(long)]
    pub fresh: bool,
    /// Events per transaction (default: the configured projector batch size).
    #[arg(long)]
    pub batch_size: Option<usize>,
}

#[derive(Args)]
pub struct RestoreArgs {
    #[arg(long)]
    pub party: PartyCode,
    /// Discard what the stream holds now (restoring is for a damaged log).
    #[arg(long)]
    pub replace: bool,
}

pub(crate) fn public_keys(config: &Config) -> anyhow::Result<PublicKeys> {
    let store = ecites_events::KeyringStore::new(&config.keys_dir);
    let rings = store
        .parties()?
        .into_iter()
        .map(|p| store.load_public(p))
        .collect::<Result<Vec<_>, _>>()?;
    PublicKeys::from_rings(&rings).map_err(anyhow::Error::msg)
}

async fn parties(config: &Config, only: &[PartyCode]) -> anyhow::Result<Vec<PartyCode>> {
    if !only.is_empty() {
        return Ok(only.to_vec());
    }
    Ok(super::connect(config).await?.parties().await?)
}

/// Runs the projector alone, with `/health` and `/metrics`, until Ctrl-C.
pub async fn project(config: &Config) -> anyhow::Result<u8> {
    let log = Arc::new(super::connect(config).await?);
    let parties = log.parties().await?;
    let keys = Arc::new(public_keys(config)?);
    let status = Status::default();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let listener = tokio::net::TcpListener::bind(&config.projector_listen)
        .await
        .with_context(|| format!("binding {}", config.projector_listen))?;
    let router = ecites_projector::status::router(status.clone());
    tokio::spawn(async move { axum::serve(listener, router).await });
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        let _ = stop.send(true);
    });
    eprintln!(
        "projecting Parties {parties:?} into {} (metrics: http://{}/metrics)",
        db::redact(config.database_url.expose()),
        config.projector_listen
    );
    let cfg = projector_config(config);
    ecites_projector::runner::run(log, keys, parties, cfg, status, stopped).await?;
    Ok(0)
}

pub(crate) fn projector_config(config: &Config) -> ProjectorConfig {
    ProjectorConfig {
        batch_size: config.projector_batch_size,
        ..ProjectorConfig::new(config.database_url.expose())
    }
}

pub async fn replay(config: &Config, args: ReplayArgs, out: &mut dyn Write) -> anyhow::Result<u8> {
    let log = super::connect(config).await?;
    let parties = parties(config, &args.party).await?;
    let replay = ecites_projector::replay::Replay {
        reader: &log,
        database_url: config.database_url.expose(),
        keys: Arc::new(public_keys(config)?),
        parties,
        batch_size: args.batch_size.unwrap_or(config.projector_batch_size),
        fresh: args.fresh,
    };
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "replay {msg} {bar:40} {pos}/{len} events ({per_sec}, eta {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let report = replay
        .run(|party, done, total| {
            bar.set_message(party.to_string());
            bar.set_length(total);
            bar.set_position(done);
        })
        .await?;
    bar.finish_and_clear();
    for ((party, head), (_, resumed)) in report.parties.iter().zip(&report.resumed_from) {
        let from = if *resumed > 0 {
            format!(" (resumed after sequence {resumed})")
        } else {
            String::new()
        };
        writeln!(
            out,
            "Party {party}: read models rebuilt to sequence {head}{from}"
        )?;
    }
    writeln!(
        out,
        "replayed {} events; the new read models are live",
        report.events
    )?;
    Ok(0)
}

/// Stream heads, checkpoints and lag of every projection, and who holds each lock.
pub async fn status(config: &Config, out: &mut dyn Write) -> anyhow::Result<u8> {
    let log = super::connect(config).await?;
    let parties = log.parties().await?;
    let admin = db::pool(config.database_url.expose(), "public", 1).await?;
    writeln!(
        out,
        "{:<6} {:<12} {:>10} {:>10} {:>8}  instance",
        "party", "projection", "head", "checkpoint", "lag"
    )?;
    for projection in Projection::ALL {
        let holder: Option<(i32,)> = sqlx::query_as(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted \
             AND ((classid::bigint << 32) | objid::bigint) = $1 LIMIT 1",
        )
        .bind(projection.lock_key())
        .fetch_optional(&admin)
        .await?;
        let who = holder.map_or("none active".to_string(), |(pid,)| {
            format!("active (pid {pid})")
        });
        let pool = db::pool(config.database_url.expose(), projection.live_schema(), 1).await?;
        for party in &parties {
            let head = log.head(*party).await?;
            let cp = batch::checkpoint(&pool, *party).await.unwrap_or(0);
            writeln!(
                out,
                "{:<6} {:<12} {:>10} {:>10} {:>8}  {who}",
                party.to_string(),
                projection.name(),
                head,
                cp,
                head.saturating_sub(cp)
            )?;
        }
        pool.close().await;
    }
    Ok(0)
}

pub async fn restore(
    config: &Config,
    args: RestoreArgs,
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    let keys = public_keys(config)?;
    let pool = db::pool(config.database_url.expose(), db::ARCHIVE_SCHEMA, 2).await?;
    // Only a copy that verifies completely is worth restoring.
    let report = super::audit::verify_archive(&pool, args.party, &keys, None).await?;
    if !report.is_ok() {
        let first = report
            .first_failure()
            .map(ToString::to_string)
            .unwrap_or_default();
        anyhow::bail!(
            "the archive of Party {} does not verify ({first}); nothing restored",
            args.party
        );
    }
    let log = super::connect(config).await?;
    let events = ecites_projector::archive::read(pool, args.party.to_string());
    let restored = log.restore_party(args.party, events, args.replace).await?;
    writeln!(
        out,
        "restored {} events of Party {} from the archive",
        restored.events, args.party
    )?;
    if restored.renumbered > 0 {
        writeln!(
            out,
            "{} events have new stream sequences (the archive had holes)",
            restored.renumbered
        )?;
    }
    Ok(0)
}
