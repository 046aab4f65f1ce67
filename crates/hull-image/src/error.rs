//! What can go wrong opening and reading an image; every variant names the file, layer or
//! reference it is about.

use hull_types::Digest;

/// Why an image or one of its layers could not be read. Every variant names what it was
/// reading, so the message a user sees says which layer and which path.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("{path}: {source}")]
    /// A file could not be read.
    Io {
        /// The file.
        path: String,
        #[source]
        /// What the system said.
        source: std::io::Error,
    },
    #[error("{what}: {reason}")]
    /// A document (manifest, index, config, archive) is not what it should be.
    Malformed {
        /// The document.
        what: String,
        /// What is wrong.
        reason: String,
    },
    #[error("layer {layer}: {path}: {reason}")]
    /// A layer could not be read.
    Layer {
        /// The layer (blob digest or archive member).
        layer: String,
        /// The last good path in it.
        path: String,
        /// What went wrong (never the layer's bytes).
        reason: String,
    },
    #[error("{what}: digest mismatch: expected {expected}, read {actual}")]
    /// Bytes do not hash to the digest that names them.
    DigestMismatch {
        /// What was hashed.
        what: String,
        /// The digest claimed.
        expected: Digest,
        /// The digest of the bytes read.
        actual: Digest,
    },
    #[error("{what}: exceeds the {limit}-byte bound")]
    /// A document or layer past its bound.
    TooLarge {
        /// What.
        what: String,
        /// The bound, in bytes.
        limit: u64,
    },
    #[error("{0}")]
    /// A blob, manifest or platform that is not there.
    NotFound(String),
    #[error("registry {registry}: {reason}")]
    /// The registry refused or failed.
    Registry {
        /// The registry.
        registry: String,
        /// What it said.
        reason: String,
    },
    #[error("unrecognised target {0:?}: not a file, a directory or an image reference")]
    /// The target is neither a path nor a reference.
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
