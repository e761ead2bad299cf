//! `ecites party retrospective-exceptions` on a real NATS server: the Party's configuration
//! records the policy (as its admin, through the command handler) and the log still verifies.

use base64::{engine::general_purpose::STANDARD as B64, Engine};
use ecites_events::export::ExportLine;
use ecites_tests::*;
use serde_json::Value;

#[test]
fn the_retrospective_policy_is_recorded_as_the_partys_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli::new(&dir.path().join("keys"));
    let run = |args: &[&str]| cli.run(args);
    assert_eq!(run(&["keys", "generate", "--party", "LK"]).0, 0);
    assert_eq!(run(&["party", "provision", "--party", "LK"]).0, 0);
    let (code, text) = run(&[
        "party",
        "retrospective-exceptions",
        "--party",
        "LK",
        "--allowed",
        "true",
        "--basis",
        "Wildlife Regulations 2026, reg. 12",
    ]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("LK allows"), "{text}");
    // An empty basis is refused and nothing is written.
    let (code, text) = run(&[
        "party",
        "retrospective-exceptions",
        "--party",
        "LK",
        "--allowed",
        "false",
        "--basis",
        " ",
    ]);
    assert_ne!(code, 0, "{text}");
    assert!(text.contains("basis"), "{text}");

    let file = dir.path().join("lk.jsonl");
    let (code, text) = run(&[
        "audit",
        "export",
        "--party",
        "LK",
        "--out",
        file.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{text}");
    let bodies: Vec<Value> = std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .map(|l| {
            let line: ExportLine = serde_json::from_str(l).unwrap();
            serde_json::from_slice(&B64.decode(line.body).unwrap()).unwrap()
        })
        .collect();
    let policy: Vec<&Value> = bodies
        .iter()
        .filter(|b| b["event_type"] == "RetrospectiveIssuePolicySet")
        .collect();
    assert_eq!(policy.len(), 1, "{bodies:?}");
    assert_eq!(policy[0]["aggregate_type"], "party_config");
    assert_eq!(policy[0]["payload"]["exceptions_allowed"], true);
    assert_eq!(policy[0]["actor"]["role"], "party_admin");
    let (code, text) = run(&["audit", "verify", "--party", "LK"]);
    assert_eq!(code, 0, "{text}");
}
