//! The web UI: server-rendered pages (maud, escaped by default) over the same read models and
//! query functions as the query API, for traders, officers, the Scientific Authority,
//! signatories, customs and auditors.
//!
//! - **Sessions**: the login form posts to `POST /ui/login`, which checks the password through
//!   [`Login`] (in `ecites serve`, the command side's users) and sets two cookies: the session
//!   token `ecites_session` (HttpOnly, SameSite=Strict) and a random `ecites_csrf` (readable).
//!   Pages read the session cookie; commands go from the page's small script (`app.js`) to the
//!   command API on the same origin with `X-CSRF-Token` = the `ecites_csrf` cookie (double
//!   submit), which the command API requires before it accepts the cookie.
//! - **Read-your-writes**: after a command the script navigates to the next page with
//!   `?position=LK:123` (the command's answer); the page waits for the read models to reach it
//!   exactly like the query API does.
//! - **Words**: every text is in [`text`], one table per language. The language is the
//!   `ecites_lang` cookie's (set by `?lang=` on any page, e.g. from the switcher in the page
//!   header), else the `Accept-Language` header's, else English: see [`lang`].

pub mod codes;
mod pages;
pub mod text;

use crate::auth::Viewer;
use crate::problem::ApiError;
use crate::{position, Ctx, QueryState};
use axum::extract::{RawPathParams, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use ecites_events::PartyCode;
use std::sync::Arc;
use text::Lang;

/// The session cookie (HttpOnly, SameSite=Strict); the same token the command API knows.
pub const SESSION_COOKIE: &str = "ecites_session";
/// The double-submit CSRF cookie, readable by the page's script.
pub const CSRF_COOKIE: &str = "ecites_csrf";
/// The language the user chose (`en`, `fr`, `es`; SameSite=Lax so that a link from another
/// site still opens the page in that language).
pub const LANG_COOKIE: &str = "ecites_lang";

/// Checks a password and opens a session (implemented by `ecites serve` over the command
/// side's users, so a UI session is also a command API session).
pub trait Login: Send + Sync {
    /// The session token and the viewer, or why not. `client` is the browser's address (for
    /// the limits on guessing), when known. Slow on purpose (argon2id): called off the async
    /// workers.
    fn login(
        &self,
        party: PartyCode,
        user_id: &str,
        password: &str,
        client: Option<std::net::IpAddr>,
    ) -> Result<(String, Viewer), LoginRefused>;
    /// Ends the session of `token`.
    fn logout(&self, token: &str);
    /// What the Party admin's pages read from the command side; `None` where there is none.
    fn directory(&self) -> Option<&dyn Directory> {
        None
    }
}

/// Why a sign-in was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoginRefused {
    /// Unknown user or wrong password (one answer for both).
    BadCredentials,
    /// Too many failures for the account or from the address: seconds until the next try.
    TooManyAttempts { retry_after: i64 },
}

/// What the Party admin's pages read from the command side (implemented by `ecites serve`).
pub trait Directory: Send + Sync {
    /// The Party's users (never a password hash or a link token).
    fn users(&self, party: PartyCode) -> Vec<UserEntry>;
    /// The Party's configuration as `GET /api/{party}/config` answers it (what the next
    /// decision uses, defaults included).
    fn config(
        &self,
        party: PartyCode,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Option<serde_json::Value>> + Send + '_>>;
    /// Whether species imports can read saved answers, and whether they can go live.
    fn import_sources(&self) -> (bool, bool);
}

/// A user as the Party admin's page lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserEntry {
    pub user_id: String,
    pub role: String,
    pub organisation_id: Option<uuid::Uuid>,
    pub disabled: bool,
    pub password_set: bool,
    pub link_pending: bool,
}

/// What the UI routes share.
pub struct Ui {
    pub query: Arc<QueryState>,
    pub login: Arc<dyn Login>,
    /// Where the query router is mounted (`/query` in `ecites serve`), so that links and
    /// redirects are absolute.
    pub base: String,
    /// Where the command API is (`""`: the same origin's `/api/...`).
    pub command_base: String,
}

impl Ui {
    pub fn url(&self, path: &str) -> String {
        format!("{}/ui{path}", self.base)
    }
}

/// The UI's routes, to merge into the query router (paths under `/ui`).
pub fn router(ui: Arc<Ui>) -> Router {
    let party = Router::new()
        .route("/ui/{party}", get(pages::home))
        .route("/ui/{party}/apply", get(pages::apply))
        .route("/ui/{party}/find", get(pages::find))
        .route("/ui/{party}/species", get(pages::species))
        .route("/ui/{party}/permits/{id}", get(pages::permit))
        .route("/ui/{party}/permits/{id}/timeline", get(pages::timeline))
        .route(
            "/ui/{party}/permits/{id}/document.pdf",
            get(pages::permit_document),
        )
        .route(
            "/ui/{party}/permits/{id}/at/{version}",
            get(pages::permit_at),
        )
        .route("/ui/{party}/verify", get(pages::verify))
        .route("/ui/{party}/organisation", get(pages::my_organisation))
        .route("/ui/{party}/organisations", get(pages::organisations))
        .route("/ui/{party}/organisations/{id}", get(pages::organisation))
        .route("/ui/{party}/dashboard", get(pages::dashboard_page))
        .route("/ui/{party}/reports/annual.csv", get(pages::annual_csv))
        .route("/ui/{party}/reports/trade", get(pages::trade_report))
        .route("/ui/{party}/reports/trade.csv", get(pages::trade_csv))
        .route("/ui/{party}/reports/national", get(pages::national_report))
        .route("/ui/{party}/reports/national.csv", get(pages::national_csv))
        .route("/ui/{party}/admin", get(pages::admin_home))
        .route("/ui/{party}/admin/users", get(pages::admin_users))
        .route("/ui/{party}/admin/fees", get(pages::admin_fees))
        .route("/ui/{party}/admin/quotas", get(pages::admin_quotas))
        .route("/ui/{party}/admin/measures", get(pages::admin_measures))
        .route("/ui/{party}/admin/species", get(pages::admin_species))
        .route("/ui/{party}/admin/specimens", get(pages::admin_specimens))
        .route_layer(axum::middleware::from_fn_with_state(ui.clone(), ui_gate));
    Router::new()
        .route(
            "/ui",
            get(|State(ui): State<Arc<Ui>>| async move { Redirect::to(&ui.url("/login")) }),
        )
        .route("/ui/login", get(pages::login_form).post(pages::login))
        .route("/ui/logout", post(pages::logout))
        .route("/ui/static/app.css", get(css))
        .route("/ui/static/app.js", get(js))
        .route("/ui/static/admin.js", get(admin_js))
        .route("/ui/static/admin.css", get(admin_css))
        .route("/ui/set-password", get(pages::set_password_page))
        .merge(party)
        .with_state(ui.clone())
        .layer(axum::middleware::from_fn(lang_choice))
        .layer(axum::middleware::from_fn_with_state(ui, params_guard))
}

/// [`crate::query_guard`] for the pages: a bad parameter is a 400 page naming it.
async fn params_guard(State(ui): State<Arc<Ui>>, req: Request, next: Next) -> Response {
    match crate::query_guard::check(req.uri().query()) {
        Ok(()) => next.run(req).await,
        Err(e) => pages::api_error(&ui, lang(req.headers()), None, e),
    }
}

const CSS: &str = include_str!("app.css");
const JS: &str = include_str!("app.js");

async fn css() -> Response {
    static_asset("text/css; charset=utf-8", CSS)
}

async fn js() -> Response {
    static_asset("text/javascript; charset=utf-8", JS)
}

/// The admin pages' script (forms with amounts in minor units, the import's progress).
const ADMIN_JS: &str = include_str!("admin.js");

async fn admin_js() -> Response {
    static_asset("text/javascript; charset=utf-8", ADMIN_JS)
}

const ADMIN_CSS: &str = include_str!("admin.css");

async fn admin_css() -> Response {
    static_asset("text/css; charset=utf-8", ADMIN_CSS)
}

fn static_asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        body,
    )
        .into_response()
}

/// The value of cookie `name`.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// The language of a request: the `ecites_lang` cookie's, else the `Accept-Language`
/// header's, else English. (A `?lang=` reaches here as that cookie: see [`lang_choice`].)
pub fn lang(headers: &HeaderMap) -> Lang {
    cookie(headers, LANG_COOKIE)
        .and_then(Lang::from_code)
        .unwrap_or_else(|| {
            Lang::from_accept_language(
                headers
                    .get(header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok()),
            )
        })
}

/// The `Set-Cookie` value that keeps `lang` for a year.
pub fn lang_cookie(lang: Lang) -> String {
    format!(
        "{LANG_COOKIE}={}; Path=/; SameSite=Lax; Max-Age=31536000",
        lang.code()
    )
}

/// `?lang=fr` (`en`, `fr`, `es`; anything else is ignored): the page is rendered in that
/// language and the answer sets the `ecites_lang` cookie, so the next pages keep it. The
/// choice is put first among the request's cookies, so [`lang`] (the only place a page gets
/// its language) sees it without every handler reading the query.
async fn lang_choice(mut req: Request, next: Next) -> Response {
    let chosen = axum::extract::Query::<Vec<(String, String)>>::try_from_uri(req.uri())
        .ok()
        .and_then(|q| {
            q.0.iter()
                .find(|(k, _)| k == "lang")
                .and_then(|(_, v)| Lang::from_code(v))
        });
    let Some(chosen) = chosen else {
        return next.run(req).await;
    };
    let headers = req.headers_mut();
    let sent: Vec<HeaderValue> = headers.get_all(header::COOKIE).iter().cloned().collect();
    headers.remove(header::COOKIE);
    if let Ok(v) = HeaderValue::from_str(&format!("{LANG_COOKIE}={}", chosen.code())) {
        headers.append(header::COOKIE, v);
    }
    for v in sent {
        headers.append(header::COOKIE, v);
    }
    let mut res = next.run(req).await;
    if let Ok(v) = HeaderValue::from_str(&lang_cookie(chosen)) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

/// Did the browser reach us over TLS? `ecites serve` speaks plain HTTP behind a TLS-terminating
/// proxy, which says so in `X-Forwarded-Proto` or `Forwarded`. A client that sends the header
/// over plain HTTP only gets a cookie its browser will not send back: no harm done.
pub fn over_tls(headers: &HeaderMap) -> bool {
    let has = |name: header::HeaderName, needle: &str| {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.to_ascii_lowercase().contains(needle))
    };
    has(
        header::HeaderName::from_static("x-forwarded-proto"),
        "https",
    ) || has(header::FORWARDED, "proto=https")
}

/// The `Set-Cookie` values of a new session; `Secure` when the browser came over TLS, so the
/// session never travels in clear once a deployment has TLS.
pub fn session_cookies(token: &str, csrf: &str, secure: bool) -> [String; 2] {
    let secure = if secure { "; Secure" } else { "" };
    [
        format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict{secure}"),
        format!("{CSRF_COOKIE}={csrf}; Path=/; SameSite=Strict{secure}"),
    ]
}

/// The `Set-Cookie` values that end a session in the browser.
pub fn cleared_cookies() -> [String; 2] {
    [
        format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
        format!("{CSRF_COOKIE}=; Path=/; SameSite=Strict; Max-Age=0"),
    ]
}

/// Who is signed in, for which Party, and the read position: the UI's counterpart of the
/// query API's gate (cookie instead of bearer; a sign-in page instead of a 401).
async fn ui_gate(
    State(ui): State<Arc<Ui>>,
    params: RawPathParams,
    mut req: Request,
    next: Next,
) -> Response {
    let raw = params
        .iter()
        .find(|(k, _)| *k == "party")
        .map(|(_, v)| v.to_string())
        .unwrap_or_default();
    let headers = req.headers();
    let lang = lang(headers);
    let Ok(party) = raw.parse::<PartyCode>() else {
        return pages::error_page(&ui, lang, None, StatusCode::NOT_FOUND, "unknown Party");
    };
    let presented = cookie(headers, SESSION_COOKIE);
    let viewer = presented.and_then(|t| ui.query.sessions.viewer(t));
    let Some(viewer) = viewer else {
        let mut res = Redirect::to(&format!("{}?party={party}", ui.url("/login"))).into_response();
        // An ended session's cookie goes, so the browser stops presenting a token that
        // counts against its address (`ecites serve` limits unknown tokens per client).
        if presented.is_some() {
            for c in cleared_cookies() {
                if let Ok(v) = HeaderValue::from_str(&c) {
                    res.headers_mut().append(header::SET_COOKIE, v);
                }
            }
        }
        return res;
    };
    if !viewer.may_read_party(party) {
        let t = text::text(lang);
        return pages::error_page(
            &ui,
            lang,
            Some(&viewer),
            StatusCode::FORBIDDEN,
            t.not_allowed,
        );
    }
    let query = req.uri().query().map(str::to_string);
    let wait = async {
        let target = position::requested(headers, query.as_deref(), party)?;
        position::wait_for(&ui.query.pool, party, target, ui.query.position_wait).await
    };
    let read_position = match wait.await {
        Ok(p) => p,
        Err(e) => return pages::api_error(&ui, lang, Some(&viewer), e),
    };
    let ctx = match Ctx::resolve(&ui.query.pool, viewer.clone(), party, read_position).await {
        Ok(ctx) => ctx,
        Err(e) => return pages::api_error(&ui, lang, Some(&viewer), e),
    };
    req.extensions_mut().insert(ctx);
    let mut res = next.run(req).await;
    let header = position::Position::new(party, position::sequence(read_position)).to_string();
    if let Ok(v) = HeaderValue::from_str(&header) {
        res.headers_mut().insert(position::READ_POSITION_HEADER, v);
    }
    res
}

/// The JSON a query handler answered.
pub(crate) async fn json_of(
    answer: Result<Response, ApiError>,
) -> Result<serde_json::Value, ApiError> {
    let res = answer?;
    let bytes = axum::body::to_bytes(res.into_body(), 64 << 20)
        .await
        .map_err(|e| ApiError::Io(std::io::Error::other(e)))?;
    serde_json::from_slice(&bytes).map_err(|e| ApiError::Io(std::io::Error::other(e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_read_and_set() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; ecites_session=tok; ecites_csrf=c"),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("tok"));
        assert_eq!(cookie(&h, CSRF_COOKIE), Some("c"));
        assert_eq!(cookie(&h, "b"), None);
        let [session, csrf] = session_cookies("tok", "c", false);
        assert!(session.contains("HttpOnly") && session.contains("SameSite=Strict"));
        assert!(!csrf.contains("HttpOnly") && csrf.contains("SameSite=Strict"));
        assert!(!session.contains("Secure") && !csrf.contains("Secure"));
        let [session, csrf] = session_cookies("tok", "c", true);
        assert!(session.ends_with("; Secure") && csrf.ends_with("; Secure"));
    }

    #[test]
    fn tls_is_read_from_the_proxys_headers() {
        let mut h = HeaderMap::new();
        assert!(!over_tls(&h));
        h.insert("x-forwarded-proto", HeaderValue::from_static("http"));
        assert!(!over_tls(&h));
        h.insert("x-forwarded-proto", HeaderValue::from_static("HTTPS"));
        assert!(over_tls(&h));
        let mut h = HeaderMap::new();
        h.insert(
            header::FORWARDED,
            HeaderValue::from_static("for=192.0.2.60;proto=https;by=203.0.113.43"),
        );
        assert!(over_tls(&h));
    }

    #[test]
    fn the_language_cookie_wins_over_accept_language() {
        let mut h = HeaderMap::new();
        assert_eq!(lang(&h), Lang::En);
        h.insert(header::ACCEPT_LANGUAGE, HeaderValue::from_static("fr-FR"));
        assert_eq!(lang(&h), Lang::Fr);
        h.insert(header::COOKIE, HeaderValue::from_static("ecites_lang=es"));
        assert_eq!(lang(&h), Lang::Es);
        // An unknown code in the cookie is ignored, not English by force.
        h.insert(header::COOKIE, HeaderValue::from_static("ecites_lang=de"));
        assert_eq!(lang(&h), Lang::Fr);
        let set = lang_cookie(Lang::Fr);
        assert!(set.starts_with("ecites_lang=fr;"));
        assert!(set.contains("SameSite=Lax") && set.contains("Path=/"));
    }
}
