//! Every rule a decision evaluated, with its outcome, for the record and the review page: a
//! rule that found nothing passed, one that warned is a warning, one that refused a violation
//! (seen only in answers that write nothing). The tables name the rules each step evaluates;
//! a test keeps them in step with the rule functions.

use super::Finding;
use ecites_events::payloads::permit::{CheckOutcome, RuleCheck};

/// (rule id, source) of the rules one step evaluates.
pub type Evaluated = &'static [(&'static str, &'static str)];

/// Data validity, at submission and resubmission.
pub const DATA: Evaluated = &[
    ("DATA-UNKNOWN-TAXON", "data validity"),
    ("DATA-TERM-UNIT", "data validity"),
    ("DATA-QUANTITY", "data validity"),
    ("DATA-COUNTRY", "data validity"),
    ("DATA-CODE", "data validity"),
    ("DATA-DATE", "data validity"),
];

/// The application rules, at submission, resubmission and approval.
pub const APPLICATION: Evaluated = &[
    (
        "DOC-ISSUING-PARTY",
        "Art. III.2, III.3, III.4, III.5, IV.2, IV.4, IV.5, IV.6, V.2, V.3, VII.2, VII.5",
    ),
    ("DOC-APP1-EXPORT-NEEDS-IMPORT-PERMIT", "Art. III.2(d)"),
    ("DOC-IMPORT-PERMIT-AGE", "Res. Conf. 12.3"),
    (
        "DOC-APP1-REEXPORT-LIVE-NEEDS-IMPORT-PERMIT",
        "Art. III.4(c)",
    ),
    ("DOC-APP2-IMPORT-PERMIT-NOT-REQUIRED", "Art. IV.4"),
    ("DOC-APP3-EXPORT-BY-LISTING-PARTY", "Art. V.2"),
    ("DOC-APP3-ORIGIN-CERTIFICATE", "Art. V.3"),
    (
        "DOC-REEXPORT-NEEDS-ORIGIN",
        "Art. III.4, IV.5, V.4; Res. Conf. 12.3",
    ),
    ("DOC-SEA-CERTIFICATE", "Art. III.5, IV.6"),
    ("DOC-NOT-LISTED", "Art. II"),
    ("PURPOSE-APP1-COMMERCIAL", "Art. III.3(c), Res. Conf. 5.10"),
    ("SOURCE-KINGDOM", "Res. Conf. 10.16, 11.11"),
    ("SOURCE-D-REGISTERED", "Art. VII.4, Res. Conf. 12.10"),
    ("SOURCE-C-APP1-COMMERCIAL", "Res. Conf. 12.10"),
    ("SOURCE-O-PRECONVENTION", "Art. VII.2"),
    ("SOURCE-U-JUSTIFIED", "Res. Conf. 12.3"),
    ("SOURCE-I-SEIZED", "Res. Conf. 12.3"),
    ("PURPOSE-TERM-UNUSUAL", "WCMC annual report validation"),
    ("SUSPENSION", "Art. XIII"),
    ("DOMESTIC-BAN", "Art. XIV (stricter domestic measure)"),
    ("LISTING-RESERVATION", "Art. XXIII; Res. Conf. 4.25"),
    ("REEXPORT-FROM-IMPORT", "Art. III.4(a), IV.5(a)"),
    ("REEXPORT-IMPORT-BALANCE", "Art. III.4(a), IV.5(a)"),
    (
        super::population::RULE,
        "Art. I; annotations to the Appendices",
    ),
    ("PERMIT-VALIDITY", "Art. VI.2, Res. Conf. 12.3"),
    ("PERMIT-NO-RETROSPECTIVE", "Res. Conf. 12.3"),
];

/// The findings the MA and SA must have recorded, at approval.
pub const FINDINGS: Evaluated = &[
    ("FIND-NDF-REQUIRED", "Art. III.2(a), III.3(a), IV.2(a)"),
    ("FIND-NDF-NEGATIVE", "Art. III.2(a), IV.2(a)"),
    ("FIND-LEGAL-ACQUISITION", "Art. III.2(b), IV.2(b), V.2(a)"),
    ("FIND-APP1-RECIPIENT-EQUIPPED", "Art. III.3(b)"),
];

/// Issuance: an issued permit passed every one of these.
pub const ISSUANCE: Evaluated = &[
    ("FEE-UNPAID", "fee schedule of the Party"),
    ("PERMIT-REPLACEMENT", "Res. Conf. 12.3"),
    ("PERMIT-NO-RETROSPECTIVE", "Res. Conf. 12.3"),
    ("QUOTA-EXCEEDED", "Res. Conf. 12.3, 14.7"),
    ("QUOTA-UNIT", "Res. Conf. 14.7"),
    ("REEXPORT-IMPORT-BALANCE", "Art. III.4(a), IV.5(a)"),
    ("DOMESTIC-QUOTA", "stricter domestic measure"),
    ("PERMIT-VALIDITY", "Art. VI.2, Res. Conf. 12.3"),
    ("PERMIT-NUMBERING", "Res. Conf. 12.3"),
    ("PERMIT-SECURITY-STAMP", "Res. Conf. 12.3"),
];

/// One entry per evaluated rule (first table wins for a rule in two), in table order, with
/// the worst outcome its findings give; a finding of a rule no table names is added after.
pub fn report(evaluated: &[Evaluated], findings: &[Finding]) -> Vec<RuleCheck> {
    let mut out: Vec<RuleCheck> = vec![];
    for (id, source) in evaluated.iter().flat_map(|t| t.iter()) {
        if out.iter().any(|c| c.id == *id) {
            continue;
        }
        let mine: Vec<&Finding> = findings.iter().filter(|f| f.rule == *id).collect();
        out.push(check(id, source, &mine));
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

    /// Rule ids as the rule functions write them (string literals shaped like `AB-CD`).
    fn ids_in(source: &str) -> Vec<String> {
        source
            .split('"')
            .skip(1)
            .step_by(2)
            .filter(|s| {
                s.contains('-')
                    && s.split('-').count() >= 2
                    && s.chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
                    && s.chars().next().is_some_and(|c| c.is_ascii_uppercase())
            })
            .map(String::from)
            .collect()
    }

    #[test]
    fn every_rule_the_functions_can_find_is_in_a_table_of_the_step_that_runs_it() {
        let tables: Vec<&str> = [DATA, APPLICATION, FINDINGS, ISSUANCE]
            .iter()
            .flat_map(|t| t.iter().map(|(id, _)| *id))
            .collect();
        let sources = [
            include_str!("data.rs"),
            include_str!("document.rs"),
            include_str!("source.rs"),
            include_str!("trade.rs"),
            include_str!("findings.rs"),
            include_str!("issuance.rs"),
        ];
        // Endorsement rules are checked by customs, not at the review.
        for id in sources.iter().flat_map(|s| ids_in(s)) {
            assert!(tables.contains(&id.as_str()), "{id} is in no table");
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
