//! The report pages for officers, signatories, auditors and admins: the ad hoc trade report
//! (grouping and filters, never summing across units: the unit is always a group) and the
//! national-list species report, each a form, a table and its CSV download. They call the
//! query API's report handlers, so the rules and the checks of parameters are the API's.

use super::*;
use crate::reports::{national, trade};
use crate::ui::text::{admin as admin_text, AdminText};

const GROUPS: [&str; 13] = [
    "taxon",
    "genus",
    "family",
    "order",
    "class",
    "appendix",
    "term",
    "unit",
    "purpose",
    "source",
    "partner",
    "year",
    "document_type",
];

const FILTERS: [&str; 10] = [
    "basis",
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

/// The report's parameters from the form: the ticked groups as one `group_by`, the filters
/// that are filled in.
fn trade_params(q: &[(String, String)]) -> Vec<(String, String)> {
    let groups: Vec<&str> = q
        .iter()
        .filter(|(k, _)| k == "group_by")
        .flat_map(|(_, v)| v.split(','))
        .map(str::trim)
        .filter(|g| !g.is_empty())
        .collect();
    let mut out = vec![];
    if !groups.is_empty() {
        out.push(("group_by".to_string(), groups.join(",")));
    }
    for f in FILTERS {
        if let Some(v) = param(q, f) {
            out.push((f.to_string(), v.trim().to_string()));
        }
    }
    out
}

fn query_string(params: &[(String, String)]) -> String {
    let encode = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    params
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn require_reports(ctx: &Ctx) -> Result<(), ApiError> {
    ctx.viewer.require_reports()
}

pub(in crate::ui) async fn trade_report(
    State(ui): State<Arc<Ui>>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Params,
    headers: HeaderMap,
) -> Response {
    let lang = lang(&headers);
    let (t, a) = (text(lang), admin_text(lang));
    let params = trade_params(&q);
    let result = async {
        require_reports(&ctx)?;
        let answer = json_of(
            trade::handler(
                State(ui.query.clone()),
                Extension(ctx.clone()),
                Query(params.clone()),
                HeaderMap::new(),
            )
            .await,
        )
        .await;
        // A bad parameter is shown above the form, which keeps what was typed.
        let (report, problem) = match answer {
            Ok(v) => (Some(v), None),
            Err(ApiError::BadParameter { param, message }) => {
                (None, Some(format!("{param}: {message}")))
            }
            Err(e) => return Err(e),
        };
        let csv = ui.url(&format!(
            "/{}/reports/trade.csv?{}",
            ctx.party,
            query_string(&params)
        ));
        let body = html! {
            (super::admin::admin_script(&ui))
            (report_links(&ui, &ctx, a))
            (trade_form(t, a, lang, &params))
            @if let Some(p) = problem { p.banner.bad role="alert" #report-problem { (p) } }
            @if let Some(r) = &report {
                p { a.button #trade-csv href=(csv) download { (a.download_csv) } }
                (trade_table(t, a, lang, r))
            }
        };
        Ok((a.trade_report.to_string(), body))
    };
    done(&ui, &ctx, lang, result.await)
}

fn selected(params: &[(String, String)], key: &str) -> String {
    params
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

fn trade_form(t: &Text, a: &AdminText, lang: Lang, params: &[(String, String)]) -> Markup {
    let groups = selected(params, "group_by");
    let groups: Vec<&str> = if groups.is_empty() {
        vec!["taxon", "unit"]
    } else {
        groups.split(',').collect()
    };
    let value = |k: &str| selected(params, k);
    let lists = codes::lists();
    let choice = |id: &str, label: &str, list: &[codes::Code]| {
        let now = value(id);
        html! {
            div.field {
                label for=(format!("f-{id}")) { (label) }
                select id=(format!("f-{id}")) name=(id) {
                    option value="" { (a.any) }
                    @for c in list { option value=(c.code()) selected[c.code() == now] { (c.code()) " – " (c.name(lang)) } }
                }
            }
        }
    };
    html! {
        form.card #trade-form method="get" {
            fieldset.checks {
                legend { (a.group_by) }
                p.hint { (a.group_by_hint) }
                @for g in GROUPS {
                    span.check {
                        input type="checkbox" id=(format!("g-{g}")) name="group_by" value=(g) checked[groups.contains(&g)];
                        label for=(format!("g-{g}")) { (a.group_name(g)) }
                    }
                }
            }
            div.field {
                label for="f-basis" { (a.basis) }
                select #f-basis name="basis" {
                    option value="endorsed" selected[value("basis") != "issued"] { (a.basis_endorsed) }
                    option value="issued" selected[value("basis") == "issued"] { (a.basis_issued) }
                }
            }
            div.field {
                label for="f-taxon" { (a.group_name("taxon")) }
                input #f-taxon name="taxon" value=(value("taxon")) aria-describedby="f-taxon-hint";
                p.hint #f-taxon-hint { (a.taxon_filter_hint) }
            }
            div.field {
                label for="f-appendix" { (t.appendix) }
                select #f-appendix name="appendix" {
                    option value="" { (a.any) }
                    @for x in ["I", "II", "III", "N"] { option value=(x) selected[value("appendix") == x] { (x) } }
                }
            }
            (choice("term", t.term, &lists.terms))
            (choice("unit", t.unit, &lists.units))
            (choice("purpose", t.purpose, &lists.purposes))
            (choice("source", t.source, &lists.sources))
            div.field {
                label for="f-partner" { (a.group_name("partner")) }
                input #f-partner name="partner" value=(value("partner")) maxlength="2" pattern="[A-Za-z]{2}" autocapitalize="characters";
            }
            div.field {
                label for="f-year" { (t.year) }
                input #f-year name="year" type="number" min="1975" max="2100" value=(value("year"));
            }
            div.field {
                label for="f-document_type" { (t.document_type) }
                select #f-document_type name="document_type" {
                    option value="" { (a.any) }
                    @for d in crate::permits::DOCUMENT_TYPES { option value=(d) selected[value("document_type") == *d] { (t.document_type(d)) } }
                }
            }
            button type="submit" { (t.show) }
        }
    }
}

fn trade_table(t: &Text, a: &AdminText, lang: Lang, r: &Value) -> Markup {
    let groups: Vec<String> = r["group_by"]
        .as_array()
        .map(|g| g.iter().map(txt).collect())
        .unwrap_or_default();
    let rows = r["rows"].as_array().map(Vec::as_slice).unwrap_or(&[]);
    let lists = codes::lists();
    let cell = |g: &str, v: &Value| -> String {
        let code = txt(v);
        let list = match g {
            "term" => &lists.terms,
            "purpose" => &lists.purposes,
            "source" => &lists.sources,
            "unit" if code.is_empty() => return t.unit_none.to_string(),
            "unit" => &lists.units,
            "document_type" => return t.document_type(&code).to_string(),
            _ => return code,
        };
        match list.iter().find(|c| c.code() == code) {
            Some(c) => format!("{code} – {}", c.name(lang)),
            None => code,
        }
    };
    html! {
        @if rows.is_empty() { p.empty #trade-empty { (t.no_data) } }
        @else { div.scroll tabindex="0" { table.list #trade-table {
            caption { (a.trade_caption) }
            thead { tr {
                @for g in &groups { th scope="col" { (a.group_name(g)) } }
                th scope="col" { (a.lines) } th scope="col" { (t.quantity) }
            } }
            tbody { @for row in rows { tr {
                @for g in &groups { td { (cell(g, &row[g.as_str()])) } }
                td.num { (txt(&row["lines"])) } td.num { (txt(&row["quantity"])) }
            } } }
        } } }
    }
}

fn report_links(ui: &Ui, ctx: &Ctx, a: &AdminText) -> Markup {
    let p = ctx.party;
    html! {
        nav.reports aria-label=(a.reports) {
            a href=(ui.url(&format!("/{p}/reports/trade"))) { (a.trade_report) } " · "
            a href=(ui.url(&format!("/{p}/reports/national"))) { (a.national_report) } " · "
            a href=(ui.url(&format!("/{p}/dashboard"))) { (a.annual_report_link) }
        }
    }
}

/// A report's CSV, as the query API serves it.
async fn csv(answer: impl std::future::Future<Output = Result<Response, ApiError>>) -> Response {
    match answer.await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

fn csv_headers() -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(
        header::ACCEPT,
        axum::http::HeaderValue::from_static("text/csv"),
    );
    h
}

pub(in crate::ui) async fn trade_csv(
    State(ui): State<Arc<Ui>>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Params,
) -> Response {
    let params = trade_params(&q);
    csv(trade::handler(
        State(ui.query.clone()),
        Extension(ctx),
        Query(params),
        csv_headers(),
    ))
    .await
}

fn year_of(q: &[(String, String)]) -> i32 {
    param(q, "year")
        .and_then(|y| y.trim().parse().ok())
        .unwrap_or_else(|| time::OffsetDateTime::now_utc().year())
}

pub(in crate::ui) async fn national_report(
    State(ui): State<Arc<Ui>>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Params,
    headers: HeaderMap,
) -> Response {
    let lang = lang(&headers);
    let (t, a) = (text(lang), admin_text(lang));
    let year = year_of(&q);
    let result = async {
        require_reports(&ctx)?;
        let year_q = || Query(vec![("year".to_string(), year.to_string())]);
        let r = json_of(
            national::handler(
                State(ui.query.clone()),
                Extension(ctx.clone()),
                year_q(),
                HeaderMap::new(),
            )
            .await,
        )
        .await?;
        let rows = r["rows"].as_array().map(Vec::as_slice).unwrap_or(&[]);
        let csv = ui.url(&format!("/{}/reports/national.csv?year={year}", ctx.party));
        let body = html! {
            (super::admin::admin_script(&ui))
            (report_links(&ui, &ctx, a))
            p.hint { (a.national_report_intro) }
            form.inline method="get" {
                label for="year" { (t.year) }
                input #year name="year" type="number" min="1975" max="2100" value=(year);
                button type="submit" { (t.show) }
            }
            p { a.button #national-csv href=(csv) download { (a.download_csv) } }
            @if rows.is_empty() { p.empty { (a.no_national_list) } }
            @else { div.scroll tabindex="0" { table.list #national-table {
                thead { tr {
                    th scope="col" { (t.species) } th scope="col" { (t.note) } th scope="col" { (t.term) }
                    th scope="col" { (t.unit) } th scope="col" { (a.lines) } th scope="col" { (t.quantity) }
                    th scope="col" { (t.endorsed) }
                } }
                tbody { @for n in rows { tr {
                    td { em { (txt(&n["scientific_name"])) } } td { (txt(&n["note"])) }
                    td { (txt(&n["term"])) } td { (txt(&n["unit"])) } td.num { (txt(&n["lines"])) }
                    td.num { (txt(&n["quantity"])) } td.num { (txt(&n["endorsed_quantity"])) }
                } } }
            } } }
        };
        Ok((format!("{} {year}", a.national_report), body))
    };
    done(&ui, &ctx, lang, result.await)
}

pub(in crate::ui) async fn national_csv(
    State(ui): State<Arc<Ui>>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Params,
) -> Response {
    let year = vec![("year".to_string(), year_of(&q).to_string())];
    csv(national::handler(
        State(ui.query.clone()),
        Extension(ctx),
        Query(year),
        csv_headers(),
    ))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ticked_groups_become_one_group_by_and_empty_filters_are_left_out() {
        let q: Vec<(String, String)> = [
            ("group_by", "taxon"),
            ("group_by", "year"),
            ("term", ""),
            ("unit", "KIL"),
            ("colour", "red"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let p = trade_params(&q);
        assert_eq!(
            p,
            [
                ("group_by".to_string(), "taxon,year".to_string()),
                ("unit".to_string(), "KIL".to_string())
            ]
        );
        assert_eq!(query_string(&p), "group_by=taxon%2Cyear&unit=KIL");
    }
}
