//! The national entries on the admin's measures page: what the Party recorded itself
//! (suspensions, reservations, Appendix III listings), with the Notification each comes from,
//! and the forms that record and lift them through the command API.

use super::admin::{admin_form, species_field, species_search, AdminForm};
use super::*;
use crate::ui::text::entries::{of as entries_text, EntriesText};

fn kind_name<'t>(e: &'t EntriesText, kind: &str) -> &'t str {
    match kind {
        "suspension" => e.suspension,
        "reservation" => e.reservation,
        "appendix_iii" => e.appendix_iii,
        _ => "",
    }
}

/// What the entry says beyond its kind: the suspended country, the reserved appendix, the
/// annotation.
fn detail(e: &EntriesText, entry: &Value) -> String {
    match entry["kind"].as_str() {
        Some("suspension") => {
            let way = if entry["applies_to_import"] == true {
                "→ "
            } else {
                "← "
            };
            format!("{way}{}", txt(&entry["country"]))
        }
        Some("reservation") => format!("{} {}", e.appendix, txt(&entry["appendix"])),
        _ => txt(&entry["annotation"]),
    }
}

pub(super) fn national_entries(ui: &Ui, ctx: &Ctx, t: &Text, lang: Lang, list: &Value) -> Markup {
    let e = entries_text(lang);
    let items = list.as_array().map(Vec::as_slice).unwrap_or(&[]);
    let base = format!(
        "{}/api/{}/config/national-entries",
        ui.command_base, ctx.party
    );
    let here = ui.url(&format!("/{}/admin/measures", ctx.party));
    let form = |key: &'static str, legend: &'static str| AdminForm {
        key,
        command: format!("{base}/{{id}}"),
        next: Some(here.clone()),
        result: None,
        legend,
        button: legend,
        command_id: true,
        confirm: None,
        species_url: species_search(ui, ctx),
    };
    let common = |prefix: &str| {
        html! {
            label for=(format!("{prefix}-id")) { (e.entry_id) }
            input id=(format!("{prefix}-id")) name="id" required pattern="[A-Za-z0-9._-]+";
            label for=(format!("{prefix}-notification")) { (e.notification) }
            input id=(format!("{prefix}-notification")) name="notification" required;
            label for=(format!("{prefix}-starts")) { (e.starts_on) }
            input id=(format!("{prefix}-starts")) name="starts_on" type="date" required;
            label for=(format!("{prefix}-ends")) { (e.ends_on) }
            input id=(format!("{prefix}-ends")) name="ends_on" type="date";
        }
    };
    html! {
        h2 { (e.title) }
        p.hint { (e.intro) }
        @if items.is_empty() { p.empty { (e.none) } }
        @else { div.scroll tabindex="0" { table.list #national-entries {
            thead { tr {
                th scope="col" { (e.entry_id) } th scope="col" { (e.kind) } th scope="col" { (t.species) }
                th scope="col" { (e.notification) } th scope="col" { (e.starts_on) } th scope="col" { (e.ends_on) }
                th scope="col" { (e.source) } th scope="col" { (t.actions) }
            } }
            tbody { @for n in items {
                @let id = txt(&n["id"]);
                tr data-entry=(id) {
                    td { (id) }
                    td { (kind_name(e, n["entry"]["kind"].as_str().unwrap_or(""))) " " (detail(e, &n["entry"])) }
                    td { @if n["scientific_name"].is_null() { (e.every_taxon) } @else { em { (txt(&n["scientific_name"])) } } }
                    td { (txt(&n["notification"])) }
                    td { (txt(&n["starts_on"])) }
                    td { @if n["ends_on"].is_null() { (e.until_lifted) } @else { (txt(&n["ends_on"])) } }
                    td { (e.national) }
                    td { @if n["ends_on"].is_null() {
                        (admin_form(t, AdminForm {
                            key: "lift-entry", command: format!("{base}/{id}/lift"),
                            next: Some(here.clone()), result: None, legend: "",
                            button: e.lift, command_id: true, confirm: None, species_url: None,
                        }, html! {
                            label for=(format!("lift-{id}-on")) { (e.lifted_on) }
                            input id=(format!("lift-{id}-on")) name="lifted_on" type="date" required;
                            label for=(format!("lift-{id}-reason")) { (t.reason) }
                            input id=(format!("lift-{id}-reason")) name="reason" required;
                        }))
                    } }
                }
            } }
        } } }
        (admin_form(t, form("record-suspension", e.record_suspension), html! {
            input type="hidden" name="entry.kind" value="suspension";
            label for="suspension-country" { (e.country) }
            input #suspension-country name="entry.country" required pattern="[A-Za-z]{2}" maxlength="2";
            span.check {
                input #suspension-import type="checkbox" name="entry.applies_to_import" data-type="bool";
                label for="suspension-import" { (e.applies_to_import) }
            }
            (species_field(t, "suspension-species"))
            (common("suspension"))
        }))
        (admin_form(t, form("record-reservation", e.record_reservation), html! {
            input type="hidden" name="entry.kind" value="reservation";
            label for="reservation-appendix" { (e.appendix) }
            select #reservation-appendix name="entry.appendix" { option value="I" { "I" } option value="II" { "II" } }
            (species_field(t, "reservation-species"))
            (common("reservation"))
        }))
        (admin_form(t, form("record-listing", e.record_listing), html! {
            input type="hidden" name="entry.kind" value="appendix_iii";
            label for="listing-annotation" { (e.annotation) }
            input #listing-annotation name="entry.annotation";
            (species_field(t, "listing-species"))
            (common("listing"))
        }))
    }
}
