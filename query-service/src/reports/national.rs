//! `GET /api/{party}/reports/national-list?year=`: the Party's non-CITES species (its national
//! list) and what was traded of them in the year: lines of permits issued that year (status
//! issued, used or expired) whose species has no CITES listing, per term and unit.

use crate::listing::{csv_response, decimal, CsvChunk, Params};
use crate::{ApiError, Ctx, QueryState};
use axum::body::Body;
use axum::extract::{Extension, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use sqlx::Row;
use std::sync::Arc;

const HEADER: [&str; 8] = [
    "taxon_id",
    "scientific_name",
    "note",
    "term",
    "unit",
    "lines",
    "quantity",
    "endorsed_quantity",
];

pub async fn handler(
    State(state): State<Arc<QueryState>>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    ctx.viewer.require_reports()?;
    let p = Params::from(q);
    p.only(&["year"])?;
    let year = p
        .year("year")?
        .ok_or_else(|| ApiError::bad("year", "the report year is required"))?;
    let rows = sqlx::query(
        "SELECT n.taxon_id, n.scientific_name, n.note, l.term, l.unit, count(l.line_no) AS lines, \
         COALESCE(sum(l.quantity_thousandths), 0)::bigint AS quantity, \
         sum(l.endorsed_thousandths)::bigint AS endorsed \
         FROM national_list n LEFT JOIN permit_lines l ON l.party = n.party \
           AND l.taxon_id = n.taxon_id AND l.appendix IS NULL \
           AND l.status IN ('issued', 'used', 'expired') \
           AND l.issued_on >= make_date($2, 1, 1) AND l.issued_on < make_date($2 + 1, 1, 1) \
         WHERE n.party = $1 \
         GROUP BY n.taxon_id, n.scientific_name, n.note, l.term, l.unit \
         ORDER BY n.scientific_name, n.taxon_id, l.term, l.unit",
    )
    .bind(ctx.party())
    .bind(year)
    .fetch_all(&state.pool)
    .await?;
    let mut records = Vec::with_capacity(rows.len());
    for r in &rows {
        let endorsed: Option<i64> = r.try_get("endorsed")?;
        records.push([
            r.try_get::<i64, _>("taxon_id")?.to_string(),
            r.try_get("scientific_name")?,
            r.try_get::<Option<String>, _>("note")?.unwrap_or_default(),
            r.try_get::<Option<String>, _>("term")?.unwrap_or_default(),
            r.try_get::<Option<String>, _>("unit")?.unwrap_or_default(),
            r.try_get::<i64, _>("lines")?.to_string(),
            decimal(r.try_get("quantity")?),
            endorsed.map(decimal).unwrap_or_default(),
        ]);
    }
    if p.wants_csv(&headers)? {
        let mut chunk = CsvChunk::new();
        chunk.write(HEADER)?;
        for r in &records {
            chunk.write(r)?;
        }
        let body = Body::from(chunk.take()?);
        return Ok(csv_response(
            body,
            &format!("{}_{year}_national_list.csv", ctx.party()),
        ));
    }
    let items: Vec<_> = records
        .iter()
        .map(|r| {
            let mut o = serde_json::Map::new();
            for (k, v) in HEADER.iter().zip(r) {
                o.insert((*k).into(), json!(v));
            }
            o["taxon_id"] = json!(r[0].parse::<i64>().unwrap_or_default());
            o["lines"] = json!(r[5].parse::<i64>().unwrap_or_default());
            for k in ["note", "term", "unit", "endorsed_quantity"] {
                if o[k] == json!("") {
                    o[k] = serde_json::Value::Null;
                }
            }
            serde_json::Value::Object(o)
        })
        .collect();
    Ok(axum::Json(json!({ "party": ctx.party(), "year": year, "rows": items })).into_response())
}
