//! The Party admin's pages: the index, users and roles, and the public set-password page a new
//! user opens from the link the admin passes on. Forms are sent by `admin.js` as JSON to the
//! command API (session cookie + CSRF header), like `app.js` does for the permit commands.

use super::*;
use crate::ui::text::{admin as admin_text, AdminText};
use crate::ui::UserEntry;

/// Only the Party's administrator sees these pages (the command API checks again).
pub(super) fn require_admin(ctx: &Ctx) -> Result<(), ApiError> {
    if ctx.viewer.role == "party_admin" && ctx.viewer.party == ctx.party {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!(
            "role {} may not administer the Party",
            ctx.viewer.role
        )))
    }
}

/// A form `admin.js` sends as JSON to `command` (`POST`), then opens `next` (with the
/// command's position when it answers one), or shows the answer in `#<result>`.
pub(super) struct AdminForm<'a> {
    pub key: &'a str,
    pub command: String,
    pub next: Option<String>,
    pub result: Option<&'a str>,
    pub legend: &'a str,
    pub button: &'a str,
    pub command_id: bool,
    /// Asked (`confirm()`) before the command is sent.
    pub confirm: Option<String>,
    /// The catalogue search for the form's species field (`species_field`), which the page's
    /// script (`app.js`, as on the application form) offers as you type.
    pub species_url: Option<String>,
}

pub(super) fn admin_form(t: &Text, f: AdminForm, fields: Markup) -> Markup {
    html! {
        form.card.admin data-action=(f.key) data-command=(f.command)
            data-next=[f.next] data-result=[f.result] data-confirm=[f.confirm]
            data-species-url=[f.species_url.as_ref()]
            data-t-appendix=(t.appendix) data-t-not-listed=(t.not_listed) data-t-suspended=(t.suspended)
            data-t-working=(t.working) data-t-refused=(t.refused) method="post" novalidate {
            @if !f.legend.is_empty() { h3 { (f.legend) } }
            @if f.command_id { input type="hidden" name="command_id" value=(Uuid::now_v7()); }
            (fields)
            button type="submit" { (f.button) }
            div.problem role="alert" aria-live="assertive" tabindex="-1" {}
        }
    }
}

/// The catalogue search of the Party's species (for [`AdminForm::species_url`]).
pub(super) fn species_search(ui: &Ui, ctx: &Ctx) -> Option<String> {
    Some(ui.url(&format!("/{}/species", ctx.party)))
}

/// A species field with the catalogue's matches as you type (the page needs one
/// `datalist#species-options`, see [`species_options`]).
pub(super) fn species_field(t: &Text, id: &str) -> Markup {
    let info = format!("{id}-info");
    html! {
        fieldset.species-pick {
            legend { label for=(id) { (t.species) } }
            input id=(id) name="species" required list="species-options" data-species
                autocomplete="off" aria-describedby=(info);
            p.hint id=(info) aria-live="polite" data-species-info { (t.species_hint) }
        }
    }
}

/// The options list the species fields of a page share.
pub(super) fn species_options() -> Markup {
    html! { datalist #species-options {} }
}

/// The admin script and style, after the page's own (`app.js`, `app.css`).
pub(super) fn admin_script(ui: &Ui) -> Markup {
    html! {
        link rel="stylesheet" href=(ui.url("/static/admin.css"));
        script src=(ui.url("/static/admin.js")) defer {}
    }
}

fn admin_page(
    ui: &Ui,
    ctx: &Ctx,
    lang: Lang,
    body: impl FnOnce(&Text, &AdminText) -> Result<(String, Markup), ApiError>,
) -> Response {
    let result = require_admin(ctx).and_then(|()| body(text(lang), admin_text(lang)));
    done(ui, ctx, lang, result)
}

pub(in crate::ui) async fn admin_home(
    State(ui): State<Arc<Ui>>,
    Extension(ctx): Extension<Ctx>,
    headers: HeaderMap,
) -> Response {
    let s = crate::ui::text::specimens::of(lang(&headers));
    admin_page(&ui, &ctx, lang(&headers), |_, a| {
        let link = |path: &str| ui.url(&format!("/{}/admin/{path}", ctx.party));
        let body = html! {
            ul.menu {
                li { a #admin-users href=(link("users")) { (a.users_title) } " – " (a.users_intro) }
                li { a #admin-fees href=(link("fees")) { (a.fees_title) } " – " (a.fees_intro) }
                li { a #admin-quotas href=(link("quotas")) { (a.quotas_title) } " – " (a.quotas_intro) }
                li { a #admin-measures href=(link("measures")) { (a.measures_title) } " – " (a.measures_intro) }
                li { a #admin-species href=(link("species")) { (a.species_title) } " – " (a.species_intro) }
                li { a #admin-specimens href=(link("specimens")) { (s.title) } }
            }
        };
        Ok((a.admin_title.to_string(), body))
    })
}

pub(in crate::ui) async fn admin_users(
    State(ui): State<Arc<Ui>>,
    Extension(ctx): Extension<Ctx>,
    headers: HeaderMap,
) -> Response {
    let users = ui
        .login
        .directory()
        .map(|d| d.users(ctx.party))
        .unwrap_or_default();
    admin_page(&ui, &ctx, lang(&headers), |t, a| {
        Ok((
            a.users_title.to_string(),
            users_body(&ui, &ctx, t, a, &users),
        ))
    })
}

const GRANTABLE: [&str; 7] = [
    "ma_officer",
    "ma_signatory",
    "sa_expert",
    "customs",
    "auditor",
    "trader",
    "party_admin",
];

fn role_select(t: &Text, id: &str, selected: &str) -> Markup {
    html! {
        select id=(id) name="role" required {
            @for r in GRANTABLE { option value=(r) selected[r == selected] { (t.role(r)) } }
        }
    }
}

fn users_body(ui: &Ui, ctx: &Ctx, t: &Text, a: &AdminText, users: &[UserEntry]) -> Markup {
    let api = format!("{}/api/{}/users", ui.command_base, ctx.party);
    let here = ui.url(&format!("/{}/admin/users", ctx.party));
    let add = AdminForm {
        key: "add-user",
        command: api.clone(),
        next: None,
        result: Some("new-user-link"),
        legend: a.add_user,
        button: a.add_user,
        command_id: false,
        confirm: None,
        species_url: None,
    };
    html! {
        p.hint { (a.users_intro) }
        div.scroll tabindex="0" { table.list #users {
            thead { tr {
                th scope="col" { (t.user_id) } th scope="col" { (a.role) }
                th scope="col" { (t.organisation) } th scope="col" { (t.status) }
                th scope="col" { (t.actions) }
            } }
            tbody { @for u in users {
                tr data-user=(u.user_id) {
                    td { (u.user_id) }
                    td { (t.role(&u.role)) }
                    td { @if let Some(o) = u.organisation_id { code { (o) } } }
                    td { (user_status(a, u)) }
                    td { @if u.user_id != ctx.viewer.user_id {
                        (user_actions(ui, ctx, t, a, u, &here))
                    } }
                }
            } }
        } }
        (admin_form(t, add, html! {
            label for="new-user-id" { (t.user_id) }
            input #new-user-id name="user_id" required autocomplete="off" autocapitalize="none" pattern="[A-Za-z0-9._@-]{2,64}";
            label for="new-user-role" { (a.role) }
            (role_select(t, "new-user-role", "ma_officer"))
            label for="new-user-org" { (t.organisation) }
            input #new-user-org name="organisation_id" aria-describedby="new-user-org-hint" autocomplete="off";
            p.hint #new-user-org-hint { (a.organisation_hint) }
        }))
        div #new-user-link.card hidden tabindex="-1" data-link-base=(ui.url("/set-password")) {
            p role="status" { (a.link_created) }
            p { a #set-password-link href="#" { "" } }
            p.hint { (a.link_hint) }
        }
        (admin_script(ui))
    }
}

fn user_status(a: &AdminText, u: &UserEntry) -> Markup {
    html! {
        @if u.disabled { span.badge.bad { (a.disabled) } }
        @else if !u.password_set { span.badge.neutral { (a.awaiting_password) } }
        @else { span.badge.good { (a.active) } }
    }
}

fn user_actions(ui: &Ui, ctx: &Ctx, t: &Text, a: &AdminText, u: &UserEntry, here: &str) -> Markup {
    let api = |action: &str| {
        format!(
            "{}/api/{}/users/{}/{action}",
            ui.command_base, ctx.party, u.user_id
        )
    };
    let id = |f: &str| format!("u-{}-{f}", u.user_id);
    let form = |key, action: &str, button, result: Option<&'static str>| AdminForm {
        key,
        command: api(action),
        next: result.is_none().then(|| here.to_string()),
        result,
        legend: "",
        button,
        command_id: false,
        confirm: None,
        species_url: None,
    };
    if u.disabled {
        return admin_form(t, form("enable", "enable", a.enable, None), html! {});
    }
    let disable = AdminForm {
        confirm: Some(a.confirm_disable.replace("{user}", &u.user_id)),
        ..form("disable", "disable", a.disable, None)
    };
    html! {
        div role="group" aria-label=(u.user_id) {
        details {
            summary { (a.change_role) }
            (admin_form(t, form("change-role", "role", a.change_role, None), html! {
                label for=(id("role")) { (a.role) }
                (role_select(t, &id("role"), &u.role))
                label for=(id("org")) { (t.organisation) }
                input id=(id("org")) name="organisation_id" autocomplete="off"
                    value=(u.organisation_id.map(|o| o.to_string()).unwrap_or_default());
            }))
        }
        (admin_form(t, disable, html! {}))
        (admin_form(t, form("new-link", "set-password-link", a.new_link, Some("new-user-link")), html! {}))
        }
    }
}

/// The page a new user opens from their link: the token is in the fragment (never sent to a
/// server, so never in a log) and `admin.js` puts it in the form.
pub(in crate::ui) async fn set_password_page(
    State(ui): State<Arc<Ui>>,
    headers: HeaderMap,
) -> Response {
    let lang = lang(&headers);
    let (t, a) = (text(lang), admin_text(lang));
    let form = AdminForm {
        key: "set-password",
        command: format!("{}/api/set-password", ui.command_base),
        next: Some(ui.url("/login?password_set=1")),
        result: None,
        legend: "",
        button: a.set_password,
        command_id: false,
        confirm: None,
        species_url: None,
    };
    let body = html! {
        p.hint { (a.set_password_intro) }
        (admin_form(t, form, html! {
            input type="hidden" name="token" data-token-from-fragment;
            label for="new-password" { (t.password) }
            input #new-password name="password" type="password" required minlength="12"
                autocomplete="new-password" aria-describedby="new-password-hint";
            p.hint #new-password-hint { (a.password_hint) }
            label for="new-password-again" { (a.password_again) }
            input #new-password-again type="password" required minlength="12"
                autocomplete="new-password" data-same-as="new-password" data-t-mismatch=(a.password_mismatch);
        }))
        (admin_script(&ui))
    };
    respond(
        StatusCode::OK,
        page(&ui, lang, None, None, a.set_password, body),
    )
}
