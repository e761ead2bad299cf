//! One permit: its review, the actions of each role, the customs view.

use super::home::status_class;
use super::*;

fn is_valid(p: &Value) -> bool {
    let today = ecites_events::cites::IsoDate(time::OffsetDateTime::now_utc().date()).to_string();
    p["status"] == "issued"
        && p["valid_until"]
            .as_str()
            .is_some_and(|v| v >= today.as_str())
}

pub(super) fn signatures_ok(events: &[Value]) -> bool {
    !events.is_empty()
        && events
            .iter()
            .all(|e| e["signature_verified"] == true && e["chain_linked"] == true)
}

pub(in crate::ui) async fn permit(
    State(ui): State<Arc<Ui>>,
    Extension(ctx): Extension<Ctx>,
    Path((_, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let lang = lang(&headers);
    let result = permit_body(&ui, &ctx, lang, &id).await;
    done(&ui, &ctx, lang, result)
}

async fn permit_body(
    ui: &Ui,
    ctx: &Ctx,
    lang: Lang,
    id: &str,
) -> Result<(String, Markup), ApiError> {
    let t = text(lang);
    let p = json_of(
        permits::detail(
            State(ui.query.clone()),
            Extension(ctx.clone()),
            Path((ctx.party().to_string(), id.to_string())),
        )
        .await,
    )
    .await?;
    let timeline = json_of(
        permits::timeline(
            State(ui.query.clone()),
            Extension(ctx.clone()),
            Path((ctx.party().to_string(), id.to_string())),
        )
        .await,
    )
    .await?;
    let events = timeline["events"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let status = txt(&p["status"]);
    let lines = p["lines"].as_array().map(Vec::as_slice).unwrap_or(&[]);
    let state = &p["state"];
    let number = txt(&p["permit_number"]);
    let title = if number.is_empty() {
        format!(
            "{} · {}",
            t.application,
            t.document_type(&txt(&p["document_type"]))
        )
    } else {
        format!("{} {number}", t.document_type(&txt(&p["document_type"])))
    };
    let customs = ctx.viewer.role == "customs";
    let show_banner = customs || !number.is_empty();
    let valid = is_valid(&p);
    let banner = if valid {
        t.banner_valid.to_string()
    } else if status == "issued" {
        t.banner_expired.to_string()
    } else {
        format!("{} · {}", t.banner_not_valid, t.status(&status))
    };
    let sig_ok = signatures_ok(events);
    let fee_minor = p["fee_minor"].as_i64();
    let currency = txt(&p["fee_currency"]);
    let paid = p["paid_minor"].as_i64().unwrap_or(0);
    let waived = p["fee_waived"] == true;
    let warnings = state["warnings"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let opinions = state["opinions"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let conditions = state["conditions"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let body = html! {
        @if show_banner {
            div #status-banner class=(format!("banner big {}", if valid { "good" } else { "bad" })) role="status" data-status=(status) {
                (banner)
            }
            p #signature-status class=(if sig_ok { "sig good" } else { "sig bad" }) {
                (t.signature) ": " (if sig_ok { t.signature_verified } else { t.signature_not_verified })
            }
        }
        dl.facts {
            dt { (t.status) } dd { span #status class=(format!("badge {}", status_class(&status))) data-status=(status) { (t.status(&status)) } }
            @if !number.is_empty() {
                dt { (t.number) } dd #permit-number { (number) }
                dt { (t.security_stamp) } dd { (txt(&p["security_stamp"])) }
                dt { (t.issued_on) } dd { (txt(&p["issued_on"])) }
                dt { (t.valid_until) } dd { (txt(&p["valid_until"])) }
            }
            dt { (t.exporting_country) } dd { (txt(&p["exporting_country"])) }
            dt { (t.importing_country) } dd { (txt(&p["importing_country"])) }
            dt { (t.submitted_at) } dd { (when(&p["submitted_at"])) }
            @if p["assigned_officer"].is_string() {
                dt { (t.assigned_officer) } dd { (txt(&p["assigned_officer"])) }
            }
            @if p["endorsed_on"].is_string() {
                dt { (t.endorsed_on) } dd { (txt(&p["endorsed_on"])) }
                dt { (t.port) } dd { (txt(&state["port"])) }
            }
        }
        h2 { (t.lines) }
        div.scroll {
            table.list #lines-table {
                thead { tr {
                    th scope="col" { (t.line) }
                    th scope="col" { (t.species) }
                    th scope="col" { (t.appendix) }
                    th scope="col" { (t.source) " / " (t.purpose) " / " (t.term) }
                    th scope="col" { (t.permitted) }
                    th scope="col" { (t.endorsed) }
                } }
                tbody {
                    @for l in lines {
                        tr {
                            td { (txt(&l["line_no"])) }
                            td { i { (txt(&l["scientific_name"])) } }
                            td { (txt(&l["appendix"])) }
                            td { (txt(&l["source"])) " / " (txt(&l["purpose"])) " / " (txt(&l["term"])) }
                            td.num { (txt(&l["quantity"])) " " (txt(&l["unit"])) }
                            td.num { (txt(&l["endorsed_quantity"])) }
                        }
                    }
                }
            }
        }
        @if !customs {
            h2 { (t.fee) }
            @if let Some(fee) = fee_minor {
                dl.facts #fee {
                    dt { (t.fee) } dd { (money(fee, &currency)) }
                    dt { (t.paid) } dd { (money(paid, &currency)) }
                    @if waived { dt { (t.fee_waived) } dd { (txt(&state["fee_waived"])) } }
                }
            } @else {
                p { (t.no_fee) }
            }
            h2 { (t.rule_findings) }
            @if warnings.is_empty() {
                p #findings { (t.no_findings) }
            } @else {
                ul #findings {
                    @for w in warnings {
                        li.warn { span.rule { (txt(w)) } " (" (t.warning) ")" }
                    }
                }
            }
            @if !opinions.is_empty() {
                h2 { (t.opinions) }
                ul #opinions {
                    @for o in opinions {
                        li {
                            (t.line) " " (txt(&o["line_no"])) ": "
                            (if o["non_detrimental"] == true { t.non_detrimental } else { t.detrimental })
                            @for c in o["conditions"].as_array().map(Vec::as_slice).unwrap_or(&[]) {
                                " · " (txt(c))
                            }
                        }
                    }
                }
            }
            @if !conditions.is_empty() {
                h2 { (t.conditions) }
                ul { @for c in conditions { li { (txt(c)) } } }
            }
            @if state["reason"].is_string() {
                h2 { (t.reason) }
                p #reason { (txt(&state["reason"])) }
            }
        }
        (actions(ui, ctx, t, id, &status, &p, lines, fee_minor.map(|f| (f - paid, currency.as_str())), waived))
        p { a #timeline-link href=(ui.url(&format!("/{}/permits/{id}/timeline", ctx.party))) { (t.open_timeline) } }
    };
    Ok((title, body))
}

/// A form the page's script sends as JSON to the command API (`data-command`), then goes to
/// `data-next` at the command's position.
#[allow(clippy::too_many_arguments)]
fn command_form(
    ui: &Ui,
    ctx: &Ctx,
    t: &Text,
    id: &str,
    action: &str,
    legend: &str,
    button: &str,
    fields: Markup,
) -> Markup {
    let party = ctx.party;
    html! {
        form.card.command data-action=(action)
            data-command=(format!("{}/api/{party}/permits/{id}/{action}", ui.command_base))
            data-next=(ui.url(&format!("/{party}/permits/{id}")))
            data-t-working=(t.working) data-t-refused=(t.refused)
            method="post" novalidate {
            h3 { (legend) }
            input type="hidden" name="command_id" value=(Uuid::now_v7());
            (fields)
            button type="submit" { (button) }
            div.problem role="alert" aria-live="assertive" tabindex="-1" {}
        }
    }
}

fn text_field(id: &str, name: &str, label: &str, required: bool) -> Markup {
    html! {
        div.field {
            label for=(id) { (label) }
            textarea id=(id) name=(name) rows="2" required[required] {}
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn actions(
    ui: &Ui,
    ctx: &Ctx,
    t: &Text,
    id: &str,
    status: &str,
    p: &Value,
    lines: &[Value],
    due: Option<(i64, &str)>,
    waived: bool,
) -> Markup {
    let role = ctx.viewer.role.as_str();
    let form = |action: &str, legend: &str, button: &str, fields: Markup| {
        command_form(ui, ctx, t, id, action, legend, button, fields)
    };
    let in_review = matches!(
        status,
        "submitted" | "under_review" | "opinion_requested" | "opinion_given"
    );
    let unpaid = !waived && due.is_some_and(|(d, _)| d > 0);
    let mut forms: Vec<Markup> = Vec::new();
    match role {
        "ma_officer" => {
            if in_review && p["assigned_officer"].as_str() != Some(ctx.viewer.user_id.as_str()) {
                forms.push(form(
                    "assign",
                    t.assign_to_me,
                    t.assign_to_me,
                    html! { input type="hidden" name="officer_id" value=(ctx.viewer.user_id); },
                ));
            }
            if matches!(
                status,
                "under_review" | "opinion_requested" | "opinion_given"
            ) {
                forms.push(form(
                    "legal-acquisition",
                    t.legal_acquisition,
                    t.record_legal_acquisition,
                    html! {
                        div.field {
                            label for="evidence" { (t.evidence) }
                            textarea #evidence name="evidence" data-type="lines" rows="2" aria-describedby="evidence-hint" {}
                            p.hint #evidence-hint { (t.evidence_hint) }
                        }
                        (text_field("legal-note", "note", t.note, false))
                    },
                ));
            }
            if status == "under_review" {
                forms.push(form(
                    "request-opinion",
                    t.request_opinion,
                    t.request_opinion,
                    text_field("question", "question", t.question, false),
                ));
            }
            if in_review {
                forms.push(form(
                    "approve",
                    t.approve,
                    t.approve,
                    html! {
                        div.field {
                            label for="approve-conditions" { (t.conditions) }
                            textarea #approve-conditions name="conditions" data-type="lines" rows="2" aria-describedby="approve-hint" {}
                            p.hint #approve-hint { (t.conditions_hint) }
                        }
                    },
                ));
                forms.push(form(
                    "reject",
                    t.reject,
                    t.reject,
                    text_field("reject-reason", "reason", t.reason, true),
                ));
                forms.push(form(
                    "return",
                    t.return_for_changes,
                    t.return_for_changes,
                    text_field("return-reason", "reason", t.reason, true),
                ));
            }
            if unpaid && (in_review || status == "approved") {
                forms.push(form(
                    "waive-fee",
                    t.waive_fee,
                    t.waive_fee,
                    text_field("waive-reason", "reason", t.reason, true),
                ));
            }
        }
        "sa_expert" if status == "opinion_requested" => {
            forms.push(form(
                "opinion",
                t.give_opinion,
                t.give_opinion,
                html! {
                    @for (i, l) in lines.iter().enumerate() {
                        fieldset.line {
                            legend { (t.line) " " (txt(&l["line_no"])) ": " i { (txt(&l["scientific_name"])) } }
                            input type="hidden" name=(format!("lines.{i}.line_no")) value=(txt(&l["line_no"])) data-type="number";
                            div.field {
                                label for=(format!("ndf-{i}")) { (t.non_detriment_finding) }
                                select id=(format!("ndf-{i}")) name=(format!("lines.{i}.non_detrimental")) data-type="bool" {
                                    option value="true" { (t.yes) }
                                    option value="false" { (t.no) }
                                }
                            }
                            div.field {
                                label for=(format!("ndf-conditions-{i}")) { (t.conditions) }
                                textarea id=(format!("ndf-conditions-{i}")) name=(format!("lines.{i}.conditions")) data-type="lines" rows="2" {}
                            }
                        }
                    }
                },
            ));
        }
        "ma_signatory" if status == "approved" => {
            forms.push(form("issue", t.issue, t.issue, html! {}));
        }
        "trader" => {
            if let (true, Some((amount, currency))) = (
                unpaid
                    && matches!(
                        status,
                        "approved"
                            | "under_review"
                            | "opinion_requested"
                            | "opinion_given"
                            | "submitted"
                    ),
                due,
            ) {
                let amount_json = json!({"minor_units": amount, "currency": currency}).to_string();
                forms.push(form(
                    "payment",
                    t.pay,
                    t.pay,
                    html! {
                        p { (t.amount_due) ": " strong #amount-due { (money(amount, currency)) } }
                        input type="hidden" name="amount" value=(amount_json) data-type="json";
                        div.field {
                            label for="payment-reference" { (t.payment_reference) }
                            input #payment-reference name="method.e_payment.reference" required autocomplete="off";
                        }
                    },
                ));
            }
            if matches!(
                status,
                "submitted" | "returned" | "under_review" | "opinion_requested" | "opinion_given"
            ) {
                forms.push(form(
                    "withdraw",
                    t.withdraw,
                    t.withdraw,
                    text_field("withdraw-reason", "reason", t.reason, false),
                ));
            }
        }
        "customs" if is_valid(p) => {
            let today =
                ecites_events::cites::IsoDate(time::OffsetDateTime::now_utc().date()).to_string();
            forms.push(form(
                "endorse",
                t.endorse,
                t.endorse,
                html! {
                    @for (i, l) in lines.iter().enumerate() {
                        input type="hidden" name=(format!("lines.{i}.line_no")) value=(txt(&l["line_no"])) data-type="number";
                        div.field {
                            label for=(format!("actual-{i}")) {
                                (t.actual_quantity) ", " (t.line) " " (txt(&l["line_no"])) ": " i { (txt(&l["scientific_name"])) }
                                " (" (t.at_most) " " (txt(&l["quantity"])) " " (txt(&l["unit"])) ")"
                            }
                            input id=(format!("actual-{i}")) name=(format!("lines.{i}.actual_quantity")) required inputmode="decimal" pattern="[0-9]+([.][0-9]+)?";
                        }
                    }
                    div.field {
                        label for="port" { (t.port) }
                        input #port name="port" required autocapitalize="characters";
                    }
                    div.field {
                        label for="endorsed_on" { (t.endorsement_date) }
                        input #endorsed_on name="endorsed_on" type="date" required value=(today);
                    }
                },
            ));
        }
        _ => {}
    }
    html! {
        @if !forms.is_empty() {
            section.actions aria-labelledby="actions-title" {
                h2 #actions-title { (t.actions) }
                @for f in forms { (f) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_and_times_read_well() {
        assert_eq!(money(2500, "USD"), "25.00 USD");
        assert_eq!(money(-5, "USD"), "-0.05 USD");
        assert_eq!(
            when(&json!("2026-05-01T12:34:56.789+00:00")),
            "2026-05-01 12:34"
        );
    }

    #[test]
    fn only_an_issued_permit_in_date_is_valid() {
        let future = json!({"status": "issued", "valid_until": "2999-01-01"});
        assert!(is_valid(&future));
        for status in [
            "used",
            "expired",
            "cancelled",
            "replaced",
            "lost",
            "approved",
        ] {
            let p = json!({"status": status, "valid_until": "2999-01-01"});
            assert!(!is_valid(&p), "{status}");
        }
        assert!(!is_valid(
            &json!({"status": "issued", "valid_until": "2000-01-01"})
        ));
    }
}
