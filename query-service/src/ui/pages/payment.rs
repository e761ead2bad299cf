//! Paying a permit's fee: by e-payment reference, from the organisation's prepayment account,
//! or at the Management Authority's counter (the officer then records the receipt).

use super::actions::command_form;
use super::*;

/// The payment command's `amount` (the whole amount due).
fn amount_field(minor: i64, currency: &str) -> Markup {
    let amount = json!({"minor_units": minor, "currency": currency}).to_string();
    html! { input type="hidden" name="amount" value=(amount) data-type="json"; }
}

/// The trader's three ways to pay `due`, with the organisation's `accounts`.
pub(super) fn options(
    ui: &Ui,
    ctx: &Ctx,
    lang: Lang,
    id: &str,
    (minor, currency): (i64, &str),
    accounts: &[Value],
) -> Markup {
    let t = text(lang);
    let tt = trader_text(lang);
    let e_payment = command_form(
        ui,
        ctx,
        t,
        id,
        ("payment", "payment"),
        tt.pay_by_e_payment,
        t.pay,
        html! {
            (amount_field(minor, currency))
            div.field {
                label for="payment-reference" { (t.payment_reference) }
                input #payment-reference name="method.e_payment.reference" required autocomplete="off";
            }
        },
    );
    html! {
        div.payment #payment-options {
            p { (t.amount_due) ": " strong #amount-due { (money(minor, currency)) } }
            (e_payment)
            (prepayment(ui, ctx, lang, id, (minor, currency), accounts))
            section.card #pay-at-counter aria-labelledby="counter-title" {
                h3 #counter-title { (tt.pay_at_counter) }
                p { (tt.counter_intro) }
                ul {
                    li { (tt.counter_bring_reference) ": " code #counter-reference { (id) } }
                    li { (tt.counter_bring_amount) ": " strong { (money(minor, currency)) } }
                    li { (tt.counter_bring_identity) }
                }
                p.hint { (tt.counter_after) }
            }
        }
    }
}

/// Paying from a prepayment account: offered only from an account in the fee's currency whose
/// balance covers the amount; otherwise the reason, so that nobody tries a debit the ledger
/// would refuse (FEE-PREPAYMENT-*) without knowing why.
fn prepayment(
    ui: &Ui,
    ctx: &Ctx,
    lang: Lang,
    id: &str,
    (minor, currency): (i64, &str),
    accounts: &[Value],
) -> Markup {
    let t = text(lang);
    let tt = trader_text(lang);
    let account = accounts.iter().find(|a| a["currency"] == currency);
    let Some(account) = account else {
        return html! {
            section.card #prepayment aria-labelledby="prepayment-title" {
                h3 #prepayment-title { (tt.pay_from_prepayment) }
                p #prepayment-none { (tt.no_prepayment_account) }
            }
        };
    };
    let balance = account["balance_minor"].as_i64().unwrap_or(0);
    if balance < minor {
        return html! {
            section.card #prepayment aria-labelledby="prepayment-title" {
                h3 #prepayment-title { (tt.pay_from_prepayment) }
                p { (tt.balance) ": " strong #prepayment-balance { (money(balance, currency)) } }
                p.banner.bad #prepayment-insufficient role="status" {
                    (tt.balance_insufficient) " (" (money(minor - balance, currency)) ")"
                }
            }
        };
    }
    command_form(
        ui,
        ctx,
        t,
        id,
        ("payment", "payment-prepayment"),
        tt.pay_from_prepayment,
        tt.debit_account,
        html! {
            p { (tt.balance) ": " strong #prepayment-balance { (money(balance, currency)) } }
            p.hint { (tt.balance_after) ": " (money(balance - minor, currency)) }
            (amount_field(minor, currency))
            input type="hidden" name="method.prepayment_debit.account_id" value=(txt(&account["account_id"]));
        },
    )
}

/// The officer's record of money paid at the counter, with the receipt's number.
pub(super) fn counter_receipt(
    ui: &Ui,
    ctx: &Ctx,
    lang: Lang,
    id: &str,
    (minor, currency): (i64, &str),
) -> Markup {
    let t = text(lang);
    let tt = trader_text(lang);
    command_form(
        ui,
        ctx,
        t,
        id,
        ("payment", "payment-counter"),
        tt.record_counter_payment,
        tt.record_counter_payment,
        html! {
            p { (t.amount_due) ": " strong { (money(minor, currency)) } }
            (amount_field(minor, currency))
            div.field {
                label for="receipt-number" { (tt.receipt_number) }
                input #receipt-number name="method.manual_receipt.receipt_number" required autocomplete="off";
            }
        },
    )
}

/// The payments and waivers recorded on permit `id`: how, with which reference or receipt
/// number, by whom and when (the fees ledger of the read models).
pub(super) async fn history(ui: &Ui, ctx: &Ctx, lang: Lang, id: &str) -> Result<Markup, ApiError> {
    let (t, tt) = (text(lang), trader_text(lang));
    let v = json_of(
        catalogue::payments(
            State(ui.query.clone()),
            Extension(ctx.clone()),
            Query(vec![
                ("permit_id".into(), id.to_string()),
                ("kind".into(), "payment,fee_waived".into()),
            ]),
            HeaderMap::new(),
        )
        .await,
    )
    .await?;
    let items = v["items"].as_array().cloned().unwrap_or_default();
    Ok(html! {
        @if !items.is_empty() {
            h3 { (tt.payments) }
            div.scroll tabindex="0" {
                table.list #payments {
                    thead { tr {
                        th scope="col" { (tt.payment_method) }
                        th scope="col" { (tt.reference) }
                        th scope="col" { (tt.amount) }
                        th scope="col" { (t.actor) }
                        th scope="col" { (t.time) }
                    } }
                    tbody {
                        @for m in &items {
                            @let method = if m["kind"] == "fee_waived" { "fee_waived".to_string() } else { txt(&m["method"]) };
                            tr data-method=(method) {
                                td { (tt.method_name(&method)) }
                                td { (txt(&m["reference"])) }
                                td.num { (money(m["amount_minor"].as_i64().unwrap_or(0), &txt(&m["currency"]))) }
                                td { (txt(&m["actor_id"])) }
                                td { (when(&m["recorded_at"])) }
                            }
                        }
                    }
                }
            }
        }
    })
}
