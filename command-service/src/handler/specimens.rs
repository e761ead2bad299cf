//! The specimens of a Party's signatures and stamp in the handler: one aggregate per Party,
//! changed only by its own administrator (issue #14).

use super::auth::{Denied, Principal, Role};
use super::execute::{change, Run, Try};
use super::{Accepted, CommandHandler, HandlerError};
use crate::domain::specimens::{decide, evolve, SpecimenCommand, SpecimenEvent, SpecimensState};
use ecites_events::{AggregateRef, EventAppender, EventReader, PartyCode};
use uuid::Uuid;

pub fn specimens_ref(party: PartyCode) -> AggregateRef {
    AggregateRef::new(party, "specimens", &party.subject_token())
        .unwrap_or_else(|_| unreachable!("a Party's subject token is a valid aggregate id"))
}

/// The Party admin vouches for the specimens other Parties compare permits with; the
/// signatories whose signatures they are do not record their own.
pub fn authorize(who: &Principal, party: PartyCode) -> Result<(), Denied> {
    if who.party != party {
        return Err(Denied::OtherParty(party));
    }
    if who.role != Role::PartyAdmin {
        return Err(Denied::Role {
            role: who.role.as_str(),
            command: "record or withdraw a specimen",
        });
    }
    Ok(())
}

impl<L: EventAppender + EventReader> CommandHandler<L> {
    /// Records or withdraws a specimen, idempotently by `command_id`.
    pub async fn handle_specimen(
        &self,
        who: &Principal,
        party: PartyCode,
        command_id: Uuid,
        command: SpecimenCommand,
    ) -> Result<Accepted<()>, HandlerError> {
        authorize(who, party)?;
        self.base_settings(party)?;
        let aggregate = &specimens_ref(party);
        let command = &command;
        // Rare commands: the aggregate is folded from the log each time, so that another
        // instance's specimen is always seen.
        let decide = || async move {
            let loaded = self
                .fold_log(
                    aggregate,
                    SpecimensState::default(),
                    SpecimenEvent::decode,
                    |s, step| evolve(s, &step.event),
                )
                .await?;
            if let Some(sequence) = loaded.applied.get(&command_id) {
                return Ok(Try::Applied(*sequence));
            }
            let events = decide(&loaded.state, command.clone())?;
            let names = events.iter().map(SpecimenEvent::event_type).collect();
            Ok(Try::write(
                vec![change(aggregate, loaded.position, &events)?],
                names,
            ))
        };
        let run = Run {
            who,
            party,
            command_id,
            id: (),
        };
        self.execute(run, decide, || {}).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_partys_own_administrator_records_specimens() {
        let lk: PartyCode = "LK".parse().unwrap();
        for role in Role::ALL {
            let who = Principal {
                user_id: "u".into(),
                role,
                party: lk,
                organisation_id: None,
            };
            assert_eq!(
                authorize(&who, lk).is_ok(),
                role == Role::PartyAdmin,
                "{role:?}"
            );
            let abroad = Principal {
                party: "KE".parse().unwrap(),
                ..who
            };
            assert_eq!(authorize(&abroad, lk), Err(Denied::OtherParty(lk)));
        }
        assert_eq!(specimens_ref(lk).aggregate_id.as_str(), "lk");
    }
}
