//! Signed tree heads over each Party's stream (issue #12), on `ecites serve` with real NATS and
//! PostgreSQL: a command's receipt is proven included in a tree head the Party signed, tree heads
//! are consistent with each other, the tree rebuilt from the log gives the same roots and the
//! same tables, what is missing from an export or a stream is named, and witnesses refuse a
//! fork.

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

    // The same check offline, from files, as an importing country's authority would run it.
    let dir = tempfile::tempdir().unwrap();
    let (head_file, proof_file) = (dir.path().join("head.json"), dir.path().join("proof.json"));
    std::fs::write(&head_file, answer.to_string()).unwrap();
    std::fs::write(&proof_file, proof.to_string()).unwrap();
    let check = |hash: &str| {
        sys.cli(&[
            "audit",
            "check-proof",
            "--checkpoint",
            head_file.to_str().unwrap(),
            "--inclusion",
            proof_file.to_str().unwrap(),
            "--hash",
            hash,
        ])
    };
    let (code, out) = check(receipt["hash"].as_str().unwrap());
    assert_eq!(code, 0, "{out}");
    let (code, out) = check(&hex::encode([1u8; 32]));
    assert_eq!(code, 1, "{out}");

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

/// The export of LK's log as lines, and the latest tree head as the checkpoint route answers it.
async fn export_and_head(
    sys: &TestSystem,
    dir: &std::path::Path,
) -> (Vec<String>, std::path::PathBuf) {
    let file = dir.join("export.jsonl");
    let (code, out) = sys.cli(&[
        "audit",
        "export",
        "--party",
        "LK",
        "--out",
        file.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}");
    let lines: Vec<String> = std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    let (_, answer) = head_covering(sys, lines.len() as u64 - 1).await;
    let head_file = dir.join("checkpoint.json");
    std::fs::write(&head_file, answer.to_string()).unwrap();
    (lines, head_file)
}

fn verify_file(
    sys: &TestSystem,
    lines: &[String],
    dir: &std::path::Path,
    checkpoint: &std::path::Path,
) -> (u8, String) {
    verify_lines(sys, lines, dir, Some(checkpoint))
}

/// `audit verify --file` of `lines`, held against `checkpoint` when one is given.
fn verify_lines(
    sys: &TestSystem,
    lines: &[String],
    dir: &std::path::Path,
    checkpoint: Option<&std::path::Path>,
) -> (u8, String) {
    let file = dir.join("cut.jsonl");
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    let keys = dir.join("keys.json");
    let (code, out) = sys.cli(&[
        "keys",
        "export-public",
        "--party",
        "LK",
        "--out",
        keys.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}");
    let mut args = vec![
        "audit",
        "verify",
        "--file",
        file.to_str().unwrap(),
        "--keys",
        keys.to_str().unwrap(),
    ];
    if let Some(c) = checkpoint {
        args.extend(["--checkpoint", c.to_str().unwrap()]);
    }
    sys.cli(&args)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_changed_before_a_head_it_records_fails_without_a_head_given() {
    let sys = system().await;
    let admin = sys.login("LK", "admin").await;
    for s in ["Python regius", "Panthera tigris"] {
        command(&sys, &admin, s).await;
        quiet_tree(&sys).await;
    }
    let dir = tempfile::tempdir().unwrap();
    let (lines, _) = export_and_head(&sys, dir.path()).await;
    let (code, out) = verify_lines(&sys, &lines, dir.path(), None);
    assert_eq!(code, 0, "{out}");
    // Two events swapped before the last recorded head: every chain may still link (they
    // are of different aggregates), the recorded head's root does not.
    let last_head = lines
        .iter()
        .rposition(|l| l.contains(".tree_head."))
        .expect("a recorded tree head");
    assert!(last_head >= 2, "{last_head}");
    let mut swapped = lines[..last_head + 1].to_vec();
    swapped.swap(0, 1);
    let (code, out) = verify_lines(&sys, &swapped, dir.path(), None);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("a tree head the log records"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_export_or_a_removed_last_event_fails_against_the_tree_head() {
    let sys = system().await;
    let admin = sys.login("LK", "admin").await;
    for s in ["Python regius", "Panthera tigris", "Dalbergia nigra"] {
        command(&sys, &admin, s).await;
    }
    sys.settled(lk(), WAIT).await;
    let dir = tempfile::tempdir().unwrap();
    let (lines, checkpoint) = export_and_head(&sys, dir.path()).await;
    let head: Value = serde_json::from_str(&std::fs::read_to_string(&checkpoint).unwrap()).unwrap();
    let size = head["head"]["size"].as_u64().unwrap();
    let (code, out) = verify_file(&sys, &lines, dir.path(), &checkpoint);
    assert_eq!(code, 0, "the whole export matches: {out}");

    // Cut by one event: its sequence is named.
    let cut = &lines[..size as usize - 1];
    let (code, out) = verify_file(&sys, cut, dir.path(), &checkpoint);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!("covers sequences {size} to {size}")),
        "{out}"
    );

    // The last event of one aggregate (the national list's last change) removed from the middle.
    let last_config = lines
        .iter()
        .rposition(|l| l.contains(".party_config."))
        .expect("a configuration event");
    let mut removed = lines.clone();
    removed.remove(last_config);
    let (code, out) = verify_file(&sys, &removed, dir.path(), &checkpoint);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!("sequence {}", last_config + 1)),
        "{out}"
    );
    assert!(
        out.contains("tree-head") || out.contains("root of the tree head given"),
        "{out}"
    );

    // A forged tree head (another root) does not verify.
    let mut forged = head.clone();
    forged["head"]["root"] = json!(hex::encode([5u8; 32]));
    let forged_file = dir.path().join("forged.json");
    std::fs::write(&forged_file, forged.to_string()).unwrap();
    let (code, out) = verify_file(&sys, &lines, dir.path(), &forged_file);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("tree head does not verify"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_restored_without_its_last_events_fails_against_its_tree_head() {
    let sys = system().await;
    let admin = sys.login("LK", "admin").await;
    // Each command settled before the next, so the log holds a tree head after each.
    for s in ["Python regius", "Panthera tigris"] {
        command(&sys, &admin, s).await;
        quiet_tree(&sys).await;
    }
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
    let (code, out) = sys.cli(&["audit", "verify", "--party", "LK"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("signed tree head"), "{out}");
    // The stream recreated without its last three events (a node that lost its tail).
    let js = async_nats::jetstream::new(sys.log.nats_client());
    let stream = format!("{}_LK", sys.config.stream_prefix);
    js.delete_stream(&stream).await.unwrap();
    sys.log.provision_party(lk()).await.unwrap();
    let keep = events.len() - 3;
    assert!(keep > 0, "{} events", events.len());
    ecites_tests::republish(&js, &events[..keep]).await;
    let (code, out) = sys.cli(&["audit", "verify", "--party", "LK"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!("covers sequences {}", keep + 1)),
        "{out}"
    );
    // The archive still holds them: restoring from it brings the stream back to its tree head.
    let (code, out) = sys.cli(&["restore", "--party", "LK", "--replace"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(&format!("restored {} events", events.len())),
        "{out}"
    );
    let (code, out) = sys.cli(&["audit", "verify", "--party", "LK"]);
    assert_eq!(code, 0, "{out}");
}

/// Every row of the tree projection's tables that the log determines, in a stable order.
async fn tree_tables(database_url: &str) -> Result<Vec<String>, sqlx::Error> {
    let pool = ecites_projector::db::pool(database_url, "ecites_tree", 1)
        .await
        .unwrap();
    // One snapshot: the projector commits nodes and checkpoint together, and reading the
    // tables one by one could see the checkpoint of a batch without its nodes.
    let mut tx = pool.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        .execute(&mut *tx)
        .await?;
    let mut rows = vec![];
    for sql in [
        "SELECT party || ' ' || level || ' ' || idx || ' ' || encode(hash, 'hex') FROM nodes \
         ORDER BY party, level, idx",
        "SELECT party || ' ' || sequence FROM checkpoint ORDER BY party",
        "SELECT party || ' content ' || content_size FROM contents ORDER BY party",
        "SELECT t::text FROM tree_heads t ORDER BY party, size",
    ] {
        let found: Vec<(String,)> = sqlx::query_as(sql).fetch_all(&mut *tx).await?;
        rows.extend(found.into_iter().map(|(r,)| r));
    }
    tx.commit().await?;
    pool.close().await;
    Ok(rows)
}

/// The live tree tables once the signer has nothing left to sign: a head covers every
/// event other than heads, and the projection has applied the log up to its last event.
async fn quiet_tree(sys: &TestSystem) -> Vec<String> {
    let start = Instant::now();
    loop {
        sys.settled(lk(), WAIT).await;
        let head = sys.log.head(lk()).await.unwrap();
        let pool = ecites_projector::db::pool(sys.config.database_url.expose(), "ecites_tree", 1)
            .await
            .unwrap();
        let (covered,): (bool,) = sqlx::query_as(
            "SELECT EXISTS (SELECT 1 FROM tree_heads h JOIN contents c USING (party) \
             WHERE h.size >= c.content_size)",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        pool.close().await;
        let rows = tree_tables(sys.config.database_url.expose()).await.unwrap();
        if covered && rows.contains(&format!("LK {head}")) {
            return rows;
        }
        assert!(
            start.elapsed() < WAIT,
            "no tree head covered the log: {rows:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tree_projection_rebuilt_from_the_log_is_the_same_byte_for_byte() {
    use ecites_projector::runner::{run, ProjectorConfig};
    use ecites_projector::status::Status;
    use std::sync::Arc;
    let sys = system().await;
    let admin = sys.login("LK", "admin").await;
    for s in ["Python regius", "Panthera tigris"] {
        command(&sys, &admin, s).await;
    }
    let live = quiet_tree(&sys).await;
    assert!(live.iter().any(|r| r.starts_with("LK 0 ")), "{live:?}");

    let fresh = ecites_tests::readside::test_database().await;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let projector = tokio::spawn(run(
        Arc::new(sys.log.clone()),
        Arc::new(public_keys(&sys)),
        vec![lk()],
        ProjectorConfig::new(&fresh),
        Status::default(),
        stopped,
    ));
    let head = sys.log.head(lk()).await.unwrap();
    let start = Instant::now();
    let rebuilt = loop {
        // Until the projector has migrated the fresh database, its tables do not exist.
        if let Ok(rows) = tree_tables(&fresh).await {
            if rows.contains(&format!("LK {head}")) {
                break rows;
            }
        }
        assert!(start.elapsed() < WAIT, "the rebuild did not reach {head}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let _ = stop.send(true);
    projector.await.unwrap().unwrap();
    assert_eq!(live, rebuilt);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn witnesses_cosign_consistent_heads_and_refuse_a_forked_one() {
    use ecites_projector::witness::{
        router, CosignRequest, Refusal, Seen, WitnessEndpoint, WitnessState,
    };
    // A witness of the test's own, on a free port.
    let witness_dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let holder: std::sync::Arc<std::sync::OnceLock<std::sync::Arc<WitnessState>>> =
        Default::default();
    let sys = TestSystem::builder()
        .party("LK")
        .user("LK", "admin", Role::PartyAdmin, None)
        .user("LK", "operator", Role::SystemOperator, None)
        .configure({
            let url = url.clone();
            move |c| {
                c.witnesses = vec![WitnessEndpoint {
                    name: "ngo-1".into(),
                    url,
                }]
            }
        })
        .build()
        .await;
    let state = std::sync::Arc::new(WitnessState {
        name: "ngo-1".into(),
        key: ecites::cli::witness::load_or_create_key(&witness_dir.path().join("key")).unwrap(),
        keys: public_keys(&sys),
        state_file: Some(witness_dir.path().join("state.json")),
        last: Default::default(),
    });
    let _ = holder.set(state.clone());
    tokio::spawn(async move { axum::serve(listener, router(state)).await });

    let admin = sys.login("LK", "admin").await;
    let mut sizes = vec![];
    for s in ["Python regius", "Panthera tigris"] {
        let out = command(&sys, &admin, s).await;
        let sequence = out["receipt"]["sequence"].as_u64().unwrap();
        // Co-signed, and the co-signature verifies.
        let start = Instant::now();
        loop {
            let (_, answer) = head_covering(&sys, sequence).await;
            let head: SignedTreeHead = serde_json::from_value(answer["head"].clone()).unwrap();
            if let Some(c) = answer["cosignatures"].as_array().and_then(|a| a.first()) {
                let c: ecites_events::tree_head::Cosignature =
                    serde_json::from_value(c.clone()).unwrap();
                c.verify(&head).expect("the co-signature verifies");
                sizes.push(head.size);
                break;
            }
            assert!(start.elapsed() < WAIT, "no co-signature: {answer}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    assert!(
        sizes[1] > sizes[0],
        "the second head grew from the first: {sizes:?}"
    );

    // A head of another history, signed with the Party's own key, is refused.
    let w = holder.get().unwrap();
    let store = KeyringStore::new(&sys.config.keys_dir);
    let signer = store.load(lk()).unwrap().signer;
    let last = w.last.lock().unwrap().get(&lk()).cloned().unwrap();
    let forked = SignedTreeHead::sign(
        &signer,
        last.size + 5,
        &[9; 32],
        time::OffsetDateTime::now_utc(),
    );
    let refused = w.cosign(&CosignRequest {
        head: forked,
        from: Some(last.clone()),
        proof: vec![hex::encode([1u8; 32])],
    });
    assert!(
        matches!(refused, Err(Refusal::Invalid(ref r)) if r.contains("not consistent")),
        "{refused:?}"
    );
    let shrunk = SignedTreeHead::sign(
        &signer,
        last.size - 1,
        &[9; 32],
        time::OffsetDateTime::now_utc(),
    );
    let refused = w.cosign(&CosignRequest {
        head: shrunk,
        from: None,
        proof: vec![],
    });
    assert!(
        matches!(refused, Err(Refusal::Invalid(ref r)) if r.contains("shrank")),
        "{refused:?}"
    );
    // Another key cannot sign for LK.
    let other = KeyringStore::new(witness_dir.path())
        .generate("KE".parse().unwrap())
        .unwrap();
    let by_other = SignedTreeHead {
        party: lk(),
        ..SignedTreeHead::sign(
            &other.signer,
            last.size,
            &[9; 32],
            time::OffsetDateTime::now_utc(),
        )
    };
    assert!(matches!(
        w.cosign(&CosignRequest {
            head: by_other,
            from: None,
            proof: vec![]
        }),
        Err(Refusal::Invalid(_))
    ));

    // The witness remembers another history than the log's (as if the log had been rewritten
    // since it co-signed): the system's next head is refused, and that is an alarm.
    sys.healthy(WAIT).await;
    w.last.lock().unwrap().insert(
        lk(),
        Seen {
            size: last.size,
            root: hex::encode([7u8; 32]),
        },
    );
    let body = json!({"command_id": Uuid::now_v7(), "exceptions_allowed": false,
        "basis": "Resolution Conf. 12.3 (Rev. CoP19), paragraph 2 l)"});
    let (s, out) = sys
        .call(
            "POST",
            "/api/LK/config/retrospective-issue",
            Some(&admin),
            Some(body),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{out}");
    let health = sys
        .unhealthy(WAIT, |h| h["witness_refusals"] == json!(1))
        .await;
    assert_eq!(health["status"], "degraded", "{health}");
    let operator = sys.login("LK", "operator").await;
    let (status, metrics) = sys
        .call("GET", "/projector/metrics", Some(&operator), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let text = metrics.as_str().unwrap_or_default();
    assert!(
        text.contains("ecites_witness_refusals_total{party=\"LK\"} 1"),
        "{text}"
    );
}
