//! One permit: its review, the actions of each role, the customs view, its documents and, once
//! issued, its QR code.

use super::actions::{actions, Subject};
use super::home::status_class;
use super::*;

pub(super) fn is_valid(p: &Value) -> bool {
    use ecites_cites::domain::lifecycle::{validity, Validity};
    use ecites_cites::domain::permit::PermitStatus;
    use ecites_events::cites::IsoDate;
    let today = IsoDate(time::OffsetDateTime::now_utc().date());
    let Some(status) = p["status"].as_str().and_then(PermitStatus::from_wire) else {
        return false;
    };
    let until = p["valid_until"]
        .as_str()
        .and_then(|v| IsoDate::parse(v).ok());
    validity(status, until, today) == Validity::Valid
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
    Query(q): Params,
    headers: HeaderMap,
) -> Response {
    let lang = lang(&headers);
    let origin = super::verify::origin(&headers);
    let result = permit_body(&ui, &ctx, lang, &id, (param(&q, "qr"), &origin)).await;
    done(&ui, &ctx, lang, result)
}

/// `GET /ui/{party}/permits/{id}/document.pdf?lang=`: the standard-form PDF, through the query
/// API's own function (same access rules), in the page's language unless one is asked for.
pub(in crate::ui) async fn permit_document(
    State(ui): State<Arc<Ui>>,
    Extension(ctx): Extension<Ctx>,
    Path((party, id)): Path<(String, String)>,
    Query(q): Params,
    headers: HeaderMap,
) -> Response {
    let lang = lang(&headers);
    let chosen = param(&q, "lang").unwrap_or(lang.html_tag()).to_string();
    let asked = Query(vec![("lang".to_string(), chosen)]);
    match permits::document(
        State(ui.query.clone()),
        Extension(ctx.clone()),
        Path((party, id)),
        asked,
    )
    .await
    {
        Ok(pdf) => pdf,
        Err(e) => api_error(&ui, lang, Some(&ctx.viewer), e),
    }
}

/// The hash of the event that issued the permit: what its QR code binds it to.
pub(super) fn issuing_hash(events: &[Value]) -> Option<String> {
    events
        .iter()
        .find(|e| e["event_type"] == "PermitIssued")
        .map(|e| txt(&e["hash"]))
}

/// The organisation's prepayment accounts, read only when the viewer is about to pay.
async fn accounts_for(ui: &Ui, ctx: &Ctx, organisation: &Value) -> Result<Vec<Value>, ApiError> {
    let Some(org) = organisation.as_str() else {
        return Ok(vec![]);
    };
    let v = json_of(
        catalogue::prepayment_accounts(
            State(ui.query.clone()),
            Extension(ctx.clone()),
            Query(vec![("organisation".into(), org.to_string())]),
            HeaderMap::new(),
        )
        .await,
    )
    .await?;
    Ok(v["items"].as_array().cloned().unwrap_or_default())
}

async fn permit_body(
    ui: &Ui,
    ctx: &Ctx,
    lang: Lang,
    id: &str,
    (qr, origin): (Option<&str>, &str),
) -> Result<(String, Markup), ApiError> {
    let t = text(lang);
    let tt = trader_text(lang);
    let p = super::permit_json(ui, ctx, id).await?;
    let events = &timeline_events(ui, ctx, id).await?;
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
    let sig_ok = signatures_ok(events);
    let issued_hash = issuing_hash(events);
    // The status alone never makes a permit VALID: a QR that is not the ledger's, or an event
    // whose signature did not verify, is a document customs must not accept.
    let qr_ok = qr.is_none_or(|q| issued_hash.as_deref() == Some(q));
    let valid = is_valid(&p) && sig_ok && qr_ok;
    let banner = if valid {
        t.banner_valid.to_string()
    } else if !qr_ok {
        format!("{} · {}", t.banner_not_valid, tt.qr_mismatch)
    } else if is_valid(&p) {
        format!("{} · {}", t.banner_not_valid, t.signature_not_verified)
    } else if status == "issued" {
        t.banner_expired.to_string()
    } else {
        format!("{} · {}", t.banner_not_valid, t.status(&status))
    };
    let fee_minor = p["fee_minor"].as_i64();
    let currency = txt(&p["fee_currency"]);
    let paid = p["paid_minor"].as_i64().unwrap_or(0);
    let waived = p["fee_waived"] == true;
    let due = fee_minor.map(|f| (f - paid, currency.as_str()));
    let accounts = if ctx.viewer.is_trader() && !waived && due.is_some_and(|(d, _)| d > 0) {
        accounts_for(ui, ctx, &p["organisation_id"]).await?
    } else {
        vec![]
    };
    let payments = if customs {
        html! {}
    } else {
        super::payment::history(ui, ctx, lang, id).await?
    };
    let returned = status == "returned" && ctx.viewer.is_trader();
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
            @if let (true, Some(org)) = (matches!(ctx.viewer.role.as_str(), "ma_officer" | "ma_signatory"), p["organisation_id"].as_str()) {
                dt { (t.organisation) }
                dd { a #organisation-of-permit href=(ui.url(&format!("/{}/organisations/{org}", ctx.party))) { (tt.organisation_status_link) } }
            }
            @if p["assigned_officer"].is_string() {
                dt { (t.assigned_officer) } dd { (txt(&p["assigned_officer"])) }
            }
            @if p["endorsed_on"].is_string() {
                dt { (t.endorsed_on) } dd { (txt(&p["endorsed_on"])) }
                dt { (t.port) } dd { (txt(&state["port"])) }
            }
        }
        h2 { (t.lines) }
        div.scroll tabindex="0" {
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
        (reexports(lines, lang))
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
            (payments)
            h2 { (t.rule_findings) }
            // Events before rule checks were recorded carry none: their warnings stand instead.
            @if let Some(checks) = state["checks"].as_array().filter(|c| !c.is_empty()) {
                (rule_checks(t, tt, checks))
            } @else if warnings.is_empty() {
                p #findings { (t.no_findings) }
            } @else {
                ul #findings {
                    @for w in warnings {
                        li.warn { span.rule { (txt(w)) } " (" (t.warning) ")" }
                    }
                }
            }
            (documents_section(ui, ctx, tt, &state["content"]["supporting_documents"]))
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
        @if returned {
            section #answer-return aria-labelledby="answer-title" {
                h2 #answer-title { (tt.answer_return) }
                p { (tt.answer_return_hint) }
                (super::apply::application_form(ui, ctx, lang, super::apply::FormFor::Resubmit { id, permit: &p }))
            }
        }
        @if let (Some(hash), Some(q)) = (&issued_hash, qr) {
            (super::verify::qr_result(tt, q == hash))
        }
        @if let (false, Some(hash)) = (customs || number.is_empty(), &issued_hash) {
            (super::verify::qr_section(ui, ctx, tt, origin, &number, hash))
        }
        @if let Some(seal) = state["seal"].as_str() {
            (super::verify::seal_section(tt, seal))
        }
        @if !number.is_empty() {
            p #document-links {
                (tt.permit_document) ": "
                @for (code, name) in [("en", "English"), ("fr", "Français"), ("es", "Español")] {
                    a.document href=(ui.url(&format!("/{}/permits/{id}/document.pdf?lang={code}", ctx.party))) hreflang=(code) { "PDF (" (name) ")" }
                    " "
                }
            }
        }
        (actions(ui, ctx, lang, &Subject { id, status: &status, permit: &p, lines, due, waived, accounts: &accounts }))
        p { a #timeline-link href=(ui.url(&format!("/{}/permits/{id}/timeline", ctx.party))) { (t.open_timeline) } }
    };
    Ok((title, body))
}

/// Every rule evaluated for the application, when the read model records them: id, source
/// and outcome (said in words, not only by colour).
fn rule_checks(t: &Text, tt: &TraderText, checks: &[Value]) -> Markup {
    html! {
        div.scroll tabindex="0" {
            table.list #rule-checks {
                thead { tr {
                    th scope="col" { (t.rule) }
                    th scope="col" { (tt.rule_source) }
                    th scope="col" { (tt.outcome) }
                } }
                tbody {
                    @for c in checks {
                        @let outcome = txt(&c["outcome"]);
                        @let class = match outcome.as_str() { "passed" => "good", "warning" => "warn", _ => "bad" };
                        tr data-rule=(txt(&c["id"])) data-outcome=(outcome) {
                            td {
                                span.rule { (txt(&c["id"])) }
                                @if c["field"].is_string() { " (" (txt(&c["field"])) ")" }
                            }
                            td { (txt(&c["source"])) }
                            td class=(class) { (tt.outcome_name(&outcome)) }
                        }
                    }
                }
            }
        }
    }
}

/// The supporting documents the application names; the download goes through the page's
/// script (the command API takes the session cookie only with the CSRF header) and the command
/// API decides who may read each.
fn documents_section(ui: &Ui, ctx: &Ctx, tt: &TraderText, hashes: &Value) -> Markup {
    let hashes = hashes.as_array().map(Vec::as_slice).unwrap_or(&[]);
    html! {
        h2 { (tt.supporting_documents) }
        @if hashes.is_empty() {
            p #documents { (tt.no_documents) }
        } @else {
            ul #documents {
                @for h in hashes {
                    @let sha = txt(h);
                    li {
                        code title=(sha) { (sha.get(..16).unwrap_or(&sha)) "…" } " "
                        a data-download href=(format!("{}/api/{}/documents/{sha}", ui.command_base, ctx.party)) data-filename=(sha) {
                            (tt.download)
                        }
                    }
                }
            }
        }
    }
}

/// On an import permit: what the Party's re-export certificates hold of each line, what left,
/// and what is left (imported = endorsed at import, else permitted).
fn reexports(lines: &[Value], lang: Lang) -> Markup {
    let drawn: Vec<&Value> = lines
        .iter()
        .filter(|l| !l["reexport_held"].is_null() || !l["reexported"].is_null())
        .collect();
    if drawn.is_empty() {
        return html! {};
    }
    let tr = crate::ui::text::trader(lang);
    let thousandths = |v: &Value| {
        v.as_str()
            .and_then(|s| ecites_events::cites::Quantity::parse(s).ok())
            .unwrap_or_default()
    };
    html! {
        h2 { (tr.reexports_title) }
        div.scroll tabindex="0" { table.list #reexports {
            thead { tr {
                th scope="col" { "#" } th scope="col" { (tr.reexport_held) }
                th scope="col" { (tr.reexported) } th scope="col" { (tr.import_left) }
            } }
            tbody { @for l in drawn {
                @let imported = if l["endorsed_quantity"].is_null() { thousandths(&l["quantity"]) } else { thousandths(&l["endorsed_quantity"]) };
                @let left = imported.saturating_sub(thousandths(&l["reexport_held"])).saturating_sub(thousandths(&l["reexported"]));
                tr data-line=(txt(&l["line_no"])) {
                    td { (txt(&l["line_no"])) }
                    td.num { (txt(&l["reexport_held"])) }
                    td.num { (txt(&l["reexported"])) }
                    td.num { (left.to_string()) " " (txt(&l["unit"])) }
                }
            } }
        } }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_and_times_read_well() {
        assert_eq!(money(2500, "USD"), "25.00 USD");
        assert_eq!(money(-5, "USD"), "-0.05 USD");
        assert_eq!(money(2500, "JPY"), "2500 JPY");
        assert_eq!(money(12345, "KWD"), "12.345 KWD");
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
