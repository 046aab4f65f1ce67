//! The per-layer result cache, shared by every hull process of a user.
//!
//! Two kinds of entries, both JSON files written atomically (a temporary file in the same
//! directory, then a rename), so parallel CI jobs can read and write the same cache without
//! locks and a reader never sees a half-written file:
//!
//! - `layers/<diff_id>-<config>.json`: a layer's analysis, keyed by the diff_id hull computed
//!   on the bytes it read and by a hash of the analyzer configuration;
//! - `verified/<hash of stamp>.json`: "the bytes with this stamp hash to this blob digest and
//!   this diff_id", written only after hull hashed them itself.
//!
//! A layer is served from the cache only when its stamp has a verified record that agrees
//! with what the manifest and config claim. An image whose config claims the diff_id of a
//! clean base layer while carrying other bytes has no such record, so it is read and hashed,
//! and the mismatch is reported (cache poisoning cannot happen through a claimed digest).

use std::io::Write;
use std::path::{Path, PathBuf};

use hull_image::BlobStamp;
use hull_types::Digest;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::model::LayerResult;

/// Bump when the layout or the JSON of cache entries changes.
const SCHEMA: &str = "v1";
/// Version of the cached [`LayerResult`] layout: bump it when a field is added, so entries
/// written without the field are never read as if it were empty. 2: `modes`.
const LAYER_FORMAT: u32 = 2;

#[derive(Debug, thiserror::Error)]
/// Why the layer cache could not be used.
pub enum CacheError {
    #[error("cache {path}: {source}")]
    /// A file or directory of the cache.
    Io {
        /// The file.
        path: String,
        #[source]
        /// What the system said.
        source: std::io::Error,
    },
}

/// A cache directory.
#[derive(Clone, Debug)]
pub struct Cache {
    root: PathBuf,
    config_key: String,
}

#[derive(Serialize, Deserialize)]
struct Verified {
    blob: Digest,
    diff_id: Digest,
}

fn hex16(s: &str) -> String {
    let d = Sha256::digest(s.as_bytes());
    d.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

impl Cache {
    /// Opens (creating if needed) a cache under `root` for one analyzer configuration.
    pub fn open(root: &Path, analyzer_config: &str) -> Result<Self, CacheError> {
        let root = root.join(SCHEMA);
        for sub in ["layers", "verified"] {
            let p = root.join(sub);
            // Directories hull creates are private to the user: whoever can write the
            // cache can plant results. An existing directory is left as it is (a CI cache
            // may be shared on purpose).
            let mut builder = std::fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            builder.create(&p).map_err(|e| CacheError::Io {
                path: p.display().to_string(),
                source: e,
            })?;
        }
        Ok(Cache {
            root,
            config_key: hex16(&format!("layer-format-{LAYER_FORMAT}|{analyzer_config}")),
        })
    }

    fn layer_path(&self, diff_id: &Digest) -> PathBuf {
        self.root
            .join("layers")
            .join(format!("{}-{}.json", diff_id.hex(), self.config_key))
    }

    fn verified_path(&self, stamp: &BlobStamp) -> PathBuf {
        let d = Sha256::digest(stamp.0.as_bytes());
        let hex: String = d.iter().map(|b| format!("{b:02x}")).collect();
        self.root.join("verified").join(format!("{hex}.json"))
    }

    /// The cached result for a layer, if its bytes were verified to be what the manifest
    /// (`blob`, when known) and config (`diff_id`) claim.
    pub fn lookup(
        &self,
        stamp: &BlobStamp,
        blob: Option<&Digest>,
        diff_id: &Digest,
    ) -> Option<LayerResult> {
        let v: Verified = read_json(&self.verified_path(stamp))?;
        if &v.diff_id != diff_id || blob.is_some_and(|b| b != &v.blob) {
            return None;
        }
        let r: LayerResult = read_json(&self.layer_path(diff_id))?;
        (r.diff_id.as_ref() == Some(diff_id)).then_some(r)
    }

    /// Records a layer walked and verified in this process.
    pub fn store(
        &self,
        stamp: Option<&BlobStamp>,
        blob: &Digest,
        diff_id: &Digest,
        result: &LayerResult,
    ) -> Result<(), CacheError> {
        write_json(&self.layer_path(diff_id), result)?;
        if let Some(s) = stamp {
            write_json(
                &self.verified_path(s),
                &Verified {
                    blob: blob.clone(),
                    diff_id: diff_id.clone(),
                },
            )?;
        }
        Ok(())
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn new_cache_directories_are_private() {
        let dir = tempfile::tempdir().unwrap();
        Cache::open(&dir.path().join("c"), "x").unwrap();
        for p in ["c", "c/v1", "c/v1/layers", "c/v1/verified"] {
            let mode = std::fs::metadata(dir.path().join(p))
                .unwrap()
                .permissions()
                .mode()
                & 0o777;
            assert_eq!(mode & 0o077, 0, "{p} is {mode:o}");
        }
    }
}

/// A missing, unreadable or malformed entry is a miss, never an error: the cache is only
/// an accelerator.
fn read_json<T: serde::de::DeserializeOwned>(p: &Path) -> Option<T> {
    let bytes = std::fs::read(p).ok()?;
    serde_json::from_slice(&bytes).ok()
}

fn write_json<T: Serialize>(p: &Path, v: &T) -> Result<(), CacheError> {
    let io = |e: std::io::Error| CacheError::Io {
        path: p.display().to_string(),
        source: e,
    };
    let dir = p.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
    let bytes = serde_json::to_vec(v).map_err(|e| io(std::io::Error::other(e)))?;
    tmp.write_all(&bytes).map_err(io)?;
    tmp.persist(p).map_err(|e| io(e.error))?;
    Ok(())
}
