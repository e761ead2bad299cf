//! `GET /api/{party}/reports/annual?year=&view=exporter|importer&basis=endorsed|issued&format=`
//!
//! The lines are streamed from PostgreSQL in one read-only REPEATABLE READ transaction: a
//! first pass validates every row (nothing kept but the findings); the CSV, when asked for and
//! valid, is a second pass over the same snapshot, written to the client as it is read.

use super::annual::{build_row, validate, Basis, Finding, Line, View};
use super::codes::Codes;
use crate::listing::{csv_response, CsvChunk, Params};
use crate::{ApiError, Ctx, QueryState};
use axum::body::Body;
use axum::extract::{Extension, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures::{SinkExt, TryStreamExt};
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
            "SELECT appendix, scientific_name, kingdom, term, unit, quantity_thousandths, \
             endorsed_thousandths, exporting_country, importing_country, origin_country, \
             origin_permit, reexport_country, reexport_permit, permit_number, purpose, source, \
             EXTRACT(YEAR FROM endorsed_on)::int AS year \
             FROM permit_lines WHERE party = $1 AND document_type = ANY($2) \
             AND endorsed_thousandths <> 0 \
             AND endorsed_on >= make_date($3, 1, 1) AND endorsed_on < make_date($3 + 1, 1, 1) \
             ORDER BY permit_number, line_no"
        }
        Basis::Issued => {
            "SELECT appendix, scientific_name, kingdom, term, unit, quantity_thousandths, \
             endorsed_thousandths, exporting_country, importing_country, origin_country, \
             origin_permit, reexport_country, reexport_permit, permit_number, purpose, source, \
             EXTRACT(YEAR FROM issued_on)::int AS year \
             FROM permit_lines WHERE party = $1 AND document_type = ANY($2) \
             AND status IN ('issued', 'used', 'expired') \
             AND issued_on >= make_date($3, 1, 1) AND issued_on < make_date($3 + 1, 1, 1) \
             ORDER BY permit_number, line_no"
        }
    }
}

fn line(r: &PgRow) -> Result<Line, sqlx::Error> {
    Ok(Line {
        appendix: r.try_get("appendix")?,
        scientific_name: r.try_get("scientific_name")?,
        kingdom: r.try_get("kingdom")?,
        term: r.try_get("term")?,
        unit: r.try_get("unit")?,
        quantity_thousandths: r.try_get("quantity_thousandths")?,
        endorsed_thousandths: r.try_get("endorsed_thousandths")?,
        exporting_country: r.try_get("exporting_country")?,
        importing_country: r.try_get("importing_country")?,
        origin_country: r.try_get("origin_country")?,
        origin_permit: r.try_get("origin_permit")?,
        reexport_country: r.try_get("reexport_country")?,
        reexport_permit: r.try_get("reexport_permit")?,
        permit_number: r.try_get("permit_number")?,
        purpose: r.try_get("purpose")?,
        source: r.try_get("source")?,
        year: r.try_get("year")?,
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

async fn summarise(conn: &mut PgConnection, req: &Request) -> Result<Summary, sqlx::Error> {
    let codes = Codes::embedded();
    let mut s = Summary::default();
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
    }
    Ok(s)
}

async fn snapshot(
    pool: &sqlx::PgPool,
) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
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
    let mut tx = snapshot(&state.pool).await?;
    let summary = summarise(&mut tx, &req).await?;
    if !p.wants_csv(&headers)? {
        tx.commit().await?;
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
    Ok(csv_response(stream_csv(tx, req), &filename))
}

/// The second pass: the file, streamed from the same snapshot.
fn stream_csv(mut tx: sqlx::Transaction<'static, sqlx::Postgres>, req: Request) -> Body {
    let (mut out, rx) = futures::channel::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    tokio::spawn(async move {
        if let Err(e) = write_csv(&mut tx, &req, &mut out).await {
            tracing::error!(error = %e, "annual report export stopped");
            let _ = out.send(Err(std::io::Error::other(e.to_string()))).await;
        }
        let _ = tx.commit().await;
    });
    Body::from_stream(rx)
}

async fn write_csv(
    conn: &mut PgConnection,
    req: &Request,
    out: &mut futures::channel::mpsc::Sender<Result<Bytes, std::io::Error>>,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let mut chunk = CsvChunk::new();
    chunk.write(req.view.header())?;
    let rows = report_rows(conn, req);
    futures::pin_mut!(rows);
    while let Some(row) = rows.try_next().await? {
        chunk.write(row.record(req.view))?;
        if chunk.rows >= CHUNK_ROWS {
            // A closed channel means the client went away: stop reading.
            out.send(Ok(chunk.take()?)).await?;
        }
    }
    out.send(Ok(chunk.take()?)).await?;
    Ok(())
}
