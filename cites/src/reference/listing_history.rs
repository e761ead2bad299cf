//! From a taxon's listing changes to the periods in which each listing and each reservation
//! was in force.
//!
//! Species+ records a CoP amendment as new `+` records; it rarely records the end of the
//! listing they replace (the *Loxodonta africana* history has no `-` at all). So the end of a
//! listing is derived, replaying the changes date by date:
//!
//! - a `+` in the same appendix (for Appendix III: by the same Party) restates it;
//! - a `-` in its appendix (for Appendix III: by its Party, or by none) ends it;
//! - a `+` in Appendix I or II ends every Appendix III listing (a species moved up);
//! - a `+` in Appendix I or II ends a listing in the *other* one of I and II (a transfer,
//!   e.g. II → I in 1990) — unless Species+ marks that listing as current: split listings
//!   are amended one appendix at a time (CoP18 restated only the elephant's Appendix II
//!   populations, and the Appendix I listing of 2017 stayed in force), and the API does not
//!   say which populations a listing covers, so `is_current` is the only evidence.
//!
//! An inclusion that Species+ marks as not current but that no later change ends stays in
//! force: the data gives no end date, and an extra listing errs on the strict side.
//!
//! Reservations (`R+`/`R-`) are not listings: they are paired per Party and appendix.

use super::species::{ChangeType, ListingChange};
use crate::domain::codes::Appendix;
use std::collections::BTreeSet;
use time::Date;

/// A change and the date it stopped being in force (`None`: still in force).
pub(super) struct Interval<'a> {
    pub(super) change: &'a ListingChange,
    pub(super) until: Option<Date>,
}

impl Interval<'_> {
    pub(super) fn covers(&self, date: Date) -> bool {
        self.change.effective_at <= date && self.until.is_none_or(|end| date < end)
    }
}

/// The in-force periods of the inclusions (`+`) among `changes`.
pub(super) fn listing_intervals(changes: &[ListingChange]) -> Vec<Interval<'_>> {
    let mut events: Vec<&ListingChange> = changes
        .iter()
        .filter(|c| matches!(c.change_type, ChangeType::Addition | ChangeType::Deletion))
        .collect();
    events.sort_by_key(|c| (c.effective_at, c.change_type, c.id));

    let mut out: Vec<Interval<'_>> = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    for day in events.chunk_by(|a, b| a.effective_at == b.effective_at) {
        let date = day[0].effective_at;
        let additions: Vec<&ListingChange> = day
            .iter()
            .copied()
            .filter(|c| c.change_type == ChangeType::Addition)
            .collect();
        let deletions: Vec<&ListingChange> = day
            .iter()
            .copied()
            .filter(|c| c.change_type == ChangeType::Deletion)
            .collect();
        let upper: BTreeSet<Appendix> = additions
            .iter()
            .map(|c| c.appendix)
            .filter(|a| *a != Appendix::III)
            .collect();
        open.retain(|&k| {
            let ended = ends(out[k].change, &additions, &deletions, &upper);
            if ended {
                out[k].until = Some(date);
            }
            !ended
        });
        for change in additions {
            open.push(out.len());
            out.push(Interval {
                change,
                until: None,
            });
        }
    }
    out
}

fn same_slot(listing: &ListingChange, other: &ListingChange) -> bool {
    other.appendix == listing.appendix
        && (listing.appendix != Appendix::III || other.party == listing.party)
}

fn ends(
    listing: &ListingChange,
    additions: &[&ListingChange],
    deletions: &[&ListingChange],
    upper: &BTreeSet<Appendix>,
) -> bool {
    let restated = additions.iter().any(|a| same_slot(listing, a));
    let deleted = deletions
        .iter()
        .any(|d| d.appendix == listing.appendix && (d.party.is_none() || d.party == listing.party));
    let moved_up = listing.appendix == Appendix::III && !upper.is_empty();
    let transferred = listing.appendix != Appendix::III
        && !upper.is_empty()
        && !upper.contains(&listing.appendix)
        && !listing.is_current;
    restated || deleted || moved_up || transferred
}

/// The in-force periods of the reservations (`R+`) among `changes`: until the same Party
/// withdraws (`R-`) or re-enters a reservation on the same appendix.
pub(super) fn reservation_intervals(changes: &[ListingChange]) -> Vec<Interval<'_>> {
    let mut events: Vec<&ListingChange> = changes
        .iter()
        .filter(|c| {
            matches!(
                c.change_type,
                ChangeType::ReservationEntered | ChangeType::ReservationWithdrawn
            )
        })
        .collect();
    // On one date a withdrawal is applied before an entry, so "withdrawn and entered again"
    // leaves the new reservation in force.
    events.sort_by_key(|c| {
        (
            c.effective_at,
            c.change_type != ChangeType::ReservationWithdrawn,
            c.id,
        )
    });
    let mut out: Vec<Interval<'_>> = Vec::new();
    for change in events {
        for interval in out.iter_mut().filter(|i| i.until.is_none()) {
            if interval.change.party == change.party && interval.change.appendix == change.appendix
            {
                interval.until = Some(change.effective_at);
            }
        }
        if change.change_type == ChangeType::ReservationEntered {
            out.push(Interval {
                change,
                until: None,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn change(
        id: u64,
        kind: ChangeType,
        app: Appendix,
        on: Date,
        party: Option<&str>,
    ) -> ListingChange {
        ListingChange {
            id,
            taxon_concept_id: None,
            change_type: kind,
            appendix: app,
            effective_at: on,
            party: party.map(|p| p.parse().unwrap()),
            annotation: None,
            hash_annotation: None,
            is_current: false,
        }
    }

    fn in_force(changes: &[ListingChange], on: Date) -> Vec<u64> {
        let mut ids: Vec<u64> = listing_intervals(changes)
            .iter()
            .filter(|i| i.covers(on))
            .map(|i| i.change.id)
            .collect();
        ids.sort_unstable();
        ids
    }

    use ChangeType::{Addition as Add, Deletion as Del};

    #[test]
    fn appendix_iii_listings_are_per_party_and_end_on_deletion_or_moving_up() {
        let changes = [
            change(1, Add, Appendix::III, date!(1980 - 01 - 01), Some("GH")),
            change(2, Add, Appendix::III, date!(1985 - 01 - 01), Some("BW")),
            change(3, Del, Appendix::III, date!(1990 - 01 - 01), Some("GH")),
            change(4, Add, Appendix::II, date!(1995 - 01 - 01), None),
        ];
        assert_eq!(in_force(&changes, date!(1979 - 12 - 31)), Vec::<u64>::new());
        assert_eq!(in_force(&changes, date!(1986 - 01 - 01)), vec![1, 2]);
        assert_eq!(in_force(&changes, date!(1990 - 01 - 01)), vec![2]);
        assert_eq!(in_force(&changes, date!(1995 - 01 - 01)), vec![4]);
    }

    #[test]
    fn a_deletion_without_a_later_inclusion_leaves_nothing() {
        let changes = [
            change(1, Add, Appendix::II, date!(1980 - 01 - 01), None),
            change(2, Del, Appendix::II, date!(2000 - 01 - 01), None),
        ];
        assert_eq!(in_force(&changes, date!(1999 - 12 - 31)), vec![1]);
        assert_eq!(in_force(&changes, date!(2000 - 01 - 01)), Vec::<u64>::new());
    }

    #[test]
    fn a_current_listing_survives_an_amendment_of_the_other_appendix() {
        let mut i = change(1, Add, Appendix::I, date!(2017 - 01 - 02), None);
        let ii = change(2, Add, Appendix::II, date!(2017 - 01 - 02), None);
        let ii_new = change(3, Add, Appendix::II, date!(2019 - 11 - 26), None);
        assert_eq!(
            in_force(
                &[i.clone(), ii.clone(), ii_new.clone()],
                date!(2020 - 01 - 01)
            ),
            vec![3],
            "without is_current the II amendment reads as a transfer"
        );
        i.is_current = true;
        assert_eq!(
            in_force(&[i, ii, ii_new], date!(2020 - 01 - 01)),
            vec![1, 3]
        );
    }

    #[test]
    fn reservations_pair_by_party_and_appendix() {
        use ChangeType::{ReservationEntered as Rp, ReservationWithdrawn as Rm};
        let changes = [
            change(1, Rp, Appendix::I, date!(1990 - 01 - 18), Some("GB")),
            change(2, Rp, Appendix::I, date!(1990 - 01 - 18), Some("CN")),
            change(3, Rm, Appendix::I, date!(1990 - 07 - 18), Some("GB")),
            change(4, Rm, Appendix::II, date!(1991 - 01 - 01), Some("CN")),
        ];
        let on = |d| -> Vec<u64> {
            reservation_intervals(&changes)
                .iter()
                .filter(|i| i.covers(d))
                .map(|i| i.change.id)
                .collect()
        };
        assert_eq!(on(date!(1990 - 03 - 01)), vec![1, 2]);
        assert_eq!(on(date!(1990 - 07 - 18)), vec![2]);
        assert_eq!(
            on(date!(1992 - 01 - 01)),
            vec![2],
            "an R- on II leaves the I one"
        );
        assert!(listing_intervals(&changes).is_empty());
    }
}
