//! The trader's application form and the species picker.

use super::*;

pub(in crate::ui) async fn species(
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

pub(in crate::ui) async fn apply(
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
