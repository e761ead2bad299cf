//! Specimens of signatures and stamps end to end (issue #14): the Party admin records the
//! signatory's signature and the Authority's stamp as events; they are published beside the
//! seal keys by their SHA-256; the permit's PDF prints the issuing signatory's signature and
//! the stamp in force at issuance; bad images and other roles are refused, nothing written.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use base64::Engine;
use ecites_command::handler::auth::Role;
use ecites_tests::api::TestApi;
use ecites_tests::readside::*;
use serde_json::{json, Value};
use sha2::Digest;
use std::time::Duration;
use tower::ServiceExt;
use uuid::Uuid;

const SIGNATURE: &[u8] = include_bytes!("../fixtures/specimen-signature.png");
const STAMP: &[u8] = include_bytes!("../fixtures/specimen-stamp.png");

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

async fn get(
    router: &axum::Router,
    path: &str,
    token: Option<&str>,
    position: &str,
) -> (StatusCode, Vec<u8>) {
    let mut req = Request::get(path).header("x-ecites-position", position);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let res = router
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let body = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, body.to_vec())
}

/// The images `pdfimages -list` finds in the PDF: (width, height) of each.
fn images_in(bytes: &[u8]) -> Vec<(u32, u32)> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("permit.pdf");
    std::fs::write(&file, bytes).unwrap();
    let out = std::process::Command::new("pdfimages")
        .arg("-list")
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success(), "pdfimages (poppler-utils): {out:?}");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .skip(2)
        .filter_map(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            Some((cols.get(3)?.parse().ok()?, cols.get(4)?.parse().ok()?))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn specimens_are_recorded_published_and_printed_in_box_13() {
    let api = TestApi::builder()
        .trader("trader", "org")
        .user("officer", Role::MaOfficer)
        .user("signatory", Role::MaSignatory)
        .user("sa", Role::SaExpert)
        .user("admin", Role::PartyAdmin)
        .user("customs", Role::Customs)
        .verified_organisations()
        .sealed()
        .build()
        .await;
    let url = test_database().await;
    let _projector = RunningProjector::start(&api.ledger, &url);
    let admin = api.login("admin").await;
    let record = |kind: &str, signatory: Option<&str>, image: &[u8]| {
        json!({"command_id": Uuid::now_v7(), "specimen_id": Uuid::now_v7(), "kind": kind,
               "signatory": signatory, "name": "A. Perera, Director", "image": b64(image)})
    };

    // Refused with the field, nothing written: not a PNG, a signature of no signatory, another
    // role, a user who is not a signatory.
    let head = api.head().await;
    let (status, out) = api
        .call(
            "/api/LK/specimens",
            Some(&admin),
            Some(record(
                "signature",
                Some("signatory"),
                b"GIF89a not a png at all",
            )),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    assert_eq!(out["violations"][0]["field"], "image", "{out}");
    let (status, out) = api
        .call(
            "/api/LK/specimens",
            Some(&admin),
            Some(record("signature", None, SIGNATURE)),
        )
        .await;
    assert_eq!(out["violations"][0]["field"], "signatory", "{status} {out}");
    let (status, out) = api
        .call(
            "/api/LK/specimens",
            Some(&admin),
            Some(record("signature", Some("officer"), SIGNATURE)),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    assert_eq!(out["violations"][0]["field"], "signatory", "{out}");
    let officer = api.login("officer").await;
    let (status, out) = api
        .call(
            "/api/LK/specimens",
            Some(&officer),
            Some(record("stamp", None, STAMP)),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{out}");
    assert_eq!(api.head().await, head, "nothing written");

    // Recorded: the signatory's signature and the Authority's stamp.
    let (status, out) = api
        .call(
            "/api/LK/specimens",
            Some(&admin),
            Some(record("signature", Some("signatory"), SIGNATURE)),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let (status, out) = api
        .call(
            "/api/LK/specimens",
            Some(&admin),
            Some(record("stamp", None, STAMP)),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");

    // A permit issued after: its PDF carries both images (and the seal's QR is vectors).
    let application = json!({"document_type": "export_permit", "importing_country": "DE",
        "lines": [{"species": "Python regius", "source": "W", "purpose": "T", "term": "SKI", "quantity": 5}]});
    let id = api.submit_and_approve("trader", application, &[]).await;
    let (status, out) = api
        .act(&officer, &id, "waive-fee", json!({"reason": "demo"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let signatory = api.login("signatory").await;
    let (status, out) = api.act(&signatory, &id, "issue", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let position = out["position"].as_str().unwrap().to_string();
    let query = query_router(&api, &url, Duration::from_secs(10)).await;
    let customs = api.login("customs").await;
    let (status, pdf) = get(
        &query,
        &format!("/api/LK/permits/{id}/document.pdf"),
        Some(&customs),
        &position,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&pdf));
    let images = tokio::task::block_in_place(|| images_in(&pdf));
    assert!(
        images.contains(&(160, 40)),
        "the signature is printed: {images:?}"
    );
    assert!(
        images.contains(&(80, 80)),
        "the stamp is printed: {images:?}"
    );

    // Published with no login, by digest; the image behind its name is the recorded one.
    let pool = ecites_projector::db::pool(&url, ecites_projector::db::ACTIVE_SCHEMA, 2)
        .await
        .unwrap();
    let public = ecites_query::specimens::router(pool);
    let (status, body) = get(
        &public,
        "/.well-known/ecites-specimens.json",
        None,
        &position,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let list: Value = serde_json::from_slice(&body).unwrap();
    let specimens = list["parties"][0]["specimens"].as_array().unwrap();
    assert_eq!(list["parties"][0]["party"], "LK");
    assert_eq!(specimens.len(), 2, "{list}");
    let signature = specimens.iter().find(|s| s["kind"] == "signature").unwrap();
    assert_eq!(signature["signatory"], "signatory");
    let digest = hex::encode(sha2::Sha256::digest(SIGNATURE));
    assert_eq!(signature["sha256"], digest.as_str());
    let (status, image) = get(&public, signature["url"].as_str().unwrap(), None, &position).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(image, SIGNATURE);
    let (status, _) = get(
        &public,
        &format!("/.well-known/ecites-specimens/{}.png", "0".repeat(64)),
        None,
        &position,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = get(
        &public,
        "/.well-known/ecites-specimens/..%2Fx.png",
        None,
        &position,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Withdrawn: listed with when and why; the permit issued before still prints it.
    let sid = signature["specimen_id"].as_str().unwrap();
    let (status, out) = api
        .call(
            &format!("/api/LK/specimens/{sid}/withdraw"),
            Some(&admin),
            Some(json!({"command_id": Uuid::now_v7(), "reason": "left the Authority"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let withdrawn_at = out["position"].as_str().unwrap().to_string();
    let (_, again) = get(
        &query,
        &format!("/api/LK/permits/{id}/document.pdf"),
        Some(&customs),
        &withdrawn_at,
    )
    .await;
    assert_eq!(again, pdf, "the permit's document does not change");
    let (_, body) = get(
        &public,
        "/.well-known/ecites-specimens.json",
        None,
        &position,
    )
    .await;
    let list: Value = serde_json::from_slice(&body).unwrap();
    let signature = list["parties"][0]["specimens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == "signature")
        .unwrap()
        .clone();
    assert_eq!(
        signature["withdrawn_reason"], "left the Authority",
        "{list}"
    );
    assert!(signature["withdrawn_at"].is_string());
}
