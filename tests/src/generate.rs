//! Realistic permit lifecycles written straight to the log (signed, chained, batched), for
//! projector tests and benchmarks that need many events fast: submission, review, approval,
//! payment, issue and an endorsement (for less than permitted on every third permit).

use crate::lk;
use ecites_events::cites::{
    Appendix, DocumentType, IsoDate, Kingdom, Money, PurposeCode, Quantity, SourceCode,
};
use ecites_events::jetstream::JetStreamLog;
use ecites_events::payloads::permit::*;
use ecites_events::{
    Actor, AggregateChange, AggregateRef, Commit, EventAppender, EventData, ExpectedPosition,
    PartyCode,
};
use futures::StreamExt;
use time::{Month, OffsetDateTime};
use uuid::Uuid;

const SPECIES: [(u64, &str, &str, Option<&str>); 5] = [
    (4521, "Python regius", "SKI", None),
    (9048, "Crocodylus niloticus", "SKI", None),
    (3210, "Acipenser baerii", "CAV", Some("KIL")),
    (6611, "Dendrobium nobile", "LIV", None),
    (7734, "Macaca fascicularis", "LIV", None),
];
const PARTNERS: [&str; 5] = ["DE", "JP", "US", "FR", "CN"];

fn party(s: &str) -> PartyCode {
    s.parse().expect("valid party")
}

fn date(year: i32, month: u8, day: u8) -> IsoDate {
    let month = Month::try_from(month).expect("month");
    IsoDate(time::Date::from_calendar_date(year, month, day).expect("date"))
}

fn actor(user: &str, role: &str) -> Actor {
    Actor {
        user_id: user.into(),
        role: role.into(),
        party: lk(),
    }
}

/// The line of permit `i`: deterministic, so tests can compute what reports must say.
pub fn line(i: u64) -> PermitLine {
    let (taxon_id, name, term, unit) = SPECIES[(i % 5) as usize];
    let plant = name.starts_with("Dendrobium");
    let reexport = i % 7 == 3;
    PermitLine {
        line_no: 1,
        taxon_id,
        scientific_name: name.into(),
        name_as_written: name.into(),
        kingdom: if plant {
            Kingdom::Plantae
        } else {
            Kingdom::Animalia
        },
        listing: Some(ListingSeen {
            listing_id: taxon_id * 10,
            appendix: Appendix::II,
            listing_party: None,
            effective_at: date(1977, 2, 4),
            population: None,
        }),
        source: if plant {
            SourceCode::ArtificiallyPropagated
        } else if i.is_multiple_of(2) {
            SourceCode::Wild
        } else {
            SourceCode::BredInCaptivity
        },
        purpose: PurposeCode::Commercial,
        term: term.into(),
        quantity: Quantity::whole(10 + (i % 90) as i64),
        unit: unit.map(str::to_string),
        description: None,
        marks: None,
        export_permit: None,
        reexport_from: None,
        origin: reexport.then(|| DocumentReference {
            country: party("ID"),
            number: format!("ID/{i:06}"),
            date: None,
        }),
        last_reexport: None,
        import_permit: None,
        registered_operation: None,
        acquisition_date: None,
        seizure_reference: None,
        source_justification: None,
    }
}

/// The six events of permit `i`, issued and endorsed in `year`.
pub fn lifecycle(i: u64, year: i32) -> Vec<EventData> {
    let l = line(i);
    let reexport = l.origin.is_some();
    let fee = Money {
        minor_units: 2500,
        currency: "LKR".into(),
    };
    let month = 1 + (i % 12) as u8;
    let issued_on = date(year, month, 1 + (i % 27) as u8);
    let endorsed = if i.is_multiple_of(3) {
        l.quantity.thousandths() / 2
    } else {
        l.quantity.thousandths()
    };
    let ev = |p: Result<EventData, serde_json::Error>| p.expect("payload");
    vec![
        ev(EventData::from_payload(&ApplicationSubmitted {
            organisation_id: Uuid::from_u128(0xAB00 + (i % 4) as u128),
            content: ApplicationContent {
                document_type: if reexport {
                    DocumentType::ReExportCertificate
                } else {
                    DocumentType::ExportPermit
                },
                issuing_party: lk(),
                exporting_country: lk(),
                importing_country: party(PARTNERS[(i % 5) as usize]),
                lines: vec![l.clone()],
                express: false,
                requested_validity_months: None,
                supporting_documents: vec![],
                consignment_departed_on: None,
            },
            warnings: vec![],
            fee: fee.clone(),
            checks: vec![],
        })),
        ev(EventData::from_payload(&ReviewerAssigned {
            officer_id: "officer".into(),
        })),
        ev(EventData::from_payload(&ApplicationApproved {
            conditions: vec![],
            listings: vec![l.listing.clone()],
            warnings: vec![],
            checks: vec![],
        })),
        ev(EventData::from_payload(&PaymentRecorded {
            amount: fee,
            method: PaymentMethod::EPayment {
                reference: format!("PAY-{i}"),
            },
        })),
        ev(EventData::from_payload(&PermitIssued {
            permit_number: format!("LK/{year}/{i:07}"),
            security_stamp: 100_000 + i,
            issued_on,
            valid_until: date(year, month, 28),
            quota_use: vec![],
            replaces: None,
            retrospective: None,
            checks: vec![],
        })),
        ev(EventData::from_payload(&PermitEndorsed {
            lines: vec![EndorsedLine {
                line_no: 1,
                actual_quantity: Quantity::from_thousandths(endorsed),
            }],
            port: "CMB".into(),
            endorsed_on: issued_on,
            transport_document: Some(format!("AWB-{i}")),
        })),
    ]
}

/// Appends permits `first..first + count` (each its six events in one atomic batch), `parallel`
/// commits in flight.
pub async fn append_permits(
    log: &JetStreamLog,
    first: u64,
    count: u64,
    year: i32,
    parallel: usize,
) {
    futures::stream::iter(first..first + count)
        .map(|i| async move {
            let aggregate =
                AggregateRef::new(lk(), "permit", &Uuid::from_u128(i as u128 + 1).to_string())
                    .expect("aggregate");
            let commit = Commit {
                command_id: Uuid::now_v7(),
                correlation_id: Uuid::now_v7(),
                actor: actor("officer", "ma_officer"),
                occurred_at: OffsetDateTime::now_utc(),
                changes: vec![AggregateChange {
                    aggregate,
                    expected: ExpectedPosition::New,
                    events: lifecycle(i, year),
                }],
            };
            log.append(commit).await.expect("append a generated permit");
        })
        .buffer_unordered(parallel)
        .collect::<Vec<()>>()
        .await;
}
