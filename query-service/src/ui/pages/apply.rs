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
        return Json(with_quotas(&ui, &ctx, items).await).into_response();
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
            Json(with_quotas(&ui, &ctx, items).await).into_response()
        }
        Err(e) => e.into_response(),
    }
}

/// Species, term, unit, annual and taken (reserved + used), in thousandths.
type QuotaRow = (String, Option<String>, Option<String>, i64, i64);

/// This year's quotas of each species picked, so the trader is warned before filing that a
/// quota is used up (QUOTA-EXCEEDED would refuse the issuance). Reserved and used both count:
/// a reservation is a permit already issued against the quota.
async fn with_quotas(ui: &Ui, ctx: &Ctx, mut items: Vec<Value>) -> Vec<Value> {
    let names: Vec<String> = items.iter().map(|s| txt(&s["name"])).collect();
    let year = time::OffsetDateTime::now_utc().year();
    let rows: Result<Vec<QuotaRow>, _> = sqlx::query_as(
        "SELECT scientific_name, term, unit, annual_thousandths, \
         reserved_thousandths + used_thousandths FROM quotas \
         WHERE party = $1 AND year = $2 AND scientific_name = ANY($3) ORDER BY quota_id",
    )
    .bind(ctx.party())
    .bind(year)
    .bind(&names)
    .fetch_all(&ui.query.pool)
    .await;
    // The picker still helps without the quotas; the dry run and the issuance check them.
    let rows = rows.unwrap_or_else(|e| {
        tracing::warn!(error = %e, "species picker: quotas not read");
        vec![]
    });
    for item in &mut items {
        let name = txt(&item["name"]);
        let quotas: Vec<Value> = rows
            .iter()
            .filter(|r| r.0 == name)
            .map(|(_, term, unit, annual, taken)| {
                json!({"term": term, "unit": unit, "annual": crate::listing::decimal(*annual),
                    "taken": crate::listing::decimal(*taken), "exhausted": taken >= annual})
            })
            .collect();
        item["over_quota"] = json!(quotas.iter().any(|q| q["exhausted"] == true));
        item["quotas"] = json!(quotas);
    }
    items
}

/// A line of the form, blank or as filed before (`prefill`: a row of the permit's `lines`).
fn line_fields(t: &Text, lang: Lang, i: usize, prefill: Option<&Value>) -> Markup {
    let lists = codes::lists();
    let name = |f: &str| format!("application.lines.{i}.{f}");
    let id = |f: &str| format!("line-{i}-{f}");
    let was = |f: &str, default: &str| {
        prefill
            .map(|l| txt(&l[f]))
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| default.to_string())
    };
    let (source, purpose, term, unit) = (
        was("source", "W"),
        was("purpose", "T"),
        was("term", "LIV"),
        was("unit", ""),
    );
    html! {
        fieldset.line data-line=(i) {
            legend { (t.line) " " span.line-no { (i + 1) } }
            div.field.wide {
                label for=(id("species")) { (t.species) }
                input id=(id("species")) name=(name("species")) required list="species-options" data-species autocomplete="off" aria-describedby=(id("species-info")) value=(was("scientific_name", ""));
                p.hint id=(id("species-info")) aria-live="polite" data-species-info { (t.species_hint) }
            }
            div.field {
                label for=(id("source")) { (t.source) }
                select id=(id("source")) name=(name("source")) required {
                    @for c in &lists.sources {
                        option value=(c.code()) selected[c.code() == source] { (c.code()) " – " (c.name(lang)) }
                    }
                }
            }
            div.field {
                label for=(id("purpose")) { (t.purpose) }
                select id=(id("purpose")) name=(name("purpose")) required {
                    @for c in &lists.purposes {
                        option value=(c.code()) selected[c.code() == purpose] { (c.code()) " – " (c.name(lang)) }
                    }
                }
            }
            div.field {
                label for=(id("term")) { (t.term) }
                select id=(id("term")) name=(name("term")) required {
                    @for c in &lists.terms {
                        option value=(c.code()) selected[c.code() == term] { (c.code()) " – " (c.name(lang)) }
                    }
                }
            }
            div.field {
                label for=(id("quantity")) { (t.quantity) }
                input id=(id("quantity")) name=(name("quantity")) required inputmode="decimal" pattern="[0-9]+([.][0-9]+)?" value=(was("quantity", ""));
            }
            div.field {
                label for=(id("unit")) { (t.unit) }
                select id=(id("unit")) name=(name("unit")) {
                    option value="" { (t.unit_none) }
                    @for c in &lists.units {
                        option value=(c.code()) selected[c.code() == unit] { (c.code()) " – " (c.name(lang)) }
                    }
                }
            }
            button.link.remove-line type="button" data-remove-line hidden[i == 0] { (t.remove_line) }
        }
    }
}

/// What the application form is for: a new application, or the answer to a return.
pub(super) enum FormFor<'a> {
    Submit,
    /// The returned application `id` as filed (the permit's JSON).
    Resubmit {
        id: &'a str,
        permit: &'a Value,
    },
}

/// The application form: document type, countries, lines, supporting documents, the fee and
/// the rule checks as the form changes (the command API's dry run), and the submit button.
pub(super) fn application_form(ui: &Ui, ctx: &Ctx, lang: Lang, purpose: FormFor<'_>) -> Markup {
    let t = text(lang);
    let tt = trader_text(lang);
    let party = ctx.party;
    let api = format!("{}/api/{party}", ui.command_base);
    let (command, next, permit_id, filed, button) = match &purpose {
        FormFor::Submit => (
            format!("{api}/permits"),
            ui.url(&format!("/{party}/permits/{{id}}")),
            String::new(),
            None,
            t.submit_application,
        ),
        FormFor::Resubmit { id, permit } => (
            format!("{api}/permits/{id}/resubmit"),
            ui.url(&format!("/{party}/permits/{id}")),
            id.to_string(),
            Some(*permit),
            tt.resubmit,
        ),
    };
    let was = |f: &str| filed.map(|p| txt(&p[f])).unwrap_or_default();
    let doc_type = was("document_type");
    let lines: Vec<Option<&Value>> = match filed.and_then(|p| p["lines"].as_array()) {
        Some(l) if !l.is_empty() => l.iter().map(Some).collect(),
        _ => vec![None],
    };
    let documents: Vec<String> = filed
        .and_then(|p| p["state"]["content"]["supporting_documents"].as_array())
        .map(|d| d.iter().map(txt).collect())
        .unwrap_or_default();
    html! {
        form.card.command #application
            data-command=(command)
            data-next=(next)
            data-assess=(format!("{api}/permits/assess"))
            data-permit-id=(permit_id)
            data-upload=(format!("{api}/documents"))
            data-species-url=(ui.url(&format!("/{party}/species")))
            data-t-appendix=(t.appendix) data-t-not-listed=(t.not_listed) data-t-suspended=(t.suspended) data-t-over-quota=(t.over_quota) data-t-quota=(t.quota_this_year)
            data-t-working=(t.working) data-t-refused=(t.refused)
            data-t-fee=(tt.fee_if_filed_now) data-t-no-fee=(tt.fee_unknown)
            data-t-would-refuse=(tt.would_be_refused) data-t-would-accept=(tt.would_be_accepted) data-t-checks-passed=(tt.checks_passed)
            data-t-warning=(t.warning) data-t-remove=(tt.remove_document)
            data-t-uploading=(tt.uploading) data-t-upload-failed=(tt.upload_failed)
            method="post" novalidate {
            input type="hidden" name="command_id" value=(Uuid::now_v7());
            div.field {
                label for="document_type" { (t.document_type) }
                select #document_type name="application.document_type" required {
                    @for (code, name) in t.document_types {
                        option value=(code) selected[*code == doc_type] { (name) }
                    }
                }
            }
            div.field {
                label for="exporting_country" { (t.exporting_country) }
                input #exporting_country name="application.exporting_country" maxlength="2" pattern="[A-Z]{2}" autocapitalize="characters" aria-describedby="exporting-hint" value=(was("exporting_country"));
                p.hint #exporting-hint { (t.exporting_country_hint) }
            }
            div.field {
                label for="importing_country" { (t.importing_country) }
                input #importing_country name="application.importing_country" maxlength="2" pattern="[A-Z]{2}" autocapitalize="characters" aria-describedby="importing-hint" value=(was("importing_country"));
                p.hint #importing-hint { (t.country_hint) }
            }
            div #lines {
                @for (i, l) in lines.iter().enumerate() { (line_fields(t, lang, i, *l)) }
            }
            datalist #species-options {}
            p { button.secondary type="button" data-add-line { (t.add_line) } }
            (documents_field(tt, &documents))
            section #fee-preview.card.preview aria-live="polite" aria-labelledby="fee-preview-title" {
                h2 #fee-preview-title { (tt.fee_and_checks) }
                p #fee-preview-body { (tt.fee_preview_hint) }
            }
            button type="submit" { (button) }
            div.problem role="alert" aria-live="assertive" tabindex="-1" {}
        }
    }
}

/// Supporting documents: files uploaded as they are picked (content-addressed by SHA-256);
/// each kept one is a hidden `supporting_documents` entry of the application.
fn documents_field(tt: &TraderText, documents: &[String]) -> Markup {
    html! {
        fieldset.documents {
            legend { (tt.supporting_documents) }
            label for="document-file" { (tt.attach_files) }
            input #document-file type="file" multiple data-document-file aria-describedby="document-hint";
            p.hint #document-hint { (tt.attach_hint) }
            ul #documents-list aria-live="polite" {
                @for (i, sha) in documents.iter().enumerate() {
                    li data-sha256=(sha) {
                        code { (sha.get(..12).unwrap_or(sha)) "…" }
                        input type="hidden" name=(format!("application.supporting_documents.{i}")) value=(sha);
                        " " button.link type="button" data-remove-document { (tt.remove_document) }
                    }
                }
            }
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
    let body = application_form(&ui, &ctx, lang, FormFor::Submit);
    done(&ui, &ctx, lang, Ok((t.apply_title.into(), body)))
}
