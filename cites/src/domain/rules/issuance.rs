//! The permit itself at issuance (Art. VI; Res. Conf. 12.3).

use super::Finding;
use crate::domain::context::PartySettings;
use crate::domain::rules::catalogue;
use ecites_events::cites::IsoDate;
use ecites_events::payloads::permit::{ApplicationContent, RetrospectiveIssue};
use time::{Date, Month};

/// `date` plus `months` calendar months, clamped to the month's last day (31 Aug + 6 = 28/29 Feb).
pub fn add_months(date: Date, months: u8) -> Date {
    let total = date.year() * 12 + (date.month() as i32 - 1) + i32::from(months);
    let (year, month0) = (total.div_euclid(12), total.rem_euclid(12));
    let month = Month::try_from(month0 as u8 + 1).unwrap_or(Month::December);
    let last = time::util::days_in_month(month, year);
    Date::from_calendar_date(year, month, date.day().min(last)).unwrap_or(date)
}

/// PERMIT-VALIDITY (Art. VI.2; Res. Conf. 12.3): the last day the document may be used.
pub fn valid_until(app: &ApplicationContent, issued_on: IsoDate) -> IsoDate {
    let max = app.document_type.validity_months();
    let months = app.requested_validity_months.map_or(max, |m| m.min(max));
    IsoDate(add_months(issued_on.0, months))
}

/// PERMIT-VALIDITY at submission: a longer validity than the Convention allows is refused.
pub fn requested_validity(app: &ApplicationContent) -> Vec<Finding> {
    let max = app.document_type.validity_months();
    match app.requested_validity_months {
        Some(m) if m > max || m == 0 => vec![catalogue::PERMIT_VALIDITY
            .refuse(format!(
                "a {:?} is valid for at most {max} months; {m} were requested",
                app.document_type
            ))
            .at("requested_validity_months")],
        _ => vec![],
    }
}

/// PERMIT-NO-RETROSPECTIVE at submission (warn): the applicant declares the consignment
/// already left, so the officer knows early that issuing will need the Party's exception.
pub fn no_retrospective_at_submission(app: &ApplicationContent) -> Vec<Finding> {
    match app.consignment_departed_on {
        Some(d) => vec![catalogue::PERMIT_NO_RETROSPECTIVE.warn(format!("the consignment left on {d}: a permit for it would be retrospective, which is refused unless the Party allows the documented exceptions and the officer records why"),
        )
        .at("consignment_departed_on")],
        None => vec![],
    }
}

/// PERMIT-NO-RETROSPECTIVE (Res. Conf. 12.3) at issuance: a permit is not issued for a
/// consignment that already left, unless the Party allows the documented exceptions and the
/// officer gives the reason, which the permit records. A reason for a consignment that has
/// not left is refused too: it would put a false statement on the record.
pub fn no_retrospective(
    app: &ApplicationContent,
    settings: &PartySettings,
    reason: Option<&str>,
) -> Result<Option<RetrospectiveIssue>, Finding> {
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    let Some(departed_on) = app.consignment_departed_on else {
        return match reason {
            None => Ok(None),
            Some(_) => Err(catalogue::PERMIT_NO_RETROSPECTIVE.refuse("a retrospective reason is only for a consignment the application declares already left",
            )
            .at("retrospective_reason")),
        };
    };
    if !settings.retrospective_exceptions {
        return Err(catalogue::PERMIT_NO_RETROSPECTIVE.refuse(format!("the consignment left on {departed_on}: a permit is not issued retrospectively, and this Party allows no exception"),
        )
        .at("consignment_departed_on"));
    }
    let reason = reason.ok_or_else(|| {
        catalogue::PERMIT_NO_RETROSPECTIVE.refuse(format!("the consignment left on {departed_on}: issuing retrospectively needs the officer's reason (which documented exception applies, and the evidence)"),
        )
        .at("retrospective_reason")
    })?;
    Ok(Some(RetrospectiveIssue {
        departed_on,
        reason: reason.to_string(),
    }))
}

/// PERMIT-SECURITY-STAMP (Res. Conf. 12.3): the next stamp of the Party's stock, in order,
/// never one already used.
pub fn next_security_stamp(last_used: u64, stock: Option<(u64, u64)>) -> Result<u64, Finding> {
    let Some((first, last)) = stock else {
        return Ok(last_used + 1);
    };
    let next = (last_used + 1).max(first);
    if next > last {
        return Err(catalogue::PERMIT_SECURITY_STAMP.refuse(format!("the security-stamp stock {first}-{last} is used up (last used {last_used}): record a new range"),
        ));
    }
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn security_stamps_come_from_the_stock_in_order_and_never_twice() {
        assert_eq!(next_security_stamp(0, None).unwrap(), 1);
        assert_eq!(
            next_security_stamp(0, Some((500_001, 500_003))).unwrap(),
            500_001
        );
        assert_eq!(
            next_security_stamp(500_002, Some((500_001, 500_003))).unwrap(),
            500_003
        );
        let used_up = next_security_stamp(500_003, Some((500_001, 500_003))).unwrap_err();
        assert_eq!(used_up.rule, "PERMIT-SECURITY-STAMP");
        // A new range below numbers already used cannot bring them back.
        assert!(next_security_stamp(500_003, Some((1, 1_000))).is_err());
    }

    #[test]
    fn months_are_calendar_months_clamped_to_the_month_end() {
        assert_eq!(add_months(date!(2026 - 11 - 28), 6), date!(2027 - 05 - 28));
        assert_eq!(add_months(date!(2026 - 08 - 31), 6), date!(2027 - 02 - 28));
        assert_eq!(add_months(date!(2027 - 08 - 31), 6), date!(2028 - 02 - 29));
        assert_eq!(add_months(date!(2026 - 01 - 15), 12), date!(2027 - 01 - 15));
    }
}
