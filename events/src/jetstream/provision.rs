//! Creating a Party's stream and refusing servers or streams that cannot keep the ledger's
//! promises.

use super::{LogConfig, LogError};
use crate::party::PartyCode;
use async_nats::jetstream::{self, stream};

/// Refuses servers before 2.12: they accept batch headers but store the messages one by one.
pub fn check_server_version(version: &str) -> Result<(), LogError> {
    let mut parts = version
        .trim_start_matches('v')
        .split(|c: char| !c.is_ascii_digit())
        .map(|p| p.parse::<u64>().unwrap_or(0));
    let major = parts.next().unwrap_or(0);
    let minor = parts.next().unwrap_or(0);
    if (major, minor) >= (2, 12) {
        Ok(())
    } else {
        Err(LogError::ServerTooOld {
            found: version.into(),
        })
    }
}

pub fn stream_config(config: &LogConfig, party: PartyCode) -> stream::Config {
    stream::Config {
        name: config.stream_name(party),
        subjects: vec![format!(
            "{}.{}.>",
            config.subject_prefix,
            party.subject_token()
        )],
        storage: stream::StorageType::File,
        num_replicas: config.durability.replicas(),
        retention: stream::RetentionPolicy::Limits,
        discard: stream::DiscardPolicy::New,
        deny_delete: true,
        deny_purge: true,
        allow_direct: true,
        allow_atomic_publish: true,
        duplicate_window: config.duplicate_window,
        max_message_size: i32::try_from(config.max_event_bytes + 4096).unwrap_or(i32::MAX),
        description: Some(format!(
            "eCITES ledger of Party {party}: signed, hash-chained events"
        )),
        ..Default::default()
    }
}

/// What the server reports back must still promise immutability and atomic batches: an old
/// server silently drops `allow_atomic_publish`.
pub fn verify_stream_config(name: &str, c: &stream::Config) -> Result<(), LogError> {
    let fail = |reason: &str| {
        Err(LogError::StreamMisconfigured {
            stream: name.into(),
            reason: reason.into(),
        })
    };
    if !c.allow_atomic_publish {
        return fail("allow_atomic_publish reads back false: the server would split batches (needs NATS >= 2.12)");
    }
    if !c.deny_delete || !c.deny_purge {
        return fail("deny_delete and deny_purge must both be set: the ledger is append-only");
    }
    if !c.allow_direct {
        return fail("allow_direct must be set (reads of one aggregate use direct get)");
    }
    if c.max_age != std::time::Duration::ZERO || c.max_messages > 0 || c.max_bytes > 0 {
        return fail("the stream has limits that would age out events");
    }
    Ok(())
}

pub(super) async fn ensure_stream(
    js: &jetstream::Context,
    config: &LogConfig,
    party: PartyCode,
) -> Result<stream::Stream, LogError> {
    let wanted = stream_config(config, party);
    let name = wanted.name.clone();
    let stream = js
        .get_or_create_stream(wanted)
        .await
        .map_err(|e| LogError::JetStream(format!("creating stream {name}: {e}")))?;
    verify_stream_config(&name, &stream.cached_info().config)?;
    Ok(stream)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_before_2_12_are_refused() {
        for old in ["2.9.10", "v2.10.26", "2.11.11", "1.4.0"] {
            assert!(check_server_version(old).is_err(), "{old}");
        }
        for ok in ["2.12.0", "2.15.1", "v2.14.0-beta.1", "3.0.0"] {
            assert!(check_server_version(ok).is_ok(), "{ok}");
        }
    }
}
