//! Witnesses (issue #12): a witness co-signs a Party's tree head only after checking that it is
//! consistent with the last one it co-signed for that Party, so a log that drops or rewrites
//! history after a witness saw it cannot get it co-signed again. The deployment asks each
//! witness it names after every tree head ([`Witnesses::submit`]); a witness is a small process
//! of its own (`ecites witness`, [`WitnessState`], [`router`]) that another Party or an NGO runs
//! with its own key.
//!
//! Protocol: `POST /cosign {head, from?: {size, root}, proof}`. The witness answers a
//! co-signature; 409 `{"last": {size, root}}` when it needs a consistency proof from the head it
//! last co-signed; 422 with the reason when the head is not consistent with it (an alarm at the
//! log) or does not verify.

use crate::status::Status;
use crate::tree::TreeReader;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use ecites_events::merkle::{self, Hash};
use ecites_events::tree_head::{Cosignature, SignedTreeHead};
use ecites_events::{PartyCode, PublicKeys};
use ed25519_dalek::SigningKey;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use time::OffsetDateTime;

/// What a witness was asked to co-sign.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CosignRequest {
    pub head: SignedTreeHead,
    /// The head the proof starts from (the witness's last), when one is sent.
    pub from: Option<Seen>,
    /// Hex hashes of the consistency proof from `from` to `head`.
    #[serde(default)]
    pub proof: Vec<String>,
}

/// A size and root a witness has seen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seen {
    pub size: u64,
    pub root: String,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// A proof from this head is needed.
    NeedProof(Seen),
    /// The head does not verify, or is not consistent with what the witness saw.
    Invalid(String),
}

/// A witness: its name and key, the Parties' public keys, and the last head it co-signed for
/// each Party (kept in `state_file` so that a restart forgets nothing).
pub struct WitnessState {
    pub name: String,
    pub key: SigningKey,
    pub keys: PublicKeys,
    pub state_file: Option<PathBuf>,
    pub last: Mutex<BTreeMap<PartyCode, Seen>>,
}

impl WitnessState {
    /// Co-signs `r.head` if it verifies and is consistent with the last head seen for its Party.
    pub fn cosign(&self, r: &CosignRequest) -> Result<Cosignature, Refusal> {
        let head = &r.head;
        head.verify(&self.keys)
            .map_err(|e| Refusal::Invalid(e.to_string()))?;
        let new_root = head
            .root_hash()
            .map_err(|e| Refusal::Invalid(e.to_string()))?;
        let mut last = self
            .last
            .lock()
            .map_err(|_| Refusal::Invalid("the witness's state is poisoned".into()))?;
        if let Some(seen) = last.get(&head.party) {
            let old_root: Hash = merkle::parse_hash(&seen.root)
                .ok_or_else(|| Refusal::Invalid("the witness's state is damaged".into()))?;
            if head.size < seen.size {
                return Err(Refusal::Invalid(format!(
                    "{} shrank: the witness co-signed a tree of {} events, this one has {}",
                    head.party, seen.size, head.size
                )));
            }
            if head.size == seen.size && new_root != old_root {
                return Err(Refusal::Invalid(format!(
                    "{} forked: another root for the {} events the witness co-signed",
                    head.party, seen.size
                )));
            }
            if head.size > seen.size {
                if r.from.as_ref() != Some(seen) {
                    return Err(Refusal::NeedProof(seen.clone()));
                }
                let proof = merkle::parse_hashes(&r.proof)
                    .ok_or_else(|| Refusal::Invalid("a proof hash is not 64 hex digits".into()))?;
                if !merkle::verify_consistency(seen.size, head.size, &old_root, &new_root, &proof) {
                    return Err(Refusal::Invalid(format!(
                        "{}'s tree of {} events is not consistent with the one of {} the witness co-signed: history was changed",
                        head.party, head.size, seen.size
                    )));
                }
            }
        }
        last.insert(
            head.party,
            Seen {
                size: head.size,
                root: head.root.clone(),
            },
        );
        self.save(&last);
        Ok(Cosignature::sign(
            &self.key,
            &self.name,
            head,
            OffsetDateTime::now_utc(),
        ))
    }

    fn save(&self, last: &BTreeMap<PartyCode, Seen>) {
        let Some(file) = &self.state_file else { return };
        let tmp = file.with_extension("tmp");
        let written = serde_json::to_vec_pretty(last)
            .map_err(std::io::Error::other)
            .and_then(|b| std::fs::write(&tmp, b))
            .and_then(|()| std::fs::rename(&tmp, file));
        if let Err(e) = written {
            tracing::error!(error = %e, "the witness could not save what it co-signed");
        }
    }

    /// Loads what the witness co-signed before.
    pub fn load_state(file: &std::path::Path) -> BTreeMap<PartyCode, Seen> {
        std::fs::read(file)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }
}

/// The witness's HTTP routes.
pub fn router(state: Arc<WitnessState>) -> Router {
    Router::new()
        .route("/cosign", post(cosign))
        .route("/witness", get(about))
        .with_state(state)
}

async fn cosign(State(w): State<Arc<WitnessState>>, Json(r): Json<CosignRequest>) -> Response {
    match w.cosign(&r) {
        Ok(c) => Json(c).into_response(),
        Err(Refusal::NeedProof(last)) => (
            StatusCode::CONFLICT,
            Json(serde_json::json!({ "last": last })),
        )
            .into_response(),
        Err(Refusal::Invalid(reason)) => {
            tracing::warn!(party = %r.head.party, size = r.head.size, %reason, "refused a tree head");
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(serde_json::json!({ "reason": reason })),
            )
                .into_response()
        }
    }
}

async fn about(State(w): State<Arc<WitnessState>>) -> Json<serde_json::Value> {
    use base64::Engine;
    let key = base64::engine::general_purpose::STANDARD.encode(w.key.verifying_key().to_bytes());
    Json(serde_json::json!({ "witness": w.name, "public_key": key }))
}

/// One witness a deployment asks.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct WitnessEndpoint {
    pub name: String,
    /// Base URL, e.g. `https://witness.example.org`.
    pub url: String,
}

/// The deployment's witnesses; a refusal they answer is counted in the projector's status
/// (an alarm in the metrics and health).
#[derive(Clone, Default)]
pub struct Witnesses {
    pub endpoints: Vec<WitnessEndpoint>,
    client: reqwest::Client,
    status: Status,
}

impl Witnesses {
    pub fn new(endpoints: Vec<WitnessEndpoint>, status: Status) -> Self {
        Self {
            endpoints,
            client: reqwest::Client::new(),
            status,
        }
    }

    /// Asks every witness to co-sign `head`, sending a consistency proof when one asks for it,
    /// and stores the co-signatures that verify.
    pub async fn submit(&self, tree: &TreeReader, head: &SignedTreeHead) {
        for w in &self.endpoints {
            if let Err(e) = self.submit_to(w, tree, head).await {
                tracing::warn!(witness = %w.name, party = %head.party, size = head.size, error = %e, "no co-signature");
            }
        }
    }

    async fn submit_to(
        &self,
        w: &WitnessEndpoint,
        tree: &TreeReader,
        head: &SignedTreeHead,
    ) -> Result<(), String> {
        let url = format!("{}/cosign", w.url.trim_end_matches('/'));
        let mut request = CosignRequest {
            head: head.clone(),
            from: None,
            proof: vec![],
        };
        for _ in 0..2 {
            let res = self
                .client
                .post(&url)
                .json(&request)
                .send()
                .await
                .map_err(|e| e.to_string())?;
            match res.status() {
                StatusCode::OK => {
                    let c: Cosignature = res.json().await.map_err(|e| e.to_string())?;
                    c.verify(head).map_err(|e| e.to_string())?;
                    tree.record_cosignature(head, &c)
                        .await
                        .map_err(|e| e.to_string())?;
                    return Ok(());
                }
                StatusCode::CONFLICT => {
                    #[derive(Deserialize)]
                    struct Last {
                        last: Seen,
                    }
                    let last: Last = res.json().await.map_err(|e| e.to_string())?;
                    let proof = tree
                        .consistency(head.party, last.last.size, head.size)
                        .await
                        .map_err(|e| e.to_string())?;
                    request.from = Some(last.last);
                    request.proof = proof.iter().map(hex::encode).collect();
                }
                status => {
                    let reason = res.text().await.unwrap_or_default();
                    if status == StatusCode::UNPROCESSABLE_ENTITY {
                        self.status.witness_refused(head.party);
                        tracing::error!(witness = %w.name, party = %head.party, size = head.size, %reason,
                            "a witness refused the tree head: the log may have lost or changed history");
                        let _ = tree.record_refusal(head, &w.name, &reason).await;
                    }
                    return Err(format!("{status}: {reason}"));
                }
            }
        }
        Err("the witness asked for a proof twice".into())
    }
}
