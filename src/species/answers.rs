//! The Species+ answers an import works from, and the directory layout they are saved in.
//!
//! A directory of saved answers holds, with nothing but the answer bodies as the API sent them:
//!
//! | file | answer of |
//! |---|---|
//! | `taxon_concepts_<n>.json` | `GET taxon_concepts?page=<n>` (any `per_page`); read in order of `<n>`, a later page replacing a concept given earlier |
//! | `cites_legislation_<id>.json` | `GET taxon_concepts/<id>/cites_legislation?scope=all` |
//!
//! Legislation answers must be `scope=all` (the whole listing history), as `--live` fetches
//! them: the catalogue takes the date of first listing from them. A taxon without a legislation
//! file keeps the current listings of its concept. Other `.json` files are refused, so that a
//! misnamed answer is not silently left out; files of other kinds are ignored.

use ecites_command::reference::species::{CatalogueError, LegislationScope, SpeciesCatalogue};
use ecites_command::reference::speciesplus::{CitesLegislation, TaxonConceptsPage};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Taxon concept pages and per-taxon CITES legislation (`scope=all`), as the API answered.
#[derive(Clone, Debug, Default)]
pub struct SpeciesAnswers {
    /// In page order.
    pub pages: Vec<TaxonConceptsPage>,
    pub legislation: BTreeMap<u64, CitesLegislation>,
}

#[derive(Debug, thiserror::Error)]
pub enum AnswersError {
    #[error("reading {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not a Species+ answer of its kind: {source}")]
    Parse {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("{0}: not a saved answer's name (taxon_concepts_<page>.json or cites_legislation_<taxon id>.json)")]
    UnknownFile(PathBuf),
    #[error("{first} and {second} are the same answer")]
    Twice { first: PathBuf, second: PathBuf },
    #[error("{0} holds no taxon_concepts_<page>.json: nothing to import")]
    NoPages(PathBuf),
}

enum Kind {
    Page(u64),
    Legislation(u64),
}

fn kind(name: &str) -> Option<Kind> {
    let stem = name.strip_suffix(".json")?;
    let number = |s: &str| -> Option<u64> {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    if let Some(n) = stem.strip_prefix("taxon_concepts_") {
        return number(n).map(Kind::Page);
    }
    number(stem.strip_prefix("cites_legislation_")?).map(Kind::Legislation)
}

fn parse<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, AnswersError> {
    let bytes = std::fs::read(path).map_err(|source| AnswersError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_slice(&bytes).map_err(|source| AnswersError::Parse {
        path: path.to_path_buf(),
        source,
    })
}

impl SpeciesAnswers {
    /// Reads a directory of saved answers (layout in the module documentation).
    pub fn read_dir(dir: &Path) -> Result<Self, AnswersError> {
        let io = |source| AnswersError::Io {
            path: dir.to_path_buf(),
            source,
        };
        let mut pages: BTreeMap<u64, PathBuf> = BTreeMap::new();
        let mut legislation: BTreeMap<u64, PathBuf> = BTreeMap::new();
        for entry in std::fs::read_dir(dir).map_err(io)? {
            let path = entry.map_err(io)?.path();
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            if !name.ends_with(".json") {
                continue;
            }
            let (slot, n) = match kind(name) {
                Some(Kind::Page(n)) => (&mut pages, n),
                Some(Kind::Legislation(id)) => (&mut legislation, id),
                None => return Err(AnswersError::UnknownFile(path)),
            };
            // `taxon_concepts_01.json` and `taxon_concepts_1.json` would be the same page.
            if let Some(first) = slot.insert(n, path.clone()) {
                return Err(AnswersError::Twice {
                    first,
                    second: path,
                });
            }
        }
        if pages.is_empty() {
            return Err(AnswersError::NoPages(dir.to_path_buf()));
        }
        Ok(Self {
            pages: pages.values().map(|p| parse(p)).collect::<Result<_, _>>()?,
            legislation: legislation
                .into_iter()
                .map(|(id, p)| Ok((id, parse(&p)?)))
                .collect::<Result<_, AnswersError>>()?,
        })
    }

    /// The catalogue these answers describe.
    pub fn catalogue(self) -> Result<SpeciesCatalogue, CatalogueError> {
        let mut builder = SpeciesCatalogue::builder();
        for page in self.pages {
            builder.add_page(page)?;
        }
        for (id, legislation) in self.legislation {
            builder.add_legislation(id, LegislationScope::All, legislation);
        }
        builder.build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_map_to_answers() {
        assert!(matches!(
            kind("taxon_concepts_43.json"),
            Some(Kind::Page(43))
        ));
        assert!(matches!(
            kind("cites_legislation_4521.json"),
            Some(Kind::Legislation(4521))
        ));
        for bad in [
            "taxon_concepts_.json",
            "taxon_concepts_4a.json",
            "taxon_concepts_+4.json",
            "cites_legislation_4521.json.json",
            "spp_taxonconcept_def__0.json",
            "cites_legislation_4521_fr.json",
        ] {
            assert!(kind(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn a_directory_without_pages_or_with_a_stray_answer_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            SpeciesAnswers::read_dir(dir.path()),
            Err(AnswersError::NoPages(_))
        ));
        std::fs::write(dir.path().join("README.txt"), "ignored").unwrap();
        std::fs::write(dir.path().join("elephant.json"), "{}").unwrap();
        assert!(matches!(
            SpeciesAnswers::read_dir(dir.path()),
            Err(AnswersError::UnknownFile(_))
        ));
    }
}
