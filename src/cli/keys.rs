//! `ecites keys generate | rotate | export-public`.

use crate::config::Config;
use clap::Subcommand;
use ecites_events::keyring::PublicKeyring;
use ecites_events::{KeyringStore, PartyCode};
use std::io::Write;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Create a Party's first signing key.
    Generate {
        #[arg(long)]
        party: PartyCode,
    },
    /// Retire the active key (it stays for verification) and make a new one active. Restart
    /// running services afterwards: events signed with a retired key fail `audit verify`.
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
            let ring = store.rotate(party)?;
            writeln!(
                out,
                "Party {party} now signs with {}; earlier keys are verify-only",
                ring.signer.key_id
            )?;
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
