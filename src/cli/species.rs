//! `ecites species import`, and the species catalogue that `serve` gives the rules.

use crate::config::Config;
use crate::species::{self, ClientConfig, Progress, SpeciesAnswers, SpeciesPlusClient};
use anyhow::Context;
use clap::Subcommand;
use ecites_command::reference::ReferenceData;
use ecites_events::{EventReader, KeyringStore, PartyCode, PublicKeys};
use std::io::Write;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum SpeciesCommand {
    /// Record the Species+ checklist in the Party's log: one TaxonRecorded per taxon that is
    /// new or changed since the last import (a re-run records nothing).
    Import {
        #[arg(long)]
        party: PartyCode,
        /// Saved Species+ answers: taxon_concepts_<page>.json and
        /// cites_legislation_<taxon id>.json (scope=all). Default: species_dir.
        #[arg(long, conflicts_with = "live")]
        dir: Option<PathBuf>,
        /// Fetch from the Species+ API (token: speciesplus_token / ECITES_SPECIESPLUS_TOKEN;
        /// base URL: speciesplus_url).
        #[arg(long)]
        live: bool,
    },
}

pub async fn run(
    config: &Config,
    command: SpeciesCommand,
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    let SpeciesCommand::Import { party, dir, live } = command;
    let store = KeyringStore::new(&config.keys_dir);
    let ring = store.load(party)?;
    let keys = PublicKeys::from_rings([&store.load_public(party)?]).map_err(anyhow::Error::msg)?;
    let answers = if live {
        let token = config.speciesplus_token.clone().context(
            "--live needs a Species+ API token: set speciesplus_token or ECITES_SPECIESPLUS_TOKEN",
        )?;
        let client = SpeciesPlusClient::new(ClientConfig::new(
            config.speciesplus_url.clone(),
            token.expose(),
        ))?;
        client.fetch_all(Progress::Stderr).await?
    } else {
        let dir = dir.or_else(|| config.species_dir.clone()).context(
            "nothing to import from: pass --dir DIR (saved answers) or --live, or set species_dir",
        )?;
        SpeciesAnswers::read_dir(&dir)?
    };
    let catalogue = answers.catalogue()?;
    let log = super::connect(config).await?;
    log.set_signer(ring.signer);
    let report = species::import(&log, party, &keys, &catalogue, Progress::Stderr).await?;
    writeln!(out, "{report}")?;
    Ok(0)
}

/// The reference data for decisions when no Party's log holds a taxon: the shipped code lists
/// with the demo species list; but an empty catalogue when `species_dir` says a real one is
/// expected (deciding on the demo list there would be wrong, not merely incomplete): every
/// species is then unknown (DATA-UNKNOWN-TAXON) until the catalogue is imported, with
/// `ecites species import` or from the admin pages of `ecites serve`.
pub fn reference_data(config: &Config) -> anyhow::Result<ReferenceData> {
    match &config.species_dir {
        None => {
            tracing::warn!("no Party's log holds a taxon: using the demo species list");
            Ok(ReferenceData::demo())
        }
        Some(dir) => {
            let warning = format!(
                "species_dir is set ({}) but no Party's log holds a taxon: every species is unknown until the catalogue is imported (`ecites species import --party <ISO2>`, or Administration → Species import)",
                dir.display()
            );
            tracing::warn!("{warning}");
            eprintln!("{warning}");
            Ok(ReferenceData::new(
                ecites_command::reference::species::SpeciesCatalogue::default(),
            )?)
        }
    }
}

/// The reference data for decisions: the shipped code lists and the species catalogue that the
/// Parties' logs record (every event verified; see [`species::catalogue_from_logs`]), or
/// [`reference_data`] while no log holds a taxon.
pub async fn reference_data_from_log<L: EventReader>(
    config: &Config,
    log: &L,
    keys: &PublicKeys,
    parties: &[PartyCode],
) -> anyhow::Result<ReferenceData> {
    match species::catalogue_from_logs(log, parties, keys).await? {
        Some(catalogue) => Ok(ReferenceData::new(catalogue)?),
        None => reference_data(config),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, Parser};

    #[derive(Parser)]
    struct Cli {
        #[command(subcommand)]
        command: SpeciesCommand,
    }

    #[test]
    fn with_species_dir_and_no_recorded_taxon_every_species_is_unknown_not_the_demo_list() {
        use ecites_command::domain::context::Reference;
        let mut config = Config::default();
        assert!(reference_data(&config)
            .unwrap()
            .resolve_taxon("Python regius")
            .is_some());
        config.species_dir = Some("answers".into());
        assert!(reference_data(&config)
            .unwrap()
            .resolve_taxon("Python regius")
            .is_none());
    }

    #[test]
    fn import_takes_a_party_and_either_a_directory_or_live() {
        Cli::command().debug_assert();
        let parse = |args: &[&str]| Cli::try_parse_from([&["ecites", "import"], args].concat());
        let Ok(Cli {
            command: SpeciesCommand::Import { party, dir, live },
        }) = parse(&["--party", "LK", "--dir", "answers"])
        else {
            panic!("--party LK --dir answers parses");
        };
        assert_eq!(
            (party.as_str(), dir, live),
            ("LK", Some("answers".into()), false)
        );
        assert!(parse(&["--party", "LK", "--live"]).is_ok());
        assert!(parse(&["--party", "LK", "--dir", "d", "--live"]).is_err());
        assert!(parse(&["--dir", "d"]).is_err(), "the Party is required");
        assert!(parse(&["--party", "lk1", "--live"]).is_err());
    }
}
