//! Reading `YYYY-MM-DD` dates as Species+ and the code lists write them. (Writing them, in the
//! recorded taxa, is the events crate's `payloads::species`.)

use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::Date;

const ISO_DATE: &[BorrowedFormatItem<'static>] = format_description!("[year]-[month]-[day]");

pub(crate) fn parse(s: &str) -> Result<Date, time::error::Parse> {
    Date::parse(s.trim(), ISO_DATE)
}

/// `#[serde(with = "dates::iso")]` for a `Date`.
pub(crate) mod iso {
    use serde::{Deserialize, Deserializer};
    use time::Date;

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        let s = String::deserialize(d)?;
        super::parse(&s)
            .map_err(|e| serde::de::Error::custom(format!("{s:?} is not a YYYY-MM-DD date: {e}")))
    }
}

/// `#[serde(default, with = "dates::iso_option")]` for an `Option<Date>`; null is `None`.
pub(crate) mod iso_option {
    use serde::{Deserialize, Deserializer};
    use time::Date;

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
    fn reads_iso_dates_and_refuses_other_shapes() {
        assert_eq!(parse("1976-02-26").unwrap(), date!(1976 - 02 - 26));
        for bad in ["", "1976-2-26", "26/02/1976", "1976-02-30", "NA"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
