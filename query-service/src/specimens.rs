//! The specimens of the Parties' signatures and stamps (issue #14), as the read models hold
//! them: published beside the seal keys for other Parties and customs, and the ones in force
//! when a permit was issued, for its document's box 13.

use crate::ApiError;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use ecites_events::PartyCode;
use serde::Serialize;
use sqlx::{PgPool, Row};
use time::OffsetDateTime;
use uuid::Uuid;

pub const FORMAT: &str = "ecites-specimens/1";
const IMAGES: &str = "/.well-known/ecites-specimens";

/// The issuing signatory's specimen signature and the Authority's stamp that were in force
/// when the permit was issued (recorded before, not withdrawn by then), if any. Both come
/// from the log alone, so the permit's document stays the same however often it is drawn.
pub async fn in_force_at_issue(
    pool: &PgPool,
    party: PartyCode,
    permit_id: Uuid,
) -> Result<(Option<Vec<u8>>, Option<Vec<u8>>), sqlx::Error> {
    let rows = sqlx::query(
        "WITH issued AS (SELECT actor_id, occurred_at FROM permit_events \
           WHERE party = $1 AND permit_id = $2 AND event_type = 'PermitIssued' \
           ORDER BY version DESC LIMIT 1) \
         SELECT s.kind, s.image FROM specimens s, issued i \
         WHERE s.party = $1 AND s.recorded_at <= i.occurred_at \
           AND (s.withdrawn_at IS NULL OR s.withdrawn_at > i.occurred_at) \
           AND (s.kind = 'stamp' OR (s.kind = 'signature' AND s.signatory = i.actor_id)) \
         ORDER BY s.recorded_at DESC, s.last_sequence DESC",
    )
    .bind(party.as_str())
    .bind(permit_id)
    .fetch_all(pool)
    .await?;
    let first = |kind: &str| {
        rows.iter()
            .find(|r| r.get::<String, _>("kind") == kind)
            .map(|r| r.get::<Vec<u8>, _>("image"))
    };
    Ok((first("signature"), first("stamp")))
}

#[derive(Serialize)]
struct Published {
    format: &'static str,
    parties: Vec<PartySpecimens>,
}

#[derive(Serialize)]
struct PartySpecimens {
    party: String,
    specimens: Vec<Entry>,
}

#[derive(Serialize)]
struct Entry {
    specimen_id: Uuid,
    kind: String,
    signatory: Option<String>,
    name: String,
    media_type: String,
    sha256: String,
    url: String,
    #[serde(with = "time::serde::rfc3339")]
    recorded_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    withdrawn_at: Option<OffsetDateTime>,
    withdrawn_reason: Option<String>,
}

/// `/.well-known/ecites-specimens.json` and the images it names, with no login: other
/// Parties and customs compare the paper with them, as with the published keys.
pub fn router(pool: PgPool) -> Router {
    Router::new()
        .route("/.well-known/ecites-specimens.json", get(list))
        .route(&format!("{IMAGES}/{{file}}"), get(image))
        .with_state(pool)
}

async fn list(State(pool): State<PgPool>) -> Result<Response, ApiError> {
    let rows = sqlx::query(
        "SELECT party, specimen_id, kind, signatory, name, media_type, sha256, recorded_at, \
         withdrawn_at, withdrawn_reason FROM specimens ORDER BY party, recorded_at, specimen_id",
    )
    .fetch_all(&pool)
    .await?;
    let mut parties: Vec<PartySpecimens> = vec![];
    for r in rows {
        let party: String = r.get("party");
        let sha256: String = r.get("sha256");
        let entry = Entry {
            specimen_id: r.get("specimen_id"),
            kind: r.get("kind"),
            signatory: r.get("signatory"),
            name: r.get("name"),
            media_type: r.get("media_type"),
            url: format!("{IMAGES}/{sha256}.png"),
            sha256,
            recorded_at: r.get("recorded_at"),
            withdrawn_at: r.get("withdrawn_at"),
            withdrawn_reason: r.get("withdrawn_reason"),
        };
        match parties.last_mut().filter(|p| p.party == party) {
            Some(p) => p.specimens.push(entry),
            None => parties.push(PartySpecimens {
                party,
                specimens: vec![entry],
            }),
        }
    }
    let body = Json(Published {
        format: FORMAT,
        parties,
    });
    Ok(([(header::CACHE_CONTROL, "public, max-age=300")], body).into_response())
}

async fn image(State(pool): State<PgPool>, Path(file): Path<String>) -> Result<Response, ApiError> {
    let digest = file.strip_suffix(".png").unwrap_or_default();
    if digest.len() != 64
        || !digest
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    {
        return Err(ApiError::bad(
            "file",
            "a specimen is named <lower-case hex SHA-256>.png",
        ));
    }
    let found: Option<(String, Vec<u8>)> =
        sqlx::query_as("SELECT media_type, image FROM specimens WHERE sha256 = $1 LIMIT 1")
            .bind(digest)
            .fetch_optional(&pool)
            .await?;
    let Some((media_type, bytes)) = found else {
        return Err(ApiError::NotFound(format!("no specimen {digest}")));
    };
    // Named by its digest: the bytes behind a name never change.
    let headers = [
        (header::CONTENT_TYPE, media_type),
        (
            header::CACHE_CONTROL,
            "public, max-age=31536000, immutable".to_string(),
        ),
    ];
    Ok((headers, bytes).into_response())
}
