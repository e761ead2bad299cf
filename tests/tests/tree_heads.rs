//! Signed tree heads over each Party's stream (issue #12), on `ecites serve` with real NATS and
//! PostgreSQL: a command's receipt is proven included in a tree head the Party signed, tree heads
//! are consistent with each other, and the tree rebuilt from the log gives the same roots.

use axum::http::StatusCode;
use ecites_command::handler::auth::Role;
use ecites_events::merkle;
use ecites_events::tree_head::SignedTreeHead;
use ecites_events::{EventReader, KeyringStore, PartyCode, PublicKeys};
use ecites_tests::system::TestSystem;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use uuid::Uuid;

const WAIT: Duration = Duration::from_secs(60);

fn lk() -> PartyCode {
    "LK".parse().unwrap()
}

pub fn hash(hex_text: &str) -> merkle::Hash {
    let mut out = [0u8; 32];
    hex::decode_to_slice(hex_text, &mut out).expect("64 hex digits");
    out
}

/// Waits until the Party's latest tree head covers `sequence`; the head.
async fn head_covering(sys: &TestSystem, sequence: u64) -> (SignedTreeHead, Value) {
    let start = Instant::now();
    loop {
        let (status, out) = sys.call("GET", "/api/LK/checkpoint", None, None).await;
        if status == StatusCode::OK {
            let head: SignedTreeHead = serde_json::from_value(out["head"].clone()).expect("a head");
            if head.size >= sequence {
                return (head, out);
            }
        }
        assert!(
            start.elapsed() < WAIT,
            "no tree head covers {sequence}: {status} {out}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub fn public_keys(sys: &TestSystem) -> PublicKeys {
    let store = KeyringStore::new(&sys.config.keys_dir);
    let rings: Vec<_> = sys
        .parties
        .iter()
        .map(|p| store.load_public(*p).unwrap())
        .collect();
    PublicKeys::from_rings(&rings).unwrap()
}

pub async fn system() -> TestSystem {
    TestSystem::builder()
        .party("LK")
        .user("LK", "admin", Role::PartyAdmin, None)
        .build()
        .await
}

/// A command whose answer is a receipt: the national list gains a species.
pub async fn command(sys: &TestSystem, token: &str, species: &str) -> Value {
    let body = json!({"command_id": Uuid::now_v7(), "species": species, "note": "receipt test"});
    let (s, out) = sys
        .call(
            "POST",
            "/api/LK/config/national-list",
            Some(token),
            Some(body),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{out}");
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receipt_is_proven_in_a_signed_tree_head_and_heads_are_consistent() {
    let sys = system().await;
    let keys = public_keys(&sys);
    let admin = sys.login("LK", "admin").await;
    let first = command(&sys, &admin, "Python regius").await;
    let receipt = &first["receipt"];
    let sequence = receipt["sequence"].as_u64().expect("a sequence");
    let event_hash = hash(receipt["hash"].as_str().expect("a hash"));
    let (head, answer) = head_covering(&sys, sequence).await;
    head.verify(&keys).expect("the Party signed the tree head");
    assert_eq!(answer["cosignatures"], json!([]), "no witness configured");

    let (s, proof) = sys
        .call(
            "GET",
            &format!(
                "/api/LK/proof/inclusion?sequence={sequence}&size={}",
                head.size
            ),
            None,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{proof}");
    let path: Vec<merkle::Hash> = proof["proof"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| hash(h.as_str().unwrap()))
        .collect();
    let root = head.root_hash().unwrap();
    assert!(merkle::verify_inclusion(
        &merkle::leaf_hash(&event_hash),
        sequence - 1,
        head.size,
        &path,
        &root
    ));
    // Another event's hash is not in it at that place.
    assert!(!merkle::verify_inclusion(
        &merkle::leaf_hash(&[1; 32]),
        sequence - 1,
        head.size,
        &path,
        &root
    ));

    // A later head grows from this one.
    let second = command(&sys, &admin, "Panthera tigris").await;
    let later = second["receipt"]["sequence"].as_u64().unwrap();
    let (next, _) = head_covering(&sys, later).await;
    assert!(next.size > head.size);
    let (s, proof) = sys
        .call(
            "GET",
            &format!(
                "/api/LK/proof/consistency?from={}&to={}",
                head.size, next.size
            ),
            None,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{proof}");
    let path: Vec<merkle::Hash> = proof["proof"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| hash(h.as_str().unwrap()))
        .collect();
    assert!(merkle::verify_consistency(
        head.size,
        next.size,
        &root,
        &next.root_hash().unwrap(),
        &path
    ));
    let (s, by_size) = sys
        .call(
            "GET",
            &format!("/api/LK/checkpoint?size={}", head.size),
            None,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(by_size["head"]["root"], head.root);

    // The tree rebuilt from the log alone gives the same root.
    let events: Vec<_> = {
        use futures::TryStreamExt;
        sys.log
            .read_party(lk(), 1)
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap()
    };
    let mut rebuilt = merkle::MemoryTree::default();
    for e in events.iter().take(next.size as usize) {
        rebuilt.push(&e.hash().0);
    }
    assert_eq!(hex::encode(rebuilt.root()), next.root);
    // Bad questions are refused naming their field.
    let (s, out) = sys
        .call("GET", "/api/LK/proof/inclusion?sequence=0", None, None)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{out}");
    let (s, out) = sys
        .call("GET", "/api/LK/proof/consistency?from=9&to=2", None, None)
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{out}");
}
