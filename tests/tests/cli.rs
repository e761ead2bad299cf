//! The `ecites` command as an operator or auditor uses it: keys, provisioning, live and
//! offline verification of an export, and a tampered export caught with a non-zero exit.

use base64::{engine::general_purpose::STANDARD as B64, Engine};
use ecites_tests::*;
use std::path::Path;

#[test]
fn an_export_verifies_offline_and_a_tampered_one_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli::new(&dir.path().join("keys"));
    assert_eq!(cli.run(&["keys", "generate", "--party", "LK"]).0, 0);
    let (code, text) = cli.run(&[
        "party",
        "provision",
        "--party",
        "LK",
        "--ma-name",
        "Department of Wildlife Conservation",
    ]);
    assert_eq!(code, 0, "{text}");
    let (code, text) = cli.run(&["party", "provision", "--party", "LK"]);
    assert!(code == 0 && text.contains("already provisioned"), "{text}");

    let (code, text) = cli.run(&["audit", "verify", "--party", "LK"]);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("OK: Party LK: 2 events in 2 aggregates"),
        "{text}"
    );
    let (code, text) = cli.run(&[
        "audit",
        "verify",
        "--party",
        "LK",
        "--aggregate",
        "party/LK",
    ]);
    assert!(
        code == 0 && text.contains("1 events in 1 aggregates"),
        "{text}"
    );

    let public = dir.path().join("lk-public.json");
    let export = dir.path().join("lk.jsonl");
    assert_eq!(
        cli.run(&[
            "keys",
            "export-public",
            "--party",
            "LK",
            "--out",
            public.to_str().unwrap()
        ])
        .0,
        0
    );
    let (code, text) = cli.run(&[
        "audit",
        "export",
        "--party",
        "LK",
        "--out",
        export.to_str().unwrap(),
    ]);
    assert!(code == 0 && text.contains("exported 2 events"), "{text}");

    // Offline: only the export and the public keys, nothing from the keys directory or NATS.
    let offline = [
        "ecites",
        "--keys-dir",
        "/nonexistent",
        "--nats-url",
        "nats://127.0.0.1:1",
    ];
    let verify = |file: &Path| {
        let mut argv: Vec<String> = offline.iter().map(|s| s.to_string()).collect();
        argv.extend(
            [
                "audit",
                "verify",
                "--file",
                file.to_str().unwrap(),
                "--keys",
                public.to_str().unwrap(),
            ]
            .map(String::from),
        );
        let mut out = Vec::new();
        let code = ecites::cli::run(argv, &mut out).unwrap();
        (code, String::from_utf8(out).unwrap())
    };
    let (code, text) = verify(&export);
    assert_eq!(code, 0, "{text}");

    let tampered = dir.path().join("tampered.jsonl");
    let lines: Vec<String> = std::fs::read_to_string(&export)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    let mut second: serde_json::Value = serde_json::from_str(&lines[1]).unwrap();
    let body = B64.decode(second["body"].as_str().unwrap()).unwrap();
    let altered = String::from_utf8(body)
        .unwrap()
        .replacen("\"version\":1", "\"version\":7", 1);
    second["body"] = B64.encode(altered).into();
    std::fs::write(&tampered, format!("{}\n{}\n", lines[0], second)).unwrap();
    let (code, text) = verify(&tampered);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("first bad event: sequence 2"), "{text}");
    assert!(text.contains("bad signature"), "{text}");
}

#[test]
fn verify_without_any_public_key_is_an_error_not_a_pass() {
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli::new(&dir.path().join("empty-keys"));
    let (code, text) = cli.run(&["audit", "verify"]);
    assert_eq!(code, 2, "an error, not a verification result: {text}");
    assert!(text.contains("no public keys"), "{text}");
}
