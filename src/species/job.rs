//! The species import as a background job of `ecites serve` (the admin UI's "Import"): one at
//! a time per Party, its progress readable while it runs, and the command side's catalogue
//! rebuilt from the log when it has recorded something, so the new taxa apply at once.

use super::{ClientConfig, Observer, Progress, SpeciesAnswers, SpeciesPlusClient};
use ecites_command::api::species_import::{
    ImportProgress, ImportRefused, ImportSource, ImportSources, ImportState, SpeciesImports,
};
use ecites_command::domain::codes::PurposeCode;
use ecites_command::domain::context::{ListingInfo, Reference, SuspensionInfo, TaxonInfo};
use ecites_command::handler::auth::Principal;
use ecites_command::reference::ReferenceData;
use ecites_events::cites::IsoDate;
use ecites_events::{EventAppender, EventReader, PartyCode, PublicKeys};
use serde_json::json;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use time::format_description::well_known::Rfc3339;

/// The reference data decisions consult, replaceable while the server runs (after an import).
pub struct SharedReference {
    data: RwLock<Arc<ReferenceData>>,
    /// One rebuild at a time: each reads the logs after every earlier one swapped in, so a
    /// slow rebuild of one Party's import never replaces a newer catalogue with an older one.
    rebuilding: tokio::sync::Mutex<()>,
}

impl SharedReference {
    pub fn new(data: ReferenceData) -> Self {
        Self {
            data: RwLock::new(Arc::new(data)),
            rebuilding: tokio::sync::Mutex::new(()),
        }
    }

    fn current(&self) -> Arc<ReferenceData> {
        // A poisoned lock still holds a complete value: the swap is one assignment.
        match self.data.read() {
            Ok(r) => r.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub fn replace(&self, data: ReferenceData) {
        match self.data.write() {
            Ok(mut w) => *w = Arc::new(data),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(data),
        }
    }
}

impl Reference for SharedReference {
    fn resolve_taxon(&self, name: &str) -> Option<TaxonInfo> {
        self.current().resolve_taxon(name)
    }
    fn listings_on(&self, taxon_id: u64, date: IsoDate) -> Vec<ListingInfo> {
        self.current().listings_on(taxon_id, date)
    }
    fn first_listed(&self, taxon_id: u64) -> Option<IsoDate> {
        self.current().first_listed(taxon_id)
    }
    fn suspensions_on(&self, taxon_id: u64, date: IsoDate) -> Vec<SuspensionInfo> {
        self.current().suspensions_on(taxon_id, date)
    }
    fn is_country(&self, code: &str) -> bool {
        self.current().is_country(code)
    }
    fn is_term(&self, code: &str) -> bool {
        self.current().is_term(code)
    }
    fn is_unit(&self, code: &str) -> bool {
        self.current().is_unit(code)
    }
    fn unit_allowed_for_term(&self, term: &str, unit: Option<&str>) -> bool {
        self.current().unit_allowed_for_term(term, unit)
    }
    fn term_purpose_is_usual(&self, term: &str, purpose: PurposeCode) -> bool {
        self.current().term_purpose_is_usual(term, purpose)
    }
}

/// What a job knows beyond its observer's current step.
struct JobStatus {
    state: ImportState,
    /// Set between the observed steps (reading, comparing, rebuilding, finished).
    phase: Option<&'static str>,
    read: Option<u64>,
    report: Option<super::ImportReport>,
    errors: Vec<String>,
    finished_at: Option<String>,
}

struct Job {
    party: PartyCode,
    source: ImportSource,
    started_by: String,
    started_at: String,
    observer: Arc<Observer>,
    status: Mutex<JobStatus>,
    /// Becomes true when the job has ended, for whoever waits on it ([`ImportJobs::finished`]).
    ended: tokio::sync::watch::Sender<bool>,
}

/// The observed steps, by their bars' messages.
fn step_key(what: &str) -> &'static str {
    match what {
        "Species+ taxon_concepts pages" => "fetching_pages",
        "Species+ cites_legislation" => "fetching_legislation",
        "recording taxa" => "recording_taxa",
        _ => "working",
    }
}

fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_default()
}

impl Job {
    fn update(&self, f: impl FnOnce(&mut JobStatus)) {
        if let Ok(mut s) = self.status.lock() {
            f(&mut s);
        }
    }

    fn progress(&self) -> ImportProgress {
        let step = self.observer.step();
        let s = match self.status.lock() {
            Ok(s) => s,
            Err(poisoned) => poisoned.into_inner(),
        };
        let (phase, done, total) = match (s.phase, step) {
            (Some(p), _) => (p.to_string(), 0, 0),
            (None, Some((what, done, total))) => (step_key(what).to_string(), done, total),
            (None, None) => ("starting".to_string(), 0, 0),
        };
        let recording = step.filter(|(what, ..)| *what == "recording taxa");
        let (recorded, unchanged) = match (&s.report, recording, s.read) {
            (Some(r), ..) => ((r.new + r.changed) as u64, Some(r.unchanged as u64)),
            (None, Some((_, done, total)), Some(read)) => (done, Some(read.saturating_sub(total))),
            _ => (0, None),
        };
        ImportProgress {
            party: self.party,
            source: self.source,
            state: s.state,
            started_by: self.started_by.clone(),
            started_at: self.started_at.clone(),
            finished_at: s.finished_at.clone(),
            phase,
            done,
            total,
            read: s.read,
            recorded,
            unchanged,
            errors: s.errors.clone(),
            report: s.report.as_ref().map(|r| {
                json!({"seen": r.seen, "new": r.new, "changed": r.changed,
                    "unchanged": r.unchanged, "already_recorded": r.already_recorded,
                    "warnings": r.warnings})
            }),
        }
    }
}

/// The import jobs of one server.
pub struct ImportJobs<L> {
    log: L,
    keys: PublicKeys,
    /// Every Party the server hosts: the shared catalogue is rebuilt from all their logs.
    parties: Vec<PartyCode>,
    species_dir: Option<PathBuf>,
    live: Option<ClientConfig>,
    reference: Arc<SharedReference>,
    jobs: Mutex<HashMap<PartyCode, Arc<Job>>>,
}

impl<L> ImportJobs<L>
where
    L: EventAppender + EventReader + Clone + Send + Sync + 'static,
{
    pub fn new(
        log: L,
        keys: PublicKeys,
        parties: Vec<PartyCode>,
        species_dir: Option<PathBuf>,
        live: Option<ClientConfig>,
        reference: Arc<SharedReference>,
    ) -> Self {
        Self {
            log,
            keys,
            parties,
            species_dir,
            live,
            reference,
            jobs: Mutex::default(),
        }
    }

    /// The Party's import once it has ended (at once if none is running; `None` if none ran).
    pub async fn finished(&self, party: PartyCode) -> Option<ImportProgress> {
        let job = self.jobs.lock().ok()?.get(&party)?.clone();
        let mut ended = job.ended.subscribe();
        // An error means the sender is gone, which happens only once the job has ended.
        let _ = ended.wait_for(|done| *done).await;
        Some(job.progress())
    }

    /// Reads or fetches the answers, records what changed, rebuilds the catalogue.
    async fn run(
        log: L,
        keys: PublicKeys,
        parties: Vec<PartyCode>,
        reference: Arc<SharedReference>,
        from: Source,
        job: Arc<Job>,
    ) -> Result<(), String> {
        let observed = Progress::Observed(job.observer.clone());
        let answers = match from {
            Source::Dir(dir) => {
                job.update(|s| s.phase = Some("reading_answers"));
                tokio::task::spawn_blocking(move || SpeciesAnswers::read_dir(&dir))
                    .await
                    .map_err(|e| e.to_string())?
                    .map_err(|e| e.to_string())?
            }
            Source::Live(config) => {
                job.update(|s| s.phase = None);
                let client = SpeciesPlusClient::new(config).map_err(|e| e.to_string())?;
                client
                    .fetch_all(observed.clone())
                    .await
                    .map_err(|e| e.to_string())?
            }
        };
        job.update(|s| s.phase = Some("comparing"));
        let catalogue = answers.catalogue().map_err(|e| e.to_string())?;
        job.update(|s| {
            s.read = Some(catalogue.len() as u64);
            s.phase = None;
        });
        let report = super::import(&log, job.party, &keys, &catalogue, observed)
            .await
            .map_err(|e| e.to_string())?;
        let recorded = report.new + report.changed + report.already_recorded;
        job.update(|s| s.phase = Some("rebuilding_catalogue"));
        if recorded > 0 {
            let _one_at_a_time = reference.rebuilding.lock().await;
            let rebuilt = super::catalogue_from_logs(&log, &parties, &keys)
                .await
                .map_err(|e| e.to_string())?;
            if let Some(catalogue) = rebuilt {
                reference.replace(ReferenceData::new(catalogue).map_err(|e| e.to_string())?);
            }
        }
        job.update(|s| s.report = Some(report));
        Ok(())
    }
}

enum Source {
    Dir(PathBuf),
    Live(ClientConfig),
}

impl<L> SpeciesImports for ImportJobs<L>
where
    L: EventAppender + EventReader + Clone + Send + Sync + 'static,
{
    fn sources(&self) -> ImportSources {
        ImportSources {
            saved: self.species_dir.is_some(),
            live: self.live.is_some(),
        }
    }

    fn start(
        &self,
        actor: &Principal,
        source: ImportSource,
    ) -> Result<ImportProgress, ImportRefused> {
        let from = match source {
            ImportSource::Saved => Source::Dir(
                self.species_dir
                    .clone()
                    .ok_or(ImportRefused::NotConfigured("saved"))?,
            ),
            ImportSource::Live => Source::Live(
                self.live
                    .clone()
                    .ok_or(ImportRefused::NotConfigured("live"))?,
            ),
        };
        // A poisoned map still holds whole entries: each is one insert.
        let mut jobs = self.jobs.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(job) = jobs.get(&actor.party) {
            if job.progress().state == ImportState::Running {
                return Err(ImportRefused::Running);
            }
        }
        let job = Arc::new(Job {
            party: actor.party,
            source,
            started_by: actor.user_id.clone(),
            started_at: now(),
            observer: Arc::default(),
            ended: tokio::sync::watch::Sender::new(false),
            status: Mutex::new(JobStatus {
                state: ImportState::Running,
                phase: Some("starting"),
                read: None,
                report: None,
                errors: vec![],
                finished_at: None,
            }),
        });
        jobs.insert(actor.party, job.clone());
        let run = Self::run(
            self.log.clone(),
            self.keys.clone(),
            self.parties.clone(),
            self.reference.clone(),
            from,
            job.clone(),
        );
        tracing::info!(party = %actor.party, by = %actor.user_id, ?source, "species import started");
        let running = job.clone();
        tokio::spawn(async move {
            let outcome = run.await;
            let job = running;
            job.update(|s| {
                s.finished_at = Some(now());
                s.phase = Some("finished");
                match outcome {
                    Ok(()) => s.state = ImportState::Done,
                    Err(e) => {
                        tracing::warn!(party = %job.party, "species import failed: {e}");
                        s.state = ImportState::Failed;
                        s.errors.push(e);
                    }
                }
            });
            job.ended.send_replace(true);
        });
        Ok(job.progress())
    }

    fn progress(&self, party: PartyCode) -> Option<ImportProgress> {
        let jobs = self.jobs.lock().ok()?;
        jobs.get(&party).map(|j| j.progress())
    }
}
