//! Sealing at issuance (issue #14): the permit's `CP1` seal, signed with the Party's key,
//! goes into the issuance's own commit as `PermitSealed`, so that every copy of the document
//! prints the same seal and the log says which key signed it.

use super::organisations::organisation_ref;
use super::{CommandHandler, HandlerError};
use crate::domain::permit::{PermitEvent, PermitState};
use crate::seal;
use ecites_events::payloads::permit::{PermitIssued, PermitSealed};
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
        let Some(issued) = events.iter().find_map(|e| match e {
            PermitEvent::PermitIssued(i) => Some(i.clone()),
            _ => None,
        }) else {
            return Ok(events);
        };
        let data = EventData::from_payload(&issued).map_err(|e| encoding(e.to_string()))?;
        let payload = data.payload.get().as_bytes();
        if let Some(sealed) = self.seal_of(party, state, &issued, payload).await? {
            events.push(PermitEvent::PermitSealed(sealed));
        }
        Ok(events)
    }

    /// The seal of the permit `issued` made, over `recorded` (its payload as the log has it),
    /// or `None` when this process holds no key of the Party.
    async fn seal_of(
        &self,
        party: PartyCode,
        state: &PermitState,
        issued: &PermitIssued,
        recorded: &[u8],
    ) -> Result<Option<PermitSealed>, HandlerError> {
        let (Some(signer), Some(content)) = (self.sealers.0.get(&party), &state.content) else {
            return Ok(None);
        };
        let exporter = match state.organisation_id {
            Some(id) => self.registered_name(&organisation_ref(party, id)).await?,
            None => String::new(),
        };
        let digest = seal::event_digest(recorded);
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let claims = seal::claims_of(content, issued, &exporter, digest, now);
        let kid = seal::key_id(&signer.verifying_key());
        let text = seal::seal(&claims, kid, |tbs| signer.sign_message(tbs))
            .map_err(|e| encoding(e.to_string()))?;
        Ok(Some(PermitSealed {
            seal: text,
            key_id: signer.key_id.to_string(),
        }))
    }
}

fn encoding(e: String) -> HandlerError {
    HandlerError::Append(AppendError::Encoding(e))
}

impl<L: EventAppender + EventReader> CommandHandler<L> {
    /// Seals a permit issued before seals existed (its first document asks for one), once: the
    /// command id is derived from the permit, so two first prints record one `PermitSealed`.
    /// A permit sealed already is a duplicate, not a second seal; `None` when this process
    /// holds no key of the Party.
    pub async fn seal_issued(
        &self,
        who: &super::auth::Principal,
        party: PartyCode,
        permit_id: uuid::Uuid,
    ) -> Result<Option<super::Accepted>, HandlerError> {
        if !self.sealers.0.contains_key(&party) {
            return Ok(None);
        }
        let aggregate = Self::permit_ref(party, permit_id);
        let command_id = uuid::Uuid::new_v5(&permit_id, b"ecites:seal-on-first-document");
        let run = super::execute::Run {
            who,
            party,
            command_id,
            id: permit_id,
        };
        let aggregate = &aggregate;
        let decide = || async move { self.seal_attempt(aggregate, permit_id, command_id).await };
        self.execute(run, decide, || self.cache.forget(aggregate))
            .await
            .map(Some)
    }

    async fn seal_attempt(
        &self,
        aggregate: &ecites_events::AggregateRef,
        permit_id: uuid::Uuid,
        command_id: uuid::Uuid,
    ) -> Result<super::execute::Try<'_>, HandlerError> {
        use crate::domain::permit::PermitStatus as S;
        let loaded = self.load_permit(aggregate).await?;
        if let Some(sequence) = loaded.applied.get(&command_id) {
            return Ok(super::execute::Try::Applied(*sequence));
        }
        let state = &loaded.state;
        if loaded.position == ecites_events::ExpectedPosition::New {
            return Err(HandlerError::NotFound(permit_id));
        }
        if state.seal.is_some() {
            // Sealed at issuance: the position says which commit did it.
            let at = match loaded.position {
                ecites_events::ExpectedPosition::At(p) => p.sequence,
                ecites_events::ExpectedPosition::New => 0,
            };
            return Ok(super::execute::Try::Applied(at));
        }
        if !matches!(state.status, S::Issued | S::Used) {
            return Err(HandlerError::Invalid(format!(
                "the permit is {}: only a permit in force or used is sealed",
                state.status.name()
            )));
        }
        let (issued, recorded) = self.recorded_issuance(aggregate).await?;
        let sealed = self
            .seal_of(aggregate.party, state, &issued, recorded.as_bytes())
            .await?
            .ok_or_else(|| HandlerError::Invalid(format!("no seal key for {}", aggregate.party)))?;
        let event = PermitEvent::PermitSealed(sealed);
        let change = super::execute::change(aggregate, loaded.position, &[event])?;
        Ok(super::execute::Try::write(
            vec![change],
            vec!["PermitSealed"],
        ))
    }

    /// The permit's `PermitIssued` as decoded, and its payload exactly as the log recorded it
    /// (the seal binds to those bytes, whatever schema version they were written in).
    async fn recorded_issuance(
        &self,
        aggregate: &ecites_events::AggregateRef,
    ) -> Result<(PermitIssued, String), HandlerError> {
        let upcasters = ecites_events::payloads::upcasters();
        for ev in self.log.read_aggregate(aggregate).await? {
            let v = self.verify(&ev)?;
            if v.envelope.event_type == "PermitIssued" {
                let issued = v
                    .decode::<PermitIssued>(&upcasters)
                    .map_err(|e| HandlerError::Integrity(e.to_string()))?;
                return Ok((issued, v.envelope.payload.get().to_string()));
            }
        }
        Err(HandlerError::Integrity(format!(
            "{aggregate} is issued but has no PermitIssued event"
        )))
    }
}
