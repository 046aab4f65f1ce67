//! `hull`: parse the command line, build a scan plan, run it, evaluate policy, render, pick
//! the exit code. Scanning is `hull_scan::run`'s; policy is `hull_policy::apply`'s.

/// Scans and matching allocate many small strings on several threads; glibc's malloc grows a
/// separate arena per thread with an `mprotect` call at a time (thousands per scan), where
/// mimalloc reuses thread-local pages.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::io::{IsTerminal, Read};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::anyhow;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use hull_report::{Format, RenderOptions};
use hull_scan::options::{OpenOptions, Platform, RegistryOptions, SourceKind};
use hull_scan::{ConfigInput, ErrorClass, ScanPlan, Target};
use hull_types::Scanner;

mod args;
mod db;
mod gate;
mod output;
mod progress;
mod serve;

use args::{K8sArgs, ScanArgs};
use output::{outputs, write_out, Order};

/// Exit codes, as documented in the README (a failed policy's is the policy's: 1 unless
/// `--exit-code` says otherwise).
const EXIT_USAGE: u8 = 2;
const EXIT_INPUT: u8 = 3;

#[derive(Parser)]
#[command(
    name = "hull",
    version,
    about = "Container image security scanner",
    propagate_version = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Scan an image, an archive, a layout or a directory and report what it holds.
    Scan(ScanArgs),
    /// Write the software bill of materials of an image (CycloneDX by default).
    Sbom(ScanArgs),
    /// Check Kubernetes manifests and Dockerfiles: Pod Security Standards, NetworkPolicy
    /// coverage, RBAC, workload hygiene, Dockerfile practice. PATHs are files or
    /// directories; `-` reads a manifest stream from standard input
    /// (`helm template … | hull k8s -`).
    K8s(K8sArgs),
    /// Manage the advisory database.
    #[command(subcommand)]
    Db(db::DbCommand),
    /// Run the scan service: a store of every image's evidence and verdict, a scan queue
    /// fed by the API and registry push webhooks, re-matching when advisories change.
    Serve(Box<serve::ServeArgs>),
    /// Manage the server's API tokens.
    #[command(subcommand)]
    Token(serve::TokenCommand),
}

/// An error with the exit code it deserves.
pub(crate) struct Failure {
    code: u8,
    error: anyhow::Error,
}

pub(crate) fn usage(e: impl Into<anyhow::Error>) -> Failure {
    Failure {
        code: EXIT_USAGE,
        error: e.into(),
    }
}

pub(crate) fn input(e: impl Into<anyhow::Error>) -> Failure {
    Failure {
        code: EXIT_INPUT,
        error: e.into(),
    }
}

/// A scan error's exit code comes from its class.
fn scan_failure(e: hull_scan::ScanError) -> Failure {
    match e.class() {
        ErrorClass::Usage => usage(e),
        ErrorClass::Input => input(e),
    }
}

fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    // Where each --format and --output stood, to pair them.
    let order = matches
        .subcommand()
        .filter(|(name, _)| matches!(*name, "scan" | "sbom" | "k8s"))
        .map(|(_, m)| {
            let at = |id: &str| m.indices_of(id).map(|i| i.collect()).unwrap_or_default();
            (at("format"), at("output"))
        })
        .unwrap_or_default();
    let result = match cli.command {
        Command::Scan(a) => scan(a, Mode::Scan, order),
        Command::Sbom(a) => scan(a, Mode::Sbom, order),
        Command::K8s(a) => k8s(a, order),
        Command::Db(c) => db::run(c),
        Command::Serve(a) => serve::serve(*a),
        Command::Token(c) => serve::token(c),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("hull: error: {:#}", f.error);
            ExitCode::from(f.code)
        }
    }
}

/// `scan` and `sbom` share their arguments and differ in defaults.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// A table on a terminal (JSON otherwise), vulnerabilities on.
    Scan,
    /// CycloneDX, the inventory alone unless `--scanners vuln`.
    Sbom,
}

fn scan(a: ScanArgs, mode: Mode, order: Order) -> Result<(), Failure> {
    let stdout_tty = std::io::stdout().is_terminal();
    let default = match mode {
        Mode::Sbom => Format::CycloneDx,
        Mode::Scan if stdout_tty && a.output.is_empty() => Format::Table,
        Mode::Scan => Format::Json,
    };
    let targets = outputs(&a.format, &a.output, &order, default)?;
    let policy = gate::build(&a.policy, a.severity.as_deref(), a.ignore_unfixed)?;
    let kind = a
        .kind
        .as_deref()
        .map(|k| {
            SourceKind::parse(k).ok_or_else(|| {
                usage(anyhow!(
                    "unknown --kind {k:?} (docker-archive, oci, oci-archive, registry, rootfs, sbom)"
                ))
            })
        })
        .transpose()?;
    let platform = a
        .platform
        .as_deref()
        .map(|p| {
            Platform::parse(p)
                .ok_or_else(|| usage(anyhow!("--platform must be os/arch[/variant], got {p:?}")))
        })
        .transpose()?;
    let credentials = match (&a.username, &a.password) {
        (Some(u), Some(p)) => Some((u.clone(), p.clone())),
        (None, None) => None,
        _ => return Err(usage(anyhow!("--username and --password go together"))),
    };
    let open = OpenOptions {
        kind,
        platform,
        registry: RegistryOptions {
            plain_http: a.plain_http,
            credentials,
            auth_file: a.auth_file.clone(),
            timeout: a.timeout.map(std::time::Duration::from_secs),
        },
    };
    let mut plan = ScanPlan::new(Target::Image {
        target: a.target.clone(),
        open,
    });
    let default_scanners: &[Scanner] = match mode {
        Mode::Scan => &[Scanner::Vuln, Scanner::Secret, Scanner::Misconfig],
        Mode::Sbom => &[],
    };
    plan.require_advisories = !a.skip_vuln_if_no_db;
    plan.scanners = match &a.scanners {
        Some(list) => list.iter().filter_map(|s| s.0).collect(),
        None => default_scanners.iter().copied().collect(),
    };
    plan.advisory_db = a.db.path().ok();
    plan.db_max_age_days = a.db_max_age_days;
    plan.config = a.config.options()?;
    plan.secret = a.secret.plan();
    plan.malware = a.malware.options().map_err(usage)?;
    plan.now = now();
    plan.cache_dir = if a.no_cache {
        None
    } else {
        let dir = a
            .cache_dir
            .clone()
            .or_else(|| dirs::cache_dir().map(|d| d.join("hull")));
        if dir.is_none() && !a.quiet {
            // No HOME (some CI containers): scan without the cache rather than fail.
            eprintln!("hull: warning: no user cache directory; layer cache off (use --cache-dir)");
        }
        dir
    };
    let show_progress = !a.quiet && std::io::stderr().is_terminal();
    let progress = Arc::new(progress::Bar::new(show_progress));
    let outcome = hull_scan::run(&plan, Some(progress)).map_err(scan_failure)?;
    if !a.quiet {
        for n in &outcome.notices {
            eprintln!("hull: warning: {n}");
        }
    }
    let report = hull_policy::apply(outcome.report, &policy, plan.now);
    for (format, file) in &targets {
        let opts = RenderOptions {
            color: file.is_none() && stdout_tty && std::env::var_os("NO_COLOR").is_none(),
            now: plan.now,
            tool_version: env!("CARGO_PKG_VERSION").into(),
            // The scan table lists findings; the package list is the inventory view.
            list_packages: mode == Mode::Sbom || !outcome.vulnerabilities_checked,
            explain: a.explain,
            note: None,
        };
        let rendered = hull_report::render(&report, *format, &opts);
        write_out(file.as_ref(), &rendered).map_err(usage)?;
    }
    gate::verdict(&report)
}

/// `hull k8s`: manifests and Dockerfiles, no image.
fn k8s(a: K8sArgs, order: Order) -> Result<(), Failure> {
    let stdout_tty = std::io::stdout().is_terminal();
    let default = if stdout_tty && a.output.is_empty() {
        Format::Table
    } else {
        Format::Json
    };
    let targets = outputs(&a.format, &a.output, &order, default)?;
    if let Some((f, _)) = targets
        .iter()
        .find(|(f, _)| !matches!(f, Format::Table | Format::Json))
    {
        return Err(usage(anyhow!("hull k8s writes table or json, not {f}")));
    }
    let policy = gate::build(&a.policy, None, false)?;
    let config = a.config.options()?;
    let mut inputs = Vec::new();
    for p in &a.paths {
        if p.as_os_str() == "-" {
            let mut bytes = Vec::new();
            std::io::stdin()
                .lock()
                .take(config.yaml.max_bytes as u64 + 1)
                .read_to_end(&mut bytes)
                .map_err(|e| input(anyhow!("reading standard input: {e}")))?;
            inputs.push(ConfigInput::Bytes {
                name: "-".into(),
                bytes,
            });
        } else {
            inputs.push(ConfigInput::Path(p.clone()));
        }
    }
    let mut plan = ScanPlan::new(Target::Config(inputs));
    plan.config = config;
    plan.now = now();
    let outcome = hull_scan::run(&plan, None).map_err(scan_failure)?;
    let report = hull_policy::apply(outcome.report, &policy, plan.now);
    for (format, file) in &targets {
        let opts = RenderOptions {
            color: file.is_none() && stdout_tty && std::env::var_os("NO_COLOR").is_none(),
            now: plan.now,
            tool_version: env!("CARGO_PKG_VERSION").into(),
            list_packages: false,
            explain: false,
            note: None,
        };
        let note = outcome.config_checked.map(|c| {
            format!(
                "{} Kubernetes objects and {} Dockerfiles checked ({} findings)",
                c.objects,
                c.dockerfiles,
                report.misconfigurations.len()
            )
        });
        let rendered = hull_report::render(&report, *format, &RenderOptions { note, ..opts });
        write_out(file.as_ref(), &rendered).map_err(usage)?;
    }
    gate::verdict(&report)
}

/// Seconds since the epoch; `SOURCE_DATE_EPOCH` pins it for reproducible output.
pub(crate) fn now() -> i64 {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64)
        })
}
