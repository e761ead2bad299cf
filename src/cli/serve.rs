//! `ecites serve`: the services and the public keys on one port, for a small office.

use crate::config::Config;
use anyhow::Context;
use axum::{routing::get, Json, Router};
use ecites_command::api::{users::Users, ApiState};
use ecites_command::domain::context::PartySettings;
use ecites_command::handler::documents::DocumentStore;
use ecites_command::handler::CommandHandler;
use ecites_events::jetstream::JetStreamLog;
use ecites_events::keyring::PublicKeyring;
use ecites_events::{KeyringStore, PublicKeys};
use std::sync::Arc;

pub async fn run(config: &Config, listen: Option<String>) -> anyhow::Result<u8> {
    let addr = listen.unwrap_or_else(|| config.listen.clone());
    let app = app(config).await?;
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .with_context(|| format!("binding {addr}"))?;
    eprintln!("ecites serving on http://{addr} (health: /health, API: /api/openapi.json, public keys: /api/public-keys)");
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(0)
}

/// Everything `serve` mounts, built from the configuration: the log with every Party's signer,
/// the command API, the services' health endpoints and the public keys.
pub async fn app(config: &Config) -> anyhow::Result<Router> {
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
    let command_api = command_api(config, log, &rings, &parties).await?;
    Ok(Router::new()
        .route(
            "/health",
            get(|| async { Json(serde_json::json!({ "status": "ok" })) }),
        )
        .route(
            "/api/public-keys",
            get(move || async move { Json(rings.clone()) }),
        )
        .merge(command_api)
        .nest("/command", ecites_command::router())
        .nest("/projector", ecites_projector::router())
        .nest("/query", ecites_query::router()))
}

async fn command_api(
    config: &Config,
    log: JetStreamLog,
    rings: &[PublicKeyring],
    parties: &[ecites_events::PartyCode],
) -> anyhow::Result<Router> {
    let keys = PublicKeys::from_rings(rings).map_err(anyhow::Error::msg)?;
    let reference =
        Arc::new(super::species::reference_data_from_log(config, &log, &keys, parties).await?);
    let documents = DocumentStore::open(&config.documents_dir)
        .with_context(|| format!("opening {}", config.documents_dir.display()))?;
    let handler = CommandHandler::new(log, keys, reference).with_documents(documents);
    for party in parties {
        let mut settings = PartySettings::new(*party);
        settings.currency = config.fee_currency.clone();
        handler.configure_party(settings);
    }
    let users = Users::load(&config.users_file)?;
    Ok(ecites_command::api::router(Arc::new(ApiState {
        handler,
        users,
    })))
}
