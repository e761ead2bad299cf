//! Uniqueness of an organisation's company-register number within a Party
//! (ORG-REGISTRATION-NUMBER-UNIQUE, ours). The number is reserved in the log itself: one small
//! aggregate per (Party, normalised number), written "expects new" in the registration's
//! atomic batch, so two registrations racing with one number cannot both land, whatever the
//! read models say.

use ecites_events::payloads::organisation::RegistrationNumberReserved;
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

/// ORG-REGISTRATION-NUMBER-UNIQUE: reserve `written` for `organisation_id` unless the log
/// already holds a reservation of it (`existing`, the reservation aggregate's event).
pub fn reserve(
    existing: Option<&RegistrationNumberReserved>,
    organisation_id: Uuid,
    written: &str,
) -> Result<RegistrationNumberReserved, NumberError> {
    let registration_number = normalise(written)?;
    if let Some(held) = existing {
        return Err(NumberError::Taken {
            written: written.trim().to_string(),
            holder: held.organisation_id,
        });
    }
    Ok(RegistrationNumberReserved {
        registration_number,
        organisation_id,
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
        assert_eq!(
            reserve(Some(&held), second, "PV12345"),
            Err(NumberError::Taken {
                written: "PV12345".into(),
                holder: first
            })
        );
    }
}
