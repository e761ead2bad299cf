//! The Party admin's export quotas (from the read models: annual, reserved by issued permits,
//! used by endorsements) and the species import with its progress.

use super::admin::{
    admin_form, admin_script, require_admin, species_field, species_options, species_search,
    AdminForm,
};
use super::*;
use crate::ui::text::{admin as admin_text, AdminText};

pub(in crate::ui) async fn admin_quotas(
    State(ui): State<Arc<Ui>>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Params,
    headers: HeaderMap,
) -> Response {
    let lang = lang(&headers);
    let year = param(&q, "year")
        .and_then(|y| y.parse::<i32>().ok())
        .unwrap_or_else(|| time::OffsetDateTime::now_utc().year());
    let result = async {
        require_admin(&ctx)?;
        let list = json_of(
            catalogue::quotas(
                State(ui.query.clone()),
                Extension(ctx.clone()),
                Query(vec![
                    ("year".into(), year.to_string()),
                    ("per_page".into(), "500".into()),
                ]),
                HeaderMap::new(),
            )
            .await,
        )
        .await?;
        let (t, a) = (text(lang), admin_text(lang));
        Ok((
            a.quotas_title.to_string(),
            quotas_body(&ui, &ctx, t, a, lang, year, &list["items"]),
        ))
    };
    done(&ui, &ctx, lang, result.await)
}

fn quotas_body(
    ui: &Ui,
    ctx: &Ctx,
    t: &Text,
    a: &AdminText,
    lang: Lang,
    year: i32,
    items: &Value,
) -> Markup {
    let items = items.as_array().map(Vec::as_slice).unwrap_or(&[]);
    let lists = codes::lists();
    let form = AdminForm {
        key: "set-quota",
        command: format!("{}/api/{}/quotas/{{quota_id}}", ui.command_base, ctx.party),
        next: Some(ui.url(&format!("/{}/admin/quotas?year={year}", ctx.party))),
        result: None,
        legend: a.set_quota,
        button: a.set_quota,
        command_id: true,
        confirm: None,
        species_url: species_search(ui, ctx),
    };
    html! {
        p.hint { (a.quotas_intro) }
        form.inline method="get" {
            label for="year" { (t.year) }
            input #year name="year" type="number" min="1975" max="2100" value=(year);
            button type="submit" { (t.show) }
        }
        @if items.is_empty() { p.empty { (a.no_quotas) } }
        @else { div.scroll tabindex="0" { table.list #quotas {
            thead { tr {
                th scope="col" { (a.quota_id) } th scope="col" { (t.species) } th scope="col" { (t.term) }
                th scope="col" { (t.unit) } th scope="col" { (t.source) } th scope="col" { (a.annual) }
                th scope="col" { (a.reserved) } th scope="col" { (a.used) } th scope="col" { (a.remaining) }
                th scope="col" { (t.actions) }
            } }
            tbody { @for q in items { tr data-quota=(txt(&q["quota_id"])) {
                td { (txt(&q["quota_id"])) } td { em { (txt(&q["scientific_name"])) } }
                td { (txt(&q["term"])) } td { (txt(&q["unit"])) } td { (txt(&q["source"])) }
                td.num { (txt(&q["annual"])) } td.num { (txt(&q["reserved"])) }
                td.num { (txt(&q["used"])) } td.num { (txt(&q["remaining"])) }
                td { button.secondary type="button" data-fill="set-quota" data-values=(revision(q).to_string())
                    aria-label=(format!("{} {}", a.revise, txt(&q["quota_id"]))) { (a.revise) } }
            } } }
        } } }
        (admin_form(t, form, html! {
            label for="quota-id" { (a.quota_id) }
            input #quota-id name="quota_id" required pattern="[A-Za-z0-9._-]+" aria-describedby="quota-id-hint";
            p.hint #quota-id-hint { (a.quota_id_hint) }
            (species_field(t, "quota-species"))
            label for="quota-year" { (t.year) }
            input #quota-year name="year" type="number" data-type="number" required min="1975" max="2100" value=(year);
            label for="quota-annual" { (a.annual) }
            input #quota-annual name="annual" required inputmode="decimal" pattern="[0-9]+([.][0-9]{1,3})?";
            (code_select("quota-term", "term", t.term, a.any, &lists.terms, lang))
            (code_select("quota-unit", "unit", t.unit, t.unit_none, &lists.units, lang))
            (code_select("quota-source", "source", t.source, a.any, &lists.sources, lang))
            label for="quota-notes" { (t.note) }
            input #quota-notes name="notes";
            span.check {
                input #quota-domestic type="checkbox" name="domestic" data-type="bool";
                label for="quota-domestic" { (a.domestic_quota) }
            }
        }))
        (species_options())
        (admin_script(ui))
    }
}

/// A quota's values as the form's fields, for "Revise" to fill the form with.
fn revision(q: &Value) -> Value {
    json!({
        "quota_id": q["quota_id"], "species": q["scientific_name"], "year": q["year"],
        "annual": q["annual"], "term": q["term"], "unit": q["unit"], "source": q["source"],
        "notes": q["notes"], "domestic": q["domestic"],
    })
}

fn code_select(
    id: &str,
    name: &str,
    label: &str,
    none: &str,
    list: &[codes::Code],
    lang: Lang,
) -> Markup {
    html! {
        label for=(id) { (label) }
        select id=(id) name=(name) {
            option value="" { (none) }
            @for c in list { option value=(c.code()) { (c.code()) " – " (c.name(lang)) } }
        }
    }
}

pub(in crate::ui) async fn admin_species(
    State(ui): State<Arc<Ui>>,
    Extension(ctx): Extension<Ctx>,
    headers: HeaderMap,
) -> Response {
    let lang = lang(&headers);
    let sources = ui
        .login
        .directory()
        .map_or((false, false), |d| d.import_sources());
    let result = require_admin(&ctx).map(|()| {
        let (t, a) = (text(lang), admin_text(lang));
        (
            a.species_title.to_string(),
            species_body(&ui, &ctx, t, a, sources),
        )
    });
    done(&ui, &ctx, lang, result)
}

fn species_body(
    ui: &Ui,
    ctx: &Ctx,
    t: &Text,
    a: &AdminText,
    (saved, live): (bool, bool),
) -> Markup {
    let api = format!("{}/api/{}/species/import", ui.command_base, ctx.party);
    // The progress region's words, for the script (steps by key, then the counters).
    let steps: Value = a
        .import_steps
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect::<serde_json::Map<_, _>>()
        .into();
    html! {
        p.hint { (a.species_intro) }
        @if !saved && !live {
            p.banner.bad role="alert" { (a.no_import_source) }
        } @else {
            form.card #species-import data-command=(api) data-t-refused=(t.refused) novalidate {
                fieldset.checks {
                    legend { (a.import_source) }
                    @if saved { span.check {
                        input #source-saved type="radio" name="source" value="saved" checked;
                        label for="source-saved" { (a.source_saved) }
                    } }
                    @if live { span.check {
                        input #source-live type="radio" name="source" value="live" checked[!saved];
                        label for="source-live" { (a.source_live) }
                    } }
                }
                button type="submit" { (a.start_import) }
                div.problem role="alert" aria-live="assertive" tabindex="-1" {}
            }
        }
        section.card #import-progress hidden aria-labelledby="import-heading"
            data-steps=(steps.to_string()) data-t-running=(a.running) data-t-done=(a.import_done)
            data-t-failed=(a.import_failed) data-t-new=(a.taxa_new) data-t-changed=(a.taxa_changed)
            data-t-already=(a.taxa_already_recorded) {
            h2 #import-heading { (a.import_progress) }
            p #import-state role="status" aria-live="polite" {}
            progress #import-bar max="1" value="0" aria-labelledby="import-heading" {}
            dl.facts {
                dt { (a.taxa_read) } dd #import-read { "–" }
                dt { (a.taxa_recorded) } dd #import-recorded { "0" }
                dt { (a.taxa_unchanged) } dd #import-unchanged { "–" }
                dt { (a.errors) } dd #import-errors { "0" }
            }
            ul #import-error-list {}
            p #import-report {}
        }
        (admin_script(ui))
    }
}
