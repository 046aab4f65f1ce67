//! `hull serve` and `hull token`: flags and `hull-server.toml` into a `hull_server::Config`,
//! then the server; tokens created, listed and revoked straight in the store.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, Context};
use clap::{Args, Subcommand};
use hull_server::auth::Role;
use hull_server::{Config, NotifyTarget, SqlStore, Store, TlsFiles};
use hull_types::Scanner;
use serde::Deserialize;

use crate::args::{DbArgs, PolicyArgs, ScannerArg};
use crate::{input, now, usage, Failure};

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on (plain HTTP only on loopback unless --insecure-http).
    #[arg(long, value_name = "ADDR")]
    listen: Option<SocketAddr>,
    /// The store: `sqlite://PATH` (default: `server.db` in the user cache directory's
    /// `hull/`) or `postgres://…`.
    #[arg(long, env = "HULL_STORE", value_name = "URL")]
    store: Option<String>,
    /// A `hull-server.toml`; flags given win over its keys.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// TLS certificate chain (PEM), reloaded when it changes.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Serve plain HTTP on a non-loopback address.
    #[arg(long)]
    insecure_http: bool,
    /// Scans at once (default: the number of cores).
    #[arg(long, value_name = "N")]
    concurrency: Option<usize>,
    /// Scanners every scan runs (default vuln,secret,misconfig).
    #[arg(long, value_delimiter = ',', value_parser = crate::args::scanner_parser())]
    scanners: Option<Vec<ScannerArg>>,
    /// The secret registry webhooks send in `Authorization` (`Bearer SECRET` or the bare
    /// value).
    #[arg(
        long,
        env = "HULL_WEBHOOK_SECRET",
        value_name = "SECRET",
        hide_env_values = true
    )]
    webhook_secret: Option<String>,
    /// POST findings that appear or are resolved after an advisory change here
    /// (repeatable).
    #[arg(long, value_name = "URL")]
    notify: Vec<String>,
    /// As --notify, with a Slack-compatible body (`{"text": …}`).
    #[arg(long, value_name = "URL")]
    notify_slack: Vec<String>,
    /// Run `hull db update` this often (`30m`, `6h`, `1d`) and re-match every stored image.
    #[arg(long, value_name = "INTERVAL", value_parser = parse_interval)]
    db_update_interval: Option<Duration>,
    /// The OSV mirror of the scheduled update.
    #[arg(long, env = "HULL_OSV_MIRROR", value_name = "URL")]
    mirror: Option<String>,
    /// The largest request body, in bytes (`K`, `M`, `G` suffixes; default 32M).
    #[arg(long, value_name = "BYTES", value_parser = parse_size)]
    max_body: Option<usize>,
    /// The most one request may take, in seconds (default 60).
    #[arg(long, value_name = "SECONDS")]
    request_timeout: Option<u64>,
    /// The layer cache (default: the user cache directory's `hull/`, shared with `hull scan`).
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<PathBuf>,
    /// Scan without the layer cache.
    #[arg(long)]
    no_cache: bool,
    /// Registries the server may scan from (comma-separated hosts or host/path prefixes);
    /// scans and webhook pushes of others are refused. Default: any.
    #[arg(long, value_delimiter = ',')]
    allowed_registries: Vec<String>,
    #[command(flatten)]
    db: DbArgs,
    #[command(flatten)]
    policy: PolicyArgs,
}

/// `hull-server.toml`: the same settings as the flags.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<SocketAddr>,
    store: Option<String>,
    db: Option<PathBuf>,
    policy: Option<PathBuf>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    insecure_http: Option<bool>,
    concurrency: Option<usize>,
    scanners: Option<Vec<String>>,
    webhook_secret: Option<String>,
    #[serde(default)]
    notify: Vec<String>,
    #[serde(default)]
    notify_slack: Vec<String>,
    db_update_interval: Option<String>,
    mirror: Option<String>,
    max_body: Option<String>,
    request_timeout: Option<u64>,
    cache_dir: Option<PathBuf>,
    #[serde(default)]
    allowed_registries: Vec<String>,
}

fn parse_interval(s: &str) -> Result<Duration, String> {
    let (n, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = n
        .parse()
        .map_err(|_| format!("{s:?}: a number and s, m, h or d"))?;
    let secs = match unit {
        "s" | "" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        _ => return Err(format!("{s:?}: a number and s, m, h or d")),
    };
    if secs < 60 {
        return Err(format!("{s:?}: at least a minute"));
    }
    Ok(Duration::from_secs(secs))
}

fn parse_size(s: &str) -> Result<usize, String> {
    let (n, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: usize = n.parse().map_err(|_| format!("{s:?}: a number of bytes"))?;
    let mul = match unit {
        "" => 1,
        "K" | "k" => 1 << 10,
        "M" | "m" => 1 << 20,
        "G" | "g" => 1 << 30,
        _ => return Err(format!("{s:?}: a number and K, M or G")),
    };
    n.checked_mul(mul)
        .ok_or_else(|| format!("{s:?}: too large"))
}

fn default_store() -> Result<String, Failure> {
    let dir = dirs::cache_dir()
        .map(|d| d.join("hull"))
        .ok_or_else(|| usage(anyhow!("no user cache directory; pass --store")))?;
    std::fs::create_dir_all(&dir)
        .with_context(|| dir.display().to_string())
        .map_err(usage)?;
    Ok(format!("sqlite://{}", dir.join("server.db").display()))
}

fn read_config(path: Option<&Path>) -> Result<FileConfig, Failure> {
    let Some(p) = path else {
        return Ok(FileConfig::default());
    };
    let text = std::fs::read_to_string(p)
        .with_context(|| p.display().to_string())
        .map_err(usage)?;
    toml::from_str(&text).map_err(|e| usage(anyhow!("{}: {e}", p.display())))
}

pub fn serve(mut a: ServeArgs) -> Result<(), Failure> {
    let file = read_config(a.config.as_deref())?;
    if a.policy.policy.is_none() {
        a.policy.policy = file.policy.clone();
    }
    let policy = crate::gate::build(&a.policy, None, false)?;
    // The same file's `[admission]` section, found where `gate::build` finds the policy.
    let admission = match a
        .policy
        .policy
        .clone()
        .or_else(|| hull_policy::file::find(Path::new(".")))
    {
        Some(p) => {
            hull_policy::file::load(&p)
                .map_err(crate::gate::diagnostic)?
                .admission
        }
        None => Default::default(),
    };
    let db = match a.db.db.clone().or(file.db.clone()) {
        Some(p) => p,
        None => a.db.path()?,
    };
    let listen = a
        .listen
        .or(file.listen)
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080)));
    let mut c = Config::new(listen, db.clone());
    c.version = env!("CARGO_PKG_VERSION").to_string();
    c.policy = policy;
    c.signature_keys = admission
        .signature_keys
        .iter()
        .map(|p| {
            let pem = std::fs::read_to_string(p)
                .with_context(|| format!("signature key {}", p.display()))
                .map_err(usage)?;
            hull_scan::trust::PublicKey::from_pem(&pem)
                .map_err(|e| usage(anyhow!("signature key {}: {e}", p.display())))
        })
        .collect::<Result<_, _>>()?;
    c.admission = admission;
    c.tls = match (a.tls_cert.or(file.tls_cert), a.tls_key.or(file.tls_key)) {
        (Some(cert), Some(key)) => Some(TlsFiles { cert, key }),
        (None, None) => None,
        _ => return Err(usage(anyhow!("TLS needs both a certificate and a key"))),
    };
    c.insecure_http = a.insecure_http || file.insecure_http.unwrap_or(false);
    if let Some(n) = a.concurrency.or(file.concurrency) {
        c.concurrency = n.max(1);
    }
    if let Some(list) = &a.scanners {
        c.scanners = list.iter().filter_map(|s| s.0).collect();
    } else if let Some(list) = &file.scanners {
        c.scanners = list
            .iter()
            .map(|s| s.parse::<Scanner>())
            .collect::<Result<_, _>>()
            .map_err(|e| usage(anyhow!("hull-server.toml: scanners: {e}")))?;
    }
    c.webhook_secret = a.webhook_secret.or(file.webhook_secret);
    c.allowed_registries = if a.allowed_registries.is_empty() {
        file.allowed_registries.clone()
    } else {
        a.allowed_registries.clone()
    };
    let plain = a.notify.iter().chain(&file.notify).map(|u| (u, false));
    let slack = a
        .notify_slack
        .iter()
        .chain(&file.notify_slack)
        .map(|u| (u, true));
    c.notify = plain
        .chain(slack)
        .map(|(url, slack)| NotifyTarget {
            url: url.clone(),
            slack,
        })
        .collect();
    let interval = match (a.db_update_interval, &file.db_update_interval) {
        (Some(d), _) => Some(d),
        (None, Some(s)) => Some(
            parse_interval(s)
                .map_err(|e| usage(anyhow!("hull-server.toml: db_update_interval: {e}")))?,
        ),
        (None, None) => None,
    };
    c.db_update = interval.map(|every| {
        (
            every,
            hull_scan::db::UpdateOptions {
                mirror: a
                    .mirror
                    .clone()
                    .or(file.mirror.clone())
                    .unwrap_or_else(|| hull_scan::db::DEFAULT_MIRROR.to_string()),
                ecosystems: hull_scan::db::MATCHED_ECOSYSTEMS
                    .iter()
                    .map(|s| s.to_string())
                    .collect(),
                download_dir: db.with_file_name("osv"),
                max_bytes: 4 << 30,
                timeout: Duration::from_secs(1800),
            },
        )
    });
    if let Some(n) = a.max_body {
        c.max_body = n;
    } else if let Some(s) = &file.max_body {
        c.max_body =
            parse_size(s).map_err(|e| usage(anyhow!("hull-server.toml: max_body: {e}")))?;
    }
    if let Some(s) = a.request_timeout.or(file.request_timeout) {
        c.request_timeout = Duration::from_secs(s.max(1));
    }
    c.cache_dir = if a.no_cache {
        None
    } else {
        a.cache_dir
            .or(file.cache_dir)
            .or_else(|| dirs::cache_dir().map(|d| d.join("hull")))
    };
    c.admin_token = std::env::var("HULL_ADMIN_TOKEN")
        .ok()
        .filter(|t| !t.is_empty());
    let store_url = match a.store.or(file.store) {
        Some(s) => s,
        None => default_store()?,
    };
    hull_server::block_on(async move {
        let store: Arc<dyn Store> = Arc::new(SqlStore::connect(&store_url).await.map_err(input)?);
        eprintln!(
            "hull: serving on {}://{} (store {store_url}, advisory database {})",
            if c.tls.is_some() { "https" } else { "http" },
            c.listen,
            c.advisory_db.display()
        );
        hull_server::serve(c, store, hull_server::shutdown_signal())
            .await
            .map_err(|e| match e {
                hull_server::ServeError::Store(e) => input(e),
                e => usage(e),
            })
    })
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Create a token and print its secret (shown this once).
    Create {
        /// viewer (read), scanner (also submit scans and SBOMs), admin (also tokens and
        /// the advisory database).
        #[arg(long)]
        role: Role,
        /// A unique name, shown in the audit log.
        #[arg(long)]
        name: String,
        #[command(flatten)]
        store: StoreArg,
    },
    /// Revoke a token by name.
    Revoke {
        name: String,
        #[command(flatten)]
        store: StoreArg,
    },
    /// List tokens (never their secrets).
    List {
        #[command(flatten)]
        store: StoreArg,
    },
}

#[derive(Args)]
pub struct StoreArg {
    /// The server's store (default: its default SQLite file).
    #[arg(long, env = "HULL_STORE", value_name = "URL")]
    store: Option<String>,
}

impl StoreArg {
    fn url(&self) -> Result<String, Failure> {
        match &self.store {
            Some(s) => Ok(s.clone()),
            None => default_store(),
        }
    }
}

pub fn token(c: TokenCommand) -> Result<(), Failure> {
    hull_server::block_on(async move {
        let url = match &c {
            TokenCommand::Create { store, .. }
            | TokenCommand::Revoke { store, .. }
            | TokenCommand::List { store } => store.url()?,
        };
        let store = SqlStore::connect(&url).await.map_err(input)?;
        let audit = |action: &str, target: String| hull_server::store::AuditEntry {
            at: now(),
            actor: "cli".into(),
            action: action.into(),
            target,
            client: "local".into(),
            status: 0,
        };
        match c {
            TokenCommand::Create { role, name, .. } => {
                let secret = hull_server::auth::generate();
                store
                    .create_token(&name, role, &hull_server::auth::hash(&secret), now())
                    .await
                    .map_err(usage)?;
                store
                    .audit(audit("token.create", format!("{name} ({role})")))
                    .await
                    .map_err(input)?;
                println!("{secret}");
            }
            TokenCommand::Revoke { name, .. } => {
                if !store.revoke_token(&name, now()).await.map_err(input)? {
                    return Err(usage(anyhow!("no live token named {name:?}")));
                }
                store
                    .audit(audit("token.revoke", name))
                    .await
                    .map_err(input)?;
            }
            TokenCommand::List { .. } => {
                for t in store.tokens().await.map_err(input)? {
                    let state = match t.revoked_at {
                        Some(at) => format!("revoked {}", hull_types::time::rfc3339(at)),
                        None => "live".into(),
                    };
                    println!(
                        "{}\t{}\t{}\t{state}",
                        t.name,
                        t.role,
                        hull_types::time::rfc3339(t.created_at)
                    );
                }
            }
        }
        Ok(())
    })
}
