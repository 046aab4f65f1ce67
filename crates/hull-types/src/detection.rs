//! Malware and indicator-of-compromise detections.

use serde::{Deserialize, Serialize};

use crate::{LayerRef, Severity};

/// Which detector made a [`Detection`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DetectionKind {
    /// A YARA rule matched the file's bytes (scanner `malware`).
    Yara,
    /// The file's hash is in a malware hash list (scanner `malware`).
    Hash,
    /// An indicator of compromise matched: a hash, a file name or path, or a domain, IP or
    /// URL inside the bytes (scanner `ioc`).
    Ioc,
    /// A file an OS package installed no longer has the digest its package manager
    /// recorded (scanner `malware`, with `--skip-verified-os-files`).
    OsFileModified,
    /// A ClamAV daemon reported a signature (scanner `malware`, with `--clamd`).
    Clamav,
}

impl DetectionKind {
    /// The scanner that produces this kind.
    pub fn scanner(self) -> crate::Scanner {
        match self {
            Self::Yara | Self::Hash | Self::OsFileModified | Self::Clamav => {
                crate::Scanner::Malware
            }
            Self::Ioc => crate::Scanner::Ioc,
        }
    }
}

/// Malware or an indicator of compromise found in a file of a layer, inside an archive in
/// one, or in the image config and history.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Detection {
    /// The file (absolute path in the image; `/app/x.zip!dir/y.js` inside an archive), or
    /// `image config (Env)`, `image history`, ….
    pub target: String,
    /// Which detector matched.
    pub kind: DetectionKind,
    /// The YARA rule (`namespace.rule`), or the indicator or hash that matched.
    pub rule: String,
    /// The rule's or indicator's description (a STIX indicator's name, a MISP comment).
    pub description: String,
    /// Where the rule or indicator came from: a file given on the command line, or
    /// `hull built-in rules`.
    pub source: String,
    /// The rule's or indicator's severity.
    pub severity: Severity,
    /// The evidence: the hash, the string identifiers and offsets, the domain and offset.
    pub matched: String,
    /// The layer holding the file (absent for the config and for directories).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<LayerRef>,
    /// The later layer that deleted the file: the bytes are still in `layer`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_in: Option<LayerRef>,
}
