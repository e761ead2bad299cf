//! Trader organisations (aggregate `organisation`, id = the organisation's UUID): the companies
//! that apply for permits, their verification by the Management Authority, and the users who
//! file for them.
//!
//! A company's name and registration number are not personal data; people appear only as
//! opaque user ids, and the address stays outside the log behind a reference.

use crate::party::PartyCode;
use crate::schema::EventPayload;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! organisation_event {
    ($t:ident) => {
        impl EventPayload for $t {
            const AGGREGATE: &'static str = "organisation";
            const EVENT_TYPE: &'static str = stringify!($t);
            const SCHEMA_VERSION: u32 = 1;
        }
    };
}

/// A company registers itself with the Management Authority; it may not file until verified.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganisationRegistered {
    /// The registered company name.
    pub name: String,
    /// The number in the national company (or business) register.
    pub registration_number: String,
    /// The country whose register holds that number.
    pub country: PartyCode,
    /// Where the registered address is kept (a company-register entry or the SHA-256 of a
    /// stored document), so that the log itself holds no address.
    pub address_ref: Option<String>,
}
organisation_event!(OrganisationRegistered);

/// The Management Authority checked the registration; the organisation may now file.
/// The officer is the envelope's actor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganisationVerified {
    /// What was checked (e.g. the register extract seen); no personal data.
    pub verified_by_note: String,
}
organisation_event!(OrganisationVerified);

/// The Management Authority stops the organisation from filing until it verifies it again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganisationSuspended {
    pub reason: String,
}
organisation_event!(OrganisationSuspended);

/// In what capacity a user files for the organisation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum MemberCapacity {
    /// Staff of the organisation: files for it and manages its members.
    Member,
    /// Someone outside it (e.g. a customs broker) allowed to file on its behalf, but not to
    /// manage its members.
    Agent {
        /// The agent's own firm (e.g. the brokerage), when it is registered in this ledger, so
        /// that the Management Authority sees through whom the organisation files.
        agency_organisation_id: Option<Uuid>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberAdded {
    pub user_id: String,
    pub capacity: MemberCapacity,
}
organisation_event!(MemberAdded);

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberRemoved {
    pub user_id: String,
}
organisation_event!(MemberRemoved);

/// A company-register number is taken within the Party (aggregate `registration_number`,
/// id = UUIDv5 of the Party and the normalised number). Appended with "expects new" in the
/// same atomic batch as the `OrganisationRegistered` it belongs to, so that two organisations
/// racing with one number cannot both register: the log, not a read model, says who has it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RegistrationNumberReserved {
    /// The number normalised: letters and digits only, upper case.
    pub registration_number: String,
    pub organisation_id: Uuid,
}

impl EventPayload for RegistrationNumberReserved {
    const AGGREGATE: &'static str = "registration_number";
    const EVENT_TYPE: &'static str = "RegistrationNumberReserved";
    const SCHEMA_VERSION: u32 = 1;
}

/// The Management Authority frees a company-register number held by an organisation it has not
/// verified (pending or suspended), e.g. one registered with another company's number by
/// mistake or on purpose. On the same reservation aggregate as the `RegistrationNumberReserved`
/// it ends, appended at that aggregate's position; the number may then be reserved again. The
/// officer is the envelope's actor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RegistrationNumberReleased {
    /// The number normalised: letters and digits only, upper case.
    pub registration_number: String,
    /// The organisation that held it until now.
    pub organisation_id: Uuid,
    /// Why the officer released it; no personal data.
    pub reason: String,
}

impl EventPayload for RegistrationNumberReleased {
    const AGGREGATE: &'static str = RegistrationNumberReserved::AGGREGATE;
    const EVENT_TYPE: &'static str = "RegistrationNumberReleased";
    const SCHEMA_VERSION: u32 = 1;
}
