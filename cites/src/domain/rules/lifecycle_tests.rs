//! Given/when/then for the rules checked during review, issuance and endorsement: findings,
//! payment, validity, quotas, endorsement and replacement, each refused and allowed.

use super::data::ApplicationForm;
use crate::domain::codes::SourceCode;
use crate::domain::context::QuotaState;
use crate::domain::permit::{PermitCommand as C, PermitEvent as E, PermitState};
use crate::domain::testing::*;
use ecites_events::cites::{IsoDate, Quantity};
use ecites_events::payloads::permit::*;

// ---- Through review to issuance and endorsement ----

fn python_export() -> ApplicationForm {
    export(vec![line("Python regius", "W", "T", "SKI", "100")])
}

fn reviewed(extra: &[E]) -> Vec<E> {
    let mut events = submitted(python_export());
    events.push(E::ReviewerAssigned(ReviewerAssigned {
        officer_id: "officer-1".into(),
    }));
    events.extend_from_slice(extra);
    events
}

fn opinion(non_detrimental: bool) -> E {
    E::ScientificOpinionGiven(ScientificOpinionGiven {
        opinion_id: uuid::Uuid::nil(),
        lines: vec![LineOpinion {
            line_no: 1,
            non_detrimental,
            conditions: vec!["skins tagged".into()],
        }],
        recipient_suitably_equipped: None,
    })
}

fn legal() -> E {
    E::LegalAcquisitionFound(LegalAcquisitionFound {
        evidence: vec![],
        note: None,
    })
}

#[test]
fn find_ndf_required_negative_and_legal_acquisition() {
    let approve = || C::Approve { conditions: vec![] };
    given(&reviewed(&[legal()]))
        .when(approve())
        .refused_by("FIND-NDF-REQUIRED");
    given(&reviewed(&[legal(), opinion(false)]))
        .when(approve())
        .refused_by("FIND-NDF-NEGATIVE");
    given(&reviewed(&[opinion(true)]))
        .when(approve())
        .refused_by("FIND-LEGAL-ACQUISITION");
    let events = given(&reviewed(&[legal(), opinion(true)]))
        .when(approve())
        .events();
    let E::ApplicationApproved(a) = &events[0] else {
        panic!()
    };
    assert_eq!(
        a.conditions,
        vec!["skins tagged".to_string()],
        "the SA's conditions go on the permit"
    );
    assert_eq!(
        a.listings[0].as_ref().map(|l| l.listing_id),
        Some(1001),
        "the listing in force is recorded"
    );
}

#[test]
fn find_live_transport_condition_and_recipient_equipped() {
    let mut events = submitted(export(vec![line("Python regius", "C", "T", "LIV", "4")]));
    events.push(E::ReviewerAssigned(ReviewerAssigned {
        officer_id: "o".into(),
    }));
    events.push(legal());
    let out = given(&events)
        .when(C::Approve { conditions: vec![] })
        .events();
    let E::ApplicationApproved(a) = &out[0] else {
        panic!()
    };
    assert!(
        a.conditions.iter().any(|c| c.contains("IATA")),
        "{:?}",
        a.conditions
    );

    let mut form = export(vec![line("Panthera tigris", "C", "Z", "LIV", "1")]);
    form.document_type = "import_permit".into();
    form.exporting_country = Some("ZA".into());
    form.importing_country = None;
    let mut events = submitted(form);
    events.push(E::ReviewerAssigned(ReviewerAssigned {
        officer_id: "o".into(),
    }));
    events.push(opinion(true));
    given(&events)
        .when(C::Approve { conditions: vec![] })
        .refused_by("FIND-APP1-RECIPIENT-EQUIPPED");
    events.push(E::ScientificOpinionGiven(ScientificOpinionGiven {
        opinion_id: uuid::Uuid::nil(),
        lines: vec![],
        recipient_suitably_equipped: Some(true),
    }));
    given(&events)
        .when(C::Approve { conditions: vec![] })
        .accepted_without("FIND-APP1-RECIPIENT-EQUIPPED");
}

fn approved() -> Vec<E> {
    let mut events = reviewed(&[legal(), opinion(true)]);
    let out = given(&events)
        .when(C::Approve { conditions: vec![] })
        .events();
    events.extend(out);
    events
}

fn issue() -> C {
    C::Issue {
        permit_number: "LK/2026/000001".into(),
        security_stamp: 500_001,
        retrospective_reason: None,
    }
}

#[test]
fn issuance_waits_for_payment_unless_waived() {
    let events = approved();
    assert!(matches!(
        given(&events).when(issue()).result,
        Err(crate::domain::permit::PermitError::FeeOutstanding { .. })
    ));
    let mut waived = events.clone();
    waived.push(E::FeeWaived(FeeWaived {
        reason: "scientific institution".into(),
    }));
    given(&waived).when(issue()).events();
}

fn paid(mut events: Vec<E>) -> Vec<E> {
    let fee = given(&events).state.fee.clone().expect("fee");
    events.push(E::PaymentRecorded(PaymentRecorded {
        amount: fee,
        method: PaymentMethod::EPayment {
            reference: "PAY-1".into(),
        },
    }));
    events
}

#[test]
fn permit_validity_is_six_months_for_an_export_permit() {
    let out = given(&paid(approved())).when(issue()).events();
    let E::PermitIssued(p) = &out[0] else {
        panic!()
    };
    assert_eq!(p.issued_on.to_string(), "2026-11-28");
    assert_eq!(p.valid_until.to_string(), "2027-05-28");
    let mut long = python_export();
    long.requested_validity_months = Some(9);
    given(&[]).when(submit(long)).refused_by("PERMIT-VALIDITY");
}

fn quota(annual: i64, reserved: i64, domestic: bool) -> QuotaState {
    QuotaState {
        quota_id: "LK-2026-PYTHON-SKI".into(),
        taxon_id: PYTHON_REGIUS,
        year: 2026,
        term: Some("SKI".into()),
        unit: None,
        source: Some(SourceCode::Wild),
        annual: Quantity::whole(annual),
        reserved: Quantity::whole(reserved),
        settled: Quantity::ZERO,
        domestic,
    }
}

#[test]
fn quota_exceeded_and_box_11a() {
    let events = paid(approved());
    let mut g = given(&events);
    g.quotas.push(quota(500, 450, false));
    g.when(issue()).refused_by("QUOTA-EXCEEDED");
    g.quotas[0] = quota(500, 300, false);
    let out = g.when(issue()).events();
    let E::PermitIssued(p) = &out[0] else {
        panic!()
    };
    assert_eq!(p.quota_use[0].used_including_this, Quantity::whole(400));
    assert_eq!(p.quota_use[0].annual_quota, Quantity::whole(500));
    g.quotas[0] = quota(120, 50, true);
    g.when(issue()).refused_by("DOMESTIC-QUOTA");
}

#[test]
fn quota_unit_a_quota_holds_whatever_unit_the_line_is_in() {
    let events = paid(approved());
    let mut g = given(&events);
    // 150,000 g of skins against a 100 kg quota: 150 kg, too much.
    let line = &mut g.state.content.as_mut().expect("content").lines[0];
    line.unit = Some("GRM".into());
    line.quantity = Quantity::whole(150_000);
    let mut kilos = quota(100, 0, false);
    kilos.unit = Some("KIL".into());
    g.quotas.push(kilos.clone());
    g.when(issue()).refused_by("QUOTA-EXCEEDED");
    // With room, box 11a counts the line in the quota's unit.
    kilos.annual = Quantity::whole(200);
    kilos.reserved = Quantity::whole(20);
    g.quotas[0] = kilos.clone();
    let out = g.when(issue()).events();
    let E::PermitIssued(p) = &out[0] else {
        panic!()
    };
    assert_eq!(p.quota_use[0].used_including_this, Quantity::whole(170));
    assert_eq!(p.quota_use[0].annual_quota, Quantity::whole(200));
    // A count cannot be held against a mass: refused, not ignored.
    let mut counted = given(&events);
    counted.quotas.push(kilos);
    let found = counted.when(issue()).refused_by("QUOTA-UNIT");
    let unit = found
        .iter()
        .find(|f| f.rule == "QUOTA-UNIT")
        .and_then(|f| f.field.clone());
    assert_eq!(unit.as_deref(), Some("lines[0].unit"));
}

fn issued() -> Vec<E> {
    let mut events = paid(approved());
    let out = given(&events).when(issue()).events();
    events.extend(out);
    events
}

fn endorse(quantity: i64, on: &str) -> C {
    C::Endorse {
        lines: vec![EndorsedLine {
            line_no: 1,
            actual_quantity: Quantity::whole(quantity),
        }],
        port: "CMB".into(),
        endorsed_on: IsoDate::parse(on).unwrap(),
        transport_document: Some("AWB 176-12345675".into()),
    }
}

#[test]
fn endorsement_quantity_once_and_validity() {
    let events = issued();
    given(&events)
        .when(endorse(101, "2026-11-28"))
        .refused_by("PERMIT-ENDORSE-QUANTITY");
    let mut later = given(&events);
    later.today = IsoDate::parse("2027-06-02").unwrap();
    later
        .when(endorse(10, "2027-06-01"))
        .refused_by("PERMIT-ENDORSE-VALID");
    let out = given(&events).when(endorse(80, "2026-11-28")).events();
    let mut used = events.clone();
    used.extend(out);
    assert_eq!(
        given(&used).state.status,
        crate::domain::permit::PermitStatus::Used
    );
    given(&used)
        .when(endorse(10, "2026-11-29"))
        .refused_by("PERMIT-ONE-CONSIGNMENT");
}

#[test]
fn the_date_of_export_lies_between_issuance_and_today() {
    // Issued on 2026-11-28, the harness's today.
    let events = issued();
    for before in ["1970-01-01", "2026-11-27"] {
        given(&events)
            .when(endorse(10, before))
            .refused_by("PERMIT-ENDORSE-DATE");
    }
    // A day ahead is tomorrow at a border east of Greenwich; ten days ahead is not a date of
    // export.
    given(&events)
        .when(endorse(10, "2026-12-08"))
        .refused_by("PERMIT-ENDORSE-DATE");
    for on in ["2026-11-28", "2026-11-29"] {
        assert!(
            !given(&events).when(endorse(10, on)).events().is_empty(),
            "{on}"
        );
    }
}

#[test]
fn a_cancelled_or_replaced_permit_cannot_be_endorsed() {
    for void in [
        E::PermitCancelled(PermitCancelled {
            reason: "error in box 9".into(),
        }),
        E::PermitReplaced(PermitReplaced {
            replacement_permit_id: uuid::Uuid::nil(),
            reason: "damaged".into(),
        }),
        E::PermitReportedLost(PermitReportedLost {
            stolen: true,
            note: None,
        }),
    ] {
        let mut events = issued();
        events.push(void);
        given(&events)
            .when(endorse(1, "2026-12-01"))
            .refused_by("PERMIT-ENDORSE-VALID");
    }
}

#[test]
fn lifecycle_transitions_are_guarded() {
    let state = given(&[]).state;
    assert_eq!(state, PermitState::default());
    assert!(matches!(
        given(&[]).when(issue()).result,
        Err(crate::domain::permit::PermitError::InvalidTransition { .. })
    ));
    let mut events = submitted(python_export());
    events.push(E::ApplicationWithdrawn(ApplicationWithdrawn {
        reason: None,
    }));
    assert!(given(&events)
        .when(C::AssignReviewer {
            officer_id: "o".into()
        })
        .result
        .is_err());
    let events = submitted(python_export());
    let out = given(&events)
        .when(C::ReturnForChanges {
            reason: "box 9 unclear".into(),
        })
        .events();
    let mut returned = events.clone();
    returned.extend(out);
    given(&returned)
        .when(C::Resubmit {
            form: python_export(),
        })
        .events();
}

// ---- Replacement ----

fn target(
    status: crate::domain::permit::PermitStatus,
) -> crate::domain::context::ReplacementTarget {
    crate::domain::context::ReplacementTarget {
        permit_id: uuid::Uuid::from_u128(7),
        permit_number: Some("LK/2026/000007".into()),
        status,
        organisation_id: Some(uuid::Uuid::nil()),
    }
}

fn replacing(reason: &str) -> ApplicationForm {
    let mut form = python_export();
    form.replaces = Some(super::data::ReplacesForm {
        permit_id: uuid::Uuid::from_u128(7),
        reason: reason.into(),
    });
    form
}

#[test]
fn permit_replacement() {
    use crate::domain::permit::PermitStatus;
    let mut g = given(&[]);
    g.replacement = Some(target(PermitStatus::Used));
    g.when(submit(replacing("damaged")))
        .refused_by("PERMIT-REPLACEMENT");
    g.replacement = Some(target(PermitStatus::Issued));
    g.when(submit(replacing(" ")))
        .refused_by("PERMIT-REPLACEMENT");
    let events = g.when(submit(replacing("damaged"))).events();
    assert!(
        matches!(&events[1], E::ReplacementRequested(r) if r.replaces_permit_number == "LK/2026/000007")
    );
    // Issuance names the old permit, and only while it is still issued and unused.
    let mut all = reviewed(&[legal(), opinion(true)]);
    all.push(events[1].clone());
    let out = given(&all).when(C::Approve { conditions: vec![] }).events();
    all.extend(out);
    all.push(E::FeeWaived(FeeWaived {
        reason: "replacement".into(),
    }));
    let mut g = given(&all);
    g.replacement = Some(target(PermitStatus::Cancelled));
    g.when(issue()).refused_by("PERMIT-REPLACEMENT");
    g.replacement = Some(target(PermitStatus::Issued));
    let out = g.when(issue()).events();
    assert!(
        matches!(&out[0], E::PermitIssued(p) if p.replaces.as_deref() == Some("LK/2026/000007"))
    );
}
