//! A synchronous given/when/then harness for the permit aggregate and a small, explicit
//! catalogue standing in for Species+ (each taxon chosen for a rule it exercises).

use super::aggregate::Permit;
use super::codes::{Appendix, Kingdom, PurposeCode};
use super::context::*;
use super::permit::{evolve, PermitCommand, PermitError, PermitEvent, PermitState};
use super::rules::data::{ApplicationForm, LineForm, ReferenceForm};
use ecites_events::cites::IsoDate;
use ecites_events::PartyCode;
use time::macros::date;

pub const PYTHON_REGIUS: u64 = 1; // App. II animal
pub const PANTHERA_TIGRIS: u64 = 2; // App. I animal
pub const DALBERGIA_NIGRA: u64 = 3; // App. I plant
pub const CEDRELA_ODORATA: u64 = 4; // App. III plant, listed by BO
pub const RATTUS_RATTUS: u64 = 5; // not listed
pub const PTEROCARPUS_SANTALINUS: u64 = 6; // App. II plant

pub fn party(code: &str) -> PartyCode {
    code.parse().expect("party code")
}

pub struct TestReference {
    pub suspensions: Vec<SuspensionInfo>,
}

fn taxon(
    id: u64,
    name: &str,
    kingdom: Kingdom,
    appendix: Option<Appendix>,
    listing_party: Option<&str>,
) -> (TaxonInfo, Option<ListingInfo>) {
    (
        TaxonInfo {
            taxon_id: id,
            accepted_name: name.into(),
            written_as: name.into(),
            kingdom,
        },
        appendix.map(|a| ListingInfo {
            listing_id: 1000 + id,
            appendix: a,
            listing_party: listing_party.map(party),
            effective_at: IsoDate(date!(1977 - 02 - 04)),
            annotation: None,
        }),
    )
}

fn catalogue() -> Vec<(TaxonInfo, Option<ListingInfo>)> {
    vec![
        taxon(
            PYTHON_REGIUS,
            "Python regius",
            Kingdom::Animalia,
            Some(Appendix::II),
            None,
        ),
        taxon(
            PANTHERA_TIGRIS,
            "Panthera tigris",
            Kingdom::Animalia,
            Some(Appendix::I),
            None,
        ),
        taxon(
            DALBERGIA_NIGRA,
            "Dalbergia nigra",
            Kingdom::Plantae,
            Some(Appendix::I),
            None,
        ),
        taxon(
            CEDRELA_ODORATA,
            "Cedrela odorata",
            Kingdom::Plantae,
            Some(Appendix::III),
            Some("BO"),
        ),
        taxon(
            RATTUS_RATTUS,
            "Rattus rattus",
            Kingdom::Animalia,
            None,
            None,
        ),
        taxon(
            PTEROCARPUS_SANTALINUS,
            "Pterocarpus santalinus",
            Kingdom::Plantae,
            Some(Appendix::II),
            None,
        ),
    ]
}

impl Reference for TestReference {
    fn resolve_taxon(&self, name: &str) -> Option<TaxonInfo> {
        if name.eq_ignore_ascii_case("Python regia") {
            return Some(TaxonInfo {
                written_as: name.into(),
                ..catalogue()[0].0.clone()
            });
        }
        catalogue()
            .into_iter()
            .map(|(t, _)| t)
            .find(|t| t.accepted_name.eq_ignore_ascii_case(name))
    }
    fn listings_on(&self, taxon_id: u64, date: IsoDate) -> Vec<ListingInfo> {
        catalogue()
            .into_iter()
            .filter(|(t, _)| t.taxon_id == taxon_id)
            .filter_map(|(_, l)| l)
            .filter(|l| l.effective_at <= date)
            .collect()
    }
    fn first_listed(&self, taxon_id: u64) -> Option<IsoDate> {
        self.listings_on(taxon_id, IsoDate(date!(2100 - 01 - 01)))
            .first()
            .map(|l| l.effective_at)
    }
    fn suspensions_on(&self, taxon_id: u64, _: IsoDate) -> Vec<SuspensionInfo> {
        self.suspensions
            .iter()
            .filter(|s| s.taxon_id.is_none_or(|t| t == taxon_id))
            .cloned()
            .collect()
    }
    fn is_country(&self, code: &str) -> bool {
        ["LK", "DE", "US", "BO", "FR", "TH", "IN", "GB", "ZA"].contains(&code)
    }
    fn is_term(&self, code: &str) -> bool {
        ["LIV", "SKI", "TIM", "SAW", "TRO", "WAT", "CAR"].contains(&code)
    }
    fn is_unit(&self, code: &str) -> bool {
        ["KIL", "MTQ", "CUM", "MTK", "SQM"].contains(&code)
    }
    fn unit_allowed_for_term(&self, term: &str, unit: Option<&str>) -> bool {
        match term {
            "LIV" | "TRO" | "WAT" | "CAR" => unit.is_none(),
            "SKI" => matches!(unit, None | Some("MTK" | "SQM")),
            "TIM" | "SAW" => matches!(unit, Some("CUM" | "MTQ" | "KIL")),
            _ => false,
        }
    }
    fn term_purpose_is_usual(&self, term: &str, purpose: PurposeCode) -> bool {
        term != "TRO" || purpose == PurposeCode::HuntingTrophy
    }
}

pub fn line(species: &str, source: &str, purpose: &str, term: &str, quantity: &str) -> LineForm {
    LineForm {
        species: species.into(),
        source: source.into(),
        purpose: purpose.into(),
        term: term.into(),
        quantity: serde_json::Value::String(quantity.into()),
        ..LineForm::default()
    }
}

pub fn reference_form(country: &str, number: &str, date: &str) -> Option<ReferenceForm> {
    Some(ReferenceForm {
        country: country.into(),
        number: number.into(),
        date: Some(date.into()),
    })
}

/// An export permit application from Sri Lanka to Germany.
pub fn export(lines: Vec<LineForm>) -> ApplicationForm {
    ApplicationForm {
        document_type: "export_permit".into(),
        importing_country: Some("DE".into()),
        lines,
        ..ApplicationForm::default()
    }
}

pub fn submit(form: ApplicationForm) -> PermitCommand {
    PermitCommand::Submit {
        organisation_id: uuid::Uuid::nil(),
        form,
    }
}

/// The events of an accepted submission.
pub fn submitted(form: ApplicationForm) -> Vec<PermitEvent> {
    given(&[]).when(submit(form)).events()
}

pub struct Given {
    pub state: PermitState,
    pub reference: TestReference,
    pub settings: PartySettings,
    pub quotas: Vec<QuotaState>,
    pub today: IsoDate,
    pub replacement: Option<ReplacementTarget>,
    pub imports: Vec<crate::domain::context::ImportLine>,
}

pub fn given(events: &[PermitEvent]) -> Given {
    Given {
        state: events.iter().fold(PermitState::default(), evolve),
        reference: TestReference {
            suspensions: vec![],
        },
        settings: PartySettings::new(party("LK")),
        quotas: vec![],
        today: IsoDate(date!(2026 - 11 - 28)),
        replacement: None,
        imports: vec![],
    }
}

/// The permit's `Then` is the generic one; its rule assertions are below.
pub type Then = super::given::Then<Permit>;

impl Given {
    pub fn when(&self, command: PermitCommand) -> Then {
        let ctx = DecisionContext {
            today: self.today,
            reference: &self.reference,
            settings: &self.settings,
            quotas: &self.quotas,
            replacement: self.replacement.clone(),
            imports: &self.imports,
        };
        let given = super::given::Given::<Permit> {
            state: self.state.clone(),
        };
        given.when(command, &ctx)
    }
}

impl super::given::Then<Permit> {
    /// Asserts a refusal naming `rule` (and nothing written: decide returned no events).
    #[track_caller]
    pub fn refused_by(self, rule: &str) -> Vec<super::rules::Finding> {
        match self.result {
            Err(PermitError::Rules(findings)) => {
                assert!(
                    findings.iter().any(|f| f.rule == rule),
                    "expected {rule}, got {findings:?}"
                );
                findings
            }
            other => panic!("expected a refusal by {rule}, got {other:?}"),
        }
    }

    /// Asserts acceptance with a recorded warning of `rule`.
    #[track_caller]
    pub fn warned_by(self, rule: &str) {
        let events = self.events();
        let warnings: Vec<_> = events
            .iter()
            .flat_map(|e| match e {
                PermitEvent::ApplicationSubmitted(s) => s.warnings.clone(),
                PermitEvent::ApplicationApproved(a) => a.warnings.clone(),
                _ => vec![],
            })
            .collect();
        assert!(
            warnings.iter().any(|w| w.rule == rule && w.warning),
            "expected warning {rule}, got {warnings:?}"
        );
    }

    /// Asserts acceptance with no warning of `rule` and no check of it other than passed.
    #[track_caller]
    pub fn accepted_without(self, rule: &str) {
        use ecites_events::payloads::permit::{CheckOutcome, RuleCheck, RuleFinding};
        let flagged = |warnings: &[RuleFinding], checks: &[RuleCheck]| -> Vec<String> {
            let w = warnings.iter().map(|w| w.rule.clone());
            let c = checks
                .iter()
                .filter(|c| c.outcome != CheckOutcome::Passed)
                .map(|c| c.id.clone());
            w.chain(c).collect()
        };
        let events = self.events();
        let found: Vec<String> = events
            .iter()
            .flat_map(|e| match e {
                PermitEvent::ApplicationSubmitted(s) => flagged(&s.warnings, &s.checks),
                PermitEvent::ApplicationResubmitted(s) => flagged(&s.warnings, &s.checks),
                PermitEvent::ApplicationApproved(a) => flagged(&a.warnings, &a.checks),
                PermitEvent::PermitIssued(i) => flagged(&[], &i.checks),
                _ => vec![],
            })
            .collect();
        assert!(
            !found.iter().any(|r| r == rule),
            "{rule} should not be flagged: {found:?}"
        );
    }
}
