//! Every word the web UI shows, one table per language (the Convention's three: English,
//! French, Spanish). A page asks [`text`] for its language's table and never writes a word
//! itself, so a translation is one `static` of the same struct: a missing entry does not
//! compile. English is here; French in `text/fr.rs`, Spanish in `text/es.rs`.
//!
//! Code lists (sources, purposes, terms, units) carry their own names in the three languages
//! in `schemas/codes/`; [`super::codes`] picks the column of the page's language.

mod es;
mod fr;
#[cfg(test)]
mod tests;

pub use es::ES;
pub use fr::FR;

/// The words of the Party admin's pages and the report pages.
pub mod admin;
pub use admin::AdminText;

/// The [`AdminText`] table of `lang`.
pub fn admin(lang: Lang) -> &'static AdminText {
    admin::of(lang)
}

/// The words of the national entries on the admin's measures page.
pub mod entries;
pub mod specimens;

/// The words of the organisation, document, fee, payment, QR and history pages.
pub mod trader;
pub use trader::TraderText;

/// The [`TraderText`] table of `lang`.
pub fn trader(lang: Lang) -> &'static TraderText {
    trader::of(lang)
}

/// A language of the UI.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Lang {
    #[default]
    En,
    Fr,
    Es,
}

impl Lang {
    /// The three, in the order the language switcher shows them.
    pub const ALL: [Lang; 3] = [Lang::En, Lang::Fr, Lang::Es];

    /// The language of a code (`en`, `fr`, `es`, any case), as in `?lang=` and the
    /// `ecites_lang` cookie.
    pub fn from_code(code: &str) -> Option<Lang> {
        Lang::ALL
            .into_iter()
            .find(|l| l.code().eq_ignore_ascii_case(code.trim()))
    }

    /// The ISO 639-1 code.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
            Lang::Es => "es",
        }
    }

    /// The language's name in itself, for the switcher.
    pub fn endonym(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Fr => "Français",
            Lang::Es => "Español",
        }
    }

    /// The first supported language of an `Accept-Language` header, else English.
    pub fn from_accept_language(header: Option<&str>) -> Lang {
        for part in header.unwrap_or("").split(',') {
            let tag = part
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            if let Some(lang) = tag.get(..2).and_then(Lang::from_code) {
                return lang;
            }
        }
        Lang::En
    }

    /// The `lang` attribute of the pages in this language (its table's).
    pub fn html_tag(self) -> &'static str {
        text(self).lang
    }

    /// The column of the code lists' names in this language (`schemas/codes/*.csv`).
    pub fn code_column(self) -> usize {
        match text(self).lang {
            "fr" => 2,
            "es" => 3,
            _ => 1,
        }
    }
}

/// The table of a language.
pub fn text(lang: Lang) -> &'static Text {
    match lang {
        Lang::En => &EN,
        Lang::Fr => &FR,
        Lang::Es => &ES,
    }
}

/// Every text of the UI.
pub struct Text {
    pub lang: &'static str,
    pub app_name: &'static str,
    pub skip_to_content: &'static str,
    pub sign_in: &'static str,
    pub sign_out: &'static str,
    /// The name of the language switcher (its `aria-label`).
    pub language: &'static str,
    pub party: &'static str,
    pub user_id: &'static str,
    pub password: &'static str,
    pub bad_credentials: &'static str,
    /// A sign-in refused after repeated failures; `{minutes}` is replaced.
    pub too_many_attempts: &'static str,
    pub signed_in_as: &'static str,
    pub home: &'static str,
    pub work_queue: &'static str,
    pub dashboard: &'static str,
    pub year: &'static str,
    pub show: &'static str,
    pub traded_species: &'static str,
    pub documents_issued: &'static str,
    pub applications_by_status: &'static str,
    pub permits_axis: &'static str,
    pub issued_axis: &'static str,
    pub no_data: &'static str,
    pub annual_report: &'static str,
    pub report_rows: &'static str,
    pub report_errors: &'static str,
    pub report_warnings: &'static str,
    pub download_exporter: &'static str,
    pub download_importer: &'static str,
    pub download_exporter_issued: &'static str,
    pub queue_empty: &'static str,
    pub no_permits: &'static str,
    pub my_applications: &'static str,
    pub all_permits: &'static str,
    pub apply: &'static str,
    pub apply_title: &'static str,
    pub document_type: &'static str,
    pub exporting_country: &'static str,
    pub exporting_country_hint: &'static str,
    pub importing_country: &'static str,
    pub country_hint: &'static str,
    pub line: &'static str,
    pub species: &'static str,
    pub species_hint: &'static str,
    pub appendix: &'static str,
    pub not_listed: &'static str,
    pub suspended: &'static str,
    pub over_quota: &'static str,
    pub quota_this_year: &'static str,
    pub source: &'static str,
    pub purpose: &'static str,
    pub term: &'static str,
    pub quantity: &'static str,
    pub unit: &'static str,
    pub unit_none: &'static str,
    pub add_line: &'static str,
    pub remove_line: &'static str,
    pub submit_application: &'static str,
    pub permit: &'static str,
    pub application: &'static str,
    pub status: &'static str,
    pub number: &'static str,
    pub security_stamp: &'static str,
    pub organisation: &'static str,
    pub submitted_at: &'static str,
    pub issued_on: &'static str,
    pub valid_until: &'static str,
    pub endorsed_on: &'static str,
    pub port: &'static str,
    pub assigned_officer: &'static str,
    pub lines: &'static str,
    pub permitted: &'static str,
    pub endorsed: &'static str,
    pub fee: &'static str,
    pub paid: &'static str,
    pub fee_waived: &'static str,
    pub no_fee: &'static str,
    pub rule_findings: &'static str,
    pub no_findings: &'static str,
    pub warning: &'static str,
    pub opinions: &'static str,
    pub non_detrimental: &'static str,
    pub detrimental: &'static str,
    pub conditions: &'static str,
    pub reason: &'static str,
    pub actions: &'static str,
    pub assign_to_me: &'static str,
    pub legal_acquisition: &'static str,
    pub evidence: &'static str,
    pub evidence_hint: &'static str,
    pub note: &'static str,
    pub record_legal_acquisition: &'static str,
    pub request_opinion: &'static str,
    pub question: &'static str,
    pub approve: &'static str,
    pub reject: &'static str,
    pub return_for_changes: &'static str,
    pub waive_fee: &'static str,
    pub issue: &'static str,
    pub give_opinion: &'static str,
    pub non_detriment_finding: &'static str,
    pub yes: &'static str,
    pub no: &'static str,
    pub conditions_hint: &'static str,
    pub pay: &'static str,
    pub payment_reference: &'static str,
    pub amount_due: &'static str,
    pub withdraw: &'static str,
    pub endorse: &'static str,
    pub actual_quantity: &'static str,
    pub at_most: &'static str,
    pub endorsement_date: &'static str,
    pub find_permit: &'static str,
    pub permit_number: &'static str,
    pub find: &'static str,
    pub permit_not_found: &'static str,
    pub banner_valid: &'static str,
    pub banner_not_valid: &'static str,
    pub banner_expired: &'static str,
    pub signature: &'static str,
    pub signature_verified: &'static str,
    pub signature_not_verified: &'static str,
    pub timeline: &'static str,
    pub version: &'static str,
    pub event: &'static str,
    pub time: &'static str,
    pub actor: &'static str,
    pub chain: &'static str,
    pub verified: &'static str,
    pub not_verified: &'static str,
    pub linked: &'static str,
    pub not_linked: &'static str,
    pub hash: &'static str,
    pub all_events_verified: &'static str,
    pub some_events_not_verified: &'static str,
    pub back_to_permit: &'static str,
    pub view: &'static str,
    pub open_timeline: &'static str,
    pub refused: &'static str,
    pub rule: &'static str,
    pub working: &'static str,
    pub error: &'static str,
    pub not_allowed: &'static str,
    pub not_signed_in: &'static str,
    pub try_again: &'static str,
    pub roles: &'static [(&'static str, &'static str)],
    pub statuses: &'static [(&'static str, &'static str)],
    pub document_types: &'static [(&'static str, &'static str)],
    pub event_types: &'static [(&'static str, &'static str)],
}

impl Text {
    fn lookup(table: &'static [(&'static str, &'static str)], key: &str) -> Option<&'static str> {
        table.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }

    pub fn role<'a>(&self, role: &'a str) -> &'a str {
        Self::lookup(self.roles, role).unwrap_or(role)
    }

    pub fn status<'a>(&self, status: &'a str) -> &'a str {
        Self::lookup(self.statuses, status).unwrap_or(status)
    }

    pub fn document_type<'a>(&self, t: &'a str) -> &'a str {
        Self::lookup(self.document_types, t).unwrap_or(t)
    }

    pub fn event_type<'a>(&self, t: &'a str) -> &'a str {
        Self::lookup(self.event_types, t).unwrap_or(t)
    }
}

pub static EN: Text = Text {
    lang: "en",
    app_name: "eCITES",
    skip_to_content: "Skip to content",
    sign_in: "Sign in",
    sign_out: "Sign out",
    language: "Language",
    party: "Party (ISO code)",
    user_id: "User name",
    password: "Password",
    bad_credentials: "Unknown user or wrong password.",
    too_many_attempts: "Too many failed sign-ins. Try again in {minutes} min.",
    signed_in_as: "Signed in as",
    home: "Home",
    work_queue: "Work queue",
    dashboard: "Dashboard",
    year: "Year",
    show: "Show",
    traded_species: "Most traded species,",
    documents_issued: "Documents issued,",
    applications_by_status: "Applications and permits by status",
    permits_axis: "Permits",
    issued_axis: "Issued",
    no_data: "Nothing recorded for this year.",
    annual_report: "CITES annual trade report",
    report_rows: "Rows",
    report_errors: "Errors",
    report_warnings: "Warnings",
    download_exporter: "Download the exporter report (CSV, endorsed quantities)",
    download_importer: "Download the importer report (CSV, endorsed quantities)",
    download_exporter_issued: "Download the exporter report from issued permits (CSV)",
    queue_empty: "Nothing waits for you.",
    no_permits: "No applications yet.",
    my_applications: "My organisation's applications",
    all_permits: "Permits and applications",
    apply: "Apply for a permit",
    apply_title: "New application",
    document_type: "Document type",
    exporting_country: "Exporting country",
    exporting_country_hint: "Two-letter ISO code; leave blank for an export from this Party.",
    importing_country: "Importing country",
    country_hint: "Two-letter ISO code, e.g. DE.",
    line: "Line",
    species: "Species",
    species_hint: "Type part of the scientific or common name and pick from the list.",
    appendix: "Appendix",
    not_listed: "not CITES-listed",
    suspended: "trade suspension in force",
    over_quota: "the export quota of this year is used up",
    quota_this_year: "export quota this year (taken / annual)",
    source: "Source",
    purpose: "Purpose",
    term: "Term",
    quantity: "Quantity",
    unit: "Unit",
    unit_none: "number of specimens",
    add_line: "Add another line",
    remove_line: "Remove this line",
    submit_application: "Submit the application",
    permit: "Permit",
    application: "Application",
    status: "Status",
    number: "Number",
    security_stamp: "Security stamp",
    organisation: "Organisation",
    submitted_at: "Submitted",
    issued_on: "Issued on",
    valid_until: "Valid until",
    endorsed_on: "Endorsed on",
    port: "Port of exit",
    assigned_officer: "Assigned officer",
    lines: "Specimens",
    permitted: "Permitted",
    endorsed: "Endorsed",
    fee: "Fee",
    paid: "Paid",
    fee_waived: "Fee waived",
    no_fee: "No fee assessed yet.",
    rule_findings: "Rule checks",
    no_findings: "No warning or finding recorded: every rule check passed at submission.",
    warning: "warning",
    opinions: "Scientific Authority's opinion",
    non_detrimental: "non-detrimental",
    detrimental: "detrimental",
    conditions: "Conditions",
    reason: "Reason",
    actions: "Actions",
    assign_to_me: "Assign to me",
    legal_acquisition: "Legal acquisition finding",
    evidence: "Evidence (SHA-256 of uploaded documents, one per line)",
    evidence_hint: "Optional.",
    note: "Note",
    record_legal_acquisition: "Record legal acquisition",
    request_opinion: "Request the Scientific Authority's opinion",
    question: "Question to the Scientific Authority",
    approve: "Approve",
    reject: "Reject",
    return_for_changes: "Return for changes",
    waive_fee: "Waive the fee",
    issue: "Issue the permit",
    give_opinion: "Give the opinion",
    non_detriment_finding: "Non-detriment finding",
    yes: "Yes: the export is not detrimental",
    no: "No: the export would be detrimental",
    conditions_hint: "One condition per line; optional.",
    pay: "Pay",
    payment_reference: "E-payment reference",
    amount_due: "Amount due",
    withdraw: "Withdraw the application",
    endorse: "Endorse the export",
    actual_quantity: "Actual quantity",
    at_most: "at most",
    endorsement_date: "Date of export",
    find_permit: "Find a permit",
    permit_number: "Permit number",
    find: "Find",
    permit_not_found: "No permit with this number.",
    banner_valid: "VALID",
    banner_not_valid: "NOT VALID",
    banner_expired: "NOT VALID: expired",
    signature: "Signature",
    signature_verified: "Signature and chain verified",
    signature_not_verified: "Signature or chain NOT verified",
    timeline: "Timeline",
    version: "#",
    event: "Event",
    time: "Time (UTC)",
    actor: "By",
    chain: "Chain",
    verified: "verified",
    not_verified: "NOT verified",
    linked: "linked",
    not_linked: "NOT linked",
    hash: "Hash",
    all_events_verified: "Every event verified: signature and chain.",
    some_events_not_verified: "Some events do NOT verify.",
    back_to_permit: "Back to the permit",
    view: "Open",
    open_timeline: "Timeline and verification",
    refused: "Refused",
    rule: "Rule",
    working: "Working…",
    error: "Error",
    not_allowed: "You may not see this page.",
    not_signed_in: "Please sign in.",
    try_again: "Try again",
    roles: &[
        ("trader", "Trader"),
        ("ma_officer", "Management Authority officer"),
        ("ma_signatory", "Management Authority signatory"),
        ("sa_expert", "Scientific Authority"),
        ("customs", "Customs"),
        ("auditor", "Auditor"),
        ("party_admin", "Party administrator"),
        ("system_operator", "System operator"),
    ],
    statuses: &[
        ("submitted", "Submitted"),
        ("returned", "Returned for changes"),
        ("under_review", "Under review"),
        ("opinion_requested", "Opinion requested"),
        ("opinion_given", "Opinion given"),
        ("approved", "Approved"),
        ("rejected", "Rejected"),
        ("withdrawn", "Withdrawn"),
        ("issued", "Issued"),
        ("used", "Used"),
        ("expired", "Expired"),
        ("cancelled", "Cancelled"),
        ("replaced", "Replaced"),
        ("lost", "Lost or stolen"),
    ],
    document_types: &[
        ("export_permit", "Export permit"),
        ("re_export_certificate", "Re-export certificate"),
        ("import_permit", "Import permit"),
        ("certificate_of_origin", "Certificate of origin"),
        ("pre_convention_certificate", "Pre-Convention certificate"),
        (
            "captive_breeding_certificate",
            "Captive-breeding certificate",
        ),
        (
            "introduction_from_the_sea",
            "Certificate of introduction from the sea",
        ),
    ],
    event_types: &[
        ("ApplicationSubmitted", "Application submitted"),
        ("ApplicationResubmitted", "Application resubmitted"),
        ("ApplicationReturned", "Returned for changes"),
        ("ApplicationWithdrawn", "Withdrawn"),
        ("ReviewerAssigned", "Reviewer assigned"),
        ("LegalAcquisitionFound", "Legal acquisition found"),
        ("ScientificOpinionRequested", "Scientific opinion requested"),
        ("ScientificOpinionGiven", "Scientific opinion given"),
        ("ApplicationApproved", "Approved"),
        ("ApplicationRejected", "Rejected"),
        ("PaymentRecorded", "Payment recorded"),
        ("FeeWaived", "Fee waived"),
        ("PermitIssued", "Permit issued"),
        ("PermitEndorsed", "Endorsed by customs"),
        ("PermitCancelled", "Cancelled"),
        ("PermitExpired", "Expired"),
        ("PermitReplaced", "Replaced"),
        ("PermitReportedLost", "Reported lost"),
        ("ReplacementRequested", "Replacement requested"),
    ],
};
