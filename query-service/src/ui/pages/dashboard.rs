//! The dashboard: the year's most traded species and the documents issued, as server-rendered
//! SVG bar charts (each with the same figures as a table), the applications by status, and the
//! annual report: its validation summary and its downloads.

use super::*;
use crate::reports::{annual_http, dashboard};

fn year_param(q: &[(String, String)]) -> i32 {
    param(q, "year")
        .and_then(|y| y.parse().ok())
        .unwrap_or_else(|| time::OffsetDateTime::now_utc().year())
}

pub(in crate::ui) async fn dashboard_page(
    State(ui): State<Arc<Ui>>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Params,
    headers: HeaderMap,
) -> Response {
    let lang = lang(&headers);
    let year = year_param(&q);
    let result = body(&ui, &ctx, lang, year).await;
    done(&ui, &ctx, lang, result)
}

async fn body(ui: &Ui, ctx: &Ctx, lang: Lang, year: i32) -> Result<(String, Markup), ApiError> {
    let t = text(lang);
    let year_q = || Query(vec![("year".to_string(), year.to_string())]);
    let data = json_of(
        dashboard::handler(State(ui.query.clone()), Extension(ctx.clone()), year_q()).await,
    )
    .await?;
    let summary = json_of(
        annual_http::handler(
            State(ui.query.clone()),
            Extension(ctx.clone()),
            year_q(),
            HeaderMap::new(),
        )
        .await,
    )
    .await?;
    let species: Vec<(String, i64)> = pairs(&data["species"], "scientific_name", "permits", |s| {
        s.to_string()
    });
    let documents: Vec<(String, i64)> = pairs(&data["documents"], "document_type", "issued", |d| {
        t.document_type(d).to_string()
    });
    let statuses: Vec<(String, i64)> = pairs(&data["statuses"], "status", "permits", |s| {
        t.status(s).to_string()
    });
    let csv = |view: &str, basis: &str| {
        ui.url(&format!(
            "/{}/reports/annual.csv?year={year}&view={view}&basis={basis}",
            ctx.party
        ))
    };
    let body = html! {
        form.inline method="get" {
            label for="year" { (t.year) }
            input #year name="year" type="number" min="1975" max="2100" value=(year);
            button type="submit" { (t.show) }
        }
        h2 #species-heading { (t.traded_species) " " (year) }
        (chart(&species, t.permits_axis, "species-heading", t.no_data))
        h2 #documents-heading { (t.documents_issued) " " (year) }
        (chart(&documents, t.issued_axis, "documents-heading", t.no_data))
        h2 #status-heading { (t.applications_by_status) }
        (chart(&statuses, t.permits_axis, "status-heading", t.no_data))
        h2 { (t.annual_report) " " (year) }
        p #report-summary {
            (t.report_rows) ": " strong { (txt(&summary["rows"])) } " · "
            (t.report_errors) ": " strong { (summary["errors"].as_array().map_or(0, Vec::len)) } " · "
            (t.report_warnings) ": " strong { (summary["warnings"].as_array().map_or(0, Vec::len)) }
        }
        ul {
            li { a #annual-exporter href=(csv("exporter", "endorsed")) { (t.download_exporter) } }
            li { a #annual-importer href=(csv("importer", "endorsed")) { (t.download_importer) } }
            li { a href=(csv("exporter", "issued")) { (t.download_exporter_issued) } }
        }
        @let a = crate::ui::text::admin(lang);
        h2 { (a.reports) }
        ul {
            li { a #link-trade-report href=(ui.url(&format!("/{}/reports/trade?year={year}", ctx.party))) { (a.trade_report) } }
            li { a #link-national-report href=(ui.url(&format!("/{}/reports/national?year={year}", ctx.party))) { (a.national_report) } }
        }
    };
    Ok((t.dashboard.to_string(), body))
}

fn pairs(v: &Value, key: &str, count: &str, label: impl Fn(&str) -> String) -> Vec<(String, i64)> {
    v.as_array()
        .map(|items| {
            items
                .iter()
                .map(|i| (label(&txt(&i[key])), i[count].as_i64().unwrap_or(0)))
                .collect()
        })
        .unwrap_or_default()
}

/// A horizontal bar chart, then the same figures as a table for screen readers and copying.
fn chart(items: &[(String, i64)], axis: &str, labelled_by: &str, empty: &str) -> Markup {
    if items.is_empty() {
        return html! { p.muted { (empty) } };
    }
    const ROW: i64 = 28;
    const LABEL: i64 = 190;
    const WIDTH: i64 = 560;
    let max = items.iter().map(|(_, n)| *n).max().unwrap_or(1).max(1);
    let height = ROW * items.len() as i64 + 8;
    html! {
        svg.chart role="img" aria-labelledby=(labelled_by) viewBox=(format!("0 0 {WIDTH} {height}"))
            preserveAspectRatio="xMinYMin meet" {
            @for (i, (label, n)) in items.iter().enumerate() {
                @let y = ROW * i as i64 + 4;
                @let w = (WIDTH - LABEL - 60) * n / max;
                text x=(LABEL - 6) y=(y + 18) text-anchor="end" font-size="13" { (truncate(label, 26)) }
                rect x=(LABEL) y=(y + 4) width=(w.max(1)) height=(ROW - 10) rx="3" fill="#1d5c96" {}
                text x=(LABEL + w + 6) y=(y + 18) font-size="13" { (n) }
            }
        }
        table.figures {
            thead { tr { th scope="col" { "" } th scope="col" { (axis) } } }
            tbody {
                @for (label, n) in items { tr { th scope="row" { (label) } td { (n) } } }
            }
        }
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let cut: String = s.chars().take(max - 1).collect();
    format!("{cut}…")
}

/// The annual report file, as the query API serves it (refused with the errors per row while
/// any remain).
pub(in crate::ui) async fn annual_csv(
    State(ui): State<Arc<Ui>>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Params,
) -> Response {
    let keep: Vec<(String, String)> = q
        .into_iter()
        .filter(|(k, _)| matches!(k.as_str(), "year" | "view" | "basis"))
        .collect();
    let mut headers = HeaderMap::new();
    headers.insert(
        header::ACCEPT,
        axum::http::HeaderValue::from_static("text/csv"),
    );
    match annual_http::handler(
        State(ui.query.clone()),
        Extension(ctx),
        Query(keep),
        headers,
    )
    .await
    {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}
