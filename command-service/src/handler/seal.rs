//! Sealing at issuance (issue #14): the permit's `CP1` seal, signed with the Party's key,
//! goes into the issuance's own commit as `PermitSealed`, so that every copy of the document
//! prints the same seal and the log says which key signed it.

use super::organisations::organisation_ref;
use super::{CommandHandler, HandlerError};
use crate::domain::permit::{PermitEvent, PermitState};
use crate::seal;
use ecites_events::payloads::permit::PermitSealed;
use ecites_events::{AppendError, EventAppender, EventData, EventReader, PartyCode, Signer};
use std::collections::HashMap;

/// The keys seals are signed with, by Party (the same keys that sign the Party's events).
#[derive(Default)]
pub struct Sealers(HashMap<PartyCode, Signer>);

impl Sealers {
    pub fn new(signers: impl IntoIterator<Item = Signer>) -> Self {
        Self(signers.into_iter().map(|s| (s.party, s)).collect())
    }
}

impl<L: EventAppender + EventReader> CommandHandler<L> {
    /// The organisation's registered name (box 4). No command renames an organisation, so a
    /// copy in memory is good without asking the log whether it moved (one round trip fewer
    /// per issuance).
    async fn registered_name(
        &self,
        aggregate: &ecites_events::AggregateRef,
    ) -> Result<String, HandlerError> {
        let registration = match self.organisations.get(aggregate) {
            Some(hit) if hit.state.registration.is_some() => hit.state.registration,
            _ => self.load_organisation(aggregate).await?.state.registration,
        };
        Ok(registration.map(|r| r.name).unwrap_or_default())
    }

    /// Seals the permit these events issue, when this process holds the Party's key.
    pub(super) async fn with_seal(
        &self,
        party: PartyCode,
        state: &PermitState,
        mut events: Vec<PermitEvent>,
    ) -> Result<Vec<PermitEvent>, HandlerError> {
        let issued = events.iter().find_map(|e| match e {
            PermitEvent::PermitIssued(i) => Some(i.clone()),
            _ => None,
        });
        let (Some(issued), Some(signer), Some(content)) =
            (issued, self.sealers.0.get(&party), &state.content)
        else {
            return Ok(events);
        };
        let exporter = match state.organisation_id {
            Some(id) => self.registered_name(&organisation_ref(party, id)).await?,
            None => String::new(),
        };
        let encoding = |e: String| HandlerError::Append(AppendError::Encoding(e));
        let data = EventData::from_payload(&issued).map_err(|e| encoding(e.to_string()))?;
        let digest = seal::event_digest(data.payload.get().as_bytes());
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let claims = seal::claims_of(content, &issued, &exporter, digest, now);
        let kid = seal::key_id(&signer.verifying_key());
        let text = seal::seal(&claims, kid, |tbs| signer.sign_message(tbs))
            .map_err(|e| encoding(e.to_string()))?;
        events.push(PermitEvent::PermitSealed(PermitSealed {
            seal: text,
            key_id: signer.key_id.to_string(),
        }));
        Ok(events)
    }
}
