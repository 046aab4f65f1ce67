//! `hull serve`: the scan service. It keeps, per image digest, the references seen, the
//! inventory and findings of every scanner and the policy's verdict in a [`store`]
//! (SQLite by default, PostgreSQL through the same trait); scans what registries push
//! (Distribution and Harbor webhooks) and what clients submit, from a persistent queue, with
//! the very library call `hull scan` makes (`hull_scan::run`) and its layer cache; and when
//! the advisory database changes, matches every stored inventory again without touching
//! the image, recording and announcing what appeared or disappeared.
//!
//! Modules: [`store`] (the storage trait and its SQL implementation), [`auth`] (tokens and
//! roles), [`webhook`] (registry notifications), [`evidence`] (verdicts and finding diffs),
//! [`metrics`], `worker` (the queue's workers and the re-match), `notify`, `admission` (the
//! Kubernetes validating webhook), `api` (the HTTP routes and their OpenAPI document) and
//! `tls`.
//!
//! Like every library here it neither prints nor reads the environment: the `hull` binary
//! builds a [`Config`] and calls [`serve`].

pub mod admission;
pub mod auth;
pub mod evidence;
pub mod metrics;
pub mod store;
pub mod webhook;

mod api;
mod notify;
mod tls;
mod worker;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use hull_policy::Policy;
use hull_types::Scanner;
use tokio::sync::Notify;

pub use api::openapi;
pub use store::{SqlStore, Store, StoreError};

/// A certificate and key in PEM files, reloaded when either changes.
#[derive(Clone, Debug)]
pub struct TlsFiles {
    /// The certificate chain.
    pub cert: PathBuf,
    /// The private key.
    pub key: PathBuf,
}

/// Where findings that appear or disappear are announced.
#[derive(Clone, Debug)]
pub struct NotifyTarget {
    /// The URL POSTed to.
    pub url: String,
    /// A Slack-compatible body (`{"text": …}`) instead of hull's JSON.
    pub slack: bool,
}

/// Everything the server needs; the front-end fills it from flags and `hull-server.toml`.
#[derive(Clone, Debug)]
pub struct Config {
    /// The address to listen on.
    pub listen: SocketAddr,
    /// TLS; plain HTTP when absent (then only on a loopback address unless
    /// `insecure_http`).
    pub tls: Option<TlsFiles>,
    /// Plain HTTP on a non-loopback address was asked for explicitly.
    pub insecure_http: bool,
    /// The advisory database file.
    pub advisory_db: PathBuf,
    /// Scans running at once.
    pub concurrency: usize,
    /// The scanners every scan runs (the inventory is always taken).
    pub scanners: BTreeSet<Scanner>,
    /// The layer cache shared with `hull scan`.
    pub cache_dir: Option<PathBuf>,
    /// The policy every verdict is computed with.
    pub policy: Policy,
    /// What the admission webhook demands (`[admission]` of the same `hull.toml`).
    pub admission: hull_policy::admission::Admission,
    /// The keys cosign signatures are checked with (read from `admission.signature_keys`).
    pub signature_keys: Vec<hull_scan::trust::PublicKey>,
    /// The secret registry webhooks must present (`Authorization`).
    pub webhook_secret: Option<String>,
    /// Notification webhooks.
    pub notify: Vec<NotifyTarget>,
    /// Download advisories and rebuild the database this often (`hull db update`).
    pub db_update: Option<(Duration, hull_scan::db::UpdateOptions)>,
    /// How often to look for a database changed on disk (by `hull db import`).
    pub db_poll: Duration,
    /// The largest request body accepted.
    pub max_body: usize,
    /// The most one request may take.
    pub request_timeout: Duration,
    /// Attempts per job before it fails for good (registry errors only are retried).
    pub max_attempts: i64,
    /// The first retry's delay; each next one doubles it.
    pub retry_delay: Duration,
    /// How long a running job's lease lasts without a heartbeat.
    pub lease: Duration,
    /// The admin token to make sure exists (from `HULL_ADMIN_TOKEN`), named `admin`.
    pub admin_token: Option<String>,
    /// Registry options for the scans (plain HTTP, credentials file, timeout).
    pub registry: hull_scan::options::RegistryOptions,
    /// Registries (host or host/path) the server may be asked to scan from; empty: any.
    /// Without it any scanner-role client (or a pod in `unscanned = "scan"` mode) can make
    /// the server fetch from any host it reaches, internal ones included.
    pub allowed_registries: Vec<String>,
    /// hull's version, recorded in reports.
    pub version: String,
}

impl Config {
    /// A configuration with every default, for `listen`, the store and `advisory_db`.
    pub fn new(listen: SocketAddr, advisory_db: PathBuf) -> Self {
        Config {
            listen,
            tls: None,
            insecure_http: false,
            advisory_db,
            concurrency: std::thread::available_parallelism().map_or(2, |n| n.get()),
            scanners: [Scanner::Vuln, Scanner::Secret, Scanner::Misconfig].into(),
            cache_dir: None,
            policy: Policy::default(),
            admission: Default::default(),
            signature_keys: vec![],
            webhook_secret: None,
            notify: vec![],
            db_update: None,
            db_poll: Duration::from_secs(30),
            max_body: 32 << 20,
            request_timeout: Duration::from_secs(60),
            max_attempts: 4,
            retry_delay: Duration::from_secs(2),
            lease: Duration::from_secs(120),
            admin_token: None,
            registry: Default::default(),
            allowed_registries: vec![],
            version: String::new(),
        }
    }
}

/// Why the server could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The store.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Plain HTTP on an address others can reach.
    #[error("refusing plain HTTP on {0}, which is not a loopback address: give --tls-cert and --tls-key, or --insecure-http")]
    PlainHttp(SocketAddr),
    /// The certificate or key.
    #[error("TLS: {0}")]
    Tls(String),
    /// Binding or serving.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Shared by the routes and the workers.
pub(crate) struct App {
    pub config: Config,
    pub store: Arc<dyn Store>,
    pub metrics: metrics::Metrics,
    /// Wakes idle workers when a job is queued.
    pub wake: Notify,
    /// Asks the re-match task to run (the advisory database changed).
    pub rematch: Notify,
    /// Tags resolved to digests for admission.
    pub resolved: admission::Recent<String>,
    /// Signature checks by `repository@digest`.
    pub signatures: admission::Recent<hull_scan::trust::Signed>,
}

/// Seconds since the epoch.
pub(crate) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Makes sure the admin token from the configuration exists (named `admin`).
pub async fn ensure_admin(store: &dyn Store, token: &str) -> Result<(), StoreError> {
    let hash = auth::hash(token);
    if store.token_by_hash(&hash).await?.is_some() {
        return Ok(());
    }
    // A revoked or different `admin` token is left alone: the new one gets its own name.
    let mut name = "admin".to_string();
    let mut n = 1;
    loop {
        match store
            .create_token(&name, auth::Role::Admin, &hash, now())
            .await
        {
            Ok(_) => return Ok(()),
            Err(StoreError::Exists(_)) => {
                n += 1;
                name = format!("admin-{n}");
            }
            Err(e) => return Err(e),
        }
    }
}

/// Runs the server until `shutdown` resolves: the workers, the re-match and database
/// tasks, and the HTTP (or HTTPS) listener.
pub async fn serve(
    config: Config,
    store: Arc<dyn Store>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    if config.tls.is_none() && !config.insecure_http && !config.listen.ip().is_loopback() {
        return Err(ServeError::PlainHttp(config.listen));
    }
    if let Some(t) = &config.admin_token {
        ensure_admin(store.as_ref(), t).await?;
    }
    // Jobs a previous run left running are queued again (their lease has no owner now).
    store.recover(now()).await?;
    let app = Arc::new(App {
        config,
        store,
        metrics: metrics::Metrics::default(),
        wake: Notify::new(),
        rematch: Notify::new(),
        resolved: Default::default(),
        signatures: Default::default(),
    });
    let stop = Arc::new(tokio::sync::watch::channel(false).0);
    let mut tasks = worker::spawn(app.clone(), stop.subscribe());
    let router = api::router(app.clone());
    let handle = axum_server::Handle::new();
    {
        let handle = handle.clone();
        let stop = stop.clone();
        tokio::spawn(async move {
            shutdown.await;
            let _ = stop.send(true);
            handle.graceful_shutdown(Some(Duration::from_secs(10)));
        });
    }
    let service = router.into_make_service_with_connect_info::<SocketAddr>();
    let served = match &app.config.tls {
        Some(files) => {
            let rustls = tls::load(files).await?;
            tasks.push(tokio::spawn(tls::watch(
                files.clone(),
                rustls.clone(),
                stop.subscribe(),
            )));
            axum_server::bind_rustls(app.config.listen, rustls)
                .handle(handle)
                .serve(service)
                .await
        }
        None => {
            axum_server::bind(app.config.listen)
                .handle(handle)
                .serve(service)
                .await
        }
    };
    let _ = stop.send(true);
    // A scan in progress is not waited for long: its job's lease runs out and it is taken
    // again at the next start.
    for t in tasks {
        let _ = tokio::time::timeout(Duration::from_secs(10), t).await;
    }
    served.map_err(ServeError::Io)
}

/// Runs `f` on a multi-threaded runtime: the front-end needs no async runtime of its own.
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let out = rt.block_on(f);
    // A scan still running on a blocking thread is abandoned, not waited for.
    rt.shutdown_timeout(Duration::from_secs(1));
    out
}

/// Resolves on Ctrl-C or SIGTERM (what Kubernetes sends to stop a pod).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
