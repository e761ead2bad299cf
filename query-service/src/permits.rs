//! Permits: the list, one permit with its lines, its signed timeline, the customs lookup by
//! number, the work queue of each role, and the trade records (permit lines).

use crate::listing::{self, Bind, ListSpec, Params, Part, Where};
use crate::{ApiError, Ctx, QueryState};
use axum::extract::{Extension, Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use ecites_cites::domain::permit::PermitStatus;
use serde_json::Value;
use sqlx::Row;
use std::sync::Arc;
use uuid::Uuid;

/// The statuses a listed permit can be in: the domain's wire names (all but `new`).
pub const STATUSES: &[&str] = &[
    PermitStatus::Submitted.wire(),
    PermitStatus::ReturnedForChanges.wire(),
    PermitStatus::UnderReview.wire(),
    PermitStatus::OpinionRequested.wire(),
    PermitStatus::OpinionGiven.wire(),
    PermitStatus::Approved.wire(),
    PermitStatus::Rejected.wire(),
    PermitStatus::Withdrawn.wire(),
    PermitStatus::Issued.wire(),
    PermitStatus::Used.wire(),
    PermitStatus::Expired.wire(),
    PermitStatus::Cancelled.wire(),
    PermitStatus::Replaced.wire(),
    PermitStatus::LostOrStolen.wire(),
];

pub const DOCUMENT_TYPES: &[&str] = &[
    "export_permit",
    "re_export_certificate",
    "import_permit",
    "certificate_of_origin",
    "pre_convention_certificate",
    "captive_breeding_certificate",
    "introduction_from_the_sea",
];

const PERMIT_COLUMNS: &[(&str, &str)] = &[
    ("permit_id", "p.permit_id"),
    ("party", "p.party"),
    ("organisation_id", "p.organisation_id"),
    ("document_type", "p.document_type"),
    ("status", "p.status"),
    ("permit_number", "p.permit_number"),
    ("exporting_country", "p.exporting_country"),
    ("importing_country", "p.importing_country"),
    ("species", "p.species"),
    ("line_count", "p.line_count"),
    ("security_stamp", "p.security_stamp"),
    ("submitted_at", "p.submitted_at"),
    ("issued_on", "p.issued_on"),
    ("valid_until", "p.valid_until"),
    ("endorsed_on", "p.endorsed_on"),
    ("updated_at", "p.updated_at"),
    ("assigned_officer", "p.assigned_officer"),
    ("fee_minor", "p.fee_minor"),
    ("fee_currency", "p.fee_currency"),
    ("paid_minor", "p.paid_minor"),
    ("fee_waived", "p.fee_waived"),
    ("express", "p.express"),
    ("version", "p.version"),
];

const PERMIT_SORTS: &[(&str, &str)] = &[
    ("updated_at", "p.updated_at"),
    ("submitted_at", "p.submitted_at"),
    ("issued_on", "p.issued_on"),
    ("permit_number", "p.permit_number"),
    ("status", "p.status"),
];

pub static PERMITS: ListSpec = ListSpec {
    name: "permits",
    columns: PERMIT_COLUMNS,
    from: "permits p",
    sorts: PERMIT_SORTS,
    default_sort: "updated_at",
    default_desc: true,
    tiebreak: "p.permit_id",
};

static WORK_QUEUE: ListSpec = ListSpec {
    name: "work_queue",
    columns: PERMIT_COLUMNS,
    from: "permits p",
    sorts: PERMIT_SORTS,
    default_sort: "submitted_at",
    default_desc: false,
    tiebreak: "p.permit_id",
};

/// The columns of a trade record (a permit line); quantities as exact decimals.
const LINE_COLUMNS: &[(&str, &str)] = &[
    ("permit_id", "l.permit_id"),
    ("line_no", "l.line_no"),
    ("permit_number", "l.permit_number"),
    ("document_type", "l.document_type"),
    ("status", "l.status"),
    ("exporting_country", "l.exporting_country"),
    ("importing_country", "l.importing_country"),
    ("issued_on", "l.issued_on"),
    ("endorsed_on", "l.endorsed_on"),
    ("taxon_id", "l.taxon_id"),
    ("scientific_name", "l.scientific_name"),
    ("kingdom", "l.kingdom"),
    ("appendix", "l.appendix"),
    ("listing_party", "l.listing_party"),
    ("source", "l.source"),
    ("purpose", "l.purpose"),
    ("term", "l.term"),
    ("unit", "l.unit"),
    (
        "quantity",
        "trim_scale(l.quantity_thousandths::numeric / 1000)::text",
    ),
    (
        "endorsed_quantity",
        "trim_scale(l.endorsed_thousandths::numeric / 1000)::text",
    ),
    ("origin_country", "l.origin_country"),
    ("origin_permit", "l.origin_permit"),
    ("reexport_country", "l.reexport_country"),
    ("reexport_permit", "l.reexport_permit"),
    ("import_permit", "l.import_permit"),
    ("export_permit", "l.export_permit"),
];

static TRADE_RECORDS: ListSpec = ListSpec {
    name: "trade_records",
    columns: LINE_COLUMNS,
    from: "permit_lines l",
    sorts: &[
        ("issued_on", "l.issued_on"),
        ("endorsed_on", "l.endorsed_on"),
        ("permit_number", "l.permit_number"),
        ("scientific_name", "l.scientific_name"),
        ("quantity", "l.quantity_thousandths"),
    ],
    default_sort: "issued_on",
    default_desc: true,
    tiebreak: "l.permit_id, l.line_no",
};

type Q = Query<Vec<(String, String)>>;

/// The permits a viewer may see at all: its Party's; a trader's only those of organisations
/// that list it as a member or an agent.
fn visible_permits(ctx: &Ctx, alias: &str) -> Where {
    let mut w = Where::default();
    w.eq(&format!("{alias}.party"), Bind::Text(ctx.party().into()));
    ctx.reach
        .confine(&mut w, &format!("{alias}.organisation_id"));
    w
}

/// `column LIKE 'value%'`, with the LIKE wildcards of `value` escaped.
pub fn like_pattern(value: &str, prefix: bool, suffix: bool) -> String {
    let escaped = value
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!(
        "{}{escaped}{}",
        if prefix { "%" } else { "" },
        if suffix { "%" } else { "" }
    )
}

/// A `from`/`to` pair of dates on a date column (both inclusive).
fn date_range(
    w: &mut Where,
    p: &Params,
    column: &str,
    from: &str,
    to: &str,
) -> Result<(), ApiError> {
    if let Some(d) = p.date(from)? {
        w.bound(&format!("{column} >= "), Bind::Date(d), "");
    }
    if let Some(d) = p.date(to)? {
        w.bound(&format!("{column} <= "), Bind::Date(d), "");
    }
    Ok(())
}

/// The same on a timestamp column, days in UTC.
fn day_range(
    w: &mut Where,
    p: &Params,
    column: &str,
    from: &str,
    to: &str,
) -> Result<(), ApiError> {
    if let Some(d) = p.date(from)? {
        w.bound(
            &format!("{column} >= ("),
            Bind::Date(d),
            "::timestamp AT TIME ZONE 'UTC')",
        );
    }
    if let Some(d) = p.date(to)? {
        w.bound(
            &format!("{column} < (("),
            Bind::Date(d),
            " + 1)::timestamp AT TIME ZONE 'UTC')",
        );
    }
    Ok(())
}

/// `GET /api/{party}/permits`
pub async fn list(
    State(state): State<Arc<QueryState>>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Q,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let p = Params::from(q);
    let mut w = visible_permits(&ctx, "p");
    if let Some(n) = p.get("number") {
        w.bound(
            "p.permit_number LIKE ",
            Bind::Text(like_pattern(n, false, true)),
            "",
        );
    }
    if let Some(org) = p.uuid("organisation")? {
        w.eq("p.organisation_id", Bind::Uuid(org));
    }
    if let Some(s) = p.get("species") {
        w.bound(
            "p.species ILIKE ",
            Bind::Text(like_pattern(s, true, true)),
            "",
        );
    }
    let statuses = p.list("status", Some(STATUSES))?;
    if !statuses.is_empty() {
        w.bound("p.status = ANY(", Bind::Texts(statuses), ")");
    }
    let types = p.list("document_type", Some(DOCUMENT_TYPES))?;
    if !types.is_empty() {
        w.bound("p.document_type = ANY(", Bind::Texts(types), ")");
    }
    date_range(&mut w, &p, "p.issued_on", "issued_from", "issued_to")?;
    day_range(
        &mut w,
        &p,
        "p.submitted_at",
        "submitted_from",
        "submitted_to",
    )?;
    day_range(&mut w, &p, "p.updated_at", "updated_from", "updated_to")?;
    listing::respond(&state.pool, &PERMITS, &w, &p, &headers).await
}

/// On an import permit's lines: what the Party's re-exports hold of it and re-exported.
const REEXPORT_BALANCE: &[(&str, &str)] = &[
    (
        "reexport_held",
        "(SELECT trim_scale(b.drawn_thousandths::numeric / 1000)::text FROM import_balances b \
         WHERE b.party = l.party AND b.import_permit_id = l.permit_id AND b.line_no = l.line_no)",
    ),
    (
        "reexported",
        "(SELECT trim_scale(b.reexported_thousandths::numeric / 1000)::text FROM import_balances b \
         WHERE b.party = l.party AND b.import_permit_id = l.permit_id AND b.line_no = l.line_no)",
    ),
];

/// One permit as JSON (its columns, `state` and `lines`), if the viewer may see it.
async fn one_permit(
    state: &QueryState,
    ctx: &Ctx,
    key: Bind,
    column: &str,
) -> Result<Value, ApiError> {
    let columns: Vec<String> = PERMIT_COLUMNS
        .iter()
        .map(|(n, e)| format!("'{n}', {e}"))
        .collect();
    let lines: Vec<String> = LINE_COLUMNS
        .iter()
        .filter(|(n, _)| {
            !matches!(
                *n,
                "permit_id" | "permit_number" | "document_type" | "status"
            )
        })
        .map(|(n, e)| format!("'{n}', {e}"))
        .chain(REEXPORT_BALANCE.iter().map(|(n, e)| format!("'{n}', {e}")))
        .collect();
    let mut qb = sqlx::QueryBuilder::new(format!(
        "SELECT jsonb_build_object({}) || jsonb_build_object('state', p.state, 'lines', \
         COALESCE((SELECT jsonb_agg(jsonb_build_object({}) ORDER BY l.line_no) \
         FROM permit_lines l WHERE l.party = p.party AND l.permit_id = p.permit_id), '[]'::jsonb)) FROM permits p",
        columns.join(", "),
        lines.join(", "),
    ));
    let mut w = visible_permits(ctx, "p");
    w.eq(column, key);
    w.push_to(&mut qb);
    qb.push(" LIMIT 1");
    let row = qb.build().fetch_optional(&state.pool).await?;
    match row {
        Some(r) => Ok(r.try_get(0)?),
        None => Err(ApiError::NotFound("no such permit".into())),
    }
}

fn permit_id(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| ApiError::bad("id", format!("{raw:?} is not a UUID")))
}

/// `GET /api/{party}/permits/{id}`
pub async fn detail(
    State(state): State<Arc<QueryState>>,
    Extension(ctx): Extension<Ctx>,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let id = permit_id(&id)?;
    Ok(Json(one_permit(&state, &ctx, Bind::Uuid(id), "p.permit_id").await?).into_response())
}

/// `GET /api/{party}/permit-lookup?number=LK/2026/000001` (customs at the border).
pub async fn lookup(
    State(state): State<Arc<QueryState>>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Q,
) -> Result<Response, ApiError> {
    let p = Params::from(q);
    let number = p
        .get("number")
        .ok_or_else(|| ApiError::bad("number", "the permit number is required"))?;
    let permit = one_permit(&state, &ctx, Bind::Text(number.into()), "p.permit_number").await?;
    Ok(Json(permit).into_response())
}

/// `GET /api/{party}/permits/{id}/timeline`: every event, in version order, with who signed it
/// and how it links to the previous one.
pub async fn timeline(
    State(state): State<Arc<QueryState>>,
    Extension(ctx): Extension<Ctx>,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let id = permit_id(&id)?;
    let mut qb = sqlx::QueryBuilder::new("SELECT 1 FROM permits p");
    let mut w = visible_permits(&ctx, "p");
    w.eq("p.permit_id", Bind::Uuid(id));
    w.push_to(&mut qb);
    if qb.build().fetch_optional(&state.pool).await?.is_none() {
        return Err(ApiError::NotFound("no such permit".into()));
    }
    let events: Vec<Value> = sqlx::query_scalar(
        "SELECT jsonb_build_object('version', version, 'sequence', sequence, \
         'event_type', event_type, 'schema_version', schema_version, 'occurred_at', occurred_at, 'actor_id', actor_id, \
         'actor_role', actor_role, 'command_id', command_id, 'key_id', key_id, 'hash', hash, \
         'prev_hash', prev_hash, 'signature_verified', signature_verified, \
         'chain_linked', chain_linked, 'payload', payload) \
         FROM permit_events WHERE permit_id = $1 AND party = $2 ORDER BY version",
    )
    .bind(id)
    .bind(ctx.party())
    .fetch_all(&state.pool)
    .await?;
    Ok(Json(serde_json::json!({ "permit_id": id, "events": events })).into_response())
}

/// `GET /api/{party}/work-queue`: what waits for the viewer's role, oldest first.
pub async fn work_queue(
    State(state): State<Arc<QueryState>>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Q,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let p = Params::from(q);
    let mut w = visible_permits(&ctx, "p");
    let texts = |s: &[&str]| Bind::Texts(s.iter().map(|s| s.to_string()).collect());
    match ctx.viewer.role.as_str() {
        "ma_officer" => {
            w.bound(
                "p.status = ANY(",
                texts(&["submitted", "under_review", "opinion_given"]),
                ")",
            );
        }
        "sa_expert" => {
            w.eq("p.status", Bind::Text("opinion_requested".into()));
        }
        "ma_signatory" => {
            w.raw("p.status = 'approved' AND (p.fee_waived OR p.paid_minor >= COALESCE(p.fee_minor, 0))");
        }
        "customs" => {
            w.raw("p.status = 'issued' AND p.valid_until >= CURRENT_DATE");
        }
        "trader" => {
            w.cond(vec![Part::Sql(
                "p.status = 'returned' OR (p.status = 'approved' AND NOT p.fee_waived \
                 AND p.paid_minor < COALESCE(p.fee_minor, 0))"
                    .into(),
            )]);
        }
        // Auditors, Party admins and operators have no queue of their own.
        _ => {
            w.raw("false");
        }
    }
    listing::respond(&state.pool, &WORK_QUEUE, &w, &p, &headers).await
}

/// `GET /api/{party}/trade-records`: permit lines.
pub async fn trade_records(
    State(state): State<Arc<QueryState>>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Q,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let p = Params::from(q);
    let mut w = Where::default();
    w.eq("l.party", Bind::Text(ctx.party().into()));
    if let Some(within) = ctx.reach.through("l.permit_id", "permit_id", "permits") {
        w.cond(within);
    }
    if let Some(t) = p.int("taxon_id", 0, i64::MAX)? {
        w.eq("l.taxon_id", Bind::Int(t));
    }
    if let Some(n) = p.get("scientific_name") {
        w.bound(
            "l.scientific_name ILIKE ",
            Bind::Text(like_pattern(n, true, true)),
            "",
        );
    }
    match p.choice("appendix", &["", "I", "II", "III", "N"], "")? {
        "" => {}
        "N" => {
            w.raw("l.appendix IS NULL");
        }
        a => {
            w.eq("l.appendix", Bind::Text(a.into()));
        }
    }
    for (param, column, len) in [
        ("source", "l.source", 1..=1),
        ("purpose", "l.purpose", 1..=1),
        ("term", "l.term", 3..=3),
    ] {
        if let Some(code) = p.code(param, len)? {
            w.eq(column, Bind::Text(code));
        }
    }
    if let Some(year) = p.year("year")? {
        year_range(&mut w, "l.issued_on", year);
    }
    let statuses = p.list("status", Some(STATUSES))?;
    if !statuses.is_empty() {
        w.bound("l.status = ANY(", Bind::Texts(statuses), ")");
    }
    listing::respond(&state.pool, &TRADE_RECORDS, &w, &p, &headers).await
}

/// `column` within the calendar year (index-friendly range, not `extract`).
pub fn year_range(w: &mut Where, column: &str, year: i32) {
    w.bound(
        &format!("{column} >= make_date("),
        Bind::Int(year.into()),
        "::int, 1, 1)",
    );
    w.bound(
        &format!("{column} < make_date("),
        Bind::Int(i64::from(year) + 1),
        "::int, 1, 1)",
    );
}

/// `GET /api/{party}/permits/{id}/document.pdf?lang=en|fr|es`: the permit in the standard form
/// (issue #14), for those who may read the permit, drawn from its read model.
pub async fn document(
    State(state): State<Arc<QueryState>>,
    Extension(ctx): Extension<Ctx>,
    Path((_, id)): Path<(String, String)>,
    Query(q): Q,
) -> Result<Response, ApiError> {
    use crate::document::{permit_pdf, DocumentLang, PermitDocument};
    use ecites_projector::read_models::permit_view::PermitView;
    let p = Params::from(q);
    let lang = match p.get("lang") {
        None => DocumentLang::En,
        Some(code) => DocumentLang::parse(code)
            .ok_or_else(|| ApiError::bad("lang", "the document's language is en, fr or es"))?,
    };
    let id = permit_id(&id)?;
    let read = || async {
        let permit = one_permit(&state, &ctx, Bind::Uuid(id), "p.permit_id").await?;
        serde_json::from_value::<PermitView>(permit["state"].clone())
            .map_err(|e| ApiError::Document(format!("permit view: {e}")))
    };
    let mut view = read().await?;
    if needs_first_seal(&view) {
        if let Some(sealer) = &state.first_seal {
            let sealed = sealer
                .seal(&ctx.viewer, ctx.party, id)
                .await
                .map_err(ApiError::Document)?;
            if let Some(at) = sealed {
                crate::position::wait_for(&state.pool, ctx.party, Some(at), state.position_wait)
                    .await?;
                view = read().await?;
            }
        }
    }
    let exporter: Option<String> = match view.organisation_id {
        Some(org) => {
            sqlx::query_scalar(
                "SELECT name FROM organisations WHERE party = $1 AND organisation_id = $2",
            )
            .bind(ctx.party())
            .bind(org)
            .fetch_optional(&state.pool)
            .await?
        }
        None => None,
    };
    let names = country_names();
    let country = |code: &str| names.get(code).cloned().unwrap_or_else(|| code.to_string());
    let (signature, stamp) =
        crate::specimens::in_force_at_issue(&state.pool, ctx.party, id).await?;
    let doc = PermitDocument {
        view: &view,
        exporter: exporter.as_deref().unwrap_or_default(),
        country: &country,
        signature: signature.as_deref(),
        stamp: stamp.as_deref(),
    };
    let pdf = permit_pdf(&doc, lang).map_err(|e| ApiError::Document(e.to_string()))?;
    let number = view.permit_number.as_deref().unwrap_or("application");
    let file: String = number
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let headers = [
        (
            axum::http::header::CONTENT_TYPE,
            "application/pdf".to_string(),
        ),
        (
            axum::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"permit-{file}-{}.pdf\"", lang.tag()),
        ),
    ];
    Ok((headers, pdf).into_response())
}

/// A permit in force or used that was issued before seals existed gets its seal on its
/// first document (issue #14), recorded so that every later copy prints the same one.
fn needs_first_seal(view: &ecites_projector::read_models::permit_view::PermitView) -> bool {
    view.seal.is_none()
        && PermitStatus::from_wire(&view.status)
            .is_some_and(|s| matches!(s, PermitStatus::Issued | PermitStatus::Used))
}

/// The countries' names by code, from the shipped lists (English).
fn country_names() -> &'static std::collections::HashMap<String, String> {
    static NAMES: std::sync::OnceLock<std::collections::HashMap<String, String>> =
        std::sync::OnceLock::new();
    NAMES.get_or_init(|| {
        ecites_cites::reference::codes::CodeLists::embedded()
            .map(|l| {
                l.countries()
                    .map(|c| (c.code.clone(), c.name.clone()))
                    .collect()
            })
            .unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(like_pattern("LK/2026_1%", false, true), "LK/2026\\_1\\%%");
        assert_eq!(like_pattern("python", true, true), "%python%");
    }
}
