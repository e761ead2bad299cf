//! `decide`: whether a command may happen to a permit, and which events record it.

use super::command::PermitCommand as C;
use super::event::PermitEvent as E;
use super::state::{PermitState, PermitStatus as S};
use crate::domain::context::DecisionContext;
use crate::domain::rules::catalogue;
use crate::domain::rules::{self, checks, data, endorsement, findings, issuance, Finding};
use ecites_events::cites::Money;
use ecites_events::payloads::permit::*;
use uuid::Uuid;

/// Why a permit command was refused. Nothing is written in any case.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PermitError {
    #[error("cannot {command} a permit application that is {status}")]
    InvalidTransition {
        command: &'static str,
        status: &'static str,
    },
    #[error("refused by {} rule(s): {}", .0.len(), .0.iter().map(|f| f.rule).collect::<Vec<_>>().join(", "))]
    Rules(Vec<Finding>),
    #[error("the fee is not paid: {outstanding} {currency} outstanding (waive it with a reason to issue anyway)")]
    FeeOutstanding { outstanding: i64, currency: String },
    #[error("{0}")]
    Invalid(String),
}

type Decision = Result<Vec<E>, PermitError>;

fn transition(command: &C, state: &PermitState) -> PermitError {
    PermitError::InvalidTransition {
        command: command.name(),
        status: state.status.name(),
    }
}

fn require_text(field: &str, value: &str) -> Result<(), PermitError> {
    if value.trim().is_empty() {
        return Err(PermitError::Invalid(format!("{field} must not be empty")));
    }
    Ok(())
}

/// The application rules checked at submission, resubmission and again at approval.
fn application_rules(app: &ApplicationContent, ctx: &DecisionContext) -> Vec<Finding> {
    [
        rules::document::all(app, ctx),
        rules::source::all(app, ctx),
        rules::trade::all(app, ctx),
        rules::reexport::all(app, ctx),
        rules::population::unresolved(app),
        issuance::requested_validity(app),
        issuance::no_retrospective_at_submission(app),
    ]
    .concat()
}

/// A filed application, checked: its content, the warnings and every rule check to record,
/// and the fee.
struct Checked {
    content: ApplicationContent,
    warnings: Vec<RuleFinding>,
    checks: Vec<RuleCheck>,
    fee: Money,
}

fn checked_application(
    form: &data::ApplicationForm,
    ctx: &DecisionContext,
) -> Result<Checked, PermitError> {
    let content = data::check_form(form, ctx).map_err(PermitError::Rules)?;
    let findings = application_rules(&content, ctx);
    let checks = checks::report(&[checks::DATA, checks::APPLICATION], &findings);
    let warnings = rules::verdict(findings).map_err(PermitError::Rules)?;
    let fee = ctx.settings.fee_for(
        content.document_type,
        data::strictest_appendix(&content),
        content.lines.len(),
        content.express,
    );
    Ok(Checked {
        content,
        warnings,
        checks,
        fee,
    })
}

pub fn decide(state: &PermitState, command: C, ctx: &DecisionContext) -> Decision {
    // The lifecycle table says in which statuses each action may happen; the arms below say
    // what it records.
    if !command.action().allowed_in(state.status) {
        return Err(transition(&command, state));
    }
    match &command {
        C::Submit {
            organisation_id,
            form,
        } => {
            let c = checked_application(form, ctx)?;
            let replacement = replacement_request(form, *organisation_id, ctx)?;
            let submitted = E::ApplicationSubmitted(ApplicationSubmitted {
                organisation_id: *organisation_id,
                content: c.content,
                warnings: c.warnings,
                fee: c.fee,
                checks: c.checks,
            });
            Ok(std::iter::once(submitted).chain(replacement).collect())
        }
        C::Resubmit { form } => {
            let c = checked_application(form, ctx)?;
            Ok(vec![E::ApplicationResubmitted(ApplicationResubmitted {
                content: c.content,
                warnings: c.warnings,
                fee: c.fee,
                checks: c.checks,
            })])
        }
        C::ReturnForChanges { reason } => {
            require_text("reason", reason)?;
            Ok(vec![E::ApplicationReturned(ApplicationReturned {
                reason: reason.clone(),
            })])
        }
        C::Withdraw { reason } => Ok(vec![E::ApplicationWithdrawn(ApplicationWithdrawn {
            reason: reason.clone(),
        })]),
        C::AssignReviewer { officer_id } => {
            require_text("officer_id", officer_id)?;
            Ok(vec![E::ReviewerAssigned(ReviewerAssigned {
                officer_id: officer_id.clone(),
            })])
        }
        C::RecordLegalAcquisition { evidence, note } => {
            Ok(vec![E::LegalAcquisitionFound(LegalAcquisitionFound {
                evidence: evidence.clone(),
                note: note.clone(),
            })])
        }
        C::RequestScientificOpinion { lines, question } => request_opinion(state, lines, question),
        C::GiveScientificOpinion {
            lines,
            recipient_suitably_equipped,
        } => give_opinion(state, lines, *recipient_suitably_equipped),
        C::Approve { conditions } => approve(state, conditions, ctx),
        C::Reject { reason } => {
            require_text("reason", reason)?;
            Ok(vec![E::ApplicationRejected(ApplicationRejected {
                reason: reason.clone(),
                findings: vec![],
            })])
        }
        C::RecordPayment { amount, method } => record_payment(state, amount, method),
        C::WaiveFee { reason } => {
            require_text("reason", reason)?;
            Ok(vec![E::FeeWaived(FeeWaived {
                reason: reason.clone(),
            })])
        }
        C::Issue {
            permit_number,
            security_stamp,
            retrospective_reason,
        } => issue(
            state,
            permit_number,
            *security_stamp,
            retrospective_reason.as_deref(),
            ctx,
        ),
        C::Endorse {
            lines,
            port,
            endorsed_on,
            transport_document,
        } => endorse(
            state,
            lines,
            port,
            *endorsed_on,
            transport_document.clone(),
            ctx,
        ),
        C::Cancel { reason } => {
            require_text("reason", reason)?;
            Ok(vec![E::PermitCancelled(PermitCancelled {
                reason: reason.clone(),
            })])
        }
        C::Expire => expire(state, ctx),
        C::ReportLost { stolen, note } => Ok(vec![E::PermitReportedLost(PermitReportedLost {
            stolen: *stolen,
            note: note.clone(),
        })]),
        C::MarkReplaced {
            replacement_permit_id,
            reason,
        } => {
            require_text("reason", reason)?;
            Ok(vec![E::PermitReplaced(PermitReplaced {
                replacement_permit_id: *replacement_permit_id,
                reason: reason.clone(),
            })])
        }
    }
}

/// PERMIT-REPLACEMENT (Res. Conf. 12.3): only an issued, unused permit of the same
/// organisation can be replaced, and the reason is stated.
fn replacement_request(
    form: &data::ApplicationForm,
    organisation_id: Uuid,
    ctx: &DecisionContext,
) -> Result<Option<E>, PermitError> {
    let Some(r) = &form.replaces else {
        return Ok(None);
    };
    let refuse = |message: String| {
        PermitError::Rules(vec![catalogue::PERMIT_REPLACEMENT
            .refuse(message)
            .at("replaces")])
    };
    if r.reason.trim().is_empty() {
        return Err(refuse(
            "a replacement states why the permit is replaced".into(),
        ));
    }
    let target = ctx
        .replacement
        .as_ref()
        .filter(|t| t.permit_id == r.permit_id && t.organisation_id == Some(organisation_id))
        .ok_or_else(|| {
            refuse(format!(
                "permit {} is not an issued permit of this organisation",
                r.permit_id
            ))
        })?;
    match (&target.permit_number, target.status) {
        (Some(number), S::Issued) => Ok(Some(E::ReplacementRequested(ReplacementRequested {
            replaces_permit_id: r.permit_id,
            replaces_permit_number: number.clone(),
            reason: r.reason.trim().to_string(),
        }))),
        _ => Err(refuse(format!(
            "permit {} is {} and cannot be replaced",
            r.permit_id,
            target.status.name()
        ))),
    }
}

/// At issuance the permit being replaced must still be issued and unused.
fn check_still_replaceable(state: &PermitState, ctx: &DecisionContext) -> Result<(), PermitError> {
    let Some(r) = &state.replaces else {
        return Ok(());
    };
    let usable = ctx
        .replacement
        .as_ref()
        .is_some_and(|t| t.permit_id == r.replaces_permit_id && t.status == S::Issued);
    if usable {
        return Ok(());
    }
    Err(PermitError::Rules(vec![catalogue::PERMIT_REPLACEMENT
        .refuse(format!(
            "permit {} is no longer an issued, unused permit: it cannot be replaced",
            r.replaces_permit_number
        ))]))
}

fn content(state: &PermitState) -> Result<&ApplicationContent, PermitError> {
    state
        .content
        .as_ref()
        .ok_or_else(|| PermitError::Invalid("the application has no content".into()))
}

fn request_opinion(state: &PermitState, lines: &[u32], question: &Option<String>) -> Decision {
    let app = content(state)?;
    let lines = if lines.is_empty() {
        findings::lines_needing_ndf(app)
    } else {
        lines.to_vec()
    };
    if lines.is_empty() {
        return Err(PermitError::Invalid(
            "no line needs a non-detriment finding; name the lines to ask about".into(),
        ));
    }
    if let Some(bad) = lines
        .iter()
        .find(|n| !app.lines.iter().any(|l| l.line_no == **n))
    {
        return Err(PermitError::Invalid(format!(
            "the application has no line {bad}"
        )));
    }
    Ok(vec![E::ScientificOpinionRequested(
        ScientificOpinionRequested {
            lines,
            question: question.clone(),
        },
    )])
}

fn give_opinion(state: &PermitState, lines: &[LineOpinion], equipped: Option<bool>) -> Decision {
    let app = content(state)?;
    if lines.is_empty() && equipped.is_none() {
        return Err(PermitError::Invalid(
            "an opinion must cover at least one line".into(),
        ));
    }
    if let Some(bad) = lines
        .iter()
        .find(|o| !app.lines.iter().any(|l| l.line_no == o.line_no))
    {
        return Err(PermitError::Invalid(format!(
            "the application has no line {}",
            bad.line_no
        )));
    }
    Ok(vec![E::ScientificOpinionGiven(ScientificOpinionGiven {
        opinion_id: Uuid::now_v7(),
        lines: lines.to_vec(),
        recipient_suitably_equipped: equipped,
    })])
}

/// Approval re-checks the application against the listing in force today and requires every
/// finding; the listings seen are recorded.
fn approve(state: &PermitState, extra: &[String], ctx: &DecisionContext) -> Decision {
    let mut app = content(state)?.clone();
    let exporting = app.exporting_country;
    for line in &mut app.lines {
        let origin = line.origin.as_ref().map(|o| o.country);
        line.listing = data::listing_seen(ctx, line.taxon_id, origin, exporting);
    }
    let mut all = application_rules(&app, ctx);
    all.extend(findings::all(&app, &state.review));
    let checks = checks::report(&[checks::APPLICATION, checks::FINDINGS], &all);
    let warnings = rules::verdict(all).map_err(PermitError::Rules)?;
    let mut conditions: Vec<String> = state
        .review
        .opinions
        .values()
        .flat_map(|(_, o)| o.conditions.iter().cloned())
        .collect();
    conditions.extend(findings::live_transport_conditions(&app));
    conditions.extend(extra.iter().filter(|c| !c.trim().is_empty()).cloned());
    Ok(vec![E::ApplicationApproved(ApplicationApproved {
        conditions,
        listings: app.lines.iter().map(|l| l.listing.clone()).collect(),
        warnings,
        checks,
    })])
}

fn record_payment(state: &PermitState, amount: &Money, method: &PaymentMethod) -> Decision {
    let fee = state
        .fee
        .as_ref()
        .ok_or_else(|| PermitError::Invalid("no fee was assessed".into()))?;
    if amount.minor_units <= 0 {
        return Err(PermitError::Invalid(
            "a payment must be a positive amount".into(),
        ));
    }
    if amount.currency != fee.currency {
        return Err(PermitError::Invalid(format!(
            "the fee is in {}, not {}",
            fee.currency, amount.currency
        )));
    }
    Ok(vec![E::PaymentRecorded(PaymentRecorded {
        amount: amount.clone(),
        method: method.clone(),
    })])
}

fn issue(
    state: &PermitState,
    number: &str,
    stamp: u64,
    retrospective_reason: Option<&str>,
    ctx: &DecisionContext,
) -> Decision {
    if !state.fee_settled() {
        let currency = state
            .fee
            .as_ref()
            .map_or(String::new(), |f| f.currency.clone());
        return Err(PermitError::FeeOutstanding {
            outstanding: state.outstanding(),
            currency,
        });
    }
    check_still_replaceable(state, ctx)?;
    let app = content(state)?;
    let retrospective = issuance::no_retrospective(app, ctx.settings, retrospective_reason)
        .map_err(|f| PermitError::Rules(vec![f]))?;
    let retrospective_warning: Vec<Finding> = retrospective
        .iter()
        .map(|r| {
            catalogue::PERMIT_NO_RETROSPECTIVE
                .warn(format!(
                    "issued after the consignment left ({}) under the Party's exception: {}",
                    r.departed_on, r.reason
                ))
                .at("retrospective_reason")
        })
        .collect();
    let quota_use = rules::trade::quotas(app, ctx).map_err(PermitError::Rules)?;
    // The import drawn on may have been taken meanwhile by another re-export.
    rules::verdict(rules::reexport::import_balance(app, ctx)).map_err(PermitError::Rules)?;
    Ok(vec![E::PermitIssued(PermitIssued {
        permit_number: number.to_string(),
        security_stamp: stamp,
        issued_on: ctx.today,
        valid_until: issuance::valid_until(app, ctx.today),
        quota_use,
        replaces: state
            .replaces
            .as_ref()
            .map(|r| r.replaces_permit_number.clone()),
        retrospective,
        // Reaching here, every issuance rule passed (a refusal above wrote nothing); a
        // retrospective issue under the Party's exception is shown as a warning.
        checks: checks::report(&[checks::ISSUANCE], &retrospective_warning),
    })])
}

fn endorse(
    state: &PermitState,
    lines: &[EndorsedLine],
    port: &str,
    on: ecites_events::cites::IsoDate,
    transport: Option<String>,
    ctx: &DecisionContext,
) -> Decision {
    let app = content(state)?;
    let permit = state
        .permit
        .as_ref()
        .ok_or_else(|| PermitError::Invalid("not issued".into()))?;
    require_text("port", port)?;
    let target = endorsement::EndorsementTarget {
        permit_number: &permit.permit_number,
        issued_on: permit.issued_on,
        valid_until: permit.valid_until,
        lines: &app.lines,
        already_endorsed: state.endorsement.is_some(),
        void: state.status.void_reason(),
    };
    let all = [
        endorsement::one_consignment(&target),
        endorsement::valid(&target, on),
        endorsement::date(&target, on, ctx.today),
        endorsement::quantity(&target, lines),
    ]
    .concat();
    rules::verdict(all).map_err(PermitError::Rules)?;
    Ok(vec![E::PermitEndorsed(PermitEndorsed {
        lines: lines.to_vec(),
        port: port.trim().to_string(),
        endorsed_on: on,
        transport_document: transport,
    })])
}

fn expire(state: &PermitState, ctx: &DecisionContext) -> Decision {
    let permit = state
        .permit
        .as_ref()
        .ok_or_else(|| PermitError::Invalid("not issued".into()))?;
    if ctx.today <= permit.valid_until {
        return Err(PermitError::Invalid(format!(
            "permit {} is valid until {}",
            permit.permit_number, permit.valid_until
        )));
    }
    Ok(vec![E::PermitExpired(PermitExpired {
        valid_until: permit.valid_until,
    })])
}
