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
use crate::domain::rules::catalogue;
use ecites_events::payloads::permit::{ApplicationContent, ListingSeen, PopulationSeen};
use ecites_events::PartyCode;
use std::collections::BTreeSet;

pub const RULE: &str = catalogue::LISTING_POPULATION.id;

/// Which populations one listing covers, as its annotation says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Coverage {
    /// The annotation names no populations.
    All,
    /// Only these populations; `phrase` is the annotation's words that say so. `partly`: the
    /// countries whose population a qualifier narrows ("Argentina (the populations of the
    /// Province of Jujuy)"): which part the specimens come from cannot be told from the
    /// country.
    Only {
        countries: BTreeSet<PartyCode>,
        partly: BTreeSet<PartyCode>,
        phrase: String,
    },
    /// Every population but these (`partly` as for `Only`).
    AllExcept {
        countries: BTreeSet<PartyCode>,
        partly: BTreeSet<PartyCode>,
        phrase: String,
    },
    /// The annotation speaks of populations in words this reader does not know.
    Unresolved,
}

/// What the clause right after the list says about the appendix populations are in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stated {
    /// No appendix is named.
    Nothing,
    /// "…, which are included in Appendix II", "(listed in Appendix II)": the named ones.
    Named(Appendix),
    /// "…; all other populations are included in Appendix I": the ones not named.
    Others(Appendix),
    /// An appendix is named in words this reader does not know.
    Unclear,
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

/// Where a list of country names ends: the clause that follows it. Brackets inside the list
/// (a name's "(Plurinational State of)", a qualifier) do not end it; one that names an
/// appendix ("(listed in Appendix II)") does.
const LIST_ENDS: [&str; 14] = [
    ";",
    ":",
    "(",
    "[",
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

/// The longest country name, in words ("United Kingdom of Great Britain and Northern
/// Ireland").
const MAX_NAME_WORDS: usize = 8;

/// Reads a listing's annotation. `named` maps an English country name to its code. An appendix
/// the annotation names is not checked against the listing's own ([`listing_coverage`] does).
pub fn coverage(annotation: Option<&str>, named: &dyn Fn(&str) -> Option<PartyCode>) -> Coverage {
    match read(annotation, named) {
        (_, Stated::Unclear) => Coverage::Unresolved,
        (c, _) => c,
    }
}

/// Which populations a listing covers: its annotation read, and where the annotation says
/// which appendix the named (or the other) populations are in, that appendix consistent with
/// the listing's own: an Appendix I annotation "The populations of X are included in
/// Appendix II" names populations it does not cover. Inconsistent or unclear: unresolved.
/// An Appendix III listing "of the population of" its Party still covers the species
/// elsewhere: specimens from other countries travel on a certificate of origin (Art. V.3,
/// rules DOC-APP3-*), so its annotation restricts nothing here.
pub fn listing_coverage(
    listing: &ListingInfo,
    named: &dyn Fn(&str) -> Option<PartyCode>,
) -> Coverage {
    let own = listing.appendix;
    if own == Appendix::III {
        return Coverage::All;
    }
    let (c, stated) = read(listing.annotation.as_deref(), named);
    let consistent = match (&c, stated) {
        (_, Stated::Nothing) | (Coverage::All | Coverage::Unresolved, _) => true,
        (_, Stated::Unclear) => false,
        (Coverage::Only { .. }, Stated::Named(a))
        | (Coverage::AllExcept { .. }, Stated::Others(a)) => a == own,
        (Coverage::Only { .. }, Stated::Others(a))
        | (Coverage::AllExcept { .. }, Stated::Named(a)) => a != own,
    };
    if consistent {
        c
    } else {
        Coverage::Unresolved
    }
}

/// How one bracket inside a list reads.
enum Bracket {
    /// Names an appendix: the clause after the list.
    Appendix,
    /// Part of a country's name: "Bolivia (Plurinational State of)".
    Name,
    /// Narrows the population of the country before it.
    Qualifies(PartyCode),
    /// Follows no country.
    Orphan,
}

fn read(annotation: Option<&str>, named: &dyn Fn(&str) -> Option<PartyCode>) -> (Coverage, Stated) {
    let text = annotation
        .unwrap_or("")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let lower = text.to_lowercase();
    let Some((lead, only)) = LEADS.iter().find(|(lead, _)| lower.starts_with(lead)) else {
        let c = if lower.contains("population") {
            Coverage::Unresolved
        } else {
            Coverage::All
        };
        return (c, Stated::Nothing);
    };
    let unresolved = (Coverage::Unresolved, Stated::Nothing);
    let rest = &lower[lead.len()..];
    // `bounded`: every bracket but an appendix's blanked, to find where the list ends;
    // `names`: qualifiers blanked, to read the names. Both keep `rest`'s byte offsets.
    let mut bounded = rest.to_string();
    let mut names = rest.to_string();
    let mut qualifiers = Vec::new();
    for (start, end) in brackets(rest) {
        let content = &rest[start + 1..end - 1];
        let kind = if content.contains("appendi") {
            Bracket::Appendix
        } else {
            bracket(&names[..start], content, named)
        };
        if matches!(kind, Bracket::Appendix) {
            continue;
        }
        blank(&mut bounded, start, end);
        if matches!(kind, Bracket::Name) {
            // "Bolivia [Plurinational State of]" is read as the name "Bolivia (…)".
            names.replace_range(start..start + 1, "(");
            names.replace_range(end - 1..end, ")");
        } else {
            blank(&mut names, start, end);
            qualifiers.push((start, kind));
        }
    }
    let end = LIST_ENDS
        .iter()
        .filter_map(|e| bounded.find(e))
        .min()
        .unwrap_or(rest.len());
    let Some(countries) = names.get(..end).and_then(|list| countries_in(list, named)) else {
        return unresolved;
    };
    let mut partly = BTreeSet::new();
    for (_, kind) in qualifiers.iter().filter(|(start, _)| *start < end) {
        match kind {
            Bracket::Qualifies(code) => {
                partly.insert(*code);
            }
            _ => return unresolved,
        }
    }
    // A country named after the cut that the list does not hold: the list was not read whole
    // ("…, Chile (Appendix II), Peru"), so it is not guessed at.
    let after = &rest[end..];
    if countries_named_in(after, named)
        .iter()
        .any(|c| !countries.contains(c))
    {
        return unresolved;
    }
    // Lower-casing keeps byte offsets for these annotations' ASCII lead and names; fall back
    // to the lower-case words should it not.
    let cut = lead.len() + end;
    let phrase = text
        .get(..cut)
        .unwrap_or(&lower[..cut])
        .trim_end_matches([',', ' '])
        .to_string();
    let c = match (countries.is_empty(), only) {
        (true, _) => Coverage::Unresolved,
        (false, true) => Coverage::Only {
            countries,
            partly,
            phrase,
        },
        (false, false) => Coverage::AllExcept {
            countries,
            partly,
            phrase,
        },
    };
    (c, stated(after))
}

/// The top-level balanced brackets of `s` ("(…)", "[…]", nested ones inside), as byte
/// ranges including the brackets. Stray closing ones ("a) trade in …") are passed over; an
/// unclosed one is not a bracket (it ends the list).
fn brackets(s: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut open: Vec<(char, usize)> = Vec::new();
    for (i, ch) in s.char_indices() {
        match ch {
            '(' | '[' => open.push((ch, i)),
            ')' | ']' => {
                let opener = if ch == ')' { '(' } else { '[' };
                if open.last().is_some_and(|(o, _)| *o == opener) {
                    if let Some((_, start)) = open.pop() {
                        if open.is_empty() {
                            out.push((start, i + ch.len_utf8()));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// What a bracket that names no appendix is, given the list's words before it.
fn bracket(before: &str, content: &str, named: &dyn Fn(&str) -> Option<PartyCode>) -> Bracket {
    let segment = before.rsplit(',').next().unwrap_or(before);
    let words: Vec<&str> = segment.split_whitespace().collect();
    let longest = words.len().min(MAX_NAME_WORDS);
    let tail = |n: usize| words[words.len() - n..].join(" ");
    if (1..=longest)
        .rev()
        .any(|n| named(&format!("{} ({content})", tail(n))).is_some())
    {
        return Bracket::Name;
    }
    (1..=longest)
        .rev()
        .find_map(|n| named(&tail(n)))
        .map_or(Bracket::Orphan, Bracket::Qualifies)
}

/// Replaces `s[start..end]` by spaces, keeping byte offsets.
fn blank(s: &mut String, start: usize, end: usize) {
    if let Some(part) = s.get(start..end) {
        let spaces = " ".repeat(part.len());
        s.replace_range(start..end, &spaces);
    }
}

/// The countries free text names: at each word, the longest run of words that is a country's
/// name ("Papua New Guinea", not "Guinea").
fn countries_named_in(
    text: &str,
    named: &dyn Fn(&str) -> Option<PartyCode>,
) -> BTreeSet<PartyCode> {
    let words: Vec<&str> = text
        .split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’' || c == '-'))
        .filter(|w| !w.is_empty())
        .collect();
    let mut out = BTreeSet::new();
    let mut i = 0;
    while i < words.len() {
        let longest = (words.len() - i).min(MAX_NAME_WORDS);
        match (1..=longest)
            .rev()
            .find_map(|n| named(&words[i..i + n].join(" ")).map(|c| (n, c)))
        {
            Some((n, code)) => {
                out.insert(code);
                i += n;
            }
            None => i += 1,
        }
    }
    out
}

/// What the clause right after the list says about appendices: "which are included in
/// Appendix II" (the named populations), "all other populations are included in Appendix I"
/// (the others); anything else that names an appendix is unclear.
fn stated(after: &str) -> Stated {
    let clause = after
        .trim_start_matches(|c: char| {
            matches!(c, ';' | ',' | ':' | '.' | '(' | '[') || c.is_whitespace()
        })
        .split([';', ':', '.', ')', ']'])
        .next()
        .unwrap_or("")
        .trim();
    if !clause.contains("appendi") {
        return Stated::Nothing;
    }
    let mut numerals = clause.match_indices("appendix").map(|(i, w)| {
        let next = clause[i + w.len()..].trim_start();
        let numeral: String = next.chars().take_while(char::is_ascii_alphabetic).collect();
        Appendix::parse(&numeral.to_uppercase())
    });
    let Some(Some(appendix)) = numerals.next() else {
        return Stated::Unclear;
    };
    let negated = [" not ", "except", "excluding", "other than", "appendices"]
        .iter()
        .any(|w| clause.contains(w));
    if negated || numerals.any(|n| n != Some(appendix)) {
        return Stated::Unclear;
    }
    const OTHERS: [&str; 8] = [
        "all other populations ",
        "all other population ",
        "other populations ",
        "the other populations ",
        "all the other populations ",
        "all others ",
        "the others ",
        "the remaining populations ",
    ];
    const NAMED: [&str; 6] = ["which ", "that ", "are ", "is ", "listed ", "included "];
    if OTHERS.iter().any(|w| clause.starts_with(w)) {
        Stated::Others(appendix)
    } else if NAMED.iter().any(|w| clause.starts_with(w)) {
        Stated::Named(appendix)
    } else {
        Stated::Unclear
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
            let c = listing_coverage(&l, named);
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
    // A listing that cannot be read, or whose annotation covers only part of the country's
    // population: which listing applies cannot be told from the country.
    let partly = |c: &Coverage| match c {
        Coverage::Only { partly, .. } | Coverage::AllExcept { partly, .. } => {
            partly.contains(&country)
        }
        _ => false,
    };
    if read
        .iter()
        .any(|(_, c)| *c == Coverage::Unresolved || partly(c))
    {
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
            catalogue::LISTING_POPULATION.warn(format!(
                    "the listings of {} name populations in words that could not be read: the strictest listing in force ({}) applies; check the annotation",
                    l.scientific_name,
                    l.listing.as_ref().map_or("none".into(), |x| format!("Appendix {:?}", x.appendix))
                ),
            )
            .at(line_field(i, "species"))
        })
        .collect()
}
