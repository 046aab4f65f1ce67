//! The model every hull crate shares: content digests, packages with their purls, where a
//! package was found, and the operating system an image runs.
//!
//! Everything here is plain data with `Ord`, so reports can sort before rendering and give
//! byte-identical output for the same input.

mod detection;
mod digest;
mod ecosystem;
pub mod license;
mod misconfig;
mod os;
mod package;
mod policy;
mod purl;
mod report;
mod scanner;
mod secret;
pub mod time;
mod vuln;

pub use detection::{Detection, DetectionKind};
pub use digest::{Digest, DigestError};
pub use ecosystem::OsvEcosystem;
pub use license::{is_known_spdx_id, spdx_from_debian};
pub use misconfig::{Misconfiguration, ResourceRef};
pub use os::{OsFamily, OsRelease};
pub use package::{pep503_normalize, Location, Package, PackageKind, SourcePackage};
pub use policy::{
    Annotation, FindingRef, IgnoreNote, IgnoreStatus, PolicyResult, SuppressedBy, Suppression,
};
pub use purl::{purl_encode, url_encode, Purl, PurlParts};
pub use report::{ImageSummary, LayerInfo, OsOwned, ReportParts, ScanReport, SourceKind, Warning};
pub use scanner::Scanner;
pub use secret::{LayerRef, Secret};
pub use vuln::{NotMatched, Score, Severity, Vulnerability};
