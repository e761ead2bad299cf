//! Quotas, suspensions and domestic measures (Art. XIII, XIV; Res. Conf. 12.3, 14.7).

use super::{line_field, Finding};
use crate::domain::context::{DecisionContext, QuotaState};
use crate::domain::rules::catalogue;
use crate::domain::units;
use ecites_events::cites::Quantity;
use ecites_events::payloads::permit::{ApplicationContent, PermitLine, QuotaUse};

/// SUSPENSION (Art. XIII; Standing Committee recommendations).
pub fn suspension(app: &ApplicationContent, ctx: &DecisionContext) -> Vec<Finding> {
    let mut out = vec![];
    for (i, l) in app.lines.iter().enumerate() {
        let national =
            crate::domain::national_entries::suspensions_on(ctx.settings, l.taxon_id, ctx.today);
        for s in ctx
            .reference
            .suspensions_on(l.taxon_id, ctx.today)
            .into_iter()
            .chain(national)
        {
            let hits = if s.applies_to_import {
                s.country == app.importing_country
            } else {
                s.country == app.exporting_country
            };
            if hits {
                out.push(
                    catalogue::SUSPENSION
                        .refuse(format!(
                            "trade in {} {} {} is suspended ({})",
                            l.scientific_name,
                            if s.applies_to_import { "into" } else { "from" },
                            s.country,
                            s.notification
                        ))
                        .at(line_field(i, "species")),
                );
            }
        }
    }
    out
}

/// DOMESTIC-BAN (Art. XIV: stricter domestic measures).
pub fn domestic_ban(app: &ApplicationContent, ctx: &DecisionContext) -> Vec<Finding> {
    let mut out = vec![];
    for (i, l) in app.lines.iter().enumerate() {
        for m in ctx
            .settings
            .domestic_measures
            .iter()
            .filter(|m| m.taxon_id == l.taxon_id)
        {
            let purpose = m.banned_purposes.is_empty() || m.banned_purposes.contains(&l.purpose);
            let source = m.banned_sources.is_empty() || m.banned_sources.contains(&l.source);
            if purpose && source {
                out.push(
                    catalogue::DOMESTIC_BAN
                        .refuse(format!(
                            "{} is banned by domestic measure {}: {}",
                            l.scientific_name, m.id, m.description
                        ))
                        .at(line_field(i, "species")),
                );
            }
        }
    }
    out
}

/// Whether quota `q` governs line `l`: the species, the year, and the term and source when the
/// quota names them. Not the unit: a quota holds whatever unit the applicant writes, converted
/// (QUOTA-UNIT when it cannot be).
fn quota_matches(q: &QuotaState, l: &PermitLine, year: i32) -> bool {
    q.taxon_id == l.taxon_id
        && q.year == year
        && q.term.as_deref().is_none_or(|t| t == l.term)
        && q.source.is_none_or(|s| s == l.source)
}

fn unit_name(unit: Option<&str>) -> &str {
    unit.unwrap_or("number of specimens")
}

/// QUOTA-EXCEEDED and DOMESTIC-QUOTA (Res. Conf. 12.3, 14.7): at issuance, reserved + settled +
/// this line must stay within every matching quota. Returns the box 11a figures when it does.
pub fn quotas(
    app: &ApplicationContent,
    ctx: &DecisionContext,
) -> Result<Vec<QuotaUse>, Vec<Finding>> {
    let year = ctx.today.0.year();
    let mut uses = vec![];
    let mut refusals = vec![];
    // Two lines of one permit may draw on the same quota.
    let mut drawn: std::collections::HashMap<&str, Quantity> = Default::default();
    for (i, l) in app.lines.iter().enumerate() {
        for q in ctx.quotas.iter().filter(|q| quota_matches(q, l, year)) {
            let Some(counted) = units::convert(l.quantity, l.unit.as_deref(), q.unit.as_deref())
            else {
                refusals.push(
                    catalogue::QUOTA_UNIT.refuse(format!(
                            "quota {} for {} is in {}; line {} is in {}, which cannot be converted to it: state the quantity in {}",
                            q.quota_id,
                            l.scientific_name,
                            unit_name(q.unit.as_deref()),
                            l.line_no,
                            unit_name(l.unit.as_deref()),
                            unit_name(q.unit.as_deref()),
                        ),
                    )
                    .at(line_field(i, "unit")),
                );
                continue;
            };
            let counted = counted.quantity();
            let before = drawn
                .get(q.quota_id.as_str())
                .copied()
                .unwrap_or(Quantity::ZERO);
            let used = q
                .reserved
                .checked_add(q.settled)
                .and_then(|u| u.checked_add(before))
                .and_then(|u| u.checked_add(counted))
                .unwrap_or(Quantity::from_thousandths(i64::MAX));
            if used > q.annual {
                let rule = if q.domestic {
                    catalogue::DOMESTIC_QUOTA
                } else {
                    catalogue::QUOTA_EXCEEDED
                };
                refusals.push(
                    rule.refuse(
                        format!(
                            "quota {} for {}: {} used or reserved + {} requested > {} annual quota ({})",
                            q.quota_id,
                            l.scientific_name,
                            q.reserved.checked_add(q.settled).unwrap_or(q.annual),
                            counted,
                            q.annual,
                            unit_name(q.unit.as_deref()),
                        ),
                    )
                    .at(line_field(i, "quantity")),
                );
            } else {
                drawn.insert(&q.quota_id, before.checked_add(counted).unwrap_or(before));
                uses.push(QuotaUse {
                    line_no: l.line_no,
                    quota_id: q.quota_id.clone(),
                    used_including_this: used,
                    annual_quota: q.annual,
                });
            }
        }
    }
    if refusals.is_empty() {
        Ok(uses)
    } else {
        Err(refusals)
    }
}

/// LISTING-RESERVATION (Art. XV.3, XVI.2, XXIII; Res. Conf. 4.25; a warning): the Party holds
/// a reservation on the listing the line falls under, so it is treated as a non-Party for that
/// species. The rules still apply as listed: Res. Conf. 4.25 asks a reserving Party to trade
/// with other Parties as if it were not reserved (Appendix I as Appendix II), which the officer
/// weighs; the warning names the reservation so the decision is informed.
pub fn reservation(app: &ApplicationContent, ctx: &DecisionContext) -> Vec<Finding> {
    let mut out = vec![];
    for (i, l) in app.lines.iter().enumerate() {
        let Some(listing) = &l.listing else { continue };
        for (appendix, id, notification) in
            crate::domain::national_entries::reservations_on(ctx.settings, l.taxon_id, ctx.today)
        {
            if appendix == listing.appendix {
                out.push(
                    catalogue::LISTING_RESERVATION.warn(format!(
                            "{} holds a reservation ({id}: {notification}) on the Appendix {appendix} listing of {}: it is treated as a non-Party for this species, and Res. Conf. 4.25 asks it to treat Appendix I specimens as Appendix II in trade with Parties",
                            ctx.settings.party, l.scientific_name
                        ),
                    )
                    .at(line_field(i, "species")),
                );
            }
        }
    }
    out
}

pub fn all(app: &ApplicationContent, ctx: &DecisionContext) -> Vec<Finding> {
    [
        suspension(app, ctx),
        domestic_ban(app, ctx),
        reservation(app, ctx),
    ]
    .concat()
}
