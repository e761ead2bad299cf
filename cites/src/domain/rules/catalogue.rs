//! Every rule of the catalogue as a value, declared once: its stable id and the article or
//! resolution it comes from. The rule functions raise findings from these, the check tables
//! of each step list them, the tests name them, and a test holds them against
//! `docs/domain.md`.

use super::Rule;

pub const DATA_CODE: Rule = Rule::new("DATA-CODE", "data validity");
pub const DATA_COUNTRY: Rule = Rule::new("DATA-COUNTRY", "data validity");
pub const DATA_DATE: Rule = Rule::new("DATA-DATE", "data validity");
pub const DATA_QUANTITY: Rule = Rule::new("DATA-QUANTITY", "data validity");
pub const DATA_TERM_UNIT: Rule = Rule::new("DATA-TERM-UNIT", "data validity");
pub const DATA_UNKNOWN_TAXON: Rule = Rule::new("DATA-UNKNOWN-TAXON", "data validity");
pub const DOC_APP1_EXPORT_NEEDS_IMPORT_PERMIT: Rule =
    Rule::new("DOC-APP1-EXPORT-NEEDS-IMPORT-PERMIT", "Art. III.2(d)");
pub const DOC_APP1_REEXPORT_LIVE_NEEDS_IMPORT_PERMIT: Rule = Rule::new(
    "DOC-APP1-REEXPORT-LIVE-NEEDS-IMPORT-PERMIT",
    "Art. III.4(c)",
);
pub const DOC_APP2_IMPORT_PERMIT_NOT_REQUIRED: Rule =
    Rule::new("DOC-APP2-IMPORT-PERMIT-NOT-REQUIRED", "Art. IV.4");
pub const DOC_APP3_EXPORT_BY_LISTING_PARTY: Rule =
    Rule::new("DOC-APP3-EXPORT-BY-LISTING-PARTY", "Art. V.2");
pub const DOC_APP3_ORIGIN_CERTIFICATE: Rule = Rule::new("DOC-APP3-ORIGIN-CERTIFICATE", "Art. V.3");
pub const DOC_IMPORT_PERMIT_AGE: Rule = Rule::new("DOC-IMPORT-PERMIT-AGE", "Res. Conf. 12.3");
pub const DOC_ISSUING_PARTY: Rule = Rule::new(
    "DOC-ISSUING-PARTY",
    "Art. III.2, III.3, III.4, III.5, IV.2, IV.4, IV.5, IV.6, V.2, V.3, VII.2, VII.5",
);
pub const DOC_NOT_LISTED: Rule = Rule::new("DOC-NOT-LISTED", "Art. II");
pub const DOC_REEXPORT_NEEDS_ORIGIN: Rule = Rule::new(
    "DOC-REEXPORT-NEEDS-ORIGIN",
    "Art. III.4, IV.5, V.4; Res. Conf. 12.3",
);
pub const DOC_SEA_CERTIFICATE: Rule = Rule::new("DOC-SEA-CERTIFICATE", "Art. III.5, IV.6");
pub const DOMESTIC_BAN: Rule = Rule::new("DOMESTIC-BAN", "Art. XIV (stricter domestic measure)");
pub const DOMESTIC_QUOTA: Rule = Rule::new("DOMESTIC-QUOTA", "stricter domestic measure");
pub const FEE_UNPAID: Rule = Rule::new("FEE-UNPAID", "fee schedule of the Party");
pub const FIND_APP1_RECIPIENT_EQUIPPED: Rule =
    Rule::new("FIND-APP1-RECIPIENT-EQUIPPED", "Art. III.3(b)");
pub const FIND_LEGAL_ACQUISITION: Rule =
    Rule::new("FIND-LEGAL-ACQUISITION", "Art. III.2(b), IV.2(b), V.2(a)");
pub const FIND_NDF_NEGATIVE: Rule = Rule::new("FIND-NDF-NEGATIVE", "Art. III.2(a), IV.2(a)");
pub const FIND_NDF_REQUIRED: Rule =
    Rule::new("FIND-NDF-REQUIRED", "Art. III.2(a), III.3(a), IV.2(a)");
pub const LISTING_POPULATION: Rule = Rule::new(
    "LISTING-POPULATION",
    "Art. I; annotations to the Appendices",
);
pub const LISTING_RESERVATION: Rule =
    Rule::new("LISTING-RESERVATION", "Art. XXIII; Res. Conf. 4.25");
pub const PERMIT_ENDORSE_DATE: Rule = Rule::new("PERMIT-ENDORSE-DATE", "Art. VI.2");
pub const PERMIT_ENDORSE_QUANTITY: Rule = Rule::new("PERMIT-ENDORSE-QUANTITY", "Res. Conf. 12.3");
pub const PERMIT_ENDORSE_VALID: Rule = Rule::new("PERMIT-ENDORSE-VALID", "Art. VI.2");
pub const PERMIT_NO_RETROSPECTIVE: Rule = Rule::new("PERMIT-NO-RETROSPECTIVE", "Res. Conf. 12.3");
pub const PERMIT_NUMBERING: Rule = Rule::new("PERMIT-NUMBERING", "Res. Conf. 12.3");
pub const PERMIT_ONE_CONSIGNMENT: Rule = Rule::new("PERMIT-ONE-CONSIGNMENT", "Art. VI.5");
pub const PERMIT_REPLACEMENT: Rule = Rule::new("PERMIT-REPLACEMENT", "Res. Conf. 12.3");
pub const PERMIT_SECURITY_STAMP: Rule = Rule::new("PERMIT-SECURITY-STAMP", "Res. Conf. 12.3");
pub const PERMIT_VALIDITY: Rule = Rule::new("PERMIT-VALIDITY", "Art. VI.2, Res. Conf. 12.3");
pub const PURPOSE_APP1_COMMERCIAL: Rule =
    Rule::new("PURPOSE-APP1-COMMERCIAL", "Art. III.3(c), Res. Conf. 5.10");
pub const PURPOSE_TERM_UNUSUAL: Rule =
    Rule::new("PURPOSE-TERM-UNUSUAL", "WCMC annual report validation");
pub const QUOTA_DEFINITION: Rule = Rule::new("QUOTA-DEFINITION", "Res. Conf. 14.7");
pub const QUOTA_EXCEEDED: Rule = Rule::new("QUOTA-EXCEEDED", "Res. Conf. 12.3, 14.7");
pub const QUOTA_UNIT: Rule = Rule::new("QUOTA-UNIT", "Res. Conf. 14.7");
pub const REEXPORT_FROM_IMPORT: Rule = Rule::new("REEXPORT-FROM-IMPORT", "Art. III.4(a), IV.5(a)");
pub const REEXPORT_IMPORT_BALANCE: Rule =
    Rule::new("REEXPORT-IMPORT-BALANCE", "Art. III.4(a), IV.5(a)");
pub const SOURCE_C_APP1_COMMERCIAL: Rule =
    Rule::new("SOURCE-C-APP1-COMMERCIAL", "Res. Conf. 12.10");
pub const SOURCE_D_REGISTERED: Rule =
    Rule::new("SOURCE-D-REGISTERED", "Art. VII.4, Res. Conf. 12.10");
pub const SOURCE_I_SEIZED: Rule = Rule::new("SOURCE-I-SEIZED", "Res. Conf. 12.3");
pub const SOURCE_KINGDOM: Rule = Rule::new("SOURCE-KINGDOM", "Res. Conf. 10.16, 11.11");
pub const SOURCE_O_PRECONVENTION: Rule = Rule::new("SOURCE-O-PRECONVENTION", "Art. VII.2");
pub const SOURCE_U_JUSTIFIED: Rule = Rule::new("SOURCE-U-JUSTIFIED", "Res. Conf. 12.3");
pub const SUSPENSION: Rule = Rule::new("SUSPENSION", "Art. XIII");

/// The whole catalogue.
pub const ALL: &[Rule] = &[
    DATA_CODE,
    DATA_COUNTRY,
    DATA_DATE,
    DATA_QUANTITY,
    DATA_TERM_UNIT,
    DATA_UNKNOWN_TAXON,
    DOC_APP1_EXPORT_NEEDS_IMPORT_PERMIT,
    DOC_APP1_REEXPORT_LIVE_NEEDS_IMPORT_PERMIT,
    DOC_APP2_IMPORT_PERMIT_NOT_REQUIRED,
    DOC_APP3_EXPORT_BY_LISTING_PARTY,
    DOC_APP3_ORIGIN_CERTIFICATE,
    DOC_IMPORT_PERMIT_AGE,
    DOC_ISSUING_PARTY,
    DOC_NOT_LISTED,
    DOC_REEXPORT_NEEDS_ORIGIN,
    DOC_SEA_CERTIFICATE,
    DOMESTIC_BAN,
    DOMESTIC_QUOTA,
    FEE_UNPAID,
    FIND_APP1_RECIPIENT_EQUIPPED,
    FIND_LEGAL_ACQUISITION,
    FIND_NDF_NEGATIVE,
    FIND_NDF_REQUIRED,
    LISTING_POPULATION,
    LISTING_RESERVATION,
    PERMIT_ENDORSE_DATE,
    PERMIT_ENDORSE_QUANTITY,
    PERMIT_ENDORSE_VALID,
    PERMIT_NO_RETROSPECTIVE,
    PERMIT_NUMBERING,
    PERMIT_ONE_CONSIGNMENT,
    PERMIT_REPLACEMENT,
    PERMIT_SECURITY_STAMP,
    PERMIT_VALIDITY,
    PURPOSE_APP1_COMMERCIAL,
    PURPOSE_TERM_UNUSUAL,
    QUOTA_DEFINITION,
    QUOTA_EXCEEDED,
    QUOTA_UNIT,
    REEXPORT_FROM_IMPORT,
    REEXPORT_IMPORT_BALANCE,
    SOURCE_C_APP1_COMMERCIAL,
    SOURCE_D_REGISTERED,
    SOURCE_I_SEIZED,
    SOURCE_KINGDOM,
    SOURCE_O_PRECONVENTION,
    SOURCE_U_JUSTIFIED,
    SUSPENSION,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_has_one_id_and_is_documented_in_domain_md() {
        let docs = include_str!("../../../../docs/domain.md");
        let mut seen = std::collections::BTreeSet::new();
        for r in ALL {
            assert!(seen.insert(r.id), "{} twice", r.id);
            assert!(!r.source.is_empty(), "{} names no source", r.id);
            assert!(docs.contains(r.id), "{} is not in docs/domain.md", r.id);
        }
    }
}
