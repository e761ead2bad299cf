//! `TaxonRecorded` v1 (float quotas) still in a log: it verifies, the catalogue is rebuilt from
//! it with exact quotas, and a re-import records the taxon once more, as v2.

use ecites::species::{self, Progress, SpeciesAnswers};
use ecites_events::cites::Quantity;
use ecites_events::payloads::species::{ContentHash, TaxonRecorded};
use ecites_events::{EventAppender, EventData, EventReader, ExpectedPosition};
use ecites_tests::speciesplus::{fixture_dir, ELEPHANT};
use ecites_tests::*;

/// The elephant's v2 event written back into the v1 shape (quotas as JSON numbers).
fn v1_event(v2: &TaxonRecorded) -> EventData {
    let mut v = serde_json::to_value(v2).unwrap();
    for q in v["taxon"]["quotas"].as_array_mut().unwrap() {
        if let Some(text) = q["quota"].as_str() {
            q["quota"] = serde_json::json!(text.parse::<f64>().unwrap());
        }
    }
    EventData {
        event_type: "TaxonRecorded".into(),
        schema_version: 1,
        payload: serde_json::value::to_raw_value(&v).unwrap(),
    }
}

#[tokio::test]
async fn a_v1_taxon_event_verifies_rebuilds_exact_quotas_and_is_superseded_by_v2() {
    let t = TestLedger::new().await;
    let fixtures = fixture_dir();
    let direct = SpeciesAnswers::read_dir(fixtures.path())
        .unwrap()
        .catalogue()
        .unwrap();
    let taxon = direct.by_id(ELEPHANT).unwrap().clone();
    let v2 = TaxonRecorded {
        taxon_id: ELEPHANT,
        content_hash: ContentHash([0; 32]),
        taxon,
    };
    let elephant = aggregate("taxon", &ELEPHANT.to_string());
    t.log
        .append(commit(vec![change(
            &elephant,
            ExpectedPosition::New,
            vec![v1_event(&v2)],
        )]))
        .await
        .unwrap();
    let stored = t.log.read_aggregate(&elephant).await.unwrap();
    let body: serde_json::Value = serde_json::from_slice(&stored[0].body).unwrap();
    assert_eq!(body["schema_version"], 1);
    let quotas = body["payload"]["taxon"]["quotas"].as_array().unwrap();
    assert!(quotas.iter().any(|q| q["quota"].is_number()));

    let report = t.audit().await;
    assert!(report.is_ok(), "{report:?}");

    let rebuilt = species::catalogue_from_log(&t.log, lk(), &t.public_keys())
        .await
        .unwrap();
    assert_eq!(rebuilt.quotas(ELEPHANT), direct.quotas(ELEPHANT));
    let cm = rebuilt
        .quotas(ELEPHANT)
        .iter()
        .find(|q| q.id == 130)
        .unwrap();
    assert_eq!(cm.quota, Some(Quantity::whole(160)));

    // The content hash of v1 is not v2's: the next import records the taxon again, as v2.
    species::import(&t.log, lk(), &t.public_keys(), &direct, Progress::Hidden)
        .await
        .unwrap();
    let after = t.log.read_aggregate(&elephant).await.unwrap();
    let last: serde_json::Value = serde_json::from_slice(&after.last().unwrap().body).unwrap();
    assert_eq!(last["schema_version"], 2);
    let quotas = last["payload"]["taxon"]["quotas"].as_array().unwrap();
    assert!(quotas.iter().any(|q| q["quota"].is_string()));
    assert!(!quotas.iter().any(|q| q["quota"].is_number()));
    let report = t.audit().await;
    assert!(report.is_ok(), "{report:?}");
}
