//! The demo species list (`schemas/codes/species-demo.csv`): 47 well-known taxa written for
//! this project to seed demos and rule tests. It is NOT the CITES Checklist: listings are
//! summarised, split listings carry only a note, and every listing is given the synthetic
//! effective date 1975-07-01 (the Convention's entry into force). Import the Species+
//! checklist before any real use.

use super::species::{
    CatalogueError, ChangeType, CommonName, HigherTaxa, ListingChange, ListingHistory,
    SpeciesCatalogue, Taxon,
};
use crate::domain::codes::{Appendix, Kingdom};
use ecites_events::PartyCode;
use sha2::{Digest, Sha256};
use time::macros::date;

/// Demo taxon ids start here, far above Species+ ids, so the two never meet.
pub const DEMO_TAXON_ID_BASE: u64 = 1 << 40;

const DEMO_CSV: &str = include_str!("../../../schemas/codes/species-demo.csv");

const HEADER: [&str; 9] = [
    "full_name",
    "rank",
    "kingdom",
    "class",
    "family",
    "cites_listing",
    "appendix_iii_party",
    "common_name_en",
    "note",
];

/// A stable id from the name, so that reordering or extending the file keeps every id.
fn demo_id(name: &str) -> u64 {
    let digest = Sha256::digest(name.trim().to_lowercase().as_bytes());
    let low = u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]);
    DEMO_TAXON_ID_BASE + u64::from(low)
}

fn opt(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

impl SpeciesCatalogue {
    /// The demo list shipped in the binary (demo data, not the CITES Checklist).
    pub fn demo() -> Result<Self, CatalogueError> {
        Self::from_demo_csv(DEMO_CSV)
    }

    /// Reads a demo list in the `species-demo.csv` layout. Each listed row gets synthetic
    /// listings effective 1975-07-01 (`I/II` gives both, annotated with the row's note;
    /// `III` is listed by `appendix_iii_party`); `NC` rows are known but not listed.
    pub fn from_demo_csv(text: &str) -> Result<Self, CatalogueError> {
        let err = |line: u64, reason: String| CatalogueError::Demo { line, reason };
        // Not `flexible`: every row has the header's nine fields, so indexing cannot fail.
        let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
        let headers = reader.headers().map_err(|e| err(1, e.to_string()))?;
        if headers.iter().ne(HEADER) {
            return Err(err(1, format!("header is not {}", HEADER.join(","))));
        }
        let mut taxa = Vec::new();
        let mut seen = std::collections::BTreeMap::new();
        for record in reader.records() {
            let row = record.map_err(|e| err(0, e.to_string()))?;
            let line = row.position().map_or(0, csv::Position::line);
            let Some(full_name) = opt(&row[0]) else {
                return Err(err(line, "empty full_name".into()));
            };
            let Some(rank) = opt(&row[1]) else {
                return Err(err(line, "empty rank".into()));
            };
            let id = demo_id(&full_name);
            if let Some(other) = seen.insert(id, full_name.clone()) {
                return Err(err(line, format!("{full_name} has the id of {other}")));
            }
            let kingdom = match row[2].trim() {
                "Animalia" => Kingdom::Animalia,
                "Plantae" => Kingdom::Plantae,
                k => return Err(err(line, format!("kingdom {k:?}"))),
            };
            let party = match opt(&row[6]) {
                None => None,
                Some(p) => Some(
                    p.parse::<PartyCode>()
                        .map_err(|e| err(line, e.to_string()))?,
                ),
            };
            let note = opt(&row[8]);
            let (appendices, annotation): (&[Appendix], _) = match row[5].trim() {
                "I" => (&[Appendix::I], None),
                "II" => (&[Appendix::II], None),
                "III" => (&[Appendix::III], None),
                "I/II" => (&[Appendix::I, Appendix::II], note.clone()),
                "NC" => (&[], None),
                other => return Err(err(line, format!("cites_listing {other:?}"))),
            };
            if (appendices == [Appendix::III]) != party.is_some() {
                return Err(err(
                    line,
                    "appendix_iii_party is required for III rows only".into(),
                ));
            }
            let listing_changes = appendices
                .iter()
                .map(|&appendix| ListingChange {
                    id: id * 4 + appendix as u64,
                    taxon_concept_id: None,
                    change_type: ChangeType::Addition,
                    appendix,
                    effective_at: date!(1975 - 07 - 01),
                    party: party.filter(|_| appendix == Appendix::III),
                    annotation: annotation.clone(),
                    hash_annotation: None,
                    is_current: true,
                })
                .collect();
            taxa.push(Taxon {
                id,
                full_name,
                author_year: None,
                rank,
                kingdom,
                higher_taxa: HigherTaxa {
                    phylum: None,
                    class: opt(&row[3]),
                    order: None,
                    family: opt(&row[4]),
                },
                synonyms: Vec::new(),
                common_names: opt(&row[7])
                    .map(|name| CommonName {
                        language: Some("EN".into()),
                        name,
                    })
                    .into_iter()
                    .collect(),
                listing_history: ListingHistory::Complete,
                listing_changes,
                quotas: Vec::new(),
                suspensions: Vec::new(),
            });
        }
        Self::from_taxa(taxa)
    }
}
