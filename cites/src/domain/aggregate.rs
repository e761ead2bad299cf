//! What every aggregate is: `decide` and `evolve` over its own State, Command, Event and
//! Error, and one generated codec for its events (their wire names, encoding and decoding).
//!
//! The command side's one executor and the given/when/then harness are written against these
//! traits, so a new aggregate brings its decision and its fold, not another loop or codec.

use ecites_events::audit::VerifiedEvent;
use ecites_events::schema::{DecodeError, Upcasters};
use ecites_events::EventData;

/// An event of one aggregate as it goes into and comes out of the log.
pub trait AggregateEvent: Sized {
    fn to_data(&self) -> Result<EventData, serde_json::Error>;
    /// The wire name (`EventPayload::EVENT_TYPE` of the payload).
    fn event_type(&self) -> &'static str;
    fn decode(ev: &VerifiedEvent, up: &Upcasters) -> Result<Self, DecodeError>;
}

/// A consistency boundary of the ledger: a decision refuses or yields events, and the state is
/// the fold of those events. `Context` is whatever else the decision reads (the permit's
/// listing, quotas and clock; `()` for aggregates that decide on their own state alone).
pub trait Aggregate {
    type State: Clone;
    type Command;
    type Event: AggregateEvent;
    type Error;
    type Context<'a>;

    fn decide(
        state: &Self::State,
        command: Self::Command,
        ctx: &Self::Context<'_>,
    ) -> Result<Vec<Self::Event>, Self::Error>;

    fn evolve(state: Self::State, event: &Self::Event) -> Self::State;

    /// The state after `events`.
    fn fold<'e>(
        state: Self::State,
        events: impl IntoIterator<Item = &'e Self::Event>,
    ) -> Self::State
    where
        Self::Event: 'e,
    {
        events.into_iter().fold(state, Self::evolve)
    }
}

/// Declares an aggregate's event enum, one variant per payload type, with its codec: the
/// wire name of each variant is its payload's `EVENT_TYPE`, so the two cannot disagree.
macro_rules! aggregate_events {
    (
        $(#[$meta:meta])*
        pub enum $name:ident ($what:literal) { $($variant:ident($payload:ty)),* $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub enum $name {
            $($variant($payload),)*
        }

        impl $name {
            pub fn to_data(&self) -> Result<ecites_events::EventData, serde_json::Error> {
                match self {
                    $(Self::$variant(p) => ecites_events::EventData::from_payload(p),)*
                }
            }

            pub fn event_type(&self) -> &'static str {
                match self {
                    $(Self::$variant(_) =>
                        <$payload as ecites_events::schema::EventPayload>::EVENT_TYPE,)*
                }
            }

            #[doc = concat!("Decodes a verified event: ", $what, ".")]
            pub fn decode(
                ev: &ecites_events::audit::VerifiedEvent,
                up: &ecites_events::schema::Upcasters,
            ) -> Result<Self, ecites_events::schema::DecodeError> {
                match ev.envelope.event_type.as_str() {
                    $(<$payload as ecites_events::schema::EventPayload>::EVENT_TYPE =>
                        ev.decode::<$payload>(up).map(Self::$variant),)*
                    other => Err(ecites_events::schema::DecodeError::WrongType {
                        expected: $what.into(),
                        found: other.into(),
                    }),
                }
            }
        }

        impl $crate::domain::aggregate::AggregateEvent for $name {
            fn to_data(&self) -> Result<ecites_events::EventData, serde_json::Error> {
                $name::to_data(self)
            }
            fn event_type(&self) -> &'static str {
                $name::event_type(self)
            }
            fn decode(
                ev: &ecites_events::audit::VerifiedEvent,
                up: &ecites_events::schema::Upcasters,
            ) -> Result<Self, ecites_events::schema::DecodeError> {
                $name::decode(ev, up)
            }
        }
    };
}
pub(crate) use aggregate_events;

/// The permit application and its permit, decided with the Party's context.
pub struct Permit;

impl Aggregate for Permit {
    type State = super::permit::PermitState;
    type Command = super::permit::PermitCommand;
    type Event = super::permit::PermitEvent;
    type Error = super::permit::PermitError;
    type Context<'a> = super::context::DecisionContext<'a>;

    fn decide(
        state: &Self::State,
        command: Self::Command,
        ctx: &Self::Context<'_>,
    ) -> Result<Vec<Self::Event>, Self::Error> {
        super::permit::decide(state, command, ctx)
    }

    fn evolve(state: Self::State, event: &Self::Event) -> Self::State {
        super::permit::evolve(state, event)
    }
}

/// An aggregate whose decision reads its own state and nothing else.
macro_rules! self_contained {
    ($(#[$meta:meta])* $name:ident: $module:ident, $state:ty, $command:ty, $event:ty, $error:ty) => {
        $(#[$meta])*
        pub struct $name;

        impl Aggregate for $name {
            type State = $state;
            type Command = $command;
            type Event = $event;
            type Error = $error;
            type Context<'a> = ();

            fn decide(
                state: &Self::State,
                command: Self::Command,
                _: &(),
            ) -> Result<Vec<Self::Event>, Self::Error> {
                super::$module::decide(state, command)
            }

            fn evolve(state: Self::State, event: &Self::Event) -> Self::State {
                super::$module::evolve(state, event)
            }
        }
    };
}

self_contained!(
    /// A trader's or agent's firm, registered with the Management Authority.
    Organisation: organisation,
    super::organisation::OrganisationState,
    super::organisation::OrganisationCommand,
    super::organisation::OrganisationEvent,
    super::organisation::OrganisationError
);
self_contained!(
    /// Money paid in advance, from which permit fees are debited.
    PrepaymentAccount: account,
    super::account::AccountState,
    super::account::AccountCommand,
    super::account::AccountEvent,
    super::account::AccountError
);
self_contained!(
    /// The Party's own configuration: fees, domestic measures, national list, stamps.
    PartyConfiguration: party_config,
    super::context::PartySettings,
    super::party_config::PartyConfigCommand,
    super::party_config::PartyConfigEvent,
    super::party_config::PartyConfigError
);
self_contained!(
    /// The specimens of a Party's signatures and stamp.
    Specimens: specimens,
    super::specimens::SpecimensState,
    super::specimens::SpecimenCommand,
    super::specimens::SpecimenEvent,
    super::specimens::SpecimenError
);
