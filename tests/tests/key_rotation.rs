//! `ecites keys rotate` through the CLI on a real NATS server: the Party's keyring aggregate
//! records the new key, signed by the key it retires; later appends are signed by the new key
//! and the whole log still verifies.

use base64::{engine::general_purpose::STANDARD as B64, Engine};
use ecites_events::export::ExportLine;
use ecites_tests::speciesplus::fixture_dir;
use ecites_tests::*;
use serde_json::Value;
use std::path::Path;

fn active_key(keys_dir: &Path) -> String {
    let ring: Value =
        serde_json::from_slice(&std::fs::read(keys_dir.join("LK/keyring.json")).unwrap()).unwrap();
    let active: Vec<&Value> = ring["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["retired_at"].is_null())
        .collect();
    assert_eq!(active.len(), 1, "{ring}");
    active[0]["key_id"].as_str().unwrap().to_string()
}

fn export(cli: &Cli, file: &Path) -> Vec<(ExportLine, Value)> {
    let (code, text) = cli.run(&[
        "audit",
        "export",
        "--party",
        "LK",
        "--out",
        file.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{text}");
    std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .map(|l| {
            let line: ExportLine = serde_json::from_str(l).unwrap();
            let body: Value = serde_json::from_slice(&B64.decode(&line.body).unwrap()).unwrap();
            (line, body)
        })
        .collect()
}

#[test]
fn a_rotation_is_recorded_signed_by_the_retired_key_and_the_log_still_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    let cli = Cli::new(&keys);
    assert_eq!(cli.run(&["keys", "generate", "--party", "LK"]).0, 0);
    let (code, text) = cli.run(&["party", "provision", "--party", "LK"]);
    assert_eq!(code, 0, "{text}");
    let old = active_key(&keys);

    let (code, text) = cli.run(&["keys", "rotate", "--party", "LK"]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("the log records the rotation"), "{text}");
    let new = active_key(&keys);
    assert_ne!(old, new);

    // Appends after the rotation are signed by the new key.
    let fixtures = fixture_dir();
    let (code, text) = cli.run(&[
        "species",
        "import",
        "--party",
        "LK",
        "--dir",
        fixtures.path().to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{text}");

    let (code, text) = cli.run(&["audit", "verify", "--party", "LK"]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("OK: Party LK"), "{text}");

    let events = export(&cli, &dir.path().join("lk.jsonl"));
    let keyring: Vec<&(ExportLine, Value)> = events
        .iter()
        .filter(|(_, b)| b["aggregate_type"] == "keyring")
        .collect();
    assert_eq!(keyring.len(), 2, "provision + rotation");
    let (line, body) = keyring[1];
    assert_eq!(body["event_type"], "SigningKeyActivated");
    assert_eq!(body["version"], 2);
    assert_eq!(body["payload"]["key_id"], new.as_str());
    assert_eq!(body["payload"]["retires"], old.as_str());
    assert_eq!(
        line.headers.key_id.as_deref(),
        Some(old.as_str()),
        "the retired key vouches for its successor"
    );
    let taxa: Vec<&(ExportLine, Value)> = events
        .iter()
        .filter(|(_, b)| b["aggregate_type"] == "taxon")
        .collect();
    assert!(!taxa.is_empty());
    assert!(taxa
        .iter()
        .all(|(l, _)| l.headers.key_id.as_deref() == Some(new.as_str())));

    // The public key the log vouched for is the one the keyring exports.
    let (code, public) = cli.run(&["keys", "export-public", "--party", "LK"]);
    assert_eq!(code, 0);
    let public: Value = serde_json::from_str(&public).unwrap();
    let exported = public["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["key_id"] == new.as_str())
        .unwrap();
    assert_eq!(exported["public_key"], body["payload"]["public_key"]);
}

#[test]
fn rotating_a_party_without_a_stream_changes_only_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    let cli = Cli::new(&keys);
    assert_eq!(cli.run(&["keys", "generate", "--party", "LK"]).0, 0);
    let old = active_key(&keys);
    let (code, text) = cli.run(&["keys", "rotate", "--party", "LK"]);
    assert!(code == 0 && text.contains("not provisioned"), "{text}");
    assert_ne!(active_key(&keys), old);
    // Provisioning now records the key active then.
    let (code, text) = cli.run(&["party", "provision", "--party", "LK"]);
    assert_eq!(code, 0, "{text}");
    let (code, text) = cli.run(&["audit", "verify", "--party", "LK"]);
    assert_eq!(code, 0, "{text}");
}
