//! The one per-file dispatch: every regular file a walk reads (from a layer tar or from a
//! directory) goes through [`Dispatch::file`], which hands it to the secret rules, the
//! analyzers that want it, and the malware workers. A new consumer of file bytes is added
//! here, once, for images and directories alike.

use std::collections::BTreeMap;
use std::sync::Arc;

use hull_analyzer::{registry, FileInput};

use crate::model::{AnalyzerOutput, FileRecord, LayerSecret, ModeRecord};
use crate::pool::Feeder;

/// Secret scanning: the compiled rules, the largest file scanned, and whether secrets may
/// appear in the clear (then nothing is written to the layer cache).
#[derive(Clone)]
pub struct SecretOptions {
    /// The compiled rules (built-in, or a gitleaks rule file).
    pub rules: Arc<hull_secret::RuleSet>,
    /// Files larger than this are not scanned.
    pub max_file: u64,
    /// Keep secrets in the clear (`--show-secrets`).
    pub show: bool,
}

impl SecretOptions {
    /// Scans `bytes` as if they were the file `as_path` (for the rules), reporting them as
    /// `shown`.
    pub(crate) fn scan_as(&self, as_path: &str, shown: &str, bytes: &[u8]) -> Vec<LayerSecret> {
        self.rules
            .scan(as_path, bytes)
            .into_iter()
            .map(|m| LayerSecret {
                path: shown.to_string(),
                line: m.line,
                column: m.column,
                redacted: hull_secret::redact(&m.secret),
                fingerprint: hull_secret::fingerprint(&m.rule, shown, &m.secret),
                secret: self.show.then_some(m.secret),
                rule: m.rule,
                description: m.description,
                severity: m.severity,
            })
            .collect()
    }

    /// The read bound for `path` of `size` bytes, `None` when secrets do not read it.
    fn bound(&self, path: &str, size: u64) -> Option<u64> {
        (size <= self.max_file && self.rules.wants_path(path)).then_some(self.max_file)
    }
}

/// What one walk collects (everything but the malware scan, which runs on the pool's
/// workers).
#[derive(Default)]
pub(crate) struct Collected {
    pub secrets: Vec<LayerSecret>,
    pub modes: Vec<ModeRecord>,
    pub files: BTreeMap<String, FileRecord>,
    pub whiteouts: Vec<String>,
    pub opaque: Vec<String>,
    /// `(path, message)`; the caller names the layer.
    pub warnings: Vec<(String, String)>,
    /// Packages the analyzers listed so far.
    pub packages: u64,
    /// Set when `packages` passed the bound: later files are no longer recorded, and the
    /// walk's caller turns it into an error.
    pub too_many_packages: bool,
}

/// Who reads a walk's files.
pub(crate) struct Dispatch<'f, 'p> {
    /// Image layers see only installed packages; directories also see lock files.
    pub scope: registry::Scope,
    pub secrets: Option<&'f SecretOptions>,
    /// Hands files to the malware scanner's workers.
    pub malware: Option<&'f Feeder<'p>>,
    /// Packages one walk may list ([`hull_image::Limits::max_packages`]).
    pub max_packages: u64,
}

impl Dispatch<'_, '_> {
    /// The most bytes any consumer reads of `path` of `size` bytes; `None`: nobody wants it.
    pub(crate) fn wants(&self, path: &str, size: u64) -> Option<u64> {
        let analyzers = wanted_bound(path, self.scope, size);
        let secrets = self.secrets.and_then(|s| s.bound(path, size));
        let malware = self.malware.map(|f| f.max_file);
        analyzers.max(secrets).max(malware)
    }

    /// Whether a link or other non-regular entry at `path` must be recorded: whatever size
    /// of file an analyzer would read there (a Go binary's analyzer wants at least 512 KiB),
    /// a link at the path hides the lower layers' file.
    pub(crate) fn wants_tombstone(&self, path: &str) -> bool {
        registry::wanting_in(path, self.scope).next().is_some()
    }

    /// Hands one regular file's bytes to every consumer that wants it.
    pub(crate) fn file(&self, path: &str, bytes: &[u8], out: &mut Collected) {
        if let Some(s) = self.secrets {
            out.secrets.extend(s.scan_as(path, path, bytes));
        }
        if wanted_bound(path, self.scope, bytes.len() as u64).is_some() && !out.too_many_packages {
            let record = analyze_file(path, bytes, self.scope);
            out.packages += record
                .outputs
                .iter()
                .filter_map(|o| o.output.as_ref())
                .map(|o| o.packages.len() as u64)
                .sum::<u64>();
            if out.packages > self.max_packages {
                out.too_many_packages = true;
                out.files.clear();
            } else {
                out.files.insert(path.to_string(), record);
            }
        }
        if let Some(feeder) = self.malware {
            if bytes.len() as u64 <= feeder.max_file {
                feeder.scan(path, bytes);
            }
        }
    }

    /// Records a link or other non-regular entry: a tombstone over lower layers' file.
    pub(crate) fn not_regular(&self, path: &str, out: &mut Collected) {
        out.files.insert(
            path.to_string(),
            FileRecord {
                path: path.to_string(),
                outputs: vec![],
            },
        );
    }
}

/// Runs every analyzer that wants a file and records what each said.
fn analyze_file(path: &str, bytes: &[u8], scope: registry::Scope) -> FileRecord {
    let size = bytes.len() as u64;
    let input = FileInput { path, bytes };
    let outputs = registry::wanting_sized(path, scope, size)
        .map(|a| match a.analyze(&input) {
            Ok(o) => AnalyzerOutput {
                analyzer: a.id(),
                output: Some(o),
                error: None,
            },
            Err(e) => AnalyzerOutput {
                analyzer: a.id(),
                output: None,
                error: Some(e.to_string()),
            },
        })
        .collect();
    FileRecord {
        path: path.to_string(),
        outputs,
    }
}

/// The largest size any analyzer wanting `path` accepts.
fn wanted_bound(path: &str, scope: registry::Scope, size: u64) -> Option<u64> {
    registry::wanting_sized(path, scope, size)
        .map(|a| a.max_size())
        .max()
}
