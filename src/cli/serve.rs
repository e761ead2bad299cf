//! `ecites serve`: the three services and the public keys on one port, for a small office.

use crate::config::Config;
use anyhow::Context;
use axum::{routing::get, Json, Router};
use ecites_events::keyring::PublicKeyring;
use ecites_events::KeyringStore;

pub async fn run(config: &Config, listen: Option<String>) -> anyhow::Result<u8> {
    let addr = listen.unwrap_or_else(|| config.listen.clone());
    let store = KeyringStore::new(&config.keys_dir);
    let rings: Vec<PublicKeyring> = store
        .parties()?
        .into_iter()
        .map(|p| store.load_public(p))
        .collect::<Result<_, _>>()?;
    let app = router(rings);
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .with_context(|| format!("binding {addr}"))?;
    eprintln!("ecites serving on http://{addr} (health: /health, public keys: /api/public-keys)");
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(0)
}

/// All services mounted together: each keeps its own `/health` under its prefix.
pub fn router(public_keys: Vec<PublicKeyring>) -> Router {
    Router::new()
        .route(
            "/health",
            get(|| async { Json(serde_json::json!({ "status": "ok" })) }),
        )
        .route(
            "/api/public-keys",
            get(move || async move { Json(public_keys.clone()) }),
        )
        .nest("/command", ecites_command::router())
        .nest("/projector", ecites_projector::router())
        .nest("/query", ecites_query::router())
}
