//! What one layer's analysis leaves behind: the per-file records of every analyzer, the
//! whiteouts, the secrets and detections found in its files. This is what the layer cache
//! stores, keyed by the layer's verified diff_id and the analyzer configuration; the merge
//! and the attribution of findings to layers read it.

use hull_analyzer::Output;
use hull_image::Compression;
use hull_types::{Detection, Digest, OsRelease, Package, Warning};
use serde::{Deserialize, Serialize};

/// One analyzer's result on one file: its output, or the error it returned (a malformed
/// file is a warning naming the analyzer, never a scan abort).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnalyzerOutput {
    /// The analyzer's id (`dpkg`, `python-dist`, …), as `registry::ANALYZERS` lists it.
    pub analyzer: hull_analyzer::AnalyzerId,
    /// What the analyzer made of the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<Output>,
    /// Why it could not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A wanted path in one layer. A record with no outputs is a tombstone: a symlink or other
/// non-regular entry that hides what lower layers had at that path.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRecord {
    /// The path inside the image, normalised (`/var/lib/dpkg/status`).
    pub path: String,
    /// Every analyzer that wanted the file, with what it said.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outputs: Vec<AnalyzerOutput>,
}

impl FileRecord {
    /// The analyzers' errors on this file, as warnings naming the layer and path.
    pub(crate) fn warnings<'a>(
        &'a self,
        layer: &'a Option<Digest>,
    ) -> impl Iterator<Item = Warning> + 'a {
        self.outputs.iter().filter_map(move |o| {
            o.error.as_ref().map(|e| Warning {
                layer: layer.clone(),
                path: self.path.clone(),
                message: format!("{}: {e}", o.analyzer),
            })
        })
    }
}

/// A secret as one layer records it (what the layer cache keeps: never the secret itself,
/// unless `--show-secrets`, which writes no cache).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LayerSecret {
    /// The file.
    pub path: String,
    /// 1-based; 0 when the rule matched the file by its name.
    pub line: u32,
    /// 1-based, in characters.
    pub column: u32,
    /// The rule's id.
    pub rule: String,
    /// The rule's description.
    pub description: String,
    /// The rule's severity.
    pub severity: hull_types::Severity,
    /// The secret's first four characters.
    pub redacted: String,
    /// Hash of rule, path and secret.
    pub fingerprint: String,
    /// The secret in the clear, only with `--show-secrets`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

/// Everything hull keeps about one layer; this is what the layer cache stores.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerResult {
    /// The diff_id hull computed on the bytes (`None` for a root filesystem).
    pub diff_id: Option<Digest>,
    /// The wanted files, sorted by path.
    pub files: Vec<FileRecord>,
    /// Paths this layer deletes from the layers below (`.wh.` entries).
    pub whiteouts: Vec<String>,
    /// Directories whose lower contents this layer hides (`.wh..wh..opq`).
    pub opaque_dirs: Vec<String>,
    /// Problems with single files.
    pub warnings: Vec<Warning>,
    /// Uncompressed size in bytes.
    pub size: u64,
    /// Size of the blob as read.
    pub compressed_size: u64,
    /// The blob's compression, from its magic bytes.
    pub compression: Option<Compression>,
    /// Files and directories with setuid/setgid bits, and world-writable ones in system
    /// paths (for the configuration checks).
    #[serde(default)]
    pub modes: Vec<ModeRecord>,
    /// Secrets in this layer's files (when secret scanning ran).
    #[serde(default)]
    pub secrets: Vec<LayerSecret>,
    /// Malware and IoC detections in this layer's files (no layer set yet).
    #[serde(default)]
    pub detections: Vec<Detection>,
    /// The file digests this layer's package databases record (read when the malware
    /// scanner verifies OS files, so later layers can be checked against a cached one).
    #[serde(default, skip_serializing_if = "crate::verify::OsChecksums::is_empty")]
    pub os_checksums: crate::verify::OsChecksums,
    /// Files the malware scanner skipped because they match their OS package's digest.
    #[serde(default)]
    pub os_files_verified: u64,
}

impl LayerResult {
    /// The packages this layer's files list and the OS release it states, before any
    /// merge with the other layers.
    pub fn packages_and_os(&self) -> (Vec<Package>, Option<OsRelease>) {
        let mut packages = Vec::new();
        let mut os: Option<&hull_analyzer::OsCandidate> = None;
        for f in &self.files {
            for o in f.outputs.iter().filter_map(|o| o.output.as_ref()) {
                packages.extend(o.packages.iter().cloned());
                if let Some(c) = &o.os {
                    if os.is_none_or(|b| c.rank < b.rank) {
                        os = Some(c);
                    }
                }
            }
        }
        (packages, os.map(|c| c.release.clone()))
    }
}

/// A path with a mode the configuration checks care about.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ModeRecord {
    /// The path inside the image.
    pub path: String,
    /// The tar header's mode bits.
    pub mode: u32,
    /// Whether it is a directory.
    pub is_dir: bool,
}
