//! The dry run of a submission (or of the resubmission of a returned application): the same
//! authorization, settings, decision and document check as the command, and nothing written.
//! The trader sees the fee and every finding before filing.

use super::auth::Principal;
use super::{CommandHandler, HandlerError};
use crate::domain::context::DecisionContext;
use crate::domain::permit::{decide, PermitCommand, PermitError, PermitEvent, PermitState};
use crate::domain::rules::data::{self, ApplicationForm};
use crate::domain::rules::Finding;
use ecites_events::cites::Money;
use ecites_events::payloads::permit::{RuleCheck, RuleFinding};
use ecites_events::{EventAppender, EventReader, ExpectedPosition, PartyCode};
use uuid::Uuid;

/// What filing the form now would do.
#[derive(Debug)]
pub struct Assessment {
    /// `submit` or `resubmit`.
    pub command: &'static str,
    /// The refusals; empty when the form would be accepted.
    pub violations: Vec<Finding>,
    /// The warnings the event would record.
    pub warnings: Vec<RuleFinding>,
    /// Every rule check the event would record (none for a refused form: a refusal records
    /// nothing, its violations say why).
    pub checks: Vec<RuleCheck>,
    /// The fee the event would record; for a refused form, the fee it would cost once its
    /// refusals are fixed, when the form can be read at all.
    pub fee: Option<Money>,
}

impl<L: EventAppender + EventReader> CommandHandler<L> {
    /// Decides a submission (`permit_id` None) or the resubmission of returned application
    /// `permit_id`, and writes nothing. Rule refusals are an answer, not an error; every other
    /// refusal (role, organisation, state) is the command's own error.
    pub async fn assess(
        &self,
        who: &Principal,
        party: PartyCode,
        permit_id: Option<Uuid>,
        organisation_id: Uuid,
        form: ApplicationForm,
    ) -> Result<Assessment, HandlerError> {
        let (state, command) = match permit_id {
            Some(id) => {
                let loaded = self.load_permit(&Self::permit_ref(party, id)).await?;
                if loaded.position == ExpectedPosition::New {
                    return Err(HandlerError::NotFound(id));
                }
                (loaded.state, PermitCommand::Resubmit { form: form.clone() })
            }
            None => (
                PermitState::default(),
                PermitCommand::Submit {
                    organisation_id,
                    form: form.clone(),
                },
            ),
        };
        let name = if permit_id.is_some() {
            "resubmit"
        } else {
            "submit"
        };
        self.authorize_permit(who, party, &command, &state).await?;
        let settings = self.party_settings(party).await?;
        let replaced = self.replaced_permit(party, &command, &state).await?;
        let named = super::imports::named_imports(&command, &state);
        let import_lines = self
            .import_lines(party, &named, permit_id.unwrap_or_default())
            .await?;
        let ctx = DecisionContext {
            today: (self.today)(),
            reference: self.reference.as_ref(),
            settings: &settings,
            quotas: &[],
            replacement: replaced.map(|r| r.target),
            imports: &import_lines,
        };
        let decided = match decide(&state, command, &ctx) {
            Ok(events) => self.check_documents(party, &events).await.map(|()| events),
            Err(e) => Err(e.into()),
        };
        match decided {
            Ok(events) => Ok(accepted(name, &events)),
            Err(HandlerError::Refused(PermitError::Rules(violations))) => Ok(Assessment {
                command: name,
                violations,
                warnings: vec![],
                checks: vec![],
                fee: fee_once_fixed(&form, &ctx),
            }),
            Err(e) => Err(e),
        }
    }
}

fn accepted(command: &'static str, events: &[PermitEvent]) -> Assessment {
    let filed = events.iter().find_map(|e| match e {
        PermitEvent::ApplicationSubmitted(s) => {
            Some((s.warnings.clone(), s.checks.clone(), s.fee.clone()))
        }
        PermitEvent::ApplicationResubmitted(r) => {
            Some((r.warnings.clone(), r.checks.clone(), r.fee.clone()))
        }
        _ => None,
    });
    let (warnings, checks, fee) = filed.map_or((vec![], vec![], None), |(w, c, f)| (w, c, Some(f)));
    Assessment {
        command,
        violations: vec![],
        warnings,
        checks,
        fee,
    }
}

/// The schedule's fee for a form the rules refuse but whose data reads (the submission would
/// charge exactly this once the refusals are fixed without changing type, appendix or lines).
fn fee_once_fixed(form: &ApplicationForm, ctx: &DecisionContext) -> Option<Money> {
    let content = data::check_form(form, ctx).ok()?;
    Some(ctx.settings.fee_for(
        content.document_type,
        data::strictest_appendix(&content),
        content.lines.len(),
        content.express,
    ))
}
