use super::*;
use crate::reference::speciesplus::{CitesLegislation, TaxonConceptsPage};
use time::macros::date;

fn body(name: &str) -> String {
    let path = format!(
        "{}/../fixtures/speciesplus/bodies/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn pages() -> CatalogueBuilder {
    let mut b = SpeciesCatalogue::builder();
    for name in [
        "spp_taxonconcept_def__0.json",
        "spp_taxonconcept_pag__0.json",
        "spp_taxonconcept_pag__1.json",
    ] {
        let page: TaxonConceptsPage = serde_json::from_str(&body(name)).unwrap();
        b.add_page(page).unwrap();
    }
    b
}

fn legislation(name: &str) -> CitesLegislation {
    serde_json::from_str(&body(name)).unwrap()
}

/// The elephant with its whole listing history (`scope=all`, French texts).
fn elephant_history() -> SpeciesCatalogue {
    let mut b = pages();
    b.add_legislation(
        4521,
        LegislationScope::All,
        legislation("spp_cites_legislation_sco__0.json"),
    );
    b.build().unwrap()
}

const ELEPHANT: u64 = 4521;

fn appendices(c: &SpeciesCatalogue, on: Date) -> Vec<(Appendix, Option<String>, u64)> {
    c.listings_on(ELEPHANT, on)
        .into_iter()
        .map(|l| {
            (
                l.appendix,
                l.listing_party.map(|p| p.to_string()),
                l.listing_id,
            )
        })
        .collect()
}

#[test]
fn names_resolve_case_insensitively_and_synonyms_to_their_accepted_taxon() {
    let c = pages().build().unwrap();
    assert_eq!(c.len(), 21);
    let r = c.resolve("loxodonta AFRICANA").unwrap();
    assert_eq!((r.taxon_id, r.via_synonym), (ELEPHANT, false));
    assert_eq!(r.accepted_name, "Loxodonta africana");
    assert_eq!(r.kingdom, Kingdom::Animalia);
    assert_eq!(r.rank, "SPECIES");
    assert_eq!(r.higher_taxa.family.as_deref(), Some("Elephantidae"));
    assert_eq!(r.higher_taxa.order.as_deref(), Some("Proboscidea"));

    let s = c.resolve(" Loxodonta  Cyclotis").unwrap();
    assert_eq!((s.taxon_id, s.via_synonym), (ELEPHANT, true));
    assert_eq!(s.accepted_name, "Loxodonta africana");
    assert_eq!(s.written_as, " Loxodonta  Cyclotis");

    assert!(c.resolve("Loxodonta").is_none());
    assert!(c.resolve("Loxodonta africana africana").is_none());
    assert_eq!(c.resolve("ursidae").unwrap().rank, "FAMILY");
    assert_eq!(c.by_id(9172).unwrap().full_name, "Nasua narica");
    assert!(c.by_id(37069).is_none(), "synonym ids are not taxa");
}

#[test]
fn without_legislation_a_taxon_has_only_its_current_listings() {
    let c = pages().build().unwrap();
    let today = date!(2022 - 11 - 27);
    assert_eq!(
        appendices(&c, today),
        vec![(Appendix::I, None, 30344), (Appendix::II, None, 30115)]
    );
    // 2018 had an Appendix II listing too, but the current-only data cannot show it.
    assert_eq!(
        appendices(&c, date!(2018 - 06 - 01)),
        vec![(Appendix::I, None, 30344)]
    );
    assert_eq!(
        c.by_id(ELEPHANT).unwrap().listing_history,
        ListingHistory::CurrentOnly
    );
    assert_eq!(c.first_listed(ELEPHANT), None);

    let narica = c.listings_on(9172, today);
    assert_eq!(narica.len(), 1);
    assert_eq!(narica[0].appendix, Appendix::III);
    assert_eq!(narica[0].listing_party, Some("HN".parse().unwrap()));
    assert_eq!(
        narica[0].annotation.as_deref(),
        Some("Formerly included in Nasua nasua.")
    );
    // An empty annotation string in the answer is no annotation.
    assert_eq!(c.listings_on(12253, today)[0].annotation, None);
    // The Ailuropoda genus is "I" in the summary, yet its listing is the cascaded Ursidae II.
    let genus = c.listings_on(1725, today);
    assert_eq!(
        (genus[0].appendix, genus[0].listing_id),
        (Appendix::II, 4649)
    );
    assert!(c.quotas(ELEPHANT).is_empty());
}

#[test]
fn the_elephant_history_replays_listing_by_listing() {
    let c = elephant_history();
    assert_eq!(
        c.by_id(ELEPHANT).unwrap().listing_history,
        ListingHistory::Complete
    );
    let gh = Some("GH".to_string());
    assert_eq!(appendices(&c, date!(1976 - 02 - 25)), vec![]);
    assert_eq!(
        appendices(&c, date!(1976 - 02 - 26)),
        vec![(Appendix::III, gh.clone(), 3635)]
    );
    assert_eq!(
        appendices(&c, date!(1976 - 12 - 31)),
        vec![(Appendix::III, gh, 3635)]
    );
    assert_eq!(
        appendices(&c, date!(1977 - 02 - 04)),
        vec![(Appendix::II, None, 3637)]
    );
    assert_eq!(
        appendices(&c, date!(1989 - 12 - 31)),
        vec![(Appendix::II, None, 3637)]
    );
    assert_eq!(
        appendices(&c, date!(1990 - 01 - 18)),
        vec![(Appendix::I, None, 3641)]
    );
    assert_eq!(
        appendices(&c, date!(1997 - 09 - 18)),
        vec![(Appendix::I, None, 3654), (Appendix::II, None, 3657)]
    );
    assert_eq!(
        appendices(&c, date!(2010 - 06 - 01)),
        vec![(Appendix::I, None, 3665), (Appendix::II, None, 3666)]
    );
    assert_eq!(
        appendices(&c, date!(2018 - 06 - 01)),
        vec![(Appendix::I, None, 30344), (Appendix::II, None, 30346)]
    );
    assert_eq!(
        appendices(&c, date!(2019 - 11 - 26)),
        vec![(Appendix::I, None, 30344), (Appendix::II, None, 30115)]
    );
    assert_eq!(c.first_listed(ELEPHANT), Some(date!(1976 - 02 - 26)));
    let annotated = c.listings_on(ELEPHANT, date!(2019 - 11 - 26));
    assert!(annotated[0]
        .annotation
        .as_deref()
        .unwrap()
        .starts_with("Sauf"));
}

/// On the day the answer was recorded, the replay must agree with Species+'s own
/// `is_current` flags.
#[test]
fn on_the_recording_day_the_replay_agrees_with_is_current() {
    let c = elephant_history();
    let recorded = legislation("spp_cites_legislation_sco__0.json");
    let mut current: Vec<u64> = recorded
        .cites_listings
        .iter()
        .filter(|l| l.is_current && l.change_type == ChangeType::Addition)
        .map(|l| l.id)
        .collect();
    current.sort_unstable();
    let mut replayed: Vec<u64> = c
        .listings_on(ELEPHANT, date!(2022 - 11 - 27))
        .iter()
        .map(|l| l.listing_id)
        .collect();
    replayed.sort_unstable();
    assert_eq!(replayed, current);

    let mut reserved: Vec<u64> = recorded
        .cites_listings
        .iter()
        .filter(|l| l.is_current && l.change_type == ChangeType::ReservationEntered)
        .map(|l| l.id)
        .collect();
    reserved.sort_unstable();
    let mut replayed: Vec<u64> = c
        .reservations_on(ELEPHANT, date!(2022 - 11 - 27))
        .iter()
        .map(|r| r.listing_id)
        .collect();
    replayed.sort_unstable();
    assert_eq!(replayed, reserved);
}

#[test]
fn reservations_follow_their_parties() {
    let c = elephant_history();
    let parties = |on| -> Vec<String> {
        c.reservations_on(ELEPHANT, on)
            .iter()
            .map(|r| format!("{}:{}", r.appendix, r.party))
            .collect()
    };
    assert_eq!(parties(date!(1977 - 06 - 01)), vec!["II:GB"]);
    assert_eq!(parties(date!(1979 - 01 - 01)), Vec::<String>::new());
    assert_eq!(
        parties(date!(1990 - 03 - 01)),
        vec!["I:BW", "I:CN", "I:GB", "I:MW", "I:ZA", "I:ZM", "I:ZW"]
    );
    assert_eq!(
        parties(date!(1991 - 06 - 01)),
        vec!["I:BW", "I:MW", "I:NA", "I:ZA", "I:ZM", "I:ZW"]
    );
    assert_eq!(parties(date!(1998 - 01 - 01)), vec!["I:MW", "I:ZA"]);
    assert_eq!(parties(date!(2020 - 01 - 01)).len(), 9);
    assert!(!parties(date!(2021 - 06 - 01)).contains(&"I:MW".to_string()));
}

#[test]
fn quotas_and_suspensions_keep_what_the_api_gave() {
    let c = elephant_history();
    let quotas = c.quotas(ELEPHANT);
    assert_eq!(quotas.len(), 713);
    assert_eq!(quotas.iter().filter(|q| q.is_current).count(), 38);
    let cm = quotas.iter().find(|q| q.id == 130).unwrap();
    assert_eq!(
        (cm.country.as_str(), cm.quota, cm.publication_date),
        (
            "CM",
            Some(ecites_events::cites::Quantity::whole(160)),
            Some(date!(2007 - 12 - 18))
        )
    );
    let suspensions = c.suspensions(ELEPHANT);
    assert_eq!(suspensions.len(), 31);
    let us = suspensions.iter().find(|s| s.id == 17621).unwrap();
    assert!(us.applies_to_import && us.is_current);
    assert_eq!(
        us.notification.as_deref(),
        Some("CITES Notif. No. 2014/037")
    );
    assert!(c.quotas(1).is_empty() && c.suspensions(1).is_empty());
}

/// Given a Species+ answer with one quota a quantity cannot hold exactly (0.0005) and one
/// negative, when the catalogue is built, then the build succeeds: those quotas are no quota
/// with the published text in their notes, every other quota is kept, and the build reports
/// both (the import report's warnings).
#[test]
fn given_a_quota_with_four_decimals_when_built_then_it_is_no_quota_and_reported() {
    let mut l = legislation("spp_cites_legislation_sco__0.json");
    let (first, second) = (l.cites_quotas[1].id, l.cites_quotas[2].id);
    l.cites_quotas[1].quota = Some(0.0005);
    l.cites_quotas[2].quota = Some(-1.0);
    let mut b = pages();
    b.add_legislation(ELEPHANT, LegislationScope::All, l);
    let c = b
        .build()
        .expect("one unreadable quota does not abort the import");
    let quotas = c.quotas(ELEPHANT);
    assert_eq!(quotas.len(), 713);
    let q = quotas.iter().find(|q| q.id == first).unwrap();
    assert_eq!(q.quota, None);
    assert!(q.notes.as_deref().unwrap().contains("0.0005"), "{q:?}");
    assert_eq!(quotas.iter().find(|q| q.id == second).unwrap().quota, None);
    let cm = quotas.iter().find(|q| q.id == 130).unwrap();
    assert_eq!(cm.quota, Some(ecites_events::cites::Quantity::whole(160)));
    let reported: Vec<(u64, String)> = c
        .warnings()
        .iter()
        .map(|w| match w {
            CatalogueWarning::QuotaNotHeld {
                quota_id,
                published,
                ..
            } => (*quota_id, published.clone()),
        })
        .collect();
    assert_eq!(
        reported,
        vec![(first, "0.0005".to_string()), (second, "-1".to_string())]
    );
    assert!(c.warnings()[0].to_string().contains("0.0005"));
    assert!(elephant_history().warnings().is_empty());
}

fn extra_page(concepts: &str) -> TaxonConceptsPage {
    serde_json::from_str(&format!(
        r#"{{"pagination":{{"current_page":1,"per_page":500,"total_entries":1}},"taxon_concepts":[{concepts}]}}"#
    ))
    .unwrap()
}

const PLANT: &str = r#"{"id":700,"full_name":"Aloe ferox","rank":"SPECIES","name_status":"A",
    "higher_taxa":{"kingdom":"Plantae","family":"Asphodelaceae"}}"#;

#[test]
fn synonym_concepts_join_their_accepted_taxa_and_ambiguity_resolves_to_nothing() {
    let mut b = pages();
    b.add_page(extra_page(&format!(
        r#"{PLANT},
        {{"id":701,"full_name":"Elephas africanus","rank":"SPECIES","name_status":"S",
          "accepted_names":[{{"id":4521,"full_name":"Loxodonta africana"}}]}},
        {{"id":702,"full_name":"Aloe dubia","rank":"SPECIES","name_status":"S",
          "accepted_names":[{{"id":4521,"full_name":"Loxodonta africana"}},{{"id":700,"full_name":"Aloe ferox"}}]}},
        {{"id":703,"full_name":"Ursidae","rank":"FAMILY","name_status":"S",
          "accepted_names":[{{"id":700,"full_name":"Aloe ferox"}}]}}"#
    )))
    .unwrap();
    let c = b.build().unwrap();
    let r = c.resolve("elephas africanus").unwrap();
    assert_eq!((r.taxon_id, r.via_synonym), (ELEPHANT, true));
    assert_eq!(c.resolve("Aloe ferox").unwrap().kingdom, Kingdom::Plantae);
    assert!(c.resolve("Aloe dubia").is_none(), "two accepted names");
    let ursidae = c.resolve("Ursidae").unwrap();
    assert!(
        !ursidae.via_synonym,
        "the accepted name wins over a synonym"
    );
}

#[test]
fn bad_input_is_refused_with_its_reason() {
    let mut b = pages();
    b.add_legislation(
        3210,
        LegislationScope::Current,
        legislation("spp_cites_legislation_bat__1.json"),
    );
    assert!(matches!(
        b.build(),
        Err(CatalogueError::LegislationForUnknownTaxon(3210))
    ));

    let cms = extra_page(&PLANT.replace(
        r#""name_status":"A""#,
        r#""name_status":"A","taxonomy":"CMS""#,
    ));
    assert!(matches!(
        SpeciesCatalogue::builder().add_page(cms),
        Err(CatalogueError::NotCitesTaxonomy { taxon_id: 700, .. })
    ));

    let fungus = extra_page(&PLANT.replace("Plantae", "Fungi"));
    let mut b = SpeciesCatalogue::builder();
    b.add_page(fungus).unwrap();
    assert!(matches!(
        b.build(),
        Err(CatalogueError::UnknownKingdom { taxon_id: 700, .. })
    ));

    let mut odd_party = legislation("spp_cites_legislation_sco__0.json");
    odd_party.cites_listings[0]
        .party
        .as_mut()
        .unwrap()
        .iso_code2 = "S1".into();
    let mut b = pages();
    b.add_legislation(ELEPHANT, LegislationScope::All, odd_party);
    assert!(matches!(b.build(), Err(CatalogueError::InvalidParty { code, .. }) if code == "S1"));

    let mut no_party = legislation("spp_cites_legislation_sco__0.json");
    for l in &mut no_party.cites_listings {
        l.party = None;
    }
    let mut b = pages();
    b.add_legislation(ELEPHANT, LegislationScope::All, no_party);
    assert!(matches!(
        b.build(),
        Err(CatalogueError::ReservationWithoutParty { .. })
    ));
}

#[test]
fn inactive_concepts_are_left_out() {
    let mut b = SpeciesCatalogue::builder();
    b.add_page(extra_page(
        &PLANT.replace(r#""rank""#, r#""active":false,"rank""#),
    ))
    .unwrap();
    assert!(b.build().unwrap().is_empty());
}

#[test]
fn the_demo_list_gives_every_row_a_synthetic_1975_listing() {
    let c = SpeciesCatalogue::demo().unwrap();
    assert_eq!(c.len(), 47);
    assert!(c.taxa().all(|t| t.id >= DEMO_TAXON_ID_BASE));
    let on = date!(2024 - 01 - 01);

    let badger = c.resolve("Mellivora capensis").unwrap();
    let l = c.listings_on(badger.taxon_id, on);
    assert_eq!(l.len(), 1);
    assert_eq!(
        (l[0].appendix, l[0].listing_party),
        (Appendix::III, Some("BW".parse().unwrap()))
    );
    assert_eq!(l[0].effective_at, date!(1975 - 07 - 01));

    let lion = c.resolve("panthera leo").unwrap();
    let l = c.listings_on(lion.taxon_id, on);
    let apps: Vec<Appendix> = l.iter().map(|l| l.appendix).collect();
    assert_eq!(apps, vec![Appendix::I, Appendix::II]);
    assert!(l[0]
        .annotation
        .as_deref()
        .unwrap()
        .contains("Indian population"));
    assert!(l.iter().all(|l| l.listing_party.is_none()));
    assert_eq!(c.first_listed(lion.taxon_id), Some(date!(1975 - 07 - 01)));
    assert!(c
        .listings_on(lion.taxon_id, date!(1975 - 06 - 30))
        .is_empty());

    let pigeon = c.resolve("Columba livia").unwrap();
    assert!(c.listings_on(pigeon.taxon_id, on).is_empty());
    assert_eq!(c.first_listed(pigeon.taxon_id), None);

    let orchids = c.resolve("Orchidaceae").unwrap();
    assert_eq!(
        (orchids.kingdom, orchids.rank.as_str()),
        (Kingdom::Plantae, "FAMILY")
    );
    let tiger = c
        .by_id(c.resolve("Panthera tigris").unwrap().taxon_id)
        .unwrap();
    assert_eq!(tiger.common_names[0].name, "Tiger");
    assert_eq!(tiger.higher_taxa.class.as_deref(), Some("Mammalia"));
}

#[test]
fn the_demo_list_parties_are_countries_and_the_file_is_the_fixture() {
    let codes = crate::reference::codes::CodeLists::embedded().unwrap();
    let c = SpeciesCatalogue::demo().unwrap();
    for t in c.taxa() {
        for l in &t.listing_changes {
            if let Some(p) = l.party {
                assert!(codes.is_country(p.as_str()), "{p} of {}", t.full_name);
            }
        }
    }
    let fixture = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/demo/species-demo.csv"
    ))
    .unwrap();
    assert_eq!(
        include_str!("../../../schemas/codes/species-demo.csv"),
        fixture
    );
}

#[test]
fn a_malformed_demo_row_is_refused_with_its_line() {
    let header = "full_name,rank,kingdom,class,family,cites_listing,appendix_iii_party,common_name_en,note\n";
    for (row, why) in [
        ("Aus bus,SPECIES,Animalia,Aves,Aidae,III,,,\n", "III without party"),
        ("Aus bus,SPECIES,Animalia,Aves,Aidae,II,BW,,\n", "party on II"),
        ("Aus bus,SPECIES,Fungi,Aves,Aidae,II,,,\n", "kingdom"),
        ("Aus bus,SPECIES,Animalia,Aves,Aidae,IV,,,\n", "appendix"),
        ("Aus bus,SPECIES,Animalia,Aves,Aidae,II,,,\nAUS BUS,SPECIES,Animalia,Aves,Aidae,II,,,\n", "twice"),
    ] {
        let err = SpeciesCatalogue::from_demo_csv(&format!("{header}{row}")).unwrap_err();
        assert!(matches!(err, CatalogueError::Demo { line, .. } if line >= 2), "{why}: {err}");
    }
    assert!(SpeciesCatalogue::from_demo_csv("name\nAus bus\n").is_err());
}
