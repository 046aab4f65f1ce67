//! The command line's arguments: clap declarations, and their conversion into the options
//! a scan plan is made of. Closed vocabularies (formats, scanners, severities) are parsed
//! here into their types, so `--help` lists exactly what the parser accepts.

use std::path::PathBuf;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::Args;
use hull_report::Format;
use hull_scan::options::{ClamdAddr, MalwareLimits, MalwareOptions, SECRET_MAX_FILE};
use hull_scan::SecretPlan;
use hull_types::{Scanner, Severity};

/// A `--scanners` value: a scanner, or `none` (the inventory alone).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScannerArg(pub Option<Scanner>);

pub fn scanner_parser() -> impl TypedValueParser<Value = ScannerArg> {
    let names: Vec<&'static str> = Scanner::ALL
        .iter()
        .map(|s| s.as_str())
        .chain(["none"])
        .collect();
    PossibleValuesParser::new(names).map(|s| ScannerArg(s.parse().ok()))
}

const LEVELS: [&str; 5] = ["unknown", "low", "medium", "high", "critical"];

fn severity_parser(levels: &'static [&'static str]) -> impl TypedValueParser<Value = Severity> {
    PossibleValuesParser::new(levels)
        .map(|s| Severity::parse_level(&s).expect("the parser only admits level names"))
}

/// Options of the configuration checks, shared by `scan` and `k8s`.
#[derive(Args, Clone)]
pub struct ConfigArgs {
    /// Pod Security Standards level workloads are held to: baseline or restricted.
    #[arg(long, default_value = "restricted")]
    pub pss_level: String,
    /// Registries images may come from (comma-separated hosts or host/path prefixes);
    /// others are reported. Default: any.
    #[arg(long, value_delimiter = ',')]
    pub allowed_registries: Vec<String>,
}

/// What fails a report, and what is taken out of it first: the quick flags over a policy
/// file (`hull.toml` in the current directory, or `--policy`).
#[derive(Args, Clone)]
pub struct PolicyArgs {
    /// A policy file (default: `hull.toml` in the current directory, if there is one):
    /// thresholds per scanner, ignores with reasons and expiry dates, VEX documents.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Fail (exit 1, or --exit-code) on findings at or above a level: one level for every
    /// scanner (`high`), or per scanner (`vuln=high,secret=any,misconfig=critical`); `any`
    /// and `never` are levels too. Overrides the policy file's thresholds it names.
    #[arg(long, value_name = "LEVEL|SCANNER=LEVEL,…", value_parser = parse_fail_on)]
    pub fail_on: Option<FailOn>,
    /// The exit code of a failed policy (default 1; 2 and 3 are taken).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(1..))]
    pub exit_code: Option<u8>,
    /// An ignore file: one finding id a line, optionally `exp:YYYY-MM-DD` (Trivy's
    /// `.trivyignore` reads as it is). Default: `.hullignore` in the current directory.
    #[arg(long, value_name = "FILE")]
    pub ignorefile: Option<PathBuf>,
    /// Configuration checks never reported (comma-separated ids).
    #[arg(long, value_delimiter = ',', value_name = "ID,…")]
    pub skip_checks: Vec<String>,
    /// Findings in files under these globs are not reported (comma-separated;
    /// `testdata/**`, `/usr/share/doc`).
    #[arg(long, value_delimiter = ',', value_name = "GLOB,…")]
    pub skip_dirs: Vec<String>,
    /// VEX documents (OpenVEX 0.2, CycloneDX VEX; repeatable): `not_affected` and `fixed`
    /// statements suppress findings, `under_investigation` annotates them.
    #[arg(long, value_name = "FILE")]
    pub vex: Vec<PathBuf>,
}

/// Parsed `--fail-on` thresholds.
#[derive(Clone, Debug)]
pub struct FailOn(pub std::collections::BTreeMap<Scanner, hull_policy::Threshold>);

fn parse_fail_on(s: &str) -> Result<FailOn, String> {
    hull_policy::parse_fail_on(s).map(FailOn)
}

#[derive(Args)]
pub struct K8sArgs {
    /// Manifest files (YAML or JSON, multi-document), Dockerfiles, directories, or `-`.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Output format: table (default on a terminal) or json; repeatable, each with its own
    /// --output after it.
    #[arg(short, long)]
    pub format: Vec<Format>,
    /// Write the report to a file instead of standard output (pairs with the --format
    /// before it).
    #[arg(short, long)]
    pub output: Vec<PathBuf>,
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub policy: PolicyArgs,
}

#[derive(Args, Clone)]
pub struct DbArgs {
    /// The advisory database (default: `advisories.db` in the user cache directory's `hull/`).
    #[arg(long, env = "HULL_DB")]
    pub db: Option<PathBuf>,
}

impl DbArgs {
    pub fn path(&self) -> Result<PathBuf, crate::Failure> {
        self.db
            .clone()
            .or_else(|| dirs::cache_dir().map(|d| d.join("hull/advisories.db")))
            .ok_or_else(|| crate::usage(anyhow::anyhow!("no user cache directory; pass --db")))
    }
}

#[derive(Args)]
pub struct ScanArgs {
    /// A docker-archive or OCI tar, an OCI layout or root filesystem directory, an image
    /// reference (`alpine:3.20`, `registry.example/app@sha256:…`), or a CycloneDX/SPDX SBOM.
    pub target: String,
    /// Output format; repeatable, each with its own --output after it
    /// (`-f sarif -o hull.sarif -f table`). `scan` defaults to table on a terminal and json
    /// otherwise; `sbom` defaults to cyclonedx.
    #[arg(short, long)]
    pub format: Vec<Format>,
    /// Write the report to a file instead of standard output (pairs with the --format
    /// before it).
    #[arg(short, long)]
    pub output: Vec<PathBuf>,
    /// What the target is, instead of detecting it: docker-archive, oci, oci-archive,
    /// registry, rootfs, sbom (a CycloneDX or SPDX JSON file, matched without an image).
    #[arg(long)]
    pub kind: Option<String>,
    /// Platform to pick from a multi-platform index (`linux/arm64`); the host's by default.
    #[arg(long)]
    pub platform: Option<String>,
    /// Layer cache directory (default: the user cache directory, `hull/`).
    #[arg(long, env = "HULL_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Do not read or write the layer cache.
    #[arg(long)]
    pub no_cache: bool,
    /// No progress output.
    #[arg(short, long)]
    pub quiet: bool,
    /// Scan on when the vulnerability scanner has no usable advisory database (missing,
    /// unreadable or empty): a notice instead of exit 3. Without it a gate never passes for
    /// having checked nothing.
    #[arg(long, env = "HULL_SKIP_VULN_IF_NO_DB")]
    pub skip_vuln_if_no_db: bool,
    /// Registry user name (with --password; otherwise the Docker/podman auth file is used).
    #[arg(long, env = "HULL_USERNAME")]
    pub username: Option<String>,
    /// Registry password or token.
    #[arg(long, env = "HULL_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
    /// Registry auth file to read instead of the Docker/podman defaults.
    #[arg(long)]
    pub auth_file: Option<PathBuf>,
    /// Talk plain HTTP to the registry (loopback registries always use it).
    #[arg(long)]
    pub plain_http: bool,
    /// The most one registry request may take, in seconds, body included (default 1800):
    /// a registry that stalls ends the scan with exit 3 instead of hanging it.
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout: Option<u64>,
    /// Scanners to run, comma-separated: `vuln` (known vulnerabilities; needs the advisory
    /// database), `secret` (every file of every layer, the config and the history),
    /// `misconfig` (image config and history; in a directory, its Dockerfiles and
    /// Kubernetes manifests), `malware`, `ioc`, or `none` for the inventory alone. Default
    /// for `scan`: `vuln,secret,misconfig` (vuln only when a database exists); for `sbom`:
    /// `none`.
    #[arg(long, value_delimiter = ',', value_parser = scanner_parser())]
    pub scanners: Option<Vec<ScannerArg>>,
    #[command(flatten)]
    pub db: DbArgs,
    /// Report only vulnerabilities that have a fix.
    #[arg(long)]
    pub ignore_unfixed: bool,
    /// Under each vulnerability, say why it matched: the ecosystem, the name looked up, the
    /// range and advisory that matched, where the severity came from, and where the package
    /// was found. (The JSON report always carries these.)
    #[arg(long)]
    pub explain: bool,
    /// Report only vulnerabilities of these levels (comma-separated). Default: all.
    #[arg(long, ignore_case = true, value_delimiter = ',', value_parser = severity_parser(&LEVELS))]
    pub severity: Option<Vec<Severity>>,
    /// Warn when the advisory database is older than this many days.
    #[arg(long, default_value_t = 7)]
    pub db_max_age_days: u64,
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub policy: PolicyArgs,
    #[command(flatten)]
    pub secret: SecretArgs,
    #[command(flatten)]
    pub malware: MalwareArgs,
}

/// Malware and IoC options.
#[derive(Args, Clone)]
pub struct MalwareArgs {
    /// YARA rules to add to hull's built-in pack (files, or directories of `.yar`/`.yara`
    /// files; repeatable). Implies the `malware` scanner.
    #[arg(long = "yara-rules", value_name = "PATH")]
    pub yara_rules: Vec<PathBuf>,
    /// Use only the rules given with `--yara-rules`, not hull's built-in pack.
    #[arg(long)]
    pub no_builtin_rules: bool,
    /// Malware hash lists (plain MD5/SHA-1/SHA-256 lists, ClamAV `.hdb`/`.hsb`,
    /// MalwareBazaar CSV exports; repeatable). Implies the `malware` scanner.
    #[arg(long = "malware-hashes", value_name = "PATH")]
    pub malware_hashes: Vec<PathBuf>,
    /// Indicator-of-compromise sets (plain lists, Loki/signature-base files, STIX 2.1
    /// bundles, MISP events; repeatable). Implies the `ioc` scanner.
    #[arg(long = "ioc", value_name = "PATH")]
    pub iocs: Vec<PathBuf>,
    /// The largest file scanned for malware and IoCs, and the most all archive members of one
    /// file may expand to (bytes).
    #[arg(long, default_value_t = 128 << 20)]
    pub malware_max_file_size: u64,
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
    pub skip_verified_os_files: bool,
    /// Also stream every file to a running ClamAV daemon: `host:port` or a Unix socket path
    /// (`/run/clamav/clamd.ctl`). Implies the `malware` scanner. The daemon's signatures can
    /// change under hull, so no layer results are cached.
    #[arg(long, value_name = "ADDR|SOCKET")]
    pub clamd: Option<String>,
}

impl MalwareArgs {
    /// The detector's options (which scanners run, and the clock, are the plan's).
    pub fn options(&self) -> anyhow::Result<MalwareOptions> {
        Ok(MalwareOptions {
            no_builtin_rules: self.no_builtin_rules,
            yara: self.yara_rules.clone(),
            hashes: self.malware_hashes.clone(),
            iocs: self.iocs.clone(),
            limits: MalwareLimits {
                max_file: self.malware_max_file_size,
                max_expanded: self.malware_max_file_size,
                ..Default::default()
            },
            skip_verified_os_files: self.skip_verified_os_files,
            clamd: self
                .clamd
                .as_deref()
                .map(ClamdAddr::parse)
                .transpose()
                .map_err(|e| anyhow::anyhow!("--clamd: {e}"))?,
            ..Default::default()
        })
    }
}

/// Secret scanning options.
#[derive(Args, Clone)]
pub struct SecretArgs {
    /// A gitleaks rule file (TOML) to use instead of the built-in rules (`[extend]
    /// useDefault = true` adds them back). In a directory scan, `.gitleaks.toml` at its
    /// root is used when this is not given.
    #[arg(long)]
    pub secret_config: Option<PathBuf>,
    /// Regex of paths never scanned for secrets (repeatable), added to the rules'
    /// allowlists.
    #[arg(long)]
    pub secret_allow_path: Vec<String>,
    /// Files larger than this many bytes are not scanned for secrets.
    #[arg(long, default_value_t = SECRET_MAX_FILE)]
    pub secret_max_file_size: u64,
    /// Show secrets in the clear in reports (they are redacted to four characters
    /// otherwise). Nothing is written to the layer cache then.
    #[arg(long)]
    pub show_secrets: bool,
}

impl SecretArgs {
    pub fn plan(&self) -> SecretPlan {
        SecretPlan {
            config: self.secret_config.clone(),
            allow_paths: self.secret_allow_path.clone(),
            max_file: self.secret_max_file_size,
            show: self.show_secrets,
        }
    }
}

impl ConfigArgs {
    /// The configuration checks' options (`--pss-level`, `--allowed-registries`).
    pub fn options(&self) -> Result<hull_scan::options::ConfigOptions, crate::Failure> {
        let level = hull_scan::options::PssLevel::parse(&self.pss_level).ok_or_else(|| {
            crate::usage(anyhow::anyhow!(
                "--pss-level must be baseline or restricted, got {:?}",
                self.pss_level
            ))
        })?;
        Ok(hull_scan::options::ConfigOptions {
            k8s: hull_scan::options::K8sOptions {
                level,
                allowed_registries: self.allowed_registries.clone(),
            },
            ..Default::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use clap::ValueEnum;

    #[test]
    fn the_parser_accepts_every_format_and_scanner_it_lists() {
        use clap::Parser;
        for f in hull_report::Format::value_variants() {
            let name = f.to_possible_value().unwrap().get_name().to_string();
            let cli = crate::Cli::try_parse_from(["hull", "scan", "-f", &name, "x"]);
            assert!(cli.is_ok(), "{name}");
        }
        for s in hull_types::Scanner::ALL {
            let cli = crate::Cli::try_parse_from(["hull", "scan", "--scanners", s.as_str(), "x"]);
            assert!(cli.is_ok(), "{s}");
        }
        assert!(crate::Cli::try_parse_from(["hull", "scan", "-f", "yaml", "x"]).is_err());
        assert!(crate::Cli::try_parse_from(["hull", "scan", "--fail-on", "severe", "x"]).is_err());
        assert!(crate::Cli::try_parse_from(["hull", "scan", "--fail-on", "HIGH", "x"]).is_ok());
        assert!(crate::Cli::try_parse_from([
            "hull",
            "scan",
            "--fail-on",
            "vuln=high,secret=any",
            "x"
        ])
        .is_ok());
        assert!(
            crate::Cli::try_parse_from(["hull", "scan", "--fail-on", "vulns=high", "x"]).is_err()
        );
        assert!(crate::Cli::try_parse_from(["hull", "scan", "--exit-code", "0", "x"]).is_err());
    }
}
