//! Operable from day one (issue #11): `--help` and `--version` succeed, every answer of
//! `ecites serve` carries a request id, and each request is logged once with it.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use ecites_tests::system::TestSystem;
use std::io::Write;
use std::sync::{Arc, Mutex};

#[test]
fn help_and_version_exit_zero_and_print_on_stdout() {
    for args in [
        vec!["ecites", "--help"],
        vec!["ecites", "--version"],
        vec!["ecites", "audit", "--help"],
        vec!["ecites", "audit", "verify", "--help"],
    ] {
        let mut out = Vec::new();
        let code = ecites::cli::run(args.iter().map(|a| a.to_string()).collect(), &mut out)
            .unwrap_or_else(|e| panic!("{args:?}: {e}"));
        let text = String::from_utf8(out).unwrap();
        assert_eq!(code, 0, "{args:?}: {text}");
        assert!(
            text.contains("Usage") || text.starts_with("ecites "),
            "{args:?}: {text}"
        );
    }
    let mut out = Vec::new();
    let wrong = ecites::cli::run(vec!["ecites".into(), "no-such-command".into()], &mut out);
    assert!(wrong.is_err(), "an unknown command is an error");
}

/// What the subscriber wrote, shared with the test.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn every_request_has_an_id_in_its_answer_and_one_log_line() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .with_env_filter("info")
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();
    let sys = TestSystem::builder().party("LK").build().await;

    let (status, headers, _) = sys
        .send(
            Request::get("/api/public-keys")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let id = headers
        .get("x-request-id")
        .expect("an x-request-id")
        .to_str()
        .unwrap()
        .to_string();
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");

    let (_, again, _) = sys
        .send(
            Request::get("/api/public-keys")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_ne!(again.get("x-request-id").unwrap().to_str().unwrap(), id);

    // A caller's id (a proxy's) is kept, so one request is followed through both logs.
    let (_, given, _) = sys
        .send(
            Request::get("/nowhere")
                .header("x-request-id", "proxy-42")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(given.get("x-request-id").unwrap(), "proxy-42");

    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<&str> = log.lines().filter(|l| l.contains(&id)).collect();
    assert_eq!(lines.len(), 1, "one line for the request {id}:\n{log}");
    assert!(
        lines[0].contains("/api/public-keys") && lines[0].contains("200"),
        "{}",
        lines[0]
    );
    assert!(
        log.lines()
            .any(|l| l.contains("proxy-42") && l.contains("/nowhere") && l.contains("404")),
        "{log}"
    );
}
