//! The actions of a permit page: one form per command the viewer's role may give in the
//! permit's status, sent by the page's script to the command API.

use super::*;
use ecites_cites::domain::lifecycle::{available, Action, Role};
use ecites_cites::domain::permit::PermitStatus;

/// Where a command form posts and where the page goes once it is accepted.
pub(super) struct Target {
    /// The command API's URL.
    pub command: String,
    /// The page to open at the command's position.
    pub next: String,
    /// `data-action`, by which tests and styles find the form.
    pub key: String,
}

/// A form the page's script sends as JSON to the command API (`data-command`), then goes to
/// `data-next` at the command's position.
pub(super) fn api_form(t: &Text, to: Target, legend: &str, button: &str, fields: Markup) -> Markup {
    html! {
        form.card.command data-action=(to.key)
            data-command=(to.command)
            data-next=(to.next)
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

/// A command on permit `id`, back to the permit's page.
#[allow(clippy::too_many_arguments)]
pub(super) fn command_form(
    ui: &Ui,
    ctx: &Ctx,
    t: &Text,
    id: &str,
    (action, key): (&str, &str),
    legend: &str,
    button: &str,
    fields: Markup,
) -> Markup {
    let party = ctx.party;
    let to = Target {
        command: format!("{}/api/{party}/permits/{id}/{action}", ui.command_base),
        next: ui.url(&format!("/{party}/permits/{id}")),
        key: key.to_string(),
    };
    api_form(t, to, legend, button, fields)
}

pub(super) fn text_field(id: &str, name: &str, label: &str, required: bool) -> Markup {
    html! {
        div.field {
            label for=(id) { (label) }
            textarea id=(id) name=(name) rows="2" required[required] {}
        }
    }
}

/// What the actions of a permit page are decided on.
pub(super) struct Subject<'a> {
    pub id: &'a str,
    pub status: &'a str,
    pub permit: &'a Value,
    pub lines: &'a [Value],
    /// The amount still due and its currency, once a fee is assessed.
    pub due: Option<(i64, &'a str)>,
    pub waived: bool,
    /// The prepayment accounts of the permit's organisation (trader's view).
    pub accounts: &'a [Value],
}

/// The forms of the actions the viewer's role may take on the permit in its status.
pub(super) fn actions(ui: &Ui, ctx: &Ctx, lang: Lang, s: &Subject<'_>) -> Markup {
    let t = text(lang);
    let (id, status, p, lines, due, waived) = (s.id, s.status, s.permit, s.lines, s.due, s.waived);
    let form = |action: &str, legend: &str, button: &str, fields: Markup| {
        command_form(ui, ctx, t, id, (action, action), legend, button, fields)
    };
    // The lifecycle table decides, as it does for the command API.
    let role = Role::from_wire(&ctx.viewer.role);
    let allowed = match (PermitStatus::from_wire(status), role) {
        (Some(status), Some(role)) => available(status, role),
        _ => vec![],
    };
    let may = |a: Action| allowed.contains(&a);
    let unpaid = !waived && due.is_some_and(|(d, _)| d > 0);
    let mut forms: Vec<Markup> = Vec::new();
    // A resubmitted application is back in `submitted`: assigning it again (to the
    // same officer) takes it back under review.
    let mine = p["assigned_officer"].as_str() == Some(ctx.viewer.user_id.as_str());
    if may(Action::AssignReviewer) && (!mine || status == "submitted") {
        forms.push(form(
            "assign",
            t.assign_to_me,
            t.assign_to_me,
            html! { input type="hidden" name="officer_id" value=(ctx.viewer.user_id); },
        ));
    }
    if may(Action::RecordLegalAcquisition) {
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
    if may(Action::RequestScientificOpinion) {
        forms.push(form(
            "request-opinion",
            t.request_opinion,
            t.request_opinion,
            text_field("question", "question", t.question, false),
        ));
    }
    if may(Action::Approve) {
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
    }
    if may(Action::Reject) {
        forms.push(form(
            "reject",
            t.reject,
            t.reject,
            text_field("reject-reason", "reason", t.reason, true),
        ));
    }
    if may(Action::ReturnForChanges) {
        forms.push(form(
            "return",
            t.return_for_changes,
            t.return_for_changes,
            text_field("return-reason", "reason", t.reason, true),
        ));
    }
    // The counter receipt is the Management Authority's; a trader pays below.
    if unpaid && may(Action::RecordPayment) && role != Some(Role::Trader) {
        if let Some(due) = due {
            forms.push(super::payment::counter_receipt(ui, ctx, lang, id, due));
        }
    }
    if unpaid && may(Action::WaiveFee) {
        forms.push(form(
            "waive-fee",
            t.waive_fee,
            t.waive_fee,
            text_field("waive-reason", "reason", t.reason, true),
        ));
    }
    if may(Action::GiveScientificOpinion) {
        forms.push(form(
            "opinion",
            t.give_opinion,
            t.give_opinion,
            opinion_fields(t, lines),
        ));
    }
    if may(Action::Issue) {
        forms.push(form("issue", t.issue, t.issue, html! {}));
    }
    let payable = may(Action::RecordPayment) && role == Some(Role::Trader);
    if let (true, Some(due)) = (unpaid && payable, due) {
        forms.push(super::payment::options(ui, ctx, lang, id, due, s.accounts));
    }
    if may(Action::Withdraw) {
        forms.push(form(
            "withdraw",
            t.withdraw,
            t.withdraw,
            text_field("withdraw-reason", "reason", t.reason, false),
        ));
    }
    if may(Action::Endorse) && super::permit::is_valid(p) {
        forms.push(form(
            "endorse",
            t.endorse,
            t.endorse,
            endorse_fields(t, lines),
        ));
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

/// The Scientific Authority's opinion, line by line.
fn opinion_fields(t: &Text, lines: &[Value]) -> Markup {
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
    }
}

/// What customs record at export: the quantity of each line, the port and the date.
fn endorse_fields(t: &Text, lines: &[Value]) -> Markup {
    let today = ecites_events::cites::IsoDate(time::OffsetDateTime::now_utc().date()).to_string();
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
    }
}
