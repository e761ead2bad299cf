//! Read-your-writes: a request may name the log position of its last write
//! (`X-Ecites-Position: LK:123`, or `?position=LK:123`); the answer waits until the read
//! models have applied that Party's stream up to there, for a bounded time.

use crate::problem::ApiError;
use axum::http::HeaderMap;
use ecites_events::PartyCode;
use sqlx::PgPool;
use std::time::Duration;
use tokio::time::Instant;

pub const POSITION_HEADER: &str = "x-ecites-position";
pub const READ_POSITION_HEADER: &str = "x-ecites-read-position";
/// How often the checkpoint is polled while waiting.
const POLL: Duration = Duration::from_millis(5);

pub use ecites_events::Position;

/// Parses `LK:123`.
pub fn parse(token: &str) -> Option<Position> {
    token.parse().ok()
}

/// A checkpoint as PostgreSQL holds it (a bigint, never negative) as a sequence.
pub fn sequence(checkpoint: i64) -> u64 {
    u64::try_from(checkpoint).unwrap_or(0)
}

/// The position a request asks for: the header first, else the `position` query parameter.
/// A malformed token, or one of another Party, is a 400 naming where it came from.
pub fn requested(
    headers: &HeaderMap,
    query: Option<&str>,
    party: PartyCode,
) -> Result<Option<Position>, ApiError> {
    let (name, raw) = if let Some(v) = headers.get(POSITION_HEADER) {
        let v = v
            .to_str()
            .map_err(|_| ApiError::bad("X-Ecites-Position", "not ASCII"))?;
        ("X-Ecites-Position", v.to_string())
    } else if let Some(v) = query_value(query, "position") {
        ("position", v)
    } else {
        return Ok(None);
    };
    let pos = parse(&raw).ok_or_else(|| {
        ApiError::bad(
            name,
            format!("{raw:?} is not a position token like {party}:123"),
        )
    })?;
    if pos.party != party {
        return Err(ApiError::bad(
            name,
            format!("position {pos} is of another Party than {party}"),
        ));
    }
    Ok(Some(pos))
}

fn query_value(query: Option<&str>, key: &str) -> Option<String> {
    let uri = format!("/?{}", query?).parse().ok()?;
    let pairs = axum::extract::Query::<Vec<(String, String)>>::try_from_uri(&uri).ok()?;
    pairs.0.into_iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// The Party's checkpoint (0 before anything was applied).
pub async fn current(pool: &PgPool, party: PartyCode) -> Result<i64, sqlx::Error> {
    let seq: Option<i64> = sqlx::query_scalar("SELECT sequence FROM checkpoint WHERE party = $1")
        .bind(party.as_str())
        .fetch_optional(pool)
        .await?;
    Ok(seq.unwrap_or(0))
}

/// Waits until the Party's checkpoint reaches `target` (polling), at most `wait`; returns the
/// checkpoint reached.
pub async fn wait_for(
    pool: &PgPool,
    party: PartyCode,
    target: Option<Position>,
    wait: Duration,
) -> Result<i64, ApiError> {
    let deadline = Instant::now() + wait;
    loop {
        let now = current(pool, party).await?;
        let Some(target) = target else {
            return Ok(now);
        };
        if sequence(now) >= target.sequence {
            return Ok(now);
        }
        if Instant::now() >= deadline {
            return Err(ApiError::PositionNotReached {
                current: Position::new(party, sequence(now)).to_string(),
                target: target.to_string(),
                wait,
            });
        }
        tokio::time::sleep(POLL).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn tokens_parse() {
        let p = parse("LK:123").unwrap();
        assert_eq!(p.party.as_str(), "LK");
        assert_eq!(p.sequence, 123);
        assert_eq!(p.to_string(), "LK:123");
        for bad in ["LK", "LK:", "LK:-1", "LKA:1", "LK:1x", ":1"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn header_wins_and_bad_tokens_name_their_source() {
        let lk: PartyCode = "LK".parse().unwrap();
        let mut h = HeaderMap::new();
        assert_eq!(
            requested(&h, Some("position=LK%3A7"), lk)
                .unwrap()
                .unwrap()
                .sequence,
            7
        );
        h.insert(POSITION_HEADER, HeaderValue::from_static("LK:9"));
        assert_eq!(
            requested(&h, Some("position=LK:7"), lk)
                .unwrap()
                .unwrap()
                .sequence,
            9
        );
        h.insert(POSITION_HEADER, HeaderValue::from_static("nine"));
        let err = requested(&h, None, lk).unwrap_err().to_string();
        assert!(err.starts_with("X-Ecites-Position"), "{err}");
        let err = requested(&HeaderMap::new(), Some("position=KE:1"), lk)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("position"), "{err}");
    }
}
