//! The pure half of importing the Species+ checklist as events: which taxa changed since the
//! last import.
//!
//! A taxon's content (name, rank, higher taxa, synonyms, common names, listing changes,
//! quotas, suspensions) is serialised as canonical JSON (fixed field order, lists sorted,
//! duplicates dropped) and hashed with SHA-256. A taxon whose hash differs from the one the
//! ledger last recorded, or that the ledger has never seen, becomes a [`TaxonSnapshot`].
//! Fields that change without the content changing (Species+ `updated_at`, the summary
//! string `I/II`) are not part of a [`Taxon`], so they never cause an event. Changing the
//! `Taxon` layout changes every hash: the next import then records every taxon once.

use super::species::{SpeciesCatalogue, Taxon};
pub use ecites_events::payloads::species::ContentHash;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// One taxon of the CITES checklist as imported: its canonical content and that content's
/// hash. The event that records it lets a replay rebuild the catalogue
/// ([`SpeciesCatalogue::from_taxa`]) and the next import's `previous` hashes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TaxonSnapshot {
    pub content_hash: ContentHash,
    pub taxon: Taxon,
}

impl TaxonSnapshot {
    /// The snapshot of a taxon (canonicalised first).
    pub fn of(taxon: &Taxon) -> Result<Self, ImportError> {
        let mut taxon = taxon.clone();
        taxon.canonicalise();
        Ok(Self {
            content_hash: hash_canonical(&taxon)?,
            taxon,
        })
    }

    /// The Species+ id of the taxon.
    pub fn taxon_id(&self) -> u64 {
        self.taxon.id
    }

    /// True when `content_hash` is the hash of `taxon`, e.g. after reading an event.
    pub fn is_consistent(&self) -> bool {
        content_hash(&self.taxon).is_ok_and(|h| h == self.content_hash)
    }
}

/// Why an import could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot serialise taxon {taxon_id}: {source}")]
    Serialise {
        taxon_id: u64,
        #[source]
        source: serde_json::Error,
    },
}

fn hash_canonical(taxon: &Taxon) -> Result<ContentHash, ImportError> {
    let bytes = serde_json::to_vec(taxon).map_err(|source| ImportError::Serialise {
        taxon_id: taxon.id,
        source,
    })?;
    Ok(ContentHash(Sha256::digest(&bytes).into()))
}

/// The hash of a taxon's canonical content.
pub fn content_hash(taxon: &Taxon) -> Result<ContentHash, ImportError> {
    let mut taxon = taxon.clone();
    taxon.canonicalise();
    hash_canonical(&taxon)
}

/// The taxa of `fresh` that are new or whose content changed, given the hash the ledger last
/// recorded for each taxon id. Taxa missing from `fresh` are not reported: a partial fetch
/// must not read as deletions. Ordered by taxon id.
pub fn changed_taxa(
    previous: &HashMap<u64, [u8; 32]>,
    fresh: &SpeciesCatalogue,
) -> Result<Vec<TaxonSnapshot>, ImportError> {
    let mut out = Vec::new();
    for taxon in fresh.taxa() {
        let snapshot = TaxonSnapshot::of(taxon)?;
        if previous.get(&taxon.id) != Some(&snapshot.content_hash.0) {
            out.push(snapshot);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::species::LegislationScope;
    use crate::reference::speciesplus::{CitesLegislation, TaxonConceptsPage};

    fn body(name: &str) -> String {
        let path = format!(
            "{}/../fixtures/speciesplus/bodies/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn catalogue(legislation: CitesLegislation) -> SpeciesCatalogue {
        let mut b = SpeciesCatalogue::builder();
        for page in [
            "spp_taxonconcept_def__0.json",
            "spp_taxonconcept_pag__0.json",
            "spp_taxonconcept_pag__1.json",
        ] {
            let page: TaxonConceptsPage = serde_json::from_str(&body(page)).unwrap();
            b.add_page(page).unwrap();
        }
        b.add_legislation(4521, LegislationScope::All, legislation);
        b.build().unwrap()
    }

    fn history() -> CitesLegislation {
        serde_json::from_str(&body("spp_cites_legislation_sco__0.json")).unwrap()
    }

    fn recorded(snapshots: &[TaxonSnapshot]) -> HashMap<u64, [u8; 32]> {
        snapshots
            .iter()
            .map(|s| (s.taxon_id(), s.content_hash.0))
            .collect()
    }

    #[test]
    fn importing_the_same_answers_twice_records_nothing_the_second_time() {
        let first = changed_taxa(&HashMap::new(), &catalogue(history())).unwrap();
        assert_eq!(
            first.len(),
            21,
            "1 elephant + 20 Procyonidae/Ursidae concepts"
        );
        assert!(first.iter().all(TaxonSnapshot::is_consistent));
        let second = changed_taxa(&recorded(&first), &catalogue(history())).unwrap();
        assert!(second.is_empty(), "{second:?}");
    }

    #[test]
    fn answer_order_does_not_change_the_hash() {
        let first = changed_taxa(&HashMap::new(), &catalogue(history())).unwrap();
        let mut shuffled = history();
        shuffled.cites_listings.reverse();
        shuffled.cites_quotas.reverse();
        shuffled.cites_suspensions.rotate_left(7);
        let again = changed_taxa(&recorded(&first), &catalogue(shuffled)).unwrap();
        assert!(again.is_empty());
    }

    #[test]
    fn a_changed_listing_yields_exactly_that_taxon() {
        let first = changed_taxa(&HashMap::new(), &catalogue(history())).unwrap();
        let mut amended = history();
        let ghana = amended
            .cites_listings
            .iter_mut()
            .find(|l| l.id == 3635)
            .unwrap();
        ghana.annotation = Some("amended".into());
        let changed = changed_taxa(&recorded(&first), &catalogue(amended)).unwrap();
        assert_eq!(changed.len(), 1);
        assert_eq!(changed[0].taxon_id(), 4521);
        let before = first.iter().find(|s| s.taxon_id() == 4521).unwrap();
        assert_ne!(before.content_hash, changed[0].content_hash);
    }

    #[test]
    fn an_unseen_taxon_is_new_and_a_missing_one_is_not_a_deletion() {
        let first = changed_taxa(&HashMap::new(), &catalogue(history())).unwrap();
        let mut previous = recorded(&first);
        previous.remove(&9172);
        previous.insert(1, [0; 32]);
        let changed = changed_taxa(&previous, &catalogue(history())).unwrap();
        let ids: Vec<u64> = changed.iter().map(TaxonSnapshot::taxon_id).collect();
        assert_eq!(ids, vec![9172]);
    }

    #[test]
    fn snapshots_round_trip_and_refuse_unknown_fields() {
        let snapshots = changed_taxa(&HashMap::new(), &catalogue(history())).unwrap();
        let elephant = snapshots.iter().find(|s| s.taxon_id() == 4521).unwrap();
        let json = serde_json::to_string(elephant).unwrap();
        assert!(
            json.contains("\"effective_at\":\"1976-02-26\""),
            "dates are ISO strings"
        );
        let back: TaxonSnapshot = serde_json::from_str(&json).unwrap();
        assert_eq!(&back, elephant);
        assert!(back.is_consistent());

        let mut value: serde_json::Value = serde_json::from_str(&json).unwrap();
        value["taxon"]["colour"] = "grey".into();
        assert!(serde_json::from_value::<TaxonSnapshot>(value.clone()).is_err());
        value["taxon"].as_object_mut().unwrap().remove("colour");
        value["taxon"]["full_name"] = "Loxodonta cyclotis".into();
        let tampered: TaxonSnapshot = serde_json::from_value(value).unwrap();
        assert!(!tampered.is_consistent());
    }

    #[test]
    fn the_snapshot_schema_is_strict() {
        let schema = serde_json::to_value(schemars::schema_for!(TaxonSnapshot)).unwrap();
        assert_eq!(schema["additionalProperties"], false);
        assert_eq!(
            schema["properties"]["content_hash"]["$ref"],
            "#/$defs/ContentHash"
        );
        assert_eq!(schema["$defs"]["Taxon"]["additionalProperties"], false);
    }
}
