//! The read-model projection: applications and permits, trade records, timelines, payments,
//! dashboards (here) and the reference side: organisations, taxa, quotas, the Party's
//! configuration, prepayment accounts (`reference.rs`).
//!
//! A batch loads the views of the permits it touches, applies the events in memory, and writes
//! each table with one statement. Every row carries the sequence of the last event applied to
//! it, and the runner's checkpoint (same transaction) makes a replayed batch a no-op.

pub mod permit_view;
mod reference;
pub mod rows;

use crate::ProjectionError;
use ecites_events::audit::VerifiedEvent;
use ecites_events::schema::Upcasters;
use ecites_events::{PartyCode, RecordedEvent};
use permit_view::PermitView;
use rows::{DocumentTally, LineRow, PaymentRow, PermitRow, SpeciesTally, TimelineRow};
use sqlx::types::Json;
use sqlx::PgConnection;
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

/// What a batch of permit events changes, gathered before anything is written.
/// A batch is one Party's (one stream), so every key below is that Party's.
struct PermitChanges {
    party: PartyCode,
    views: HashMap<Uuid, PermitView>,
    /// Permits in the order first touched, so writes are deterministic.
    order: Vec<Uuid>,
    timeline: Vec<TimelineRow>,
    payments: Vec<PaymentRow>,
    species: BTreeMap<(i32, u64), SpeciesTally>,
    documents: BTreeMap<(i32, String), DocumentTally>,
    /// Each touched permit's status before the batch (empty when new).
    status_before: HashMap<Uuid, String>,
}

/// Applies verified events (in stream order) to the read models inside the caller's
/// transaction.
pub async fn apply(
    tx: &mut PgConnection,
    recorded: &[RecordedEvent],
    events: &[VerifiedEvent],
    up: &Upcasters,
) -> Result<(), ProjectionError> {
    let Some(party) = events.first().map(|e| e.envelope.party) else {
        return Ok(());
    };
    // Text PostgreSQL cannot hold (a NUL) gets a stand-in here, once for the whole batch.
    let storable = storable_events(events);
    let events = storable.as_deref().unwrap_or(events);
    let permit_ids = touched_permits(events)?;
    let mut changes = PermitChanges {
        party,
        views: load_views(tx, party, &permit_ids).await?,
        order: vec![],
        timeline: vec![],
        payments: vec![],
        species: BTreeMap::new(),
        documents: BTreeMap::new(),
        status_before: HashMap::new(),
    };
    for (rec, ev) in recorded.iter().zip(events) {
        let fail = |reason: String| ProjectionError::Event {
            sequence: ev.sequence,
            event_type: ev.envelope.event_type.clone(),
            reason,
        };
        match ev.envelope.aggregate_type.as_str() {
            "permit" => changes
                .apply(rec, ev, up)
                .map_err(|e| fail(e.to_string()))?,
            _ => reference::apply(tx, ev, up, &mut changes.payments).await?,
        }
    }
    changes.write(tx).await
}

/// The batch with every event made storable, when any needed it.
fn storable_events(events: &[VerifiedEvent]) -> Option<Vec<VerifiedEvent>> {
    let changed: Vec<(usize, VerifiedEvent)> = events
        .iter()
        .enumerate()
        .filter_map(|(i, e)| crate::storable::event(e).map(|s| (i, s)))
        .collect();
    if changed.is_empty() {
        return None;
    }
    let mut all: Vec<VerifiedEvent> = events.to_vec();
    for (i, e) in changed {
        all[i] = e;
    }
    Some(all)
}

fn permit_id(ev: &VerifiedEvent) -> Result<Uuid, ProjectionError> {
    let id = ev.envelope.aggregate_id.as_str();
    Uuid::parse_str(id).map_err(|_| ProjectionError::Event {
        sequence: ev.sequence,
        event_type: ev.envelope.event_type.clone(),
        reason: format!("permit id {id:?} is not a UUID"),
    })
}

fn touched_permits(events: &[VerifiedEvent]) -> Result<Vec<Uuid>, ProjectionError> {
    let mut ids = vec![];
    for ev in events {
        if ev.envelope.aggregate_type.as_str() == "permit" {
            ids.push(permit_id(ev)?);
        }
    }
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

async fn load_views(
    tx: &mut PgConnection,
    party: PartyCode,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, PermitView>, ProjectionError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(Json<PermitView>,)> =
        sqlx::query_as("SELECT state FROM permits WHERE party = $1 AND permit_id = ANY($2)")
            .bind(party.as_str())
            .bind(ids)
            .fetch_all(&mut *tx)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(Json(v),)| (v.permit_id, v))
        .collect())
}

impl PermitChanges {
    fn apply(
        &mut self,
        rec: &RecordedEvent,
        ev: &VerifiedEvent,
        up: &Upcasters,
    ) -> Result<(), permit_view::ViewError> {
        let id = Uuid::parse_str(ev.envelope.aggregate_id.as_str())
            .map_err(|_| permit_view::ViewError::BadId(ev.envelope.aggregate_id.to_string()))?;
        let party = ev.envelope.party.to_string();
        let view = self
            .views
            .entry(id)
            .or_insert_with(|| PermitView::new(id, party));
        if let std::collections::hash_map::Entry::Vacant(e) = self.status_before.entry(id) {
            e.insert(view.status.clone());
            self.order.push(id);
        }
        // Already applied (a replayed batch): the row says so.
        if ev.sequence <= view.last_sequence {
            return Ok(());
        }
        let key_id = rec.key_id.clone().unwrap_or_default();
        let row = TimelineRow::of(id, ev, key_id, &view.last_hash);
        let money = view.apply(ev, up)?;
        self.timeline.push(row);
        if let Some(m) = money {
            self.payments.push(PaymentRow::of(ev, Some(id), None, m));
        }
        if ev.envelope.event_type == "PermitIssued" {
            tally_issue(&mut self.species, &mut self.documents, view);
        }
        Ok(())
    }
    async fn write(self, tx: &mut PgConnection) -> Result<(), ProjectionError> {
        if self.order.is_empty() && self.payments.is_empty() {
            return Ok(());
        }
        let views: Vec<&PermitView> = self
            .order
            .iter()
            .filter_map(|id| self.views.get(id))
            .collect();
        let permits: Vec<PermitRow> = views.iter().map(|v| PermitRow::of(v)).collect();
        let lines: Vec<LineRow> = views.iter().flat_map(|v| rows::line_rows(v)).collect();
        sqlx::query(UPSERT_PERMITS)
            .bind(to_json(&permits)?)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM permit_lines WHERE party = $1 AND permit_id = ANY($2)")
            .bind(self.party.as_str())
            .bind(&self.order)
            .execute(&mut *tx)
            .await?;
        insert_json(tx, "permit_lines", &lines, "").await?;
        insert_json(
            tx,
            "permit_events",
            &self.timeline,
            "ON CONFLICT DO NOTHING",
        )
        .await?;
        insert_json(tx, "payments", &self.payments, "ON CONFLICT DO NOTHING").await?;
        let species: Vec<&SpeciesTally> = self.species.values().collect();
        insert_json(tx, "dashboard_species", &species, "ON CONFLICT (party, year, taxon_id) DO UPDATE SET permits = dashboard_species.permits + EXCLUDED.permits, lines = dashboard_species.lines + EXCLUDED.lines").await?;
        let statuses = self.status_changes();
        insert_json(tx, "dashboard_status", &statuses, "ON CONFLICT (party, status) DO UPDATE SET permits = dashboard_status.permits + EXCLUDED.permits").await?;
        if !statuses.is_empty() {
            // A status nobody is in has no row, however the batches fell.
            sqlx::query("DELETE FROM dashboard_status WHERE permits = 0")
                .execute(&mut *tx)
                .await?;
        }
        let documents: Vec<&DocumentTally> = self.documents.values().collect();
        insert_json(tx, "dashboard_documents", &documents, "ON CONFLICT (party, year, document_type) DO UPDATE SET issued = dashboard_documents.issued + EXCLUDED.issued").await?;
        Ok(())
    }
}

impl PermitChanges {
    /// Net change of the per-status counters: each touched permit leaves its old status and
    /// enters its new one.
    fn status_changes(&self) -> Vec<StatusTally> {
        let mut delta: BTreeMap<(String, String), i64> = BTreeMap::new();
        for id in &self.order {
            let (Some(v), Some(before)) = (self.views.get(id), self.status_before.get(id)) else {
                continue;
            };
            if *before == v.status {
                continue;
            }
            if !before.is_empty() {
                *delta.entry((v.party.clone(), before.clone())).or_default() -= 1;
            }
            *delta
                .entry((v.party.clone(), v.status.clone()))
                .or_default() += 1;
        }
        delta
            .into_iter()
            .filter(|(_, n)| *n != 0)
            .map(|((party, status), permits)| StatusTally {
                party,
                status,
                permits,
            })
            .collect()
    }
}

#[derive(serde::Serialize)]
struct StatusTally {
    party: String,
    status: String,
    permits: i64,
}

/// Counts an issued permit in the dashboard tallies of its year.
fn tally_issue(
    species: &mut BTreeMap<(i32, u64), SpeciesTally>,
    documents: &mut BTreeMap<(i32, String), DocumentTally>,
    v: &PermitView,
) {
    let (Some(c), Some(issued)) = (v.content.as_ref(), v.issued_on) else {
        return;
    };
    let year = issued.date().year();
    let doc = rows::code(&c.document_type);
    documents
        .entry((year, doc.clone()))
        .or_insert_with(|| DocumentTally {
            party: v.party.clone(),
            year,
            document_type: doc,
            issued: 0,
        })
        .issued += 1;
    let mut seen = vec![];
    for l in &c.lines {
        let t = species
            .entry((year, l.taxon_id))
            .or_insert_with(|| SpeciesTally {
                party: v.party.clone(),
                year,
                taxon_id: l.taxon_id,
                scientific_name: l.scientific_name.clone(),
                permits: 0,
                lines: 0,
            });
        t.lines += 1;
        if !seen.contains(&l.taxon_id) {
            t.permits += 1;
            seen.push(l.taxon_id);
        }
    }
}

/// Inserts `rows` into `table` in one statement (the rows' field names are its columns).
async fn insert_json<T: serde::Serialize>(
    tx: &mut PgConnection,
    table: &'static str,
    rows: &[T],
    on_conflict: &'static str,
) -> Result<(), ProjectionError> {
    if rows.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "INSERT INTO {table} SELECT * FROM json_populate_recordset(NULL::{table}, $1::json) {on_conflict}"
    );
    sqlx::query(&sql)
        .bind(to_json(rows)?)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Rows as JSON text: PostgreSQL parses `json` text faster than it converts `jsonb`. Text it
/// cannot hold (a NUL, from a header or an event) gets its stand-in ([`crate::storable`]).
pub(crate) fn to_json<T: serde::Serialize + ?Sized>(rows: &T) -> Result<String, ProjectionError> {
    let json = serde_json::to_string(rows).map_err(|e| ProjectionError::Event {
        sequence: 0,
        event_type: String::new(),
        reason: format!("a read-model row could not be encoded: {e}"),
    })?;
    Ok(match crate::storable::json_text(&json) {
        std::borrow::Cow::Borrowed(_) => json,
        std::borrow::Cow::Owned(safe) => safe,
    })
}

const UPSERT_PERMITS: &str =
    "INSERT INTO permits SELECT * FROM json_populate_recordset(NULL::permits, $1::json) \
ON CONFLICT (party, permit_id) DO UPDATE SET \
organisation_id = EXCLUDED.organisation_id, document_type = EXCLUDED.document_type, \
status = EXCLUDED.status, exporting_country = EXCLUDED.exporting_country, \
importing_country = EXCLUDED.importing_country, permit_number = EXCLUDED.permit_number, \
security_stamp = EXCLUDED.security_stamp, issued_on = EXCLUDED.issued_on, \
valid_until = EXCLUDED.valid_until, endorsed_on = EXCLUDED.endorsed_on, \
submitted_at = EXCLUDED.submitted_at, updated_at = EXCLUDED.updated_at, \
assigned_officer = EXCLUDED.assigned_officer, fee_minor = EXCLUDED.fee_minor, \
fee_currency = EXCLUDED.fee_currency, paid_minor = EXCLUDED.paid_minor, \
fee_waived = EXCLUDED.fee_waived, express = EXCLUDED.express, species = EXCLUDED.species, \
line_count = EXCLUDED.line_count, version = EXCLUDED.version, \
last_sequence = EXCLUDED.last_sequence, state = EXCLUDED.state";
