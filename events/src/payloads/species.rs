//! The CITES checklist as events: one `taxon` aggregate per Species+ taxon concept (id = the
//! Species+ id), whose events record the taxon's content each time an import finds it new or
//! changed.
//!
//! The [`Taxon`] record is what the rules engine's species catalogue is rebuilt from, so it lives
//! here beside its event rather than in the command service: a replay needs nothing but the log.
//! Its field order and the canonical order of its lists ([`Taxon::canonicalise`]) are part of
//! the content hash; changing either makes the next import record every taxon once.

use crate::cites::{Appendix, Kingdom, Quantity};
use crate::party::PartyCode;
use crate::schema::EventPayload;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::fmt;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::Date;

/// A taxon's content as an import found it (aggregate `taxon`, id = the Species+ taxon id).
/// `content_hash` is what the next import compares with, so that unchanged taxa are not
/// recorded again.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TaxonRecorded {
    /// The Species+ taxon concept id; equals `taxon.id` and the aggregate id.
    pub taxon_id: u64,
    /// SHA-256 of the canonical JSON of `taxon`.
    pub content_hash: ContentHash,
    pub taxon: Taxon,
}

impl EventPayload for TaxonRecorded {
    const AGGREGATE: &'static str = "taxon";
    const EVENT_TYPE: &'static str = "TaxonRecorded";
    /// v2: `taxon.quotas[].quota` is an exact decimal string ([`Quantity`]), not a float (v1).
    const SCHEMA_VERSION: u32 = 2;
}

/// `TaxonRecorded` v1 → v2: each quota's JSON number becomes the exact decimal string of a
/// [`Quantity`]. The number's shortest decimal text is what Species+ published (e.g. `160.0`).
/// One that a quantity cannot hold exactly (more than three decimals, negative, not a finite
/// number) is neither rounded nor refused: the quota becomes `None` and its published text is
/// kept in the quota's `notes` ([`unheld_quota_note`]), so that a replay of the immutable log
/// never breaks and never silently changes a published quota.
pub fn upcast_taxon_recorded_v1(mut v: serde_json::Value) -> Result<serde_json::Value, String> {
    let quotas = v
        .pointer_mut("/taxon/quotas")
        .and_then(serde_json::Value::as_array_mut)
        .ok_or("TaxonRecorded v1 without taxon.quotas")?;
    for q in quotas {
        let Some(slot) = q.get_mut("quota") else {
            continue;
        };
        let read = match &*slot {
            serde_json::Value::Null => continue,
            serde_json::Value::Number(n) => match n.as_f64().map(quota_from_f64) {
                Some(Ok(exact)) => Ok(exact),
                Some(Err(reason)) => Err((n.to_string(), reason)),
                None => Err((n.to_string(), "not a number".to_string())),
            },
            other => Err((other.to_string(), "not a number".to_string())),
        };
        let unheld = match read {
            Ok(exact) => {
                *slot = serde_json::Value::String(exact.to_string());
                None
            }
            Err(unheld) => Some(unheld),
        };
        if let Some((published, reason)) = unheld {
            *slot = serde_json::Value::Null;
            if let Some(notes) = q.get_mut("notes") {
                let note = unheld_quota_note(notes.as_str(), &published, &reason);
                *notes = serde_json::Value::String(note);
            } else if let Some(obj) = q.as_object_mut() {
                let note = unheld_quota_note(None, &published, &reason);
                obj.insert("notes".into(), serde_json::Value::String(note));
            }
        }
    }
    Ok(v)
}

/// A published quota (a float in Species+ answers and in v1 events) as an exact quantity: the
/// float's shortest round-trip decimal text, which is the literal Species+ wrote. Refused (with
/// the reason) when it is not finite, negative, or has more than three decimals.
pub fn quota_from_f64(f: f64) -> Result<Quantity, String> {
    if !f.is_finite() {
        return Err(format!("quota {f} is not a finite number"));
    }
    if f < 0.0 {
        return Err(format!("quota {f} is negative"));
    }
    Quantity::parse(&f.to_string()).map_err(|e| format!("quota {e}"))
}

/// The notes of a quota whose published value `published` could not be held as a quantity:
/// the Species+ notes (if any), then the published text and why it is not recorded as a quota.
pub fn unheld_quota_note(notes: Option<&str>, published: &str, reason: &str) -> String {
    let kept = format!(
        "[published quota {published} not recorded as a quota ({reason}): treat as no quota]"
    );
    match notes.map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => format!("{n} {kept}"),
        None => kept,
    }
}

/// SHA-256 of a taxon's canonical content, written as 64 lower-case hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ContentHash(pub [u8; 32]);

impl fmt::Debug for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ContentHash({})", hex::encode(self.0))
    }
}

impl fmt::Display for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl Serialize for ContentHash {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(self.0))
    }
}

impl<'de> Deserialize<'de> for ContentHash {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let mut out = [0u8; 32];
        if s.len() != 64 || s.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(serde::de::Error::custom(
                "a content hash is 64 lower-case hex digits",
            ));
        }
        hex::decode_to_slice(&s, &mut out).map_err(serde::de::Error::custom)?;
        Ok(ContentHash(out))
    }
}

impl JsonSchema for ContentHash {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ContentHash".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "pattern": "^[0-9a-f]{64}$" })
    }
}

/// The kind of a listing change, with the symbols Species+ uses.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
pub enum ChangeType {
    /// `+`: inclusion in (or restatement of) an appendix.
    #[serde(rename = "+")]
    Addition,
    /// `-`: removal from an appendix.
    #[serde(rename = "-")]
    Deletion,
    /// `R+`: a Party entered a reservation (Art. XV, XVI, XXIII).
    #[serde(rename = "R+")]
    ReservationEntered,
    /// `R-`: a Party withdrew its reservation.
    #[serde(rename = "R-")]
    ReservationWithdrawn,
}

/// The ancestors of a taxon below its kingdom, as the CITES Checklist gives them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HigherTaxa {
    pub phylum: Option<String>,
    pub class: Option<String>,
    pub order: Option<String>,
    pub family: Option<String>,
}

/// Another scientific name under which the Checklist knows a taxon.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Synonym {
    pub full_name: String,
    /// The synonym's own Species+ id, when known.
    pub id: Option<u64>,
    pub author_year: Option<String>,
    pub rank: Option<String>,
}

/// A common name with its ISO 639-1 language code.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CommonName {
    pub language: Option<String>,
    pub name: String,
}

/// How much of a taxon's listing history the catalogue holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ListingHistory {
    /// Only the changes in force when the data was fetched: enough for today's listing, not
    /// for a past date nor for the date of first listing.
    CurrentOnly,
    /// Every change since the first listing (Species+ `scope=all`, or the demo list).
    Complete,
}

/// A `#` annotation: which parts and derivatives a (mostly plant) listing covers.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HashNote {
    pub symbol: Option<String>,
    pub note: Option<String>,
}

/// One change to a taxon's place in the Appendices: an inclusion (`+`), a deletion (`-`), or a
/// Party's reservation entered (`R+`) or withdrawn (`R-`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListingChange {
    /// Species+ listing-change id; shared by the taxa a higher-taxon listing cascades to.
    pub id: u64,
    /// The taxon the change was made on, when it is a higher taxon's.
    pub taxon_concept_id: Option<u64>,
    pub change_type: ChangeType,
    pub appendix: Appendix,
    #[serde(with = "iso_date")]
    #[schemars(schema_with = "date_schema")]
    pub effective_at: Date,
    /// The listing Party of an Appendix III listing, or the reserving Party.
    pub party: Option<PartyCode>,
    pub annotation: Option<String>,
    pub hash_annotation: Option<HashNote>,
    /// Species+ says the change is in force as of the data's date.
    pub is_current: bool,
}

/// A CITES export quota of a country for this taxon.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Quota {
    pub id: u64,
    pub taxon_concept_id: Option<u64>,
    /// The exporting country's code as Species+ gives it (usually ISO alpha-2).
    pub country: String,
    /// `None` in some historic records that Species+ does not display. An exact decimal
    /// (v1 had a float: floats have no place in signed payloads).
    pub quota: Option<Quantity>,
    /// Unit code; `None` = number of specimens.
    pub unit: Option<String>,
    #[serde(with = "iso_date_option")]
    #[schemars(schema_with = "option_date_schema")]
    pub publication_date: Option<Date>,
    pub notes: Option<String>,
    pub url: Option<String>,
    pub public_display: Option<bool>,
    pub is_current: bool,
}

/// A recommendation to suspend trade in this taxon (or in all species) with a country.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Suspension {
    pub id: u64,
    /// `None` = every CITES species of the country; else the taxon (or a higher taxon) it
    /// was made on.
    pub taxon_concept_id: Option<u64>,
    pub country: String,
    #[serde(with = "iso_date")]
    #[schemars(schema_with = "date_schema")]
    pub start_date: Date,
    /// Suspends imports into the country; exports from it when false.
    pub applies_to_import: bool,
    pub is_current: bool,
    pub notes: Option<String>,
    /// The Notification to the Parties that announced it.
    pub notification: Option<String>,
    #[serde(with = "iso_date_option")]
    #[schemars(schema_with = "option_date_schema")]
    pub notification_date: Option<Date>,
    pub notification_url: Option<String>,
}

/// A CITES taxon (accepted name) with everything the rules consult about it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Taxon {
    /// Species+ taxon concept id (demo taxa have ids from 2^40 up).
    pub id: u64,
    pub full_name: String,
    pub author_year: Option<String>,
    /// `SPECIES`, `SUBSPECIES`, `GENUS`, `FAMILY`, …
    pub rank: String,
    pub kingdom: Kingdom,
    pub higher_taxa: HigherTaxa,
    pub synonyms: Vec<Synonym>,
    pub common_names: Vec<CommonName>,
    pub listing_history: ListingHistory,
    pub listing_changes: Vec<ListingChange>,
    pub quotas: Vec<Quota>,
    pub suspensions: Vec<Suspension>,
}

impl Taxon {
    /// Puts every list in its canonical order and drops exact duplicates, so that equal
    /// content serialises to equal bytes whatever order the API answered in.
    pub fn canonicalise(&mut self) {
        self.synonyms.sort();
        self.synonyms.dedup();
        self.common_names.sort();
        self.common_names.dedup();
        self.listing_changes.sort_by(|a, b| {
            (a.effective_at, a.id, a.change_type, a.appendix, a.party).cmp(&(
                b.effective_at,
                b.id,
                b.change_type,
                b.appendix,
                b.party,
            ))
        });
        self.listing_changes.dedup();
        self.quotas.sort_by(|a, b| {
            (a.id, &a.country, a.publication_date).cmp(&(b.id, &b.country, b.publication_date))
        });
        self.quotas.dedup();
        self.suspensions.sort_by(|a, b| {
            (a.id, &a.country, a.start_date).cmp(&(b.id, &b.country, b.start_date))
        });
        self.suspensions.dedup();
    }
}

// Dates are written `YYYY-MM-DD`, as Species+ writes them: `time`'s own serde form without the
// `serde-human-readable` feature is a `(year, ordinal)` tuple, unreadable in an event.
const ISO_DATE: &[BorrowedFormatItem<'static>] = format_description!("[year]-[month]-[day]");

fn format_date(d: Date) -> String {
    // Only numeric components: formatting a valid Date cannot fail, and the fallback keeps the
    // function total without a panic path.
    d.format(ISO_DATE).unwrap_or_else(|_| d.to_string())
}

fn parse_date<E: serde::de::Error>(s: &str) -> Result<Date, E> {
    Date::parse(s.trim(), ISO_DATE)
        .map_err(|e| E::custom(format!("{s:?} is not a YYYY-MM-DD date: {e}")))
}

fn date_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({ "type": "string", "format": "date" })
}

fn option_date_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({ "type": ["string", "null"], "format": "date" })
}

mod iso_date {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::Date;

    pub(super) fn serialize<S: Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::format_date(*d))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        super::parse_date(&String::deserialize(d)?)
    }
}

mod iso_date_option {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::Date;

    pub(super) fn serialize<S: Serializer>(d: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_str(&super::format_date(*d)),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Date>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|s| super::parse_date(&s))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn elephant() -> Taxon {
        Taxon {
            id: 4521,
            full_name: "Loxodonta africana".into(),
            author_year: Some("(Blumenbach, 1797)".into()),
            rank: "SPECIES".into(),
            kingdom: Kingdom::Animalia,
            higher_taxa: HigherTaxa::default(),
            synonyms: vec![],
            common_names: vec![],
            listing_history: ListingHistory::Complete,
            listing_changes: vec![ListingChange {
                id: 3635,
                taxon_concept_id: Some(4521),
                change_type: ChangeType::Addition,
                appendix: Appendix::III,
                effective_at: date!(1976 - 02 - 26),
                party: "GH".parse().ok(),
                annotation: None,
                hash_annotation: None,
                is_current: false,
            }],
            quotas: vec![Quota {
                id: 1,
                taxon_concept_id: Some(4521),
                country: "ZA".into(),
                quota: Some(Quantity::parse("12.5").unwrap()),
                unit: None,
                publication_date: None,
                notes: None,
                url: None,
                public_display: Some(true),
                is_current: true,
            }],
            suspensions: vec![],
        }
    }

    #[test]
    fn a_recorded_taxon_round_trips_with_iso_dates_and_refuses_unknown_fields() {
        let event = TaxonRecorded {
            taxon_id: 4521,
            content_hash: ContentHash([0xab; 32]),
            taxon: elephant(),
        };
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["content_hash"], "ab".repeat(32));
        assert_eq!(
            json["taxon"]["listing_changes"][0]["effective_at"],
            "1976-02-26"
        );
        assert_eq!(json["taxon"]["listing_changes"][0]["change_type"], "+");
        assert_eq!(
            json["taxon"]["quotas"][0]["publication_date"],
            serde_json::Value::Null
        );
        assert_eq!(json["taxon"]["quotas"][0]["quota"], "12.5");
        let back: TaxonRecorded = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(back, event);

        let mut extra = json.clone();
        extra["taxon"]["colour"] = "grey".into();
        assert!(serde_json::from_value::<TaxonRecorded>(extra).is_err());
        let mut upper = json;
        upper["content_hash"] = "AB".repeat(32).into();
        assert!(serde_json::from_value::<TaxonRecorded>(upper).is_err());
    }

    #[test]
    fn canonical_order_does_not_depend_on_the_answer_order() {
        let mut a = elephant();
        a.synonyms = vec![
            Synonym {
                full_name: "Elephas africanus".into(),
                id: Some(2),
                author_year: None,
                rank: None,
            },
            Synonym {
                full_name: "Loxodonta cyclotis".into(),
                id: Some(1),
                author_year: None,
                rank: None,
            },
        ];
        let mut b = a.clone();
        b.synonyms.reverse();
        b.synonyms.push(b.synonyms[0].clone());
        a.canonicalise();
        b.canonicalise();
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            serde_json::to_string(&b).unwrap()
        );
    }

    /// A v1 event (float quotas) as it sits in old logs decodes into v2 with the same values,
    /// exactly; a float a quantity cannot hold is refused, not rounded.
    #[test]
    fn a_v1_event_with_float_quotas_is_upcast_to_exact_decimals() {
        let mut v1 = serde_json::to_value(TaxonRecorded {
            taxon_id: 4521,
            content_hash: ContentHash([0xab; 32]),
            taxon: elephant(),
        })
        .unwrap();
        let second = v1["taxon"]["quotas"][0].clone();
        v1["taxon"]["quotas"][0]["quota"] = serde_json::json!(160.0);
        v1["taxon"]["quotas"].as_array_mut().unwrap().push(second);
        v1["taxon"]["quotas"][1]["quota"] = serde_json::Value::Null;
        let up = crate::payloads::upcasters();
        let got: TaxonRecorded = up.decode("TaxonRecorded", 1, &v1.to_string()).unwrap();
        assert_eq!(got.taxon.quotas[0].quota, Some(Quantity::whole(160)));
        assert_eq!(got.taxon.quotas[1].quota, None);

        assert_eq!(quota_from_f64(0.5).unwrap().to_string(), "0.5");
        assert!(quota_from_f64(f64::NAN).is_err());
        assert!(quota_from_f64(-1.0).is_err());
    }

    /// Given a v1 event in an old log holding a quota a quantity cannot hold (0.0005: four
    /// decimals), when it is decoded, then it decodes: the quota is no quota and the published
    /// value is kept in the quota's notes (the replay never breaks, nothing is rounded).
    #[test]
    fn given_a_v1_quota_with_four_decimals_when_decoded_then_it_is_no_quota_with_its_text_kept() {
        let mut v1 = serde_json::to_value(TaxonRecorded {
            taxon_id: 4521,
            content_hash: ContentHash([0xab; 32]),
            taxon: elephant(),
        })
        .unwrap();
        let second = v1["taxon"]["quotas"][0].clone();
        v1["taxon"]["quotas"][0]["quota"] = serde_json::json!(0.0005);
        v1["taxon"]["quotas"][0]["notes"] = serde_json::json!("hunting trophies");
        v1["taxon"]["quotas"].as_array_mut().unwrap().push(second);
        v1["taxon"]["quotas"][1]["quota"] = serde_json::json!(-1.0);
        v1["taxon"]["quotas"][1]["notes"] = serde_json::Value::Null;
        let up = crate::payloads::upcasters();
        let got: TaxonRecorded = up.decode("TaxonRecorded", 1, &v1.to_string()).unwrap();
        let q = &got.taxon.quotas[0];
        assert_eq!(q.quota, None);
        let notes = q.notes.as_deref().unwrap();
        assert!(notes.starts_with("hunting trophies "), "{notes}");
        assert!(notes.contains("0.0005"), "{notes}");
        let negative = &got.taxon.quotas[1];
        assert_eq!(negative.quota, None);
        assert!(negative.notes.as_deref().unwrap().contains("-1.0"));
        assert_eq!(quota_from_f64(0.5).unwrap().to_string(), "0.5");
        assert!(quota_from_f64(f64::NAN).is_err());
    }
}
