//! `GET /api/{party}/reports/trade?group_by=taxon,year&…`: the ad hoc trade report. Lines are
//! counted and quantities summed per group; the unit is always a group key, so quantities of
//! different units are never added together.

use crate::listing::{csv_response, decimal, Bind, CsvChunk, Params, Part, Where};
use crate::permits::{year_range, DOCUMENT_TYPES};
use crate::{ApiError, Ctx, QueryState};
use axum::body::Body;
use axum::extract::{Extension, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use sqlx::{QueryBuilder, Row};
use std::sync::Arc;

/// The other country of the trade, seen from the Party.
const PARTNER: &str = "CASE WHEN l.exporting_country = l.party THEN l.importing_country \
                       ELSE l.exporting_country END";

/// Group names and their SQL (text) expressions.
const GROUPS: &[(&str, &str)] = &[
    ("taxon", "l.scientific_name"),
    ("genus", "t.genus"),
    ("family", "t.family"),
    ("order", "t.taxon_order"),
    ("class", "t.class"),
    ("appendix", "COALESCE(l.appendix, 'N')"),
    ("term", "l.term"),
    ("unit", "l.unit"),
    ("purpose", "l.purpose"),
    ("source", "l.source"),
    ("partner", PARTNER),
    ("year", "EXTRACT(YEAR FROM {date})::int::text"),
    ("document_type", "l.document_type"),
];

const PARAMETERS: &[&str] = &[
    "group_by",
    "basis",
    "taxon_id",
    "taxon",
    "appendix",
    "term",
    "unit",
    "purpose",
    "source",
    "partner",
    "year",
    "document_type",
];

/// The group keys asked for, in order, with `unit` added when missing.
pub fn groups(raw: Option<&str>) -> Result<Vec<&'static str>, ApiError> {
    let names: Vec<&str> = GROUPS.iter().map(|(n, _)| *n).collect();
    let mut out: Vec<&'static str> = vec![];
    for g in raw
        .unwrap_or("taxon")
        .split(',')
        .map(str::trim)
        .filter(|g| !g.is_empty())
    {
        let name = names.iter().find(|n| **n == g).ok_or_else(|| {
            ApiError::bad(
                "group_by",
                format!("{g:?} is not one of: {}", names.join(", ")),
            )
        })?;
        if !out.contains(name) {
            out.push(name);
        }
    }
    if !out.contains(&"unit") {
        out.push("unit");
    }
    Ok(out)
}

fn expr(group: &str, date: &str) -> String {
    let e = GROUPS
        .iter()
        .find(|(n, _)| *n == group)
        .map_or("NULL", |(_, e)| e);
    e.replace("{date}", date)
}

pub async fn handler(
    State(state): State<Arc<QueryState>>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    ctx.viewer.require_reports()?;
    let p = Params::from(q);
    p.only(PARAMETERS)?;
    let groups = groups(p.get("group_by"))?;
    let basis = p.choice("basis", &["endorsed", "issued"], "endorsed")?;
    let (date, quantity) = match basis {
        "issued" => ("l.issued_on", "l.quantity_thousandths"),
        _ => ("l.endorsed_on", "l.endorsed_thousandths"),
    };
    let mut w = Where::default();
    w.eq("l.party", Bind::Text(ctx.party().into()));
    if basis == "issued" {
        w.raw("l.status IN ('issued', 'used', 'expired')");
    } else {
        w.raw("l.endorsed_thousandths IS NOT NULL");
    }
    if let Some(t) = p.int("taxon_id", 0, i64::MAX)? {
        w.eq("l.taxon_id", Bind::Int(t));
    }
    if let Some(name) = p.get("taxon") {
        let mut parts = vec![];
        for (i, column) in [
            "l.scientific_name",
            "t.genus",
            "t.family",
            "t.taxon_order",
            "t.class",
            "t.phylum",
        ]
        .iter()
        .enumerate()
        {
            let or = if i == 0 { "" } else { " OR " };
            parts.push(Part::Sql(format!("{or}lower({column}) = lower(")));
            parts.push(Part::Bind(Bind::Text(name.into())));
            parts.push(Part::Sql(")".into()));
        }
        w.cond(parts);
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
        ("term", "l.term", 3..=3),
        ("purpose", "l.purpose", 1..=1),
        ("source", "l.source", 1..=1),
        ("partner", PARTNER, 2..=2),
    ] {
        if let Some(code) = p.code(param, len)? {
            w.bound(&format!("({column}) = "), Bind::Text(code), "");
        }
    }
    match p.get("unit") {
        None => {}
        Some("number") => {
            w.raw("l.unit IS NULL");
        }
        Some(_) => {
            let unit = p.code("unit", 3..=3)?.unwrap_or_default();
            w.eq("l.unit", Bind::Text(unit));
        }
    }
    if let Some(year) = p.year("year")? {
        year_range(&mut w, date, year);
    }
    if let Some(t) = p.get("document_type") {
        p.choice("document_type", DOCUMENT_TYPES, "")?;
        w.eq("l.document_type", Bind::Text(t.into()));
    }

    let keys: Vec<String> = groups
        .iter()
        .enumerate()
        .map(|(i, g)| format!("({})::text AS g{i}", expr(g, date)))
        .collect();
    let mut qb = QueryBuilder::new(format!(
        "SELECT {}, count(*) AS lines, sum({quantity})::bigint AS quantity \
         FROM permit_lines l LEFT JOIN taxa t ON t.party = l.party AND t.taxon_id = l.taxon_id",
        keys.join(", ")
    ));
    w.push_to(&mut qb);
    let positions: Vec<String> = (1..=groups.len()).map(|i| i.to_string()).collect();
    qb.push(format!(" GROUP BY {0} ORDER BY {0}", positions.join(", ")));
    let rows = qb.build().fetch_all(&state.pool).await?;

    let mut header: Vec<&str> = groups.clone();
    header.extend(["lines", "quantity"]);
    let mut records: Vec<Vec<Option<String>>> = Vec::with_capacity(rows.len());
    for r in &rows {
        let mut rec: Vec<Option<String>> = (0..groups.len())
            .map(|i| r.try_get::<Option<String>, _>(i))
            .collect::<Result<_, _>>()?;
        rec.push(Some(r.try_get::<i64, _>("lines")?.to_string()));
        rec.push(Some(decimal(
            r.try_get::<Option<i64>, _>("quantity")?.unwrap_or(0),
        )));
        records.push(rec);
    }
    if p.wants_csv(&headers)? {
        let mut chunk = CsvChunk::new();
        chunk.write(&header)?;
        for rec in &records {
            chunk.write(rec.iter().map(|c| c.as_deref().unwrap_or("")))?;
        }
        return Ok(csv_response(
            Body::from(chunk.take()?),
            &format!("{}_trade_report.csv", ctx.party()),
        ));
    }
    let items: Vec<Value> = records
        .into_iter()
        .map(|rec| {
            let mut o = serde_json::Map::new();
            for (k, v) in header.iter().zip(rec) {
                o.insert((*k).to_string(), json!(v));
            }
            o["lines"] = json!(o["lines"].as_str().and_then(|s| s.parse::<i64>().ok()));
            Value::Object(o)
        })
        .collect();
    Ok(axum::Json(json!({
        "party": ctx.party(),
        "basis": basis,
        "group_by": groups,
        "rows": items,
    }))
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_is_always_a_group() {
        assert_eq!(
            groups(Some("taxon,year")).unwrap(),
            ["taxon", "year", "unit"]
        );
        assert_eq!(groups(Some("unit,taxon,unit")).unwrap(), ["unit", "taxon"]);
        assert_eq!(groups(None).unwrap(), ["taxon", "unit"]);
        assert!(groups(Some("taxon,colour"))
            .unwrap_err()
            .to_string()
            .starts_with("group_by"));
    }
}
