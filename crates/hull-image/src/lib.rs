//! Container images as hull reads them: find the manifest and config, verify every blob
//! against its digest, and walk each layer's tar once without writing anything to disk.
//!
//! Sources: `docker save`/`podman save` archives (classic and OCI-in-tar), OCI image layouts
//! (directory or tar), registries over the OCI distribution API, and root filesystem
//! directories. [`open`] detects the kind; [`Image`] is what every source becomes.

mod archive;
mod error;
mod layer;
mod oci;
mod path;
mod reference;
mod registry;
mod source;

pub use error::ImageError;
pub use layer::{walk_layer, Compression, Entry, EntryKind, LayerDigests, Limits, Visit};
pub use oci::{HistoryEntry, ImageConfig, Platform};
pub use path::normalize;
pub use reference::Reference;
pub use registry::RegistryOptions;
pub use source::{open, BlobStamp, Image, LayerRef, OpenOptions, SourceKind};
