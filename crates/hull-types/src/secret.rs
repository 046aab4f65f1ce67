//! Secrets found in files, the image config and the history, and the layers they are in.

use serde::{Deserialize, Serialize};

use crate::{Digest, Severity};

/// A secret found in an image layer, the image config or history, or a file of a directory.
/// The secret itself is never stored: `redacted` shows its first four characters, and
/// `fingerprint` identifies it (hash of rule, path and secret) for ignores and baselines.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Secret {
    /// The file (absolute path in the image), or `image config (Env)`, `image history`, ….
    pub target: String,
    /// 1-based; 0 when the rule matched the file by its name.
    pub line: u32,
    /// 1-based, in characters.
    pub column: u32,
    /// The rule's id (gitleaks-compatible).
    pub rule: String,
    /// The rule's description.
    pub description: String,
    /// The rule's severity.
    pub severity: Severity,
    /// The layer holding the file (1-based index and diff_id); absent for the config and
    /// for directories.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<LayerRef>,
    /// The later layer that deleted the file: the bytes are still in `layer`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_in: Option<LayerRef>,
    /// The secret's first characters and `***`.
    pub redacted: String,
    /// Hash of rule, path and secret: stable across scans, for ignores.
    pub fingerprint: String,
    /// The secret in the clear, only with `--show-secrets`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

/// A layer by position and diff_id.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct LayerRef {
    /// 1-based, bottom to top.
    pub index: usize,
    /// The layer's diff_id.
    pub diff_id: Digest,
}
