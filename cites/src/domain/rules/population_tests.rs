//! Split listings by population, given/when/then: the annotation forms Species+ uses, the
//! listing chosen for a population, the fallback when an annotation cannot be read, and the
//! real *Loxodonta africana* legislation (Species+ answer of 2022-11-27, English texts).

use super::population::{coverage, listing_coverage, listing_for, Coverage};
use crate::domain::codes::Appendix;
use crate::domain::context::{DecisionContext, ListingInfo, PartySettings};
use crate::domain::permit::{decide, PermitEvent, PermitState};
use crate::domain::testing::{export, line, party, submit};
use crate::reference::country_names::shipped;
use crate::reference::species::{LegislationScope, SpeciesCatalogue};
use crate::reference::ReferenceData;
use ecites_events::cites::IsoDate;
use ecites_events::PartyCode;
use std::collections::BTreeSet;
use time::macros::date;

fn named(name: &str) -> Option<PartyCode> {
    shipped().lookup(name)
}

fn codes(list: &[&str]) -> BTreeSet<PartyCode> {
    list.iter().map(|c| party(c)).collect()
}

const FOUR: [&str; 4] = ["BW", "NA", "ZA", "ZW"];
const APP_I: &str = "Except the populations of Botswana, Namibia, South Africa and Zimbabwe, which are included in Appendix II subject to annotation 2.";
const APP_II: &str = "The populations of Botswana, Namibia, South Africa and Zimbabwe are listed in Appendix\u{a0}II for the exclusive purpose of allowing: a) trade in hunting trophies";

fn listing(id: u64, appendix: Appendix, annotation: Option<&str>) -> ListingInfo {
    ListingInfo {
        listing_id: id,
        appendix,
        listing_party: None,
        effective_at: IsoDate(date!(2019 - 11 - 26)),
        annotation: annotation.map(String::from),
    }
}

#[test]
fn the_annotation_forms_name_the_populations_they_cover() {
    let only = |a: &str| match coverage(Some(a), &named) {
        Coverage::Only { countries, .. } => countries,
        other => panic!("{a}: {other:?}"),
    };
    let except = |a: &str| match coverage(Some(a), &named) {
        Coverage::AllExcept { countries, .. } => countries,
        other => panic!("{a}: {other:?}"),
    };
    assert_eq!(except(APP_I), codes(&FOUR));
    assert_eq!(only(APP_II), codes(&FOUR));
    assert_eq!(
        only("Only the populations of Botswana, Namibia, South Africa, and Zimbabwe; all other populations are included in Appendix I."),
        codes(&FOUR)
    );
    assert_eq!(
        only("Populations of Botswana, Namibia and the United Republic of Tanzania (listed in Appendix II)"),
        codes(&["BW", "NA", "TZ"])
    );
    assert_eq!(
        except("All populations except those of Trinidad and Tobago and Bolivia."),
        codes(&["TT", "BO"])
    );
    assert_eq!(only("Population of Chile"), codes(&["CL"]));
    match coverage(Some(APP_I), &named) {
        Coverage::AllExcept { phrase, .. } => assert_eq!(
            phrase,
            "Except the populations of Botswana, Namibia, South Africa and Zimbabwe"
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(coverage(None, &named), Coverage::All);
    assert_eq!(
        coverage(Some("#4 All parts and derivatives, except seeds"), &named),
        Coverage::All
    );
    // French, an unknown country, or populations described some other way: not guessed.
    for unread in [
        "Sauf les populations de l'Afrique du Sud, du Botswana, de la Namibie et du Zimbabwe",
        "Except the populations of Botswana and Atlantis.",
        "Includes the wild populations north of the Zambezi",
    ] {
        assert_eq!(
            coverage(Some(unread), &named),
            Coverage::Unresolved,
            "{unread}"
        );
    }
}

#[test]
fn given_a_split_listing_when_the_specimens_come_from_a_population_then_its_listing_applies() {
    let listings = || {
        vec![
            listing(30344, Appendix::I, Some(APP_I)),
            listing(30115, Appendix::II, Some(APP_II)),
        ]
    };
    let za = listing_for(listings(), party("ZA"), &named);
    assert_eq!(za.listing.as_ref().map(|l| l.listing_id), Some(30115));
    let p = za.population.unwrap();
    assert!(p.resolved);
    assert_eq!(p.country, party("ZA"));
    assert_eq!(
        p.annotation.as_deref(),
        Some("The populations of Botswana, Namibia, South Africa and Zimbabwe")
    );
    let ke = listing_for(listings(), party("KE"), &named);
    assert_eq!(ke.listing.map(|l| l.appendix), Some(Appendix::I));
    assert!(ke.population.unwrap().resolved);

    // An Appendix I listing without words: the populations named elsewhere are not its.
    let plain = vec![
        listing(1, Appendix::I, None),
        listing(
            2,
            Appendix::II,
            Some("Populations of Botswana (listed in Appendix II)"),
        ),
    ];
    let bw = listing_for(plain.clone(), party("BW"), &named);
    assert_eq!(bw.listing.map(|l| l.listing_id), Some(2));
    let lk = listing_for(plain, party("LK"), &named);
    assert_eq!(lk.listing.map(|l| l.listing_id), Some(1));

    // An Appendix III listing naming its Party's population covers the species elsewhere
    // too (certificate of origin, Art. V.3).
    let app3 = vec![listing(4, Appendix::III, Some("Population of Colombia"))];
    let from_peru = listing_for(app3, party("PE"), &named);
    assert_eq!(from_peru.listing.map(|l| l.listing_id), Some(4));

    // One listing naming no population: nothing to resolve, nothing recorded.
    let single = listing_for(vec![listing(3, Appendix::II, None)], party("LK"), &named);
    assert_eq!(single.population, None);
}

#[test]
fn given_an_annotation_that_cannot_be_read_then_the_strictest_listing_applies_with_a_warning() {
    let listings = vec![
        listing(
            3654,
            Appendix::I,
            Some("Sauf les populations de l'Afrique du Sud"),
        ),
        listing(3657, Appendix::II, Some("Populations du Botswana")),
    ];
    let za = listing_for(listings, party("ZA"), &named);
    assert_eq!(za.listing.map(|l| l.appendix), Some(Appendix::I));
    assert!(!za.population.unwrap().resolved);
}

fn fixture(name: &str) -> String {
    let path = format!(
        "{}/../fixtures/speciesplus/bodies/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The elephant's current legislation as Species+ answered it (English annotations).
fn elephant_reference() -> ReferenceData {
    let mut b = SpeciesCatalogue::builder();
    for page in [
        "spp_taxonconcept_def__0.json",
        "spp_taxonconcept_pag__0.json",
        "spp_taxonconcept_pag__1.json",
    ] {
        b.add_page(serde_json::from_str(&fixture(page)).unwrap())
            .unwrap();
    }
    b.add_legislation(
        4521,
        LegislationScope::Current,
        serde_json::from_str(&fixture("spp_cites_legislation_def__0.json")).unwrap(),
    );
    ReferenceData::new(b.build().unwrap()).unwrap()
}

/// An import into Sri Lanka of elephant trophies exported by `from`.
fn trophy_import(from: &str) -> crate::domain::rules::data::ApplicationForm {
    let mut form = export(vec![line("Loxodonta africana", "W", "H", "TRO", "1")]);
    form.document_type = "import_permit".into();
    form.exporting_country = Some(from.into());
    form.importing_country = None;
    form
}

#[test]
fn given_the_real_elephant_listings_when_submitted_then_the_origin_population_decides() {
    let reference = elephant_reference();
    let settings = PartySettings::new(party("LK"));
    let ctx = DecisionContext {
        today: IsoDate(date!(2022 - 11 - 27)),
        reference: &reference,
        settings: &settings,
        quotas: &[],
        replacement: None,
        imports: &[],
    };
    let listing_of = |from: &str| {
        let events = decide(&PermitState::default(), submit(trophy_import(from)), &ctx)
            .unwrap_or_else(|e| panic!("{from}: {e:?}"));
        let PermitEvent::ApplicationSubmitted(s) = &events[0] else {
            panic!("{events:?}")
        };
        s.content.lines[0].listing.clone().unwrap()
    };
    // South Africa's population is in Appendix II (listing 30115, annotation 2).
    let za = listing_of("ZA");
    assert_eq!((za.listing_id, za.appendix), (30115, Appendix::II));
    let p = za.population.unwrap();
    assert!(p.resolved && p.country == party("ZA"));
    assert!(p
        .annotation
        .unwrap()
        .starts_with("The populations of Botswana"));
    // Kenya's is in Appendix I (listing 30344: all populations but the four).
    let ke = listing_of("KE");
    assert_eq!((ke.listing_id, ke.appendix), (30344, Appendix::I));
    assert!(ke
        .population
        .unwrap()
        .annotation
        .unwrap()
        .starts_with("Except the populations of"));

    // A re-export from Sri Lanka of Zimbabwean specimens: the origin's population decides.
    let mut reexport = trophy_import("LK");
    reexport.document_type = "re_export_certificate".into();
    reexport.exporting_country = None;
    reexport.importing_country = Some("DE".into());
    reexport.lines[0].origin = crate::domain::testing::reference_form("ZW", "ZW-123", "2022-01-10");
    let seen = crate::domain::rules::data::check_form(&reexport, &ctx).unwrap();
    let l = seen.lines[0].listing.clone().unwrap();
    assert_eq!(l.appendix, Appendix::II);
    assert_eq!(l.population.unwrap().country, party("ZW"));
}

#[test]
fn given_annotations_in_french_when_submitted_then_appendix_i_applies_with_a_warning() {
    let mut b = SpeciesCatalogue::builder();
    b.add_page(serde_json::from_str(&fixture("spp_taxonconcept_def__0.json")).unwrap())
        .unwrap();
    b.add_legislation(
        4521,
        LegislationScope::All,
        serde_json::from_str(&fixture("spp_cites_legislation_sco__0.json")).unwrap(),
    );
    let reference = ReferenceData::new(b.build().unwrap()).unwrap();
    let settings = PartySettings::new(party("LK"));
    let ctx = DecisionContext {
        today: IsoDate(date!(2022 - 11 - 27)),
        reference: &reference,
        settings: &settings,
        quotas: &[],
        replacement: None,
        imports: &[],
    };
    let events = decide(&PermitState::default(), submit(trophy_import("ZA")), &ctx).unwrap();
    let PermitEvent::ApplicationSubmitted(s) = &events[0] else {
        panic!("{events:?}")
    };
    let listing = s.content.lines[0].listing.clone().unwrap();
    assert_eq!(listing.appendix, Appendix::I, "the strictest");
    assert!(!listing.population.unwrap().resolved);
    let warning = s
        .warnings
        .iter()
        .find(|w| w.rule == "LISTING-POPULATION")
        .expect("a LISTING-POPULATION warning");
    assert!(warning.warning);
    assert_eq!(warning.field.as_deref(), Some("lines[0].species"));
}

const ANDEAN: [&str; 3] = ["BO", "CL", "PE"];
const ANDEAN_I: &str = "Only the populations of Bolivia (Plurinational State of), Chile and Peru; all other populations are included in Appendix II";
const ANDEAN_II: &str = "Except the populations of Bolivia (Plurinational State of), Chile and Peru, which are included in Appendix I";

fn andean() -> Vec<ListingInfo> {
    vec![
        listing(11, Appendix::I, Some(ANDEAN_I)),
        listing(12, Appendix::II, Some(ANDEAN_II)),
    ]
}

#[test]
fn given_a_name_in_brackets_mid_list_when_read_then_the_countries_after_it_are_kept() {
    // Given the two listings of a population split naming "Bolivia (Plurinational State of)"
    // first; when they are read; then every country of the list is held, and the phrase keeps
    // the annotation's own words.
    match coverage(Some(ANDEAN_I), &named) {
        Coverage::Only {
            countries,
            partly,
            phrase,
        } => {
            assert_eq!(countries, codes(&ANDEAN));
            assert!(partly.is_empty());
            assert_eq!(
                phrase,
                "Only the populations of Bolivia (Plurinational State of), Chile and Peru"
            );
        }
        other => panic!("{other:?}"),
    }
    match coverage(Some(ANDEAN_II), &named) {
        Coverage::AllExcept { countries, .. } => assert_eq!(countries, codes(&ANDEAN)),
        other => panic!("{other:?}"),
    }
    // Square brackets and a name inside a longer "and" list read the same way.
    match coverage(
        Some("Populations of Chile and Bolivia [Plurinational State of] (listed in Appendix II)"),
        &named,
    ) {
        Coverage::Only { countries, .. } => assert_eq!(countries, codes(&["CL", "BO"])),
        other => panic!("{other:?}"),
    }
}

#[test]
fn given_the_andean_split_when_the_origin_is_peru_then_appendix_i_applies_resolved() {
    // Given App I "Only … Bolivia (Plurinational State of), Chile and Peru" and App II
    // "Except … Bolivia (Plurinational State of), Chile and Peru"; when the specimens come
    // from Peru (the country after the bracket); then Appendix I applies, resolved.
    for from in ANDEAN {
        let c = listing_for(andean(), party(from), &named);
        assert_eq!(c.listing.map(|l| l.appendix), Some(Appendix::I), "{from}");
        let p = c.population.unwrap();
        assert!(p.resolved, "{from}");
        assert!(p
            .annotation
            .unwrap()
            .ends_with("Bolivia (Plurinational State of), Chile and Peru"));
    }
    // And from Argentina, not named: Appendix II.
    let ar = listing_for(andean(), party("AR"), &named);
    assert_eq!(ar.listing.map(|l| l.appendix), Some(Appendix::II));
    assert!(ar.population.unwrap().resolved);
}

#[test]
fn given_a_qualifier_mid_list_then_the_next_country_is_kept_and_the_qualified_one_is_not_guessed() {
    // Given an App II listing of only part of Argentina's population and all of Chile's,
    // and an App I listing of the others.
    let listings = || {
        vec![
            listing(
                21,
                Appendix::II,
                Some("Only the populations of Argentina (the populations of the Provinces of Jujuy and Catamarca) and Chile; all other populations are included in Appendix I."),
            ),
            listing(
                22,
                Appendix::I,
                Some("Except the populations of Argentina (the populations of the Provinces of Jujuy and Catamarca) and Chile, which are included in Appendix II."),
            ),
        ]
    };
    match coverage(listings()[0].annotation.as_deref(), &named) {
        Coverage::Only {
            countries, partly, ..
        } => {
            assert_eq!(countries, codes(&["AR", "CL"]));
            assert_eq!(partly, codes(&["AR"]));
        }
        other => panic!("{other:?}"),
    }
    // When the specimens come from Chile, then Appendix II applies, resolved.
    let cl = listing_for(listings(), party("CL"), &named);
    assert_eq!(cl.listing.map(|l| l.listing_id), Some(21));
    assert!(cl.population.unwrap().resolved);
    // When they come from Argentina, which province cannot be told: the strictest listing,
    // unresolved (LISTING-POPULATION warning).
    let ar = listing_for(listings(), party("AR"), &named);
    assert_eq!(ar.listing.map(|l| l.appendix), Some(Appendix::I));
    assert!(!ar.population.unwrap().resolved);
    // When they come from Peru, named by neither: Appendix I, resolved.
    let pe = listing_for(listings(), party("PE"), &named);
    assert_eq!(pe.listing.map(|l| l.appendix), Some(Appendix::I));
    assert!(pe.population.unwrap().resolved);
}

#[test]
fn given_a_country_named_after_the_cut_then_the_listing_is_unresolved() {
    // Given annotations whose list is cut before every country it names; when read; then
    // they are not guessed at.
    for cut in [
        "Only the populations of Botswana (listed in Appendix II), Namibia and Zimbabwe",
        "Except the populations of Botswana: Namibia and Zimbabwe, which are included in Appendix II",
        "Only the populations of Bolivia (Plurinational State of, Chile and Peru; all other populations are included in Appendix II",
        "The populations of Chile. Peru and Bolivia are included in Appendix II",
    ] {
        assert_eq!(coverage(Some(cut), &named), Coverage::Unresolved, "{cut}");
    }
    // When Peru's specimens meet such a listing, then the strictest listing applies,
    // unresolved, rather than Appendix II resolved.
    let listings = vec![
        listing(
            31,
            Appendix::I,
            Some("Only the populations of Bolivia: Chile and Peru; all other populations are included in Appendix II"),
        ),
        listing(
            32,
            Appendix::II,
            Some("Except the populations of Bolivia: Chile and Peru, which are included in Appendix I"),
        ),
    ];
    let pe = listing_for(listings, party("PE"), &named);
    assert_eq!(pe.listing.map(|l| l.appendix), Some(Appendix::I));
    assert!(!pe.population.unwrap().resolved);
    // The countries a list names again after it (the elephant's annotation 2) are fine.
    assert!(matches!(
        coverage(Some(APP_II), &named),
        Coverage::Only { .. }
    ));
}

#[test]
fn given_an_annotation_stating_an_appendix_then_it_must_agree_with_the_listing() {
    let read =
        |appendix: Appendix, a: &str| listing_coverage(&listing(1, appendix, Some(a)), &named);
    // Consistent: the named populations are this listing's, or the others are elsewhere.
    for (appendix, a) in [
        (Appendix::I, ANDEAN_I),
        (Appendix::II, ANDEAN_II),
        (Appendix::I, APP_I),
        (Appendix::II, APP_II),
        (
            Appendix::II,
            "Populations of Botswana (listed in Appendix II)",
        ),
        (Appendix::II, "Population of Chile"),
    ] {
        assert_ne!(read(appendix, a), Coverage::Unresolved, "{appendix:?}: {a}");
    }
    // Given an Appendix I annotation saying the populations it names are in Appendix II (or
    // the reverse), or an appendix named in words not understood; when read for the listing;
    // then unresolved.
    for (appendix, a) in [
        (
            Appendix::I,
            "The populations of Botswana and Namibia are included in Appendix II",
        ),
        (
            Appendix::II,
            "Populations of Botswana (listed in Appendix I)",
        ),
        (
            Appendix::I,
            "Only the populations of Chile; all other populations are included in Appendix I",
        ),
        (
            Appendix::II,
            "Except the populations of Chile, which are included in Appendix II",
        ),
        (
            Appendix::II,
            "The populations of Chile are not included in Appendix I",
        ),
        (
            Appendix::II,
            "The populations of Chile are listed in Appendices I and II",
        ),
        (
            Appendix::II,
            "Only the populations of Chile; the rest go to Appendix I",
        ),
    ] {
        assert_eq!(read(appendix, a), Coverage::Unresolved, "{appendix:?}: {a}");
    }
    // When a line from Botswana meets an Appendix I listing that says Botswana's population
    // is in Appendix II, and an Appendix II listing of all populations: the strictest
    // (Appendix I) applies, unresolved, not Appendix I "resolved" for Botswana.
    let listings = vec![
        listing(
            41,
            Appendix::I,
            Some("The populations of Botswana are included in Appendix II"),
        ),
        listing(42, Appendix::II, None),
    ];
    let bw = listing_for(listings, party("BW"), &named);
    assert_eq!(bw.listing.map(|l| l.appendix), Some(Appendix::I));
    assert!(!bw.population.unwrap().resolved);
}
