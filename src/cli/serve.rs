//! `ecites serve`: the services and the public keys on one port, for a small office.

use crate::config::Config;
use crate::species::job::{ImportJobs, SharedReference};
use crate::species::ClientConfig;
use anyhow::Context;
use axum::{routing::get, Json, Router};
use ecites_command::api::species_import::SpeciesImports;
use ecites_command::api::users::SignInRefused;
use ecites_command::api::{users::Users, ApiState};
use ecites_command::domain::context::PartySettings;
use ecites_command::handler::auth::{Principal, Role};
use ecites_command::handler::documents::DocumentStore;
use ecites_command::handler::CommandHandler;
use ecites_events::jetstream::JetStreamLog;
use ecites_events::keyring::PublicKeyring;
use ecites_events::{KeyringStore, PartyCode, PublicKeys};
use ecites_projector::db::{ACTIVE_SCHEMA, TREE_SCHEMA};
use ecites_projector::status::Status;
use ecites_query::ui::{Directory, Login, LoginRefused, Ui, UserEntry};
use ecites_query::{QueryState, Sessions, Viewer};
use std::sync::Arc;

/// The query side reads the command side's sessions: one login serves both APIs.
struct CommandSessions(Arc<ApiState<JetStreamLog>>);

impl Sessions for CommandSessions {
    fn viewer(&self, bearer_token: &str) -> Option<Viewer> {
        self.0.users.session(bearer_token).map(|p| Viewer {
            user_id: p.user_id,
            party: p.party,
            role: p.role.as_str().to_string(),
            organisation_id: p.organisation_id,
        })
    }
}

/// The UI's sign-in checks passwords against the command side's users and opens a session
/// there, so the browser's cookie is also a command API session. It also gives the Party
/// admin's pages the users, the configuration and the import sources.
struct CommandLogin {
    api: Arc<ApiState<JetStreamLog>>,
    imports: Arc<dyn SpeciesImports>,
}

impl Directory for CommandLogin {
    fn users(&self, party: PartyCode) -> Vec<UserEntry> {
        self.api
            .users
            .list(party)
            .into_iter()
            .map(|u| UserEntry {
                user_id: u.user_id,
                role: u.role.as_str().to_string(),
                organisation_id: u.organisation_id,
                disabled: u.disabled,
                password_set: u.password_set,
                link_pending: u.link_pending,
            })
            .collect()
    }

    fn config(
        &self,
        party: PartyCode,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Option<serde_json::Value>> + Send + '_>>
    {
        Box::pin(async move {
            // Reading the configuration needs a user of the Party; the page checked the role.
            let reader = Principal {
                user_id: "admin-ui".into(),
                role: Role::PartyAdmin,
                party,
                organisation_id: None,
            };
            let (s, _) = self.api.handler.party_config(&reader, party).await.ok()?;
            Some(serde_json::json!({
                "currency": s.currency,
                "fees": s.fees,
                "domestic_measures": s.domestic_measures,
                "national_list": s.national_list,
                "national_entries": s.national_entries,
            }))
        })
    }

    fn import_sources(&self) -> (bool, bool) {
        let s = self.imports.sources();
        (s.saved, s.live)
    }
}

impl Login for CommandLogin {
    fn login(
        &self,
        party: PartyCode,
        user_id: &str,
        password: &str,
        client: Option<std::net::IpAddr>,
    ) -> Result<(String, Viewer), LoginRefused> {
        let (token, p) = self
            .api
            .users
            .sign_in(party, user_id, password, client)
            .map_err(|refused| match refused {
                SignInRefused::BadCredentials => LoginRefused::BadCredentials,
                SignInRefused::TooManyAttempts { retry_after } => {
                    LoginRefused::TooManyAttempts { retry_after }
                }
            })?;
        Ok((
            token,
            Viewer {
                user_id: p.user_id,
                party: p.party,
                role: p.role.as_str().to_string(),
                organisation_id: p.organisation_id,
            },
        ))
    }

    fn logout(&self, token: &str) {
        self.api.users.logout(token);
    }

    fn directory(&self) -> Option<&dyn Directory> {
        Some(self)
    }
}

pub async fn run(config: &Config, listen: Option<String>) -> anyhow::Result<u8> {
    let addr = listen.unwrap_or_else(|| config.listen.clone());
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let app = app(config, stopped).await?;
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .with_context(|| format!("binding {addr}"))?;
    eprintln!("ecites serving on http://{addr} (health: /health, API: /api/openapi.json, public keys: /api/public-keys)");
    // The peer's address is what the limits on guessing count by (see `hardening.rs`).
    let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            let _ = tokio::signal::ctrl_c().await;
            let _ = stop.send(true);
        })
        .await?;
    Ok(0)
}

/// Everything `serve` runs, built from the configuration: the log with every Party's signer,
/// the command API, the projector (in the background until `shutdown`), the query API under
/// `/query`, the services' health endpoints and the public keys.
pub async fn app(
    config: &Config,
    shutdown: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<Router> {
    let store = KeyringStore::new(&config.keys_dir);
    let parties = store.parties()?;
    let rings: Vec<PublicKeyring> = parties
        .iter()
        .map(|p| store.load_public(*p))
        .collect::<Result<_, _>>()?;
    let log = super::connect(config).await?;
    for party in &parties {
        log.set_signer(store.load(*party)?.signer);
    }
    let keys = Arc::new(PublicKeys::from_rings(&rings).map_err(anyhow::Error::msg)?);
    let status = Status::default();
    let tree = ecites_projector::tree::TreeReader {
        pool: ecites_projector::db::pool_lazy(config.database_url.expose(), TREE_SCHEMA, 4)?,
    };
    let witnesses =
        ecites_projector::witness::Witnesses::new(config.witnesses.clone(), status.clone());
    let signers = parties
        .iter()
        .map(|p| Ok((*p, store.load(*p)?.signer)))
        .collect::<anyhow::Result<std::collections::HashMap<_, _>>>()?;
    tokio::spawn(ecites_projector::tree_heads::run(
        Arc::new(log.clone()),
        signers,
        tree.clone(),
        witnesses.clone(),
        ecites_projector::tree_heads::TreeHeadConfig {
            interval: std::time::Duration::from_millis(config.tree_head_interval_ms),
            every: config.tree_head_every.max(1),
        },
        shutdown.clone(),
    ));
    let projector = ecites_projector::runner::run(
        Arc::new(log.clone()),
        keys,
        parties.clone(),
        super::projector::projector_config(config),
        status.clone(),
        shutdown.clone(),
    );
    tokio::spawn(async move {
        if let Err(e) = projector.await {
            tracing::error!("projector stopped: {e}");
            eprintln!("projector stopped: {e}");
        }
    });
    let (command_api, api_state, imports) = command_api(config, log, &rings, &parties).await?;
    let api_sessions = api_state.clone();
    let pool = ecites_projector::db::pool(config.database_url.expose(), ACTIVE_SCHEMA, 8).await?;
    if config.expiry_interval_secs > 0 {
        let every = std::time::Duration::from_secs(config.expiry_interval_secs);
        tokio::spawn(expire_periodically(
            api_state.clone(),
            pool.clone(),
            parties.clone(),
            every,
            shutdown,
        ));
    }
    let mut query = QueryState::new(pool, Arc::new(CommandSessions(api_state.clone())));
    query.position_wait = std::time::Duration::from_millis(config.read_wait_ms);
    let query =
        Arc::new(query.with_first_seal(Arc::new(super::seal::FirstSealer(api_state.clone()))));
    // The web UI: pages under /query/ui, posting to the command API on the same origin.
    let ui = Arc::new(Ui {
        query: query.clone(),
        login: Arc::new(CommandLogin {
            api: api_state,
            imports,
        }),
        base: "/query".into(),
        command_base: String::new(),
    });
    let health = status.clone();
    let metrics_token = config
        .metrics_token
        .as_ref()
        .map(|t| t.expose().to_string());
    let hardening = super::hardening::Hardening {
        api: api_sessions.clone(),
        metrics_token: metrics_token.clone(),
        trust_forwarded_for: config.trust_forwarded_for,
        request_timeout: std::time::Duration::from_secs(config.request_timeout_secs.max(1)),
    };
    let metrics = MetricsReaders {
        token: metrics_token,
        sessions: api_sessions.clone(),
    };
    let http_metrics = super::metrics::HttpMetrics::new();
    let all_metrics = {
        let (http, status, api) = (http_metrics.clone(), status.clone(), api_sessions);
        move || {
            http.set_sessions(api.users.open_sessions());
            let text = format!("{}\n{}", http.render(), status.prometheus());
            (
                [(
                    axum::http::header::CONTENT_TYPE,
                    "text/plain; version=0.0.4",
                )],
                text,
            )
        }
    };
    let gate = {
        let metrics = metrics.clone();
        axum::middleware::from_fn(
            move |req: axum::extract::Request, next: axum::middleware::Next| {
                let metrics = metrics.clone();
                async move { metrics.gate(req, next).await }
            },
        )
    };
    let app = Router::new()
        .route(
            "/health",
            get(move || {
                let status = health.clone();
                async move { health_answer(&status) }
            }),
        )
        .route(
            "/metrics",
            get(move || {
                let all = all_metrics.clone();
                async move { all() }
            })
            .layer(gate),
        )
        .merge(ecites_projector::proofs::router(tree))
        .route("/.well-known/ecites-keys.json", {
            // What a third party pins to check seals offline (every key, retired ones too).
            let published = Json(super::seal::PublishedKeys::from_rings(&rings));
            get(move || async move {
                (
                    [(axum::http::header::CACHE_CONTROL, "public, max-age=3600")],
                    published.clone(),
                )
            })
        })
        .route(
            "/api/public-keys",
            get(move || async move { Json(rings.clone()) }),
        )
        .merge(ecites_query::specimens::router(query.pool.clone()))
        .merge(super::seal_page::router(query.pool.clone()))
        .merge(command_api)
        .nest("/command", ecites_command::router())
        .nest(
            "/projector",
            ecites_projector::status::router(status).layer(axum::middleware::from_fn(
                move |req: axum::extract::Request, next: axum::middleware::Next| {
                    let metrics = metrics.clone();
                    async move { metrics.gate(req, next).await }
                },
            )),
        )
        .nest(
            "/query",
            ecites_query::router(query).merge(ecites_query::ui::router(ui)),
        )
        .layer(axum::middleware::from_fn(move |req, next| {
            super::metrics::observe(http_metrics.clone(), req, next)
        }));
    Ok(super::logging::traced(super::hardening::harden(
        app, hardening,
    )))
}

/// `/health`: 200 when every projection follows every Party and every stream is complete,
/// else 503, with the words that say what is not (never an error's text).
fn health_answer(status: &Status) -> axum::response::Response {
    use axum::response::IntoResponse;
    let (ok, body) = status.health();
    let code = if ok {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::SERVICE_UNAVAILABLE
    };
    (code, Json(body)).into_response()
}

/// Who reads `/projector/metrics`: the configured scraper token, or a system operator's
/// session. `/projector/health` stays open (it holds no error text).
#[derive(Clone)]
struct MetricsReaders {
    token: Option<String>,
    sessions: Arc<ApiState<JetStreamLog>>,
}

impl MetricsReaders {
    async fn gate(
        &self,
        req: axum::extract::Request,
        next: axum::middleware::Next,
    ) -> axum::response::Response {
        use axum::response::IntoResponse;
        if !req.uri().path().ends_with("/metrics") || self.allows(req.headers()) {
            return next.run(req).await;
        }
        (
            axum::http::StatusCode::UNAUTHORIZED,
            [(axum::http::header::WWW_AUTHENTICATE, "Bearer")],
            "metrics need the metrics token (metrics_token) or a system operator's session\n",
        )
            .into_response()
    }

    fn allows(&self, headers: &axum::http::HeaderMap) -> bool {
        let Some(token) = ecites_query::auth::bearer(headers) else {
            return false;
        };
        if let Some(expected) = &self.token {
            if constant_time_eq(token.as_bytes(), expected.as_bytes()) {
                return true;
            }
        }
        // Metrics name every Party: a user of one Party reads none of them.
        self.sessions
            .users
            .session(token)
            .is_some_and(|p| p.role == Role::SystemOperator)
    }
}

/// Compares without stopping at the first difference, so timing tells nothing of the token.
pub(super) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn command_api(
    config: &Config,
    log: JetStreamLog,
    rings: &[PublicKeyring],
    parties: &[ecites_events::PartyCode],
) -> anyhow::Result<(Router, Arc<ApiState<JetStreamLog>>, Arc<dyn SpeciesImports>)> {
    let keys = PublicKeys::from_rings(rings).map_err(anyhow::Error::msg)?;
    // Replaceable: an import from the admin pages rebuilds it without a restart.
    let reference = Arc::new(SharedReference::new(
        super::species::reference_data_from_log(config, &log, &keys, parties).await?,
    ));
    let live = config
        .speciesplus_token
        .clone()
        .map(|token| ClientConfig::new(config.speciesplus_url.clone(), token.expose()));
    let imports: Arc<dyn SpeciesImports> = Arc::new(ImportJobs::new(
        log.clone(),
        keys.clone(),
        parties.to_vec(),
        config.species_dir.clone(),
        live,
        reference.clone(),
    ));
    let documents = DocumentStore::open(&config.documents_dir)
        .with_context(|| format!("opening {}", config.documents_dir.display()))?;
    let store = KeyringStore::new(&config.keys_dir);
    let signers = parties
        .iter()
        .map(|p| store.load(*p).map(|ring| ring.signer))
        .collect::<Result<Vec<_>, _>>()?;
    let handler = CommandHandler::new(log, keys, reference)
        .with_documents(documents)
        .with_sealers(ecites_command::handler::seal::Sealers::new(signers));
    for party in parties {
        let mut settings = PartySettings::new(*party);
        settings.currency = config.fee_currency.clone();
        handler.configure_party(settings);
    }
    let users = Users::load(&config.users_file)?;
    let state = Arc::new(ApiState { handler, users });
    let routes = ecites_command::api::router(state.clone()).merge(
        ecites_command::api::species_import::router(state.clone(), imports.clone()),
    );
    Ok((routes, state, imports))
}

/// Expires the permits past their validity, at start-up and then every `every`.
async fn expire_periodically(
    state: Arc<ApiState<JetStreamLog>>,
    pool: sqlx::PgPool,
    parties: Vec<ecites_events::PartyCode>,
    every: std::time::Duration,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        let today = ecites_events::cites::IsoDate(time::OffsetDateTime::now_utc().date());
        for party in &parties {
            match crate::expiry::sweep(&state.handler, &pool, *party, today).await {
                Ok(s) if !s.expired.is_empty() || !s.refused.is_empty() => tracing::info!(
                    party = %party, expired = s.expired.len(), refused = s.refused.len(), "expiry sweep"
                ),
                Ok(_) => {}
                Err(e) => tracing::warn!(party = %party, "expiry sweep failed: {e}"),
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shutdown.changed() => if *shutdown.borrow() { return },
        }
    }
}
