//! Reading the code-list files: exact headers, well-formed codes, no duplicates, pairs that
//! name known codes. Kept apart from `codes.rs` so that the lookup API reads on its own.

use super::codes::{CodeEntry, CodeListError, CodeOrigin, Country};
use super::dates;
use std::collections::{BTreeMap, BTreeSet};

pub(super) const F_PURPOSES: &str = "purpose_codes_utf8.csv";
pub(super) const F_SOURCES: &str = "source_codes_utf8.csv";
pub(super) const F_TERMS: &str = "term_codes_utf8.csv";
pub(super) const F_UNITS: &str = "unit_codes_utf8.csv";
pub(super) const F_TERM_UNITS: &str = "term_unit_pairs_utf8.csv";
pub(super) const F_TERM_PURPOSES: &str = "term_purpose_pairs_utf8.csv";
const F_PARTIES: &str = "cites_parties.tsv";
const F_ADDITIONS: &str = "additions.csv";

type Rows = Vec<(u64, csv::StringRecord)>;

fn read_rows(
    file: &'static str,
    text: &str,
    delimiter: u8,
    header: &[&str],
) -> Result<Rows, CodeListError> {
    // Not `flexible`: a record whose field count differs from the header's is an error, so
    // callers may index a row up to the header's length.
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .from_reader(text.as_bytes());
    let csv_err = |source| CodeListError::Csv { file, source };
    let found = reader.headers().map_err(csv_err)?.clone();
    if found.iter().ne(header.iter().copied()) {
        return Err(CodeListError::Header {
            file,
            expected: header.join(","),
            found: found.iter().collect::<Vec<_>>().join(","),
        });
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(csv_err)?;
        let line = record.position().map_or(0, csv::Position::line);
        rows.push((line, record));
    }
    Ok(rows)
}

fn well_formed(code: &str, len: usize) -> bool {
    code.len() == len && code.bytes().all(|b| b.is_ascii_uppercase())
}

fn non_empty(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

pub(super) fn read_code_list(
    file: &'static str,
    text: &str,
    header: &[&str],
    code_len: usize,
) -> Result<BTreeMap<String, CodeEntry>, CodeListError> {
    let mut out = BTreeMap::new();
    for (line, row) in read_rows(file, text, b',', header)? {
        let code = &row[0];
        if !well_formed(code, code_len) {
            return Err(CodeListError::BadCode {
                file,
                line,
                code: code.to_string(),
            });
        }
        let (Some(english), Some(french), Some(spanish)) =
            (non_empty(&row[1]), non_empty(&row[2]), non_empty(&row[3]))
        else {
            return Err(CodeListError::EmptyName {
                file,
                line,
                code: code.to_string(),
            });
        };
        let entry = CodeEntry {
            code: code.to_string(),
            english,
            french: Some(french),
            spanish: Some(spanish),
            origin: CodeOrigin::Sapi2013,
        };
        if out.insert(code.to_string(), entry).is_some() {
            return Err(CodeListError::DuplicateCode {
                file,
                code: code.to_string(),
            });
        }
    }
    Ok(out)
}

pub(super) fn apply_additions(
    text: &str,
    purposes: &mut BTreeMap<String, CodeEntry>,
    sources: &mut BTreeMap<String, CodeEntry>,
    terms: &mut BTreeMap<String, CodeEntry>,
    units: &mut BTreeMap<String, CodeEntry>,
) -> Result<(), CodeListError> {
    let header = [
        "list",
        "code",
        "english_name",
        "french_name",
        "spanish_name",
        "basis",
    ];
    for (line, row) in read_rows(F_ADDITIONS, text, b',', &header)? {
        let (list, target, len): (&'static str, &mut BTreeMap<String, CodeEntry>, usize) =
            match &row[0] {
                "purpose" => ("purpose", &mut *purposes, 1),
                "source" => ("source", &mut *sources, 1),
                "term" => ("term", &mut *terms, 3),
                "unit" => ("unit", &mut *units, 3),
                other => {
                    return Err(CodeListError::UnknownList {
                        line,
                        list: other.to_string(),
                    })
                }
            };
        let code = &row[1];
        if !well_formed(code, len) {
            return Err(CodeListError::BadCode {
                file: F_ADDITIONS,
                line,
                code: code.to_string(),
            });
        }
        let Some(english) = non_empty(&row[2]) else {
            return Err(CodeListError::EmptyName {
                file: F_ADDITIONS,
                line,
                code: code.to_string(),
            });
        };
        if target.contains_key(code) {
            return Err(CodeListError::AdditionOverlaps {
                list,
                code: code.to_string(),
            });
        }
        target.insert(
            code.to_string(),
            CodeEntry {
                code: code.to_string(),
                english,
                french: non_empty(&row[3]),
                spanish: non_empty(&row[4]),
                origin: CodeOrigin::Addition,
            },
        );
    }
    Ok(())
}

pub(super) type Pairs = (
    BTreeMap<String, BTreeSet<String>>,
    BTreeSet<(String, String)>,
);

pub(super) fn read_pairs(
    file: &'static str,
    text: &str,
    second: &str,
    known: &BTreeMap<String, CodeEntry>,
    blank_allowed: bool,
) -> Result<Pairs, CodeListError> {
    let mut pairs: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut duplicates = BTreeSet::new();
    let kind = if blank_allowed { "unit" } else { "purpose" };
    for (line, row) in read_rows(file, text, b',', &["TERM_CODE", second])? {
        let (term, other) = (&row[0], &row[1]);
        if !well_formed(term, 3) {
            return Err(CodeListError::BadCode {
                file,
                line,
                code: term.to_string(),
            });
        }
        let blank_ok = blank_allowed && other.is_empty();
        if !blank_ok && !known.contains_key(other) {
            return Err(CodeListError::UnknownPairCode {
                file,
                line,
                kind,
                code: other.to_string(),
            });
        }
        if !pairs
            .entry(term.to_string())
            .or_default()
            .insert(other.to_string())
        {
            duplicates.insert((term.to_string(), other.to_string()));
        }
    }
    Ok((pairs, duplicates))
}

fn read_flag(line: u64, value: &str) -> Result<bool, CodeListError> {
    match value {
        "TRUE" => Ok(true),
        "FALSE" => Ok(false),
        _ => Err(CodeListError::BadCountryField {
            line,
            value: value.to_string(),
            expected: "TRUE or FALSE",
        }),
    }
}

pub(super) fn read_countries(text: &str) -> Result<BTreeMap<String, Country>, CodeListError> {
    let header = [
        "country",
        "code",
        "former_code",
        "non_ISO_code",
        "date",
        "data_source",
    ];
    let mut out = BTreeMap::new();
    for (line, row) in read_rows(F_PARTIES, text, b'\t', &header)? {
        // Namibia's code is "NA", which the R export quoted so it would not read as missing;
        // the CSV reader has already removed the quotes, and the date column's NA is separate.
        let code = &row[1];
        if !well_formed(code, 2) {
            return Err(CodeListError::BadCode {
                file: F_PARTIES,
                line,
                code: code.to_string(),
            });
        }
        let Some(name) = non_empty(&row[0]) else {
            return Err(CodeListError::EmptyName {
                file: F_PARTIES,
                line,
                code: code.to_string(),
            });
        };
        let party_since = match &row[4] {
            "NA" => None,
            d => Some(dates::parse(d).map_err(|_| CodeListError::BadCountryField {
                line,
                value: d.to_string(),
                expected: "a YYYY-MM-DD date or NA",
            })?),
        };
        let country = Country {
            code: code.to_string(),
            name,
            former_code: read_flag(line, &row[2])?,
            non_iso: read_flag(line, &row[3])?,
            party_since,
        };
        if out.insert(code.to_string(), country).is_some() {
            return Err(CodeListError::DuplicateCode {
                file: F_PARTIES,
                code: code.to_string(),
            });
        }
    }
    Ok(out)
}
