//! Analyzers: each one says which files it wants and turns a file into packages or facts.
//!
//! An analyzer never sees an image. It gets an absolute, normalised path and the file's bytes,
//! so the same analyzers run on a layer, a root filesystem or a source tree; `hull-scan` is the
//! only bridge to images. Adding a package format is one module holding a unit struct that
//! implements [`Analyzer`] plus one line in [`registry::ANALYZERS`].
//!
//! ```
//! use hull_analyzer::{registry, FileInput};
//!
//! let status = b"Package: zlib1g\nStatus: install ok installed\nVersion: 1:1.2.13.dfsg-1\nArchitecture: amd64\nSource: zlib\n";
//! let wanted: Vec<_> = registry::wanting("/var/lib/dpkg/status").collect();
//! assert_eq!(wanted.len(), 1);
//! let out = wanted[0].analyze(&FileInput { path: "/var/lib/dpkg/status", bytes: status }).unwrap();
//! assert_eq!(out.packages[0].name, "zlib1g");
//! assert_eq!(out.packages[0].source.as_ref().unwrap().name, "zlib");
//! ```

use std::fmt;

use hull_types::{OsRelease, Package};
use serde::{Deserialize, Serialize};

pub mod lang;
pub mod os;
pub mod pkgdb;
pub mod registry;

/// The stable name of an analyzer; part of cache keys and of per-file issue reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AnalyzerId(pub &'static str);

impl fmt::Display for AnalyzerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl serde::Serialize for AnalyzerId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0)
    }
}

/// Only the ids of [`registry::ANALYZERS`] read back: a cached layer naming an analyzer this
/// build does not have is stale, and fails to load rather than being served.
impl<'de> serde::Deserialize<'de> for AnalyzerId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        registry::ANALYZERS
            .iter()
            .map(|a| a.id())
            .find(|id| id.0 == s)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown analyzer {s:?}")))
    }
}

/// A file handed to an analyzer. `path` is absolute and normalised inside the image root.
#[derive(Clone, Copy, Debug)]
pub struct FileInput<'a> {
    /// Absolute, normalised path inside the image root (or the scanned directory).
    pub path: &'a str,
    /// The file's bytes, read within the analyzer's bound.
    pub bytes: &'a [u8],
}

/// A candidate for the image's OS release. Several files may say something (`/etc/os-release`,
/// `/usr/lib/os-release`, `/etc/debian_version`); the lowest `rank` that survives the layer
/// merge wins.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct OsCandidate {
    /// Lower wins: `/etc/os-release` before legacy release files.
    pub rank: u8,
    /// The release it states.
    pub release: OsRelease,
}

/// Licences a file states for a package that another file lists (Debian keeps them in
/// `/usr/share/doc/<package>/copyright`, not in dpkg's database).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageLicenses {
    /// The package these licences are for.
    pub package: String,
    /// Its licences, SPDX ids where they map.
    pub licenses: Vec<String>,
}

/// What one analyzer found in one file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Output {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    /// Packages the file lists.
    pub packages: Vec<Package>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// An OS release the file states.
    pub os: Option<OsCandidate>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    /// Licences stated beside packages (Debian's copyright files).
    pub licenses: Vec<PackageLicenses>,
    /// Language-package metadata files an OS package installed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub owned: Vec<OwnedFiles>,
    /// A `pom.xml`'s model, for resolving a module against its parents in the same tree.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pom: Option<Box<lang::pom::PomModel>>,
}

/// Files an OS package manager says one of its packages installed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnedFiles {
    /// The package manager that installed the files.
    pub kind: hull_types::PackageKind,
    /// The owning package.
    pub owner: String,
    /// The files it installed.
    pub paths: Vec<String>,
}

impl OwnedFiles {
    /// The language-package metadata among the files `owner` installed, if any: all a
    /// package database needs to say for those packages to be the OS package's.
    pub fn of<S: AsRef<str> + Into<String>>(
        kind: hull_types::PackageKind,
        owner: &str,
        files: impl IntoIterator<Item = S>,
    ) -> Option<Self> {
        let paths: Vec<String> = files
            .into_iter()
            .filter(|f| lang::installed_metadata(f.as_ref()))
            .map(Into::into)
            .collect();
        (!paths.is_empty()).then(|| OwnedFiles {
            kind,
            owner: owner.to_string(),
            paths,
        })
    }
}

/// Why a file could not be analyzed. Carries no path: the caller knows the path and layer and
/// records the error against them, so one malformed file never aborts a scan.
#[derive(Debug, thiserror::Error)]
pub enum AnalyzeError {
    #[error("malformed {format}: {reason}")]
    /// The file is not what the analyzer reads.
    Malformed {
        /// The format expected.
        format: &'static str,
        /// What is wrong (never the file's bytes).
        reason: String,
    },
    #[error("{format}: file is larger than the {limit}-byte bound")]
    /// The file is larger than the analyzer reads.
    TooLarge {
        /// The format.
        format: &'static str,
        /// The bound, in bytes.
        limit: usize,
    },
}

impl AnalyzeError {
    pub(crate) fn malformed(format: &'static str, reason: impl Into<String>) -> Self {
        Self::Malformed {
            format,
            reason: reason.into(),
        }
    }
}

/// One analyzer. Implementations are unit structs listed once in [`registry::ANALYZERS`].
pub trait Analyzer: Sync + Send {
    /// Stable, unique id (`dpkg`, `rpm-sqlite`); the registry keeps ids sorted.
    fn id(&self) -> AnalyzerId;
    /// Bump when the output for the same bytes changes: it is part of the layer cache key.
    fn version(&self) -> u32;
    /// Whether the analyzer wants the file at this normalised absolute path. Called for every
    /// entry of every layer, so it must be cheap and must not allocate.
    fn wants(&self, path: &str) -> bool;
    /// The largest file this analyzer reads; larger files are reported, not read.
    fn max_size(&self) -> u64 {
        64 << 20
    }
    /// The smallest file worth reading (a Go binary is never a few kilobytes): smaller
    /// files are skipped unread, which keeps `/usr/bin` of a base image cheap.
    fn min_size(&self) -> u64 {
        0
    }
    /// Whether the analyzer reads a lock file: what a project *would* install. In an image
    /// only what *is* installed counts (a lock file left in an image lists development
    /// dependencies that were never installed, and repeats what the installed metadata
    /// says), so lock files are read in directory scans only — Trivy draws the same line.
    fn lock_file(&self) -> bool {
        false
    }
    /// Turns the file into packages or facts. Must not panic on any input.
    fn analyze(&self, file: &FileInput<'_>) -> Result<Output, AnalyzeError>;
}
