//! Split listings by population, given/when/then: the annotation forms Species+ uses, the
//! listing chosen for a population, the fallback when an annotation cannot be read, and the
//! real *Loxodonta africana* legislation (Species+ answer of 2022-11-27, English texts).

use super::population::{coverage, listing_for, Coverage};
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
        "{}/../../shared/fixtures/speciesplus/bodies/{name}",
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
