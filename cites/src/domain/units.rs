//! Units of the annual-report guidelines that measure the same thing, and exact conversion
//! between them (Res. Conf. 14.7: a quota is set in one unit, an applicant may write another).
//!
//! Each convertible unit is an exact integer multiple of a base of its dimension (nanograms,
//! thousandths of a cubic millimetre, micrometres, square micrometres), so a conversion is a
//! ratio of integers: 1 lb is 453,592,370,000 ng and 1 oz 28,349,523,125 ng by the
//! international definitions, 1 ft 304,800 µm, 1 cu.ft 28,316,846,592 thousandths of a mm³.
//! The UN/CEFACT codes the Trade Database uses since 2021 (KGM, MTQ, CMQ, MTK) are the same
//! units as KIL, CUM, CCM, SQM. Counts (no unit) and the container or item units (BOX, PCS,
//! SKI…) convert to nothing but themselves.

use ecites_events::cites::Quantity;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dimension {
    Mass,
    Volume,
    Length,
    Area,
}

/// The dimension of `unit` and how many base units one of it is.
pub fn factor(unit: &str) -> Option<(Dimension, i128)> {
    use Dimension::*;
    Some(match unit {
        "MYG" => (Mass, 1_000),
        "MGM" => (Mass, 1_000_000),
        "GRM" => (Mass, 1_000_000_000),
        "KIL" | "KGM" => (Mass, 1_000_000_000_000),
        "TON" => (Mass, 1_000_000_000_000_000),
        "OUN" => (Mass, 28_349_523_125),
        "PND" => (Mass, 453_592_370_000),
        "MLT" | "CCM" | "CMQ" => (Volume, 1_000_000),
        "LTR" => (Volume, 1_000_000_000),
        "CUM" | "MTQ" => (Volume, 1_000_000_000_000),
        "CUF" => (Volume, 28_316_846_592),
        "CTM" => (Length, 10_000),
        "MTR" => (Length, 1_000_000),
        "INC" => (Length, 25_400),
        "FEE" => (Length, 304_800),
        "YAR" => (Length, 914_400),
        "SQC" => (Area, 100_000_000),
        "SQD" => (Area, 10_000_000_000),
        "SQM" | "MTK" => (Area, 1_000_000_000_000),
        "SQF" => (Area, 92_903_040_000),
        _ => return None,
    })
}

/// A quantity in another unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Converted {
    /// Exactly the same amount.
    Exact(Quantity),
    /// The amount is finer than a thousandth of the target unit (1 mg is 0.000001 kg): it is
    /// counted at the next thousandth, so that rounding never lets a quota be exceeded.
    RoundedUp(Quantity),
}

impl Converted {
    pub fn quantity(self) -> Quantity {
        match self {
            Self::Exact(q) | Self::RoundedUp(q) => q,
        }
    }
}

/// `quantity` of `from` in `to` (`None`: number of specimens), if the two measure the same
/// thing; `None` when they do not (a count against a mass, kilograms against metres).
pub fn convert(quantity: Quantity, from: Option<&str>, to: Option<&str>) -> Option<Converted> {
    if from == to {
        return Some(Converted::Exact(quantity));
    }
    let (from_dim, from_base) = factor(from?)?;
    let (to_dim, to_base) = factor(to?)?;
    if from_dim != to_dim {
        return None;
    }
    let scaled = i128::from(quantity.thousandths()) * from_base;
    let (whole, rest) = (scaled / to_base, scaled % to_base);
    let whole = i64::try_from(whole).ok()?;
    if rest == 0 {
        Some(Converted::Exact(Quantity::from_thousandths(whole)))
    } else {
        let up = if scaled > 0 {
            whole.checked_add(1)?
        } else {
            whole
        };
        Some(Converted::RoundedUp(Quantity::from_thousandths(up)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Quantity {
        Quantity::parse(s).expect("a quantity")
    }

    #[test]
    fn mass_volume_length_and_area_convert_exactly() {
        let c = |n, from, to| convert(q(n), Some(from), Some(to));
        assert_eq!(c("150000", "GRM", "KIL"), Some(Converted::Exact(q("150"))));
        assert_eq!(c("1.5", "TON", "KIL"), Some(Converted::Exact(q("1500"))));
        // 1 lb is 453.59237 g: finer than a thousandth of a gram.
        assert_eq!(
            c("1", "PND", "GRM"),
            Some(Converted::RoundedUp(q("453.593")))
        );
        assert_eq!(
            c("1000", "PND", "KIL"),
            Some(Converted::RoundedUp(q("453.593")))
        );
        assert_eq!(c("0.5", "KIL", "GRM"), Some(Converted::Exact(q("500"))));
        assert_eq!(c("2500", "MLT", "LTR"), Some(Converted::Exact(q("2.5"))));
        assert_eq!(
            c("1", "CUF", "LTR"),
            Some(Converted::RoundedUp(q("28.317")))
        );
        assert_eq!(c("3", "FEE", "INC"), Some(Converted::Exact(q("36"))));
        assert_eq!(c("1", "SQM", "SQC"), Some(Converted::Exact(q("10000"))));
        assert_eq!(
            c("1", "SQF", "SQC"),
            Some(Converted::RoundedUp(q("929.031")))
        );
        assert_eq!(c("4", "CCM", "MLT"), Some(Converted::Exact(q("4"))));
        assert_eq!(c("2", "KGM", "KIL"), Some(Converted::Exact(q("2"))));
        assert_eq!(c("1", "MTQ", "LTR"), Some(Converted::Exact(q("1000"))));
    }

    #[test]
    fn finer_than_a_thousandth_is_counted_at_the_next_one() {
        let one_mg = convert(q("1"), Some("MGM"), Some("KIL"));
        assert_eq!(one_mg, Some(Converted::RoundedUp(q("0.001"))));
    }

    #[test]
    fn counts_and_different_dimensions_do_not_convert() {
        assert_eq!(convert(q("3"), None, None), Some(Converted::Exact(q("3"))));
        assert_eq!(convert(q("3"), None, Some("KIL")), None);
        assert_eq!(convert(q("3"), Some("KIL"), None), None);
        assert_eq!(convert(q("3"), Some("KIL"), Some("MTR")), None);
        assert_eq!(convert(q("3"), Some("BOX"), Some("PCS")), None);
        assert_eq!(
            convert(q("3"), Some("PCS"), Some("PCS")),
            Some(Converted::Exact(q("3")))
        );
    }
}
