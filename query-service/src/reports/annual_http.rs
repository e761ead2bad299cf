//! `GET /api/{party}/reports/annual?year=&view=exporter|importer&basis=endorsed|issued&format=`
//!
//! The lines are streamed from PostgreSQL (`fetch`, one read-only transaction) in a single
//! pass that validates every row and, for `format=csv`, writes it into CSV chunks as it goes.
//! The file is sent only when no row has an error, so it is held in memory until the pass
//! ends (about 60 MB per million lines); the JSON summary keeps only the findings.

use super::annual::{build_row, validate, Basis, Finding, Line, View};
use super::codes::Codes;
use crate::listing::{csv_response, CsvChunk, Params};
use crate::{ApiError, Ctx, QueryState};
use axum::body::Body;
use axum::extract::{Extension, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures::TryStreamExt;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};
use std::sync::Arc;

/// At most this many findings of each kind are listed (all are counted).
const MAX_LISTED: usize = 1000;
const CHUNK_ROWS: usize = 5000;

struct Request {
    party: String,
    year: i32,
    view: View,
    basis: Basis,
}

#[derive(Default)]
struct Summary {
    rows: usize,
    error_count: usize,
    warning_count: usize,
    errors: Vec<Finding>,
    warnings: Vec<Finding>,
}

fn sql(basis: Basis) -> &'static str {
    match basis {
        Basis::Endorsed => {
            "SELECT l.appendix, l.scientific_name, l.kingdom, l.term, l.unit, l.quantity_thousandths, \
             l.endorsed_thousandths, l.exporting_country, l.importing_country, l.origin_country, \
             l.origin_permit, l.reexport_country, l.reexport_permit, l.permit_number, l.purpose, l.source, \
             EXTRACT(YEAR FROM l.endorsed_on)::int AS year, l.export_permit, \
             CASE WHEN t.annotation IS NULL THEN t.appendix END, t.listed_since \
             FROM permit_lines l LEFT JOIN taxa t ON t.party = l.party AND t.taxon_id = l.taxon_id \
             WHERE l.party = $1 AND l.document_type = ANY($2) \
             AND l.endorsed_thousandths <> 0 \
             AND l.endorsed_on >= make_date($3, 1, 1) AND l.endorsed_on < make_date($3 + 1, 1, 1) \
             ORDER BY l.permit_number, l.line_no"
        }
        Basis::Issued => {
            "SELECT l.appendix, l.scientific_name, l.kingdom, l.term, l.unit, l.quantity_thousandths, \
             l.endorsed_thousandths, l.exporting_country, l.importing_country, l.origin_country, \
             l.origin_permit, l.reexport_country, l.reexport_permit, l.permit_number, l.purpose, l.source, \
             EXTRACT(YEAR FROM l.issued_on)::int AS year, l.export_permit, \
             CASE WHEN t.annotation IS NULL THEN t.appendix END, t.listed_since \
             FROM permit_lines l LEFT JOIN taxa t ON t.party = l.party AND t.taxon_id = l.taxon_id \
             WHERE l.party = $1 AND l.document_type = ANY($2) \
             AND l.status IN ('issued', 'used', 'expired') \
             AND l.issued_on >= make_date($3, 1, 1) AND l.issued_on < make_date($3 + 1, 1, 1) \
             ORDER BY l.permit_number, l.line_no"
        }
    }
}

fn line(r: &PgRow) -> Result<Line, sqlx::Error> {
    // By position, in the order of the SELECT (no name lookups on a million rows).
    Ok(Line {
        appendix: r.try_get(0)?,
        scientific_name: r.try_get(1)?,
        kingdom: r.try_get(2)?,
        term: r.try_get(3)?,
        unit: r.try_get(4)?,
        quantity_thousandths: r.try_get(5)?,
        endorsed_thousandths: r.try_get(6)?,
        exporting_country: r.try_get(7)?,
        importing_country: r.try_get(8)?,
        origin_country: r.try_get(9)?,
        origin_permit: r.try_get(10)?,
        reexport_country: r.try_get(11)?,
        reexport_permit: r.try_get(12)?,
        permit_number: r.try_get(13)?,
        purpose: r.try_get(14)?,
        source: r.try_get(15)?,
        year: r.try_get(16)?,
        export_permit: r.try_get(17)?,
        listed: match (
            r.try_get::<Option<String>, _>(18)?,
            r.try_get::<Option<time::Date>, _>(19)?,
        ) {
            (Some(appendix), Some(since)) => Some((appendix, since)),
            _ => None,
        },
    })
}

/// The report rows of the request, in file order.
fn report_rows<'c>(
    conn: &'c mut PgConnection,
    req: &'c Request,
) -> impl futures::Stream<Item = Result<super::annual::Row, sqlx::Error>> + 'c {
    let types: Vec<String> = req
        .view
        .document_types()
        .iter()
        .map(|s| s.to_string())
        .collect();
    sqlx::query(sql(req.basis))
        .bind(req.party.clone())
        .bind(types)
        .bind(req.year)
        .fetch(conn)
        .try_filter_map(move |r| async move {
            Ok(build_row(&req.party, &line(&r)?, req.view, req.basis))
        })
}

/// Validates every row; with `csv`, also writes the file (header first) into chunks.
async fn summarise(
    conn: &mut PgConnection,
    req: &Request,
    mut csv: Option<&mut Vec<Bytes>>,
) -> Result<Summary, ApiError> {
    let codes = Codes::embedded();
    let mut s = Summary::default();
    let mut chunk = CsvChunk::new();
    chunk.write(req.view.header())?;
    let rows = report_rows(conn, req);
    futures::pin_mut!(rows);
    while let Some(row) = rows.try_next().await? {
        s.rows += 1;
        let checked = validate(s.rows, &row, codes);
        s.error_count += checked.errors.len();
        s.warning_count += checked.warnings.len();
        let room = MAX_LISTED.saturating_sub(s.errors.len());
        s.errors.extend(checked.errors.into_iter().take(room));
        let room = MAX_LISTED.saturating_sub(s.warnings.len());
        s.warnings.extend(checked.warnings.into_iter().take(room));
        if let Some(out) = csv.as_deref_mut() {
            // Once a row has failed the file will not be sent: stop writing it.
            if s.error_count == 0 {
                chunk.write(row.record(req.view))?;
                if chunk.rows >= CHUNK_ROWS {
                    out.push(chunk.take()?);
                }
            }
        }
    }
    if let Some(out) = csv {
        out.push(chunk.take()?);
    }
    Ok(s)
}

async fn report_transaction(
    pool: &sqlx::PgPool,
) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("SET TRANSACTION READ ONLY")
        .execute(&mut *tx)
        .await?;
    // The year's lines are sorted by permit number: in memory rather than on disk.
    sqlx::query("SET LOCAL work_mem = '256MB'")
        .execute(&mut *tx)
        .await?;
    Ok(tx)
}

pub async fn handler(
    State(state): State<Arc<QueryState>>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    ctx.viewer.require_reports()?;
    let p = Params::from(q);
    p.only(&["year", "view", "basis"])?;
    let year = p
        .year("year")?
        .ok_or_else(|| ApiError::bad("year", "the report year is required"))?;
    let view = match p.choice("view", &["exporter", "importer"], "exporter")? {
        "importer" => View::Importer,
        _ => View::Exporter,
    };
    let basis = match p.choice("basis", &["endorsed", "issued"], "endorsed")? {
        "issued" => Basis::Issued,
        _ => Basis::Endorsed,
    };
    let req = Request {
        party: ctx.party().to_string(),
        year,
        view,
        basis,
    };
    let csv = p.wants_csv(&headers)?;
    let mut chunks = vec![];
    let mut tx = report_transaction(&state.pool).await?;
    let summary = summarise(&mut tx, &req, csv.then_some(&mut chunks)).await?;
    tx.commit().await?;
    if !csv {
        return Ok(axum::Json(serde_json::json!({
            "party": req.party,
            "year": year,
            "view": view,
            "basis": basis,
            "rows": summary.rows,
            "error_count": summary.error_count,
            "warning_count": summary.warning_count,
            "errors": summary.errors,
            "warnings": summary.warnings,
            "downloadable": summary.error_count == 0,
        }))
        .into_response());
    }
    if summary.error_count > 0 {
        return Err(ApiError::ReportInvalid {
            count: summary.error_count,
            errors: summary.errors,
        });
    }
    let filename = format!(
        "{}_{year}_{}_annual_report.csv",
        req.party,
        match view {
            View::Exporter => "exporter",
            View::Importer => "importer",
        }
    );
    let body = Body::from_stream(futures::stream::iter(
        chunks.into_iter().map(Ok::<_, std::io::Error>),
    ));
    Ok(csv_response(body, &filename))
}
