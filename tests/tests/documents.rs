//! Supporting documents end to end on real NATS, through HTTP: stored content-addressed, named
//! by the application (and so by its event), refused when not stored, read only by the
//! uploader, the members and agents its organisation lists (as the log has them now: sharing the
//! account's organisation id is not membership) and the Party's officials.

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use ecites_command::handler::auth::Role;
use ecites_command::handler::document_types::DocumentKind;
use ecites_events::audit::verify_event;
use ecites_events::payloads::permit::ApplicationSubmitted;
use ecites_events::{AggregateRef, EventReader};
use ecites_tests::api::TestApi;
use ecites_tests::*;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::path::Path;
use uuid::Uuid;

async fn api() -> TestApi {
    TestApi::builder()
        .trader("trader-a", "org-a")
        .trader("clerk-a", "org-a")
        .trader("trader-b", "org-b")
        .trader("broker", "brokerage")
        .user("officer", Role::MaOfficer)
        .user("auditor", Role::Auditor)
        .verified_organisations()
        .document_store()
        .build()
        .await
}

async fn upload(
    api: &TestApi,
    token: &str,
    bytes: Vec<u8>,
    content_type: &str,
) -> (StatusCode, Value) {
    let req = Request::post("/api/LK/documents")
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", content_type)
        .body(Body::from(bytes))
        .unwrap();
    let (status, _, body) = api.send(req).await;
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

async fn download(api: &TestApi, token: &str, sha: &str) -> (StatusCode, HeaderMap, Vec<u8>) {
    let req = Request::get(format!("/api/LK/documents/{sha}"))
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    api.send(req).await
}

async fn submit(api: &TestApi, token: &str, documents: &[&str]) -> (StatusCode, Value) {
    let body = json!({"command_id": Uuid::now_v7(), "application": application(documents)});
    api.call("/api/LK/permits", Some(token), Some(body)).await
}

fn application(documents: &[&str]) -> Value {
    json!({
        "document_type": "export_permit",
        "importing_country": "DE",
        "lines": [{"species": "Python regius", "source": "W", "purpose": "T", "term": "SKI", "quantity": 10}],
        "supporting_documents": documents,
    })
}

/// `user` added to org-a by its registrant, as `capacity`.
async fn list_in_org_a(api: &TestApi, user: &str, capacity: Value) {
    let founder = api.login("trader-a").await;
    let body = json!({"user_id": user, "capacity": capacity});
    let (status, out) = api
        .organisation_act(&founder, api.organisation("org-a"), "add-member", body)
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
}

/// `text` behind the PNG signature: what the store takes as a PNG.
fn png(text: &[u8]) -> Vec<u8> {
    [&b"\x89PNG\r\n\x1a\n"[..], text].concat()
}

/// A PDF of exactly `len` bytes.
fn pdf_of_len(len: usize) -> Vec<u8> {
    let mut v = b"%PDF-1.7\n".to_vec();
    v.resize(len, b'0');
    v
}

fn sha256(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// Every file of the store: documents named by their hash, their metadata, nothing else.
fn check_store(dir: &Path) -> usize {
    let mut documents = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if let Some(sha) = name.strip_suffix(".meta.json") {
            assert!(
                dir.join(sha).exists(),
                "metadata without its document: {name}"
            );
            continue;
        }
        assert_eq!(name.len(), 64, "unexpected file {name}");
        let bytes = std::fs::read(dir.join(&name)).unwrap();
        assert_eq!(sha256(&bytes), name, "a stored file's hash is its name");
        documents += 1;
    }
    documents
}

#[tokio::test]
async fn a_document_is_stored_under_its_hash_and_recorded_by_the_application() {
    let api = api().await;
    let a = api.login("trader-a").await;
    let pdf = b"%PDF-1.7 captive breeding records, farm 12".to_vec();
    let (status, out) = upload(&api, &a, pdf.clone(), "application/pdf").await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    let sha = sha256(&pdf);
    assert_eq!(
        out,
        json!({"sha256": sha, "size": pdf.len(), "content_type": "application/pdf"})
    );
    // The same bytes again: the same document, nothing new stored.
    let (status, out) = upload(&api, &a, pdf.clone(), "application/pdf").await;
    assert_eq!((status, &out["sha256"]), (StatusCode::OK, &json!(sha)));
    assert_eq!(check_store(&api.document_store_dir()), 1);

    // The application names it (in any case of hex) and its event records the hash.
    let (status, out) = submit(&api, &a, &[&sha.to_ascii_uppercase()]).await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    let permit = out["permit_id"].as_str().unwrap();
    let agg = AggregateRef::new(lk(), "permit", permit).unwrap();
    let events = api.ledger.log.read_aggregate(&agg).await.unwrap();
    let submitted: ApplicationSubmitted = verify_event(&events[0], &api.ledger.public_keys())
        .unwrap()
        .decode(&ecites_events::payloads::upcasters())
        .unwrap();
    assert_eq!(submitted.content.supporting_documents, vec![sha.clone()]);

    // Back to its organisation's listed users and the officials, as uploaded.
    list_in_org_a(&api, "clerk-a", json!("member")).await;
    for user in ["trader-a", "clerk-a", "officer", "auditor"] {
        let token = api.login(user).await;
        let (status, headers, bytes) = download(&api, &token, &sha).await;
        assert_eq!(status, StatusCode::OK, "{user}");
        assert_eq!(bytes, pdf, "{user}");
        assert_eq!(headers["content-type"], "application/pdf");
        assert_eq!(headers["x-content-type-options"], "nosniff");
    }
    // Another organisation's trader is not even told it exists.
    let b = api.login("trader-b").await;
    let (status, _, body) = download(&api, &b, &sha).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!String::from_utf8_lossy(&body).contains("captive"));
    let (absent, _, _) = download(&api, &b, &sha256(b"never uploaded")).await;
    assert_eq!(
        absent, status,
        "the same answer as for a document that is not there"
    );
    let req = Request::get(format!("/api/LK/documents/{sha}"))
        .body(Body::empty())
        .unwrap();
    assert_eq!(api.send(req).await.0, StatusCode::UNAUTHORIZED);
    let (status, _, _) = download(&api, &a, "../../etc/passwd").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "not even routed");
    let (status, _, _) = download(&api, &a, &"z".repeat(64)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Uploading the same bytes makes them readable to the second uploader's organisation.
    let (status, _) = upload(&api, &b, pdf.clone(), "application/pdf").await;
    assert_eq!(status, StatusCode::OK);
    let (status, headers, _) = download(&api, &b, &sha).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/pdf");
}

#[tokio::test]
async fn an_application_naming_a_document_not_stored_is_refused_and_nothing_written() {
    let api = api().await;
    let a = api.login("trader-a").await;
    let scan = png(b"a scan that was never uploaded");
    let missing = sha256(&scan);
    let head = api.ledger.log.head(lk()).await.unwrap();
    let (status, out) = submit(&api, &a, &[&missing]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    assert_eq!(out["violations"][0]["rule"], "DATA-DOCUMENT");
    assert_eq!(out["violations"][0]["field"], "supporting_documents");
    assert!(out["violations"][0]["message"]
        .as_str()
        .unwrap()
        .contains(&missing));
    assert_eq!(
        api.ledger.log.head(lk()).await.unwrap(),
        head,
        "nothing written"
    );

    // The same at resubmission; once uploaded, the hash is accepted.
    let (status, out) = submit(&api, &a, &[]).await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    let permit = out["permit_id"].as_str().unwrap().to_string();
    let officer = api.login("officer").await;
    let body = json!({"command_id": Uuid::now_v7(), "reason": "attach the breeding records"});
    let (status, out) = api
        .call(
            &format!("/api/LK/permits/{permit}/return"),
            Some(&officer),
            Some(body),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let resubmit =
        |docs: &[&str]| json!({"command_id": Uuid::now_v7(), "application": application(docs)});
    let path = format!("/api/LK/permits/{permit}/resubmit");
    let head = api.ledger.log.head(lk()).await.unwrap();
    let (status, out) = api.call(&path, Some(&a), Some(resubmit(&[&missing]))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    assert_eq!(out["violations"][0]["rule"], "DATA-DOCUMENT");
    assert_eq!(
        api.ledger.log.head(lk()).await.unwrap(),
        head,
        "nothing written"
    );
    let (status, out) = upload(&api, &a, scan, "image/png").await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    let (status, out) = api.call(&path, Some(&a), Some(resubmit(&[&missing]))).await;
    assert_eq!(status, StatusCode::OK, "{out}");
}

#[tokio::test]
async fn uploads_are_bounded_raw_and_by_those_who_file() {
    let api = api().await;
    let a = api.login("trader-a").await;
    let cap = DocumentKind::Pdf.max_bytes();
    let (status, out) = upload(&api, &a, pdf_of_len(cap + 1), "application/pdf").await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{out}");
    assert_eq!(out["status"], 413);
    let (status, _) = upload(
        &api,
        &a,
        b"--x\r\n".to_vec(),
        "multipart/form-data; boundary=x",
    )
    .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let (status, _) = upload(&api, &a, vec![], "application/pdf").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let auditor = api.login("auditor").await;
    let (status, _) = upload(&api, &auditor, pdf_of_len(100), "application/pdf").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(check_store(&api.document_store_dir()), 0, "nothing stored");
    // Exactly at the limit is fine.
    let (status, out) = upload(&api, &a, pdf_of_len(cap), "application/pdf").await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    assert_eq!(check_store(&api.document_store_dir()), 1);
}

#[tokio::test]
async fn documents_follow_the_organisation_s_list_not_the_account_s_organisation() {
    let api = api().await;
    let a = api.login("trader-a").await;
    let licence = b"%PDF-1.7 farm licence of org-a".to_vec();
    let (status, out) = upload(&api, &a, licence.clone(), "application/pdf").await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    let sha = sha256(&licence);
    let status_of = |user: &'static str| {
        let (api, sha) = (&api, sha.clone());
        async move {
            let token = api.login(user).await;
            download(api, &token, &sha).await.0
        }
    };

    // An account opened for org-a that org-a does not list reads nothing of it.
    assert_eq!(status_of("clerk-a").await, StatusCode::NOT_FOUND);
    // Listed as a member, the clerk reads it; its own uploads are for org-a too.
    list_in_org_a(&api, "clerk-a", json!("member")).await;
    assert_eq!(status_of("clerk-a").await, StatusCode::OK);
    let clerk = api.login("clerk-a").await;
    let scan = png(b"clerk's scan of the breeding records");
    let (status, _) = upload(&api, &clerk, scan.clone(), "image/png").await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(download(&api, &a, &sha256(&scan)).await.0, StatusCode::OK);

    // An agent of org-a (whose account is its own brokerage's) reads org-a's documents.
    assert_eq!(status_of("broker").await, StatusCode::NOT_FOUND);
    list_in_org_a(
        &api,
        "broker",
        json!({"agent": {"agency_organisation_id": api.organisation("brokerage")}}),
    )
    .await;
    assert_eq!(status_of("broker").await, StatusCode::OK);
    assert_eq!(status_of("trader-b").await, StatusCode::NOT_FOUND);

    // Removed by the organisation's staff, the clerk reads none of its documents any more,
    // though the account still carries org-a's id; only what it uploaded itself stays its.
    let (status, out) = api
        .organisation_act(
            &a,
            api.organisation("org-a"),
            "remove-member",
            json!({"user_id": "clerk-a"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let (status, _, body) = download(&api, &clerk, &sha).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!String::from_utf8_lossy(&body).contains("farm licence"));
    assert_eq!(
        download(&api, &clerk, &sha256(&scan)).await.0,
        StatusCode::OK
    );
    // The agent, removed, too.
    let (status, _) = api
        .organisation_act(
            &a,
            api.organisation("org-a"),
            "remove-member",
            json!({"user_id": "broker"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(status_of("broker").await, StatusCode::NOT_FOUND);
    // The organisation's members and the officials still read both.
    for user in ["trader-a", "officer", "auditor"] {
        let token = api.login(user).await;
        for doc in [&sha, &sha256(&scan)] {
            assert_eq!(
                download(&api, &token, doc).await.0,
                StatusCode::OK,
                "{user}"
            );
        }
    }
}
