//! The Party's reference lists: organisations (with members), species, quotas, the fees and
//! payments ledger and prepayment accounts.

use crate::listing::{self, Bind, ListSpec, Params, Part, Where};
use crate::permits::like_pattern;
use crate::{ApiError, Ctx, QueryState};
use axum::extract::{Extension, Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::Value;
use std::sync::Arc;
use uuid::Uuid;

type Q = Query<Vec<(String, String)>>;

static ORGANISATIONS: ListSpec = ListSpec {
    name: "organisations",
    columns: &[
        ("organisation_id", "o.organisation_id"),
        ("name", "o.name"),
        ("registration_number", "o.registration_number"),
        ("country", "o.country"),
        ("status", "o.status"),
        ("registered_at", "o.registered_at"),
        ("version", "o.version"),
    ],
    from: "organisations o",
    sorts: &[
        ("name", "o.name"),
        ("registered_at", "o.registered_at"),
        ("status", "o.status"),
    ],
    default_sort: "name",
    default_desc: false,
    tiebreak: "o.organisation_id",
};

static SPECIES: ListSpec = ListSpec {
    name: "species",
    columns: &[
        ("taxon_id", "t.taxon_id"),
        ("full_name", "t.full_name"),
        ("author_year", "t.author_year"),
        ("rank", "t.rank"),
        ("kingdom", "t.kingdom"),
        ("phylum", "t.phylum"),
        ("class", "t.class"),
        ("order", "t.taxon_order"),
        ("family", "t.family"),
        ("genus", "t.genus"),
        ("appendix", "t.appendix"),
        ("listing_party", "t.listing_party"),
        ("listed_since", "t.listed_since"),
        ("annotation", "t.annotation"),
        ("suspended", "t.suspended"),
        ("synonyms", "t.synonyms"),
        ("common_names", "t.common_names"),
    ],
    from: "taxa t",
    sorts: &[
        ("full_name", "t.full_name"),
        ("taxon_id", "t.taxon_id"),
        ("appendix", "t.appendix"),
    ],
    default_sort: "full_name",
    default_desc: false,
    tiebreak: "t.taxon_id",
};

static QUOTAS: ListSpec = ListSpec {
    name: "quotas",
    columns: &[
        ("quota_id", "q.quota_id"),
        ("taxon_id", "q.taxon_id"),
        ("scientific_name", "q.scientific_name"),
        ("year", "q.year"),
        ("term", "q.term"),
        ("unit", "q.unit"),
        ("source", "q.source"),
        ("domestic", "q.domestic"),
        ("annual", "trim_scale(q.annual_thousandths::numeric / 1000)::text"),
        ("reserved", "trim_scale(q.reserved_thousandths::numeric / 1000)::text"),
        ("used", "trim_scale(q.used_thousandths::numeric / 1000)::text"),
        (
            "remaining",
            "trim_scale((q.annual_thousandths - q.reserved_thousandths - q.used_thousandths)::numeric / 1000)::text",
        ),
        ("notes", "q.notes"),
    ],
    from: "quotas q",
    sorts: &[
        ("scientific_name", "q.scientific_name"),
        ("year", "q.year"),
        ("quota_id", "q.quota_id"),
    ],
    default_sort: "scientific_name",
    default_desc: false,
    tiebreak: "q.quota_id",
};

static PAYMENTS: ListSpec = ListSpec {
    name: "payments",
    columns: &[
        ("sequence", "m.sequence"),
        ("permit_id", "m.permit_id"),
        ("account_id", "m.account_id"),
        ("kind", "m.kind"),
        ("method", "m.method"),
        ("reference", "m.reference"),
        ("amount_minor", "m.amount_minor"),
        ("currency", "m.currency"),
        ("recorded_at", "m.recorded_at"),
        ("actor_id", "m.actor_id"),
    ],
    from: "payments m",
    sorts: &[("recorded_at", "m.recorded_at"), ("sequence", "m.sequence")],
    default_sort: "sequence",
    default_desc: false,
    tiebreak: "m.sequence",
};

static ACCOUNTS: ListSpec = ListSpec {
    name: "prepayment_accounts",
    columns: &[
        ("account_id", "a.account_id"),
        ("organisation_id", "a.organisation_id"),
        ("currency", "a.currency"),
        ("balance_minor", "a.balance_minor"),
    ],
    from: "prepayment_accounts a",
    sorts: &[
        ("organisation_id", "a.organisation_id"),
        ("balance_minor", "a.balance_minor"),
    ],
    default_sort: "organisation_id",
    default_desc: false,
    tiebreak: "a.account_id",
};

static NATIONAL_ENTRIES: ListSpec = ListSpec {
    name: "national_entries",
    columns: &[
        ("entry_id", "n.entry_id"),
        ("kind", "n.kind"),
        ("taxon_id", "n.taxon_id"),
        ("scientific_name", "n.scientific_name"),
        ("entry", "n.entry"),
        ("notification", "n.notification"),
        ("starts_on", "n.starts_on"),
        ("ends_on", "n.ends_on"),
        ("lifted_reason", "n.lifted_reason"),
        ("source", "'national'"),
    ],
    from: "national_entries n",
    sorts: &[
        ("starts_on", "n.starts_on"),
        ("scientific_name", "n.scientific_name"),
        ("entry_id", "n.entry_id"),
    ],
    default_sort: "starts_on",
    default_desc: true,
    tiebreak: "n.entry_id",
};

/// `GET /api/{party}/national-entries?kind=&taxon_id=&in_force_on=`: the suspensions,
/// reservations and Appendix III listings the Party recorded itself (beside the Species+
/// data, whose entries are in `/species`).
pub async fn national_entries(
    State(state): State<Arc<QueryState>>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Q,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let p = Params::from(q);
    let mut w = party_where(&ctx, "n.party");
    let kinds = p.list("kind", Some(&["suspension", "reservation", "appendix_iii"]))?;
    if !kinds.is_empty() {
        w.bound("n.kind = ANY(", Bind::Texts(kinds), ")");
    }
    if let Some(t) = p.int("taxon_id", 0, i64::MAX)? {
        w.eq("n.taxon_id", Bind::Int(t));
    }
    if let Some(on) = p.date("in_force_on")? {
        w.bound("n.starts_on <= ", Bind::Date(on), "");
        w.cond(vec![
            Part::Sql("(n.ends_on IS NULL OR n.ends_on >= ".into()),
            Part::Bind(Bind::Date(on)),
            Part::Sql(")".into()),
        ]);
    }
    listing::respond(&state.pool, &NATIONAL_ENTRIES, &w, &p, &headers).await
}

fn party_where(ctx: &Ctx, column: &str) -> Where {
    let mut w = Where::default();
    w.eq(column, Bind::Text(ctx.party().into()));
    w
}

/// `GET /api/{party}/organisations?q=&status=`
pub async fn organisations(
    State(state): State<Arc<QueryState>>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Q,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let p = Params::from(q);
    let mut w = party_where(&ctx, "o.party");
    ctx.reach.confine(&mut w, "o.organisation_id");
    if let Some(name) = p.get("q") {
        w.bound(
            "o.name ILIKE ",
            Bind::Text(like_pattern(name, true, true)),
            "",
        );
    }
    if let Some(status) = p.get("status") {
        w.eq("o.status", Bind::Text(status.into()));
    }
    listing::respond(&state.pool, &ORGANISATIONS, &w, &p, &headers).await
}

/// `GET /api/{party}/organisations/{id}`: the organisation and its members and agents.
pub async fn organisation(
    State(state): State<Arc<QueryState>>,
    Extension(ctx): Extension<Ctx>,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let id =
        Uuid::parse_str(&id).map_err(|_| ApiError::bad("id", format!("{id:?} is not a UUID")))?;
    let mut qb = sqlx::QueryBuilder::new(
        "SELECT jsonb_build_object('organisation_id', o.organisation_id, 'name', o.name, \
         'registration_number', o.registration_number, 'country', o.country, \
         'status', o.status, 'registered_at', o.registered_at, 'version', o.version, \
         'members', COALESCE((SELECT jsonb_agg(jsonb_build_object('user_id', m.user_id, \
           'capacity', m.capacity, 'agency_organisation_id', m.agency_organisation_id, \
           'added_at', m.added_at) ORDER BY m.added_at, m.user_id) \
           FROM organisation_members m WHERE m.party = o.party AND m.organisation_id = o.organisation_id), '[]'::jsonb)) \
         FROM organisations o",
    );
    let mut w = party_where(&ctx, "o.party");
    w.eq("o.organisation_id", Bind::Uuid(id));
    // A trader reads only an organisation that lists it; any other is not found.
    ctx.reach.confine(&mut w, "o.organisation_id");
    w.push_to(&mut qb);
    let org: Option<Value> = qb.build_query_scalar().fetch_optional(&state.pool).await?;
    org.map(|o| Json(o).into_response())
        .ok_or_else(|| ApiError::NotFound("no such organisation".into()))
}

/// Whether organisation `id` is registered in the viewer's Party, whoever lists it: the UI
/// offers a trader the registration form only for the organisation its account was opened for
/// and only while it is not registered. Nothing else of the organisation is read.
pub async fn registered(state: &QueryState, ctx: &Ctx, id: Uuid) -> Result<bool, ApiError> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM organisations WHERE organisation_id = $1 AND party = $2)",
    )
    .bind(id)
    .bind(ctx.party())
    .fetch_one(&state.pool)
    .await?)
}

/// `GET /api/{party}/species?q=&appendix=`: names, synonyms and common names.
pub async fn species(
    State(state): State<Arc<QueryState>>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Q,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let p = Params::from(q);
    let mut w = party_where(&ctx, "t.party");
    if let Some(text) = p.get("q") {
        let pattern = like_pattern(&text.to_lowercase(), true, true);
        w.cond(vec![
            listing::Part::Sql("lower(t.full_name) LIKE ".into()),
            listing::Part::Bind(Bind::Text(pattern.clone())),
            listing::Part::Sql(" OR lower(t.synonyms) LIKE ".into()),
            listing::Part::Bind(Bind::Text(pattern.clone())),
            listing::Part::Sql(" OR lower(t.common_names) LIKE ".into()),
            listing::Part::Bind(Bind::Text(pattern)),
        ]);
    }
    match p.choice("appendix", &["", "I", "II", "III", "N"], "")? {
        "" => {}
        "N" => {
            w.raw("t.appendix IS NULL");
        }
        a => {
            w.eq("t.appendix", Bind::Text(a.into()));
        }
    }
    listing::respond(&state.pool, &SPECIES, &w, &p, &headers).await
}

/// `GET /api/{party}/quotas?year=`
pub async fn quotas(
    State(state): State<Arc<QueryState>>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Q,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let p = Params::from(q);
    let mut w = party_where(&ctx, "q.party");
    if let Some(year) = p.year("year")? {
        w.eq("q.year", Bind::Int(year.into()));
    }
    if let Some(t) = p.int("taxon_id", 0, i64::MAX)? {
        w.eq("q.taxon_id", Bind::Int(t));
    }
    listing::respond(&state.pool, &QUOTAS, &w, &p, &headers).await
}

/// `GET /api/{party}/payments?permit_id=&account_id=&kind=`: fees and payments.
pub async fn payments(
    State(state): State<Arc<QueryState>>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Q,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let p = Params::from(q);
    let mut w = party_where(&ctx, "m.party");
    // A trader: the fees and payments of the permits and prepayment accounts of the
    // organisations that list it.
    let permits = ctx.reach.through("m.permit_id", "permit_id", "permits");
    let accounts = ctx
        .reach
        .through("m.account_id", "account_id", "prepayment_accounts");
    if let (Some(mut within), Some(accounts)) = (permits, accounts) {
        within.push(Part::Sql(" OR ".into()));
        within.extend(accounts);
        w.cond(within);
    }
    if let Some(id) = p.uuid("permit_id")? {
        w.eq("m.permit_id", Bind::Uuid(id));
    }
    if let Some(id) = p.uuid("account_id")? {
        w.eq("m.account_id", Bind::Uuid(id));
    }
    let kinds = p.list(
        "kind",
        Some(&["fee_assessed", "payment", "fee_waived", "deposit", "debit"]),
    )?;
    if !kinds.is_empty() {
        w.bound("m.kind = ANY(", Bind::Texts(kinds), ")");
    }
    listing::respond(&state.pool, &PAYMENTS, &w, &p, &headers).await
}

/// `GET /api/{party}/prepayment-accounts?organisation=`
pub async fn prepayment_accounts(
    State(state): State<Arc<QueryState>>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Q,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let p = Params::from(q);
    let mut w = party_where(&ctx, "a.party");
    ctx.reach.confine(&mut w, "a.organisation_id");
    if let Some(org) = p.uuid("organisation")? {
        w.eq("a.organisation_id", Bind::Uuid(org));
    }
    listing::respond(&state.pool, &ACCOUNTS, &w, &p, &headers).await
}
