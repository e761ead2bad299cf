use super::*;
use time::macros::date;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/speciesplus/");

fn read(rel: &str) -> String {
    let path = format!("{FIXTURES}{rel}");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn page(name: &str) -> TaxonConceptsPage {
    serde_json::from_str(&read(&format!("bodies/{name}"))).unwrap()
}

fn legislation(name: &str) -> CitesLegislation {
    serde_json::from_str(&read(&format!("bodies/{name}"))).unwrap()
}

/// Every recorded answer with status 200 parses as the type of its endpoint, and every error
/// answer is refused by that type (so an error can never pass for "no data").
#[test]
fn every_recorded_answer_parses_by_endpoint_and_errors_do_not() {
    let index = read("bodies/index.csv");
    let mut reader = csv::Reader::from_reader(index.as_bytes());
    let (mut parsed, mut refused, mut skipped_eu) = (0, 0, 0);
    for row in reader.records() {
        let row = row.unwrap();
        let (file, uri, status) = (&row[0], &row[4], &row[5]);
        let Some(file) = file.strip_prefix("bodies/") else {
            continue; // the one body too large to extract
        };
        let text = read(&format!("bodies/{file}"));
        let result: Result<(), String> = if uri.contains("/cites_legislation") {
            serde_json::from_str::<CitesLegislation>(&text)
                .map(drop)
                .map_err(|e| e.to_string())
        } else if uri.contains("/distributions") {
            serde_json::from_str::<Vec<Distribution>>(&text)
                .map(drop)
                .map_err(|e| e.to_string())
        } else if uri.contains("/references") {
            serde_json::from_str::<Vec<Reference>>(&text)
                .map(drop)
                .map_err(|e| e.to_string())
        } else if uri.contains("/eu_legislation") {
            skipped_eu += 1;
            continue;
        } else if uri.contains("/taxon_concepts.json") {
            serde_json::from_str::<TaxonConceptsPage>(&text)
                .map(drop)
                .map_err(|e| e.to_string())
        } else {
            panic!("unexpected endpoint {uri}");
        };
        match (status, result) {
            ("200", Ok(())) => parsed += 1,
            ("200", Err(e)) => panic!("{file}: {e}"),
            (_, Err(_)) => refused += 1,
            (_, Ok(())) => panic!("{file}: error body {status} parsed as data"),
        }
    }
    assert_eq!((parsed, refused, skipped_eu), (27, 4, 6));
}

#[test]
fn the_elephant_concept_has_its_names_and_current_listings() {
    let p = page("spp_taxonconcept_def__0.json");
    assert_eq!(p.pagination.total_entries, 1);
    assert!(p.pagination.is_last_page());
    let [t] = &p.taxon_concepts[..] else {
        panic!("one concept expected")
    };
    assert_eq!((t.id, t.full_name.as_str()), (4521, "Loxodonta africana"));
    assert_eq!(t.name_status, NameStatus::Accepted);
    assert_eq!(t.author_year.as_deref(), Some("(Blumenbach, 1797)"));
    assert_eq!(t.cites_listing.as_deref(), Some("I/II"));
    assert_eq!(t.updated_at.map(|u| u.date()), Some(date!(2022 - 10 - 25)));
    let h = t.higher_taxa.as_ref().unwrap();
    assert_eq!(h.kingdom.as_deref(), Some("Animalia"));
    assert_eq!(h.family.as_deref(), Some("Elephantidae"));
    assert_eq!(t.synonyms.len(), 1);
    assert_eq!(t.synonyms[0].full_name, "Loxodonta cyclotis");
    assert_eq!(t.common_names.len(), 52);
    let listings: Vec<(u64, Appendix, Date)> = t
        .cites_listings
        .iter()
        .map(|l| (l.id, l.appendix, l.effective_at))
        .collect();
    assert_eq!(
        listings,
        vec![
            (30344, Appendix::I, date!(2017 - 01 - 02)),
            (30115, Appendix::II, date!(2019 - 11 - 26))
        ]
    );
}

#[test]
fn pages_carry_pagination_parties_and_the_apis_nulls() {
    let p = page("spp_taxonconcept_pag__0.json");
    assert_eq!(p.pagination.current_page, 43);
    assert!(!p.pagination.is_last_page());
    let narica = p.taxon_concepts.iter().find(|t| t.id == 9172).unwrap();
    let party = narica.cites_listings[0].party.as_ref().unwrap();
    assert_eq!(party.iso_code2, "HN");
    assert_eq!(party.kind.as_deref(), Some("COUNTRY"));
    let nasua = p.taxon_concepts.iter().find(|t| t.id == 1715).unwrap();
    assert_eq!(nasua.author_year, None);

    let cms = page("spp_taxonconcept_cms__0.json");
    assert!(cms.taxon_concepts.iter().all(|t| t.cites_listing.is_none()));
    let empty = page("spp_taxonconcept_raw__1.json");
    assert!(empty.taxon_concepts.is_empty() && empty.pagination.is_last_page());
}

#[test]
fn the_historic_legislation_keeps_every_change_type_and_oddity() {
    let l = legislation("spp_cites_legislation_sco__0.json");
    assert_eq!(
        (
            l.cites_listings.len(),
            l.cites_quotas.len(),
            l.cites_suspensions.len()
        ),
        (42, 713, 31)
    );
    let ghana = l.cites_listings.iter().find(|c| c.id == 3635).unwrap();
    assert_eq!(ghana.appendix, Appendix::III);
    assert_eq!(ghana.change_type, ChangeType::Addition);
    assert_eq!(ghana.effective_at, date!(1976 - 02 - 26));
    assert_eq!(ghana.party.as_ref().unwrap().iso_code2, "GH");
    assert!(!ghana.is_current);
    let kinds: std::collections::BTreeSet<ChangeType> =
        l.cites_listings.iter().map(|c| c.change_type).collect();
    assert_eq!(
        kinds.into_iter().collect::<Vec<_>>(),
        vec![
            ChangeType::Addition,
            ChangeType::ReservationEntered,
            ChangeType::ReservationWithdrawn
        ],
        "no deletion record in the whole elephant history"
    );
    assert_eq!(
        l.cites_quotas.iter().filter(|q| q.quota.is_none()).count(),
        5
    );
    assert_eq!(
        l.cites_quotas
            .iter()
            .filter(|q| q.publication_date.is_none())
            .count(),
        41
    );
    assert!(l
        .cites_quotas
        .iter()
        .any(|q| q.geo_entity.iso_code2 == "S1" && q.geo_entity.name.is_none()));
    let global = l.cites_suspensions.iter().find(|s| s.id == 15984).unwrap();
    assert_eq!(global.taxon_concept_id, None);
    assert_eq!(
        global.start_notification.as_ref().unwrap().date,
        Some(date!(2013 - 05 - 17))
    );
}

#[test]
fn a_suspension_may_come_from_a_higher_taxon() {
    let l = legislation("spp_cites_legislation_bat__1.json");
    assert_eq!(l.cites_listings[0].appendix, Appendix::II);
    assert_eq!(l.cites_suspensions[0].taxon_concept_id, Some(32));
}

fn concept_json(patch: &str) -> String {
    format!(
        r#"{{"pagination":{{"current_page":1,"per_page":500,"total_entries":1}},
        "taxon_concepts":[{{"id":1,"full_name":"Aus bus","rank":"SPECIES","name_status":"A"{patch}}}]}}"#
    )
}

#[test]
fn nulls_and_missing_optional_fields_are_accepted() {
    let p: TaxonConceptsPage = serde_json::from_str(&concept_json(
        r#","synonyms":null,"common_names":null,"cites_listings":null,"higher_taxa":null,"author_year":null,"updated_at":null"#,
    ))
    .unwrap();
    let t = &p.taxon_concepts[0];
    assert!(t.synonyms.is_empty() && t.cites_listings.is_empty());
    assert!(t.higher_taxa.is_none() && t.updated_at.is_none());
}

#[test]
fn wrong_ids_names_statuses_and_appendices_are_refused() {
    let bad_id = concept_json("").replace(r#""id":1"#, r#""id":"1""#);
    let empty_name = concept_json("").replace("Aus bus", " ");
    let odd_status = concept_json("").replace(r#""name_status":"A""#, r#""name_status":"H""#);
    let bad_appendix =
        concept_json(r#","cites_listings":[{"id":5,"appendix":"IV","effective_at":"2000-01-01"}]"#);
    let bad_date =
        concept_json(r#","cites_listings":[{"id":5,"appendix":"II","effective_at":"01/01/2000"}]"#);
    for (what, json) in [
        ("string id", bad_id),
        ("empty name", empty_name),
        ("status H", odd_status),
        ("appendix IV", bad_appendix),
        ("date", bad_date),
    ] {
        assert!(
            serde_json::from_str::<TaxonConceptsPage>(&json).is_err(),
            "{what} was accepted"
        );
    }
    let good =
        concept_json(r#","cites_listings":[{"id":5,"appendix":"II","effective_at":"2000-01-01"}]"#);
    assert!(serde_json::from_str::<TaxonConceptsPage>(&good).is_ok());

    let odd_change = r#"{"cites_listings":[{"id":1,"is_current":true,"appendix":"I",
        "change_type":"EXCEPTION","effective_at":"2000-01-01"}],"cites_quotas":[],"cites_suspensions":[]}"#;
    assert!(serde_json::from_str::<CitesLegislation>(odd_change).is_err());
    let error_body = r#"{"error":{"message":"We are sorry"}}"#;
    assert!(serde_json::from_str::<CitesLegislation>(error_body).is_err());
}
