//! The single list of analyzers. Adding one is a line here, kept sorted by id.

use crate::{lang, os, pkgdb, Analyzer};

/// Every analyzer hull runs, sorted by id (a test checks it).
pub static ANALYZERS: &[&dyn Analyzer] = &[
    &pkgdb::apk::Apk,
    &lang::cargo::CargoLock,
    &lang::composer::ComposerInstalled,
    &lang::composer::ComposerLock,
    &lang::nuget::DotnetDeps,
    &lang::csproj::Csproj,
    &pkgdb::dpkg::Dpkg,
    &pkgdb::dpkg_copyright::DpkgCopyright,
    &pkgdb::dpkg_files::DpkgFiles,
    &lang::gem::GemLock,
    &lang::gem::GemSpec,
    &lang::go_binary::GoBinary,
    &lang::go_mod::GoMod,
    &lang::go_sum::GoSum,
    &lang::jvm_lock::GradleLock,
    &lang::java::JavaArchive,
    &lang::pom::Pom,
    &lang::npm::NpmInstalled,
    &lang::npm::NpmLock,
    &lang::nuget::NugetLock,
    &os::release::OsReleaseFile,
    &lang::pnpm::PnpmLock,
    &lang::python::PythonInstalled,
    &lang::python_lock::PythonLock,
    &pkgdb::rpm::RpmBerkeley,
    &pkgdb::rpm::RpmManifest,
    &pkgdb::rpm::RpmNdb,
    &pkgdb::rpm::RpmSqlite,
    &lang::rust_binary::RustBinary,
    &lang::yarn::YarnLock,
];

/// The analyzers that want a path.
pub fn wanting(path: &str) -> impl Iterator<Item = &'static dyn Analyzer> + '_ {
    ANALYZERS.iter().copied().filter(move |a| a.wants(path))
}

/// What is being scanned: lock files count in a directory, not in an image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// An image layer: installed packages only.
    Image,
    /// A directory: lock files too.
    Directory,
}

/// The analyzers that want a path in a scope.
pub fn wanting_in(path: &str, scope: Scope) -> impl Iterator<Item = &'static dyn Analyzer> + '_ {
    wanting(path).filter(move |a| scope == Scope::Directory || !a.lock_file())
}

/// The analyzers that want a file of `size` bytes at a path in a scope.
pub fn wanting_sized(
    path: &str,
    scope: Scope,
    size: u64,
) -> impl Iterator<Item = &'static dyn Analyzer> + '_ {
    wanting_in(path, scope).filter(move |a| size >= a.min_size())
}

/// Whether any analyzer wants a path; the layer walker skips every other entry unread.
pub fn any_wants(path: &str) -> bool {
    ANALYZERS.iter().any(|a| a.wants(path))
}

/// A stable description of the analyzer configuration (`id@version` for each), hashed into
/// the layer cache key so that a changed analyzer never serves stale cached results.
pub fn fingerprint() -> String {
    ANALYZERS
        .iter()
        .map(|a| format!("{}@{}", a.id(), a.version()))
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_sorted_and_unique() {
        let ids: Vec<_> = ANALYZERS.iter().map(|a| a.id()).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(
            ids, sorted,
            "ANALYZERS must be sorted by id, without duplicates"
        );
    }

    #[test]
    fn fingerprint_names_every_analyzer() {
        let f = fingerprint();
        for a in ANALYZERS {
            assert!(f.contains(&format!("{}@{}", a.id(), a.version())));
        }
    }
}
