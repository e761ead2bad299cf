//! The `CP1` seal end to end: a permit issued through the API is sealed in the issuance's
//! own commit with the Party's key; `ecites seal verify` checks it offline against the
//! published key list and gives the boxes back; one changed character, or a seal made with
//! another Party's key under LK's name, is not VALID.

use axum::http::StatusCode;
use ecites_command::handler::auth::Role;
use ecites_command::seal::{self, SealClaims};
use ecites_events::payloads::permit::PermitSealed;
use ecites_events::{AggregateRef, EventReader, KeyringStore};
use ecites_tests::api::TestApi;
use ecites_tests::*;
use serde_json::json;

async fn issued_permit(api: &TestApi) -> (String, u64) {
    let application = json!({
        "document_type": "export_permit",
        "importing_country": "DE",
        "lines": [{"species": "Python regius", "source": "W", "purpose": "T", "term": "SKI", "quantity": 40}]
    });
    let id = api.submit_and_approve("trader", application, &[]).await;
    let trader = api.login("trader").await;
    let (_, state) = api
        .call(&format!("/api/LK/permits/{id}"), Some(&trader), None)
        .await;
    let (status, out) = api
        .act(
            &trader,
            &id,
            "payment",
            json!({"amount": state["fee"], "method": {"e_payment": {"reference": "P-1"}}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let signatory = api.login("signatory").await;
    let (status, out) = api.act(&signatory, &id, "issue", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let events: Vec<&str> = out["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e.as_str())
        .collect();
    assert_eq!(
        events,
        ["PermitIssued", "PermitSealed"],
        "sealed in the issuance's commit"
    );
    let sequence = out["position"]
        .as_str()
        .unwrap()
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    (id, sequence)
}

/// The recorded seal of permit `id`, read back from the log and verified.
async fn recorded_seal(api: &TestApi, id: &str) -> PermitSealed {
    use ecites_events::schema::EventPayload;
    let aggregate = AggregateRef::new(lk(), "permit", id).unwrap();
    let keys = api.ledger.public_keys();
    let up = ecites_events::payloads::upcasters();
    for ev in api.ledger.log.read_aggregate(&aggregate).await.unwrap() {
        let v = ecites_events::audit::verify_event(&ev, &keys).unwrap();
        if v.envelope.event_type == PermitSealed::EVENT_TYPE {
            return v.decode(&up).unwrap();
        }
    }
    panic!("no PermitSealed event for {id}");
}

fn verify_offline(dir: &std::path::Path, text: &str) -> (u8, String) {
    let keys = dir.join("ecites-keys.json").display().to_string();
    let cli = Cli::new(&dir.join("no-keys-needed"));
    cli.run(&["seal", "verify", "--keys", &keys, text])
}

#[tokio::test(flavor = "multi_thread")]
async fn an_issued_permit_is_sealed_and_its_seal_verifies_offline_and_tampering_does_not() {
    let api = TestApi::builder()
        .trader("trader", "org")
        .user("officer", Role::MaOfficer)
        .user("signatory", Role::MaSignatory)
        .user("sa", Role::SaExpert)
        .verified_organisations()
        .sealed()
        .build()
        .await;
    let (id, _) = issued_permit(&api).await;
    let sealed = recorded_seal(&api, &id).await;
    assert_eq!(sealed.key_id, api.ledger.ring.signer.key_id.to_string());

    // What a third party saves from /.well-known/ecites-keys.json.
    let dir = tempfile::tempdir().unwrap();
    let ring = api.ledger.store.load_public(lk()).unwrap();
    let published = ecites::cli::seal::PublishedKeys::from_rings(&[ring]);
    std::fs::write(
        dir.path().join("ecites-keys.json"),
        serde_json::to_vec(&published).unwrap(),
    )
    .unwrap();

    let (code, out) = tokio::task::block_in_place(|| verify_offline(dir.path(), &sealed.seal));
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("VALID"), "{out}");
    let year = time::OffsetDateTime::now_utc().year();
    assert!(out.contains(&format!("LK/{year}/000001")), "box 1: {out}");
    assert!(out.contains("Python regius SKI 40"), "the line: {out}");
    assert!(out.contains("DE"), "box 3: {out}");

    // One character changed anywhere after the prefix: never VALID.
    let mut changed = sealed.seal.clone();
    let at = changed.len() / 2;
    let c = if &changed[at..=at] == "A" { "B" } else { "A" };
    changed.replace_range(at..=at, c);
    let (code, out) = tokio::task::block_in_place(|| verify_offline(dir.path(), &changed));
    assert_eq!(code, 1, "{out}");
    assert!(!out.starts_with("VALID"), "{out}");

    // Another Party's key signing a seal in LK's name: its kid is not among LK's keys.
    let other = tempfile::tempdir().unwrap();
    let ke = KeyringStore::new(other.path())
        .generate("KE".parse().unwrap())
        .unwrap()
        .signer;
    let claims: SealClaims = seal::open(&sealed.seal).unwrap().claims;
    let forged = seal::seal(&claims, seal::key_id(&ke.verifying_key()), |m| {
        ke.sign_message(m)
    })
    .unwrap();
    let (code, out) = tokio::task::block_in_place(|| verify_offline(dir.path(), &forged));
    assert_eq!(code, 1, "{out}");
    assert!(out.starts_with("UNKNOWN KEY"), "{out}");
    // …or under LK's kid: the signature does not hold.
    let kid = seal::key_id(&api.ledger.ring.signer.verifying_key());
    let forged = seal::seal(&claims, kid, |m| ke.sign_message(m)).unwrap();
    let (code, out) = tokio::task::block_in_place(|| verify_offline(dir.path(), &forged));
    assert_eq!(code, 1, "{out}");
    assert!(out.starts_with("INVALID"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ecites_serve_publishes_every_partys_seal_keys_for_pinning() {
    use ecites_tests::system::TestSystem;
    let sys = TestSystem::builder().party("LK").party("KE").build().await;
    let (status, published) = sys
        .call("GET", "/.well-known/ecites-keys.json", None, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{published}");
    let published: ecites::cli::seal::PublishedKeys = serde_json::from_value(published).unwrap();
    assert_eq!(published.format, "ecites-keys/1");
    let store = KeyringStore::new(&sys.config.keys_dir);
    for party in ["LK", "KE"] {
        let signer = store.load(party.parse().unwrap()).unwrap().signer;
        let kid = seal::key_id(&signer.verifying_key());
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let key = published.key(party, &kid, now);
        assert_eq!(
            key,
            Some(signer.verifying_key()),
            "{party}'s active key is listed"
        );
        let other = if party == "LK" { "KE" } else { "LK" };
        assert_eq!(
            published.key(other, &kid, now),
            None,
            "a key is only its own Party's"
        );
    }
}
