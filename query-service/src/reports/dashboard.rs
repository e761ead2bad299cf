//! `GET /api/{party}/dashboard?year=`: the most traded species and the documents issued in
//! the year (from the projector's dashboard tables, by primary key), and the permits per
//! current status (from the projector's `dashboard_status` counters, so no permit is scanned).

use crate::listing::Params;
use crate::{ApiError, Ctx, QueryState};
use axum::extract::{Extension, Query, State};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use std::sync::Arc;

pub const TOP_SPECIES: i64 = 20;

pub async fn handler(
    State(state): State<Arc<QueryState>>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    ctx.viewer.require_reports()?;
    let p = Params::from(q);
    p.only(&["year"])?;
    let year = p
        .year("year")?
        .ok_or_else(|| ApiError::bad("year", "the year is required"))?;
    let species: Vec<Value> = sqlx::query_scalar(
        "SELECT jsonb_build_object('taxon_id', taxon_id, 'scientific_name', scientific_name, \
         'permits', permits, 'lines', lines) FROM dashboard_species \
         WHERE party = $1 AND year = $2 ORDER BY permits DESC, lines DESC, taxon_id LIMIT $3",
    )
    .bind(ctx.party())
    .bind(year)
    .bind(TOP_SPECIES)
    .fetch_all(&state.pool)
    .await?;
    let documents: Vec<Value> = sqlx::query_scalar(
        "SELECT jsonb_build_object('document_type', document_type, 'issued', issued) \
         FROM dashboard_documents WHERE party = $1 AND year = $2 \
         ORDER BY issued DESC, document_type",
    )
    .bind(ctx.party())
    .bind(year)
    .fetch_all(&state.pool)
    .await?;
    let statuses: Vec<Value> = sqlx::query_scalar(
        "SELECT jsonb_build_object('status', status, 'permits', permits) \
         FROM dashboard_status WHERE party = $1 AND permits <> 0 ORDER BY status",
    )
    .bind(ctx.party())
    .fetch_all(&state.pool)
    .await?;
    Ok(axum::Json(serde_json::json!({
        "party": ctx.party(),
        "year": year,
        "species": species,
        "documents": documents,
        "statuses": statuses,
    }))
    .into_response())
}
