//! The Party admin's configuration pages: the fee schedule (amounts typed in the currency's
//! major units, sent and stored as integer minor units), and the stricter domestic measures
//! with the national list. They read the configuration from the command side (the
//! [`crate::ui::Directory`]), which is what the next decision will use.

use super::admin::{
    admin_form, admin_script, require_admin, species_field, species_options, species_search,
    AdminForm,
};
use super::*;
use crate::ui::text::{admin as admin_text, AdminText};

/// Decimal places of a currency's minor unit (ISO 4217); 2 unless listed. `app.js` holds the
/// same table for the forms (`digits`): change both together.
pub(super) fn exponent(currency: &str) -> u32 {
    const ZERO: &[&str] = &[
        "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND",
        "VUV", "XAF", "XOF", "XPF",
    ];
    const THREE: &[&str] = &["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"];
    if ZERO.contains(&currency) {
        0
    } else if THREE.contains(&currency) {
        3
    } else {
        2
    }
}

/// Integer minor units as a decimal in major units: 2500 USD → "25.00", 2500 JPY → "2500".
pub(super) fn major(minor: i64, currency: &str) -> String {
    let e = exponent(currency);
    if e == 0 {
        return minor.to_string();
    }
    let scale = 10u64.pow(e);
    let sign = if minor < 0 { "-" } else { "" };
    let m = minor.unsigned_abs();
    format!(
        "{sign}{}.{:0width$}",
        m / scale,
        m % scale,
        width = e as usize
    )
}

async fn config(ui: &Ui, ctx: &Ctx) -> Result<Value, ApiError> {
    let directory = ui
        .login
        .directory()
        .ok_or_else(|| ApiError::NotFound("the Party's configuration is not available".into()))?;
    directory
        .config(ctx.party)
        .await
        .ok_or_else(|| ApiError::NotFound("the Party's configuration is not available".into()))
}

pub(in crate::ui) async fn admin_fees(
    State(ui): State<Arc<Ui>>,
    Extension(ctx): Extension<Ctx>,
    headers: HeaderMap,
) -> Response {
    let lang = lang(&headers);
    let result = async {
        require_admin(&ctx)?;
        let c = config(&ui, &ctx).await?;
        Ok((
            admin_text(lang).fees_title.to_string(),
            fees_body(&ui, &ctx, text(lang), admin_text(lang), &c),
        ))
    };
    done(&ui, &ctx, lang, result.await)
}

fn fees_body(ui: &Ui, ctx: &Ctx, t: &Text, a: &AdminText, c: &Value) -> Markup {
    let currency = txt(&c["currency"]);
    let rules = c["fees"].as_array().map(Vec::as_slice).unwrap_or(&[]);
    let amount = |v: &Value| major(v.as_i64().unwrap_or(0), &currency);
    let any = |v: &Value, name: &dyn Fn(&str) -> String| {
        if v.is_null() {
            a.any.to_string()
        } else {
            name(&txt(v))
        }
    };
    let form = AdminForm {
        key: "fees",
        command: format!("{}/api/{}/config/fees", ui.command_base, ctx.party),
        next: Some(ui.url(&format!("/{}/admin/fees", ctx.party))),
        result: None,
        legend: a.edit_fees,
        button: a.save_fees,
        command_id: true,
        confirm: None,
        species_url: None,
    };
    html! {
        p.hint { (a.fees_intro) }
        div.scroll tabindex="0" { table.list #fee-schedule {
            thead { tr {
                th scope="col" { "#" } th scope="col" { (t.document_type) } th scope="col" { (t.appendix) }
                th scope="col" { (a.base_fee) } th scope="col" { (a.per_line) } th scope="col" { (a.express) }
            } }
            tbody { @for (i, r) in rules.iter().enumerate() { tr {
                td { (i + 1) }
                td { (any(&r["document_type"], &|d| t.document_type(d).to_string())) }
                td { (any(&r["appendix"], &|x| x.to_string())) }
                td.num { (amount(&r["base"])) " " (currency) }
                td.num { (amount(&r["per_line"])) " " (currency) }
                td.num { (amount(&r["express_surcharge"])) " " (currency) }
            } } }
        } }
        (admin_form(t, form, html! {
            label for="fee-currency" { (a.currency) }
            input #fee-currency name="currency" value=(currency) required pattern="[A-Z]{3}" maxlength="3" autocapitalize="characters";
            p.hint { (a.amounts_hint) }
            @for (i, r) in rules.iter().chain(std::iter::once(&Value::Null)).enumerate() {
                (fee_row(t, a, i, r, &currency))
            }
        }))
        (admin_script(ui))
    }
}

/// One rule of the form (`r` null: a blank row, left out when its amounts stay empty).
fn fee_row(t: &Text, a: &AdminText, i: usize, r: &Value, currency: &str) -> Markup {
    let id = |f: &str| format!("fee-{i}-{f}");
    let value = |f: &str| {
        r.get(f)
            .and_then(Value::as_i64)
            .map(|m| major(m, currency))
            .unwrap_or_default()
    };
    let doc = txt(&r["document_type"]);
    let app = txt(&r["appendix"]);
    html! {
        fieldset.line data-row="rules" {
            legend { (a.rule) " " (i + 1) }
            div.field {
                label for=(id("doc")) { (t.document_type) }
                select id=(id("doc")) data-key="document_type" {
                    option value="" { (a.any) }
                    @for d in crate::permits::DOCUMENT_TYPES {
                        option value=(d) selected[*d == doc] { (t.document_type(d)) }
                    }
                }
            }
            div.field {
                label for=(id("app")) { (t.appendix) }
                select id=(id("app")) data-key="appendix" {
                    option value="" { (a.any) }
                    @for x in ["I", "II", "III"] { option value=(x) selected[x == app] { (x) } }
                }
            }
            @for (key, label) in [("base", a.base_fee), ("per_line", a.per_line), ("express_surcharge", a.express)] {
                div.field {
                    label for=(id(key)) { (label) }
                    input id=(id(key)) data-key=(key) data-type="minor" inputmode="decimal"
                        pattern="[0-9]+([.][0-9]+)?" value=(value(key));
                }
            }
        }
    }
}

pub(in crate::ui) async fn admin_measures(
    State(ui): State<Arc<Ui>>,
    Extension(ctx): Extension<Ctx>,
    headers: HeaderMap,
) -> Response {
    let lang = lang(&headers);
    let result = async {
        require_admin(&ctx)?;
        let c = config(&ui, &ctx).await?;
        let (t, a) = (text(lang), admin_text(lang));
        let body = html! {
            (measures(&ui, &ctx, t, a, lang, &c["domestic_measures"]))
            (national_list(&ui, &ctx, t, a, &c["national_list"]))
            (super::admin_entries::national_entries(&ui, &ctx, t, lang, &c["national_entries"]))
            (species_options())
            (admin_script(&ui))
        };
        Ok((a.measures_title.to_string(), body))
    };
    done(&ui, &ctx, lang, result.await)
}

fn measures(ui: &Ui, ctx: &Ctx, t: &Text, a: &AdminText, lang: Lang, list: &Value) -> Markup {
    let items = list.as_array().map(Vec::as_slice).unwrap_or(&[]);
    let base = format!("{}/api/{}/config", ui.command_base, ctx.party);
    let here = ui.url(&format!("/{}/admin/measures", ctx.party));
    let codes = |v: &Value| {
        let all: Vec<String> = v
            .as_array()
            .map(|a| a.iter().map(txt).collect())
            .unwrap_or_default();
        if all.is_empty() {
            a.all.to_string()
        } else {
            all.join(", ")
        }
    };
    let lists = codes::lists();
    let add = AdminForm {
        key: "add-measure",
        command: format!("{base}/domestic-measures/{{id}}"),
        next: Some(here.clone()),
        result: None,
        legend: a.add_measure,
        button: a.add_measure,
        command_id: true,
        confirm: None,
        species_url: species_search(ui, ctx),
    };
    html! {
        h2 { (a.domestic_measures) }
        p.hint { (a.measures_intro) }
        @if items.is_empty() { p.empty { (a.no_measures) } }
        @for m in items {
            @let id = txt(&m["id"]);
            section.card.measure data-measure=(id) {
                h3 { (id) " · " em { (txt(&m["scientific_name"])) } }
                p { (txt(&m["description"])) }
                p { (a.banned_purposes) ": " (codes(&m["banned_purposes"])) " · "
                    (a.banned_sources) ": " (codes(&m["banned_sources"])) }
                (admin_form(t, AdminForm {
                    key: "revoke-measure",
                    command: format!("{base}/domestic-measures/{id}/revoke"),
                    next: Some(here.clone()), result: None, legend: "",
                    button: a.revoke, command_id: true, confirm: None,
        species_url: None,
                }, html! {
                    label for=(format!("revoke-{id}")) { (t.reason) }
                    input id=(format!("revoke-{id}")) name="reason" required;
                }))
            }
        }
        (admin_form(t, add, html! {
            label for="measure-id" { (a.measure_id) }
            input #measure-id name="id" required pattern="[A-Za-z0-9._-]+" aria-describedby="measure-id-hint";
            p.hint #measure-id-hint { (a.measure_id_hint) }
            (species_field(t, "measure-species"))
            label for="measure-description" { (a.description) }
            input #measure-description name="description" required;
            (checkboxes("banned_purposes", a.banned_purposes, a.all_if_none, &lists.purposes, lang))
            (checkboxes("banned_sources", a.banned_sources, a.all_if_none, &lists.sources, lang))
        }))
    }
}

fn checkboxes(name: &str, legend: &str, hint: &str, list: &[codes::Code], lang: Lang) -> Markup {
    html! {
        fieldset.checks {
            legend { (legend) }
            p.hint { (hint) }
            @for c in list {
                @let id = format!("{name}-{}", c.code());
                span.check {
                    input type="checkbox" id=(id) name=(name) value=(c.code()) data-type="checked";
                    label for=(id) { (c.code()) " – " (c.name(lang)) }
                }
            }
        }
    }
}

fn national_list(ui: &Ui, ctx: &Ctx, t: &Text, a: &AdminText, list: &Value) -> Markup {
    let items = list.as_array().map(Vec::as_slice).unwrap_or(&[]);
    let base = format!("{}/api/{}/config/national-list", ui.command_base, ctx.party);
    let here = ui.url(&format!("/{}/admin/measures", ctx.party));
    html! {
        h2 { (a.national_list) }
        p.hint { (a.national_list_intro) }
        @if items.is_empty() { p.empty { (a.no_national_list) } }
        @else { div.scroll tabindex="0" { table.list #national-list {
            thead { tr { th scope="col" { (t.species) } th scope="col" { (t.note) } th scope="col" { (t.actions) } } }
            tbody { @for n in items {
                @let taxon = txt(&n["taxon_id"]);
                tr { td { em { (txt(&n["scientific_name"])) } } td { (txt(&n["note"])) }
                    td { (admin_form(t, AdminForm {
                        key: "remove-national", command: format!("{base}/{taxon}/remove"),
                        next: Some(here.clone()), result: None, legend: "",
                        button: a.remove, command_id: true, confirm: None,
        species_url: None,
                    }, html! {})) } }
            } }
        } } }
        (admin_form(t, AdminForm {
            key: "add-national", command: base.clone(), next: Some(here.clone()), result: None,
            legend: a.add_national, button: a.add_national, command_id: true, confirm: None,
        species_url: species_search(ui, ctx),
        }, html! {
            (species_field(t, "national-species"))
            label for="national-note" { (t.note) }
            input #national-note name="note";
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minor_units_show_in_the_currencys_major_units() {
        assert_eq!(major(2500, "USD"), "25.00");
        assert_eq!(major(5, "LKR"), "0.05");
        assert_eq!(major(2500, "JPY"), "2500");
        assert_eq!(major(1234, "KWD"), "1.234");
        assert_eq!(major(-150, "EUR"), "-1.50");
    }
}
