//! Every rule a decision evaluated, with its outcome, for the record and the review page: a
//! rule that found nothing passed, one that warned is a warning, one that refused a violation
//! (seen only in answers that write nothing). The tables name the rules each step evaluates;
//! a test keeps them in step with the rule functions.

use super::{catalogue, Finding, Rule};
use ecites_events::payloads::permit::{CheckOutcome, RuleCheck};

/// The rules one step evaluates.
pub type Evaluated = &'static [Rule];

/// Data validity, at submission and resubmission.
pub const DATA: Evaluated = &[
    catalogue::DATA_UNKNOWN_TAXON,
    catalogue::DATA_TERM_UNIT,
    catalogue::DATA_QUANTITY,
    catalogue::DATA_COUNTRY,
    catalogue::DATA_CODE,
    catalogue::DATA_DATE,
];

/// The application rules, at submission, resubmission and approval.
pub const APPLICATION: Evaluated = &[
    catalogue::DOC_ISSUING_PARTY,
    catalogue::DOC_APP1_EXPORT_NEEDS_IMPORT_PERMIT,
    catalogue::DOC_IMPORT_PERMIT_AGE,
    catalogue::DOC_APP1_REEXPORT_LIVE_NEEDS_IMPORT_PERMIT,
    catalogue::DOC_APP2_IMPORT_PERMIT_NOT_REQUIRED,
    catalogue::DOC_APP3_EXPORT_BY_LISTING_PARTY,
    catalogue::DOC_APP3_ORIGIN_CERTIFICATE,
    catalogue::DOC_REEXPORT_NEEDS_ORIGIN,
    catalogue::DOC_SEA_CERTIFICATE,
    catalogue::DOC_NOT_LISTED,
    catalogue::PURPOSE_APP1_COMMERCIAL,
    catalogue::SOURCE_KINGDOM,
    catalogue::SOURCE_D_REGISTERED,
    catalogue::SOURCE_C_APP1_COMMERCIAL,
    catalogue::SOURCE_O_PRECONVENTION,
    catalogue::SOURCE_U_JUSTIFIED,
    catalogue::SOURCE_I_SEIZED,
    catalogue::PURPOSE_TERM_UNUSUAL,
    catalogue::SUSPENSION,
    catalogue::DOMESTIC_BAN,
    catalogue::LISTING_RESERVATION,
    catalogue::REEXPORT_FROM_IMPORT,
    catalogue::REEXPORT_IMPORT_BALANCE,
    catalogue::LISTING_POPULATION,
    catalogue::PERMIT_VALIDITY,
    catalogue::PERMIT_NO_RETROSPECTIVE,
];

/// The findings the MA and SA must have recorded, at approval.
pub const FINDINGS: Evaluated = &[
    catalogue::FIND_NDF_REQUIRED,
    catalogue::FIND_NDF_NEGATIVE,
    catalogue::FIND_LEGAL_ACQUISITION,
    catalogue::FIND_APP1_RECIPIENT_EQUIPPED,
];

/// Issuance: an issued permit passed every one of these.
pub const ISSUANCE: Evaluated = &[
    catalogue::FEE_UNPAID,
    catalogue::PERMIT_REPLACEMENT,
    catalogue::PERMIT_NO_RETROSPECTIVE,
    catalogue::QUOTA_EXCEEDED,
    catalogue::QUOTA_UNIT,
    catalogue::REEXPORT_IMPORT_BALANCE,
    catalogue::DOMESTIC_QUOTA,
    catalogue::PERMIT_VALIDITY,
    catalogue::PERMIT_NUMBERING,
    catalogue::PERMIT_SECURITY_STAMP,
];

/// One entry per evaluated rule (first table wins for a rule in two), in table order, with
/// the worst outcome its findings give; a finding of a rule no table names is added after.
pub fn report(evaluated: &[Evaluated], findings: &[Finding]) -> Vec<RuleCheck> {
    let mut out: Vec<RuleCheck> = vec![];
    for rule in evaluated.iter().flat_map(|t| t.iter()) {
        if out.iter().any(|c| c.id == rule.id) {
            continue;
        }
        let mine: Vec<&Finding> = findings.iter().filter(|f| f.rule == rule.id).collect();
        out.push(check(rule.id, rule.source, &mine));
    }
    for f in findings {
        if !out.iter().any(|c| c.id == f.rule) {
            let mine: Vec<&Finding> = findings.iter().filter(|g| g.rule == f.rule).collect();
            out.push(check(f.rule, f.source, &mine));
        }
    }
    out
}

fn check(id: &str, source: &str, findings: &[&Finding]) -> RuleCheck {
    let worst = findings
        .iter()
        .find(|f| f.refuse)
        .or_else(|| findings.first());
    RuleCheck {
        id: id.to_string(),
        source: worst.map_or(source, |f| f.source).to_string(),
        outcome: match worst {
            None => CheckOutcome::Passed,
            Some(f) if f.refuse => CheckOutcome::Violation,
            Some(_) => CheckOutcome::Warning,
        },
        field: worst.and_then(|f| f.field.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The catalogue's rules a rule module raises (`catalogue::NAME`), by id.
    fn raised_in(source: &str) -> Vec<&'static str> {
        source
            .split("catalogue::")
            .skip(1)
            .filter_map(|rest| {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                    .collect();
                catalogue::ALL
                    .iter()
                    .find(|r| r.id.replace('-', "_") == name)
                    .map(|r| r.id)
            })
            .collect()
    }

    #[test]
    fn every_rule_the_functions_can_raise_is_in_a_table_of_the_step_that_runs_it() {
        let tables: Vec<&str> = [DATA, APPLICATION, FINDINGS, ISSUANCE]
            .iter()
            .flat_map(|t| t.iter().map(|r| r.id))
            .collect();
        let sources = [
            include_str!("data.rs"),
            include_str!("document.rs"),
            include_str!("source.rs"),
            include_str!("trade.rs"),
            include_str!("findings.rs"),
            include_str!("issuance.rs"),
        ];
        let raised: Vec<&str> = sources.iter().flat_map(|s| raised_in(s)).collect();
        assert!(raised.len() > 20, "{raised:?}");
        // Endorsement rules are checked by customs, not at the review.
        for id in raised {
            assert!(tables.contains(&id), "{id} is in no table");
        }
    }

    #[test]
    fn passed_warning_and_violation_with_the_findings_source_and_field() {
        let findings = vec![
            Finding::warn("SOURCE-U-JUSTIFIED", "Res. Conf. 12.3", "check").at("lines[0].source"),
            Finding::refuse("DOC-NOT-LISTED", "Art. II", "no").at("lines[1].species"),
            Finding::refuse("FEE-PREPAYMENT-BALANCE", "ours", "short"),
        ];
        let checks = report(&[APPLICATION], &findings);
        let by_id = |id: &str| checks.iter().find(|c| c.id == id).unwrap().clone();
        assert_eq!(checks.len(), APPLICATION.len() + 1);
        assert_eq!(by_id("SUSPENSION").outcome, CheckOutcome::Passed);
        assert_eq!(by_id("SUSPENSION").source, "Art. XIII");
        let u = by_id("SOURCE-U-JUSTIFIED");
        assert_eq!(
            (u.outcome, u.field.as_deref()),
            (CheckOutcome::Warning, Some("lines[0].source"))
        );
        assert_eq!(by_id("DOC-NOT-LISTED").outcome, CheckOutcome::Violation);
        assert_eq!(
            by_id("FEE-PREPAYMENT-BALANCE").outcome,
            CheckOutcome::Violation
        );
        let json = serde_json::to_value(by_id("DOC-NOT-LISTED")).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"id": "DOC-NOT-LISTED", "source": "Art. II",
                "outcome": "violation", "field": "lines[1].species"})
        );
    }
}
