//! The pages. Each reads the read models through the query API's own functions (so the same
//! visibility rules apply: a trader sees only its organisation's applications) and renders
//! HTML with maud, which escapes every value.

use super::text::{text, Lang, Text};
use super::{codes, json_of, lang, Ui, SESSION_COOKIE};
use crate::auth::Viewer;
use crate::problem::ApiError;
use crate::{catalogue, permits, Ctx};
use axum::extract::{Extension, Form, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use ecites_events::PartyCode;
use maud::{html, Markup, DOCTYPE};
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;
use uuid::Uuid;

type Params = Query<Vec<(String, String)>>;

fn param<'a>(q: &'a [(String, String)], key: &str) -> Option<&'a str> {
    q.iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.trim().is_empty())
}

/// A JSON value as display text ("" for null).
fn txt(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `2026-05-01T12:34:56.789+00:00` as `2026-05-01 12:34`.
fn when(v: &Value) -> String {
    let s = txt(v);
    s.get(..16).map_or(s.clone(), |d| d.replacen('T', " ", 1))
}

/// Integer minor units as a decimal amount with its currency.
fn money(minor: i64, currency: &str) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let m = minor.unsigned_abs();
    format!("{sign}{}.{:02} {currency}", m / 100, m % 100)
}

fn page(
    ui: &Ui,
    lang: Lang,
    viewer: Option<&Viewer>,
    party: Option<PartyCode>,
    title: &str,
    body: Markup,
) -> Markup {
    let t = text(lang);
    html! {
        (DOCTYPE)
        html lang=(lang.html_tag()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · " (t.app_name) }
                link rel="stylesheet" href=(ui.url("/static/app.css"));
                script src=(ui.url("/static/app.js")) defer {}
            }
            body {
                a.skip href="#content" { (t.skip_to_content) }
                header.top {
                    @if let (Some(v), Some(p)) = (viewer, party) {
                        a.brand href=(ui.url(&format!("/{p}"))) { (t.app_name) " " (p.as_str()) }
                        span.who { (t.signed_in_as) " " strong { (v.user_id) } " (" (t.role(&v.role)) ")" }
                        form.logout method="post" action=(ui.url("/logout")) {
                            button.link type="submit" { (t.sign_out) }
                        }
                    } @else {
                        span.brand { (t.app_name) }
                    }
                }
                main #content tabindex="-1" {
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

fn respond(status: StatusCode, markup: Markup) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        markup.into_string(),
    )
        .into_response()
}

pub(super) fn error_page(
    ui: &Ui,
    lang: Lang,
    viewer: Option<&Viewer>,
    status: StatusCode,
    message: &str,
) -> Response {
    let t = text(lang);
    let party = viewer.map(|v| v.party);
    let body = html! {
        p.banner.bad role="alert" { (message) }
        p { a href=(ui.url("/login")) { (t.sign_in) } }
    };
    respond(status, page(ui, lang, viewer, party, t.error, body))
}

pub(super) fn api_error(ui: &Ui, lang: Lang, viewer: Option<&Viewer>, e: ApiError) -> Response {
    let message = e.to_string();
    let status = e.into_response().status();
    error_page(ui, lang, viewer, status, &message)
}

/// A page of a signed-in viewer, or its error page.
fn done(ui: &Ui, ctx: &Ctx, lang: Lang, result: Result<(String, Markup), ApiError>) -> Response {
    match result {
        Ok((title, body)) => respond(
            StatusCode::OK,
            page(ui, lang, Some(&ctx.viewer), Some(ctx.party), &title, body),
        ),
        Err(e) => api_error(ui, lang, Some(&ctx.viewer), e),
    }
}

// ---------------------------------------------------------------------------------------------
// Sign in and out

pub(super) async fn login_form(
    State(ui): State<Arc<Ui>>,
    Query(q): Params,
    headers: HeaderMap,
) -> Response {
    let lang = lang(&headers);
    login_page(
        &ui,
        lang,
        param(&q, "party").unwrap_or("LK"),
        param(&q, "error").is_some(),
    )
}

fn login_page(ui: &Ui, lang: Lang, party: &str, failed: bool) -> Response {
    let t = text(lang);
    let body = html! {
        form.card.login method="post" action=(ui.url("/login")) {
            @if failed {
                p.banner.bad role="alert" #login-error { (t.bad_credentials) }
            }
            label for="party" { (t.party) }
            input #party name="party" value=(party) required maxlength="2" autocapitalize="characters" pattern="[A-Za-z]{2}";
            label for="user_id" { (t.user_id) }
            input #user_id name="user_id" required autocomplete="username" autocapitalize="none";
            label for="password" { (t.password) }
            input #password name="password" type="password" required autocomplete="current-password";
            button type="submit" { (t.sign_in) }
        }
    };
    let status = if failed {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::OK
    };
    respond(status, page(ui, lang, None, None, t.sign_in, body))
}

#[derive(Deserialize)]
pub(super) struct LoginForm {
    party: String,
    user_id: String,
    password: String,
}

pub(super) async fn login(
    State(ui): State<Arc<Ui>>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let lang = lang(&headers);
    let Ok(party) = f.party.trim().to_ascii_uppercase().parse::<PartyCode>() else {
        return login_page(&ui, lang, &f.party, true);
    };
    let login = ui.login.clone();
    let user_id = f.user_id.trim().to_string();
    let result = tokio::task::spawn_blocking(move || login.login(party, &user_id, &f.password))
        .await
        .ok()
        .flatten();
    let Some((token, viewer)) = result else {
        return login_page(&ui, lang, party.as_str(), true);
    };
    let mut raw = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut raw);
    let csrf = hex::encode(raw);
    let mut res = Redirect::to(&ui.url(&format!("/{}", viewer.party))).into_response();
    for c in super::session_cookies(&token, &csrf) {
        if let Ok(v) = c.parse() {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}

pub(super) async fn logout(State(ui): State<Arc<Ui>>, headers: HeaderMap) -> Response {
    if let Some(token) = super::cookie(&headers, SESSION_COOKIE) {
        ui.login.logout(token);
    }
    let mut res = Redirect::to(&ui.url("/login")).into_response();
    for c in super::cleared_cookies() {
        if let Ok(v) = c.parse() {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}

// ---------------------------------------------------------------------------------------------
// Home: the work queue of each role

fn list_params(extra: &[(&str, &str)]) -> Params {
    let mut q: Vec<(String, String)> = vec![("per_page".into(), "50".into())];
    q.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    Query(q)
}

pub(super) async fn home(
    State(ui): State<Arc<Ui>>,
    Extension(ctx): Extension<Ctx>,
    headers: HeaderMap,
) -> Response {
    let lang = lang(&headers);
    let result = home_body(&ui, &ctx, text(lang)).await;
    done(&ui, &ctx, lang, result)
}

async fn home_body(ui: &Ui, ctx: &Ctx, t: &Text) -> Result<(String, Markup), ApiError> {
    let state = ui.query.clone();
    let role = ctx.viewer.role.as_str();
    let queue = || async {
        json_of(
            permits::work_queue(
                State(state.clone()),
                Extension(ctx.clone()),
                list_params(&[]),
                HeaderMap::new(),
            )
            .await,
        )
        .await
    };
    let all = || async {
        json_of(
            permits::list(
                State(state.clone()),
                Extension(ctx.clone()),
                list_params(&[]),
                HeaderMap::new(),
            )
            .await,
        )
        .await
    };
    let body = match role {
        "trader" => {
            let q = queue().await?;
            let mine = all().await?;
            html! {
                p { a.button href=(ui.url(&format!("/{}/apply", ctx.party))) #apply { (t.apply) } }
                h2 { (t.work_queue) }
                (permit_table(ui, ctx, t, &q["items"], t.queue_empty))
                h2 { (t.my_applications) }
                (permit_table(ui, ctx, t, &mine["items"], t.no_permits))
            }
        }
        "customs" => {
            let q = queue().await?;
            html! {
                (find_form(ui, ctx, t, ""))
                h2 { (t.work_queue) }
                (permit_table(ui, ctx, t, &q["items"], t.queue_empty))
            }
        }
        "ma_officer" | "sa_expert" | "ma_signatory" => {
            let q = queue().await?;
            html! {
                h2 { (t.work_queue) }
                (permit_table(ui, ctx, t, &q["items"], t.queue_empty))
            }
        }
        _ => {
            let list = all().await?;
            html! {
                h2 { (t.all_permits) }
                (permit_table(ui, ctx, t, &list["items"], t.no_permits))
            }
        }
    };
    Ok((t.role(role).to_string(), body))
}

fn status_class(status: &str) -> &'static str {
    match status {
        "issued" | "approved" => "good",
        "used" | "expired" | "cancelled" | "replaced" | "lost" | "rejected" | "withdrawn" => "bad",
        _ => "neutral",
    }
}

fn permit_table(ui: &Ui, ctx: &Ctx, t: &Text, items: &Value, empty: &str) -> Markup {
    let items = items.as_array().map(Vec::as_slice).unwrap_or(&[]);
    html! {
        @if items.is_empty() {
            p.empty { (empty) }
        } @else {
            div.scroll {
                table.list {
                    thead { tr {
                        th scope="col" { (t.permit) }
                        th scope="col" { (t.document_type) }
                        th scope="col" { (t.species) }
                        th scope="col" { (t.status) }
                        th scope="col" { (t.submitted_at) }
                    } }
                    tbody {
                        @for p in items {
                            @let id = txt(&p["permit_id"]);
                            @let status = txt(&p["status"]);
                            tr {
                                td { a href=(ui.url(&format!("/{}/permits/{id}", ctx.party))) {
                                    @if p["permit_number"].is_string() { (txt(&p["permit_number"])) }
                                    @else { (t.application) " " (id.get(..8).unwrap_or(&id)) }
                                } }
                                td { (t.document_type(&txt(&p["document_type"]))) }
                                td { (txt(&p["species"])) }
                                td { span class=(format!("badge {}", status_class(&status))) { (t.status(&status)) } }
                                td { (when(&p["submitted_at"])) }
                            }
                        }
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Customs: find a permit by number

fn find_form(ui: &Ui, ctx: &Ctx, t: &Text, number: &str) -> Markup {
    html! {
        form.card.find method="get" action=(ui.url(&format!("/{}/find", ctx.party))) role="search" {
            label for="number" { (t.permit_number) }
            div.row {
                input #number name="number" value=(number) required inputmode="text" autocapitalize="characters" placeholder=(format!("{}/2026/000001", ctx.party));
                button type="submit" { (t.find) }
            }
        }
    }
}

pub(super) async fn find(
    State(ui): State<Arc<Ui>>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Params,
    headers: HeaderMap,
) -> Response {
    let lang = lang(&headers);
    let t = text(lang);
    let number = param(&q, "number").unwrap_or("").trim().to_string();
    if number.is_empty() {
        let body = find_form(&ui, &ctx, t, "");
        return done(&ui, &ctx, lang, Ok((t.find_permit.into(), body)));
    }
    let found = json_of(
        permits::lookup(
            State(ui.query.clone()),
            Extension(ctx.clone()),
            Query(vec![("number".into(), number.clone())]),
        )
        .await,
    )
    .await;
    match found {
        Ok(p) => Redirect::to(&ui.url(&format!("/{}/permits/{}", ctx.party, txt(&p["permit_id"]))))
            .into_response(),
        Err(ApiError::NotFound(_)) => {
            let body = html! {
                p.banner.bad role="alert" #not-found { (t.permit_not_found) }
                (find_form(&ui, &ctx, t, &number))
            };
            done(&ui, &ctx, lang, Ok((t.find_permit.into(), body)))
        }
        Err(e) => done(&ui, &ctx, lang, Err(e)),
    }
}

// ---------------------------------------------------------------------------------------------
// Trader: the application form and the species picker

pub(super) async fn species(
    State(ui): State<Arc<Ui>>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Params,
) -> Response {
    let query = param(&q, "q").unwrap_or("").to_string();
    if query.chars().count() < 2 {
        return Json(json!([])).into_response();
    }
    let recorded: Result<i64, sqlx::Error> =
        sqlx::query_scalar("SELECT count(*) FROM taxa WHERE party = $1")
            .bind(ctx.party())
            .fetch_one(&ui.query.pool)
            .await;
    if recorded.is_ok_and(|n| n == 0) {
        let needle = query.to_lowercase();
        let items: Vec<Value> = codes::demo_species()
            .iter()
            .filter(|s| {
                s.name.to_lowercase().contains(&needle)
                    || s.common_name.to_lowercase().contains(&needle)
            })
            .take(20)
            .map(|s| {
                json!({"name": s.name, "appendix": s.appendix, "common_names": s.common_name,
                    "suspended": false})
            })
            .collect();
        return Json(items).into_response();
    }
    let found = json_of(
        catalogue::species(
            State(ui.query.clone()),
            Extension(ctx.clone()),
            Query(vec![("q".into(), query), ("per_page".into(), "20".into())]),
            HeaderMap::new(),
        )
        .await,
    )
    .await;
    match found {
        Ok(v) => {
            let items: Vec<Value> = v["items"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or(&[])
                .iter()
                .map(|s| {
                    json!({
                        "name": s["full_name"],
                        "appendix": s["appendix"],
                        "common_names": s["common_names"],
                        "suspended": s["suspended"],
                    })
                })
                .collect();
            Json(items).into_response()
        }
        Err(e) => e.into_response(),
    }
}

fn line_fields(t: &Text, lang: Lang, i: usize) -> Markup {
    let lists = codes::lists();
    let name = |f: &str| format!("application.lines.{i}.{f}");
    let id = |f: &str| format!("line-{i}-{f}");
    html! {
        fieldset.line data-line=(i) {
            legend { (t.line) " " span.line-no { (i + 1) } }
            div.field.wide {
                label for=(id("species")) { (t.species) }
                input id=(id("species")) name=(name("species")) required list="species-options" data-species autocomplete="off" aria-describedby=(id("species-info"));
                p.hint id=(id("species-info")) aria-live="polite" data-species-info { (t.species_hint) }
            }
            div.field {
                label for=(id("source")) { (t.source) }
                select id=(id("source")) name=(name("source")) required {
                    @for c in &lists.sources {
                        option value=(c.code()) selected[c.code() == "W"] { (c.code()) " – " (c.name(lang)) }
                    }
                }
            }
            div.field {
                label for=(id("purpose")) { (t.purpose) }
                select id=(id("purpose")) name=(name("purpose")) required {
                    @for c in &lists.purposes {
                        option value=(c.code()) selected[c.code() == "T"] { (c.code()) " – " (c.name(lang)) }
                    }
                }
            }
            div.field {
                label for=(id("term")) { (t.term) }
                select id=(id("term")) name=(name("term")) required {
                    @for c in &lists.terms {
                        option value=(c.code()) selected[c.code() == "LIV"] { (c.code()) " – " (c.name(lang)) }
                    }
                }
            }
            div.field {
                label for=(id("quantity")) { (t.quantity) }
                input id=(id("quantity")) name=(name("quantity")) required inputmode="decimal" pattern="[0-9]+([.][0-9]+)?";
            }
            div.field {
                label for=(id("unit")) { (t.unit) }
                select id=(id("unit")) name=(name("unit")) {
                    option value="" { (t.unit_none) }
                    @for c in &lists.units {
                        option value=(c.code()) { (c.code()) " – " (c.name(lang)) }
                    }
                }
            }
            button.link.remove-line type="button" data-remove-line hidden[i == 0] { (t.remove_line) }
        }
    }
}

pub(super) async fn apply(
    State(ui): State<Arc<Ui>>,
    Extension(ctx): Extension<Ctx>,
    headers: HeaderMap,
) -> Response {
    let lang = lang(&headers);
    let t = text(lang);
    let party = ctx.party;
    let body = html! {
        form.card.command #application
            data-command=(format!("{}/api/{party}/permits", ui.command_base))
            data-next=(ui.url(&format!("/{party}/permits/{{id}}")))
            data-species-url=(ui.url(&format!("/{party}/species")))
            data-t-appendix=(t.appendix) data-t-not-listed=(t.not_listed) data-t-suspended=(t.suspended)
            data-t-working=(t.working) data-t-refused=(t.refused)
            method="post" novalidate {
            input type="hidden" name="command_id" value=(Uuid::now_v7());
            div.field {
                label for="document_type" { (t.document_type) }
                select #document_type name="application.document_type" required {
                    @for (code, name) in t.document_types {
                        option value=(code) { (name) }
                    }
                }
            }
            div.field {
                label for="exporting_country" { (t.exporting_country) }
                input #exporting_country name="application.exporting_country" maxlength="2" pattern="[A-Z]{2}" autocapitalize="characters" aria-describedby="exporting-hint";
                p.hint #exporting-hint { (t.exporting_country_hint) }
            }
            div.field {
                label for="importing_country" { (t.importing_country) }
                input #importing_country name="application.importing_country" maxlength="2" pattern="[A-Z]{2}" autocapitalize="characters" aria-describedby="importing-hint";
                p.hint #importing-hint { (t.country_hint) }
            }
            div #lines { (line_fields(t, lang, 0)) }
            datalist #species-options {}
            p { button.secondary type="button" data-add-line { (t.add_line) } }
            button type="submit" { (t.submit_application) }
            div.problem role="alert" aria-live="assertive" tabindex="-1" {}
        }
    };
    done(&ui, &ctx, lang, Ok((t.apply_title.into(), body)))
}

// ---------------------------------------------------------------------------------------------
// One permit: its review, its actions by role, the customs view

fn is_valid(p: &Value) -> bool {
    let today = ecites_events::cites::IsoDate(time::OffsetDateTime::now_utc().date()).to_string();
    p["status"] == "issued"
        && p["valid_until"]
            .as_str()
            .is_some_and(|v| v >= today.as_str())
}

fn signatures_ok(events: &[Value]) -> bool {
    !events.is_empty()
        && events
            .iter()
            .all(|e| e["signature_verified"] == true && e["chain_linked"] == true)
}

pub(super) async fn permit(
    State(ui): State<Arc<Ui>>,
    Extension(ctx): Extension<Ctx>,
    Path((_, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let lang = lang(&headers);
    let result = permit_body(&ui, &ctx, lang, &id).await;
    done(&ui, &ctx, lang, result)
}

async fn permit_body(
    ui: &Ui,
    ctx: &Ctx,
    lang: Lang,
    id: &str,
) -> Result<(String, Markup), ApiError> {
    let t = text(lang);
    let p = json_of(
        permits::detail(
            State(ui.query.clone()),
            Extension(ctx.clone()),
            Path((ctx.party().to_string(), id.to_string())),
        )
        .await,
    )
    .await?;
    let timeline = json_of(
        permits::timeline(
            State(ui.query.clone()),
            Extension(ctx.clone()),
            Path((ctx.party().to_string(), id.to_string())),
        )
        .await,
    )
    .await?;
    let events = timeline["events"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let status = txt(&p["status"]);
    let lines = p["lines"].as_array().map(Vec::as_slice).unwrap_or(&[]);
    let state = &p["state"];
    let number = txt(&p["permit_number"]);
    let title = if number.is_empty() {
        format!(
            "{} · {}",
            t.application,
            t.document_type(&txt(&p["document_type"]))
        )
    } else {
        format!("{} {number}", t.document_type(&txt(&p["document_type"])))
    };
    let customs = ctx.viewer.role == "customs";
    let show_banner = customs || !number.is_empty();
    let valid = is_valid(&p);
    let banner = if valid {
        t.banner_valid.to_string()
    } else if status == "issued" {
        t.banner_expired.to_string()
    } else {
        format!("{} · {}", t.banner_not_valid, t.status(&status))
    };
    let sig_ok = signatures_ok(events);
    let fee_minor = p["fee_minor"].as_i64();
    let currency = txt(&p["fee_currency"]);
    let paid = p["paid_minor"].as_i64().unwrap_or(0);
    let waived = p["fee_waived"] == true;
    let warnings = state["warnings"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let opinions = state["opinions"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let conditions = state["conditions"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let body = html! {
        @if show_banner {
            div #status-banner class=(format!("banner big {}", if valid { "good" } else { "bad" })) role="status" data-status=(status) {
                (banner)
            }
            p #signature-status class=(if sig_ok { "sig good" } else { "sig bad" }) {
                (t.signature) ": " (if sig_ok { t.signature_verified } else { t.signature_not_verified })
            }
        }
        dl.facts {
            dt { (t.status) } dd { span #status class=(format!("badge {}", status_class(&status))) data-status=(status) { (t.status(&status)) } }
            @if !number.is_empty() {
                dt { (t.number) } dd #permit-number { (number) }
                dt { (t.security_stamp) } dd { (txt(&p["security_stamp"])) }
                dt { (t.issued_on) } dd { (txt(&p["issued_on"])) }
                dt { (t.valid_until) } dd { (txt(&p["valid_until"])) }
            }
            dt { (t.exporting_country) } dd { (txt(&p["exporting_country"])) }
            dt { (t.importing_country) } dd { (txt(&p["importing_country"])) }
            dt { (t.submitted_at) } dd { (when(&p["submitted_at"])) }
            @if p["assigned_officer"].is_string() {
                dt { (t.assigned_officer) } dd { (txt(&p["assigned_officer"])) }
            }
            @if p["endorsed_on"].is_string() {
                dt { (t.endorsed_on) } dd { (txt(&p["endorsed_on"])) }
                dt { (t.port) } dd { (txt(&state["port"])) }
            }
        }
        h2 { (t.lines) }
        div.scroll {
            table.list #lines-table {
                thead { tr {
                    th scope="col" { (t.line) }
                    th scope="col" { (t.species) }
                    th scope="col" { (t.appendix) }
                    th scope="col" { (t.source) " / " (t.purpose) " / " (t.term) }
                    th scope="col" { (t.permitted) }
                    th scope="col" { (t.endorsed) }
                } }
                tbody {
                    @for l in lines {
                        tr {
                            td { (txt(&l["line_no"])) }
                            td { i { (txt(&l["scientific_name"])) } }
                            td { (txt(&l["appendix"])) }
                            td { (txt(&l["source"])) " / " (txt(&l["purpose"])) " / " (txt(&l["term"])) }
                            td.num { (txt(&l["quantity"])) " " (txt(&l["unit"])) }
                            td.num { (txt(&l["endorsed_quantity"])) }
                        }
                    }
                }
            }
        }
        @if !customs {
            h2 { (t.fee) }
            @if let Some(fee) = fee_minor {
                dl.facts #fee {
                    dt { (t.fee) } dd { (money(fee, &currency)) }
                    dt { (t.paid) } dd { (money(paid, &currency)) }
                    @if waived { dt { (t.fee_waived) } dd { (txt(&state["fee_waived"])) } }
                }
            } @else {
                p { (t.no_fee) }
            }
            h2 { (t.rule_findings) }
            @if warnings.is_empty() {
                p #findings { (t.no_findings) }
            } @else {
                ul #findings {
                    @for w in warnings {
                        li.warn { span.rule { (txt(w)) } " (" (t.warning) ")" }
                    }
                }
            }
            @if !opinions.is_empty() {
                h2 { (t.opinions) }
                ul #opinions {
                    @for o in opinions {
                        li {
                            (t.line) " " (txt(&o["line_no"])) ": "
                            (if o["non_detrimental"] == true { t.non_detrimental } else { t.detrimental })
                            @for c in o["conditions"].as_array().map(Vec::as_slice).unwrap_or(&[]) {
                                " · " (txt(c))
                            }
                        }
                    }
                }
            }
            @if !conditions.is_empty() {
                h2 { (t.conditions) }
                ul { @for c in conditions { li { (txt(c)) } } }
            }
            @if state["reason"].is_string() {
                h2 { (t.reason) }
                p #reason { (txt(&state["reason"])) }
            }
        }
        (actions(ui, ctx, t, id, &status, &p, lines, fee_minor.map(|f| (f - paid, currency.as_str())), waived))
        p { a #timeline-link href=(ui.url(&format!("/{}/permits/{id}/timeline", ctx.party))) { (t.open_timeline) } }
    };
    Ok((title, body))
}

/// A form the page's script sends as JSON to the command API (`data-command`), then goes to
/// `data-next` at the command's position.
#[allow(clippy::too_many_arguments)]
fn command_form(
    ui: &Ui,
    ctx: &Ctx,
    t: &Text,
    id: &str,
    action: &str,
    legend: &str,
    button: &str,
    fields: Markup,
) -> Markup {
    let party = ctx.party;
    html! {
        form.card.command data-action=(action)
            data-command=(format!("{}/api/{party}/permits/{id}/{action}", ui.command_base))
            data-next=(ui.url(&format!("/{party}/permits/{id}")))
            data-t-working=(t.working) data-t-refused=(t.refused)
            method="post" novalidate {
            h3 { (legend) }
            input type="hidden" name="command_id" value=(Uuid::now_v7());
            (fields)
            button type="submit" { (button) }
            div.problem role="alert" aria-live="assertive" tabindex="-1" {}
        }
    }
}

fn text_field(id: &str, name: &str, label: &str, required: bool) -> Markup {
    html! {
        div.field {
            label for=(id) { (label) }
            textarea id=(id) name=(name) rows="2" required[required] {}
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn actions(
    ui: &Ui,
    ctx: &Ctx,
    t: &Text,
    id: &str,
    status: &str,
    p: &Value,
    lines: &[Value],
    due: Option<(i64, &str)>,
    waived: bool,
) -> Markup {
    let role = ctx.viewer.role.as_str();
    let form = |action: &str, legend: &str, button: &str, fields: Markup| {
        command_form(ui, ctx, t, id, action, legend, button, fields)
    };
    let in_review = matches!(
        status,
        "submitted" | "under_review" | "opinion_requested" | "opinion_given"
    );
    let unpaid = !waived && due.is_some_and(|(d, _)| d > 0);
    let mut forms: Vec<Markup> = Vec::new();
    match role {
        "ma_officer" => {
            if in_review && p["assigned_officer"].as_str() != Some(ctx.viewer.user_id.as_str()) {
                forms.push(form(
                    "assign",
                    t.assign_to_me,
                    t.assign_to_me,
                    html! { input type="hidden" name="officer_id" value=(ctx.viewer.user_id); },
                ));
            }
            if matches!(
                status,
                "under_review" | "opinion_requested" | "opinion_given"
            ) {
                forms.push(form(
                    "legal-acquisition",
                    t.legal_acquisition,
                    t.record_legal_acquisition,
                    html! {
                        div.field {
                            label for="evidence" { (t.evidence) }
                            textarea #evidence name="evidence" data-type="lines" rows="2" aria-describedby="evidence-hint" {}
                            p.hint #evidence-hint { (t.evidence_hint) }
                        }
                        (text_field("legal-note", "note", t.note, false))
                    },
                ));
            }
            if status == "under_review" {
                forms.push(form(
                    "request-opinion",
                    t.request_opinion,
                    t.request_opinion,
                    text_field("question", "question", t.question, false),
                ));
            }
            if in_review {
                forms.push(form(
                    "approve",
                    t.approve,
                    t.approve,
                    html! {
                        div.field {
                            label for="approve-conditions" { (t.conditions) }
                            textarea #approve-conditions name="conditions" data-type="lines" rows="2" aria-describedby="approve-hint" {}
                            p.hint #approve-hint { (t.conditions_hint) }
                        }
                    },
                ));
                forms.push(form(
                    "reject",
                    t.reject,
                    t.reject,
                    text_field("reject-reason", "reason", t.reason, true),
                ));
                forms.push(form(
                    "return",
                    t.return_for_changes,
                    t.return_for_changes,
                    text_field("return-reason", "reason", t.reason, true),
                ));
            }
            if unpaid && (in_review || status == "approved") {
                forms.push(form(
                    "waive-fee",
                    t.waive_fee,
                    t.waive_fee,
                    text_field("waive-reason", "reason", t.reason, true),
                ));
            }
        }
        "sa_expert" if status == "opinion_requested" => {
            forms.push(form(
                "opinion",
                t.give_opinion,
                t.give_opinion,
                html! {
                    @for (i, l) in lines.iter().enumerate() {
                        fieldset.line {
                            legend { (t.line) " " (txt(&l["line_no"])) ": " i { (txt(&l["scientific_name"])) } }
                            input type="hidden" name=(format!("lines.{i}.line_no")) value=(txt(&l["line_no"])) data-type="number";
                            div.field {
                                label for=(format!("ndf-{i}")) { (t.non_detriment_finding) }
                                select id=(format!("ndf-{i}")) name=(format!("lines.{i}.non_detrimental")) data-type="bool" {
                                    option value="true" { (t.yes) }
                                    option value="false" { (t.no) }
                                }
                            }
                            div.field {
                                label for=(format!("ndf-conditions-{i}")) { (t.conditions) }
                                textarea id=(format!("ndf-conditions-{i}")) name=(format!("lines.{i}.conditions")) data-type="lines" rows="2" {}
                            }
                        }
                    }
                },
            ));
        }
        "ma_signatory" if status == "approved" => {
            forms.push(form("issue", t.issue, t.issue, html! {}));
        }
        "trader" => {
            if let (true, Some((amount, currency))) = (
                unpaid
                    && matches!(
                        status,
                        "approved"
                            | "under_review"
                            | "opinion_requested"
                            | "opinion_given"
                            | "submitted"
                    ),
                due,
            ) {
                let amount_json = json!({"minor_units": amount, "currency": currency}).to_string();
                forms.push(form(
                    "payment",
                    t.pay,
                    t.pay,
                    html! {
                        p { (t.amount_due) ": " strong #amount-due { (money(amount, currency)) } }
                        input type="hidden" name="amount" value=(amount_json) data-type="json";
                        div.field {
                            label for="payment-reference" { (t.payment_reference) }
                            input #payment-reference name="method.e_payment.reference" required autocomplete="off";
                        }
                    },
                ));
            }
            if matches!(
                status,
                "submitted" | "returned" | "under_review" | "opinion_requested" | "opinion_given"
            ) {
                forms.push(form(
                    "withdraw",
                    t.withdraw,
                    t.withdraw,
                    text_field("withdraw-reason", "reason", t.reason, false),
                ));
            }
        }
        "customs" if is_valid(p) => {
            let today =
                ecites_events::cites::IsoDate(time::OffsetDateTime::now_utc().date()).to_string();
            forms.push(form(
                "endorse",
                t.endorse,
                t.endorse,
                html! {
                    @for (i, l) in lines.iter().enumerate() {
                        input type="hidden" name=(format!("lines.{i}.line_no")) value=(txt(&l["line_no"])) data-type="number";
                        div.field {
                            label for=(format!("actual-{i}")) {
                                (t.actual_quantity) ", " (t.line) " " (txt(&l["line_no"])) ": " i { (txt(&l["scientific_name"])) }
                                " (" (t.at_most) " " (txt(&l["quantity"])) " " (txt(&l["unit"])) ")"
                            }
                            input id=(format!("actual-{i}")) name=(format!("lines.{i}.actual_quantity")) required inputmode="decimal" pattern="[0-9]+([.][0-9]+)?";
                        }
                    }
                    div.field {
                        label for="port" { (t.port) }
                        input #port name="port" required autocapitalize="characters";
                    }
                    div.field {
                        label for="endorsed_on" { (t.endorsement_date) }
                        input #endorsed_on name="endorsed_on" type="date" required value=(today);
                    }
                },
            ));
        }
        _ => {}
    }
    html! {
        @if !forms.is_empty() {
            section.actions aria-labelledby="actions-title" {
                h2 #actions-title { (t.actions) }
                @for f in forms { (f) }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Auditor: the timeline with each event's verification

pub(super) async fn timeline(
    State(ui): State<Arc<Ui>>,
    Extension(ctx): Extension<Ctx>,
    Path((_, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let lang = lang(&headers);
    let t = text(lang);
    let result = async {
        let v = json_of(
            permits::timeline(
                State(ui.query.clone()),
                Extension(ctx.clone()),
                Path((ctx.party().to_string(), id.clone())),
            )
            .await,
        )
        .await?;
        let events = v["events"].as_array().map(Vec::as_slice).unwrap_or(&[]);
        let all_ok = signatures_ok(events);
        let body = html! {
            p #timeline-summary class=(if all_ok { "banner good" } else { "banner bad" }) role="status" {
                (if all_ok { t.all_events_verified } else { t.some_events_not_verified })
            }
            div.scroll {
                table.list #timeline {
                    thead { tr {
                        th scope="col" { (t.version) }
                        th scope="col" { (t.event) }
                        th scope="col" { (t.time) }
                        th scope="col" { (t.actor) }
                        th scope="col" { (t.signature) }
                        th scope="col" { (t.chain) }
                        th scope="col" { (t.hash) }
                    } }
                    tbody {
                        @for e in events {
                            @let sig = e["signature_verified"] == true;
                            @let chain = e["chain_linked"] == true;
                            tr data-event=(txt(&e["event_type"])) data-verified=(sig && chain) {
                                td { (txt(&e["version"])) }
                                td { (t.event_type(&txt(&e["event_type"]))) }
                                td { (when(&e["occurred_at"])) }
                                td { (txt(&e["actor_id"])) " (" (t.role(&txt(&e["actor_role"]))) ")" }
                                td class=(if sig { "good" } else { "bad" }) { (if sig { t.verified } else { t.not_verified }) }
                                td class=(if chain { "good" } else { "bad" }) { (if chain { t.linked } else { t.not_linked }) }
                                td { code title=(txt(&e["hash"])) { (txt(&e["hash"]).get(..12).unwrap_or("")) "…" } }
                            }
                        }
                    }
                }
            }
            p { a href=(ui.url(&format!("/{}/permits/{id}", ctx.party))) { (t.back_to_permit) } }
        };
        Ok((t.timeline.to_string(), body))
    }
    .await;
    done(&ui, &ctx, lang, result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_and_times_read_well() {
        assert_eq!(money(2500, "USD"), "25.00 USD");
        assert_eq!(money(-5, "USD"), "-0.05 USD");
        assert_eq!(
            when(&json!("2026-05-01T12:34:56.789+00:00")),
            "2026-05-01 12:34"
        );
    }

    #[test]
    fn only_an_issued_permit_in_date_is_valid() {
        let future = json!({"status": "issued", "valid_until": "2999-01-01"});
        assert!(is_valid(&future));
        for status in [
            "used",
            "expired",
            "cancelled",
            "replaced",
            "lost",
            "approved",
        ] {
            let p = json!({"status": status, "valid_until": "2999-01-01"});
            assert!(!is_valid(&p), "{status}");
        }
        assert!(!is_valid(
            &json!({"status": "issued", "valid_until": "2000-01-01"})
        ));
    }
}
