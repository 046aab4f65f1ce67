//! Container images as hull reads them: find the manifest and config, verify every blob
//! against its digest, and walk each layer's tar once without writing anything to disk.
//!
//! Sources: `docker save`/`podman save` archives (classic and OCI-in-tar), OCI image layouts
//! (directory or tar), registries over the OCI distribution API, and root filesystem
//! directories. [`open`] detects the kind; [`Image`] is what every source becomes.

mod archive;
pub mod cosign;
mod error;
mod layer;
mod oci;
mod path;
mod reference;
mod registry;
mod source;

pub use archive::FileWindow;
pub use error::ImageError;
pub use layer::{
    peek_layer, walk_layer, Compression, Entry, EntryKind, LayerDigests, Limits, Visit,
};
pub use oci::{HistoryEntry, ImageConfig, Platform};
pub use path::normalize;
pub use reference::Reference;
pub use registry::{resolve_digest, RegistryOptions, DEFAULT_REQUEST_TIMEOUT};
pub use source::{open, BlobStamp, Image, ImageLayer, OpenOptions, SourceKind};

/// Entry points for the fuzz targets in `fuzz/` (not a stable API).
#[doc(hidden)]
pub mod fuzzing {
    /// Parses bytes as every JSON document an image holds; the results are dropped.
    pub fn documents(data: &[u8]) {
        let _ = serde_json::from_slice::<crate::oci::RawManifestOrIndex>(data);
        let _ = serde_json::from_slice::<Vec<crate::oci::DockerArchiveEntry>>(data);
        if let Ok(c) = serde_json::from_slice::<crate::ImageConfig>(data) {
            let _ = c.layer_history();
        }
    }
}
