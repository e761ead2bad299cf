//! Replacing an issued permit (PERMIT-REPLACEMENT): the application names the old permit; when
//! the new one is issued, the old one is marked replaced in the same atomic commit, so there is
//! never a moment with two valid documents for one consignment, nor with none.

use super::load::Loaded;
use super::{CommandHandler, HandlerError};
use crate::domain::context::{DecisionContext, ReplacementTarget};
use crate::domain::permit::{decide, PermitCommand, PermitEvent, PermitState};
use ecites_events::{AggregateRef, EventAppender, EventReader, PartyCode};
use uuid::Uuid;

/// The permit being replaced, loaded, with what the decision may know of it.
pub struct Replaced {
    pub aggregate: AggregateRef,
    pub loaded: Loaded,
    pub target: ReplacementTarget,
}

impl<L: EventAppender + EventReader> CommandHandler<L> {
    /// The permit an application replaces, as it stands now: named by the form at submission,
    /// by the application's state at issuance.
    pub(super) async fn replaced_permit(
        &self,
        party: PartyCode,
        command: &PermitCommand,
        state: &PermitState,
    ) -> Result<Option<Replaced>, HandlerError> {
        let old_id = match command {
            PermitCommand::Submit { form, .. } => form.replaces.as_ref().map(|r| r.permit_id),
            PermitCommand::Issue { .. } => state.replaces.as_ref().map(|r| r.replaces_permit_id),
            _ => None,
        };
        let Some(old_id) = old_id else {
            return Ok(None);
        };
        let aggregate = Self::permit_ref(party, old_id);
        let loaded = self.load_permit(&aggregate).await?;
        let target = ReplacementTarget {
            permit_id: old_id,
            permit_number: loaded
                .state
                .permit
                .as_ref()
                .map(|p| p.permit_number.clone()),
            status: loaded.state.status,
            organisation_id: loaded.state.organisation_id,
        };
        Ok(Some(Replaced {
            aggregate,
            loaded,
            target,
        }))
    }

    /// The old permit's events when the new one is issued: decided like any command on it.
    pub(super) fn replacement_events(
        replaced: &Replaced,
        new_permit_id: Uuid,
        new_state: &PermitState,
        new_events: &[PermitEvent],
        ctx: &DecisionContext,
    ) -> Result<Vec<PermitEvent>, HandlerError> {
        let issued = new_events
            .iter()
            .any(|e| matches!(e, PermitEvent::PermitIssued(_)));
        let Some(request) = new_state.replaces.as_ref().filter(|_| issued) else {
            return Ok(vec![]);
        };
        let command = PermitCommand::MarkReplaced {
            replacement_permit_id: new_permit_id,
            reason: request.reason.clone(),
        };
        Ok(decide(&replaced.loaded.state, command, ctx)?)
    }
}
