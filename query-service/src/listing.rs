//! What every list shares: reading query parameters (each bad one named in a 400), filters
//! as SQL conditions with bound values, pagination and whitelisted sorting, the JSON page and
//! the CSV export (all matching rows, streamed from PostgreSQL).

use crate::problem::ApiError;
use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use serde_json::Value;
use sqlx::postgres::PgRow;
use sqlx::{PgPool, Postgres, QueryBuilder, Row};
use std::collections::BTreeMap;
use time::Date;
use uuid::Uuid;

pub const DEFAULT_PER_PAGE: i64 = 50;
pub const MAX_PER_PAGE: i64 = 500;
/// Rows per chunk of a streamed CSV body.
const CSV_CHUNK_ROWS: usize = 2000;

/// The query parameters of a request (the last value of a repeated parameter wins; blank
/// values count as absent).
#[derive(Clone, Debug, Default)]
pub struct Params(BTreeMap<String, String>);

impl From<Vec<(String, String)>> for Params {
    fn from(pairs: Vec<(String, String)>) -> Self {
        Self(pairs.into_iter().collect())
    }
}

impl Params {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(|v| v.trim()).filter(|v| !v.is_empty())
    }

    /// Refuses any parameter not in `allowed` (plus the ones every request may carry).
    pub fn only(&self, allowed: &[&str]) -> Result<(), ApiError> {
        const ALWAYS: &[&str] = &["format", "position"];
        for key in self.0.keys() {
            if !allowed.contains(&key.as_str()) && !ALWAYS.contains(&key.as_str()) {
                let mut all: Vec<&str> = allowed.iter().chain(ALWAYS).copied().collect();
                all.sort_unstable();
                return Err(ApiError::bad(
                    key.as_str(),
                    format!("unknown parameter; allowed: {}", all.join(", ")),
                ));
            }
        }
        Ok(())
    }

    pub fn date(&self, key: &str) -> Result<Option<Date>, ApiError> {
        self.get(key).map(|v| parse_date(key, v)).transpose()
    }

    pub fn uuid(&self, key: &str) -> Result<Option<Uuid>, ApiError> {
        self.get(key)
            .map(|v| {
                Uuid::parse_str(v).map_err(|_| ApiError::bad(key, format!("{v:?} is not a UUID")))
            })
            .transpose()
    }

    pub fn int(&self, key: &str, min: i64, max: i64) -> Result<Option<i64>, ApiError> {
        self.get(key)
            .map(|v| match v.parse::<i64>() {
                Ok(n) if (min..=max).contains(&n) => Ok(n),
                _ => Err(ApiError::bad(
                    key,
                    format!("{v:?} is not a whole number from {min} to {max}"),
                )),
            })
            .transpose()
    }

    /// A calendar year (1975..=9999).
    pub fn year(&self, key: &str) -> Result<Option<i32>, ApiError> {
        Ok(self.int(key, 1975, 9999)?.map(|y| y as i32))
    }

    /// A comma-separated list, every element one of `allowed` (when given).
    pub fn list(&self, key: &str, allowed: Option<&[&str]>) -> Result<Vec<String>, ApiError> {
        let Some(raw) = self.get(key) else {
            return Ok(vec![]);
        };
        let mut out = Vec::new();
        for item in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            if let Some(allowed) = allowed {
                if !allowed.contains(&item) {
                    return Err(ApiError::bad(
                        key,
                        format!("{item:?} is not one of: {}", allowed.join(", ")),
                    ));
                }
            }
            out.push(item.to_string());
        }
        Ok(out)
    }

    /// One value out of `allowed`, or `default`.
    pub fn choice<'a>(
        &self,
        key: &str,
        allowed: &[&'a str],
        default: &'a str,
    ) -> Result<&'a str, ApiError> {
        match self.get(key) {
            None => Ok(default),
            Some(v) => allowed.iter().find(|a| **a == v).copied().ok_or_else(|| {
                ApiError::bad(key, format!("{v:?} is not one of: {}", allowed.join(", ")))
            }),
        }
    }

    /// An upper-case code of `len` letters or digits (countries, terms, units, sources…).
    pub fn code(
        &self,
        key: &str,
        len: std::ops::RangeInclusive<usize>,
    ) -> Result<Option<String>, ApiError> {
        self.get(key)
            .map(|v| {
                let up = v.to_ascii_uppercase();
                if len.contains(&up.len()) && up.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    Ok(up)
                } else {
                    Err(ApiError::bad(key, format!("{v:?} is not a valid code")))
                }
            })
            .transpose()
    }

    pub fn paging(&self) -> Result<Paging, ApiError> {
        Ok(Paging {
            page: self.int("page", 1, i64::from(i32::MAX))?.unwrap_or(1),
            per_page: self
                .int("per_page", 1, MAX_PER_PAGE)?
                .unwrap_or(DEFAULT_PER_PAGE),
        })
    }

    /// `sort` (one of `sorts`, by name) and `order`: the ORDER BY expression.
    pub fn sort(&self, spec: &ListSpec) -> Result<String, ApiError> {
        let name = self.get("sort").unwrap_or(spec.default_sort);
        let (_, expr) = spec.sorts.iter().find(|(n, _)| *n == name).ok_or_else(|| {
            let names: Vec<&str> = spec.sorts.iter().map(|(n, _)| *n).collect();
            ApiError::bad(
                "sort",
                format!("{name:?} is not one of: {}", names.join(", ")),
            )
        })?;
        let default_order = if spec.default_desc { "desc" } else { "asc" };
        let dir = match self.choice("order", &["asc", "desc"], default_order)? {
            "asc" => "ASC NULLS LAST",
            _ => "DESC NULLS LAST",
        };
        Ok(format!("{expr} {dir}, {} {dir}", spec.tiebreak))
    }

    /// CSV when `format=csv` or the client accepts only `text/csv`.
    pub fn wants_csv(&self, headers: &HeaderMap) -> Result<bool, ApiError> {
        match self.get("format") {
            Some(_) => Ok(self.choice("format", &["json", "csv"], "json")? == "csv"),
            None => Ok(headers
                .get(header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.contains("text/csv"))),
        }
    }
}

pub fn parse_date(key: &str, v: &str) -> Result<Date, ApiError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(v, format)
        .map_err(|_| ApiError::bad(key, format!("{v:?} is not a date YYYY-MM-DD")))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Paging {
    pub page: i64,
    pub per_page: i64,
}

/// A value bound into a query.
#[derive(Clone, Debug)]
pub enum Bind {
    Text(String),
    Texts(Vec<String>),
    Uuid(Uuid),
    Uuids(Vec<Uuid>),
    Date(Date),
    Int(i64),
}

/// A piece of a condition: SQL text, or a bound value.
#[derive(Clone, Debug)]
pub enum Part {
    Sql(String),
    Bind(Bind),
}

/// The conditions of a WHERE clause, all ANDed.
#[derive(Clone, Debug, Default)]
pub struct Where(Vec<Vec<Part>>);

impl Where {
    /// A condition made of SQL pieces and bound values.
    pub fn cond(&mut self, parts: Vec<Part>) -> &mut Self {
        self.0.push(parts);
        self
    }

    /// `sql <bind> after`, e.g. `("p.status = ANY(", Texts, ")")`.
    pub fn bound(&mut self, before: &str, bind: Bind, after: &str) -> &mut Self {
        self.cond(vec![
            Part::Sql(before.into()),
            Part::Bind(bind),
            Part::Sql(after.into()),
        ])
    }

    pub fn eq(&mut self, column: &str, bind: Bind) -> &mut Self {
        self.bound(&format!("{column} = "), bind, "")
    }

    pub fn raw(&mut self, sql: &str) -> &mut Self {
        self.cond(vec![Part::Sql(sql.into())])
    }

    pub fn push_to(&self, qb: &mut QueryBuilder<'static, Postgres>) {
        for (i, parts) in self.0.iter().enumerate() {
            qb.push(if i == 0 { " WHERE (" } else { " AND (" });
            for part in parts {
                match part {
                    Part::Sql(s) => {
                        qb.push(s);
                    }
                    Part::Bind(Bind::Text(v)) => {
                        qb.push_bind(v.clone());
                    }
                    Part::Bind(Bind::Texts(v)) => {
                        qb.push_bind(v.clone());
                    }
                    Part::Bind(Bind::Uuid(v)) => {
                        qb.push_bind(*v);
                    }
                    Part::Bind(Bind::Uuids(v)) => {
                        qb.push_bind(v.clone());
                    }
                    Part::Bind(Bind::Date(v)) => {
                        qb.push_bind(*v);
                    }
                    Part::Bind(Bind::Int(v)) => {
                        qb.push_bind(*v);
                    }
                }
            }
            qb.push(")");
        }
    }
}

/// A list: its columns (output name, SQL expression), its FROM clause and its sorts.
pub struct ListSpec {
    pub name: &'static str,
    pub columns: &'static [(&'static str, &'static str)],
    pub from: &'static str,
    pub sorts: &'static [(&'static str, &'static str)],
    pub default_sort: &'static str,
    pub default_desc: bool,
    /// A unique expression ending every ORDER BY, so that pages do not overlap.
    pub tiebreak: &'static str,
}

impl ListSpec {
    /// `jsonb_build_object('name', expr, …)`: one JSON object per row.
    fn select_object(&self) -> String {
        let pairs: Vec<String> = self
            .columns
            .iter()
            .map(|(name, expr)| format!("'{name}', {expr}"))
            .collect();
        format!("jsonb_build_object({})", pairs.join(", "))
    }

    fn header(&self) -> Vec<String> {
        self.columns.iter().map(|(n, _)| n.to_string()).collect()
    }
}

/// Answers a list request: a JSON page, or every matching row as CSV.
pub async fn respond(
    pool: &PgPool,
    spec: &ListSpec,
    filter: &Where,
    params: &Params,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let order = params.sort(spec)?;
    let csv = params.wants_csv(headers)?;
    let paging = params.paging()?;
    let mut qb = QueryBuilder::new(format!(
        "SELECT {} FROM {}",
        spec.select_object(),
        spec.from
    ));
    filter.push_to(&mut qb);
    qb.push(" ORDER BY ").push(&order);
    if csv {
        let header = spec.header();
        let columns = header.clone();
        let body = csv_body(pool.clone(), qb, header, move |row| {
            let object: Value = row.try_get(0)?;
            Ok(columns.iter().map(|c| cell(&object[c.as_str()])).collect())
        });
        return Ok(csv_response(body, &format!("{}.csv", spec.name)));
    }
    qb.push(" LIMIT ")
        .push_bind(paging.per_page)
        .push(" OFFSET ")
        .push_bind((paging.page - 1) * paging.per_page);
    let items: Vec<Value> = qb
        .build()
        .fetch_all(pool)
        .await?
        .iter()
        .map(|r| r.try_get::<Value, _>(0))
        .collect::<Result<_, _>>()?;
    // Counting a million matches costs more than the page itself: count up to a cap and say
    // whether the figure is exact ("1000+").
    let mut count = QueryBuilder::new(format!("SELECT count(*) FROM (SELECT 1 FROM {}", spec.from));
    filter.push_to(&mut count);
    count
        .push(" LIMIT ")
        .push_bind(COUNT_CAP + 1)
        .push(") AS capped");
    let counted: i64 = count.build_query_scalar().fetch_one(pool).await?;
    Ok(axum::Json(serde_json::json!({
        "items": items,
        "page": paging.page,
        "per_page": paging.per_page,
        "total": counted.min(COUNT_CAP),
        "total_exact": counted <= COUNT_CAP,
    }))
    .into_response())
}

/// Lists count their matches up to this many.
pub const COUNT_CAP: i64 = 1_000;

/// A JSON value as a CSV cell: strings as they are, null as blank.
pub fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A CSV response, offered as a download named `filename`.
pub fn csv_response(body: Body, filename: &str) -> Response {
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    res
}

/// Streams the rows of `query` as CSV: a task reads them from PostgreSQL as they come
/// (`fetch`) and sends the file in chunks, so a million rows never sit in memory.
pub fn csv_body<F>(
    pool: PgPool,
    query: QueryBuilder<'static, Postgres>,
    header: Vec<String>,
    row: F,
) -> Body
where
    F: FnMut(PgRow) -> Result<Vec<String>, sqlx::Error> + Send + 'static,
{
    let (tx, rx) = futures::channel::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    tokio::spawn(async move {
        let mut query = query;
        let mut tx = tx;
        let rows = query.build().fetch(&pool);
        if let Err(e) = write_csv(rows, header, row, &mut tx).await {
            tracing::error!(error = %e, "CSV export stopped");
            let _ = tx.send(Err(std::io::Error::other(e.to_string()))).await;
        }
    });
    Body::from_stream(rx)
}

/// Writes a header and every row of `rows` as CSV chunks into `tx`.
pub async fn write_csv<S, F>(
    rows: S,
    header: Vec<String>,
    mut row: F,
    tx: &mut futures::channel::mpsc::Sender<Result<Bytes, std::io::Error>>,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>>
where
    S: futures::Stream<Item = Result<PgRow, sqlx::Error>>,
    F: FnMut(PgRow) -> Result<Vec<String>, sqlx::Error>,
{
    futures::pin_mut!(rows);
    let mut chunk = CsvChunk::new();
    chunk.write(&header)?;
    while let Some(r) = rows.next().await {
        chunk.write(&row(r?)?)?;
        if chunk.rows >= CSV_CHUNK_ROWS {
            // A closed channel means the client went away: stop reading.
            tx.send(Ok(chunk.take()?)).await?;
        }
    }
    tx.send(Ok(chunk.take()?)).await?;
    Ok(())
}

/// A few thousand CSV records in memory.
pub struct CsvChunk {
    writer: csv::Writer<Vec<u8>>,
    pub rows: usize,
}

impl Default for CsvChunk {
    fn default() -> Self {
        Self::new()
    }
}

impl CsvChunk {
    pub fn new() -> Self {
        Self {
            writer: csv::WriterBuilder::new()
                .terminator(csv::Terminator::Any(b'\n'))
                .from_writer(Vec::with_capacity(64 * 1024)),
            rows: 0,
        }
    }

    pub fn write<I, T>(&mut self, record: I) -> Result<(), csv::Error>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        self.rows += 1;
        self.writer.write_record(record)
    }

    /// The bytes written so far; the chunk starts over empty.
    pub fn take(&mut self) -> Result<Bytes, std::io::Error> {
        let writer = std::mem::take(self).writer;
        writer
            .into_inner()
            .map(Bytes::from)
            .map_err(|e| std::io::Error::other(e.to_string()))
    }
}

/// Exact decimal text of a quantity in thousandths: 1500 → "1.5", 2000 → "2", 250 → "0.25".
pub fn decimal(thousandths: i64) -> String {
    let sign = if thousandths < 0 { "-" } else { "" };
    let abs = thousandths.unsigned_abs();
    let (whole, frac) = (abs / 1000, abs % 1000);
    if frac == 0 {
        return format!("{sign}{whole}");
    }
    let frac = format!("{frac:03}");
    format!("{sign}{whole}.{}", frac.trim_end_matches('0'))
}

/// The SQL text of the same decimal (for lists built in SQL).
pub fn decimal_sql(column: &str) -> String {
    format!("trim_scale({column}::numeric / 1000)::text")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_exact() {
        assert_eq!(decimal(1500), "1.5");
        assert_eq!(decimal(2000), "2");
        assert_eq!(decimal(250), "0.25");
        assert_eq!(decimal(1), "0.001");
        assert_eq!(decimal(0), "0");
        assert_eq!(decimal(-1250), "-1.25");
        assert_eq!(decimal(5576), "5.576");
    }

    fn params(pairs: &[(&str, &str)]) -> Params {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<Vec<_>>()
            .into()
    }

    #[test]
    fn bad_values_name_their_parameter() {
        let p = params(&[
            ("issued_from", "2025-13-01"),
            ("per_page", "501"),
            ("id", "x"),
        ]);
        assert!(p
            .date("issued_from")
            .unwrap_err()
            .to_string()
            .starts_with("issued_from"));
        assert!(p.paging().unwrap_err().to_string().starts_with("per_page"));
        assert!(p.uuid("id").unwrap_err().to_string().starts_with("id"));
        assert!(p
            .only(&["issued_from", "per_page"])
            .unwrap_err()
            .to_string()
            .starts_with("id"));
        let ok = params(&[("issued_from", "2025-02-28"), ("status", "issued, used")]);
        assert!(ok.date("issued_from").unwrap().is_some());
        assert_eq!(
            ok.list("status", Some(&["issued", "used"])).unwrap(),
            ["issued", "used"]
        );
        assert_eq!(
            ok.paging().unwrap(),
            Paging {
                page: 1,
                per_page: 50
            }
        );
    }

    #[test]
    fn chunks_are_csv() {
        let mut c = CsvChunk::new();
        c.write(["a", "b,c"]).unwrap();
        c.write(["", "x"]).unwrap();
        assert_eq!(&c.take().unwrap()[..], b"a,\"b,c\"\n,x\n");
        assert_eq!(c.rows, 0);
    }
}
