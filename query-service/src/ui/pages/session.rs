//! Signing in and out.

use super::*;

pub(in crate::ui) async fn login_form(
    State(ui): State<Arc<Ui>>,
    Query(q): Params,
    headers: HeaderMap,
) -> Response {
    let lang = lang(&headers);
    let failed = param(&q, "error").map(|_| LoginRefused::BadCredentials);
    login_page(&ui, lang, param(&q, "party").unwrap_or("LK"), failed)
}

fn login_page(ui: &Ui, lang: Lang, party: &str, failed: Option<LoginRefused>) -> Response {
    let t = text(lang);
    let message = failed.map(|f| match f {
        LoginRefused::BadCredentials => t.bad_credentials.to_string(),
        LoginRefused::TooManyAttempts { retry_after } => t
            .too_many_attempts
            .replace("{minutes}", &((retry_after.max(1) + 59) / 60).to_string()),
    });
    let body = html! {
        form.card.login method="post" action=(ui.url("/login")) {
            @if let Some(message) = &message {
                p.banner.bad role="alert" #login-error { (message) }
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
    let status = match failed {
        None => StatusCode::OK,
        Some(LoginRefused::BadCredentials) => StatusCode::UNAUTHORIZED,
        Some(LoginRefused::TooManyAttempts { .. }) => StatusCode::TOO_MANY_REQUESTS,
    };
    let mut res = respond(status, page(ui, lang, None, None, t.sign_in, body));
    if let Some(LoginRefused::TooManyAttempts { retry_after }) = failed {
        res.headers_mut()
            .insert(header::RETRY_AFTER, retry_after.max(1).into());
    }
    res
}

#[derive(Deserialize)]
pub(in crate::ui) struct LoginForm {
    party: String,
    user_id: String,
    password: String,
}

pub(in crate::ui) async fn login(
    State(ui): State<Arc<Ui>>,
    headers: HeaderMap,
    extensions: axum::http::Extensions,
    Form(f): Form<LoginForm>,
) -> Response {
    let lang = lang(&headers);
    let Ok(party) = f.party.trim().to_ascii_uppercase().parse::<PartyCode>() else {
        return login_page(&ui, lang, &f.party, Some(LoginRefused::BadCredentials));
    };
    let login = ui.login.clone();
    let user_id = f.user_id.trim().to_string();
    // `ecites serve` records the browser's address (or the trusted proxy's word for it).
    let client = extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    let result =
        tokio::task::spawn_blocking(move || login.login(party, &user_id, &f.password, client))
            .await
            .unwrap_or(Err(LoginRefused::BadCredentials));
    let (token, viewer) = match result {
        Ok(opened) => opened,
        Err(refused) => return login_page(&ui, lang, party.as_str(), Some(refused)),
    };
    let mut raw = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut raw);
    let csrf = hex::encode(raw);
    let mut res = Redirect::to(&ui.url(&format!("/{}", viewer.party))).into_response();
    let secure = super::super::over_tls(&headers);
    for c in super::super::session_cookies(&token, &csrf, secure) {
        if let Ok(v) = c.parse() {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}

/// The sign-out form's body: the double-submit token.
#[derive(serde::Deserialize)]
pub(in crate::ui) struct LogoutForm {
    #[serde(default)]
    csrf: String,
}

/// Signs out only with the CSRF token of the session's cookie (form field or header), so that
/// no other page can end a user's session.
pub(in crate::ui) async fn logout(
    State(ui): State<Arc<Ui>>,
    headers: HeaderMap,
    form: Result<axum::Form<LogoutForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let form = form.ok();
    let expected = super::super::cookie(&headers, super::super::CSRF_COOKIE);
    let given = form
        .as_ref()
        .map(|f| f.0.csrf.as_str())
        .filter(|s| !s.is_empty())
        .or_else(|| headers.get("x-csrf-token").and_then(|v| v.to_str().ok()));
    let matches = match (expected, given) {
        (Some(e), Some(g)) => {
            e.len() == g.len() && e.bytes().zip(g.bytes()).fold(0u8, |a, (x, y)| a | (x ^ y)) == 0
        }
        _ => false,
    };
    if !matches {
        return (
            axum::http::StatusCode::FORBIDDEN,
            "sign out with the page's button: the request did not carry the session's CSRF token\n",
        )
            .into_response();
    }
    if let Some(token) = super::super::cookie(&headers, SESSION_COOKIE) {
        ui.login.logout(token);
    }
    let mut res = Redirect::to(&ui.url("/login")).into_response();
    for c in super::super::cleared_cookies() {
        if let Ok(v) = c.parse() {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}
