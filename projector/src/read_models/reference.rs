//! The reference side of the read models, one statement per event (these events are rare next
//! to permit events): organisations and their members, the species catalogue with the listing
//! in force, quotas and their use, prepayment accounts, the Party's configuration, the
//! specimens of its signatures and stamp.

use super::permit_view::MoneyEvent;
use super::rows::{code, PaymentRow};
use crate::ProjectionError;
use ecites_events::audit::VerifiedEvent;
use ecites_events::payloads::import_balance::{ImportDrawReleased, ImportDrawSettled, ImportDrawn};
use ecites_events::payloads::organisation::{
    MemberAdded, MemberCapacity, MemberRemoved, OrganisationRegistered, OrganisationSuspended,
    OrganisationVerified,
};
use ecites_events::payloads::party_config::{
    DomesticMeasureRevoked, DomesticMeasureSet, FeeScheduleSet, NationalEntry, NationalEntryLifted,
    NationalEntryRecorded, NationalListSpeciesAdded, NationalListSpeciesRemoved,
};
use ecites_events::payloads::prepayment::{
    PrepaymentAccountOpened, PrepaymentDebited, PrepaymentDeposited,
};
use ecites_events::payloads::quota::{QuotaReleased, QuotaReserved, QuotaSet, QuotaSettled};
use ecites_events::payloads::species::{ChangeType, Taxon, TaxonRecorded};
use ecites_events::payloads::specimen::{SpecimenRecorded, SpecimenWithdrawn};
use ecites_events::schema::{EventPayload, Upcasters};
use sqlx::types::Json;
use sqlx::PgConnection;
use uuid::Uuid;

pub async fn apply(
    tx: &mut PgConnection,
    ev: &VerifiedEvent,
    up: &Upcasters,
    payments: &mut Vec<PaymentRow>,
) -> Result<(), ProjectionError> {
    let fail = |reason: String| ProjectionError::Event {
        sequence: ev.sequence,
        event_type: ev.envelope.event_type.clone(),
        reason,
    };
    let result = match ev.envelope.aggregate_type.as_str() {
        "organisation" => organisation(tx, ev, up).await,
        "taxon" => taxon(tx, ev, up).await,
        "quota" => quota(tx, ev, up).await,
        "prepayment_account" => prepayment(tx, ev, up, payments).await,
        "party_config" => party_config(tx, ev, up).await,
        "specimens" => specimens(tx, ev, up).await,
        "import_balance" => import_balance(tx, ev, up).await,
        // Counters and keys: nothing a reader lists (the permit events carry the numbers).
        // Registration-number reservations: the organisation's own event carries the number.
        "numbering"
        | "security_stamp"
        | "party"
        | "keyring"
        | "registration_number"
        | "tree_head" => Ok(()),
        other => Err(Problem::Unknown(format!("aggregate type {other:?}"))),
    };
    result.map_err(|e| match e {
        Problem::Sql(e) => ProjectionError::Sql(e),
        other => fail(other.to_string()),
    })
}

#[derive(Debug, thiserror::Error)]
enum Problem {
    #[error("{0} is not known to this projector")]
    Unknown(String),
    #[error(transparent)]
    Decode(#[from] ecites_events::schema::DecodeError),
    #[error("{0}")]
    Bad(String),
    #[error(transparent)]
    Sql(#[from] sqlx::Error),
}

fn uuid_id(ev: &VerifiedEvent) -> Result<Uuid, Problem> {
    Uuid::parse_str(ev.envelope.aggregate_id.as_str())
        .map_err(|_| Problem::Bad(format!("id {} is not a UUID", ev.envelope.aggregate_id)))
}

async fn organisation(
    tx: &mut PgConnection,
    ev: &VerifiedEvent,
    up: &Upcasters,
) -> Result<(), Problem> {
    let id = uuid_id(ev)?;
    let e = &ev.envelope;
    let party = e.party.to_string();
    let seq = ev.sequence as i64;
    let status = |s: &'static str| {
        sqlx::query("UPDATE organisations SET status = $2, version = $3, last_sequence = $4 WHERE party = $5 AND organisation_id = $1 AND last_sequence < $4")
            .bind(id).bind(s).bind(e.version as i64).bind(seq).bind(party.clone())
    };
    match e.event_type.as_str() {
        OrganisationRegistered::EVENT_TYPE => {
            let p: OrganisationRegistered = ev.decode(up)?;
            sqlx::query("INSERT INTO organisations VALUES ($1,$2,$3,$4,$5,'pending',$6,$7,$8) ON CONFLICT DO NOTHING")
                .bind(id).bind(e.party.to_string()).bind(p.name).bind(p.registration_number)
                .bind(p.country.to_string()).bind(e.occurred_at).bind(e.version as i64).bind(seq)
                .execute(&mut *tx).await?;
            // The registrant is the organisation's first member.
            add_member(
                tx,
                &party,
                id,
                &e.actor.user_id,
                "member",
                None,
                e.occurred_at,
            )
            .await?;
        }
        OrganisationVerified::EVENT_TYPE => {
            let _: OrganisationVerified = ev.decode(up)?;
            status("verified").execute(&mut *tx).await?;
        }
        OrganisationSuspended::EVENT_TYPE => {
            let _: OrganisationSuspended = ev.decode(up)?;
            status("suspended").execute(&mut *tx).await?;
        }
        MemberAdded::EVENT_TYPE => {
            let p: MemberAdded = ev.decode(up)?;
            let (capacity, agency) = match p.capacity {
                MemberCapacity::Member => ("member", None),
                MemberCapacity::Agent {
                    agency_organisation_id,
                } => ("agent", agency_organisation_id),
            };
            add_member(tx, &party, id, &p.user_id, capacity, agency, e.occurred_at).await?;
        }
        MemberRemoved::EVENT_TYPE => {
            let p: MemberRemoved = ev.decode(up)?;
            sqlx::query(
                "DELETE FROM organisation_members WHERE party = $3 AND organisation_id = $1 AND user_id = $2",
            )
            .bind(id)
            .bind(p.user_id)
            .bind(&party)
            .execute(&mut *tx)
            .await?;
        }
        other => return Err(Problem::Unknown(format!("organisation event {other:?}"))),
    }
    Ok(())
}

async fn add_member(
    tx: &mut PgConnection,
    party: &str,
    id: Uuid,
    user: &str,
    capacity: &str,
    agency: Option<Uuid>,
    at: time::OffsetDateTime,
) -> Result<(), Problem> {
    sqlx::query("INSERT INTO organisation_members (organisation_id, user_id, capacity, agency_organisation_id, added_at, party) VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT (party, organisation_id, user_id) DO UPDATE SET capacity = EXCLUDED.capacity, agency_organisation_id = EXCLUDED.agency_organisation_id")
        .bind(id).bind(user).bind(capacity).bind(agency).bind(at).bind(party)
        .execute(&mut *tx).await?;
    Ok(())
}

/// The listing in force as Species+ marks it current: the strictest current inclusion.
fn listing_in_force(t: &Taxon) -> Option<&ecites_events::payloads::species::ListingChange> {
    t.listing_changes
        .iter()
        .filter(|l| l.is_current && l.change_type == ChangeType::Addition)
        .min_by_key(|l| (l.appendix, std::cmp::Reverse(l.effective_at)))
}

async fn taxon(tx: &mut PgConnection, ev: &VerifiedEvent, up: &Upcasters) -> Result<(), Problem> {
    let p: TaxonRecorded = ev.decode(up)?;
    let t = &p.taxon;
    let listing = listing_in_force(t);
    let genus = (t.rank == "SPECIES" || t.rank == "SUBSPECIES")
        .then(|| t.full_name.split_whitespace().next().map(str::to_string))
        .flatten();
    let synonyms: Vec<&str> = t.synonyms.iter().map(|s| s.full_name.as_str()).collect();
    let common: Vec<&str> = t.common_names.iter().map(|c| c.name.as_str()).collect();
    let suspended = t.suspensions.iter().any(|s| s.is_current);
    sqlx::query(
        "INSERT INTO taxa VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20) \
         ON CONFLICT (party, taxon_id) DO UPDATE SET full_name = EXCLUDED.full_name, author_year = EXCLUDED.author_year, \
         rank = EXCLUDED.rank, kingdom = EXCLUDED.kingdom, phylum = EXCLUDED.phylum, class = EXCLUDED.class, \
         taxon_order = EXCLUDED.taxon_order, family = EXCLUDED.family, genus = EXCLUDED.genus, \
         appendix = EXCLUDED.appendix, listing_party = EXCLUDED.listing_party, listed_since = EXCLUDED.listed_since, \
         annotation = EXCLUDED.annotation, synonyms = EXCLUDED.synonyms, common_names = EXCLUDED.common_names, \
         suspended = EXCLUDED.suspended, content_hash = EXCLUDED.content_hash, last_sequence = EXCLUDED.last_sequence \
         WHERE taxa.last_sequence < EXCLUDED.last_sequence",
    )
    .bind(ev.envelope.party.to_string())
    .bind(p.taxon_id as i64)
    .bind(&t.full_name)
    .bind(&t.author_year)
    .bind(&t.rank)
    .bind(code(&t.kingdom))
    .bind(&t.higher_taxa.phylum)
    .bind(&t.higher_taxa.class)
    .bind(&t.higher_taxa.order)
    .bind(&t.higher_taxa.family)
    .bind(genus)
    .bind(listing.map(|l| l.appendix.to_string()))
    .bind(listing.and_then(|l| l.party.map(|p| p.to_string())))
    .bind(listing.map(|l| l.effective_at))
    .bind(listing.and_then(|l| l.annotation.clone()))
    .bind(synonyms.join("; "))
    .bind(common.join("; "))
    .bind(suspended)
    .bind(p.content_hash.to_string())
    .bind(ev.sequence as i64)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

async fn quota(tx: &mut PgConnection, ev: &VerifiedEvent, up: &Upcasters) -> Result<(), Problem> {
    let e = &ev.envelope;
    let id = e.aggregate_id.to_string();
    let seq = ev.sequence as i64;
    let change = |reserved: i64, used: i64| {
        sqlx::query("UPDATE quotas SET reserved_thousandths = reserved_thousandths + $2, used_thousandths = used_thousandths + $3, last_sequence = $4 WHERE party = $5 AND quota_id = $1 AND last_sequence < $4")
            .bind(id.clone()).bind(reserved).bind(used).bind(seq).bind(e.party.to_string())
    };
    match e.event_type.as_str() {
        QuotaSet::EVENT_TYPE => {
            let p: QuotaSet = ev.decode(up)?;
            sqlx::query("INSERT INTO quotas VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,0,0,$11,$12) \
                ON CONFLICT (party, quota_id) DO UPDATE SET annual_thousandths = EXCLUDED.annual_thousandths, notes = EXCLUDED.notes, \
                year = EXCLUDED.year, taxon_id = EXCLUDED.taxon_id, scientific_name = EXCLUDED.scientific_name, \
                term = EXCLUDED.term, unit = EXCLUDED.unit, source = EXCLUDED.source, domestic = EXCLUDED.domestic, \
                last_sequence = EXCLUDED.last_sequence WHERE quotas.last_sequence < EXCLUDED.last_sequence")
                .bind(&id).bind(e.party.to_string()).bind(p.taxon_id as i64).bind(p.scientific_name)
                .bind(p.year).bind(p.term).bind(p.unit).bind(p.source.map(|s| code(&s)))
                .bind(p.domestic).bind(p.annual.thousandths()).bind(p.notes).bind(seq)
                .execute(&mut *tx).await?;
        }
        QuotaReserved::EVENT_TYPE => {
            let p: QuotaReserved = ev.decode(up)?;
            change(p.quantity.thousandths(), 0)
                .execute(&mut *tx)
                .await?;
        }
        QuotaSettled::EVENT_TYPE => {
            let p: QuotaSettled = ev.decode(up)?;
            change(-p.reserved.thousandths(), p.exported.thousandths())
                .execute(&mut *tx)
                .await?;
        }
        QuotaReleased::EVENT_TYPE => {
            let p: QuotaReleased = ev.decode(up)?;
            change(-p.quantity.thousandths(), 0)
                .execute(&mut *tx)
                .await?;
        }
        other => return Err(Problem::Unknown(format!("quota event {other:?}"))),
    }
    Ok(())
}

/// The balance aggregate's id is `<import permit id>-<line no>`.
fn balance_key(ev: &VerifiedEvent) -> Result<(Uuid, i32), Problem> {
    let id = ev.envelope.aggregate_id.as_str();
    id.rsplit_once('-')
        .and_then(|(permit, line)| Some((Uuid::parse_str(permit).ok()?, line.parse().ok()?)))
        .ok_or_else(|| Problem::Bad(format!("import balance id {id:?} is not <permit>-<line>")))
}

async fn import_balance(
    tx: &mut PgConnection,
    ev: &VerifiedEvent,
    up: &Upcasters,
) -> Result<(), Problem> {
    let (permit, line) = balance_key(ev)?;
    let e = &ev.envelope;
    let (drawn, reexported) = match e.event_type.as_str() {
        ImportDrawn::EVENT_TYPE => {
            let p: ImportDrawn = ev.decode(up)?;
            (p.quantity.thousandths(), 0)
        }
        ImportDrawSettled::EVENT_TYPE => {
            let p: ImportDrawSettled = ev.decode(up)?;
            (-p.drawn.thousandths(), p.reexported.thousandths())
        }
        ImportDrawReleased::EVENT_TYPE => {
            let p: ImportDrawReleased = ev.decode(up)?;
            (-p.quantity.thousandths(), 0)
        }
        other => return Err(Problem::Unknown(format!("import balance event {other:?}"))),
    };
    sqlx::query(
        "INSERT INTO import_balances VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT (party, import_permit_id, line_no) \
         DO UPDATE SET drawn_thousandths = import_balances.drawn_thousandths + EXCLUDED.drawn_thousandths, \
         reexported_thousandths = import_balances.reexported_thousandths + EXCLUDED.reexported_thousandths, \
         last_sequence = EXCLUDED.last_sequence WHERE import_balances.last_sequence < EXCLUDED.last_sequence",
    )
    .bind(e.party.to_string())
    .bind(permit)
    .bind(line)
    .bind(drawn)
    .bind(reexported)
    .bind(ev.sequence as i64)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

async fn prepayment(
    tx: &mut PgConnection,
    ev: &VerifiedEvent,
    up: &Upcasters,
    payments: &mut Vec<PaymentRow>,
) -> Result<(), Problem> {
    let id = uuid_id(ev)?;
    let e = &ev.envelope;
    let seq = ev.sequence as i64;
    let (amount, permit, kind) = match e.event_type.as_str() {
        PrepaymentAccountOpened::EVENT_TYPE => {
            let p: PrepaymentAccountOpened = ev.decode(up)?;
            sqlx::query(
                "INSERT INTO prepayment_accounts VALUES ($1,$2,$3,$4,0,$5) ON CONFLICT DO NOTHING",
            )
            .bind(id)
            .bind(e.party.to_string())
            .bind(p.organisation_id)
            .bind(p.currency)
            .bind(seq)
            .execute(&mut *tx)
            .await?;
            return Ok(());
        }
        PrepaymentDeposited::EVENT_TYPE => {
            let p: PrepaymentDeposited = ev.decode(up)?;
            (p.amount, None, ("deposit", Some(p.receipt_number)))
        }
        PrepaymentDebited::EVENT_TYPE => {
            let p: PrepaymentDebited = ev.decode(up)?;
            let negative = ecites_events::cites::Money {
                minor_units: -p.amount.minor_units,
                currency: p.amount.currency,
            };
            (negative, Some(p.permit_id), ("debit", None))
        }
        other => return Err(Problem::Unknown(format!("prepayment event {other:?}"))),
    };
    sqlx::query("UPDATE prepayment_accounts SET balance_minor = balance_minor + $2, last_sequence = $3 WHERE party = $4 AND account_id = $1 AND last_sequence < $3")
        .bind(id).bind(amount.minor_units).bind(seq).bind(e.party.to_string())
        .execute(&mut *tx).await?;
    let money = MoneyEvent {
        kind: kind.0,
        method: Some("prepayment".into()),
        reference: kind.1,
        amount,
    };
    payments.push(PaymentRow::of(ev, permit, Some(id), money));
    Ok(())
}

async fn party_config(
    tx: &mut PgConnection,
    ev: &VerifiedEvent,
    up: &Upcasters,
) -> Result<(), Problem> {
    let e = &ev.envelope;
    let party = e.party.to_string();
    match e.event_type.as_str() {
        FeeScheduleSet::EVENT_TYPE => {
            let p: FeeScheduleSet = ev.decode(up)?;
            sqlx::query("INSERT INTO fee_schedules VALUES ($1,$2,$3,$4) ON CONFLICT (party) DO UPDATE SET currency = EXCLUDED.currency, rules = EXCLUDED.rules, set_at = EXCLUDED.set_at")
                .bind(&party).bind(&p.currency).bind(Json(&p.rules)).bind(e.occurred_at)
                .execute(&mut *tx).await?;
        }
        DomesticMeasureSet::EVENT_TYPE => {
            let p: DomesticMeasureSet = ev.decode(up)?;
            sqlx::query("INSERT INTO domestic_measures VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT (party, measure_id) DO UPDATE SET taxon_id = EXCLUDED.taxon_id, scientific_name = EXCLUDED.scientific_name, description = EXCLUDED.description, detail = EXCLUDED.detail")
                .bind(&party).bind(&p.id).bind(p.taxon_id as i64).bind(&p.scientific_name)
                .bind(&p.description).bind(Json(&p))
                .execute(&mut *tx).await?;
        }
        DomesticMeasureRevoked::EVENT_TYPE => {
            let p: DomesticMeasureRevoked = ev.decode(up)?;
            sqlx::query("DELETE FROM domestic_measures WHERE party = $1 AND measure_id = $2")
                .bind(&party)
                .bind(p.id)
                .execute(&mut *tx)
                .await?;
        }
        NationalListSpeciesAdded::EVENT_TYPE => {
            let p: NationalListSpeciesAdded = ev.decode(up)?;
            sqlx::query("INSERT INTO national_list VALUES ($1,$2,$3,$4) ON CONFLICT (party, taxon_id) DO UPDATE SET scientific_name = EXCLUDED.scientific_name, note = EXCLUDED.note")
                .bind(&party).bind(p.taxon_id as i64).bind(p.scientific_name).bind(p.note)
                .execute(&mut *tx).await?;
        }
        NationalListSpeciesRemoved::EVENT_TYPE => {
            let p: NationalListSpeciesRemoved = ev.decode(up)?;
            sqlx::query("DELETE FROM national_list WHERE party = $1 AND taxon_id = $2")
                .bind(&party)
                .bind(p.taxon_id as i64)
                .execute(&mut *tx)
                .await?;
        }
        NationalEntryRecorded::EVENT_TYPE => {
            let p: NationalEntryRecorded = ev.decode(up)?;
            let kind = match &p.entry {
                NationalEntry::Suspension { .. } => "suspension",
                NationalEntry::Reservation { .. } => "reservation",
                NationalEntry::AppendixIii { .. } => "appendix_iii",
            };
            sqlx::query("INSERT INTO national_entries VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,NULL,$10) \
                ON CONFLICT (party, entry_id) DO UPDATE SET kind = EXCLUDED.kind, taxon_id = EXCLUDED.taxon_id, \
                scientific_name = EXCLUDED.scientific_name, entry = EXCLUDED.entry, notification = EXCLUDED.notification, \
                starts_on = EXCLUDED.starts_on, ends_on = EXCLUDED.ends_on, lifted_reason = NULL, \
                last_sequence = EXCLUDED.last_sequence WHERE national_entries.last_sequence < EXCLUDED.last_sequence")
                .bind(&party).bind(&p.id).bind(kind).bind(p.taxon_id.map(|t| t as i64))
                .bind(&p.scientific_name).bind(Json(&p.entry)).bind(&p.notification)
                .bind(p.starts_on.0).bind(p.ends_on.map(|d| d.0)).bind(ev.sequence as i64)
                .execute(&mut *tx).await?;
        }
        NationalEntryLifted::EVENT_TYPE => {
            let p: NationalEntryLifted = ev.decode(up)?;
            let last = p.lifted_on.0.previous_day().unwrap_or(p.lifted_on.0);
            sqlx::query("UPDATE national_entries SET ends_on = LEAST(COALESCE(ends_on, $3), $3), lifted_reason = $4, \
                last_sequence = $5 WHERE party = $1 AND entry_id = $2 AND last_sequence < $5")
                .bind(&party).bind(&p.id).bind(last).bind(&p.reason).bind(ev.sequence as i64)
                .execute(&mut *tx).await?;
        }
        // Security-stamp stock: the numbering side's business; the retrospective-issue policy
        // shows on the permits issued under it (`PermitIssued.retrospective`).
        "SecurityStampRangeSet" | "RetrospectiveIssuePolicySet" => {}
        other => {
            return Err(Problem::Unknown(format!(
                "party configuration event {other:?}"
            )))
        }
    }
    Ok(())
}

async fn specimens(
    tx: &mut PgConnection,
    ev: &VerifiedEvent,
    up: &Upcasters,
) -> Result<(), Problem> {
    use base64::Engine;
    let e = &ev.envelope;
    let party = e.party.to_string();
    match e.event_type.as_str() {
        SpecimenRecorded::EVENT_TYPE => {
            let p: SpecimenRecorded = ev.decode(up)?;
            let image = base64::engine::general_purpose::STANDARD
                .decode(&p.image)
                .map_err(|err| Problem::Bad(format!("specimen image: {err}")))?;
            sqlx::query(
                "INSERT INTO specimens VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,NULL,NULL,NULL,$11) \
                ON CONFLICT (party, specimen_id) DO NOTHING",
            )
            .bind(&party)
            .bind(p.specimen_id)
            .bind(p.kind.wire())
            .bind(&p.signatory)
            .bind(&p.name)
            .bind(&p.media_type)
            .bind(&p.sha256)
            .bind(image)
            .bind(e.occurred_at)
            .bind(&e.actor.user_id)
            .bind(ev.sequence as i64)
            .execute(&mut *tx)
            .await?;
        }
        SpecimenWithdrawn::EVENT_TYPE => {
            let p: SpecimenWithdrawn = ev.decode(up)?;
            sqlx::query("UPDATE specimens SET withdrawn_at = $3, withdrawn_by = $4, withdrawn_reason = $5, \
                last_sequence = $6 WHERE party = $1 AND specimen_id = $2 AND last_sequence < $6")
                .bind(&party).bind(p.specimen_id).bind(e.occurred_at).bind(&e.actor.user_id)
                .bind(&p.reason).bind(ev.sequence as i64)
                .execute(&mut *tx).await?;
        }
        other => return Err(Problem::Unknown(format!("specimen event {other:?}"))),
    }
    Ok(())
}
