//! The CITES annual trade report (Art. VIII(7), Res. Conf. 11.17) in the electronic
//! submission CSV layout of the Trade Database (reference §3.1): the rows built from permit
//! lines and their validation. Pure functions, no I/O; the HTTP side is `annual_http.rs`.

use super::codes::Codes;
use crate::listing::decimal;
use serde::Serialize;

pub const EXPORTER_HEADER: [&str; 13] = [
    "Appendix",
    "SpeciesName",
    "TermCode",
    "Quantity",
    "UnitCode",
    "TradingPartner",
    "CountryOfOrigin",
    "ExportPermit",
    "OriginPermit",
    "IFSPermit",
    "PurposeCode",
    "SourceCode",
    "Year",
];

pub const IMPORTER_HEADER: [&str; 14] = [
    "Appendix",
    "SpeciesName",
    "TermCode",
    "Quantity",
    "UnitCode",
    "TradingPartner",
    "CountryOfOrigin",
    "ImportPermit",
    "ExportPermit",
    "OriginPermit",
    "IFSPermit",
    "PurposeCode",
    "SourceCode",
    "Year",
];

/// Which side of the trade the Party reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum View {
    /// Exports and re-exports: export permits, re-export certificates, certificates of
    /// origin, pre-Convention and captive-breeding certificates the Party issued.
    Exporter,
    /// Imports: the Party's import permits.
    Importer,
}

impl View {
    pub fn header(self) -> &'static [&'static str] {
        match self {
            View::Exporter => &EXPORTER_HEADER,
            View::Importer => &IMPORTER_HEADER,
        }
    }

    pub fn document_types(self) -> &'static [&'static str] {
        match self {
            View::Exporter => &[
                "export_permit",
                "re_export_certificate",
                "certificate_of_origin",
                "pre_convention_certificate",
                "captive_breeding_certificate",
            ],
            View::Importer => &["import_permit"],
        }
    }
}

/// Which quantities and year the report states.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// What was actually traded: endorsed quantity, year of endorsement (lines endorsed with
    /// 0 are left out).
    Endorsed,
    /// What was permitted: lines of permits in status issued, used or expired (not
    /// cancelled, replaced or lost), quantity as issued, year of issue.
    Issued,
}

/// A permit line as the report reads it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Line {
    pub appendix: Option<String>,
    pub scientific_name: String,
    pub kingdom: String,
    pub term: String,
    pub unit: Option<String>,
    pub quantity_thousandths: i64,
    pub endorsed_thousandths: Option<i64>,
    pub exporting_country: Option<String>,
    pub importing_country: Option<String>,
    pub origin_country: Option<String>,
    pub origin_permit: Option<String>,
    pub reexport_country: Option<String>,
    pub reexport_permit: Option<String>,
    /// On an import permit: the exporter's export permit or re-export certificate.
    pub export_permit: Option<String>,
    /// The taxon's listing in force now (catalogue) and since when, unless split by population.
    pub listed: Option<(String, time::Date)>,
    pub permit_number: Option<String>,
    pub purpose: String,
    pub source: String,
    /// Year of endorsement (basis endorsed) or issue (basis issued).
    pub year: Option<i32>,
}

/// One row of the report file, with what validation needs beside the columns.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Row {
    pub appendix: String,
    pub species_name: String,
    pub term: String,
    pub quantity: String,
    pub unit: String,
    pub trading_partner: String,
    pub origin: String,
    pub import_permit: String,
    pub export_permit: String,
    pub origin_permit: String,
    pub ifs_permit: String,
    pub purpose: String,
    pub source: String,
    pub year: String,
    /// The exporting and importing countries (blank when unknown).
    pub exporter: String,
    pub importer: String,
    /// Animalia / Plantae (blank when unknown).
    pub kingdom: String,
    /// The taxon's listing in force now and since when (for AR-APPENDIX-YEAR).
    pub listed: Option<(String, time::Date)>,
}

fn s(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

/// The report row of a line, or `None` when the basis leaves it out.
pub fn build_row(party: &str, line: &Line, view: View, basis: Basis) -> Option<Row> {
    let quantity = match basis {
        Basis::Endorsed => line.endorsed_thousandths.filter(|q| *q != 0)?,
        Basis::Issued => line.quantity_thousandths,
    };
    let exporter = line.exporting_country.clone().unwrap_or_else(|| {
        if view == View::Exporter {
            party.into()
        } else {
            String::new()
        }
    });
    let importer = line.importing_country.clone().unwrap_or_else(|| {
        if view == View::Importer {
            party.into()
        } else {
            String::new()
        }
    });
    let mut row = Row {
        appendix: line.appendix.clone().unwrap_or_else(|| "N".into()),
        species_name: line.scientific_name.clone(),
        term: line.term.clone(),
        quantity: decimal(quantity),
        unit: s(&line.unit),
        origin: s(&line.origin_country),
        origin_permit: s(&line.origin_permit),
        purpose: line.purpose.clone(),
        source: line.source.clone(),
        year: line.year.map(|y| y.to_string()).unwrap_or_default(),
        kingdom: line.kingdom.clone(),
        listed: line.listed.clone(),
        ..Row::default()
    };
    match view {
        View::Exporter => {
            row.trading_partner = importer.clone();
            row.export_permit = s(&line.permit_number);
        }
        View::Importer => {
            row.trading_partner = exporter.clone();
            row.import_permit = s(&line.permit_number);
            // The exporter's document: the one the import permit names, else the exporter's
            // re-export certificate when it re-exported (box 12a).
            if line.export_permit.is_some() {
                row.export_permit = s(&line.export_permit);
            } else if line.reexport_country.is_some()
                && line.reexport_country == line.exporting_country
            {
                row.export_permit = s(&line.reexport_permit);
            }
        }
    }
    row.exporter = exporter;
    row.importer = importer;
    Some(row)
}

impl Row {
    /// The cells in the column order of `view`.
    pub fn record(&self, view: View) -> Vec<&str> {
        let mut r = vec![
            self.appendix.as_str(),
            &self.species_name,
            &self.term,
            &self.quantity,
            &self.unit,
            &self.trading_partner,
            &self.origin,
        ];
        if view == View::Importer {
            r.push(&self.import_permit);
        }
        r.extend([
            self.export_permit.as_str(),
            &self.origin_permit,
            &self.ifs_permit,
            &self.purpose,
            &self.source,
            &self.year,
        ]);
        r
    }

    /// A row read back from a report file with `header` (case-insensitive names).
    pub fn from_record(header: &csv::StringRecord, record: &csv::StringRecord, view: View) -> Row {
        let get = |name: &str| -> String {
            header
                .iter()
                .position(|h| h.trim().eq_ignore_ascii_case(name))
                .and_then(|i| record.get(i))
                .unwrap_or("")
                .trim()
                .to_string()
        };
        let partner = get("TradingPartner");
        let (exporter, importer) = match view {
            View::Exporter => (String::new(), partner.clone()),
            View::Importer => (partner.clone(), String::new()),
        };
        Row {
            appendix: get("Appendix"),
            species_name: get("SpeciesName"),
            term: get("TermCode"),
            quantity: get("Quantity"),
            unit: get("UnitCode"),
            trading_partner: partner,
            origin: get("CountryOfOrigin"),
            import_permit: get("ImportPermit"),
            export_permit: get("ExportPermit"),
            origin_permit: get("OriginPermit"),
            ifs_permit: get("IFSPermit"),
            purpose: get("PurposeCode"),
            source: get("SourceCode"),
            year: get("Year"),
            exporter,
            importer,
            kingdom: String::new(),
            listed: None,
        }
    }
}

/// A validation finding: 1-based data row (the header is row 0), column, rule id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub row: usize,
    pub column: &'static str,
    pub rule: &'static str,
    pub message: String,
}

/// What validation found in one row.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Checked {
    pub errors: Vec<Finding>,
    pub warnings: Vec<Finding>,
}

/// The rule ids that check a value against a code list.
pub const CODE_RULES: &[&str] = &[
    "AR-TERM-CODE",
    "AR-UNIT-CODE",
    "AR-PURPOSE-CODE",
    "AR-SOURCE-CODE",
    "AR-PARTNER-CODE",
    "AR-ORIGIN-CODE",
];

fn positive_decimal(q: &str) -> bool {
    let mut parts = q.splitn(2, '.');
    let whole = parts.next().unwrap_or("");
    let frac = parts.next().unwrap_or("");
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    !(whole.is_empty() && frac.is_empty())
        && digits(whole)
        && digits(frac)
        && (whole.bytes().chain(frac.bytes())).any(|b| b != b'0')
}

/// The Trade Database's checks of one row (reference §3.1) that need no species data.
pub fn validate(row_no: usize, row: &Row, codes: &Codes) -> Checked {
    let mut c = Checked::default();
    let mut err = |column: &'static str, rule: &'static str, message: String| {
        c.errors.push(Finding {
            row: row_no,
            column,
            rule,
            message,
        })
    };
    let required = [
        ("TradingPartner", &row.trading_partner),
        ("TermCode", &row.term),
        ("SpeciesName", &row.species_name),
        ("Appendix", &row.appendix),
        ("Quantity", &row.quantity),
        ("Year", &row.year),
    ];
    for (column, value) in required {
        if value.is_empty() {
            err(column, "AR-REQUIRED", format!("{column} is required"));
        }
    }
    let four_digits = row.year.len() == 4 && row.year.bytes().all(|b| b.is_ascii_digit());
    if !row.year.is_empty() && !four_digits {
        err(
            "Year",
            "AR-YEAR",
            format!("{:?} is not a four-digit year", row.year),
        );
    }
    if !row.appendix.is_empty() && !["I", "II", "III", "N"].contains(&row.appendix.as_str()) {
        err(
            "Appendix",
            "AR-APPENDIX",
            format!("{:?} is not I, II, III or N", row.appendix),
        );
    }
    if !row.quantity.is_empty() && !positive_decimal(&row.quantity) {
        err(
            "Quantity",
            "AR-QUANTITY",
            format!("{:?} is not a number above 0", row.quantity),
        );
    }
    let checks: [(&'static str, &'static str, &String, bool); 6] = [
        (
            "TermCode",
            "AR-TERM-CODE",
            &row.term,
            codes.terms.contains(&row.term),
        ),
        (
            "UnitCode",
            "AR-UNIT-CODE",
            &row.unit,
            codes.unit_valid(&row.unit),
        ),
        (
            "PurposeCode",
            "AR-PURPOSE-CODE",
            &row.purpose,
            codes.purposes.contains(&row.purpose),
        ),
        (
            "SourceCode",
            "AR-SOURCE-CODE",
            &row.source,
            codes.sources.contains(&row.source),
        ),
        (
            "TradingPartner",
            "AR-PARTNER-CODE",
            &row.trading_partner,
            codes.countries.contains(&row.trading_partner),
        ),
        (
            "CountryOfOrigin",
            "AR-ORIGIN-CODE",
            &row.origin,
            codes.countries.contains(&row.origin),
        ),
    ];
    for (column, rule, value, valid) in checks {
        if !value.is_empty() && !valid {
            err(column, rule, format!("{value:?} is not a valid {column}"));
        }
    }
    if !row.origin.is_empty() && row.origin == row.exporter {
        err(
            "CountryOfOrigin",
            "AR-EXPORTER-IS-ORIGIN",
            format!(
                "the country of origin {} is the exporter; leave it blank",
                row.origin
            ),
        );
    }
    if !row.exporter.is_empty() && row.exporter == row.importer {
        err(
            "TradingPartner",
            "AR-EXPORTER-IS-IMPORTER",
            format!("exporter and importer are both {}", row.exporter),
        );
    }
    let kingdom = row.kingdom.to_ascii_lowercase();
    if (row.source == "A" && kingdom == "animalia")
        || (["C", "R"].contains(&row.source.as_str()) && kingdom == "plantae")
    {
        err(
            "SourceCode",
            "AR-SOURCE-KINGDOM",
            format!("source {} is not valid for {}", row.source, row.kingdom),
        );
    }
    c.warnings.extend(secondary(row_no, row, codes));
    if codes.terms.contains(&row.term)
        && codes.unit_valid(&row.unit)
        && !codes.term_unit_usual(&row.term, &row.unit)
    {
        let unit = if row.unit.is_empty() {
            "number of specimens"
        } else {
            &row.unit
        };
        c.warnings.push(Finding {
            row: row_no,
            column: "UnitCode",
            rule: "AR-TERM-UNIT",
            message: format!("{unit} is not a usual unit for term {}", row.term),
        });
    }
    c
}

#[cfg(test)]
#[path = "annual_tests.rs"]
mod tests;

/// The Trade Database validator's secondary checks, as warnings: term–purpose, taxon–term
/// (by kingdom) and the appendix of the year. Not checked: a wild-source row from outside the
/// species' range (the catalogue records no distributions).
fn secondary(row_no: usize, row: &Row, codes: &Codes) -> Vec<Finding> {
    let mut out = vec![];
    let mut warn = |column: &'static str, rule: &'static str, message: String| {
        out.push(Finding {
            row: row_no,
            column,
            rule,
            message,
        })
    };
    if codes.terms.contains(&row.term)
        && codes.purposes.contains(&row.purpose)
        && !codes.term_purpose_usual(&row.term, &row.purpose)
    {
        warn(
            "PurposeCode",
            "AR-TERM-PURPOSE",
            format!(
                "purpose {} is not a usual purpose for term {}",
                row.purpose, row.term
            ),
        );
    }
    let kingdom = row.kingdom.to_ascii_lowercase();
    let other_kingdom = match kingdom.as_str() {
        "animalia" => super::codes::PLANT_TERMS.contains(&row.term.as_str()),
        "plantae" => super::codes::ANIMAL_TERMS.contains(&row.term.as_str()),
        _ => false,
    };
    if other_kingdom {
        warn(
            "TermCode",
            "AR-TAXON-TERM",
            format!(
                "term {} does not describe specimens of {} ({})",
                row.term, row.species_name, row.kingdom
            ),
        );
    }
    let year: Option<i32> = row.year.parse().ok();
    if let (Some((appendix, since)), Some(year)) = (&row.listed, year) {
        // The listing in force now covered the whole year: the row's appendix must be it.
        if since.year() < year && appendix != &row.appendix && row.appendix != "N" {
            warn(
                "Appendix",
                "AR-APPENDIX-YEAR",
                format!(
                    "{} has been in Appendix {appendix} since {since}, so in {year}; the row says {}",
                    row.species_name, row.appendix
                ),
            );
        }
    }
    out
}
