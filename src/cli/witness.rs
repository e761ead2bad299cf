//! `ecites witness`: a witness of other Parties' logs (issue #12), as another Party or an NGO
//! runs it with its own key. It co-signs a tree head only when it verifies with the Party's
//! public keys and is consistent with the last one it co-signed (`ecites_projector::witness`).

use anyhow::Context;
use clap::Args;
use ecites_events::PublicKeys;
use ed25519_dalek::SigningKey;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

#[derive(Args)]
pub struct WitnessArgs {
    /// The witness's name, as the logs it witnesses name it.
    #[arg(long)]
    pub name: String,
    /// Its private key (32 random bytes, created 0600 when missing).
    #[arg(long)]
    pub key: PathBuf,
    /// The public keys of the Parties it witnesses (`ecites keys export-public`).
    #[arg(long)]
    pub keys: PathBuf,
    /// What it co-signed, kept across restarts.
    #[arg(long)]
    pub state: PathBuf,
    #[arg(long, default_value = "127.0.0.1:8090")]
    pub listen: String,
}

/// The witness's key, created when missing (readable by its owner only).
pub fn load_or_create_key(path: &Path) -> anyhow::Result<SigningKey> {
    if let Ok(bytes) = std::fs::read(path) {
        let seed: [u8; 32] = bytes
            .try_into()
            .map_err(|_| anyhow::anyhow!("{} is not a 32-byte key", path.display()))?;
        return Ok(SigningKey::from_bytes(&seed));
    }
    let mut seed = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut seed);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(path)
        .and_then(|mut f| f.write_all(&seed).and_then(|()| f.sync_all()))
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(SigningKey::from_bytes(&seed))
}

pub async fn run(args: WitnessArgs, out: &mut dyn Write) -> anyhow::Result<u8> {
    use base64::Engine;
    let key = load_or_create_key(&args.key)?;
    let keys = PublicKeys::read_path(&args.keys)?;
    let state = Arc::new(ecites_projector::witness::WitnessState {
        name: args.name.clone(),
        key,
        keys,
        last: Mutex::new(ecites_projector::witness::WitnessState::load_state(
            &args.state,
        )),
        state_file: Some(args.state),
    });
    let public =
        base64::engine::general_purpose::STANDARD.encode(state.key.verifying_key().to_bytes());
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("binding {}", args.listen))?;
    writeln!(
        out,
        "witness {} (public key {public}) on http://{}",
        args.name, args.listen
    )?;
    axum::serve(listener, ecites_projector::witness::router(state))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(0)
}
