//! `ecites demo seed`: a realistic year of a Party's trade, decided through the command
//! handler so that every event is signed, chained and checked by the same rules as a real
//! one: the demo catalogue as `TaxonRecorded` events, a quota partly used, a prepayment
//! account, and applications in every state (returned, rejected, withdrawn, under review,
//! approved, issued, endorsed below the permitted quantity, cancelled, expired), paid at the
//! counter, online and from the account.
//!
//! Idempotent: permit, account and command ids derive from the application's number in the
//! seed, so a second run finds every command applied and writes nothing.

use super::admin::DEMO_ORGANISATION;
use crate::config::Config;
use crate::species::{self, Progress};
use ecites_command::domain::account::AccountCommand;
use ecites_command::domain::context::PartySettings;
use ecites_command::domain::permit::{PermitCommand, PermitState};
use ecites_command::domain::rules::data::{ApplicationForm, LineForm};
use ecites_command::handler::auth::{Principal, Role};
use ecites_command::handler::documents::{DocumentStore, Upload};
use ecites_command::handler::seal::Sealers;
use ecites_command::handler::{CommandHandler, HandlerError};
use ecites_command::reference::species::SpeciesCatalogue;
use ecites_command::reference::ReferenceData;
use ecites_events::cites::{IsoDate, Money, Quantity};
use ecites_events::payloads::permit::{EndorsedLine, LineOpinion, PaymentMethod};
use ecites_events::payloads::quota::QuotaSet;
use ecites_events::{EventAppender, EventReader, KeyringStore, PartyCode, PublicKeys};
use std::io::Write;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Arc;
use uuid::Uuid;

/// Days from filing to the consignment's endorsement at the border.
const ENDORSED_AFTER: i64 = 20;

/// Applications in the seeded year.
pub const DEMO_APPLICATIONS: u32 = 240;

/// What an application of the seed is taken to (by its number, so a re-run agrees).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fate {
    Submitted,
    UnderReview,
    AwaitingOpinion,
    Returned,
    Rejected,
    Withdrawn,
    Approved,
    Issued,
    Endorsed,
    Cancelled,
    Expired,
}

impl Fate {
    fn of(n: u32) -> Self {
        match n % 20 {
            0 => Self::Submitted,
            1 => Self::UnderReview,
            2 => Self::AwaitingOpinion,
            3 => Self::Returned,
            4 => Self::Rejected,
            5 => Self::Withdrawn,
            6 => Self::Approved,
            7..=10 => Self::Issued,
            11..=16 => Self::Endorsed,
            17 => Self::Cancelled,
            // Expired needs a month's validity to have passed: only the year's early permits.
            _ if n >= DEMO_APPLICATIONS * 3 / 4 => Self::Issued,
            _ => Self::Expired,
        }
    }
}

/// (species, source, term, unit, quantity range, document type)
const TRADE: [(&str, &str, &str, Option<&str>, i64); 8] = [
    ("Python regius", "C", "LIV", None, 40),
    ("Python regius", "W", "SKI", None, 120),
    ("Alligator mississippiensis", "C", "SKI", None, 60),
    ("Ara ararauna", "C", "LIV", None, 6),
    ("Hippocampus kuda", "W", "BOD", Some("KIL"), 25),
    ("Phalaenopsis amabilis", "A", "LIV", None, 300),
    ("Aloe ferox", "A", "EXT", Some("KIL"), 500),
    ("Testudo hermanni", "C", "LIV", None, 20),
];
const PARTNERS: [&str; 8] = ["DE", "JP", "US", "FR", "CN", "GB", "AE", "NL"];

/// The decision date of the seed's commands: the handler's clock is a plain function, so the
/// day it answers is set here before each step.
static SEED_DAY: AtomicI32 = AtomicI32::new(0);

fn seed_today() -> IsoDate {
    let day = SEED_DAY.load(Ordering::Relaxed);
    let today = time::OffsetDateTime::now_utc().date();
    IsoDate(time::Date::from_julian_day(day).unwrap_or(today).min(today))
}

fn set_day(date: time::Date) {
    SEED_DAY.store(date.to_julian_day(), Ordering::Relaxed);
}

fn id(kind: u128, n: u32, step: u32) -> Uuid {
    Uuid::from_u128(
        0x0193_0000_0000_7000_8000_0000_0000_0000
            | kind << 40
            | u128::from(n) << 8
            | u128::from(step),
    )
}

struct Seeder<L> {
    handler: CommandHandler<L>,
    party: PartyCode,
    currency: String,
    account: Uuid,
    evidence: String,
}

pub async fn seed(config: &Config, party: PartyCode, out: &mut dyn Write) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    set_day(time::OffsetDateTime::now_utc().date());
    let store = KeyringStore::new(&config.keys_dir);
    let log = super::connect(config).await?;
    let signer = store.load(party)?.signer;
    log.set_signer(signer.clone());
    let keys = PublicKeys::from_rings([&store.load_public(party)?]).map_err(anyhow::Error::msg)?;
    let catalogue = SpeciesCatalogue::demo()?;
    let report = species::import(&log, party, &keys, &catalogue, Progress::Hidden).await?;
    writeln!(out, "demo catalogue: {report}")?;
    let documents = DocumentStore::open(&config.documents_dir)?;
    let evidence = demo_evidence(&documents, party).await?;
    let handler = CommandHandler::new(log, keys, Arc::new(ReferenceData::demo()))
        .with_documents(documents)
        .with_sealers(Sealers::new([signer]))
        .with_clock(seed_today);
    let mut settings = PartySettings::new(party);
    settings.currency = config.fee_currency.clone();
    handler.configure_party(settings);
    let seeder = Seeder {
        handler,
        party,
        currency: config.fee_currency.clone(),
        account: id(0xACC, 0, 0),
        evidence,
    };
    let year = seed_today().0.year();
    let setup = |e: HandlerError| anyhow::anyhow!("demo quota and account: {e:?}");
    seeder.quota(year).await.map_err(setup)?;
    seeder.account().await.map_err(setup)?;
    let mut written = 0;
    for n in 0..DEMO_APPLICATIONS {
        written += seeder.application(n, year).await?;
    }
    writeln!(
        out,
        "demo year {year}: {DEMO_APPLICATIONS} applications, {written} commands written, in {:.1} s",
        started.elapsed().as_secs_f64()
    )?;
    Ok(())
}

/// The legal-acquisition evidence every seeded finding cites: a small PDF in the store.
async fn demo_evidence(documents: &DocumentStore, party: PartyCode) -> anyhow::Result<String> {
    let pdf = b"%PDF-1.4\n% eCITES demo: farm records of the demo exporter\n%%EOF\n".to_vec();
    let upload = Upload {
        party,
        user_id: "officer".into(),
        organisation_id: None,
        uploaded_at: time::OffsetDateTime::now_utc(),
    };
    let (meta, _) = documents
        .put(pdf, "application/pdf".into(), upload)
        .await
        .map_err(|e| anyhow::anyhow!("storing the demo evidence: {e}"))?;
    Ok(meta.sha256)
}

fn principal(party: PartyCode, user: &str, role: Role) -> Principal {
    let organisation_id = (role == Role::Trader).then_some(DEMO_ORGANISATION);
    Principal {
        user_id: user.into(),
        role,
        party,
        organisation_id,
    }
}

impl<L: EventAppender + EventReader> Seeder<L> {
    fn who(&self, role: Role) -> Principal {
        let user = match role {
            Role::Trader => "trader",
            Role::MaOfficer => "officer",
            Role::MaSignatory => "signatory",
            Role::SaExpert => "scientist",
            Role::Customs => "customs",
            _ => "admin",
        };
        principal(self.party, user, role)
    }

    /// The Party's export quota for wild royal python skins, which the seed partly uses.
    async fn quota(&self, year: i32) -> Result<(), HandlerError> {
        let definition = QuotaSet {
            taxon_id: species_id("Python regius"),
            scientific_name: "Python regius".into(),
            year,
            term: Some("SKI".into()),
            unit: None,
            source: Some(ecites_events::cites::SourceCode::Wild),
            annual: Quantity::whole(5_000),
            domestic: false,
            notes: Some("demo quota".into()),
        };
        let who = self.who(Role::MaOfficer);
        let quota_id = format!("python-regius-ski-{year}");
        self.handler
            .set_quota(&who, self.party, &quota_id, id(0xC0, 0, 0), definition)
            .await?;
        Ok(())
    }

    /// The demo organisation's prepayment account, with a deposit that pays some fees.
    async fn account(&self) -> Result<(), HandlerError> {
        let trader = self.who(Role::Trader);
        let officer = self.who(Role::MaOfficer);
        let open = AccountCommand::Open {
            organisation_id: DEMO_ORGANISATION,
            currency: self.currency.clone(),
        };
        let deposit = AccountCommand::Deposit {
            amount: self.money(1_000_000),
            receipt_number: "DEMO-DEP-0001".into(),
        };
        for (step, (who, command)) in [(&trader, open), (&officer, deposit)]
            .into_iter()
            .enumerate()
        {
            let command_id = id(0xACC, 0, step as u32 + 1);
            self.handler
                .handle_account(who, self.party, self.account, command_id, command)
                .await?;
        }
        Ok(())
    }

    fn money(&self, minor_units: i64) -> Money {
        Money {
            minor_units,
            currency: self.currency.clone(),
        }
    }

    /// Takes application `n` to its fate; how many commands it wrote.
    async fn application(&self, n: u32, year: i32) -> anyhow::Result<u32> {
        let fate = Fate::of(n);
        let permit = id(0xA, n, 0);
        let first = time::Date::from_ordinal_date(year, 1)?;
        let opened = first + time::Duration::days(i64::from(n * 300 / DEMO_APPLICATIONS));
        let mut step = 0;
        let mut written = 0;
        for (offset, role, command) in self.steps(n, fate, opened) {
            set_day(opened + time::Duration::days(offset));
            step += 1;
            let who = self.who(role);
            let command = match command {
                Some(c) => c,
                None => self.payment(n, &self.state(permit).await?),
            };
            let done = self
                .handler
                .handle(&who, self.party, permit, id(0xA, n, step), command)
                .await
                .map_err(|e| {
                    anyhow::anyhow!("demo application {n} ({fate:?}), step {step}: {e:?}")
                })?;
            written += u32::from(!done.duplicate);
        }
        Ok(written)
    }

    async fn state(&self, permit: Uuid) -> Result<PermitState, HandlerError> {
        self.handler
            .permit(&self.who(Role::MaOfficer), self.party, permit)
            .await
    }

    /// The fee paid three ways: at the counter, online, from the prepayment account.
    fn payment(&self, n: u32, state: &PermitState) -> PermitCommand {
        let amount = self.money(state.outstanding());
        let method = match n % 3 {
            0 => PaymentMethod::ManualReceipt {
                receipt_number: format!("DEMO-RCPT-{n:04}"),
            },
            1 => PaymentMethod::EPayment {
                reference: format!("DEMO-PAY-{n:04}"),
            },
            _ => PaymentMethod::PrepaymentDebit {
                account_id: self.account,
            },
        };
        PermitCommand::RecordPayment { amount, method }
    }

    /// The commands of application `n` with the day each is taken, counted from its filing
    /// (`None`: the payment, which needs the fee the decision computed).
    fn steps(
        &self,
        n: u32,
        fate: Fate,
        opened: time::Date,
    ) -> Vec<(i64, Role, Option<PermitCommand>)> {
        use PermitCommand as C;
        use Role::*;
        let form = form(n);
        let mut steps = vec![(
            0,
            Trader,
            Some(C::Submit {
                organisation_id: DEMO_ORGANISATION,
                form: form.clone(),
            }),
        )];
        if fate == Fate::Submitted {
            return steps;
        }
        if fate == Fate::Withdrawn {
            steps.push((
                2,
                Trader,
                Some(C::Withdraw {
                    reason: Some("shipment postponed".into()),
                }),
            ));
            return steps;
        }
        steps.push((
            1,
            MaOfficer,
            Some(C::AssignReviewer {
                officer_id: "officer".into(),
            }),
        ));
        if fate == Fate::UnderReview {
            return steps;
        }
        if fate == Fate::Returned {
            let reason = "box 7/8: give the number of specimens per consignment".into();
            steps.push((3, MaOfficer, Some(C::ReturnForChanges { reason })));
            return steps;
        }
        steps.push((
            2,
            MaOfficer,
            Some(C::RecordLegalAcquisition {
                evidence: vec![self.evidence.clone()],
                note: Some("farm records and purchase receipts checked".into()),
            }),
        ));
        steps.push((
            3,
            MaOfficer,
            Some(C::RequestScientificOpinion {
                lines: vec![1],
                question: None,
            }),
        ));
        if fate == Fate::AwaitingOpinion {
            return steps;
        }
        let non_detrimental = fate != Fate::Rejected;
        let opinion = LineOpinion {
            line_no: 1,
            non_detrimental,
            conditions: vec![],
        };
        steps.push((
            6,
            SaExpert,
            Some(C::GiveScientificOpinion {
                lines: vec![opinion],
                recipient_suitably_equipped: None,
            }),
        ));
        if fate == Fate::Rejected {
            let reason =
                "the Scientific Authority found the export detrimental (Art. IV.2(a))".into();
            steps.push((7, MaOfficer, Some(C::Reject { reason })));
            return steps;
        }
        steps.push((7, MaOfficer, Some(C::Approve { conditions: vec![] })));
        if fate == Fate::Approved {
            return steps;
        }
        steps.push((8, Trader, None));
        steps.push((
            9,
            MaSignatory,
            Some(C::Issue {
                permit_number: String::new(),
                security_stamp: 0,
                retrospective_reason: None,
            }),
        ));
        match fate {
            Fate::Endorsed => {
                let permitted = form_quantity(n);
                // Every other consignment ships less than the permit allows.
                let actual = if n.is_multiple_of(2) {
                    permitted
                } else {
                    (permitted * 3 + 3) / 4
                };
                steps.push((
                    ENDORSED_AFTER,
                    Customs,
                    Some(C::Endorse {
                        lines: vec![EndorsedLine {
                            line_no: 1,
                            actual_quantity: Quantity::whole(actual),
                        }],
                        port: "CMB".into(),
                        // The day of this step, as the handler's clock will say it.
                        endorsed_on: IsoDate(
                            (opened + time::Duration::days(ENDORSED_AFTER))
                                .min(time::OffsetDateTime::now_utc().date()),
                        ),
                        transport_document: Some(format!("AWB 176-{:08}", 10_000 + n)),
                    }),
                ));
            }
            Fate::Cancelled => {
                let reason = "the importer's permit was refused".into();
                steps.push((15, MaOfficer, Some(C::Cancel { reason })));
            }
            Fate::Expired => steps.push((60, MaOfficer, Some(C::Expire))),
            _ => {}
        }
        steps
    }
}

fn species_id(name: &str) -> u64 {
    ReferenceData::demo()
        .species
        .resolve(name)
        .map_or(0, |t| t.taxon_id)
}

fn form_quantity(n: u32) -> i64 {
    let (.., max) = TRADE[n as usize % TRADE.len()];
    1 + i64::from(n * 7) % max
}

/// Application `n`: an export permit of one line to one of the partners.
fn form(n: u32) -> ApplicationForm {
    let (species, source, term, unit, _) = TRADE[n as usize % TRADE.len()];
    let line = LineForm {
        species: species.into(),
        source: source.into(),
        purpose: "T".into(),
        term: term.into(),
        quantity: serde_json::Value::String(form_quantity(n).to_string()),
        unit: unit.map(str::to_string),
        ..LineForm::default()
    };
    ApplicationForm {
        document_type: "export_permit".into(),
        importing_country: Some(PARTNERS[n as usize % PARTNERS.len()].into()),
        lines: vec![line],
        requested_validity_months: Some(if Fate::of(n) == Fate::Expired { 1 } else { 6 }),
        ..ApplicationForm::default()
    }
}
