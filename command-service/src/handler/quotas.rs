//! The Party's quotas as the handler keeps them: an index of quota ids and each quota's state
//! with its position, loaded from the log and refreshed after every commit that touches it.

use super::{CommandHandler, HandlerError};
use crate::domain::context::QuotaState;
use crate::domain::quota::{Quota, QuotaEvent};
use ecites_events::{
    AggregateRef, Committed, EventAppender, EventReader, ExpectedPosition, PartyCode,
};
use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;
use uuid::Uuid;

#[derive(Default)]
pub struct QuotaBook {
    index: Mutex<HashMap<PartyCode, BTreeSet<String>>>,
    loaded: Mutex<HashMap<AggregateRef, (Quota, ExpectedPosition)>>,
}

impl QuotaBook {
    pub fn known(&self, party: PartyCode) -> Vec<String> {
        self.index
            .lock()
            .map(|i| {
                i.get(&party)
                    .map(|s| s.iter().cloned().collect())
                    .unwrap_or_default()
            })
            .unwrap_or_default()
    }

    pub fn add_to_index(&self, party: PartyCode, quota_id: &str) {
        if let Ok(mut i) = self.index.lock() {
            i.entry(party).or_default().insert(quota_id.to_string());
        }
    }

    pub fn cached(&self, aggregate: &AggregateRef) -> Option<(Quota, ExpectedPosition)> {
        self.loaded.lock().ok()?.get(aggregate).cloned()
    }

    pub fn store(&self, aggregate: &AggregateRef, quota: Quota, position: ExpectedPosition) {
        if let Ok(mut l) = self.loaded.lock() {
            l.insert(aggregate.clone(), (quota, position));
        }
    }

    /// After a commit: fold the quota events in and take the new positions.
    pub fn store_after(
        &self,
        done: &Committed,
        changes: &[(AggregateRef, Quota, Vec<QuotaEvent>)],
    ) {
        for (aggregate, quota, events) in changes {
            if let Some((_, pos)) = done.positions.iter().find(|(a, _)| a == aggregate) {
                let folded = events.iter().fold(quota.clone(), Quota::evolve);
                self.store(aggregate, folded, ExpectedPosition::At(*pos));
            }
        }
    }

    pub fn forget_party(&self, party: PartyCode) {
        if let Ok(mut l) = self.loaded.lock() {
            l.retain(|a, _| a.party != party);
        }
    }
}

pub fn quota_ref(party: PartyCode, quota_id: &str) -> Result<AggregateRef, HandlerError> {
    AggregateRef::new(party, "quota", quota_id).map_err(|e| HandlerError::Invalid(e.to_string()))
}

impl<L: EventAppender + EventReader> CommandHandler<L> {
    /// Learns the Party's quota ids from its log (start-up).
    pub async fn load_quota_index(&self, party: PartyCode) -> Result<usize, HandlerError> {
        let kind = ecites_events::AggregateType::new("quota")
            .map_err(|e| HandlerError::Invalid(e.to_string()))?;
        for id in self.log.aggregate_ids(party, &kind).await? {
            self.quotas.add_to_index(party, id.as_str());
        }
        Ok(self.quotas.known(party).len())
    }

    pub(super) async fn load_quota(
        &self,
        aggregate: &AggregateRef,
    ) -> Result<(Quota, ExpectedPosition), HandlerError> {
        // Another instance may have reserved or released since: one direct get tells.
        if let Some(hit) = self.quotas.cached(aggregate) {
            if self.still_latest(aggregate, hit.1).await? {
                return Ok(hit);
            }
        }
        let f = self
            .fold_log(
                aggregate,
                Quota::default(),
                QuotaEvent::decode,
                |q, step| q.evolve(&step.event),
            )
            .await?;
        let (quota, position) = (f.state, f.position);
        self.quotas.store(aggregate, quota.clone(), position);
        Ok((quota, position))
    }

    /// Every quota of the Party as the rules see it, including quotas set through another
    /// instance since the last look.
    /// `releasing`: a permit whose reservations the same commit releases (it is replaced).
    pub(super) async fn quota_states(
        &self,
        party: PartyCode,
        releasing: Option<Uuid>,
    ) -> Result<Vec<QuotaState>, HandlerError> {
        self.load_quota_index(party).await?;
        let mut out = vec![];
        for id in self.quotas.known(party) {
            let (quota, _) = self.load_quota(&quota_ref(party, &id)?).await?;
            out.extend(quota.state_releasing(&id, releasing));
        }
        Ok(out)
    }
}
