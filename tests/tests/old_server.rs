//! Servers before 2.12 accept batch headers but store the messages one by one. The ledger
//! must refuse to run on them: at connect (version) and on the stream (config read-back).

use ecites_events::jetstream::{self, JetStreamLog, LogError};
use ecites_tests::*;

fn old_url() -> String {
    env_url("ECITES_TEST_OLD_NATS_URL")
}

#[tokio::test]
async fn connecting_to_a_server_before_2_12_is_refused() {
    let err = JetStreamLog::connect(&old_url(), unique_config())
        .await
        .err();
    match err {
        Some(LogError::ServerTooOld { found }) => assert!(found.starts_with("2.1"), "{found}"),
        other => panic!("expected ServerTooOld, got {other:?}"),
    }
}

#[tokio::test]
async fn an_old_server_drops_atomic_publish_and_the_stream_check_catches_it() {
    let client = async_nats::connect(old_url()).await.unwrap();
    let js = async_nats::jetstream::new(client);
    let config = unique_config();
    let wanted = jetstream::stream_config(&config, lk());
    assert!(wanted.allow_atomic_publish);
    let stream = js.create_stream(wanted.clone()).await.unwrap();
    let read_back = &stream.cached_info().config;
    assert!(
        !read_back.allow_atomic_publish,
        "the old server silently dropped the flag"
    );
    let err = jetstream::verify_stream_config(&wanted.name, read_back).unwrap_err();
    assert!(err.to_string().contains("allow_atomic_publish"), "{err}");
    js.delete_stream(&wanted.name).await.unwrap();
}
