//! What the projector reports: per projection its role (active, standby, failed), per Party its
//! checkpoint, the stream head and the lag; rendered as Prometheus text at `/metrics`.

use crate::Projection;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::{routing::get, Json, Router};
use ecites_events::PartyCode;
use serde_json::json;
use std::collections::{BTreeMap, VecDeque};
use std::fmt::Write;
use std::sync::{Arc, Mutex};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Role {
    Starting,
    Standby,
    Active,
    /// The projection cannot work now (its database is unreachable); it tries again.
    Failed(String),
    Stopped,
}

/// How an active projection follows one Party's stream.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Following {
    /// Not started yet (or the projection stands by).
    #[default]
    NotYet,
    /// Subscribed and applying.
    Following,
    /// The log or the database went away (a NATS restart, a leader change); subscribing
    /// again from the checkpoint.
    Reconnecting(String),
    /// An event cannot be applied (or the stream lacks one); tried again now and then, so a
    /// restored log or a newer projector resumes without a restart. Other Parties go on.
    Failed { sequence: u64, reason: String },
}

impl Following {
    /// The word for health answers: never the error's text, which may name the database.
    pub fn word(&self) -> &'static str {
        match self {
            Self::NotYet => "starting",
            Self::Following => "following",
            Self::Reconnecting(_) => "reconnecting",
            Self::Failed { .. } => "failed",
        }
    }
}

/// What the log holds of a Party's stream compared with a complete one: a stream never
/// deletes, so every sequence from 1 to the last must be there.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Integrity {
    /// Sequences between 1 and the stream's last that the stream does not hold.
    pub missing: u64,
    /// The stream's last sequence is below what a projection already applied: the log lost
    /// its tail (e.g. unsynced writes lost on a power failure).
    pub shrunk_below: Option<u64>,
}

impl Integrity {
    pub fn complete(&self) -> bool {
        self.missing == 0 && self.shrunk_below.is_none()
    }
}

#[derive(Clone, Debug, Default)]
pub struct PartyProgress {
    pub checkpoint: u64,
    pub head: u64,
    pub following: Following,
    pub integrity: Integrity,
    /// Events applied by this instance since it started.
    pub applied: u64,
    /// Seconds from the server storing the batch's first event to its commit here.
    pub last_lag_seconds: f64,
}

#[derive(Default)]
struct Inner {
    roles: BTreeMap<Projection, Role>,
    parties: BTreeMap<(Projection, PartyCode), PartyProgress>,
    /// Recent commit lags (seconds) of the read models, for percentiles.
    lags: VecDeque<f64>,
    /// Tree heads a witness refused as inconsistent or invalid, by Party: an alarm.
    witness_refusals: BTreeMap<PartyCode, u64>,
}

const KEPT_LAGS: usize = 100_000;

/// A per-Party gauge: name, help text, value.
type Metric = (&'static str, &'static str, fn(&PartyProgress) -> String);

/// Shared between the projector's tasks and its HTTP routes.
#[derive(Clone, Default)]
pub struct Status(Arc<Mutex<Inner>>);

impl Status {
    fn with<T>(&self, f: impl FnOnce(&mut Inner) -> T) -> Option<T> {
        self.0.lock().ok().map(|mut g| f(&mut g))
    }

    pub fn set_role(&self, p: Projection, role: Role) {
        self.with(|i| i.roles.insert(p, role));
    }

    pub fn role(&self, p: Projection) -> Role {
        self.with(|i| i.roles.get(&p).cloned())
            .flatten()
            .unwrap_or(Role::Starting)
    }

    pub fn applied(
        &self,
        p: Projection,
        party: PartyCode,
        checkpoint: u64,
        events: usize,
        lag: f64,
    ) {
        self.with(|i| {
            let e = i.parties.entry((p, party)).or_default();
            e.checkpoint = checkpoint;
            e.applied += events as u64;
            e.last_lag_seconds = lag;
            e.head = e.head.max(checkpoint);
            if p == Projection::ReadModels {
                if i.lags.len() == KEPT_LAGS {
                    i.lags.pop_front();
                }
                i.lags.push_back(lag);
            }
        });
    }

    pub fn set_checkpoint(&self, p: Projection, party: PartyCode, checkpoint: u64) {
        self.with(|i| i.parties.entry((p, party)).or_default().checkpoint = checkpoint);
    }

    pub fn set_head(&self, party: PartyCode, head: u64) {
        self.with(|i| {
            for p in Projection::ALL {
                let e = i.parties.entry((p, party)).or_default();
                e.head = head.max(e.checkpoint);
            }
        });
    }

    pub fn set_following(&self, p: Projection, party: PartyCode, following: Following) {
        self.with(|i| i.parties.entry((p, party)).or_default().following = following);
    }

    /// Records what the stream holds (a stream whose last sequence fell below a projection's
    /// checkpoint lost its tail); the Party's integrity when it changed.
    pub fn set_extent(
        &self,
        party: PartyCode,
        extent: ecites_events::StreamExtent,
    ) -> Option<Integrity> {
        self.with(|i| {
            let applied = Projection::ALL
                .iter()
                .filter_map(|p| i.parties.get(&(*p, party)))
                .map(|g| g.checkpoint)
                .max()
                .unwrap_or(0);
            let integrity = Integrity {
                missing: extent.missing(),
                shrunk_below: (extent.last < applied).then_some(applied),
            };
            let mut changed = false;
            for p in Projection::ALL {
                let e = i.parties.entry((p, party)).or_default();
                e.head = extent.last;
                changed |= e.integrity != integrity;
                e.integrity = integrity.clone();
            }
            changed.then_some(integrity)
        })
        .flatten()
    }

    /// Every Party whose stream is not complete, with what is wrong.
    pub fn incomplete_streams(&self) -> Vec<(PartyCode, Integrity)> {
        self.with(|i| {
            let mut out: BTreeMap<PartyCode, Integrity> = BTreeMap::new();
            for ((_, party), g) in &i.parties {
                if !g.integrity.complete() {
                    out.insert(*party, g.integrity.clone());
                }
            }
            out.into_iter().collect()
        })
        .unwrap_or_default()
    }

    pub fn progress(&self, p: Projection, party: PartyCode) -> PartyProgress {
        self.with(|i| i.parties.get(&(p, party)).cloned())
            .flatten()
            .unwrap_or_default()
    }

    /// A witness refused one of `party`'s tree heads: the log may have lost or changed history.
    pub fn witness_refused(&self, party: PartyCode) {
        self.with(|i| *i.witness_refusals.entry(party).or_default() += 1);
    }

    /// Recent commit lags of the read models, in seconds, and forgets them.
    pub fn take_lags(&self) -> Vec<f64> {
        self.with(|i| i.lags.drain(..).collect())
            .unwrap_or_default()
    }

    pub fn prometheus(&self) -> String {
        let mut out = String::new();
        let _ = self.with(|i| {
            let _ = writeln!(out, "# HELP ecites_projection_active 1 when this instance applies the projection, 0 when it stands by.\n# TYPE ecites_projection_active gauge");
            for (p, role) in &i.roles {
                let v = u8::from(*role == Role::Active);
                let _ = writeln!(out, "ecites_projection_active{{projection=\"{}\"}} {v}", p.name());
            }
            let _ = writeln!(out, "# HELP ecites_projection_failed 1 when the projection stopped on an event it cannot apply.\n# TYPE ecites_projection_failed gauge");
            for (p, role) in &i.roles {
                let v = u8::from(matches!(role, Role::Failed(_)));
                let _ = writeln!(out, "ecites_projection_failed{{projection=\"{}\"}} {v}", p.name());
            }
            let metrics: [Metric; 7] = [
                ("ecites_projection_checkpoint", "Last stream sequence applied.", |g| g.checkpoint.to_string()),
                ("ecites_stream_head", "Last stream sequence in the log.", |g| g.head.to_string()),
                ("ecites_projection_lag_events", "Stream head minus checkpoint.", |g| g.head.saturating_sub(g.checkpoint).to_string()),
                ("ecites_projection_lag_seconds", "From the log storing the last batch's first event to its commit.", |g| format!("{:.6}", g.last_lag_seconds)),
                ("ecites_projection_following", "1 while the projection follows the Party's stream (0: starting, reconnecting or failed).", |g| u8::from(g.following == Following::Following).to_string()),
                ("ecites_stream_missing_events", "Sequences from 1 to the stream's last that the stream does not hold (a stream never deletes: anything but 0 is lost data).", |g| g.integrity.missing.to_string()),
                ("ecites_stream_shrunk", "1 when the stream's last sequence fell below what the projection applied (the log lost its tail).", |g| u8::from(g.integrity.shrunk_below.is_some()).to_string()),
            ];
            for (name, help, value) in metrics {
                let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
                for ((p, party), g) in &i.parties {
                    let _ = writeln!(out, "{name}{{projection=\"{}\",party=\"{party}\"}} {}", p.name(), value(g));
                }
            }
            let _ = writeln!(out, "# HELP ecites_witness_refusals_total Tree heads a witness refused as not consistent with one it co-signed, or invalid (anything but 0 needs a look: the log may have lost or changed history).\n# TYPE ecites_witness_refusals_total counter");
            for (party, n) in &i.witness_refusals {
                let _ = writeln!(out, "ecites_witness_refusals_total{{party=\"{party}\"}} {n}");
            }
        });
        out
    }

    /// Whether every projection works and follows every Party, and every stream is complete;
    /// with the words that say so. No error text: that goes to the log.
    pub fn health(&self) -> (bool, serde_json::Value) {
        self.with(|i| {
            let mut ok = true;
            let mut projections = serde_json::Map::new();
            for (p, role) in &i.roles {
                let (word, role_ok) = match role {
                    Role::Active => ("active", true),
                    Role::Standby => ("standby", true),
                    Role::Starting => ("starting", false),
                    Role::Failed(_) => ("unavailable", false),
                    Role::Stopped => ("stopped", false),
                };
                let mut parties = serde_json::Map::new();
                let mut all_following = true;
                if *role == Role::Active {
                    for ((q, party), g) in &i.parties {
                        if q == p {
                            all_following &= g.following == Following::Following;
                            parties.insert(party.to_string(), json!({ "following": g.following.word(), "checkpoint": g.checkpoint }));
                        }
                    }
                }
                ok &= role_ok && all_following;
                projections.insert(p.name().into(), json!({ "role": word, "parties": parties }));
            }
            let mut streams = serde_json::Map::new();
            for ((p, party), g) in &i.parties {
                if *p == Projection::Archive {
                    let complete = g.integrity.complete();
                    ok &= complete;
                    streams.insert(party.to_string(), json!({
                        "last_sequence": g.head,
                        "complete": complete,
                        "missing_events": g.integrity.missing,
                        "shrunk_below": g.integrity.shrunk_below,
                    }));
                }
            }
            ok &= !i.roles.is_empty();
            let refusals: u64 = i.witness_refusals.values().sum();
            ok &= refusals == 0;
            (ok, json!({
                "service": crate::SERVICE,
                "status": if ok { "ok" } else { "degraded" },
                "projections": projections,
                "streams": streams,
                "witness_refusals": refusals,
            }))
        })
        .unwrap_or((false, json!({ "status": "unknown" })))
    }
}

/// `/health` (503 unless every projection follows every Party and every stream is complete)
/// and `/metrics`.
pub fn router(status: Status) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .with_state(status)
}

async fn health(State(status): State<Status>) -> impl IntoResponse {
    let (ok, body) = status.health();
    let code = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (code, Json(body))
}

async fn metrics(State(status): State<Status>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        status.prometheus(),
    )
}
