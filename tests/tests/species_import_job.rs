//! The species import as `ecites serve` runs it for the admin pages, against a real NATS
//! server: one job at a time per Party, its progress and final report, the catalogue the
//! decisions consult swapped in once it has recorded taxa, a re-run recording nothing, a
//! source that is not configured refused, and a broken source reported as a failed job.

use ecites::species::job::{ImportJobs, SharedReference};
use ecites_command::api::species_import::{
    ImportRefused, ImportSource, ImportState, SpeciesImports,
};
use ecites_command::domain::context::Reference;
use ecites_command::handler::auth::{Principal, Role};
use ecites_command::reference::ReferenceData;
use ecites_events::PartyCode;
use ecites_tests::speciesplus::{fixture_dir, FIXTURE_TAXA};
use ecites_tests::*;
use std::path::PathBuf;
use std::sync::Arc;

fn admin(party: PartyCode) -> Principal {
    Principal {
        user_id: "admin".into(),
        role: Role::PartyAdmin,
        party,
        organisation_id: None,
    }
}

fn jobs(
    t: &TestLedger,
    dir: Option<PathBuf>,
) -> (
    ImportJobs<ecites_events::jetstream::JetStreamLog>,
    Arc<SharedReference>,
) {
    let reference = Arc::new(SharedReference::new(ReferenceData::demo()));
    let jobs = ImportJobs::new(
        t.log.clone(),
        t.public_keys(),
        vec![lk()],
        dir,
        None,
        reference.clone(),
    );
    (jobs, reference)
}

#[tokio::test]
async fn an_import_runs_once_at_a_time_reports_its_counts_and_swaps_the_catalogue_in() {
    let t = TestLedger::new().await;
    let dir = fixture_dir();
    let (jobs, reference) = jobs(&t, Some(dir.path().to_path_buf()));
    assert!(
        reference.resolve_taxon("Bassaricyon gabbii").is_none(),
        "not in the demo list"
    );
    assert_eq!(
        jobs.start(&admin(lk()), ImportSource::Live).unwrap_err(),
        ImportRefused::NotConfigured("live")
    );

    let started = jobs.start(&admin(lk()), ImportSource::Saved).unwrap();
    assert_eq!(
        (started.state, started.started_by.as_str()),
        (ImportState::Running, "admin")
    );
    // The job runs on another task, which this single-threaded test runtime starts only at
    // the next await: a second start for the Party meanwhile is refused.
    assert_eq!(
        jobs.start(&admin(lk()), ImportSource::Saved).unwrap_err(),
        ImportRefused::Running
    );
    let done = jobs.finished(lk()).await.unwrap();
    assert_eq!(done.state, ImportState::Done, "{:?}", done.errors);
    let n = FIXTURE_TAXA as u64;
    assert_eq!(
        (done.read, done.recorded, done.unchanged),
        (Some(n), n, Some(0))
    );
    assert_eq!(done.report.as_ref().unwrap()["new"], n);
    assert!(done.errors.is_empty() && done.finished_at.is_some());
    assert!(
        reference.resolve_taxon("Bassaricyon gabbii").is_some(),
        "the decisions see the imported taxa without a restart"
    );

    let again = jobs.start(&admin(lk()), ImportSource::Saved).unwrap();
    assert_eq!(again.state, ImportState::Running);
    let done = jobs.finished(lk()).await.unwrap();
    assert_eq!(
        (done.recorded, done.unchanged),
        (0, Some(n)),
        "a re-run records nothing"
    );
    assert!(jobs.progress("KE".parse().unwrap()).is_none());
}

#[tokio::test]
async fn a_broken_source_ends_the_job_as_failed_with_its_error_and_changes_nothing() {
    let t = TestLedger::new().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("taxon_concepts_1.json"), b"{not json").unwrap();
    let (jobs, reference) = jobs(&t, Some(dir.path().to_path_buf()));
    jobs.start(&admin(lk()), ImportSource::Saved).unwrap();
    let done = jobs.finished(lk()).await.unwrap();
    assert_eq!(done.state, ImportState::Failed);
    assert_eq!(done.errors.len(), 1);
    assert!(
        done.errors[0].contains("taxon_concepts_1.json"),
        "{:?}",
        done.errors
    );
    assert_eq!(done.recorded, 0);
    assert!(
        reference.resolve_taxon("Python regius").is_some(),
        "the demo list stays"
    );
    assert!(t.audit().await.is_ok());
}
