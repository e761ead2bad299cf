//! Trade data a Management Authority records itself (issue #10): trade suspensions, its own
//! reservations and its own Appendix III listings, from a Notification to the Parties or its
//! own decision, for when the Species+ data it imported does not (yet) hold them. They are
//! events of the Party's configuration aggregate, and the rules apply them like the Species+
//! data: a suspension refuses (SUSPENSION), an Appendix III listing is a listing in force
//! (DOC-APP3-*), a reservation is named to the officer (LISTING-RESERVATION).

use super::context::{ListingInfo, PartySettings, SuspensionInfo};
use super::party_config::ConfigViolation;
use ecites_events::cites::{Appendix, IsoDate};
use ecites_events::payloads::party_config::{
    NationalEntry, NationalEntryLifted, NationalEntryRecorded,
};

/// Whether `e` applies on `date`: from its first day, up to its last (or until lifted).
pub fn in_force(e: &NationalEntryRecorded, date: IsoDate) -> bool {
    e.starts_on <= date && e.ends_on.is_none_or(|end| date <= end)
}

/// The national suspensions in force on `date` that cover `taxon_id`, as the rules read
/// Species+ suspensions.
pub fn suspensions_on(s: &PartySettings, taxon_id: u64, date: IsoDate) -> Vec<SuspensionInfo> {
    s.national_entries
        .iter()
        .filter(|e| in_force(e, date) && e.taxon_id.is_none_or(|t| t == taxon_id))
        .filter_map(|e| match &e.entry {
            NationalEntry::Suspension {
                country,
                applies_to_import,
            } => Some(SuspensionInfo {
                id: listing_id(&e.id),
                country: *country,
                taxon_id: e.taxon_id,
                applies_to_import: *applies_to_import,
                notification: format!("national entry {}: {}", e.id, e.notification),
            }),
            _ => None,
        })
        .collect()
}

/// The Party's own Appendix III listings of `taxon_id` in force on `date`, as listings.
pub fn listings_on(s: &PartySettings, taxon_id: u64, date: IsoDate) -> Vec<ListingInfo> {
    s.national_entries
        .iter()
        .filter(|e| in_force(e, date) && e.taxon_id == Some(taxon_id))
        .filter_map(|e| match &e.entry {
            NationalEntry::AppendixIii { annotation } => Some(ListingInfo {
                listing_id: listing_id(&e.id),
                appendix: Appendix::III,
                listing_party: Some(s.party),
                effective_at: e.starts_on,
                annotation: annotation.clone(),
            }),
            _ => None,
        })
        .collect()
}

/// The Party's reservations on `taxon_id` in force on `date`: (appendix, entry id, notification).
pub fn reservations_on(
    s: &PartySettings,
    taxon_id: u64,
    date: IsoDate,
) -> Vec<(Appendix, &str, &str)> {
    s.national_entries
        .iter()
        .filter(|e| in_force(e, date) && e.taxon_id == Some(taxon_id))
        .filter_map(|e| match &e.entry {
            NationalEntry::Reservation { appendix } => {
                Some((*appendix, e.id.as_str(), e.notification.as_str()))
            }
            _ => None,
        })
        .collect()
}

/// A stable listing id for a national entry: its FNV-1a hash with the top bit set, so that it
/// never meets a Species+ listing-change id (those are small numbers).
pub fn listing_id(entry_id: &str) -> u64 {
    let hash = entry_id.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    hash | (1 << 63)
}

fn violation(field: &str, message: String) -> ConfigViolation {
    ConfigViolation {
        rule: "CONFIG-NATIONAL-ENTRY",
        field: field.into(),
        message,
    }
}

/// What is wrong with an entry to record; empty when it may be recorded.
pub fn check(e: &NationalEntryRecorded, party: ecites_events::PartyCode) -> Vec<ConfigViolation> {
    let mut out = vec![];
    let id_ok = (1..=64).contains(&e.id.len())
        && e.id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if !id_ok {
        out.push(violation(
            "id",
            format!(
                "{:?} must be 1 to 64 letters, digits, '.', '_' or '-'",
                e.id
            ),
        ));
    }
    if e.notification.trim().is_empty() {
        out.push(violation(
            "notification",
            "name the Notification to the Parties or the national act it comes from".into(),
        ));
    }
    if e.ends_on.is_some_and(|end| end < e.starts_on) {
        out.push(violation(
            "ends_on",
            format!("it ends before it starts ({})", e.starts_on),
        ));
    }
    let all_taxa_suspension = matches!(e.entry, NationalEntry::Suspension { .. });
    if e.taxon_id.is_none() && !all_taxa_suspension {
        out.push(violation(
            "species",
            "a reservation or an Appendix III listing is of one taxon".into(),
        ));
    }
    match &e.entry {
        NationalEntry::Reservation { appendix: Appendix::III } => out.push(violation(
            "entry.appendix",
            "a reservation is entered on an Appendix I or II listing; Appendix III has its own (Art. XVI.2)".into(),
        )),
        NationalEntry::Suspension { country, .. } if *country == party => out.push(violation(
            "entry.country",
            format!("{party} does not suspend its own trade by a suspension: set a domestic measure"),
        )),
        _ => {}
    }
    out
}

/// Records `lifted` as the entry's end (the day before it no longer applies).
pub fn lift(entries: &mut [NationalEntryRecorded], lifted: &NationalEntryLifted) {
    if let Some(e) = entries.iter_mut().find(|e| e.id == lifted.id) {
        let last = lifted
            .lifted_on
            .0
            .previous_day()
            .map_or(lifted.lifted_on, IsoDate);
        e.ends_on = Some(e.ends_on.map_or(last, |end| end.min(last)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn entry(id: &str, entry: NationalEntry) -> NationalEntryRecorded {
        NationalEntryRecorded {
            id: id.into(),
            entry,
            taxon_id: Some(7),
            scientific_name: Some("Python regius".into()),
            notification: "Notification No. 2026/041".into(),
            starts_on: IsoDate(date!(2026 - 01 - 01)),
            ends_on: None,
        }
    }

    #[test]
    fn an_entry_applies_from_its_start_until_lifted() {
        let lk = "LK".parse().unwrap();
        let mut s = PartySettings::new(lk);
        s.national_entries.push(entry(
            "susp-1",
            NationalEntry::Suspension {
                country: "TG".parse().unwrap(),
                applies_to_import: false,
            },
        ));
        let on = |d| IsoDate(d);
        assert!(suspensions_on(&s, 7, on(date!(2025 - 12 - 31))).is_empty());
        assert_eq!(suspensions_on(&s, 7, on(date!(2026 - 03 - 01))).len(), 1);
        assert!(suspensions_on(&s, 8, on(date!(2026 - 03 - 01))).is_empty());
        lift(
            &mut s.national_entries,
            &NationalEntryLifted {
                id: "susp-1".into(),
                lifted_on: on(date!(2026 - 06 - 01)),
                reason: "withdrawn by Notification 2026/090".into(),
            },
        );
        assert_eq!(suspensions_on(&s, 7, on(date!(2026 - 05 - 31))).len(), 1);
        assert!(suspensions_on(&s, 7, on(date!(2026 - 06 - 01))).is_empty());
    }

    #[test]
    fn bad_entries_name_their_field() {
        let lk = "LK".parse().unwrap();
        let mut e = entry(
            "a b",
            NationalEntry::Reservation {
                appendix: Appendix::III,
            },
        );
        e.notification = " ".into();
        e.ends_on = Some(IsoDate(date!(2025 - 01 - 01)));
        let fields: Vec<String> = check(&e, lk).into_iter().map(|v| v.field).collect();
        assert_eq!(fields, ["id", "notification", "ends_on", "entry.appendix"]);
        let own = entry(
            "s",
            NationalEntry::Suspension {
                country: lk,
                applies_to_import: false,
            },
        );
        assert_eq!(check(&own, lk)[0].field, "entry.country");
        assert!(listing_id("a") >= 1 << 63);
        assert_ne!(listing_id("a"), listing_id("b"));
    }
}
