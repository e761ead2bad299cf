//! The admin's specimens page: the signatories' signatures and the Authority's stamp as the
//! ledger holds them, with the forms that record and withdraw them through the command API.

use super::admin::{admin_form, admin_script, require_admin, AdminForm};
use super::*;
use crate::ui::text::specimens::{of as specimens_text, SpecimensText};
use sqlx::Row;

/// One row of the Party's specimens, newest first.
struct Row_ {
    id: Uuid,
    kind: String,
    signatory: Option<String>,
    name: String,
    sha256: String,
    recorded: String,
    withdrawn: Option<String>,
}

async fn specimens(ui: &Ui, party: PartyCode) -> Result<Vec<Row_>, ApiError> {
    let rows = sqlx::query(
        "SELECT specimen_id, kind, signatory, name, sha256, to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI \"UTC\"') AS recorded, \
         to_char(withdrawn_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI \"UTC\"') AS withdrawn FROM specimens WHERE party = $1 \
         ORDER BY recorded_at DESC, specimen_id",
    )
    .bind(party.as_str())
    .fetch_all(&ui.query.pool)
    .await?;
    Ok(rows
        .iter()
        .map(|r| Row_ {
            id: r.get("specimen_id"),
            kind: r.get("kind"),
            signatory: r.get("signatory"),
            name: r.get("name"),
            sha256: r.get("sha256"),
            recorded: r.get("recorded"),
            withdrawn: r.get("withdrawn"),
        })
        .collect())
}

pub(in crate::ui) async fn admin_specimens(
    State(ui): State<Arc<Ui>>,
    Extension(ctx): Extension<Ctx>,
    headers: HeaderMap,
) -> Response {
    let lang = lang(&headers);
    let result = async {
        require_admin(&ctx)?;
        let list = specimens(&ui, ctx.party).await?;
        let signatories: Vec<String> = ui
            .login
            .directory()
            .map(|d| d.users(ctx.party))
            .unwrap_or_default()
            .into_iter()
            .filter(|u| u.role == "ma_signatory")
            .map(|u| u.user_id)
            .collect();
        let s = specimens_text(lang);
        let body = page(&ui, &ctx, text(lang), s, &list, &signatories);
        Ok((s.title.to_string(), body))
    };
    done(&ui, &ctx, lang, result.await)
}

fn page(
    ui: &Ui,
    ctx: &Ctx,
    t: &Text,
    s: &SpecimensText,
    list: &[Row_],
    signatories: &[String],
) -> Markup {
    let base = format!("{}/api/{}/specimens", ui.command_base, ctx.party);
    let here = ui.url(&format!("/{}/admin/specimens", ctx.party));
    let form = |key: &'static str, legend: &'static str| AdminForm {
        key,
        command: base.clone(),
        next: Some(here.clone()),
        result: None,
        legend,
        button: legend,
        command_id: true,
        confirm: None,
        species_url: None,
    };
    let image_field = |prefix: &str| {
        let id = format!("{prefix}-image");
        let hint = format!("{id}-hint");
        html! {
            input type="hidden" name="specimen_id" value=(Uuid::now_v7());
            label for=(format!("{prefix}-name")) { (s.name) }
            input id=(format!("{prefix}-name")) name="name" required maxlength="200";
            label for=(id) { (s.image) }
            input id=(id) name="image" type="file" accept="image/png" required data-type="base64"
                aria-describedby=(hint);
            p.hint id=(hint) { (s.image_hint) }
        }
    };
    html! {
        p.hint { (s.intro) " " a href="/.well-known/ecites-specimens.json" { (s.published) } }
        @if list.is_empty() { p.empty { (s.none) } }
        @else { div.scroll tabindex="0" { table.list #specimens {
            thead { tr {
                th scope="col" { (s.kind) } th scope="col" { (s.signatory) } th scope="col" { (s.name) }
                th scope="col" { (s.image) } th scope="col" { (s.recorded) } th scope="col" { (s.withdrawn) }
                th scope="col" { (t.actions) }
            } }
            tbody { @for r in list {
                tr data-specimen=(r.id) {
                    td { @if r.kind == "stamp" { (s.stamp) } @else { (s.signature) } }
                    td { (r.signatory.clone().unwrap_or_default()) }
                    td { (r.name) }
                    td { img.specimen src=(format!("/.well-known/ecites-specimens/{}.png", r.sha256))
                        alt=(format!("{} – {}", r.name, &r.sha256[..12.min(r.sha256.len())])) height="40"; }
                    td { (r.recorded) }
                    td { @if let Some(w) = &r.withdrawn { (w) } @else { (s.in_force) } }
                    td { @if r.withdrawn.is_none() {
                        (admin_form(t, AdminForm {
                            key: "withdraw-specimen", command: format!("{base}/{}/withdraw", r.id),
                            next: Some(here.clone()), result: None, legend: "",
                            button: s.withdraw, command_id: true, confirm: None, species_url: None,
                        }, html! {
                            label for=(format!("withdraw-{}-reason", r.id)) { (t.reason) }
                            input id=(format!("withdraw-{}-reason", r.id)) name="reason" required;
                        }))
                    } }
                }
            } }
        } } }
        (admin_form(t, form("record-signature", s.record_signature), html! {
            input type="hidden" name="kind" value="signature";
            label for="signature-signatory" { (s.signatory) }
            select #signature-signatory name="signatory" required {
                @for u in signatories { option value=(u) { (u) } }
            }
            (image_field("signature"))
        }))
        (admin_form(t, form("record-stamp", s.record_stamp), html! {
            input type="hidden" name="kind" value="stamp";
            (image_field("stamp"))
        }))
        (admin_script(ui))
    }
}
