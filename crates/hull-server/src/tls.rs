//! TLS with rustls (the `ring` provider, as the registry client uses), from PEM files that
//! are reloaded when they change: a renewed certificate is served without a restart, and a
//! broken renewal keeps the old one.

use std::path::Path;
use std::time::{Duration, SystemTime};

use axum_server::tls_rustls::RustlsConfig;

use crate::{ServeError, TlsFiles};

/// How often the files are looked at.
const POLL: Duration = Duration::from_secs(2);

fn install_provider() {
    // Fails only when a provider is already installed, which is what is wanted.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The server's TLS configuration from the files.
pub async fn load(files: &TlsFiles) -> Result<RustlsConfig, ServeError> {
    install_provider();
    RustlsConfig::from_pem_chain_file(&files.cert, &files.key)
        .await
        .map_err(|e| {
            ServeError::Tls(format!(
                "{} / {}: {e}",
                files.cert.display(),
                files.key.display()
            ))
        })
}

fn modified(p: &Path) -> Option<SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

/// Reloads `config` whenever either file's modification time changes, until `stop`.
pub async fn watch(
    files: TlsFiles,
    config: RustlsConfig,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut seen = (modified(&files.cert), modified(&files.key));
    loop {
        tokio::select! {
            _ = tokio::time::sleep(POLL) => {}
            _ = stop.changed() => return,
        }
        let now = (modified(&files.cert), modified(&files.key));
        if now != seen {
            // A half-written pair fails to load; the old certificate stays and the next
            // change is tried again.
            if config
                .reload_from_pem_file(&files.cert, &files.key)
                .await
                .is_ok()
            {
                seen = now;
            }
        }
    }
}
