//! Home (each role's work queue) and the customs search by number.

use super::*;

fn list_params(extra: &[(&str, &str)]) -> Params {
    let mut q: Vec<(String, String)> = vec![("per_page".into(), "50".into())];
    q.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    Query(q)
}

pub(in crate::ui) async fn home(
    State(ui): State<Arc<Ui>>,
    Extension(ctx): Extension<Ctx>,
    headers: HeaderMap,
) -> Response {
    let lang = lang(&headers);
    let result = home_body(&ui, &ctx, text(lang)).await;
    done(&ui, &ctx, lang, result)
}

async fn home_body(ui: &Ui, ctx: &Ctx, t: &Text) -> Result<(String, Markup), ApiError> {
    let state = ui.query.clone();
    let role = ctx.viewer.role.as_str();
    let queue = || async {
        json_of(
            permits::work_queue(
                State(state.clone()),
                Extension(ctx.clone()),
                list_params(&[]),
                HeaderMap::new(),
            )
            .await,
        )
        .await
    };
    let all = || async {
        json_of(
            permits::list(
                State(state.clone()),
                Extension(ctx.clone()),
                list_params(&[]),
                HeaderMap::new(),
            )
            .await,
        )
        .await
    };
    let body = match role {
        "trader" => {
            let q = queue().await?;
            let mine = all().await?;
            html! {
                p { a.button href=(ui.url(&format!("/{}/apply", ctx.party))) #apply { (t.apply) } }
                h2 { (t.work_queue) }
                (permit_table(ui, ctx, t, &q["items"], t.queue_empty))
                h2 { (t.my_applications) }
                (permit_table(ui, ctx, t, &mine["items"], t.no_permits))
            }
        }
        "customs" => {
            let q = queue().await?;
            html! {
                (find_form(ui, ctx, t, ""))
                h2 { (t.work_queue) }
                (permit_table(ui, ctx, t, &q["items"], t.queue_empty))
            }
        }
        "ma_officer" | "sa_expert" | "ma_signatory" => {
            let q = queue().await?;
            html! {
                h2 { (t.work_queue) }
                (permit_table(ui, ctx, t, &q["items"], t.queue_empty))
            }
        }
        _ => {
            let list = all().await?;
            html! {
                h2 { (t.all_permits) }
                (permit_table(ui, ctx, t, &list["items"], t.no_permits))
            }
        }
    };
    Ok((t.role(role).to_string(), body))
}

pub(super) fn status_class(status: &str) -> &'static str {
    match status {
        "issued" | "approved" => "good",
        "used" | "expired" | "cancelled" | "replaced" | "lost" | "rejected" | "withdrawn" => "bad",
        _ => "neutral",
    }
}

fn permit_table(ui: &Ui, ctx: &Ctx, t: &Text, items: &Value, empty: &str) -> Markup {
    let items = items.as_array().map(Vec::as_slice).unwrap_or(&[]);
    html! {
        @if items.is_empty() {
            p.empty { (empty) }
        } @else {
            div.scroll {
                table.list {
                    thead { tr {
                        th scope="col" { (t.permit) }
                        th scope="col" { (t.document_type) }
                        th scope="col" { (t.species) }
                        th scope="col" { (t.status) }
                        th scope="col" { (t.submitted_at) }
                    } }
                    tbody {
                        @for p in items {
                            @let id = txt(&p["permit_id"]);
                            @let status = txt(&p["status"]);
                            tr {
                                td { a href=(ui.url(&format!("/{}/permits/{id}", ctx.party))) {
                                    @if p["permit_number"].is_string() { (txt(&p["permit_number"])) }
                                    @else { (t.application) " " (id.get(..8).unwrap_or(&id)) }
                                } }
                                td { (t.document_type(&txt(&p["document_type"]))) }
                                td { (txt(&p["species"])) }
                                td { span class=(format!("badge {}", status_class(&status))) { (t.status(&status)) } }
                                td { (when(&p["submitted_at"])) }
                            }
                        }
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Customs: find a permit by number

fn find_form(ui: &Ui, ctx: &Ctx, t: &Text, number: &str) -> Markup {
    html! {
        form.card.find method="get" action=(ui.url(&format!("/{}/find", ctx.party))) role="search" {
            label for="number" { (t.permit_number) }
            div.row {
                input #number name="number" value=(number) required inputmode="text" autocapitalize="characters" placeholder=(format!("{}/2026/000001", ctx.party));
                button type="submit" { (t.find) }
            }
        }
    }
}

pub(in crate::ui) async fn find(
    State(ui): State<Arc<Ui>>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Params,
    headers: HeaderMap,
) -> Response {
    let lang = lang(&headers);
    let t = text(lang);
    let number = param(&q, "number").unwrap_or("").trim().to_string();
    if number.is_empty() {
        let body = find_form(&ui, &ctx, t, "");
        return done(&ui, &ctx, lang, Ok((t.find_permit.into(), body)));
    }
    let found = json_of(
        permits::lookup(
            State(ui.query.clone()),
            Extension(ctx.clone()),
            Query(vec![("number".into(), number.clone())]),
        )
        .await,
    )
    .await;
    match found {
        Ok(p) => Redirect::to(&ui.url(&format!("/{}/permits/{}", ctx.party, txt(&p["permit_id"]))))
            .into_response(),
        Err(ApiError::NotFound(_)) => {
            let body = html! {
                p.banner.bad role="alert" #not-found { (t.permit_not_found) }
                (find_form(&ui, &ctx, t, &number))
            };
            done(&ui, &ctx, lang, Ok((t.find_permit.into(), body)))
        }
        Err(e) => done(&ui, &ctx, lang, Err(e)),
    }
}
