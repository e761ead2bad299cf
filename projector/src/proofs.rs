//! The tree heads and proofs over HTTP, for anyone (they hold hashes and counts, no content):
//!
//! - `GET /api/{party}/checkpoint[?size=N]`: the latest signed tree head (or the one of size N)
//!   with the witnesses' co-signatures;
//! - `GET /api/{party}/proof/inclusion?sequence=S&size=N`: the audit path of the event at
//!   stream sequence S in the tree of N (default: the latest head's size);
//! - `GET /api/{party}/proof/consistency?from=M&to=N`: that the tree of M is a prefix of N.

use crate::tree::{TreeError, TreeReader};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use ecites_events::PartyCode;
use serde::Deserialize;
use serde_json::json;

pub fn router(tree: TreeReader) -> Router {
    Router::new()
        .route("/api/{party}/checkpoint", get(checkpoint))
        .route("/api/{party}/proof/inclusion", get(inclusion))
        .route("/api/{party}/proof/consistency", get(consistency))
        .with_state(tree)
}

fn problem(status: StatusCode, field: &str, detail: String) -> Response {
    let body = json!({
        "type": "https://ecites.example/problems/tree",
        "title": "No such tree head or proof",
        "status": status.as_u16(),
        "detail": detail,
        "violations": [{"rule": "TREE-PROOF", "field": field, "message": detail}],
    });
    (status, Json(body)).into_response()
}

fn party(code: &str) -> Result<PartyCode, Box<Response>> {
    code.parse().map_err(|_| {
        Box::new(problem(
            StatusCode::NOT_FOUND,
            "party",
            format!("{code:?} is not a Party"),
        ))
    })
}

fn failed(e: TreeError, field: &str) -> Response {
    match e {
        TreeError::Sql(e) => {
            tracing::warn!(error = %e, "the tree could not be read");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "the tree could not be read\n",
            )
                .into_response()
        }
        other => problem(StatusCode::NOT_FOUND, field, other.to_string()),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SizeQuery {
    size: Option<u64>,
}

async fn checkpoint(
    State(tree): State<TreeReader>,
    Path(code): Path<String>,
    query: Result<Query<SizeQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let party = match party(&code) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let Ok(Query(q)) = query else {
        return problem(
            StatusCode::BAD_REQUEST,
            "size",
            "size is a whole number".into(),
        );
    };
    let head = match tree.head(party, q.size).await {
        Ok(Some(h)) => h,
        Ok(None) => {
            return problem(
                StatusCode::NOT_FOUND,
                "size",
                format!(
                    "{party} has no tree head{}",
                    q.size.map_or(String::new(), |s| format!(" of size {s}"))
                ),
            )
        }
        Err(e) => return failed(e, "size"),
    };
    match tree.cosignatures(party, head.size).await {
        Ok(c) => Json(json!({ "head": head, "cosignatures": c })).into_response(),
        Err(e) => failed(e, "size"),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InclusionQuery {
    sequence: u64,
    size: Option<u64>,
}

async fn inclusion(
    State(tree): State<TreeReader>,
    Path(code): Path<String>,
    query: Result<Query<InclusionQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let party = match party(&code) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let Ok(Query(q)) = query else {
        return problem(
            StatusCode::BAD_REQUEST,
            "sequence",
            "sequence (and size) are whole numbers".into(),
        );
    };
    let size = match q.size {
        Some(s) => s,
        None => match tree.head(party, None).await {
            Ok(Some(h)) => h.size,
            Ok(None) => {
                return problem(
                    StatusCode::NOT_FOUND,
                    "size",
                    format!("{party} has no tree head yet"),
                )
            }
            Err(e) => return failed(e, "size"),
        },
    };
    if q.sequence == 0 || q.sequence > size {
        return problem(
            StatusCode::NOT_FOUND,
            "sequence",
            format!("sequence {} is not in a tree of {size}", q.sequence),
        );
    }
    match tree.inclusion(party, q.sequence, size).await {
        Ok((leaf, proof)) => Json(json!({
            "party": party, "sequence": q.sequence, "leaf_index": q.sequence - 1, "size": size,
            "leaf_hash": hex::encode(leaf),
            "proof": proof.iter().map(hex::encode).collect::<Vec<_>>(),
        }))
        .into_response(),
        Err(e) => failed(e, "size"),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConsistencyQuery {
    from: u64,
    to: u64,
}

async fn consistency(
    State(tree): State<TreeReader>,
    Path(code): Path<String>,
    query: Result<Query<ConsistencyQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let party = match party(&code) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let Ok(Query(q)) = query else {
        return problem(
            StatusCode::BAD_REQUEST,
            "from",
            "from and to are whole numbers".into(),
        );
    };
    if q.from > q.to {
        return problem(
            StatusCode::BAD_REQUEST,
            "from",
            "a tree grows: from is at most to".into(),
        );
    }
    match tree.consistency(party, q.from, q.to).await {
        Ok(proof) => Json(json!({
            "party": party, "from": q.from, "to": q.to,
            "proof": proof.iter().map(hex::encode).collect::<Vec<_>>(),
        }))
        .into_response(),
        Err(e) => failed(e, "to"),
    }
}
