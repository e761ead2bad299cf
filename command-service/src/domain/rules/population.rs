//! Split listings by population (Art. I; the Appendices' annotations): when a taxon is listed
//! in several Appendices for different populations, the listing that applies is the one
//! covering the population the specimens come from, i.e. the line's country of origin, else
//! the exporting country. The Species+ annotations say which populations a listing covers, in
//! English: "Except the populations of Botswana, Namibia, South Africa and Zimbabwe, which
//! are included in Appendix II …", "The populations of … are listed in Appendix II …",
//! "Only the populations of …", "All populations except those of …", "Populations of X,
//! Y and Z (listed in Appendix II)". An annotation that speaks of populations in any other
//! way is not guessed at: the strictest listing applies and the line is warned
//! (LISTING-POPULATION).

use super::{line_field, Finding};
use crate::domain::codes::Appendix;
use crate::domain::context::ListingInfo;
use ecites_events::payloads::permit::{ApplicationContent, ListingSeen, PopulationSeen};
use ecites_events::PartyCode;
use std::collections::BTreeSet;

pub const RULE: &str = "LISTING-POPULATION";
const SOURCE: &str = "Art. I; annotations to the Appendices";

/// Which populations one listing covers, as its annotation says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Coverage {
    /// The annotation names no populations.
    All,
    /// Only these populations; `phrase` is the annotation's words that say so.
    Only {
        countries: BTreeSet<PartyCode>,
        phrase: String,
    },
    /// Every population but these.
    AllExcept {
        countries: BTreeSet<PartyCode>,
        phrase: String,
    },
    /// The annotation speaks of populations in words this reader does not know.
    Unresolved,
}

/// Leading words of an annotation, lower case, and what they mean.
const LEADS: [(&str, bool); 11] = [
    ("all populations except those of ", false),
    ("all populations except ", false),
    ("except the populations of ", false),
    ("except the population of ", false),
    ("excluding the populations of ", false),
    ("only the populations of ", true),
    ("only the population of ", true),
    ("the populations of ", true),
    ("the population of ", true),
    ("populations of ", true),
    ("population of ", true),
];

/// Where a list of country names ends: the clause that follows it.
const LIST_ENDS: [&str; 13] = [
    ";",
    ":",
    "(",
    ".",
    " which ",
    " that ",
    " are ",
    " is ",
    " listed",
    " included",
    " shall",
    " subject",
    " for ",
];

/// Reads a listing's annotation. `named` maps an English country name to its code.
pub fn coverage(annotation: Option<&str>, named: &dyn Fn(&str) -> Option<PartyCode>) -> Coverage {
    let text = annotation
        .unwrap_or("")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let lower = text.to_lowercase();
    let Some((lead, only)) = LEADS.iter().find(|(lead, _)| lower.starts_with(lead)) else {
        return if lower.contains("population") {
            Coverage::Unresolved
        } else {
            Coverage::All
        };
    };
    let rest = &lower[lead.len()..];
    let end = LIST_ENDS
        .iter()
        .filter_map(|e| rest.find(e))
        .min()
        .unwrap_or(rest.len());
    let Some(countries) = countries_in(&rest[..end], named) else {
        return Coverage::Unresolved;
    };
    // Lower-casing keeps byte offsets for these annotations' ASCII lead and names; fall back
    // to the lower-case words should it not.
    let cut = lead.len() + end;
    let phrase = text
        .get(..cut)
        .unwrap_or(&lower[..cut])
        .trim_end_matches([',', ' '])
        .to_string();
    match (countries.is_empty(), only) {
        (true, _) => Coverage::Unresolved,
        (false, true) => Coverage::Only { countries, phrase },
        (false, false) => Coverage::AllExcept { countries, phrase },
    }
}

/// "Botswana, Namibia, South Africa and Zimbabwe" → the four codes; `None` if any name is
/// unknown. Names containing "and" (Trinidad and Tobago) are tried whole first.
fn countries_in(
    list: &str,
    named: &dyn Fn(&str) -> Option<PartyCode>,
) -> Option<BTreeSet<PartyCode>> {
    let mut out = BTreeSet::new();
    for segment in list.split(',') {
        out.extend(segment_countries(segment, named)?);
    }
    Some(out)
}

fn segment_countries(
    segment: &str,
    named: &dyn Fn(&str) -> Option<PartyCode>,
) -> Option<Vec<PartyCode>> {
    let mut s = segment.trim();
    while let Some(rest) = ["and ", "the ", "of "]
        .iter()
        .find_map(|p| s.strip_prefix(p))
    {
        s = rest.trim_start();
    }
    if s.is_empty() {
        return Some(vec![]);
    }
    if let Some(code) = named(s) {
        return Some(vec![code]);
    }
    s.match_indices(" and ").find_map(|(i, sep)| {
        let left = segment_countries(&s[..i], named)?;
        let right = segment_countries(&s[i + sep.len()..], named)?;
        Some([left, right].concat())
    })
}

/// The listing that applies to specimens of `country`'s population, and how it was chosen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Choice {
    pub listing: Option<ListingInfo>,
    pub population: Option<PopulationSeen>,
}

/// A listing naming the population explicitly ("only …") wins; else a listing of all
/// populations (or all but some others); the strictest where several apply. An annotation
/// that cannot be read makes the strictest listing in force apply, unresolved.
pub fn listing_for(
    listings: Vec<ListingInfo>,
    country: PartyCode,
    named: &dyn Fn(&str) -> Option<PartyCode>,
) -> Choice {
    let read: Vec<(ListingInfo, Coverage)> = listings
        .into_iter()
        .map(|l| {
            // An Appendix III listing "of the population of" its Party still covers the species
            // elsewhere: specimens from other countries travel on a certificate of origin
            // (Art. V.3, rules DOC-APP3-*), so its annotation restricts nothing here.
            let c = match l.appendix {
                Appendix::III => Coverage::All,
                _ => coverage(l.annotation.as_deref(), named),
            };
            (l, c)
        })
        .collect();
    let seen = |annotation: Option<String>, resolved: bool| {
        Some(PopulationSeen {
            country,
            annotation,
            resolved,
        })
    };
    if read.iter().any(|(_, c)| *c == Coverage::Unresolved) {
        let strictest = read.into_iter().map(|(l, _)| l).min_by_key(|l| l.appendix);
        return Choice {
            listing: strictest,
            population: seen(None, false),
        };
    }
    let split = read.len() > 1 || read.iter().any(|(_, c)| *c != Coverage::All);
    let strictest = |covers: &dyn Fn(&Coverage) -> bool| {
        read.iter()
            .filter(|(_, c)| covers(c))
            .min_by_key(|(l, _)| l.appendix)
            .cloned()
    };
    let explicit = |c: &Coverage| matches!(c, Coverage::Only { countries, .. } if countries.contains(&country));
    let general = |c: &Coverage| match c {
        Coverage::All => true,
        Coverage::AllExcept { countries, .. } => !countries.contains(&country),
        _ => false,
    };
    let chosen = strictest(&explicit).or_else(|| strictest(&general));
    let annotation = chosen.as_ref().and_then(|(_, c)| match c {
        Coverage::Only { phrase, .. } | Coverage::AllExcept { phrase, .. } => Some(phrase.clone()),
        _ => None,
    });
    Choice {
        listing: chosen.map(|(l, _)| l),
        population: if split { seen(annotation, true) } else { None },
    }
}

/// The choice as the event records it.
pub fn seen(choice: Choice) -> Option<ListingSeen> {
    choice.listing.map(|l| ListingSeen {
        listing_id: l.listing_id,
        appendix: l.appendix,
        listing_party: l.listing_party,
        effective_at: l.effective_at,
        population: choice.population,
    })
}

/// LISTING-POPULATION (warn): a line whose split listing could not be resolved from the
/// annotation; the strictest listing in force applied.
pub fn unresolved(app: &ApplicationContent) -> Vec<Finding> {
    app.lines
        .iter()
        .enumerate()
        .filter(|(_, l)| {
            l.listing
                .as_ref()
                .and_then(|x| x.population.as_ref())
                .is_some_and(|p| !p.resolved)
        })
        .map(|(i, l)| {
            Finding::warn(
                RULE,
                SOURCE,
                format!(
                    "the listings of {} name populations in words that could not be read: the strictest listing in force ({}) applies; check the annotation",
                    l.scientific_name,
                    l.listing.as_ref().map_or("none".into(), |x| format!("Appendix {:?}", x.appendix))
                ),
            )
            .at(line_field(i, "species"))
        })
        .collect()
}
