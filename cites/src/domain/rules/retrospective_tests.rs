//! PERMIT-NO-RETROSPECTIVE (Res. Conf. 12.3), given/when/then: an application declaring that
//! the consignment already left is warned at submission and refused at issuance, unless the
//! Party allows the documented exceptions and the officer records the reason.

use super::data::ApplicationForm;
use crate::domain::permit::{PermitCommand as C, PermitEvent as E};
use crate::domain::testing::*;
use ecites_events::cites::IsoDate;
use ecites_events::payloads::permit::*;
use time::macros::date;

fn python_export(departed: Option<&str>) -> ApplicationForm {
    let mut form = export(vec![line("Python regius", "W", "T", "SKI", "100")]);
    form.consignment_departed_on = departed.map(String::from);
    form
}

/// Submitted, reviewed, found, approved and the fee waived: ready to issue.
fn ready_to_issue(departed: Option<&str>) -> Vec<E> {
    let mut events = submitted(python_export(departed));
    events.push(E::ReviewerAssigned(ReviewerAssigned {
        officer_id: "officer-1".into(),
    }));
    events.push(E::LegalAcquisitionFound(LegalAcquisitionFound {
        evidence: vec![],
        note: None,
    }));
    events.push(E::ScientificOpinionGiven(ScientificOpinionGiven {
        opinion_id: uuid::Uuid::nil(),
        lines: vec![LineOpinion {
            line_no: 1,
            non_detrimental: true,
            conditions: vec![],
        }],
        recipient_suitably_equipped: None,
    }));
    let approved = given(&events)
        .when(C::Approve { conditions: vec![] })
        .events();
    events.extend(approved);
    events.push(E::FeeWaived(FeeWaived {
        reason: "test".into(),
    }));
    events
}

fn issue(reason: Option<&str>) -> C {
    C::Issue {
        permit_number: "LK/2026/000001".into(),
        security_stamp: 1,
        retrospective_reason: reason.map(String::from),
    }
}

fn field_of(findings: &[super::Finding]) -> Option<&str> {
    findings[0].field.as_deref()
}

#[test]
fn given_a_consignment_that_left_when_submitted_then_warned_and_the_date_recorded() {
    let events = given(&[])
        .when(submit(python_export(Some("2026-11-20"))))
        .events();
    let E::ApplicationSubmitted(s) = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(
        s.content.consignment_departed_on,
        Some(IsoDate(date!(2026 - 11 - 20)))
    );
    given(&[])
        .when(submit(python_export(Some("2026-11-20"))))
        .warned_by("PERMIT-NO-RETROSPECTIVE");
    // A departure in the future is not a departure.
    let f = given(&[])
        .when(submit(python_export(Some("2026-12-20"))))
        .refused_by("DATA-DATE");
    assert_eq!(field_of(&f), Some("consignment_departed_on"));
    given(&[])
        .when(submit(python_export(None)))
        .accepted_without("PERMIT-NO-RETROSPECTIVE");
}

#[test]
fn given_a_consignment_that_left_when_issued_then_refused_unless_the_party_allows_it() {
    let events = ready_to_issue(Some("2026-11-20"));
    let f = given(&events)
        .when(issue(None))
        .refused_by("PERMIT-NO-RETROSPECTIVE");
    assert_eq!(field_of(&f), Some("consignment_departed_on"));
    assert_eq!(f[0].source, "Res. Conf. 12.3");
    // A reason alone does not make an exception the Party does not allow.
    given(&events)
        .when(issue(Some("seized goods returned")))
        .refused_by("PERMIT-NO-RETROSPECTIVE");

    let mut allowed = given(&events);
    allowed.settings.retrospective_exceptions = true;
    let f = allowed
        .when(issue(Some("  ")))
        .refused_by("PERMIT-NO-RETROSPECTIVE");
    assert_eq!(field_of(&f), Some("retrospective_reason"));
    let out = allowed
        .when(issue(Some(
            "Res. Conf. 12.3 XII(c): error by the MA, goods cleared",
        )))
        .events();
    let E::PermitIssued(p) = &out[0] else {
        panic!("{out:?}")
    };
    assert_eq!(
        p.retrospective,
        Some(RetrospectiveIssue {
            departed_on: IsoDate(date!(2026 - 11 - 20)),
            reason: "Res. Conf. 12.3 XII(c): error by the MA, goods cleared".into(),
        })
    );
}

#[test]
fn given_a_consignment_that_has_not_left_when_issued_then_no_retrospective_record() {
    let events = ready_to_issue(None);
    let out = given(&events).when(issue(None)).events();
    let E::PermitIssued(p) = &out[0] else {
        panic!("{out:?}")
    };
    assert_eq!(p.retrospective, None);
    // A reason for a consignment that has not left would be a false statement.
    let f = given(&events)
        .when(issue(Some("left yesterday")))
        .refused_by("PERMIT-NO-RETROSPECTIVE");
    assert_eq!(field_of(&f), Some("retrospective_reason"));
}

#[test]
fn given_a_retrospective_issue_then_every_check_is_recorded_with_this_one_a_warning() {
    let outcome = |checks: &[RuleCheck], id: &str| {
        checks
            .iter()
            .find(|c| c.id == id)
            .map(|c| (c.outcome, c.field.clone()))
    };
    let events = submitted(python_export(Some("2026-11-20")));
    let E::ApplicationSubmitted(s) = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(
        outcome(&s.checks, "PERMIT-NO-RETROSPECTIVE"),
        Some((
            CheckOutcome::Warning,
            Some("consignment_departed_on".into())
        ))
    );
    assert_eq!(
        outcome(&s.checks, "DATA-DATE"),
        Some((CheckOutcome::Passed, None))
    );
    let mut allowed = given(&ready_to_issue(Some("2026-11-20")));
    allowed.settings.retrospective_exceptions = true;
    let out = allowed.when(issue(Some("MA error"))).events();
    let E::PermitIssued(p) = &out[0] else {
        panic!("{out:?}")
    };
    assert_eq!(
        outcome(&p.checks, "PERMIT-NO-RETROSPECTIVE").map(|c| c.0),
        Some(CheckOutcome::Warning)
    );
    assert!(p
        .checks
        .iter()
        .filter(|c| c.id != "PERMIT-NO-RETROSPECTIVE")
        .all(|c| c.outcome == CheckOutcome::Passed));
}
