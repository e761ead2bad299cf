//! The permit aggregate: an application from submission to a used, expired or void permit.

pub mod command;
pub mod decide;
pub mod event;
pub mod state;

pub use command::PermitCommand;
pub use decide::{decide, PermitError};
pub use event::PermitEvent;
pub use state::{evolve, PermitState, PermitStatus};

/// The id of the application a submission creates when the client chose none: derived from
/// the Party, the submitting user and the command id, so that a retry of the same submission
/// (its answer lost) names the permit the first attempt created, not a new one.
pub fn submission_permit_id(
    party: ecites_events::PartyCode,
    user_id: &str,
    command_id: uuid::Uuid,
) -> uuid::Uuid {
    let namespace = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, b"urn:ecites:submission");
    uuid::Uuid::new_v5(
        &namespace,
        format!("{party}:{user_id}:{command_id}").as_bytes(),
    )
}

#[cfg(test)]
mod id_tests {
    use super::*;

    #[test]
    fn a_retried_submission_names_the_same_permit() {
        let lk = "LK".parse().expect("party");
        let c = uuid::Uuid::now_v7();
        assert_eq!(
            submission_permit_id(lk, "t", c),
            submission_permit_id(lk, "t", c)
        );
        assert_ne!(
            submission_permit_id(lk, "t", c),
            submission_permit_id(lk, "u", c)
        );
        assert_ne!(
            submission_permit_id(lk, "t", c),
            submission_permit_id(lk, "t", uuid::Uuid::now_v7())
        );
    }
}
