//! Trader organisations: the trader registers its organisation, sees whether the Management
//! Authority has verified it, lists its users and agents and its prepayment account; officers
//! list every organisation, verify or suspend one, open accounts and record deposits.

use super::actions::{api_form, text_field, Target};
use super::*;

/// `GET /ui/{party}/organisation`: the organisation(s) that list the trader as a member or an
/// agent; when none does, the registration form of the organisation the account was opened
/// for while it is not registered (how a new trader registers). Sharing the account's
/// organisation id shows nothing of a registered organisation that does not list the trader
/// (a removed user, for one).
pub(in crate::ui) async fn my_organisation(
    State(ui): State<Arc<Ui>>,
    Extension(ctx): Extension<Ctx>,
    headers: HeaderMap,
) -> Response {
    let lang = lang(&headers);
    let tt = trader_text(lang);
    if !ctx.viewer.is_trader() {
        let body = html! { p.empty #no-organisation { (tt.no_organisation) } };
        return done(&ui, &ctx, lang, Ok((tt.my_organisation.into(), body)));
    }
    let result = async {
        let listing = listed_organisations(&ui, &ctx, vec![]).await?;
        match listing.as_slice() {
            [one] => {
                let org = Uuid::parse_str(&txt(&one["organisation_id"]))
                    .map_err(|_| ApiError::NotFound("no such organisation".into()))?;
                let o = organisation_json(&ui, &ctx, org).await?;
                organisation_body(&ui, &ctx, lang, org, &o).await
            }
            [] => Ok(match ctx.viewer.organisation_id {
                Some(org) if !catalogue::registered(&ui.query, &ctx, org).await? => {
                    (tt.register_title.into(), register_form(&ui, &ctx, lang))
                }
                Some(_) => (
                    tt.my_organisation.into(),
                    html! { p.empty #not-listed { (tt.not_listed) } },
                ),
                None => (
                    tt.my_organisation.into(),
                    html! { p.empty #no-organisation { (tt.no_organisation) } },
                ),
            }),
            several => Ok((
                tt.my_organisation.into(),
                organisations_table(&ui, &ctx, lang, several),
            )),
        }
    }
    .await;
    done(&ui, &ctx, lang, result)
}

/// The organisations of the Party the viewer may read (a trader: those listing it).
async fn listed_organisations(
    ui: &Ui,
    ctx: &Ctx,
    mut query: Vec<(String, String)>,
) -> Result<Vec<Value>, ApiError> {
    query.push(("per_page".to_string(), "100".to_string()));
    let list = json_of(
        catalogue::organisations(
            State(ui.query.clone()),
            Extension(ctx.clone()),
            Query(query),
            HeaderMap::new(),
        )
        .await,
    )
    .await?;
    Ok(list["items"].as_array().cloned().unwrap_or_default())
}

/// `GET /ui/{party}/organisations`: every organisation of the Party (officials).
pub(in crate::ui) async fn organisations(
    State(ui): State<Arc<Ui>>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Params,
    headers: HeaderMap,
) -> Response {
    let lang = lang(&headers);
    let tt = trader_text(lang);
    let mut query = vec![];
    if let Some(s) = param(&q, "status") {
        query.push(("status".into(), s.into()));
    }
    let result = listed_organisations(&ui, &ctx, query).await.map(|items| {
        let body = html! {
            @if items.is_empty() {
                p.empty { (tt.no_organisations) }
            } @else {
                (organisations_table(&ui, &ctx, lang, &items))
            }
        };
        (tt.organisations.to_string(), body)
    });
    done(&ui, &ctx, lang, result)
}

fn organisations_table(ui: &Ui, ctx: &Ctx, lang: Lang, items: &[Value]) -> Markup {
    let (t, tt) = (text(lang), trader_text(lang));
    html! {
        div.scroll tabindex="0" {
            table.list #organisations {
                thead { tr {
                    th scope="col" { (tt.organisation_name) }
                    th scope="col" { (tt.registration_number) }
                    th scope="col" { (tt.country) }
                    th scope="col" { (t.status) }
                } }
                tbody {
                    @for o in items {
                        @let id = txt(&o["organisation_id"]);
                        @let status = txt(&o["status"]);
                        tr data-organisation=(id) {
                            td { a href=(ui.url(&format!("/{}/organisations/{id}", ctx.party))) { (txt(&o["name"])) } }
                            td { (txt(&o["registration_number"])) }
                            td { (txt(&o["country"])) }
                            td { span class=(format!("badge {}", org_status_class(&status))) data-status=(status) { (tt.organisation_status(&status)) } }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /ui/{party}/organisations/{id}`: one organisation (its own traders, and officials).
pub(in crate::ui) async fn organisation(
    State(ui): State<Arc<Ui>>,
    Extension(ctx): Extension<Ctx>,
    Path((_, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let lang = lang(&headers);
    let result = match Uuid::parse_str(&id) {
        Ok(org) => match organisation_json(&ui, &ctx, org).await {
            Ok(o) => organisation_body(&ui, &ctx, lang, org, &o).await,
            Err(e) => Err(e),
        },
        Err(_) => Err(ApiError::NotFound("no such organisation".into())),
    };
    done(&ui, &ctx, lang, result)
}

async fn organisation_json(ui: &Ui, ctx: &Ctx, org: Uuid) -> Result<Value, ApiError> {
    json_of(
        catalogue::organisation(
            State(ui.query.clone()),
            Extension(ctx.clone()),
            Path((ctx.party().to_string(), org.to_string())),
        )
        .await,
    )
    .await
}

fn org_status_class(status: &str) -> &'static str {
    match status {
        "verified" => "good",
        "suspended" => "bad",
        _ => "neutral",
    }
}

fn register_form(ui: &Ui, ctx: &Ctx, lang: Lang) -> Markup {
    let (t, tt) = (text(lang), trader_text(lang));
    let party = ctx.party;
    let to = Target {
        command: format!("{}/api/{party}/organisations", ui.command_base),
        next: ui.url(&format!("/{party}/organisation")),
        key: "register".into(),
    };
    html! {
        p { (tt.register_intro) }
        (api_form(t, to, tt.register_title, tt.register, html! {
            div.field {
                label for="org-name" { (tt.organisation_name) }
                input #org-name name="name" required autocomplete="organization";
            }
            div.field {
                label for="org-registration" { (tt.registration_number) }
                input #org-registration name="registration_number" required;
            }
            div.field {
                label for="org-country" { (tt.country) }
                input #org-country name="country" required maxlength="2" pattern="[A-Z]{2}" autocapitalize="characters" value=(party.as_str()) aria-describedby="org-country-hint";
                p.hint #org-country-hint { (t.country_hint) }
            }
            div.field {
                label for="org-address" { (tt.address) }
                textarea #org-address name="address_ref" rows="2" {}
            }
        }))
    }
}

async fn organisation_body(
    ui: &Ui,
    ctx: &Ctx,
    lang: Lang,
    org: Uuid,
    o: &Value,
) -> Result<(String, Markup), ApiError> {
    let (t, tt) = (text(lang), trader_text(lang));
    let status = txt(&o["status"]);
    let accounts = json_of(
        catalogue::prepayment_accounts(
            State(ui.query.clone()),
            Extension(ctx.clone()),
            Query(vec![("organisation".into(), org.to_string())]),
            HeaderMap::new(),
        )
        .await,
    )
    .await?;
    let accounts = accounts["items"].as_array().cloned().unwrap_or_default();
    let members = o["members"].as_array().map(Vec::as_slice).unwrap_or(&[]);
    let officer = matches!(ctx.viewer.role.as_str(), "ma_officer" | "ma_signatory");
    let staff = ctx.viewer.is_trader()
        && members
            .iter()
            .any(|m| m["user_id"] == ctx.viewer.user_id.as_str() && m["capacity"] == "member");
    let body = html! {
        div #organisation-status class=(format!("banner {}", org_status_class(&status))) role="status" data-status=(status) {
            (t.status) ": " (tt.organisation_status(&status))
            @if status == "pending" { " · " (tt.pending_hint) }
            @if status == "suspended" { " · " (tt.suspended_hint) }
        }
        dl.facts {
            dt { (tt.registration_number) } dd { (txt(&o["registration_number"])) }
            dt { (tt.country) } dd { (txt(&o["country"])) }
            dt { (tt.registered_at) } dd { (when(&o["registered_at"])) }
        }
        (members_section(ui, ctx, lang, org, members, staff || officer))
        (accounts_section(ui, ctx, lang, org, &accounts, (staff, officer)))
        @if officer { (officer_actions(ui, ctx, lang, org, &status)) }
    };
    Ok((txt(&o["name"]), body))
}

fn org_target(ui: &Ui, ctx: &Ctx, org: Uuid, action: &str) -> Target {
    let party = ctx.party;
    let next = if ctx.viewer.is_trader() {
        ui.url(&format!("/{party}/organisation"))
    } else {
        ui.url(&format!("/{party}/organisations/{org}"))
    };
    Target {
        command: format!(
            "{}/api/{party}/organisations/{org}/{action}",
            ui.command_base
        ),
        next,
        key: action.into(),
    }
}

fn members_section(
    ui: &Ui,
    ctx: &Ctx,
    lang: Lang,
    org: Uuid,
    members: &[Value],
    manage: bool,
) -> Markup {
    let (t, tt) = (text(lang), trader_text(lang));
    html! {
        h2 { (tt.users_and_agents) }
        div.scroll tabindex="0" {
            table.list #members {
                thead { tr {
                    th scope="col" { (t.user_id) }
                    th scope="col" { (tt.capacity) }
                    th scope="col" { (tt.added_at) }
                    @if manage { th scope="col" { (t.actions) } }
                } }
                tbody {
                    @for m in members {
                        @let user = txt(&m["user_id"]);
                        tr data-member=(user) {
                            td { (user) }
                            td { (if m["capacity"] == "agent" { tt.agent } else { tt.member }) }
                            td { (when(&m["added_at"])) }
                            @if manage {
                                // The last user cannot be removed (the ledger refuses it).
                                td { @if members.len() > 1 {
                                    form.command.inline data-action="remove-member"
                                        data-command=(org_target(ui, ctx, org, "remove-member").command)
                                        data-next=(org_target(ui, ctx, org, "remove-member").next)
                                        data-t-working=(t.working) data-t-refused=(t.refused) method="post" novalidate {
                                        input type="hidden" name="command_id" value=(Uuid::now_v7());
                                        input type="hidden" name="user_id" value=(user);
                                        button.secondary type="submit" aria-label=(format!("{} {user}", tt.remove_user)) { (tt.remove_user) }
                                        div.problem role="alert" aria-live="assertive" tabindex="-1" {}
                                    }
                                } }
                            }
                        }
                    }
                }
            }
        }
        @if manage {
            (api_form(t, org_target(ui, ctx, org, "add-member"), tt.add_user, tt.add_user, html! {
                div.field {
                    label for="member-user" { (t.user_id) }
                    input #member-user name="user_id" required autocapitalize="none" autocomplete="off";
                }
                div.field {
                    label for="member-capacity" { (tt.capacity) }
                    select #member-capacity name="capacity" data-type="json" aria-describedby="capacity-hint" {
                        option value="\"member\"" { (tt.member) }
                        option value="{\"agent\":{\"agency_organisation_id\":null}}" { (tt.agent) }
                    }
                    p.hint #capacity-hint { (tt.capacity_hint) }
                }
            }))
        }
    }
}

fn accounts_section(
    ui: &Ui,
    ctx: &Ctx,
    lang: Lang,
    org: Uuid,
    accounts: &[Value],
    (staff, officer): (bool, bool),
) -> Markup {
    let (t, tt) = (text(lang), trader_text(lang));
    let party = ctx.party;
    let next = org_target(ui, ctx, org, "").next;
    html! {
        h2 { (tt.prepayment_account) }
        @if accounts.is_empty() {
            p #no-account { (tt.no_prepayment_account) }
            @if staff || officer {
                (api_form(t, Target {
                    command: format!("{}/api/{party}/accounts", ui.command_base),
                    next: next.clone(),
                    key: "open-account".into(),
                }, tt.open_account, tt.open_account, html! {
                    input type="hidden" name="organisation_id" value=(org);
                }))
            }
        }
        @for a in accounts {
            @let currency = txt(&a["currency"]);
            @let account = txt(&a["account_id"]);
            p { (tt.balance) ": " strong #account-balance data-account=(account) { (money(a["balance_minor"].as_i64().unwrap_or(0), &currency)) } }
            @if officer {
                (api_form(t, Target {
                    command: format!("{}/api/{party}/accounts/{account}/deposit", ui.command_base),
                    next: next.clone(),
                    key: "deposit".into(),
                }, tt.record_deposit, tt.record_deposit, html! {
                    input type="hidden" name="amount.currency" value=(currency);
                    div.field {
                        label for="deposit-amount" { (tt.amount) " (" (currency) ")" }
                        input #deposit-amount name="amount.minor_units" data-type="minor-units" data-currency=(currency) required inputmode="decimal" pattern=(amount_pattern(&currency));
                    }
                    div.field {
                        label for="deposit-receipt" { (tt.receipt_number) }
                        input #deposit-receipt name="receipt_number" required autocomplete="off";
                    }
                }))
            }
        }
    }
}

fn officer_actions(ui: &Ui, ctx: &Ctx, lang: Lang, org: Uuid, status: &str) -> Markup {
    let (t, tt) = (text(lang), trader_text(lang));
    html! {
        section.actions aria-labelledby="org-actions-title" {
            h2 #org-actions-title { (t.actions) }
            @if status != "verified" {
                (api_form(t, org_target(ui, ctx, org, "verify"), tt.verify_organisation, tt.verify_organisation,
                    text_field("verify-note", "note", tt.verification_note, true)))
            }
            @if status != "suspended" {
                (api_form(t, org_target(ui, ctx, org, "suspend"), tt.suspend_organisation, tt.suspend_organisation,
                    text_field("suspend-reason", "reason", t.reason, true)))
            }
        }
    }
}

/// The amounts the currency's minor unit can hold: none after the point for JPY, three for KWD.
fn amount_pattern(currency: &str) -> String {
    match super::admin_config::exponent(currency) {
        0 => "[0-9]+".into(),
        e => format!("[0-9]+([.][0-9]{{1,{e}}})?"),
    }
}
