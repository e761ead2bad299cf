//! Uniqueness of an organisation's company-register number within a Party
//! (ORG-REGISTRATION-NUMBER-UNIQUE, ours). The number is reserved in the log itself: one small
//! aggregate per (Party, normalised number), written "expects new" in the registration's
//! atomic batch, so two registrations racing with one number cannot both land, whatever the
//! read models say. The Management Authority may release a number held by an organisation it
//! has not verified (`RegistrationNumberReleased` on the same aggregate); the number may then be
//! reserved again, at the aggregate's position.

use super::organisation::OrganisationStatus;
use crate::domain::aggregate::aggregate_events;
use ecites_events::payloads::organisation::{
    RegistrationNumberReleased, RegistrationNumberReserved,
};
use ecites_events::PartyCode;
use uuid::Uuid;

pub const RULE: &str = "ORG-REGISTRATION-NUMBER-UNIQUE";

/// Why a number cannot be reserved. Nothing is written in any case.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NumberError {
    #[error("registration_number {0:?} has no letters or digits")]
    Empty(String),
    /// The holder is not named in the message: a trader learns that the number is taken, not
    /// by whom.
    #[error("registration number {written:?} is already registered in this Party")]
    Taken { written: String, holder: Uuid },
    /// Release: the organisation does not hold the number (never reserved, released already,
    /// or another organisation's).
    #[error("registration number {0:?} is not held by this organisation")]
    NotHeld(String),
    /// Release: a verified organisation keeps its number; suspend it first.
    #[error("the organisation holding registration number {0:?} is verified; suspend it before releasing its number")]
    HolderVerified(String),
    #[error("reason must not be empty")]
    NoReason,
}

aggregate_events! {
    /// An event of the reservation aggregate; its state is the last one.
    pub enum Reservation ("a registration number event") {
        Reserved(RegistrationNumberReserved),
        Released(RegistrationNumberReleased),
    }
}

impl Reservation {
    /// The organisation holding the number, if any.
    pub fn holder(&self) -> Option<Uuid> {
        match self {
            Self::Reserved(r) => Some(r.organisation_id),
            Self::Released(_) => None,
        }
    }
}

/// Verification: the Management Authority verifies an organisation only while it holds its
/// number. After a release the number may be another's; an organisation registered before
/// numbers were reserved has no reservation at all and is verified as before.
pub fn may_verify(
    last: Option<&Reservation>,
    organisation_id: Uuid,
    written: &str,
) -> Result<(), NumberError> {
    match last {
        None => Ok(()),
        Some(r) if r.holder() == Some(organisation_id) => Ok(()),
        Some(_) => Err(NumberError::NotHeld(written.trim().to_string())),
    }
}

/// The number as the register means it: case, spaces and punctuation are how people happen to
/// write it (`pv-12 345`, `PV12345.`), not part of it.
pub fn normalise(written: &str) -> Result<String, NumberError> {
    let n: String = written
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_uppercase)
        .collect();
    if n.is_empty() {
        return Err(NumberError::Empty(written.to_string()));
    }
    Ok(n)
}

/// The reservation aggregate's id: the same number in the same Party always names the same
/// aggregate, so its "expects new" append is the uniqueness check.
pub fn reservation_id(party: PartyCode, normalised: &str) -> Uuid {
    let namespace = Uuid::new_v5(&Uuid::NAMESPACE_URL, b"urn:ecites:registration-number");
    Uuid::new_v5(&namespace, format!("{party}:{normalised}").as_bytes())
}

/// ORG-REGISTRATION-NUMBER-UNIQUE: reserve `written` for `organisation_id` unless an
/// organisation holds it (`last`, the reservation aggregate's last event: nothing or a release
/// leave it free).
pub fn reserve(
    last: Option<&Reservation>,
    organisation_id: Uuid,
    written: &str,
) -> Result<RegistrationNumberReserved, NumberError> {
    let registration_number = normalise(written)?;
    if let Some(holder) = last.and_then(Reservation::holder) {
        return Err(NumberError::Taken {
            written: written.trim().to_string(),
            holder,
        });
    }
    Ok(RegistrationNumberReserved {
        registration_number,
        organisation_id,
    })
}

/// The Management Authority releases `written`, held by `organisation_id` (in `status`), so
/// that another organisation may register it: only the holder's number, only while the holder
/// is not verified, and with a reason.
pub fn release(
    last: Option<&Reservation>,
    organisation_id: Uuid,
    status: OrganisationStatus,
    written: &str,
    reason: &str,
) -> Result<RegistrationNumberReleased, NumberError> {
    let registration_number = normalise(written)?;
    if last.and_then(Reservation::holder) != Some(organisation_id) {
        return Err(NumberError::NotHeld(written.trim().to_string()));
    }
    if status == OrganisationStatus::Verified {
        return Err(NumberError::HolderVerified(written.trim().to_string()));
    }
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(NumberError::NoReason);
    }
    Ok(RegistrationNumberReleased {
        registration_number,
        organisation_id,
        reason: reason.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lk() -> PartyCode {
        "LK".parse().unwrap()
    }

    #[test]
    fn case_spaces_and_punctuation_do_not_make_another_number() {
        for written in ["PV 12345", "pv-12345", " P.V.12345 ", "pv/123 45"] {
            assert_eq!(normalise(written).unwrap(), "PV12345", "{written}");
        }
        assert_eq!(
            reservation_id(lk(), &normalise("pv-12345").unwrap()),
            reservation_id(lk(), &normalise("PV 12345").unwrap())
        );
        assert_ne!(
            reservation_id(lk(), "PV12345"),
            reservation_id("KE".parse().unwrap(), "PV12345"),
            "unique within a Party, not across Parties"
        );
        assert_ne!(
            reservation_id(lk(), "PV12345"),
            reservation_id(lk(), "PV12346")
        );
        assert!(matches!(normalise(" -./ "), Err(NumberError::Empty(_))));
    }

    #[test]
    fn given_a_reserved_number_when_another_organisation_registers_it_then_refused() {
        let (first, second) = (Uuid::now_v7(), Uuid::now_v7());
        // given nothing reserved, when the first registers, then it holds the number
        let held = reserve(None, first, "pv-12 345").unwrap();
        assert_eq!(held.registration_number, "PV12345");
        assert_eq!(held.organisation_id, first);
        // given it reserved, when another registers "PV12345", then refused naming the holder
        let held = Reservation::Reserved(held);
        assert_eq!(
            reserve(Some(&held), second, "PV12345"),
            Err(NumberError::Taken {
                written: "PV12345".into(),
                holder: first
            })
        );
    }

    #[test]
    fn given_a_released_number_when_another_organisation_registers_it_then_it_holds_it() {
        let (first, second) = (Uuid::now_v7(), Uuid::now_v7());
        let held = Reservation::Reserved(reserve(None, first, "PV12345").unwrap());
        // given it released by the MA
        let released = release(
            Some(&held),
            first,
            OrganisationStatus::Suspended,
            "pv 12345",
            "not their number",
        )
        .unwrap();
        assert_eq!(
            released,
            RegistrationNumberReleased {
                registration_number: "PV12345".into(),
                organisation_id: first,
                reason: "not their number".into(),
            }
        );
        // when another registers it, then it holds it
        let last = Reservation::Released(released);
        assert_eq!(last.holder(), None);
        let again = reserve(Some(&last), second, "PV-12345").unwrap();
        assert_eq!(again.organisation_id, second);
        assert_eq!(again.registration_number, "PV12345");
    }

    #[test]
    fn given_a_reservation_when_released_by_anyone_but_an_unverified_holder_then_refused() {
        let (first, second) = (Uuid::now_v7(), Uuid::now_v7());
        let held = Reservation::Reserved(reserve(None, first, "PV12345").unwrap());
        let pending = OrganisationStatus::Pending;
        // given nothing reserved: nothing to release
        assert_eq!(
            release(None, first, pending, "PV12345", "r"),
            Err(NumberError::NotHeld("PV12345".into()))
        );
        // given it held by the first, when released as the second's: refused
        assert_eq!(
            release(Some(&held), second, pending, "PV12345", "r"),
            Err(NumberError::NotHeld("PV12345".into()))
        );
        // given the holder verified: refused until suspended
        assert_eq!(
            release(
                Some(&held),
                first,
                OrganisationStatus::Verified,
                "PV12345",
                "r"
            ),
            Err(NumberError::HolderVerified("PV12345".into()))
        );
        // without a reason: refused
        assert_eq!(
            release(Some(&held), first, pending, "PV12345", "  "),
            Err(NumberError::NoReason)
        );
        // given it released already: nothing to release again
        let released = release(Some(&held), first, pending, "PV12345", "typo").unwrap();
        assert_eq!(
            release(
                Some(&Reservation::Released(released)),
                first,
                pending,
                "PV12345",
                "r"
            ),
            Err(NumberError::NotHeld("PV12345".into()))
        );
        // a pending or suspended holder may lose it
        for status in [OrganisationStatus::Pending, OrganisationStatus::Suspended] {
            assert!(release(Some(&held), first, status, "PV12345", "r").is_ok());
        }
    }

    #[test]
    fn given_a_released_number_when_its_former_holder_is_verified_then_refused() {
        let (first, second) = (Uuid::now_v7(), Uuid::now_v7());
        let held = Reservation::Reserved(reserve(None, first, "PV1").unwrap());
        assert_eq!(may_verify(Some(&held), first, "PV1"), Ok(()));
        assert_eq!(
            may_verify(Some(&held), second, "PV1"),
            Err(NumberError::NotHeld("PV1".into()))
        );
        let released = Reservation::Released(RegistrationNumberReleased {
            registration_number: "PV1".into(),
            organisation_id: first,
            reason: "another company's number".into(),
        });
        assert_eq!(
            may_verify(Some(&released), first, "PV1"),
            Err(NumberError::NotHeld("PV1".into()))
        );
        // Registered before numbers were reserved: nothing to hold.
        assert_eq!(may_verify(None, first, "PV1"), Ok(()));
    }
}
