//! `hull`: parse the command line, open the target, scan, render, pick the exit code.
//! Everything else lives in the libraries.

/// Scans and matching allocate many small strings on several threads; glibc's malloc grows a
/// separate arena per thread with an `mprotect` call at a time (thousands per scan), where
/// mimalloc reuses thread-local pages.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use hull_image::{ImageError, OpenOptions, Platform, RegistryOptions, SourceKind};
use hull_report::{Format, RenderOptions};
use hull_scan::{Cache, ScanError, ScanOptions};

mod progress;

/// Exit codes, as documented in the README.
const EXIT_POLICY: u8 = 1;
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
    Db(DbCommand),
}

/// Options of the configuration checks, shared by `scan` and `k8s`.
#[derive(Args, Clone)]
struct ConfigArgs {
    /// Pod Security Standards level workloads are held to: baseline or restricted.
    #[arg(long, default_value = "restricted")]
    pss_level: String,
    /// Registries images may come from (comma-separated hosts or host/path prefixes);
    /// others are reported. Default: any.
    #[arg(long, value_delimiter = ',')]
    allowed_registries: Vec<String>,
    /// Exit with code 1 when a finding of this severity or higher is reported
    /// (low, medium, high, critical).
    #[arg(long)]
    fail_on: Option<String>,
}

impl ConfigArgs {
    fn options(&self) -> Result<hull_config::Options, Failure> {
        let level = hull_config::k8s::pss::Level::parse(&self.pss_level).ok_or_else(|| {
            usage(anyhow::anyhow!(
                "--pss-level must be baseline or restricted, got {:?}",
                self.pss_level
            ))
        })?;
        Ok(hull_config::Options {
            k8s: hull_config::k8s::Options {
                level,
                allowed_registries: self.allowed_registries.clone(),
            },
            ..Default::default()
        })
    }

    fn fail_on(&self) -> Result<Option<hull_types::Severity>, Failure> {
        self.fail_on
            .as_deref()
            .map(|l| {
                hull_types::Severity::parse_level(l).ok_or_else(|| {
                    usage(anyhow::anyhow!(
                        "--fail-on must be low, medium, high or critical, got {l:?}"
                    ))
                })
            })
            .transpose()
    }
}

#[derive(Args)]
struct K8sArgs {
    /// Manifest files (YAML or JSON, multi-document), Dockerfiles, directories, or `-`.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Output format: table (default on a terminal) or json.
    #[arg(short, long)]
    format: Option<String>,
    /// Write the report to a file instead of standard output.
    #[arg(short, long)]
    output: Option<PathBuf>,
    #[command(flatten)]
    config: ConfigArgs,
}

#[derive(Subcommand)]
enum DbCommand {
    /// Build the advisory database from OSV data: `all.zip` files as the OSV project
    /// publishes them, directories of OSV JSON, single JSON files. Replaces the database
    /// atomically.
    Import {
        #[arg(required = true)]
        sources: Vec<PathBuf>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Download each ecosystem's OSV `all.zip` (only those changed since the last update,
    /// by conditional request) and rebuild the database from them.
    Update {
        /// Mirror laid out as the OSV bucket: `<mirror>/<ecosystem>/all.zip`.
        #[arg(long, env = "HULL_OSV_MIRROR", default_value = hull_advisory::DEFAULT_MIRROR)]
        mirror: String,
        /// Ecosystems to fetch (repeatable); default: every one hull can match.
        #[arg(long = "ecosystem")]
        ecosystems: Vec<String>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Show what the advisory database holds.
    Status {
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Args, Clone)]
struct DbArgs {
    /// The advisory database (default: `advisories.db` in the user cache directory's `hull/`).
    #[arg(long, env = "HULL_DB")]
    db: Option<PathBuf>,
}

impl DbArgs {
    fn path(&self) -> Result<PathBuf, Failure> {
        self.db
            .clone()
            .or_else(|| dirs::cache_dir().map(|d| d.join("hull/advisories.db")))
            .ok_or_else(|| usage(anyhow::anyhow!("no user cache directory; pass --db")))
    }
}

#[derive(Args)]
struct ScanArgs {
    /// A docker-archive or OCI tar, an OCI layout or root filesystem directory, an image
    /// reference (`alpine:3.20`, `registry.example/app@sha256:…`), or a CycloneDX/SPDX SBOM.
    target: String,
    /// Output format: table, json, cyclonedx, spdx. `scan` defaults to table on a terminal
    /// and json otherwise; `sbom` defaults to cyclonedx.
    #[arg(short, long)]
    format: Option<String>,
    /// Write the report to a file instead of standard output.
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// What the target is, instead of detecting it: docker-archive, oci, oci-archive,
    /// registry, rootfs, sbom (a CycloneDX or SPDX JSON file, matched without an image).
    #[arg(long)]
    kind: Option<String>,
    /// Platform to pick from a multi-platform index (`linux/arm64`); the host's by default.
    #[arg(long)]
    platform: Option<String>,
    /// Layer cache directory (default: the user cache directory, `hull/`).
    #[arg(long, env = "HULL_CACHE_DIR")]
    cache_dir: Option<PathBuf>,
    /// Do not read or write the layer cache.
    #[arg(long)]
    no_cache: bool,
    /// No progress output.
    #[arg(short, long)]
    quiet: bool,
    /// Registry user name (with --password; otherwise the Docker/podman auth file is used).
    #[arg(long, env = "HULL_USERNAME")]
    username: Option<String>,
    /// Registry password or token.
    #[arg(long, env = "HULL_PASSWORD", hide_env_values = true)]
    password: Option<String>,
    /// Registry auth file to read instead of the Docker/podman defaults.
    #[arg(long)]
    auth_file: Option<PathBuf>,
    /// Talk plain HTTP to the registry (loopback registries always use it).
    #[arg(long)]
    plain_http: bool,
    /// Scanners to run, comma-separated: `vuln` (known vulnerabilities; needs the advisory
    /// database), `secret` (every file of every layer, the config and the history),
    /// `misconfig` (image config and history; in a directory, its Dockerfiles and
    /// Kubernetes manifests), or `none` for the inventory alone. Default for `scan`:
    /// `vuln,secret,misconfig` (vuln only when a database exists); for `sbom`: `none`.
    #[arg(long, value_delimiter = ',')]
    scanners: Option<Vec<String>>,
    #[command(flatten)]
    db: DbArgs,
    /// Report only vulnerabilities that have a fix.
    #[arg(long)]
    ignore_unfixed: bool,
    /// Under each vulnerability, say why it matched: the ecosystem, the name looked up, the
    /// range and advisory that matched, where the severity came from, and where the package
    /// was found. (The JSON report always carries these.)
    #[arg(long)]
    explain: bool,
    /// Report only vulnerabilities of these levels (comma-separated: unknown, low, medium,
    /// high, critical). Default: all.
    #[arg(long, value_delimiter = ',')]
    severity: Option<Vec<String>>,
    /// Warn when the advisory database is older than this many days.
    #[arg(long, default_value_t = 7)]
    db_max_age_days: u64,
    #[command(flatten)]
    config: ConfigArgs,
    #[command(flatten)]
    secret: SecretArgs,
    #[command(flatten)]
    malware: MalwareArgs,
}

/// Malware and IoC options.
#[derive(Args, Clone)]
struct MalwareArgs {
    /// YARA rules to add to hull's built-in pack (files, or directories of `.yar`/`.yara`
    /// files; repeatable). Implies the `malware` scanner.
    #[arg(long = "yara-rules", value_name = "PATH")]
    yara_rules: Vec<PathBuf>,
    /// Use only the rules given with `--yara-rules`, not hull's built-in pack.
    #[arg(long)]
    no_builtin_rules: bool,
    /// Malware hash lists (plain MD5/SHA-1/SHA-256 lists, ClamAV `.hdb`/`.hsb`,
    /// MalwareBazaar CSV exports; repeatable). Implies the `malware` scanner.
    #[arg(long = "malware-hashes", value_name = "PATH")]
    malware_hashes: Vec<PathBuf>,
    /// Indicator-of-compromise sets (plain lists, Loki/signature-base files, STIX 2.1
    /// bundles, MISP events; repeatable). Implies the `ioc` scanner.
    #[arg(long = "ioc", value_name = "PATH")]
    iocs: Vec<PathBuf>,
    /// The largest file scanned for malware and IoCs, and the most all archive members of one
    /// file may expand to (bytes).
    #[arg(long, default_value_t = 128 << 20)]
    malware_max_file_size: u64,
    /// Skip files whose bytes match the digest their OS package recorded (dpkg md5sums,
    /// apk checksums, rpm file digests) and report those that no longer match
    /// (`os-file-modified`). On by default; `--skip-verified-os-files=false` scans every
    /// file, for incident response (the skip trusts the image's own package database).
    #[arg(
        long,
        value_name = "BOOL",
        default_value_t = true,
        num_args = 0..=1,
        default_missing_value = "true",
        action = clap::ArgAction::Set
    )]
    skip_verified_os_files: bool,
    /// Also stream every file to a running ClamAV daemon: `host:port` or a Unix socket path
    /// (`/run/clamav/clamd.ctl`). Implies the `malware` scanner. The daemon's signatures can
    /// change under hull, so no layer results are cached.
    #[arg(long, value_name = "ADDR|SOCKET")]
    clamd: Option<String>,
}

/// Secret scanning options.
#[derive(Args, Clone)]
struct SecretArgs {
    /// A gitleaks rule file (TOML) to use instead of the built-in rules (`[extend]
    /// useDefault = true` adds them back). In a directory scan, `.gitleaks.toml` at its
    /// root is used when this is not given.
    #[arg(long)]
    secret_config: Option<PathBuf>,
    /// Regex of paths never scanned for secrets (repeatable), added to the rules'
    /// allowlists.
    #[arg(long)]
    secret_allow_path: Vec<String>,
    /// Files larger than this many bytes are not scanned for secrets.
    #[arg(long, default_value_t = hull_secret::DEFAULT_MAX_FILE)]
    secret_max_file_size: u64,
    /// Show secrets in the clear in reports (they are redacted to four characters
    /// otherwise). Nothing is written to the layer cache then.
    #[arg(long)]
    show_secrets: bool,
}

/// An error with the exit code it deserves.
struct Failure {
    code: u8,
    error: anyhow::Error,
}

fn usage(e: impl Into<anyhow::Error>) -> Failure {
    Failure {
        code: EXIT_USAGE,
        error: e.into(),
    }
}

fn input(e: impl Into<anyhow::Error>) -> Failure {
    Failure {
        code: EXIT_INPUT,
        error: e.into(),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Scan(a) => run(a, Mode::Scan),
        Command::Sbom(a) => run(a, Mode::Sbom),
        Command::K8s(a) => k8s(a),
        Command::Db(c) => db(c),
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

fn run(a: ScanArgs, mode: Mode) -> Result<(), Failure> {
    let stdout_tty = a.output.is_none() && std::io::stdout().is_terminal();
    let format = match &a.format {
        Some(f) => f.parse::<Format>().map_err(|e| usage(anyhow::anyhow!(e)))?,
        None if mode == Mode::Sbom => Format::CycloneDx,
        None if stdout_tty => Format::Table,
        None => Format::Json,
    };
    let kind = match &a.kind {
        Some(k) => Some(SourceKind::parse(k).ok_or_else(|| {
            usage(anyhow::anyhow!(
                "unknown --kind {k:?} (docker-archive, oci, oci-archive, registry, rootfs, sbom)"
            ))
        })?),
        None => None,
    };
    let platform = match &a.platform {
        Some(p) => Some(Platform::parse(p).ok_or_else(|| {
            usage(anyhow::anyhow!(
                "--platform must be os/arch[/variant], got {p:?}"
            ))
        })?),
        None => None,
    };
    let credentials = match (&a.username, &a.password) {
        (Some(u), Some(p)) => Some((u.clone(), p.clone())),
        (None, None) => None,
        _ => {
            return Err(usage(anyhow::anyhow!(
                "--username and --password go together"
            )))
        }
    };
    let open_opts = OpenOptions {
        kind,
        platform,
        registry: RegistryOptions {
            plain_http: a.plain_http,
            credentials,
            auth_file: a.auth_file.clone(),
        },
    };
    // An SBOM file is matched as it is; anything else is an image.
    let sbom = match kind {
        Some(SourceKind::Sbom) | None if std::path::Path::new(&a.target).is_file() => {
            hull_scan::read_sbom(std::path::Path::new(&a.target)).map_err(input)?
        }
        _ => None,
    };
    if kind == Some(SourceKind::Sbom) && sbom.is_none() {
        return Err(input(anyhow::anyhow!(
            "{}: not a CycloneDX or SPDX JSON document",
            a.target
        )));
    }
    let image = match &sbom {
        Some(_) => None,
        None => Some(
            hull_image::open(&a.target, &open_opts).map_err(|e| match e {
                ImageError::UnknownTarget(_) => usage(e),
                e => input(e),
            })?,
        ),
    };

    // Decide before the (long) scan whether vulnerabilities can be checked.
    let explicit = a.scanners.is_some();
    let default_scanners: &[&str] = match mode {
        Mode::Scan => &["vuln", "secret", "misconfig"],
        Mode::Sbom => &["none"],
    };
    let mut scanners = a
        .scanners
        .clone()
        .unwrap_or_else(|| default_scanners.iter().map(|s| s.to_string()).collect());
    for s in &scanners {
        if !matches!(
            s.as_str(),
            "vuln" | "secret" | "misconfig" | "malware" | "ioc" | "none"
        ) {
            return Err(usage(anyhow::anyhow!(
                "unknown scanner {s:?} (vuln, secret, misconfig, malware, ioc, none)"
            )));
        }
    }
    // Rules, hash lists and indicator sets given on the command line turn their scanner on.
    let m = &a.malware;
    if (!m.yara_rules.is_empty() || !m.malware_hashes.is_empty() || m.clamd.is_some())
        && !scanners.iter().any(|s| s == "malware")
    {
        scanners.push("malware".into());
    }
    if !m.iocs.is_empty() && !scanners.iter().any(|s| s == "ioc") {
        scanners.push("ioc".into());
    }
    if scanners.iter().any(|s| s == "ioc") && m.iocs.is_empty() {
        return Err(usage(anyhow::anyhow!(
            "the ioc scanner needs indicators: give --ioc PATH"
        )));
    }
    let detector = if scanners.iter().any(|s| s == "malware" || s == "ioc") {
        let opts = hull_malware::Options {
            malware: scanners.iter().any(|s| s == "malware"),
            ioc: scanners.iter().any(|s| s == "ioc"),
            no_builtin_rules: m.no_builtin_rules,
            yara: m.yara_rules.clone(),
            hashes: m.malware_hashes.clone(),
            iocs: m.iocs.clone(),
            limits: hull_malware::Limits {
                max_file: m.malware_max_file_size,
                max_expanded: m.malware_max_file_size,
                ..Default::default()
            },
            skip_verified_os_files: m.skip_verified_os_files,
            clamd: m
                .clamd
                .as_deref()
                .map(hull_malware::clamd::ClamdAddr::parse)
                .transpose()
                .map_err(|e| usage(anyhow::anyhow!("--clamd: {e}")))?,
        };
        let (d, warnings) = hull_malware::Detector::load(&opts).map_err(usage)?;
        if !a.quiet {
            for w in warnings {
                eprintln!("hull: warning: {w}");
            }
        }
        Some(Arc::new(d))
    } else {
        None
    };
    let secrets = if scanners.iter().any(|s| s == "secret") {
        let dir_config = image
            .as_ref()
            .and_then(|i| i.rootfs.as_ref())
            .map(|d| d.join(".gitleaks.toml"))
            .filter(|p| p.is_file());
        let source = match a.secret.secret_config.clone().or(dir_config) {
            Some(p) => hull_secret::Source::File(p),
            None => hull_secret::Source::Builtin,
        };
        let (rules, warnings) =
            hull_secret::load_with(&source, &a.secret.secret_allow_path).map_err(usage)?;
        if !a.quiet {
            for w in warnings {
                eprintln!("hull: warning: {w}");
            }
        }
        Some(hull_scan::SecretOptions {
            rules: Arc::new(rules),
            max_file: a.secret.secret_max_file_size,
            show: a.secret.show_secrets,
        })
    } else {
        None
    };
    let cache = if a.no_cache || detector.as_ref().is_some_and(|d| d.uses_clamd()) {
        None
    } else {
        match a
            .cache_dir
            .clone()
            .or_else(|| dirs::cache_dir().map(|d| d.join("hull")))
        {
            Some(dir) => {
                // The key names everything that decides a layer's result: the analyzers
                // and, when secrets are scanned, the rules.
                // `--show-secrets` keeps secrets in the clear: such results are never
                // cached, and never served from entries that hold only redactions.
                let key = format!(
                    "{}|secrets:{}{}|malware:{}",
                    hull_analyzer::registry::fingerprint(),
                    secrets.as_ref().map_or("off", |s| s.rules.fingerprint()),
                    if a.secret.show_secrets { "|shown" } else { "" },
                    detector.as_ref().map_or("off", |d| d.fingerprint())
                );
                Some(Cache::open(&dir, &key).map_err(usage)?)
            }
            None => {
                // No HOME (some CI containers): scan without the cache rather than fail.
                if !a.quiet {
                    eprintln!(
                        "hull: warning: no user cache directory; layer cache off (use --cache-dir)"
                    );
                }
                None
            }
        }
    };
    let show_progress = !a.quiet && std::io::stderr().is_terminal();
    let progress = progress::Bar::new(show_progress);
    let levels: Option<Vec<hull_types::Severity>> = match &a.severity {
        Some(list) => Some(
            list.iter()
                .map(|l| {
                    hull_types::Severity::parse_level(l).ok_or_else(|| {
                        usage(anyhow::anyhow!(
                            "unknown severity {l:?} (unknown, low, medium, high, critical)"
                        ))
                    })
                })
                .collect::<Result<_, _>>()?,
        ),
        None => None,
    };
    let config_opts = a.config.options()?;
    let fail_on = a.config.fail_on()?;
    let db_path = a.db.path()?;
    let advisories = if scanners.iter().any(|s| s == "vuln") {
        match hull_advisory::Database::open(&db_path) {
            Ok(db) => Some(db),
            Err(e) if explicit => return Err(usage(e)),
            Err(e) => {
                if !a.quiet {
                    eprintln!("hull: warning: {e}; vulnerabilities not checked");
                }
                None
            }
        }
    } else {
        None
    };
    // Advisory lookups start while the layers are still being read: each layer's packages
    // are looked up as soon as that layer is done.
    let prefetch = match (&advisories, &image) {
        (Some(db), Some(_)) => Some(Arc::new(hull_match::Prefetch::start(db))),
        _ => None,
    };
    let on_layer: Option<Arc<hull_scan::LayerHook>> = prefetch.clone().map(|p| {
        Arc::new(move |r: &hull_scan::LayerResult| {
            let (packages, os) = r.packages_and_os();
            p.hint(os.as_ref(), &packages);
        }) as Arc<hull_scan::LayerHook>
    });
    let opts = ScanOptions {
        cache,
        limits: Default::default(),
        progress: Some(Arc::new(progress)),
        secrets: secrets.clone(),
        on_layer,
        malware: detector.clone(),
    };
    let now = now();
    if let Some(db) = &advisories {
        if let Ok(built_at) = db.built_at() {
            let age_days = (now - built_at).max(0) as u64 / 86_400;
            if age_days > a.db_max_age_days && !a.quiet {
                eprintln!(
                    "hull: warning: the advisory database is {age_days} days old (built {}); run `hull db update`",
                    hull_report_time(built_at)
                );
            }
        }
    }

    let mut report = match (sbom, &image) {
        (Some(r), _) => r,
        (None, Some(image)) => hull_scan::scan_image(image, &opts).map_err(|e| match e {
            ScanError::Cache(_) => usage(e),
            e => input(e),
        })?,
        (None, None) => unreachable!("an image is opened whenever there is no SBOM"),
    };
    if let Some(db) = &advisories {
        drop(opts);
        let prefetch = prefetch.and_then(Arc::into_inner);
        let m =
            hull_match::match_prefetched(db, report.image.os.as_ref(), &report.packages, prefetch)
                .map_err(input)?;
        report.vulnerabilities = m
            .vulnerabilities
            .into_iter()
            .filter(|v| !a.ignore_unfixed || v.fixed.is_some())
            .filter(|v| levels.as_ref().is_none_or(|l| l.contains(&v.level())))
            .collect();
        report.not_matched = m.not_matched;
    }
    if let (Some(d), Some(image)) = (&detector, &image) {
        report
            .detections
            .extend(hull_scan::config_detections(image, d));
        report.detections.sort();
        report.detections.dedup();
    }
    if let (Some(s), Some(image)) = (&secrets, &image) {
        let mut found = std::mem::take(&mut report.secrets);
        found.extend(hull_scan::config_secrets(image, s));
        found.sort();
        report.secrets = found;
    }
    if scanners.iter().any(|s| s == "misconfig") {
        if let Some(image) = &image {
            match (&image.rootfs, image.kind) {
                (Some(dir), SourceKind::Rootfs) => {
                    let (files, warnings) = hull_scan::collect_config_files(dir);
                    let r = hull_config::check_files(&files, &config_opts);
                    report.misconfigurations = r.findings;
                    report.warnings.extend(warnings);
                    report
                        .warnings
                        .extend(r.warnings.into_iter().map(|w| hull_scan::Warning {
                            layer: None,
                            path: w.path,
                            message: w.message,
                        }));
                    report.warnings.sort();
                }
                _ => {
                    report.misconfigurations =
                        hull_scan::check_image_config(image, &report.file_modes)
                }
            }
        }
    }
    let rendered = hull_report::render(
        &report,
        format,
        &RenderOptions {
            color: stdout_tty && std::env::var_os("NO_COLOR").is_none(),
            now,
            tool_version: env!("CARGO_PKG_VERSION").into(),
            // The scan table lists findings; the package list is the inventory view.
            list_packages: mode == Mode::Sbom || advisories.is_none(),
            explain: a.explain,
        },
    );
    write_out(a.output.as_ref(), &rendered).map_err(usage)?;
    policy(&report, fail_on)
}

/// Exit code 1 when `--fail-on` names a level some finding reaches.
fn policy(
    report: &hull_scan::ScanReport,
    fail_on: Option<hull_types::Severity>,
) -> Result<(), Failure> {
    let Some(level) = fail_on else { return Ok(()) };
    let n = report
        .vulnerabilities
        .iter()
        .filter(|v| v.level() >= level)
        .count()
        + report
            .misconfigurations
            .iter()
            .filter(|m| m.severity >= level)
            .count()
        + report
            .secrets
            .iter()
            .filter(|s| s.severity >= level)
            .count()
        + report
            .detections
            .iter()
            .filter(|d| d.severity >= level)
            .count();
    if n > 0 {
        return Err(Failure {
            code: EXIT_POLICY,
            error: anyhow::anyhow!("{n} findings at or above {level} (--fail-on)"),
        });
    }
    Ok(())
}

/// `hull k8s`: manifests and Dockerfiles, no image.
fn k8s(a: K8sArgs) -> Result<(), Failure> {
    let stdout_tty = a.output.is_none() && std::io::stdout().is_terminal();
    let format = match &a.format {
        Some(f) => match f.parse::<Format>().map_err(|e| usage(anyhow::anyhow!(e)))? {
            f @ (Format::Table | Format::Json) => f,
            f => {
                return Err(usage(anyhow::anyhow!(
                    "hull k8s writes table or json, not {f}"
                )))
            }
        },
        None if stdout_tty => Format::Table,
        None => Format::Json,
    };
    let opts = a.config.options()?;
    let fail_on = a.config.fail_on()?;
    let mut files = Vec::new();
    let mut warnings = Vec::new();
    for p in &a.paths {
        if p.as_os_str() == "-" {
            let mut bytes = Vec::new();
            std::io::stdin()
                .lock()
                .take(opts.yaml.max_bytes as u64 + 1)
                .read_to_end(&mut bytes)
                .map_err(|e| input(anyhow::anyhow!("reading standard input: {e}")))?;
            files.push(hull_config::InputFile {
                path: "-".into(),
                bytes,
            });
        } else if p.exists() {
            let (f, w) = hull_scan::collect_config_files(p);
            files.extend(f);
            warnings.extend(w);
        } else {
            return Err(input(anyhow::anyhow!(
                "{}: no such file or directory",
                p.display()
            )));
        }
    }
    let r = hull_config::check_files(&files, &opts);
    warnings.extend(r.warnings.into_iter().map(|w| hull_scan::Warning {
        layer: None,
        path: w.path,
        message: w.message,
    }));
    warnings.sort();
    let name = a
        .paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(" ");
    let report = hull_scan::ScanReport {
        image: hull_scan::ImageSummary {
            name,
            source: SourceKind::Config,
            manifest_digest: None,
            image_id: None,
            repo_tags: vec![],
            os: None,
            architecture: String::new(),
            created: None,
            user: None,
            entrypoint: None,
            cmd: None,
            exposed_ports: vec![],
            layers: vec![],
        },
        packages: vec![],
        warnings,
        vulnerabilities: vec![],
        not_matched: vec![],
        misconfigurations: r.findings,
        os_owned: vec![],
        secrets: vec![],
        detections: vec![],
        os_files_verified: 0,
        file_modes: vec![],
    };
    let mut rendered = hull_report::render(
        &report,
        format,
        &RenderOptions {
            color: stdout_tty && std::env::var_os("NO_COLOR").is_none(),
            now: now(),
            tool_version: env!("CARGO_PKG_VERSION").into(),
            list_packages: false,
            explain: false,
        },
    );
    if format == Format::Table {
        rendered.push_str(&format!(
            "\n{} Kubernetes objects and {} Dockerfiles checked ({} findings)\n",
            r.objects,
            r.dockerfiles,
            report.misconfigurations.len()
        ));
    }
    write_out(a.output.as_ref(), &rendered).map_err(usage)?;
    policy(&report, fail_on)
}

/// Seconds since the epoch; `SOURCE_DATE_EPOCH` pins it for reproducible output.
fn now() -> i64 {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64)
        })
}

fn hull_report_time(secs: i64) -> String {
    hull_report::rfc3339(secs)
}

fn db(c: DbCommand) -> Result<(), Failure> {
    match c {
        DbCommand::Import { sources, db } => {
            let path = db.path()?;
            let start = std::time::Instant::now();
            let r = hull_advisory::Database::import(&path, &sources, now()).map_err(input)?;
            eprintln!(
                "imported {} advisories ({} withdrawn, {} malformed skipped) into {} in {:.1} s",
                r.advisories,
                r.withdrawn,
                r.skipped,
                path.display(),
                start.elapsed().as_secs_f64()
            );
            for e in &r.skipped_examples {
                eprintln!("  skipped {e}");
            }
            Ok(())
        }
        DbCommand::Update {
            mirror,
            ecosystems,
            db,
        } => {
            let path = db.path()?;
            let ecosystems = if ecosystems.is_empty() {
                hull_advisory::MATCHED_ECOSYSTEMS
                    .iter()
                    .map(|s| s.to_string())
                    .collect()
            } else {
                ecosystems
            };
            let download_dir = path.with_file_name("osv");
            let fetched = hull_advisory::fetch(&hull_advisory::UpdateOptions {
                mirror,
                ecosystems,
                download_dir: download_dir.clone(),
                max_bytes: 4 << 30,
            })
            .map_err(input)?;
            for f in &fetched {
                match &f.status {
                    hull_advisory::FetchStatus::Downloaded { bytes } => {
                        eprintln!("{}: downloaded {bytes} bytes", f.ecosystem)
                    }
                    hull_advisory::FetchStatus::NotModified => {
                        eprintln!("{}: not modified", f.ecosystem)
                    }
                }
            }
            let sources = hull_advisory::downloaded(&download_dir);
            let r = hull_advisory::Database::import(&path, &sources, now()).map_err(input)?;
            eprintln!(
                "imported {} advisories ({} malformed skipped) from {} ecosystems into {}",
                r.advisories,
                r.skipped,
                sources.len(),
                path.display()
            );
            Ok(())
        }
        DbCommand::Status { db } => {
            let path = db.path()?;
            let s = hull_advisory::Database::open(&path)
                .map_err(input)?
                .status()
                .map_err(input)?;
            let mut out = format!(
                "database       {}\nschema version {}\nbuilt          {}\nadvisories     {}\nskipped        {} malformed\nsources:\n",
                s.path.display(),
                s.schema_version,
                hull_report_time(s.built_at),
                s.advisories,
                s.skipped
            );
            for src in &s.sources {
                out.push_str(&format!("  {src}\n"));
            }
            out.push_str("ecosystems:\n");
            for (e, n) in &s.ecosystems {
                out.push_str(&format!("  {e:<24} {n}\n"));
            }
            write_out(None, &out).map_err(usage)
        }
    }
}

fn write_out(path: Option<&PathBuf>, s: &str) -> anyhow::Result<()> {
    match path {
        Some(p) => std::fs::write(p, s).with_context(|| format!("writing {}", p.display())),
        None => {
            let mut out = std::io::stdout().lock();
            // A closed pipe (`hull scan … | head`) is not an error worth a message.
            match out.write_all(s.as_bytes()).and_then(|_| out.flush()) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                r => r.context("writing to standard output"),
            }
        }
    }
}
