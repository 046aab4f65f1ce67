//! Scanning: every layer of an image is read once (in parallel, or from the layer cache),
//! each wanted file is handed to the analyzers, and the layers are merged bottom to top,
//! applying whiteouts, into one inventory.
//!
//! This crate is the only place that knows both images and analyzers.

mod cache;
mod config;
mod merge;
mod pool;
mod rootfs;
mod sbom;
mod scan;
mod verify;

pub use cache::{Cache, CacheError};
pub use config::{check_image_config, collect_config_files, config_detections, config_secrets};
pub use hull_image::SourceKind;
pub use merge::{merge, MergedFile, OsOwned};
pub use sbom::read_sbom;
pub use scan::{
    scan_image, FileRecord, Finding, ImageSummary, LayerHook, LayerInfo, LayerResult, LayerSecret,
    ModeRecord, Progress, ScanError, ScanOptions, ScanReport, SecretOptions, Warning,
};
pub use verify::{DbRecord, OsChecksums, OsFileIndex, Verdict};
