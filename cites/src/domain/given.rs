//! One given/when/then harness for every aggregate: given its past events, when a command is
//! decided, then the events it yields (and the state they lead to) or its refusal.
//!
//! Each aggregate's tests add their own assertions (`refused_by(rule)`) on `Then<TheirAggregate>`.

use super::aggregate::Aggregate;
use std::fmt::Debug;

pub struct Given<A: Aggregate> {
    pub state: A::State,
}

/// The aggregate after `events`, folded over `initial`.
pub fn given<A: Aggregate>(initial: A::State, events: &[A::Event]) -> Given<A> {
    Given {
        state: A::fold(initial, events),
    }
}

impl<A: Aggregate> Given<A> {
    pub fn when(&self, command: A::Command, ctx: &A::Context<'_>) -> Then<A> {
        Then {
            before: self.state.clone(),
            result: A::decide(&self.state, command, ctx),
        }
    }
}

pub struct Then<A: Aggregate> {
    pub before: A::State,
    pub result: Result<Vec<A::Event>, A::Error>,
}

impl<A: Aggregate> Then<A>
where
    A::Event: Debug,
    A::Error: Debug + std::fmt::Display,
{
    #[track_caller]
    pub fn events(self) -> Vec<A::Event> {
        match self.result {
            Ok(e) => e,
            Err(e) => panic!("expected events, got refusal: {e} {e:?}"),
        }
    }

    /// The state the accepted events lead to.
    #[track_caller]
    pub fn state(self) -> A::State {
        let before = self.before.clone();
        A::fold(before, &self.events())
    }

    /// The refusal (a decision that refuses yields no events, so nothing is written).
    #[track_caller]
    pub fn refusal(self) -> A::Error {
        match self.result {
            Err(e) => e,
            Ok(events) => panic!("expected a refusal, got {events:?}"),
        }
    }
}
