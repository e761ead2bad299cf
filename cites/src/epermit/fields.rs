//! Reading one field of a foreign document: where it is (for the error that names it), its
//! text, and the values a box holds (dates, quantities, codes, countries, addresses).

use super::dom::Element;
use super::model::Address;
use super::read::EPermitError;
use crate::reference::codes::normalise_unit;
use ecites_events::cites::{IsoDate, Quantity};
use ecites_events::PartyCode;

/// An element and its path from the permit's root, for errors that say where.
pub(super) struct At<'a> {
    pub el: &'a Element,
    pub path: String,
}

/// A non-empty text and where it was.
pub(super) struct Leaf<'a> {
    pub at: At<'a>,
    pub text: &'a str,
}

impl<'a> At<'a> {
    pub(super) fn all(&self, name: &str) -> Vec<At<'a>> {
        self.el
            .children
            .iter()
            .filter(|c| c.name == name)
            .enumerate()
            .map(|(i, el)| At {
                el,
                path: format!("{}/{name}[{}]", self.path, i + 1),
            })
            .collect()
    }

    /// The first child of that name.
    pub(super) fn child(&self, name: &str) -> Option<At<'a>> {
        self.el
            .children
            .iter()
            .find(|c| c.name == name)
            .map(|el| At {
                el,
                path: format!("{}/{name}", self.path),
            })
    }

    pub(super) fn text(&self) -> Option<&'a str> {
        Some(self.el.text.trim()).filter(|t| !t.is_empty())
    }

    /// The first child of that name that has a text: empty repetitions are everywhere.
    pub(super) fn leaf(&self, name: &str) -> Option<Leaf<'a>> {
        self.el
            .children
            .iter()
            .filter(|c| c.name == name)
            .find_map(|el| {
                let at = At {
                    el,
                    path: format!("{}/{name}", self.path),
                };
                at.text().map(|text| Leaf { at, text })
            })
    }

    pub(super) fn string(&self, name: &str) -> Option<String> {
        self.leaf(name).map(|l| l.text.to_string())
    }

    pub(super) fn path_of(&self, name: &str) -> String {
        format!("{}/{name}", self.path)
    }
}

pub(super) fn missing(path: String, rule: &'static str) -> EPermitError {
    EPermitError::Missing { path, rule }
}

pub(super) fn invalid(leaf: &Leaf<'_>, expected: &'static str) -> EPermitError {
    EPermitError::Invalid {
        path: leaf.at.path.clone(),
        value: leaf.text.chars().take(80).collect(),
        expected,
    }
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn two_digits_at_most(s: &str, max: u8) -> bool {
    s.len() == 2 && is_digits(s) && s.parse::<u8>().is_ok_and(|n| n <= max)
}

fn zone_ok(z: &str) -> bool {
    match z.as_bytes() {
        [] | [b'Z'] => true,
        [b'+' | b'-', ..] if z.len() == 6 => {
            two_digits_at_most(&z[1..3], 14) && &z[3..4] == ":" && two_digits_at_most(&z[4..6], 59)
        }
        _ => false,
    }
}

/// The calendar date an `xs:dateTime` (or `xs:date`, or UN/CEFACT format 102 `CCYYMMDD`)
/// was written for. The date is taken as written, in the writer's own offset: a permit dated
/// `2007-07-09T00:00:00+02:00` is of the 9th, though it is the 8th in UTC.
pub(super) fn xml_date(s: &str) -> Option<IsoDate> {
    if s.len() == 8 && is_digits(s) {
        return IsoDate::parse(&format!("{}-{}-{}", &s[..4], &s[4..6], &s[6..])).ok();
    }
    let date = IsoDate::parse(s.get(..10)?).ok()?;
    let rest = s.get(10..)?;
    let ok = match rest.strip_prefix('T') {
        None => zone_ok(rest),
        Some(time) => {
            let hms = time.get(..8)?;
            let clock = two_digits_at_most(&hms[..2], 24)
                && &hms[2..3] == ":"
                && two_digits_at_most(&hms[3..5], 59)
                && &hms[5..6] == ":"
                && two_digits_at_most(&hms[6..8], 60);
            let after = time.get(8..)?;
            let zone = match after.strip_prefix('.') {
                Some(frac) => {
                    let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
                    (digits > 0).then(|| &frac[digits..])
                }
                None => Some(after),
            };
            clock && zone.is_some_and(zone_ok)
        }
    };
    ok.then_some(date)
}

pub(super) fn date(leaf: Option<Leaf<'_>>) -> Result<Option<IsoDate>, EPermitError> {
    leaf.map(|l| xml_date(l.text).ok_or_else(|| invalid(&l, "an xs:dateTime")))
        .transpose()
}

pub(super) fn quantity(leaf: &Leaf<'_>) -> Result<Quantity, EPermitError> {
    let text = leaf.text;
    // Senders pad decimals ("10.0000"); the padding says nothing.
    let text = match text.split_once('.') {
        Some((int, frac)) if frac.len() > 3 => {
            let frac = frac.trim_end_matches('0');
            if frac.is_empty() {
                int.to_string()
            } else {
                format!("{int}.{frac}")
            }
        }
        _ => text.to_string(),
    };
    match Quantity::parse(&text) {
        Ok(q) if q.thousandths() >= 0 => Ok(q),
        _ => Err(invalid(
            leaf,
            "a non-negative decimal with at most three decimals",
        )),
    }
}

/// An open-list code (term, unit): a few ASCII letters or digits.
pub(super) fn code(text: &str) -> Option<String> {
    let ok = (1..=8).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_alphanumeric());
    ok.then(|| text.to_ascii_uppercase())
}

pub(super) fn unit(at: &At<'_>) -> Result<Option<String>, EPermitError> {
    let raw = at.el.attr("unitCode").map(str::trim).unwrap_or("");
    // `?` is SoapUI's placeholder, left in by senders that filled the sample in.
    if raw.is_empty() || raw == "?" {
        return Ok(None);
    }
    code(normalise_unit(raw))
        .map(Some)
        .ok_or_else(|| EPermitError::Invalid {
            path: format!("{}/@unitCode", at.path),
            value: raw.chars().take(80).collect(),
            expected: "a unit code",
        })
}

pub(super) fn country(leaf: Option<Leaf<'_>>) -> Result<Option<PartyCode>, EPermitError> {
    leaf.map(|l| {
        l.text
            .parse::<PartyCode>()
            .map_err(|_| invalid(&l, "an ISO 3166-1 alpha-2 country code"))
    })
    .transpose()
}

pub(super) fn address(at: Option<&At<'_>>) -> Address {
    let Some(at) = at else {
        return Address::default();
    };
    Address {
        street: at
            .all("StreetName")
            .iter()
            .filter_map(|s| s.text().map(String::from))
            .collect(),
        po_box: at.string("PostOfficeBox"),
        city: at.string("CityName"),
        postcode: at.string("PostcodeCode"),
        subdivision: at.string("CountrySubDivisionName").or_else(|| {
            at.child("CountryIdentificationTradeCountry")?
                .child("SubordinateTradeCountrySubDivision")?
                .string("Name")
        }),
    }
}

/// A party's country: v2 `CountryID`, v1 `CountryIdentificationTradeCountry/ID`.
pub(super) fn party_country(party: &At<'_>) -> Result<Option<PartyCode>, EPermitError> {
    let Some(addr) = party.child("PostalTradeAddress") else {
        return Ok(None);
    };
    match addr.leaf("CountryID") {
        Some(l) => country(Some(l)),
        None => country(
            addr.child("CountryIdentificationTradeCountry")
                .and_then(|c| c.leaf("ID")),
        ),
    }
}
