//! Given/when/then for the organisation aggregate: every command, allowed and refused.

use super::*;
use uuid::Uuid;

use crate::domain::aggregate::Organisation;
use crate::domain::given;

type Then = given::Then<Organisation>;

struct Given(given::Given<Organisation>);

fn given(events: &[OrganisationEvent]) -> Given {
    Given(given::given(OrganisationState::default(), events))
}

impl Given {
    fn when(&self, command: OrganisationCommand) -> Then {
        self.0.when(command, &())
    }
}

impl given::Then<Organisation> {
    #[track_caller]
    fn refused(self, expected: OrganisationError) {
        assert_eq!(self.result, Err(expected));
    }

    #[track_caller]
    fn invalid_transition(self) {
        assert!(
            matches!(
                self.result,
                Err(OrganisationError::InvalidTransition { .. })
            ),
            "{:?}",
            self.result
        );
    }
}

fn lk() -> PartyCode {
    "LK".parse().expect("party")
}

fn register() -> OrganisationCommand {
    OrganisationCommand::Register {
        name: " Ceylon Reptile Exports (Pvt) Ltd ".into(),
        registration_number: "PV 12345".into(),
        country: lk(),
        address_ref: Some("  ".into()),
        registrant: "founder".into(),
    }
}

fn registered() -> Vec<OrganisationEvent> {
    given(&[]).when(register()).events()
}

fn verified() -> Vec<OrganisationEvent> {
    let mut e = registered();
    e.push(OrganisationEvent::Verified(OrganisationVerified {
        verified_by_note: "register extract seen".into(),
    }));
    e
}

fn with(mut events: Vec<OrganisationEvent>, more: OrganisationEvent) -> Vec<OrganisationEvent> {
    events.push(more);
    events
}

fn added(user: &str, capacity: MemberCapacity) -> OrganisationEvent {
    OrganisationEvent::MemberAdded(MemberAdded {
        user_id: user.into(),
        capacity,
    })
}

fn agent() -> MemberCapacity {
    MemberCapacity::Agent {
        agency_organisation_id: Some(Uuid::now_v7()),
    }
}

fn add(user: &str, capacity: MemberCapacity) -> OrganisationCommand {
    OrganisationCommand::AddMember {
        user_id: user.into(),
        capacity,
    }
}

fn remove(user: &str) -> OrganisationCommand {
    OrganisationCommand::RemoveMember {
        user_id: user.into(),
    }
}

fn verify() -> OrganisationCommand {
    OrganisationCommand::Verify {
        note: "register extract seen".into(),
    }
}

fn suspend() -> OrganisationCommand {
    OrganisationCommand::Suspend {
        reason: "licence revoked".into(),
    }
}

#[test]
fn registration_is_pending_with_the_registrant_as_first_member() {
    let events = registered();
    let OrganisationEvent::Registered(r) = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(r.name, "Ceylon Reptile Exports (Pvt) Ltd", "trimmed");
    assert_eq!(r.address_ref, None, "a blank reference is no reference");
    let s = given(&[]).when(register()).state();
    assert_eq!(s.status, OrganisationStatus::Pending);
    assert!(s.is_staff("founder"));
}

#[test]
fn registration_needs_a_name_a_number_and_a_plain_user_id() {
    for (field, blank) in [("name", 0), ("registration_number", 1), ("user_id", 2)] {
        let OrganisationCommand::Register {
            mut name,
            mut registration_number,
            country,
            address_ref,
            mut registrant,
        } = register()
        else {
            unreachable!()
        };
        *[&mut name, &mut registration_number, &mut registrant][blank] = " ".into();
        given(&[])
            .when(OrganisationCommand::Register {
                name,
                registration_number,
                country,
                address_ref,
                registrant,
            })
            .refused(OrganisationError::Invalid(format!(
                "{field} must not be empty"
            )));
    }
    let mut spaced = register();
    if let OrganisationCommand::Register { registrant, .. } = &mut spaced {
        *registrant = "two words".into();
    }
    assert!(matches!(
        given(&[]).when(spaced).result,
        Err(OrganisationError::Invalid(_))
    ));
}

#[test]
fn an_organisation_registers_once() {
    given(&registered()).when(register()).invalid_transition();
}

#[test]
fn only_a_registered_organisation_is_verified_suspended_or_given_members() {
    for command in [verify(), suspend(), add("clerk", MemberCapacity::Member)] {
        given(&[]).when(command).invalid_transition();
    }
    given(&[]).when(remove("founder")).invalid_transition();
}

#[test]
fn verification_of_a_pending_or_suspended_organisation() {
    let s = given(&registered()).when(verify()).state();
    assert_eq!(s.status, OrganisationStatus::Verified);
    given(&verified()).when(verify()).invalid_transition();
    let suspended = given(&verified()).when(suspend()).events();
    let s = given(&[verified(), suspended].concat())
        .when(verify())
        .state();
    assert_eq!(s.status, OrganisationStatus::Verified, "reinstated");
    given(&registered())
        .when(OrganisationCommand::Verify { note: " ".into() })
        .refused(OrganisationError::Invalid("note must not be empty".into()));
}

#[test]
fn suspension_of_a_pending_or_verified_organisation() {
    let s = given(&registered()).when(suspend()).state();
    assert_eq!(
        s.status,
        OrganisationStatus::Suspended,
        "registration refused"
    );
    let s = given(&verified()).when(suspend()).state();
    assert_eq!(s.status, OrganisationStatus::Suspended);
    let suspended = given(&verified()).when(suspend()).events();
    given(&[verified(), suspended].concat())
        .when(suspend())
        .invalid_transition();
    given(&verified())
        .when(OrganisationCommand::Suspend { reason: "".into() })
        .refused(OrganisationError::Invalid(
            "reason must not be empty".into(),
        ));
}

#[test]
fn members_and_agents_are_listed_once() {
    let s = given(&verified()).when(add("broker", agent())).state();
    assert!(matches!(
        s.capacity_of("broker"),
        Some(MemberCapacity::Agent { .. })
    ));
    assert!(!s.is_staff("broker"), "an agent is not staff");
    let with_agent = with(verified(), added("broker", agent()));
    given(&with_agent)
        .when(add("broker", MemberCapacity::Member))
        .refused(OrganisationError::AlreadyListed("broker".into()));
    given(&with_agent)
        .when(add(" founder ", MemberCapacity::Member))
        .refused(OrganisationError::AlreadyListed("founder".into()));
    given(&with_agent)
        .when(add("", MemberCapacity::Member))
        .refused(OrganisationError::Invalid(
            "user_id must not be empty".into(),
        ));
}

#[test]
fn removal_of_a_listed_user_but_never_the_last_member() {
    let listed = with(
        with(verified(), added("broker", agent())),
        added("clerk", MemberCapacity::Member),
    );
    let s = given(&listed).when(remove("broker")).state();
    assert_eq!(s.capacity_of("broker"), None);
    let s = given(&listed).when(remove("founder")).state();
    assert!(!s.members.contains_key("founder") && s.is_staff("clerk"));
    given(&listed)
        .when(remove("stranger"))
        .refused(OrganisationError::NotListed("stranger".into()));
    // The agent does not count: the founder is the only member left to manage the list.
    given(&with(verified(), added("broker", agent())))
        .when(remove("founder"))
        .refused(OrganisationError::LastMember("founder".into()));
}

#[test]
fn a_suspended_organisation_keeps_its_list_in_order() {
    let suspended = with(
        verified(),
        OrganisationEvent::Suspended(OrganisationSuspended {
            reason: "licence revoked".into(),
        }),
    );
    given(&suspended)
        .when(add("clerk", MemberCapacity::Member))
        .events();
    given(&with(suspended, added("broker", agent())))
        .when(remove("broker"))
        .events();
}

#[test]
fn an_agent_is_recorded_with_its_firm() {
    let firm = Uuid::now_v7();
    let capacity = MemberCapacity::Agent {
        agency_organisation_id: Some(firm),
    };
    let e = given(&verified())
        .when(add("broker", capacity.clone()))
        .events();
    let data = e[0].to_data().expect("encode");
    assert_eq!(data.event_type, "MemberAdded");
    let back: MemberAdded = serde_json::from_str(data.payload.get()).expect("decode");
    assert_eq!(back.capacity, capacity);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(data.payload.get()).expect("json")["capacity"],
        serde_json::json!({"agent": {"agency_organisation_id": firm}})
    );
}
