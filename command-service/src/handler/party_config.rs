//! The Party's configuration in the handler: the settings a permit decision is taken with
//! (start-up defaults with the `party_config` events folded in) and the administrator's
//! commands that change them.
//!
//! Permit commands never write to the configuration, so only the log can tell this instance
//! that another one changed it: every use asks the log for the aggregate's last sequence (one
//! direct get) and folds the events again only when it moved.

use super::auth::{Denied, Principal, Role};
use super::execute::{change, Remember, Run, Try};
use super::{Accepted, CommandHandler, HandlerError};
use crate::domain::context::PartySettings;
use crate::domain::party_config::{decide, evolve, PartyConfigCommand, PartyConfigEvent};
use ecites_events::{AggregateRef, EventAppender, EventReader, ExpectedPosition, PartyCode};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use uuid::Uuid;

/// The configuration as folded from the log, with what it was folded from.
#[derive(Clone, Debug)]
pub struct LoadedConfig {
    pub settings: Arc<PartySettings>,
    pub position: ExpectedPosition,
    /// The defaults it was folded over: new defaults (`configure_party`) mean a new fold.
    base: Arc<PartySettings>,
    applied: HashMap<Uuid, u64>,
}

#[derive(Default)]
pub struct ConfigBook {
    entries: Mutex<HashMap<PartyCode, LoadedConfig>>,
}

impl ConfigBook {
    fn get(&self, party: PartyCode) -> Option<LoadedConfig> {
        self.entries.lock().ok()?.get(&party).cloned()
    }

    fn put(&self, party: PartyCode, loaded: LoadedConfig) {
        if let Ok(mut e) = self.entries.lock() {
            e.insert(party, loaded);
        }
    }
}

pub fn config_ref(party: PartyCode) -> AggregateRef {
    AggregateRef::new(party, "party_config", &party.subject_token())
        .unwrap_or_else(|_| unreachable!("a Party's subject token is a valid aggregate id"))
}

/// Only the Party's own administrator changes its configuration: fees and bans bind every
/// officer's later decisions, so the officers who apply them do not set them.
pub fn authorize(
    who: &Principal,
    party: PartyCode,
    command: &PartyConfigCommand,
) -> Result<(), Denied> {
    if who.party != party {
        return Err(Denied::OtherParty(party));
    }
    if who.role != Role::PartyAdmin {
        return Err(Denied::Role {
            role: who.role.as_str(),
            command: command.name(),
        });
    }
    Ok(())
}

impl<L: EventAppender + EventReader> CommandHandler<L> {
    /// The Party's configuration as the log has it now.
    pub(super) async fn load_config(&self, party: PartyCode) -> Result<LoadedConfig, HandlerError> {
        let base = self.base_settings(party)?;
        let aggregate = config_ref(party);
        if let Some(hit) = self.party_config.get(party) {
            if Arc::ptr_eq(&hit.base, &base) && self.still_latest(&aggregate, hit.position).await? {
                return Ok(hit);
            }
        }
        let f = self
            .fold_log(
                &aggregate,
                (*base).clone(),
                PartyConfigEvent::decode,
                |s, step| evolve(s, &step.event),
            )
            .await?;
        let (settings, position, applied) = (f.state, f.position, f.applied);
        // Kept even when there is no event yet, so that an unconfigured Party costs one
        // direct get per decision like a configured one.
        let loaded = LoadedConfig {
            settings: Arc::new(settings),
            position,
            base,
            applied,
        };
        self.party_config.put(party, loaded.clone());
        Ok(loaded)
    }

    /// The settings a permit decision of the Party is taken with.
    pub(super) async fn party_settings(
        &self,
        party: PartyCode,
    ) -> Result<Arc<PartySettings>, HandlerError> {
        Ok(self.load_config(party).await?.settings)
    }

    /// The Party's configuration, to its own users (traders need the fees and the bans too),
    /// with the read-your-writes token of its last change (`None` before any).
    pub async fn party_config(
        &self,
        who: &Principal,
        party: PartyCode,
    ) -> Result<(Arc<PartySettings>, Option<ecites_events::Position>), HandlerError> {
        if who.party != party {
            return Err(Denied::OtherParty(party).into());
        }
        let loaded = self.load_config(party).await?;
        let position = match loaded.position {
            ExpectedPosition::New => None,
            ExpectedPosition::At(p) => Some(ecites_events::Position::new(party, p.sequence)),
        };
        Ok((loaded.settings, position))
    }

    /// Handles one configuration command, idempotently by `command_id`.
    pub async fn handle_party_config(
        &self,
        who: &Principal,
        party: PartyCode,
        command_id: Uuid,
        command: PartyConfigCommand,
    ) -> Result<Accepted<()>, HandlerError> {
        authorize(who, party, &command)?;
        let aggregate = &config_ref(party);
        let command = &command;
        let decide = || async move {
            let loaded = self.load_config(party).await?;
            if let Some(sequence) = loaded.applied.get(&command_id) {
                return Ok(Try::Applied(*sequence));
            }
            let events = decide(&loaded.settings, command.clone())?;
            let changes = vec![change(aggregate, loaded.position, &events)?];
            let names = events.iter().map(PartyConfigEvent::event_type).collect();
            let remember: Remember = Box::new(move |done, _| {
                let Some((_, pos)) = done.positions.iter().find(|(a, _)| a == aggregate) else {
                    return;
                };
                let settings = events.iter().fold((*loaded.settings).clone(), evolve);
                let mut next = LoadedConfig {
                    settings: Arc::new(settings),
                    position: ExpectedPosition::At(*pos),
                    ..loaded
                };
                next.applied.insert(command_id, done.last_sequence);
                self.party_config.put(party, next);
            });
            Ok(Try::Write {
                changes,
                events: names,
                remember,
            })
        };
        let run = Run {
            who,
            party,
            command_id,
            id: (),
        };
        // Changed meanwhile (e.g. through another instance): the next load sees the log's
        // last sequence, folds again and the command is decided on that.
        self.execute(run, decide, || {}).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::party_config::PartyConfigCommand as C;

    fn lk() -> PartyCode {
        "LK".parse().unwrap()
    }

    #[test]
    fn only_the_partys_own_administrator_changes_its_configuration() {
        let command = C::RemoveFromNationalList { taxon_id: 1 };
        for role in Role::ALL {
            let who = Principal {
                user_id: "u".into(),
                role,
                party: lk(),
                organisation_id: None,
            };
            let expected = if role == Role::PartyAdmin {
                Ok(())
            } else {
                Err(Denied::Role {
                    role: role.as_str(),
                    command: "remove a species from the national list",
                })
            };
            assert_eq!(authorize(&who, lk(), &command), expected, "{role:?}");
            let abroad = Principal {
                party: "KE".parse().unwrap(),
                ..who
            };
            assert_eq!(
                authorize(&abroad, lk(), &command),
                Err(Denied::OtherParty(lk())),
                "{role:?} of another Party"
            );
        }
    }

    #[test]
    fn the_configuration_lives_on_one_aggregate_per_party() {
        let r = config_ref(lk());
        assert_eq!(r.aggregate_type.as_str(), "party_config");
        assert_eq!(r.aggregate_id.as_str(), "lk");
    }
}
