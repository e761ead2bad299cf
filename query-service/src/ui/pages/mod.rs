//! The pages. Each reads the read models through the query API's own functions (so the same
//! visibility rules apply: a trader sees only its organisation's applications) and renders
//! HTML with maud, which escapes every value.

mod actions;
mod apply;
mod dashboard;
mod history;
mod home;
mod organisation;
mod payment;
mod permit;
mod session;
mod timeline;

mod admin;
mod admin_config;
mod admin_entries;
mod admin_quotas;
mod admin_specimens;
mod reports;
mod verify;

pub(super) use self::admin_specimens::admin_specimens;
pub(super) use self::{admin::*, admin_config::*, admin_quotas::*, reports::*};
pub(super) use self::{apply::*, dashboard::*, home::*, permit::*, session::*, timeline::*};
pub(super) use self::{history::permit_at, organisation::*, verify::verify};

use super::text::{text, trader as trader_text, Lang, Text, TraderText};
use super::{codes, json_of, lang, LoginRefused, Ui, SESSION_COOKIE};
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
/// The permit's timeline rows as the query API answers them (same access rules), in version
/// order.
async fn timeline_events(ui: &Ui, ctx: &Ctx, id: &str) -> Result<Vec<Value>, ApiError> {
    let v = json_of(
        permits::timeline(
            State(ui.query.clone()),
            Extension(ctx.clone()),
            Path((ctx.party().to_string(), id.to_string())),
        )
        .await,
    )
    .await?;
    Ok(match v {
        Value::Object(mut o) => match o.remove("events") {
            Some(Value::Array(events)) => events,
            _ => vec![],
        },
        _ => vec![],
    })
}

/// The permit as the query API answers it (same access rules).
async fn permit_json(ui: &Ui, ctx: &Ctx, id: &str) -> Result<Value, ApiError> {
    json_of(
        permits::detail(
            State(ui.query.clone()),
            Extension(ctx.clone()),
            Path((ctx.party().to_string(), id.to_string())),
        )
        .await,
    )
    .await
}

/// Minor units in the currency's major unit (ISO 4217 decimals): "25.00 USD", "2500 JPY".
fn money(minor: i64, currency: &str) -> String {
    format!("{} {currency}", admin_config::major(minor, currency))
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
                        @if v.require_reports().is_ok() {
                            a.nav #nav-dashboard href=(ui.url(&format!("/{p}/dashboard"))) { (t.dashboard) }
                            a.nav #nav-reports href=(ui.url(&format!("/{p}/reports/trade"))) { (super::text::admin(lang).reports) }
                        }
                        @if v.role == "party_admin" {
                            a.nav #nav-admin href=(ui.url(&format!("/{p}/admin"))) { (super::text::admin(lang).administration) }
                        }
                        form.logout method="post" action=(ui.url("/logout")) {
                            // app.js copies the CSRF cookie in: a sign-out is a state change.
                            input type="hidden" name="csrf" value="";
                            button.link type="submit" { (t.sign_out) }
                        }
                    } @else {
                        span.brand { (t.app_name) }
                    }
                    (language_switcher(lang))
                }
                main #content tabindex="-1" {
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

/// "English · Français · Español": links to this page with `?lang=` (which sets the
/// `ecites_lang` cookie), each name in its own language; the current one is not a link.
fn language_switcher(lang: Lang) -> Markup {
    html! {
        nav.langs aria-label=(text(lang).language) {
            @for (i, l) in Lang::ALL.into_iter().enumerate() {
                @if i > 0 { span aria-hidden="true" { " · " } }
                @if l == lang {
                    span lang=(l.code()) aria-current="true" { (l.endonym()) }
                } @else {
                    a href={ "?lang=" (l.code()) } lang=(l.code()) hreflang=(l.code()) { (l.endonym()) }
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
