//! The scan pipeline, owned in one place: a typed [`ScanPlan`] goes in, a finished,
//! sorted [`ScanReport`] comes out of [`run`]. The CLI, the server and the admission
//! webhook build a plan from their input, call [`run`], then evaluate policy on the report
//! (`hull-policy`) and render it (`hull-report`); none of them assembles a scan itself.
//!
//! Inside: every layer of an image is read once (in parallel, or from the layer cache),
//! each wanted file goes through one dispatch to the analyzers, the secret rules and the
//! malware workers; the layers are merged bottom to top, applying whiteouts, into one
//! inventory; packages are matched against the advisory database; the image config and
//! history are checked. This crate is the only place that knows both images and analyzers.
//!
//! Modules, leaves first: `whiteout` (the one deletion predicate), `model` (what a layer
//! leaves behind), `attribution` (findings to the layers that hold and delete them), `dirwalk` (the one directory walk), `pool`
//! (malware workers), `verify` (OS file digests), `dispatch` (the one per-file dispatch),
//! `rootfs` and `layers` (the two walks that feed it), `merge`, `config`, `sbom`, `cache`,
//! and `pipeline`, which runs a `plan`.

mod attribution;
mod cache;
mod config;
mod dirwalk;
mod dispatch;
mod layers;
mod merge;
mod model;
mod pipeline;
mod plan;
mod pool;
mod rootfs;
mod sbom;
mod verify;
mod whiteout;

pub use cache::{Cache, CacheError};
pub use dispatch::SecretOptions;
pub use merge::{merge, MergedFile};
pub use model::{AnalyzerOutput, FileRecord, LayerResult, LayerSecret, ModeRecord};
pub use pipeline::{rematch, run};
pub use plan::{
    ConfigChecked, ConfigInput, ErrorClass, Outcome, Progress, ScanError, ScanPlan, SecretPlan,
    Target,
};
pub use verify::{DbRecord, OsChecksums, OsFileIndex, Verdict};

/// The model a front-end reads and renders.
pub use hull_types::{ImageSummary, LayerInfo, OsOwned, ReportParts, ScanReport, Warning};

/// What a plan is made of: the engines' own option types, so a front-end depends on this
/// crate alone.
pub mod options {
    pub use hull_config::k8s::pss::Level as PssLevel;
    pub use hull_config::k8s::Options as K8sOptions;
    pub use hull_config::Options as ConfigOptions;
    pub use hull_image::{
        resolve_digest, ImageError, Limits, OpenOptions, Platform, Reference, RegistryOptions,
        SourceKind,
    };
    pub use hull_malware::clamd::ClamdAddr;
    pub use hull_malware::{Limits as MalwareLimits, Options as MalwareOptions};
    pub use hull_secret::DEFAULT_MAX_FILE as SECRET_MAX_FILE;
}

/// Image signatures: cosign signatures in the registry, checked against trusted keys.
pub mod trust {
    pub use hull_image::cosign::{verify, PublicKey, Signed};
}

/// The advisory database's life cycle (`hull db import`, `update`, `status`), for front-ends.
pub mod db {
    pub use hull_advisory::{
        downloaded, fetch, Database, DbError, FetchStatus, Fetched, ImportReport, Status,
        UpdateOptions, DEFAULT_MIRROR, MATCHED_ECOSYSTEMS,
    };
}
