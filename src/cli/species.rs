//! `ecites species …`: the species catalogue the rules consult.

use crate::config::Config;
use ecites_command::reference::ReferenceData;

/// The reference data for decisions: the shipped code lists with the configured catalogue.
pub fn reference_data(config: &Config) -> anyhow::Result<ReferenceData> {
    match &config.species_dir {
        None => Ok(ReferenceData::demo()),
        Some(dir) => anyhow::bail!(
            "species_dir {} is not supported yet: import Species+ answers with `ecites species import` (coming) or leave species_dir unset for the demo list",
            dir.display()
        ),
    }
}
