//! The permit as a document end to end: issued through the command API (sealed), projected,
//! and downloaded from the query API as a standard-form PDF. `pdftotext` (poppler-utils)
//! reads boxes 1–15 back in the chosen language; the QR code rendered from the PDF by
//! `pdftoppm` and read by `zbarimg` (zbar-tools) is the recorded seal, which verifies offline;
//! a cancelled permit's PDF says so across the page.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use ecites_command::handler::auth::Role;
use ecites_tests::api::TestApi;
use ecites_tests::readside::*;
use ecites_tests::*;
use serde_json::json;
use std::process::Command;
use std::time::Duration;
use tower::ServiceExt;

async fn pdf(
    query: &axum::Router,
    id: &str,
    token: &str,
    position: &str,
    lang: &str,
) -> (StatusCode, String, Vec<u8>) {
    let req = Request::get(format!("/api/LK/permits/{id}/document.pdf?lang={lang}"))
        .header("authorization", format!("Bearer {token}"))
        .header("x-ecites-position", position)
        .body(Body::empty())
        .unwrap();
    let res = query.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let kind = res
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, kind, body.to_vec())
}

fn tool(name: &str) -> String {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {name}"))
        .output()
        .unwrap();
    assert!(
        found.status.success(),
        "{name} is missing: deploy/test.sh installs poppler-utils and zbar-tools (apt)"
    );
    name.to_string()
}

fn text_of(dir: &std::path::Path, bytes: &[u8]) -> String {
    extracted(dir, bytes, &[])
}

/// The text in content order (`-raw`): a rotated mark reads as one word.
fn raw_text_of(dir: &std::path::Path, bytes: &[u8]) -> String {
    extracted(dir, bytes, &["-raw"])
}

fn extracted(dir: &std::path::Path, bytes: &[u8], flags: &[&str]) -> String {
    let file = dir.join("permit.pdf");
    std::fs::write(&file, bytes).unwrap();
    let out = Command::new(tool("pdftotext"))
        .args(flags)
        .arg(&file)
        .arg("-")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

fn qr_of(dir: &std::path::Path, bytes: &[u8]) -> String {
    let file = dir.join("permit.pdf");
    std::fs::write(&file, bytes).unwrap();
    let png = dir.join("page");
    let out = Command::new(tool("pdftoppm"))
        .args(["-r", "200", "-png", "-singlefile"])
        .arg(&file)
        .arg(&png)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let out = Command::new(tool("zbarimg"))
        .args(["--quiet", "--raw"])
        .arg(dir.join("page.png"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "no QR code read from the page: {out:?}"
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_issued_permit_downloads_as_the_standard_form_with_its_seal_readable_from_the_page() {
    let api = TestApi::builder()
        .trader("trader", "org")
        .user("officer", Role::MaOfficer)
        .user("signatory", Role::MaSignatory)
        .user("sa", Role::SaExpert)
        .user("customs", Role::Customs)
        .verified_organisations()
        .sealed()
        .build()
        .await;
    let url = test_database().await;
    let _projector = RunningProjector::start(&api.ledger, &url);
    let query = query_router(&api, &url, Duration::from_secs(10)).await;
    let application = json!({"document_type": "export_permit", "importing_country": "DE",
        "lines": [{"species": "Python regius", "source": "W", "purpose": "T", "term": "SKI", "quantity": 40,
                   "marks": "tags LK-0001 to LK-0040"}]});
    let id = api
        .submit_and_approve("trader", application, &["skins tagged"])
        .await;
    let officer = api.login("officer").await;
    let (status, out) = api
        .act(&officer, &id, "waive-fee", json!({"reason": "demo"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let signatory = api.login("signatory").await;
    let (status, out) = api.act(&signatory, &id, "issue", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let position = out["position"].as_str().unwrap().to_string();
    let customs = api.login("customs").await;
    let dir = tempfile::tempdir().unwrap();
    let year = time::OffsetDateTime::now_utc().year();
    let number = format!("LK/{year}/000001");

    let (status, kind, bytes) = pdf(&query, &id, &customs, &position, "fr").await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&bytes)
    );
    assert_eq!(kind, "application/pdf");
    assert!(bytes.starts_with(b"%PDF-"));
    assert!(
        bytes.len() < 100 * 1024,
        "a one-line permit is {} bytes",
        bytes.len()
    );
    let text = tokio::task::block_in_place(|| text_of(dir.path(), &bytes));
    for expected in [
        "CONVENTION SUR LE COMMERCE INTERNATIONAL",
        "PERMIS/CERTIFICAT N°",
        "☒ EXPORTATION",
        number.as_str(),
        "2. Date limite de validité",
        "3a. Pays d'importation",
        "5b. N° du timbre de sécurité",
        "7./8. Nom scientifique",
        "Python regius",
        "tags LK-0001 to LK-0040",
        "skins tagged",
        "Organe de gestion de",
        "13. Permis/certificat délivré par",
        "14. Visa d'exportation",
        "15. N° du connaissement",
    ] {
        assert!(text.contains(expected), "no {expected:?} in:\n{text}");
    }
    assert!(
        !text.contains("NON DÉLIVRÉ") && !text.contains("ANNULÉ"),
        "{text}"
    );

    // The QR code on the page is the seal the ledger recorded, and it verifies offline.
    let scanned = tokio::task::block_in_place(|| qr_of(dir.path(), &bytes));
    assert!(scanned.starts_with("CP1:"), "{scanned}");
    let ring = api.ledger.store.load_public(lk()).unwrap();
    let keys = dir.path().join("ecites-keys.json");
    let published = ecites::cli::seal::PublishedKeys::from_rings(&[ring]);
    std::fs::write(&keys, serde_json::to_vec(&published).unwrap()).unwrap();
    let cli = Cli::new(&dir.path().join("unused"));
    let keys = keys.display().to_string();
    let (code, out) =
        tokio::task::block_in_place(|| cli.run(&["seal", "verify", "--keys", &keys, &scanned]));
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("VALID") && out.contains(&number), "{out}");

    // The same permit always gives the same document; English and Spanish headings.
    let (_, _, again) = pdf(&query, &id, &customs, &position, "fr").await;
    assert_eq!(again, bytes, "the same permit gives the same bytes");
    let (_, _, es) = pdf(&query, &id, &customs, &position, "es").await;
    let es = tokio::task::block_in_place(|| text_of(dir.path(), &es));
    assert!(
        es.contains("2. Válido hasta el") && es.contains("Autoridad Administrativa de"),
        "{es}"
    );
    let (status, _, bad) = pdf(&query, &id, &customs, &position, "de").await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "{}",
        String::from_utf8_lossy(&bad)
    );

    // Cancelled: marked so across the page.
    let (status, out) = api
        .act(
            &officer,
            &id,
            "cancel",
            json!({"reason": "importer's permit refused"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let position = out["position"].as_str().unwrap().to_string();
    let (_, _, cancelled) = pdf(&query, &id, &customs, &position, "en").await;
    let text = tokio::task::block_in_place(|| raw_text_of(dir.path(), &cancelled));
    assert!(text.contains("CANCELLED"), "{text}");
}

/// How many `PermitSealed` events the permit's stream holds.
async fn seals_recorded(api: &TestApi, id: &str) -> usize {
    use ecites_events::EventReader;
    let aggregate = ecites_events::AggregateRef::new(lk(), "permit", id).unwrap();
    let events = api.ledger.log.read_aggregate(&aggregate).await.unwrap();
    events
        .iter()
        .filter(|e| e.envelope().unwrap().event_type == "PermitSealed")
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_permit_issued_before_seals_gets_its_seal_recorded_by_its_first_document() {
    // The instance that issued it held no seal key (as before seals existed).
    let unsealed = TestApi::builder()
        .trader("trader", "org")
        .user("officer", Role::MaOfficer)
        .user("signatory", Role::MaSignatory)
        .user("sa", Role::SaExpert)
        .user("customs", Role::Customs)
        .verified_organisations()
        .build()
        .await;
    let url = test_database().await;
    let _projector = RunningProjector::start(&unsealed.ledger, &url);
    let application = json!({"document_type": "export_permit", "importing_country": "DE",
        "lines": [{"species": "Python regius", "source": "W", "purpose": "T", "term": "SKI", "quantity": 5}]});
    let id = unsealed
        .submit_and_approve("trader", application, &[])
        .await;
    let officer = unsealed.login("officer").await;
    let (status, out) = unsealed
        .act(&officer, &id, "waive-fee", json!({"reason": "demo"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let signatory = unsealed.login("signatory").await;
    let (status, out) = unsealed.act(&signatory, &id, "issue", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let position = out["position"].as_str().unwrap().to_string();
    assert_eq!(seals_recorded(&unsealed, &id).await, 0, "issued unsealed");

    // Without a key, the document is drawn without a seal and nothing is written.
    let old_query = query_router(&unsealed, &url, Duration::from_secs(10)).await;
    let customs = unsealed.login("customs").await;
    let (status, _, _) = pdf(&old_query, &id, &customs, &position, "en").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(seals_recorded(&unsealed, &id).await, 0);

    // The upgraded instance holds the key: two first prints at once record one seal.
    let upgraded = TestApi::builder()
        .user("customs", Role::Customs)
        .sealed()
        .build_beside(&unsealed)
        .await;
    let query = query_router(&upgraded, &url, Duration::from_secs(10)).await;
    let customs = upgraded.login("customs").await;
    let (first, second) = tokio::join!(
        pdf(&query, &id, &customs, &position, "en"),
        pdf(&query, &id, &customs, &position, "en"),
    );
    assert_eq!(
        first.0,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&first.2)
    );
    assert_eq!(
        second.0,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&second.2)
    );
    assert_eq!(
        seals_recorded(&unsealed, &id).await,
        1,
        "one seal, recorded"
    );
    let dir = tempfile::tempdir().unwrap();
    let scanned = tokio::task::block_in_place(|| qr_of(dir.path(), &first.2));
    assert!(scanned.starts_with("CP1:"), "{scanned}");
    assert_eq!(first.2, second.2, "both prints carry the recorded seal");

    // It verifies offline, and every later copy prints the same seal.
    let ring = unsealed.ledger.store.load_public(lk()).unwrap();
    let keys = dir.path().join("ecites-keys.json");
    let published = ecites::cli::seal::PublishedKeys::from_rings(&[ring]);
    std::fs::write(&keys, serde_json::to_vec(&published).unwrap()).unwrap();
    let cli = Cli::new(&dir.path().join("unused"));
    let keys = keys.display().to_string();
    let (code, out) =
        tokio::task::block_in_place(|| cli.run(&["seal", "verify", "--keys", &keys, &scanned]));
    assert_eq!(code, 0, "{out}");
    let (_, _, later) = pdf(&query, &id, &customs, &position, "en").await;
    assert_eq!(later, first.2);
    assert_eq!(seals_recorded(&unsealed, &id).await, 1);
}
