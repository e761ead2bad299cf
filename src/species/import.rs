//! Recording the checklist in a Party's log, and reading it back.
//!
//! Each taxon is its own `taxon` aggregate (id = Species+ id) and each import appends one
//! [`TaxonRecorded`] per taxon whose content hash differs from the one last recorded, one
//! commit per taxon. The command id is derived from (Party, taxon, version it follows,
//! content hash), so a re-run or a retried append is stored once: the server drops the repeat
//! as a duplicate, or the re-read log shows nothing left to record.

use super::Progress;
use ecites_command::reference::species::{CatalogueError, SpeciesCatalogue, Taxon};
use ecites_command::reference::species_import::{changed_taxa, ImportError, TaxonSnapshot};
use ecites_events::aggregate::InvalidAggregate;
use ecites_events::audit::{verify_event, FailureReason};
use ecites_events::payloads::species::{ContentHash, TaxonRecorded};
use ecites_events::schema::{DecodeError, EventPayload};
use ecites_events::{
    payloads, Actor, AggregateChange, AggregatePosition, AggregateRef, AggregateType, AppendError,
    Commit, EventAppender, EventData, EventReader, ExpectedPosition, PartyCode, PublicKeys,
    ReadError,
};
use futures::{StreamExt, TryStreamExt};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use time::OffsetDateTime;
use uuid::Uuid;

/// Appends in flight at once: each waits for its own fsync'd ack, so a few overlap well.
const APPEND_CONCURRENCY: usize = 8;

/// The latest record of a taxon in a Party's log.
#[derive(Clone, Debug)]
pub struct RecordedTaxon {
    /// Where the taxon's aggregate stands: what the next record must follow.
    pub position: AggregatePosition,
    pub content_hash: ContentHash,
    pub taxon: Taxon,
    pub occurred_at: OffsetDateTime,
}

#[derive(Debug, thiserror::Error)]
pub enum SpeciesLogError {
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error(transparent)]
    Append(#[from] AppendError),
    #[error("event at sequence {sequence} ({subject}) fails verification: {reason}; run `ecites audit verify`")]
    Unverified {
        sequence: u64,
        subject: String,
        reason: FailureReason,
    },
    #[error("event at sequence {sequence} ({subject}) claims to be on {claimed}, not a taxon of Party {party}")]
    Misplaced {
        sequence: u64,
        subject: String,
        claimed: String,
        party: PartyCode,
    },
    #[error("event at sequence {sequence} on taxon {aggregate_id}: {reason}")]
    Undecodable {
        sequence: u64,
        aggregate_id: String,
        reason: String,
    },
    #[error(transparent)]
    Hash(#[from] ImportError),
    #[error("the recorded taxa do not make a catalogue: {0}")]
    Catalogue(#[from] CatalogueError),
    #[error(transparent)]
    Aggregate(#[from] InvalidAggregate),
    #[error("cannot encode the event of taxon {taxon_id}: {source}")]
    Encode {
        taxon_id: u64,
        #[source]
        source: serde_json::Error,
    },
}

fn taxon_type() -> Result<AggregateType, SpeciesLogError> {
    Ok(AggregateType::new(TaxonRecorded::AGGREGATE)?)
}

/// The latest verified record of every taxon in the Party's log, by taxon id.
pub async fn recorded_taxa<L: EventReader>(
    log: &L,
    party: PartyCode,
    keys: &PublicKeys,
) -> Result<BTreeMap<u64, RecordedTaxon>, SpeciesLogError> {
    let upcasters = payloads::upcasters();
    let mut out = BTreeMap::new();
    let mut events = log.read_type(party, &taxon_type()?).await?;
    while let Some(ev) = events.next().await {
        let ev = ev?;
        let verified = verify_event(&ev, keys).map_err(|reason| SpeciesLogError::Unverified {
            sequence: ev.sequence,
            subject: ev.subject.clone(),
            reason,
        })?;
        let env = &verified.envelope;
        // The signature covers the body, not the subject it was stored under: a signed event
        // of another aggregate copied here must not pass for a taxon, nor lend its position.
        let own_subject = format!(
            ".{}.{}.{}",
            party.subject_token(),
            env.aggregate_type,
            env.aggregate_id
        );
        if env.party != party
            || env.aggregate_type.as_str() != TaxonRecorded::AGGREGATE
            || !ev.subject.ends_with(&own_subject)
        {
            return Err(SpeciesLogError::Misplaced {
                sequence: ev.sequence,
                subject: ev.subject,
                claimed: env.aggregate().to_string(),
                party,
            });
        }
        let undecodable = |reason: String| SpeciesLogError::Undecodable {
            sequence: ev.sequence,
            aggregate_id: env.aggregate_id.to_string(),
            reason,
        };
        if env.event_type != TaxonRecorded::EVENT_TYPE {
            return Err(undecodable(format!(
                "unknown event type {:?} on a taxon",
                env.event_type
            )));
        }
        let recorded: TaxonRecorded = verified
            .decode(&upcasters)
            .map_err(|e: DecodeError| undecodable(e.to_string()))?;
        if recorded.taxon.id != recorded.taxon_id
            || env.aggregate_id.as_str() != recorded.taxon_id.to_string()
        {
            return Err(undecodable(format!(
                "records taxon {} as taxon {}",
                recorded.taxon.id, recorded.taxon_id
            )));
        }
        out.insert(
            recorded.taxon_id,
            RecordedTaxon {
                position: AggregatePosition {
                    version: env.version,
                    sequence: verified.sequence,
                    hash: verified.hash,
                },
                content_hash: recorded.content_hash,
                taxon: recorded.taxon,
                occurred_at: env.occurred_at,
            },
        );
    }
    Ok(out)
}

/// The species catalogue as the Party's log records it (empty when nothing was imported).
pub async fn catalogue_from_log<L: EventReader>(
    log: &L,
    party: PartyCode,
    keys: &PublicKeys,
) -> Result<SpeciesCatalogue, SpeciesLogError> {
    let taxa = recorded_taxa(log, party, keys).await?;
    Ok(SpeciesCatalogue::from_taxa(
        taxa.into_values().map(|r| r.taxon),
    )?)
}

/// The catalogue that several Parties' logs record together: the latest record of each taxon,
/// whichever log holds it (`serve` shares one catalogue between the Parties it hosts). `None`
/// when no log holds a taxon; a Party without a stream yet holds none.
pub async fn catalogue_from_logs<L: EventReader>(
    log: &L,
    parties: &[PartyCode],
    keys: &PublicKeys,
) -> Result<Option<SpeciesCatalogue>, SpeciesLogError> {
    let mut latest: BTreeMap<u64, RecordedTaxon> = BTreeMap::new();
    for party in parties {
        let taxa = match recorded_taxa(log, *party, keys).await {
            Ok(taxa) => taxa,
            Err(SpeciesLogError::Read(ReadError::UnknownParty(_))) => continue,
            Err(e) => return Err(e),
        };
        for (id, taxon) in taxa {
            if latest
                .get(&id)
                .is_none_or(|have| have.occurred_at < taxon.occurred_at)
            {
                latest.insert(id, taxon);
            }
        }
    }
    if latest.is_empty() {
        return Ok(None);
    }
    Ok(Some(SpeciesCatalogue::from_taxa(
        latest.into_values().map(|r| r.taxon),
    )?))
}

/// What an import did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub party: Option<PartyCode>,
    /// Taxa in the answers.
    pub seen: usize,
    /// Recorded for the first time.
    pub new: usize,
    /// Recorded again with a new content.
    pub changed: usize,
    pub unchanged: usize,
    /// Found already stored by an earlier attempt of the same import (the server's dedupe).
    pub already_recorded: usize,
    /// What the answers held that the catalogue could not take as published (e.g. a quota
    /// no exact quantity holds), so the operator can check it against Species+.
    pub warnings: Vec<String>,
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(p) = self.party {
            write!(f, "Party {p}: ")?;
        }
        write!(
            f,
            "{} taxa seen, {} new, {} changed, {} unchanged",
            self.seen, self.new, self.changed, self.unchanged
        )?;
        if self.already_recorded > 0 {
            write!(
                f,
                " ({} already recorded by an earlier attempt)",
                self.already_recorded
            )?;
        }
        for w in &self.warnings {
            write!(f, "\nwarning: {w}")?;
        }
        Ok(())
    }
}

/// A fixed namespace for import command ids (v5 of a URL naming this use).
fn command_namespace() -> Uuid {
    Uuid::new_v5(&Uuid::NAMESPACE_URL, b"urn:ecites:species-import")
}

/// The command id of recording `hash` for the taxon after `after_version`: the same inputs
/// always give the same id. The version keeps a taxon that changes back to an earlier content
/// from colliding with its first record inside the server's dedupe window.
pub fn command_id(party: PartyCode, taxon_id: u64, after_version: u64, hash: &ContentHash) -> Uuid {
    let name = format!("{party}/taxon/{taxon_id}/{after_version}/{hash}");
    Uuid::new_v5(&command_namespace(), name.as_bytes())
}

enum Outcome {
    Recorded { new: bool },
    AlreadyRecorded,
}

/// Records every taxon of `catalogue` that is new to the Party's log or whose content changed.
pub async fn import<L: EventReader + EventAppender>(
    log: &L,
    party: PartyCode,
    keys: &PublicKeys,
    catalogue: &SpeciesCatalogue,
    progress: Progress,
) -> Result<ImportReport, SpeciesLogError> {
    let recorded = recorded_taxa(log, party, keys).await?;
    let previous: HashMap<u64, [u8; 32]> = recorded
        .iter()
        .map(|(id, r)| (*id, r.content_hash.0))
        .collect();
    let changed = changed_taxa(&previous, catalogue)?;
    let mut report = ImportReport {
        party: Some(party),
        seen: catalogue.len(),
        unchanged: catalogue.len() - changed.len(),
        warnings: catalogue
            .warnings()
            .iter()
            .map(ToString::to_string)
            .collect(),
        ..ImportReport::default()
    };
    let correlation_id = Uuid::now_v7();
    let bar = progress.bar(changed.len() as u64, "recording taxa");
    let outcomes: Vec<Outcome> = futures::stream::iter(changed)
        .map(|snapshot| {
            let expected = recorded
                .get(&snapshot.taxon_id())
                .map_or(ExpectedPosition::New, |r| ExpectedPosition::At(r.position));
            let bar = &bar;
            async move {
                let outcome = record(log, party, snapshot, expected, correlation_id).await?;
                bar.inc(1);
                Ok::<_, SpeciesLogError>(outcome)
            }
        })
        .buffer_unordered(APPEND_CONCURRENCY)
        .try_collect()
        .await?;
    bar.finish_and_clear();
    for outcome in outcomes {
        match outcome {
            Outcome::Recorded { new: true } => report.new += 1,
            Outcome::Recorded { new: false } => report.changed += 1,
            Outcome::AlreadyRecorded => report.already_recorded += 1,
        }
    }
    Ok(report)
}

async fn record<L: EventAppender>(
    log: &L,
    party: PartyCode,
    snapshot: TaxonSnapshot,
    expected: ExpectedPosition,
    correlation_id: Uuid,
) -> Result<Outcome, SpeciesLogError> {
    let taxon_id = snapshot.taxon_id();
    let event = TaxonRecorded {
        taxon_id,
        content_hash: snapshot.content_hash,
        taxon: snapshot.taxon,
    };
    let data = EventData::from_payload(&event)
        .map_err(|source| SpeciesLogError::Encode { taxon_id, source })?;
    let aggregate = AggregateRef::new(party, TaxonRecorded::AGGREGATE, &taxon_id.to_string())?;
    let commit = Commit {
        command_id: command_id(party, taxon_id, expected.version(), &event.content_hash),
        correlation_id,
        actor: Actor {
            user_id: "species-import".into(),
            role: "system_operator".into(),
            party,
        },
        occurred_at: OffsetDateTime::now_utc(),
        changes: vec![AggregateChange {
            aggregate,
            expected,
            events: vec![data],
        }],
    };
    match log.append(commit).await {
        Ok(_) => Ok(Outcome::Recorded {
            new: expected == ExpectedPosition::New,
        }),
        Err(AppendError::Duplicate { .. }) => Ok(Outcome::AlreadyRecorded),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_taxon_aggregate_type_is_a_valid_subject_token() {
        assert_eq!(taxon_type().unwrap().as_str(), "taxon");
    }

    #[test]
    fn command_ids_are_stable_and_tell_inputs_apart() {
        let lk: PartyCode = "LK".parse().unwrap();
        let ke: PartyCode = "KE".parse().unwrap();
        let h = ContentHash([7; 32]);
        let id = command_id(lk, 4521, 0, &h);
        assert_eq!(id, command_id(lk, 4521, 0, &h));
        assert_eq!(id.get_version_num(), 5);
        assert_ne!(id, command_id(ke, 4521, 0, &h));
        assert_ne!(id, command_id(lk, 4522, 0, &h));
        assert_ne!(id, command_id(lk, 4521, 1, &h));
        assert_ne!(id, command_id(lk, 4521, 0, &ContentHash([8; 32])));
    }
}
