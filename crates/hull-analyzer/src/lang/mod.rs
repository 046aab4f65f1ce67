//! Language packages: installed package metadata (Python `METADATA`, `node_modules`
//! manifests) and lock files (`Cargo.lock`, `package-lock.json`, `composer.lock`,
//! `Gemfile.lock`). Each format is one module; the registry lists them.

pub mod cargo;
pub mod composer;
pub mod csproj;
pub mod gem;
pub mod go_binary;
pub mod go_mod;
pub mod go_sum;
pub mod java;
pub mod jvm_lock;
pub mod npm;
pub mod nuget;
pub mod pnpm;
pub mod pom;
pub mod python;
pub mod python_lock;
pub mod rust_binary;
pub mod yarn;

use hull_types::{Location, Package, PackageKind};

/// Whether `path` is a file the installed-package analyzers read (what an OS package may
/// own): asked of those analyzers, so the two never disagree.
///
/// Java archives count: a jar a `.deb` installed (`libtomcat10-java`) is that package's,
/// and its fixes arrive as Debian patches under the upstream version, so matching the jar
/// against Maven advisories as well would report what Debian has fixed. Go and Rust
/// binaries do not: they link their dependencies in statically, so a fixed library package
/// does not fix a binary built against the old one, and their build info is the only record.
pub fn installed_metadata(path: &str) -> bool {
    use crate::Analyzer;
    python::PythonInstalled.wants(path)
        || java::JavaArchive.wants(path)
        || npm::NpmInstalled.wants(path)
        || gem::GemSpec.wants(path)
        || composer::ComposerInstalled.wants(path)
}

/// A package found at `path`, with no lock-file facts yet.
pub(crate) fn package(kind: PackageKind, name: &str, version: &str, path: &str) -> Package {
    Package {
        kind,
        name: name.to_string(),
        version: version.to_string(),
        arch: None,
        source: None,
        licenses: vec![],
        location: Location {
            path: path.to_string(),
            layer: None,
        },
        epoch: None,
        dev: false,
        direct: None,
        group_inferred: false,
    }
}

/// The file name of a path.
pub(crate) fn base(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Drops entries without a name or version (nothing to report or match; hostile input
/// produces them), sorts, and removes exact duplicates (a lock file may list one twice).
pub(crate) fn finish(mut v: Vec<Package>) -> Vec<Package> {
    v.retain(|p| !p.name.trim().is_empty() && !p.version.trim().is_empty());
    v.sort();
    v.dedup();
    v
}
