//! A scan, described as data: what to scan, with which scanners, against which advisory
//! database, with which options. Front-ends (the CLI, the server, the admission webhook)
//! build a [`ScanPlan`] from their arguments or requests and hand it to [`crate::run`];
//! nothing else about scanning is theirs.

use std::collections::BTreeSet;
use std::path::PathBuf;

use hull_image::{ImageError, Limits, OpenOptions};
use hull_types::{ScanReport, Scanner};

/// What a scan reads.
#[derive(Clone, Debug)]
pub enum Target {
    /// A CycloneDX or SPDX SBOM file (matched without an image), or else an image: a
    /// docker-archive or OCI tar, an OCI layout or root filesystem directory, or a registry
    /// reference. `open.kind` overrides the detection.
    Image {
        /// The path or reference as the user gave it.
        target: String,
        /// How to open it.
        open: OpenOptions,
    },
    /// Kubernetes manifests and Dockerfiles (`hull k8s`): files, directories, or a stream
    /// the front-end read.
    Config(Vec<ConfigInput>),
}

/// One input of a [`Target::Config`] scan.
#[derive(Clone, Debug)]
pub enum ConfigInput {
    /// A file or a directory to walk.
    Path(PathBuf),
    /// Bytes the front-end read (standard input), shown under `name`.
    Bytes {
        /// How the report names them (`-`).
        name: String,
        /// The manifest stream.
        bytes: Vec<u8>,
    },
}

/// Secret scanning options.
#[derive(Clone, Debug)]
pub struct SecretPlan {
    /// A gitleaks rule file instead of the built-in rules; a directory's own
    /// `.gitleaks.toml` is used when this is `None`.
    pub config: Option<PathBuf>,
    /// Path regexes never scanned, added to the rules' allowlists.
    pub allow_paths: Vec<String>,
    /// Files larger than this are not scanned.
    pub max_file: u64,
    /// Keep secrets in the clear (nothing is cached then).
    pub show: bool,
}

impl Default for SecretPlan {
    fn default() -> Self {
        SecretPlan {
            config: None,
            allow_paths: vec![],
            max_file: hull_secret::DEFAULT_MAX_FILE,
            show: false,
        }
    }
}

/// Everything one scan needs.
#[derive(Clone, Debug)]
pub struct ScanPlan {
    /// What to read.
    pub target: Target,
    /// The scanners to run; the inventory is always taken. Rules, hash lists and a clamd
    /// address in [`ScanPlan::malware`] turn `malware` on, indicator sets turn `ioc` on.
    pub scanners: BTreeSet<Scanner>,
    /// With the `vuln` scanner, a missing, unreadable or empty advisory database fails the
    /// scan ([`ScanError::NoAdvisoryDb`]): a gate must not pass for having checked nothing.
    /// `false` (`--skip-vuln-if-no-db`) makes it a notice and the scan goes on.
    pub require_advisories: bool,
    /// The advisory database file (needed by [`Scanner::Vuln`]).
    pub advisory_db: Option<PathBuf>,
    /// A database older than this many days gets a notice.
    pub db_max_age_days: u64,
    /// The configuration checks' options (PSS level, allowed registries, YAML bounds).
    pub config: hull_config::Options,
    /// Secret scanning options.
    pub secret: SecretPlan,
    /// Malware and IoC options (`malware`, `ioc` and `now` are set from the plan).
    pub malware: hull_malware::Options,
    /// The layer cache's directory (`None`: no cache). The key is hull-scan's business.
    pub cache_dir: Option<PathBuf>,
    /// Bounds on every read.
    pub limits: Limits,
    /// Seconds since the epoch: the front-end's clock (`SOURCE_DATE_EPOCH` honoured there).
    pub now: i64,
}

impl ScanPlan {
    /// A plan for `target` with every option at its default and no scanner but the
    /// inventory.
    pub fn new(target: Target) -> Self {
        ScanPlan {
            target,
            scanners: BTreeSet::new(),
            require_advisories: true,
            advisory_db: None,
            db_max_age_days: 7,
            config: hull_config::Options::default(),
            secret: SecretPlan::default(),
            malware: hull_malware::Options::default(),
            cache_dir: None,
            limits: Limits::default(),
            now: 0,
        }
    }
}

/// Reports progress of long work; the front-end decides how (and whether) to show it.
pub trait Progress: Send + Sync {
    /// `total` bytes of layer blobs are about to be read (cached layers excluded).
    fn start(&self, total: u64, layers: usize);
    /// `n` more blob bytes were read.
    fn advance(&self, n: u64);
    /// One layer is done.
    fn layer_done(&self);
    /// Reading is over.
    fn finish(&self);
}

/// A finished scan.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The report, sorted and de-duplicated.
    pub report: ScanReport,
    /// What the user should hear about that is not a finding: a stale advisory database,
    /// rule lines that could not be used, a scanner that could not run. Front-ends show
    /// them (the CLI on standard error unless `--quiet`).
    pub notices: Vec<String>,
    /// Whether vulnerabilities were matched (an advisory database was open).
    pub vulnerabilities_checked: bool,
    /// For a [`Target::Config`] scan: how many objects and Dockerfiles were checked.
    pub config_checked: Option<ConfigChecked>,
}

/// What a configuration scan looked at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConfigChecked {
    /// Kubernetes objects.
    pub objects: usize,
    /// Dockerfiles.
    pub dockerfiles: usize,
}

/// Whose fault a failed scan is: the front-end turns this into an exit code or an HTTP
/// status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorClass {
    /// The plan itself is wrong: an unknown target, unusable rules, an unopenable cache
    /// or database the user asked for (exit 2).
    Usage,
    /// The input could not be read: a missing or malformed image, a digest mismatch, a
    /// registry that refused (exit 3).
    Input,
}

/// Why a scan failed. Each variant keeps its cause as `source()`.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// Opening or reading the image.
    #[error(transparent)]
    Image(#[from] ImageError),
    /// The layer cache.
    #[error(transparent)]
    Cache(#[from] crate::CacheError),
    /// A file or directory of the input.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// A path the plan names does not exist.
    #[error("{path}: no such file or directory")]
    Missing {
        /// The path.
        path: String,
    },
    /// `--kind sbom` on something that is not one.
    #[error("{path}: not a CycloneDX or SPDX JSON document")]
    NotSbom {
        /// The file.
        path: String,
    },
    /// A JSON file (an SBOM, by its first byte) that does not parse.
    #[error("{path}: not readable JSON: {source}")]
    BadJson {
        /// The file.
        path: String,
        /// What the parser said.
        #[source]
        source: serde_json::Error,
    },
    /// A layer or directory lists more packages than the bound (a flood of metadata files).
    #[error("{layer}: more than {limit} packages; not read (a flood of package metadata files?)")]
    TooManyPackages {
        /// The layer or directory.
        layer: String,
        /// The bound.
        limit: u64,
    },
    /// The `ioc` scanner with no indicator set.
    #[error("the ioc scanner needs indicators: give --ioc PATH")]
    NoIndicators,
    /// YARA rules, hash lists, indicator sets or the clamd address.
    #[error(transparent)]
    Malware(#[from] hull_malware::MalwareError),
    /// The secret rules.
    #[error(transparent)]
    Secrets(#[from] hull_secret::ConfigError),
    /// The vulnerability scanner has no usable advisory database.
    #[error("vulnerabilities cannot be checked: {reason} (run `hull db update` or `hull db import`, or accept it with --skip-vuln-if-no-db)")]
    NoAdvisoryDb {
        /// Missing, unreadable or empty, and where.
        reason: String,
    },
    /// The advisory database failed while matching.
    #[error(transparent)]
    Match(hull_advisory::DbError),
}

impl ScanError {
    /// Whose fault it is.
    pub fn class(&self) -> ErrorClass {
        match self {
            ScanError::Image(ImageError::UnknownTarget(_))
            | ScanError::Cache(_)
            | ScanError::NoIndicators
            | ScanError::Malware(_)
            | ScanError::Secrets(_) => ErrorClass::Usage,
            ScanError::Image(_)
            | ScanError::Io { .. }
            | ScanError::Missing { .. }
            | ScanError::NotSbom { .. }
            | ScanError::BadJson { .. }
            | ScanError::TooManyPackages { .. }
            | ScanError::NoAdvisoryDb { .. }
            | ScanError::Match(_) => ErrorClass::Input,
        }
    }
}
