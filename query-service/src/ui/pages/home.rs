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
    let result = home_body(&ui, &ctx, lang).await;
    done(&ui, &ctx, lang, result)
}

async fn home_body(ui: &Ui, ctx: &Ctx, lang: Lang) -> Result<(String, Markup), ApiError> {
    let (t, tt) = (text(lang), trader_text(lang));
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
                p.links {
                    a.button href=(ui.url(&format!("/{}/apply", ctx.party))) #apply { (t.apply) }
                    " "
                    a #organisation-link href=(ui.url(&format!("/{}/organisation", ctx.party))) { (tt.my_organisation) }
                }
                h2 { (t.work_queue) }
                (permit_table(ui, ctx, t, &q["items"], t.queue_empty))
                h2 { (t.my_applications) }
                (permit_table(ui, ctx, t, &mine["items"], t.no_permits))
            }
        }
        "customs" => {
            let q = queue().await?;
            html! {
                (find_form(ui, ctx, t, trader_text(lang), ""))
                h2 { (t.work_queue) }
                (permit_table(ui, ctx, t, &q["items"], t.queue_empty))
            }
        }
        "ma_officer" | "sa_expert" | "ma_signatory" => {
            let q = queue().await?;
            html! {
                @if role != "sa_expert" {
                    p { a #organisations-link href=(ui.url(&format!("/{}/organisations", ctx.party))) { (tt.organisations) } }
                }
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
            div.scroll tabindex="0" {
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

/// Find by number, or by the content of the permit's QR code (pasted, typed, or read by the
/// phone's camera where the browser offers `BarcodeDetector`: the script reveals the button).
pub(super) fn find_form(ui: &Ui, ctx: &Ctx, t: &Text, tt: &TraderText, number: &str) -> Markup {
    html! {
        form.card.find method="get" action=(ui.url(&format!("/{}/find", ctx.party))) role="search" {
            label for="number" { (tt.number_or_qr) }
            div.row {
                input #number name="number" value=(number) required inputmode="text" autocapitalize="characters" placeholder=(format!("{}/2026/000001", ctx.party)) aria-describedby="number-hint";
                button type="submit" { (t.find) }
            }
            p.hint #number-hint { (tt.number_or_qr_hint) }
            button.secondary type="button" data-scan hidden data-t-scanning=(tt.scanning) data-t-no-camera=(tt.no_camera) { (tt.scan_qr) }
            video #scan-video hidden playsinline muted aria-hidden="true" {}
            p.hint #scan-status aria-live="polite" {}
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
    let tt = trader_text(lang);
    let number = param(&q, "number").unwrap_or("").trim().to_string();
    if number.starts_with(ecites_cites::seal::PREFIX) {
        // A pasted or scanned seal: its permit number, and the seal itself to be held
        // against the one the ledger recorded.
        if let Ok(opened) = ecites_cites::seal::open(&number) {
            let query = super::verify::url_encoded(&[("n", &opened.claims.number), ("s", &number)]);
            return Redirect::to(&ui.url(&format!("/{}/verify?{query}", ctx.party)))
                .into_response();
        }
        let body = html! {
            (super::verify::qr_result(tt, false))
            (find_form(&ui, &ctx, t, tt, ""))
        };
        return done(&ui, &ctx, lang, Ok((t.find_permit.into(), body)));
    }
    if let Some((n, h)) = super::verify::parse_qr(&number) {
        let query = super::verify::url_encoded(&[("n", &n), ("h", &h)]);
        return Redirect::to(&ui.url(&format!("/{}/verify?{query}", ctx.party))).into_response();
    }
    if param(&q, "scanned") == Some("1") {
        // A QR code that is not a ledger link (a copied number, another system's code) names
        // no issuing event: it proves nothing, so it is shown as a mismatch, not looked up.
        let body = html! {
            (super::verify::qr_result(tt, false))
            (find_form(&ui, &ctx, t, tt, ""))
        };
        return done(&ui, &ctx, lang, Ok((t.find_permit.into(), body)));
    }
    if number.is_empty() {
        let body = find_form(&ui, &ctx, t, tt, "");
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
                (find_form(&ui, &ctx, t, tt, &number))
            };
            done(&ui, &ctx, lang, Ok((t.find_permit.into(), body)))
        }
        Err(e) => done(&ui, &ctx, lang, Err(e)),
    }
}
