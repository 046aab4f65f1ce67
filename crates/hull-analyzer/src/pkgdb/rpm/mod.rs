//! rpm databases, all read in Rust without the rpm tool: SQLite `rpmdb.sqlite` (RHEL 9,
//! Fedora 33+, Amazon Linux 2023), Berkeley DB `Packages` (RHEL 7/8, CentOS, Amazon Linux 2),
//! NDB `Packages.db` (SUSE 15), and Mariner's text `container-manifest-2`.
//!
//! No maintained crate reads these formats (the rpm C library is what everything else links),
//! so the page formats and the header blob are parsed here, every offset checked.

pub mod bdb;
pub mod header;
pub mod manifest;
pub mod ndb;
pub mod sqlite;

use hull_types::{Location, Package, PackageKind, SourcePackage};

use crate::{AnalyzeError, Analyzer, AnalyzerId, FileInput, Output, OwnedFiles};
pub use header::RpmHeader;

/// The directories rpm keeps its database in: the classic one, and the one Fedora and SUSE
/// moved to (`/var/lib/rpm` is then often a symlink to it, which hull does not follow).
pub(crate) const DIRS: &[&str] = &["/var/lib/rpm/", "/usr/lib/sysimage/rpm/", "/usr/share/rpm/"];

pub(crate) fn in_rpm_dir(path: &str, file: &str) -> bool {
    DIRS.iter()
        .any(|d| path.strip_prefix(d).is_some_and(|rest| rest == file))
}

/// Berkeley DB `Packages`.
pub struct RpmBerkeley;
/// NDB `Packages.db`.
pub struct RpmNdb;
/// SQLite `rpmdb.sqlite`.
pub struct RpmSqlite;
/// CBL-Mariner distroless `/var/lib/rpmmanifest/container-manifest-2`.
pub struct RpmManifest;

macro_rules! blob_analyzer {
    ($ty:ty, $id:literal, $file:literal, $parse_with:path) => {
        impl Analyzer for $ty {
            fn id(&self) -> AnalyzerId {
                AnalyzerId($id)
            }
            fn version(&self) -> u32 {
                2
            }
            fn wants(&self, path: &str) -> bool {
                in_rpm_dir(path, $file)
            }
            fn max_size(&self) -> u64 {
                512 << 20
            }
            fn analyze(&self, file: &FileInput<'_>) -> Result<Output, AnalyzeError> {
                let read = $parse_with(file.bytes, |blob| {
                    // A broken file list costs the ownership of its files, not the package.
                    Ok((header::parse_blob(blob)?, header::parse_files(blob).ok()))
                })?;
                let (headers, files): (Vec<_>, Vec<_>) = read.into_iter().unzip();
                Ok(Output {
                    packages: headers_to_packages(headers, file.path),
                    owned: owned_files(files.into_iter().flatten()),
                    ..Output::default()
                })
            }
        }
    };
}

blob_analyzer!(RpmBerkeley, "rpm-bdb", "Packages", bdb::parse_with);
blob_analyzer!(RpmNdb, "rpm-ndb", "Packages.db", ndb::parse_with);
blob_analyzer!(RpmSqlite, "rpm-sqlite", "rpmdb.sqlite", sqlite::parse_with);

/// Language-package metadata an rpm installed (`python3-six`'s dist-info) is the rpm's.
fn owned_files(files: impl Iterator<Item = header::RpmFiles>) -> Vec<OwnedFiles> {
    files
        .filter(|f| f.name != "gpg-pubkey")
        .filter_map(|f| {
            OwnedFiles::of(
                PackageKind::Rpm,
                &f.name,
                f.files.into_iter().map(|(p, _)| p),
            )
        })
        .collect()
}

impl Analyzer for RpmManifest {
    fn id(&self) -> AnalyzerId {
        AnalyzerId("rpm-manifest")
    }
    fn version(&self) -> u32 {
        1
    }
    fn wants(&self, path: &str) -> bool {
        path == "/var/lib/rpmmanifest/container-manifest-2"
    }
    fn analyze(&self, file: &FileInput<'_>) -> Result<Output, AnalyzeError> {
        Ok(Output {
            packages: headers_to_packages(manifest::parse(file.bytes)?, file.path),
            ..Output::default()
        })
    }
}

/// Header blobs become packages; `gpg-pubkey` pseudo-packages (imported signing keys, which
/// rpm stores as headers) are not software and are dropped.
fn headers_to_packages(headers: Vec<RpmHeader>, path: &str) -> Vec<Package> {
    headers
        .into_iter()
        .filter(|h| h.name != "gpg-pubkey" && !h.name.is_empty() && !h.version.is_empty())
        .map(|h| h.into_package(path))
        .collect()
}

impl RpmHeader {
    /// `[epoch:]version-release`, as `rpm -q --qf '%{EVR}'` prints it.
    pub fn evr(&self) -> String {
        let vr = if self.release.is_empty() {
            self.version.clone()
        } else {
            format!("{}-{}", self.version, self.release)
        };
        match self.epoch {
            Some(e) => format!("{e}:{vr}"),
            None => vr,
        }
    }

    fn into_package(self, path: &str) -> Package {
        let version = self.evr();
        let source = self
            .source_rpm
            .as_deref()
            .and_then(split_source_rpm)
            .map(|(n, v)| SourcePackage {
                name: n,
                version: match self.epoch {
                    Some(e) => format!("{e}:{v}"),
                    None => v,
                },
            });
        Package {
            kind: PackageKind::Rpm,
            name: self.name,
            version,
            arch: self.arch,
            source,
            licenses: self.license.into_iter().collect(),
            location: Location {
                path: path.to_string(),
                layer: None,
            },
            epoch: self.epoch,
            dev: false,
            direct: None,
            group_inferred: false,
        }
    }
}

/// `openssl-3.0.7-27.el9.src.rpm` → (`openssl`, `3.0.7-27.el9`). The name may itself contain
/// dashes, so the split is from the right: release, then version.
pub fn split_source_rpm(s: &str) -> Option<(String, String)> {
    let base = s
        .strip_suffix(".src.rpm")
        .or_else(|| s.strip_suffix(".nosrc.rpm"))?;
    let (rest, release) = base.rsplit_once('-')?;
    let (name, version) = rest.rsplit_once('-')?;
    if name.is_empty() || version.is_empty() || release.is_empty() {
        return None;
    }
    Some((name.to_string(), format!("{version}-{release}")))
}

/// The header bytes one database may yield: no more than the file holds. Real databases store
/// each header once; a hostile one makes many items share storage (Berkeley DB value slots
/// that all reuse one overflow chain, NDB slots that point at one blob, an SQLite view that
/// cross-joins one header), which would otherwise turn a 590 KB file into gigabytes.
pub(crate) struct Budget {
    format: &'static str,
    left: usize,
}

impl Budget {
    pub(crate) fn new(format: &'static str, file_len: usize) -> Self {
        Budget {
            format,
            left: file_len,
        }
    }

    /// Charges `n` bytes about to be materialised.
    pub(crate) fn take(&mut self, n: usize) -> Result<(), AnalyzeError> {
        self.left = self.left.checked_sub(n).ok_or_else(|| {
            AnalyzeError::malformed(
                self.format,
                "yields more header bytes than the file holds (items share storage)",
            )
        })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_rpm_split() {
        assert_eq!(
            split_source_rpm("python3-pip-21.2.3-7.el9.src.rpm"),
            Some(("python3-pip".into(), "21.2.3-7.el9".into()))
        );
        assert_eq!(split_source_rpm("garbage"), None);
        assert_eq!(split_source_rpm("-.src.rpm"), None);
    }

    #[test]
    fn wants_all_db_dirs() {
        assert!(RpmSqlite.wants("/usr/lib/sysimage/rpm/rpmdb.sqlite"));
        assert!(RpmBerkeley.wants("/var/lib/rpm/Packages"));
        assert!(RpmNdb.wants("/usr/lib/sysimage/rpm/Packages.db"));
        assert!(!RpmBerkeley.wants("/var/lib/rpm/Packages.db"));
        assert!(!RpmSqlite.wants("/home/x/var/lib/rpm/rpmdb.sqlite"));
    }
}
