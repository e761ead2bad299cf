//! `YYYY-MM-DD` dates as Species+, the code lists and the snapshots write them.
//!
//! Kept here rather than relying on `time`'s own serde form, which without the
//! `serde-human-readable` feature is a `(year, ordinal)` tuple, unreadable in an event.

use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::Date;

const ISO_DATE: &[BorrowedFormatItem<'static>] = format_description!("[year]-[month]-[day]");

pub(crate) fn parse(s: &str) -> Result<Date, time::error::Parse> {
    Date::parse(s.trim(), ISO_DATE)
}

pub(crate) fn format(d: Date) -> String {
    // The format has only numeric components, which cannot fail for a valid Date; the
    // fallback keeps the function total without a panic path.
    d.format(ISO_DATE).unwrap_or_else(|_| d.to_string())
}

pub(crate) fn schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({ "type": "string", "format": "date" })
}

pub(crate) fn option_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({ "type": ["string", "null"], "format": "date" })
}

/// `#[serde(with = "dates::iso")]` for a `Date`.
pub(crate) mod iso {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::Date;

    pub(crate) fn serialize<S: Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::format(*d))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        let s = String::deserialize(d)?;
        super::parse(&s)
            .map_err(|e| serde::de::Error::custom(format!("{s:?} is not a YYYY-MM-DD date: {e}")))
    }
}

/// `#[serde(default, with = "dates::iso_option")]` for an `Option<Date>`; null is `None`.
pub(crate) mod iso_option {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::Date;

    pub(crate) fn serialize<S: Serializer>(d: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_str(&super::format(*d)),
            None => s.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Date>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(s) => super::parse(&s).map(Some).map_err(|e| {
                serde::de::Error::custom(format!("{s:?} is not a YYYY-MM-DD date: {e}"))
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn round_trips_and_refuses_other_shapes() {
        assert_eq!(parse("1976-02-26").unwrap(), date!(1976 - 02 - 26));
        assert_eq!(format(date!(1976 - 02 - 26)), "1976-02-26");
        for bad in ["", "1976-2-26", "26/02/1976", "1976-02-30", "NA"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
