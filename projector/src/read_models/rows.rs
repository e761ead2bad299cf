//! Rows of the read-model tables, built from views and events. Field names are column names:
//! a batch sends each table's rows as one JSON array and PostgreSQL spreads it with
//! `jsonb_populate_recordset`, one statement per table per batch.

use super::permit_view::{MoneyEvent, PermitView};
use ecites_events::audit::VerifiedEvent;
use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

/// A code enum's wire form (`"W"`, `"export_permit"`, `"II"`).
pub fn code<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

#[derive(Serialize)]
pub struct PermitRow<'a> {
    permit_id: Uuid,
    party: &'a str,
    organisation_id: Option<Uuid>,
    document_type: Option<String>,
    status: &'a str,
    exporting_country: Option<String>,
    importing_country: Option<String>,
    permit_number: Option<&'a str>,
    security_stamp: Option<u64>,
    issued_on: Option<String>,
    valid_until: Option<String>,
    endorsed_on: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    submitted_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    updated_at: Option<OffsetDateTime>,
    assigned_officer: Option<&'a str>,
    fee_minor: Option<i64>,
    fee_currency: Option<&'a str>,
    paid_minor: i64,
    fee_waived: bool,
    express: bool,
    species: String,
    line_count: usize,
    version: u64,
    last_sequence: u64,
    state: &'a PermitView,
}

impl<'a> PermitRow<'a> {
    pub fn of(v: &'a PermitView) -> Self {
        let c = v.content.as_ref();
        Self {
            permit_id: v.permit_id,
            party: &v.party,
            organisation_id: v.organisation_id,
            document_type: c.map(|c| code(&c.document_type)),
            status: &v.status,
            exporting_country: c.map(|c| c.exporting_country.to_string()),
            importing_country: c.map(|c| c.importing_country.to_string()),
            permit_number: v.permit_number.as_deref(),
            security_stamp: v.security_stamp,
            issued_on: v.issued_on.map(|d| d.to_string()),
            valid_until: v.valid_until.map(|d| d.to_string()),
            endorsed_on: v.endorsed_on.map(|d| d.to_string()),
            submitted_at: v.submitted_at,
            updated_at: v.updated_at,
            assigned_officer: v.assigned_officer.as_deref(),
            fee_minor: v.fee.as_ref().map(|f| f.minor_units),
            fee_currency: v.fee.as_ref().map(|f| f.currency.as_str()),
            paid_minor: v.paid_minor,
            fee_waived: v.fee_waived.is_some(),
            express: c.is_some_and(|c| c.express),
            species: v.species(),
            line_count: c.map_or(0, |c| c.lines.len()),
            version: v.version,
            last_sequence: v.last_sequence,
            state: v,
        }
    }
}

#[derive(Serialize)]
pub struct LineRow<'a> {
    permit_id: Uuid,
    line_no: u32,
    party: &'a str,
    status: &'a str,
    document_type: String,
    permit_number: Option<&'a str>,
    exporting_country: String,
    importing_country: String,
    issued_on: Option<String>,
    endorsed_on: Option<String>,
    taxon_id: u64,
    scientific_name: &'a str,
    kingdom: String,
    appendix: Option<String>,
    listing_party: Option<String>,
    source: String,
    purpose: String,
    term: &'a str,
    unit: Option<&'a str>,
    quantity_thousandths: i64,
    endorsed_thousandths: Option<i64>,
    origin_country: Option<String>,
    origin_permit: Option<&'a str>,
    reexport_country: Option<String>,
    reexport_permit: Option<&'a str>,
    import_permit: Option<&'a str>,
    export_permit: Option<&'a str>,
}

/// One row per line of the permit's application (trade records).
pub fn line_rows(v: &PermitView) -> Vec<LineRow<'_>> {
    let Some(c) = v.content.as_ref() else {
        return vec![];
    };
    c.lines
        .iter()
        .map(|l| LineRow {
            permit_id: v.permit_id,
            line_no: l.line_no,
            party: &v.party,
            status: &v.status,
            document_type: code(&c.document_type),
            permit_number: v.permit_number.as_deref(),
            exporting_country: c.exporting_country.to_string(),
            importing_country: c.importing_country.to_string(),
            issued_on: v.issued_on.map(|d| d.to_string()),
            endorsed_on: v.endorsed_on.map(|d| d.to_string()),
            taxon_id: l.taxon_id,
            scientific_name: &l.scientific_name,
            kingdom: code(&l.kingdom),
            appendix: l.listing.as_ref().map(|s| s.appendix.to_string()),
            listing_party: l
                .listing
                .as_ref()
                .and_then(|s| s.listing_party.map(|p| p.to_string())),
            source: code(&l.source),
            purpose: code(&l.purpose),
            term: &l.term,
            unit: l.unit.as_deref(),
            quantity_thousandths: l.quantity.thousandths(),
            endorsed_thousandths: v.endorsed_quantity(l.line_no).map(|q| q.thousandths()),
            origin_country: l.origin.as_ref().map(|d| d.country.to_string()),
            origin_permit: l.origin.as_ref().map(|d| d.number.as_str()),
            reexport_country: l.last_reexport.as_ref().map(|d| d.country.to_string()),
            reexport_permit: l.last_reexport.as_ref().map(|d| d.number.as_str()),
            import_permit: l.import_permit.as_ref().map(|d| d.number.as_str()),
            export_permit: l.export_permit.as_ref().map(|d| d.number.as_str()),
        })
        .collect()
}

#[derive(Serialize)]
pub struct TimelineRow {
    permit_id: Uuid,
    version: u64,
    sequence: u64,
    party: String,
    event_type: String,
    schema_version: u32,
    #[serde(with = "time::serde::rfc3339")]
    occurred_at: OffsetDateTime,
    actor_id: String,
    actor_role: String,
    command_id: Uuid,
    key_id: String,
    hash: String,
    prev_hash: String,
    signature_verified: bool,
    chain_linked: bool,
    payload: Box<serde_json::value::RawValue>,
}

impl TimelineRow {
    /// `previous_hash` is the hash of the permit's previous event as the view knew it.
    pub fn of(permit_id: Uuid, ev: &VerifiedEvent, key_id: String, previous_hash: &str) -> Self {
        let e = &ev.envelope;
        let prev_hash = e.prev_hash.to_string();
        let chain_linked = if e.version == 1 {
            prev_hash == ecites_events::EventHash::GENESIS.to_string()
        } else {
            prev_hash == previous_hash
        };
        Self {
            permit_id,
            version: e.version,
            sequence: ev.sequence,
            party: e.party.to_string(),
            event_type: e.event_type.clone(),
            schema_version: e.schema_version,
            occurred_at: e.occurred_at,
            actor_id: e.actor.user_id.clone(),
            actor_role: e.actor.role.clone(),
            command_id: e.command_id,
            key_id,
            hash: ev.hash.to_string(),
            prev_hash,
            signature_verified: true,
            chain_linked,
            payload: e.payload.clone(),
        }
    }
}

#[derive(Serialize)]
pub struct PaymentRow {
    pub party: String,
    pub sequence: u64,
    pub permit_id: Option<Uuid>,
    pub account_id: Option<Uuid>,
    pub kind: &'static str,
    pub method: Option<String>,
    pub reference: Option<String>,
    pub amount_minor: i64,
    pub currency: String,
    #[serde(with = "time::serde::rfc3339")]
    pub recorded_at: OffsetDateTime,
    pub actor_id: String,
}

impl PaymentRow {
    pub fn of(
        ev: &VerifiedEvent,
        permit_id: Option<Uuid>,
        account_id: Option<Uuid>,
        m: MoneyEvent,
    ) -> Self {
        let e = &ev.envelope;
        Self {
            party: e.party.to_string(),
            sequence: ev.sequence,
            permit_id,
            account_id,
            kind: m.kind,
            method: m.method,
            reference: m.reference,
            amount_minor: m.amount.minor_units,
            currency: m.amount.currency,
            recorded_at: e.occurred_at,
            actor_id: e.actor.user_id.clone(),
        }
    }
}

#[derive(Serialize)]
pub struct SpeciesTally {
    pub party: String,
    pub year: i32,
    pub taxon_id: u64,
    pub scientific_name: String,
    pub permits: i64,
    pub lines: i64,
}

#[derive(Serialize)]
pub struct DocumentTally {
    pub party: String,
    pub year: i32,
    pub document_type: String,
    pub issued: i64,
}
