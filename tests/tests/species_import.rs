//! The Species+ checklist imported as `TaxonRecorded` events against a real NATS server:
//! reading one aggregate type, importing saved answers (first run, re-run, one change), the
//! catalogue rebuilt from the log, and the live client against a local stand-in for Species+
//! that pages, rate-limits once and checks the token.

use ecites::species::{
    self, ClientConfig, ClientError, Progress, RetryPolicy, SpeciesAnswers, SpeciesLogError,
    SpeciesPlusClient,
};
use ecites_command::reference::species::SpeciesCatalogue;
use ecites_events::audit::audit_party;
use ecites_events::envelope::headers as h;
use ecites_events::payloads::species::TaxonRecorded;
use ecites_events::{
    AggregateType, AppendError, EventAppender, EventData, EventReader, ExpectedPosition, PartyCode,
    ReadError,
};
use ecites_tests::speciesplus::{fixture_dir, serve, Fake, ELEPHANT, FIXTURE_TAXA, TOKEN};
use ecites_tests::*;
use futures::StreamExt;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use time::macros::date;

fn catalogue(dir: &Path) -> SpeciesCatalogue {
    SpeciesAnswers::read_dir(dir).unwrap().catalogue().unwrap()
}

async fn import_dir(t: &TestLedger, dir: &Path) -> species::ImportReport {
    species::import(
        &t.log,
        lk(),
        &t.public_keys(),
        &catalogue(dir),
        Progress::Hidden,
    )
    .await
    .unwrap()
}

async fn recorded_hashes(t: &TestLedger) -> BTreeMap<u64, String> {
    species::recorded_taxa(&t.log, lk(), &t.public_keys())
        .await
        .unwrap()
        .into_iter()
        .map(|(id, r)| (id, r.content_hash.to_string()))
        .collect()
}

async fn read_type(t: &TestLedger, kind: &str) -> Vec<(u64, String)> {
    let kind = AggregateType::new(kind).unwrap();
    let events = t.log.read_type(lk(), &kind).await.unwrap();
    // A guard, not a synchronisation: a stream that polls past its last event hangs.
    tokio::time::timeout(Duration::from_secs(20), events.collect::<Vec<_>>())
        .await
        .expect("read_type ends after the type's last event")
        .into_iter()
        .map(|e| {
            let e = e.unwrap();
            (e.sequence, e.subject)
        })
        .collect()
}

#[tokio::test]
async fn read_type_returns_one_type_in_order_and_ends_at_its_last_event() {
    let t = TestLedger::new().await;
    let (a, b) = (aggregate("widget", "a"), aggregate("widget", "b"));
    let lookalike = aggregate("widget_x", "a");
    let a1 = t
        .log
        .append(single(&a, ExpectedPosition::New, 1))
        .await
        .unwrap();
    t.log
        .append(single(&new_permit(), ExpectedPosition::New, 2))
        .await
        .unwrap();
    t.log
        .append(single(&lookalike, ExpectedPosition::New, 3))
        .await
        .unwrap();
    let b1 = t
        .log
        .append(single(&b, ExpectedPosition::New, 4))
        .await
        .unwrap();
    let a2 = t
        .log
        .append(single(&a, ExpectedPosition::At(a1.positions[0].1), 5))
        .await
        .unwrap();
    // The stream's head lies past the type's last event: the read must not wait for it.
    t.log
        .append(single(&new_permit(), ExpectedPosition::New, 6))
        .await
        .unwrap();

    let widgets = read_type(&t, "widget").await;
    let sequences: Vec<u64> = widgets.iter().map(|(s, _)| *s).collect();
    assert_eq!(
        sequences,
        vec![a1.last_sequence, b1.last_sequence, a2.last_sequence]
    );
    let prefix = &t.config.subject_prefix;
    assert!(widgets
        .iter()
        .all(|(_, s)| s.starts_with(&format!("{prefix}.lk.widget."))));
    assert_eq!(read_type(&t, "permit").await.len(), 2);
    assert!(read_type(&t, "taxon").await.is_empty());

    // Events appended after the call are not part of its answer.
    let kind = AggregateType::new("widget").unwrap();
    let pending = t.log.read_type(lk(), &kind).await.unwrap();
    t.log
        .append(single(&aggregate("widget", "c"), ExpectedPosition::New, 7))
        .await
        .unwrap();
    let got = tokio::time::timeout(Duration::from_secs(20), pending.collect::<Vec<_>>())
        .await
        .expect("ends at the head as of the call");
    assert_eq!(got.len(), 3);

    let ke: PartyCode = "KE".parse().unwrap();
    assert!(matches!(
        t.log.read_type(ke, &kind).await.err(),
        Some(ReadError::UnknownParty(_))
    ));
}

#[tokio::test]
async fn importing_the_fixture_answers_records_every_taxon_once() {
    let t = TestLedger::new().await;
    let dir = fixture_dir();
    let first = import_dir(&t, dir.path()).await;
    assert_eq!(
        (first.seen, first.new, first.changed, first.unchanged),
        (FIXTURE_TAXA, FIXTURE_TAXA, 0, 0),
        "{first}"
    );
    assert_eq!(read_type(&t, "taxon").await.len(), FIXTURE_TAXA);
    let hashes = recorded_hashes(&t).await;
    assert_eq!(hashes.len(), FIXTURE_TAXA);
    assert!(hashes.contains_key(&ELEPHANT) && hashes.contains_key(&9172));
    let head = t.log.head(lk()).await.unwrap();

    let again = import_dir(&t, dir.path()).await;
    assert_eq!(
        (again.seen, again.new, again.changed, again.unchanged),
        (FIXTURE_TAXA, 0, 0, FIXTURE_TAXA),
        "{again}"
    );
    assert_eq!(
        t.log.head(lk()).await.unwrap(),
        head,
        "a re-run appends nothing"
    );
    let report = audit_party(&t.log, lk(), &t.public_keys(), |_| {})
        .await
        .unwrap();
    assert!(report.is_ok(), "{:?}", report.failures);
}

#[tokio::test]
async fn an_import_append_retried_from_the_same_state_is_stored_once() {
    let t = TestLedger::new().await;
    let dir = fixture_dir();
    import_dir(&t, dir.path()).await;
    let elephant = aggregate("taxon", "4521");
    let stored = t.log.read_aggregate(&elephant).await.unwrap();
    let taxa = species::recorded_taxa(&t.log, lk(), &t.public_keys())
        .await
        .unwrap();
    let hash = taxa[&ELEPHANT].content_hash;
    let id = species::command_id(lk(), ELEPHANT, 0, &hash);
    assert_eq!(stored[0].msg_id.as_deref(), Some(id.to_string().as_str()));

    // What an importer that read the log before the first append landed would send again.
    let payload = TaxonRecorded {
        taxon_id: ELEPHANT,
        content_hash: hash,
        taxon: taxa[&ELEPHANT].taxon.clone(),
    };
    let mut retry = commit(vec![change(
        &elephant,
        ExpectedPosition::New,
        vec![EventData::from_payload(&payload).unwrap()],
    )]);
    retry.command_id = id;
    let err = t.log.append(retry).await.unwrap_err();
    assert!(matches!(err, AppendError::Duplicate { .. }), "{err:?}");
    assert_eq!(t.log.read_aggregate(&elephant).await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_signed_taxon_event_copied_under_another_taxon_is_refused() {
    let t = TestLedger::new().await;
    import_dir(&t, fixture_dir().path()).await;
    let stored = t
        .log
        .read_aggregate(&aggregate("taxon", "4521"))
        .await
        .unwrap();
    let (elephant, mut headers) = (&stored[0], async_nats::HeaderMap::new());
    headers.insert(h::KEY_ID, elephant.key_id.as_deref().unwrap());
    headers.insert(h::SIGNATURE, elephant.signature.as_deref().unwrap());
    let subject = format!("{}.lk.taxon.99999", t.config.subject_prefix);
    async_nats::jetstream::new(t.log.nats_client())
        .publish_with_headers(subject, headers, elephant.body.clone())
        .await
        .unwrap()
        .await
        .unwrap();
    let err = species::recorded_taxa(&t.log, lk(), &t.public_keys())
        .await
        .unwrap_err();
    assert!(matches!(err, SpeciesLogError::Misplaced { .. }), "{err:?}");
}

#[tokio::test]
async fn a_changed_listing_records_exactly_that_taxon() {
    let t = TestLedger::new().await;
    let dir = fixture_dir();
    import_dir(&t, dir.path()).await;
    let before = recorded_hashes(&t).await;

    let path = dir.path().join("cites_legislation_4521.json");
    let mut answer: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let ghana = answer["cites_listings"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|l| l["id"] == 3635)
        .expect("the App. III Ghana listing");
    ghana["annotation"] = "amended by the test".into();
    std::fs::write(&path, serde_json::to_vec(&answer).unwrap()).unwrap();

    let report = import_dir(&t, dir.path()).await;
    assert_eq!(
        (report.new, report.changed, report.unchanged),
        (0, 1, FIXTURE_TAXA - 1),
        "{report}"
    );
    let after = recorded_hashes(&t).await;
    let differ: Vec<u64> = after
        .iter()
        .filter(|(id, h)| before.get(id) != Some(h))
        .map(|(id, _)| *id)
        .collect();
    assert_eq!(differ, vec![ELEPHANT]);
    let elephant = t
        .log
        .read_aggregate(&aggregate("taxon", "4521"))
        .await
        .unwrap();
    assert_eq!(elephant.len(), 2, "the change is the taxon's second event");
    let taxa = species::recorded_taxa(&t.log, lk(), &t.public_keys())
        .await
        .unwrap();
    let listing = taxa[&ELEPHANT]
        .taxon
        .listing_changes
        .iter()
        .find(|l| l.id == 3635)
        .unwrap();
    assert_eq!(listing.annotation.as_deref(), Some("amended by the test"));
    assert_eq!(taxa[&ELEPHANT].position.version, 2);
}

#[tokio::test]
async fn the_catalogue_rebuilt_from_the_log_gives_what_the_answers_gave() {
    let t = TestLedger::new().await;
    let keys = t.public_keys();
    assert!(species::catalogue_from_log(&t.log, lk(), &keys)
        .await
        .unwrap()
        .is_empty());
    let ke: PartyCode = "KE".parse().unwrap();
    assert!(
        species::catalogue_from_logs(&t.log, &[lk(), ke], &keys)
            .await
            .unwrap()
            .is_none(),
        "no taxa anywhere: the caller falls back to the demo list"
    );

    let dir = fixture_dir();
    let direct = catalogue(dir.path());
    import_dir(&t, dir.path()).await;
    let replayed = species::catalogue_from_log(&t.log, lk(), &keys)
        .await
        .unwrap();
    let shared = species::catalogue_from_logs(&t.log, &[lk(), ke], &keys)
        .await
        .unwrap()
        .expect("LK holds taxa; KE has no stream");

    for rebuilt in [&replayed, &shared] {
        assert_eq!(rebuilt.len(), FIXTURE_TAXA);
        let name = "Loxodonta africana";
        let (was, is) = (
            direct.resolve(name).unwrap(),
            rebuilt.resolve(name).unwrap(),
        );
        assert_eq!(is, was);
        assert_eq!(is.taxon_id, ELEPHANT);
        assert!(rebuilt.resolve("loxodonta  AFRICANA").is_some());
        for day in [
            date!(1976 - 02 - 26),
            date!(1990 - 01 - 18),
            date!(2026 - 11 - 28),
        ] {
            assert_eq!(
                rebuilt.listings_on(ELEPHANT, day),
                direct.listings_on(ELEPHANT, day),
                "{day}"
            );
            assert_eq!(
                rebuilt.reservations_on(ELEPHANT, day),
                direct.reservations_on(ELEPHANT, day)
            );
        }
        let today = rebuilt.listings_on(ELEPHANT, date!(2026 - 11 - 28));
        assert!(!today.is_empty(), "the elephant is listed today");
        assert_eq!(
            rebuilt.first_listed(ELEPHANT),
            direct.first_listed(ELEPHANT)
        );
        assert!(
            rebuilt.first_listed(ELEPHANT).is_some(),
            "scope=all history"
        );
        assert_eq!(
            rebuilt.quotas(ELEPHANT),
            direct.quotas(ELEPHANT),
            "quotas (f64) survive the log"
        );
        assert_eq!(rebuilt.suspensions(ELEPHANT), direct.suspensions(ELEPHANT));
        assert_eq!(rebuilt.by_id(ELEPHANT), direct.by_id(ELEPHANT));
    }
}

fn client(base: String, token: &str) -> SpeciesPlusClient {
    let mut config = ClientConfig::new(base, token);
    config.retry = RetryPolicy {
        first_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
        max_attempts: 4,
    };
    SpeciesPlusClient::new(config).unwrap()
}

#[tokio::test]
async fn the_live_client_pages_retries_after_429_and_imports_what_the_saved_answers_give() {
    let fake = Fake::two_pages();
    fake.page_2_throttled.store(1, Ordering::SeqCst);
    fake.elephant_unavailable.store(1, Ordering::SeqCst);
    let saved = fake.write_dir();
    let fake = Arc::new(fake);
    let base = serve(fake.clone()).await;

    let answers = client(base, TOKEN)
        .fetch_all(Progress::Hidden)
        .await
        .unwrap();
    let seen = fake.seen();
    let pages: Vec<&String> = seen.iter().filter(|s| s.starts_with("page")).collect();
    assert_eq!(
        pages,
        ["page 1", "page 2", "page 2"],
        "429 once, then page 2 again; no page 3"
    );
    let elephant_calls = seen.iter().filter(|s| *s == "legislation 4521").count();
    assert_eq!(elephant_calls, 2, "503 once, then again");
    assert_eq!(
        seen.len(),
        3 + FIXTURE_TAXA + 1,
        "one legislation request per taxon"
    );
    assert_eq!(answers.pages.len(), 2);

    let live = TestLedger::new().await;
    let report = species::import(
        &live.log,
        lk(),
        &live.public_keys(),
        &answers.catalogue().unwrap(),
        Progress::Hidden,
    )
    .await
    .unwrap();
    assert_eq!(
        (report.seen, report.new),
        (FIXTURE_TAXA, FIXTURE_TAXA),
        "{report}"
    );

    let from_dir = TestLedger::new().await;
    import_dir(&from_dir, saved.path()).await;
    assert_eq!(
        recorded_hashes(&live).await,
        recorded_hashes(&from_dir).await
    );
}

#[tokio::test]
async fn a_refused_token_stops_at_once_with_a_clear_error() {
    let fake = Arc::new(Fake::two_pages());
    let base = serve(fake.clone()).await;
    let err = client(base, "wrong-token")
        .fetch_all(Progress::Hidden)
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::Unauthorized { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("401") && text.contains("ECITES_SPECIESPLUS_TOKEN"),
        "{text}"
    );
    assert!(
        !text.contains("wrong-token"),
        "the token is not echoed: {text}"
    );
    assert_eq!(fake.seen(), ["page 1"], "no retry of a refused token");
}

#[tokio::test]
async fn a_server_that_keeps_throttling_is_given_up_after_the_attempt_cap() {
    let fake = Arc::new(Fake {
        always_throttled: true,
        ..Fake::two_pages()
    });
    let base = serve(fake.clone()).await;
    let err = client(base, TOKEN)
        .fetch_all(Progress::Hidden)
        .await
        .unwrap_err();
    assert!(
        matches!(err, ClientError::GaveUp { attempts: 4, .. }),
        "{err:?}"
    );
    assert_eq!(fake.seen().len(), 4);
}
