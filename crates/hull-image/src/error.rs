//! What can go wrong opening and reading an image; every variant names the file, layer or
//! reference it is about.

use hull_types::Digest;

/// Why an image or one of its layers could not be read. Every variant names what it was
/// reading, so the message a user sees says which layer and which path.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{what}: {reason}")]
    Malformed { what: String, reason: String },
    #[error("layer {layer}: {path}: {reason}")]
    Layer {
        layer: String,
        path: String,
        reason: String,
    },
    #[error("{what}: digest mismatch: expected {expected}, read {actual}")]
    DigestMismatch {
        what: String,
        expected: Digest,
        actual: Digest,
    },
    #[error("{what}: exceeds the {limit}-byte bound")]
    TooLarge { what: String, limit: u64 },
    #[error("{0}")]
    NotFound(String),
    #[error("registry {registry}: {reason}")]
    Registry { registry: String, reason: String },
    #[error("unrecognised target {0:?}: not a file, a directory or an image reference")]
    UnknownTarget(String),
}

impl ImageError {
    pub(crate) fn io(path: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
    pub(crate) fn malformed(what: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Malformed {
            what: what.into(),
            reason: reason.into(),
        }
    }
}
