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
    Failed(String),
    Stopped,
}

#[derive(Clone, Debug, Default)]
pub struct PartyProgress {
    pub checkpoint: u64,
    pub head: u64,
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

    pub fn progress(&self, p: Projection, party: PartyCode) -> PartyProgress {
        self.with(|i| i.parties.get(&(p, party)).cloned())
            .flatten()
            .unwrap_or_default()
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
            let metrics: [Metric; 4] = [
                ("ecites_projection_checkpoint", "Last stream sequence applied.", |g| g.checkpoint.to_string()),
                ("ecites_stream_head", "Last stream sequence in the log.", |g| g.head.to_string()),
                ("ecites_projection_lag_events", "Stream head minus checkpoint.", |g| g.head.saturating_sub(g.checkpoint).to_string()),
                ("ecites_projection_lag_seconds", "From the log storing the last batch's first event to its commit.", |g| format!("{:.6}", g.last_lag_seconds)),
            ];
            for (name, help, value) in metrics {
                let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
                for ((p, party), g) in &i.parties {
                    let _ = writeln!(out, "{name}{{projection=\"{}\",party=\"{party}\"}} {}", p.name(), value(g));
                }
            }
        });
        out
    }

    fn health(&self) -> (bool, serde_json::Value) {
        self.with(|i| {
            let roles: BTreeMap<&str, String> = i
                .roles
                .iter()
                .map(|(p, r)| (p.name(), format!("{r:?}")))
                .collect();
            let failed = i.roles.values().any(|r| matches!(r, Role::Failed(_)));
            (!failed, json!({ "service": crate::SERVICE, "status": if failed { "failed" } else { "ok" }, "projections": roles }))
        })
        .unwrap_or((false, json!({ "status": "unknown" })))
    }
}

/// `/health` (503 when a projection stopped on an event) and `/metrics`.
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
