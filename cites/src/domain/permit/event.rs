//! The permit aggregate's events as one enum, with their encoding into and out of the log.

use ecites_events::audit::VerifiedEvent;
use ecites_events::payloads::permit::*;
use ecites_events::schema::{DecodeError, EventPayload, Upcasters};
use ecites_events::EventData;

macro_rules! permit_events {
    ($($v:ident),* $(,)?) => {
        /// Everything that can happen to a permit application and its permit.
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub enum PermitEvent {
            $($v($v),)*
        }

        impl PermitEvent {
            pub fn to_data(&self) -> Result<EventData, serde_json::Error> {
                match self {
                    $(Self::$v(p) => EventData::from_payload(p),)*
                }
            }

            pub fn event_type(&self) -> &'static str {
                match self {
                    $(Self::$v(_) => <$v as EventPayload>::EVENT_TYPE,)*
                }
            }

            /// Decodes a verified event of the permit aggregate.
            pub fn decode(ev: &VerifiedEvent, up: &Upcasters) -> Result<Self, DecodeError> {
                match ev.envelope.event_type.as_str() {
                    $(<$v as EventPayload>::EVENT_TYPE => ev.decode::<$v>(up).map(Self::$v),)*
                    other => Err(DecodeError::WrongType { expected: "a permit event".into(), found: other.into() }),
                }
            }
        }
    };
}

permit_events!(
    ApplicationSubmitted,
    ApplicationReturned,
    ApplicationResubmitted,
    ReviewerAssigned,
    ScientificOpinionRequested,
    ScientificOpinionGiven,
    LegalAcquisitionFound,
    ApplicationApproved,
    ApplicationRejected,
    ApplicationWithdrawn,
    PaymentRecorded,
    FeeWaived,
    PermitIssued,
    PermitEndorsed,
    PermitCancelled,
    PermitExpired,
    PermitReplaced,
    PermitReportedLost,
    ReplacementRequested,
);
