//! The checksums OS package managers record for the files they install: dpkg's
//! `info/<package>.md5sums` (and distroless `status.d/<package>.md5sums`), the `Z:` SHA-1 of
//! each file in apk's `installed`, and the file digests in rpm headers.
//!
//! The malware scanner uses them to skip files that are byte for byte what their package
//! shipped (`--skip-verified-os-files`) and to report those that are not
//! (`os-file-modified`): that is how a trojanised `/usr/bin/ls` shows up. These are not
//! [`crate::Analyzer`]s: they are read only when that scanner asks, before the layers'
//! main pass.

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use super::rpm;
use crate::AnalyzeError;

/// A file digest as a package database records it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FileDigest {
    /// MD5 (dpkg md5sums, older rpm).
    Md5([u8; 16]),
    /// SHA-1 (apk `Z:Q1`).
    Sha1([u8; 20]),
    /// SHA-256 (rpm).
    Sha256([u8; 32]),
}

impl FileDigest {
    /// The algorithm's name.
    pub fn algorithm(&self) -> &'static str {
        match self {
            Self::Md5(_) => "md5",
            Self::Sha1(_) => "sha1",
            Self::Sha256(_) => "sha256",
        }
    }

    /// The digest's bytes.
    pub fn bytes(&self) -> &[u8] {
        match self {
            Self::Md5(b) => b,
            Self::Sha1(b) => b,
            Self::Sha256(b) => b,
        }
    }

    fn from_slice(b: &[u8]) -> Option<Self> {
        Some(match b.len() {
            16 => Self::Md5(b.try_into().ok()?),
            20 => Self::Sha1(b.try_into().ok()?),
            32 => Self::Sha256(b.try_into().ok()?),
            _ => return None,
        })
    }
}

/// One package's files with their recorded digests (absolute paths).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageFiles {
    /// The package.
    pub package: String,
    /// Each file with its recorded digest.
    pub files: Vec<(String, FileDigest)>,
}

/// Which database a path is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChecksumDb {
    /// dpkg's `info/*.md5sums` (and distroless `status.d/*.md5sums`).
    DpkgMd5sums,
    /// apk's `installed`.
    ApkInstalled,
    /// rpm's Berkeley DB `Packages`.
    RpmBerkeley,
    /// rpm's NDB `Packages.db`.
    RpmNdb,
    /// rpm's `rpmdb.sqlite`.
    RpmSqlite,
}

/// Where dpkg keeps one `<package>.md5sums` per package.
pub const DPKG_DIRS: &[&str] = &["/var/lib/dpkg/info/", "/var/lib/dpkg/status.d/"];

const RPM_FILES: [(&str, ChecksumDb); 3] = [
    ("Packages", ChecksumDb::RpmBerkeley),
    ("Packages.db", ChecksumDb::RpmNdb),
    ("rpmdb.sqlite", ChecksumDb::RpmSqlite),
];

impl ChecksumDb {
    /// The database at `path`, if it is one.
    pub fn at(path: &str) -> Option<Self> {
        if DPKG_DIRS.iter().any(|d| {
            path.strip_prefix(d)
                .is_some_and(|f| f.ends_with(".md5sums") && !f.contains('/'))
        }) {
            return Some(Self::DpkgMd5sums);
        }
        if path == super::apk::INSTALLED {
            return Some(Self::ApkInstalled);
        }
        RPM_FILES
            .into_iter()
            .find(|(f, _)| rpm::in_rpm_dir(path, f))
            .map(|(_, db)| db)
    }

    /// Every database path that is not one per package (apk's, rpm's in each of its
    /// directories), for reading a root filesystem without walking it.
    pub fn fixed_paths() -> Vec<String> {
        let mut out = vec![super::apk::INSTALLED.to_string()];
        for dir in rpm::DIRS {
            out.extend(RPM_FILES.iter().map(|(f, _)| format!("{dir}{f}")));
        }
        out
    }

    /// The largest database file read.
    pub fn max_size(self) -> u64 {
        match self {
            Self::DpkgMd5sums => 32 << 20,
            _ => 512 << 20,
        }
    }

    /// The package manager's name, for findings.
    pub fn manager(self) -> &'static str {
        match self {
            Self::DpkgMd5sums => "dpkg",
            Self::ApkInstalled => "apk",
            _ => "rpm",
        }
    }

    /// Reads the database file `path`.
    pub fn read(self, path: &str, bytes: &[u8]) -> Result<Vec<PackageFiles>, AnalyzeError> {
        match self {
            Self::DpkgMd5sums => Ok(vec![dpkg_md5sums(path, bytes)?]),
            Self::ApkInstalled => apk_installed(bytes),
            Self::RpmBerkeley => rpm_files(rpm::bdb::parse_with(bytes, rpm::header::parse_files)?),
            Self::RpmNdb => rpm_files(rpm::ndb::parse_with(bytes, rpm::header::parse_files)?),
            Self::RpmSqlite => rpm_files(rpm::sqlite::parse_with(bytes, rpm::header::parse_files)?),
        }
    }
}

/// `<md5 hex>  <path relative to />` lines; the package is the file's name without
/// `.md5sums` and without a `:<arch>` qualifier. Conffiles are never listed (dpkg keeps
/// their checksums in `status`, and they are the admin's to change).
fn dpkg_md5sums(path: &str, bytes: &[u8]) -> Result<PackageFiles, AnalyzeError> {
    let name = path.rsplit('/').next().unwrap_or(path);
    let name = name.strip_suffix(".md5sums").unwrap_or(name);
    let package = name.split(':').next().unwrap_or(name).to_string();
    let text = String::from_utf8_lossy(bytes);
    let mut files = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let bad = || AnalyzeError::malformed("dpkg md5sums", format!("line {}", n + 1));
        let (hash, file) = line.split_once(char::is_whitespace).ok_or_else(bad)?;
        let digest = hex::decode(hash)
            .ok()
            .and_then(|b| FileDigest::from_slice(&b))
            .filter(|d| matches!(d, FileDigest::Md5(_)))
            .ok_or_else(bad)?;
        let file = file.trim_start().trim_start_matches('/');
        if file.is_empty() {
            return Err(bad());
        }
        files.push((format!("/{file}"), digest));
    }
    Ok(PackageFiles { package, files })
}

/// apk's database: `P:` starts a package, `F:` names a directory, `R:` a file in it, and
/// the `Z:` after an `R:` is the file's checksum (`Q1` + base64 SHA-1).
fn apk_installed(bytes: &[u8]) -> Result<Vec<PackageFiles>, AnalyzeError> {
    let text = String::from_utf8_lossy(bytes);
    let mut out: Vec<PackageFiles> = Vec::new();
    let mut dir = String::new();
    let mut file: Option<String> = None;
    for line in text.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        match key {
            "P" => {
                out.push(PackageFiles {
                    package: value.to_string(),
                    files: vec![],
                });
                dir.clear();
                file = None;
            }
            "F" => {
                dir = value.trim_matches('/').to_string();
                file = None;
            }
            "R" => file = Some(value.to_string()),
            "Z" => {
                let (Some(f), Some(pkg)) = (file.take(), out.last_mut()) else {
                    continue;
                };
                let Some(b64) = value.strip_prefix("Q1") else {
                    continue;
                };
                let digest = base64::engine::general_purpose::STANDARD
                    .decode(b64)
                    .ok()
                    .and_then(|b| FileDigest::from_slice(&b))
                    .ok_or_else(|| {
                        AnalyzeError::malformed("apk installed", format!("checksum of {f}"))
                    })?;
                let path = if dir.is_empty() {
                    format!("/{f}")
                } else {
                    format!("/{dir}/{f}")
                };
                pkg.files.push((path, digest));
            }
            _ => {}
        }
    }
    out.retain(|p| !p.files.is_empty());
    Ok(out)
}

fn rpm_files(headers: Vec<rpm::header::RpmFiles>) -> Result<Vec<PackageFiles>, AnalyzeError> {
    Ok(headers
        .into_iter()
        .filter(|h| !h.files.is_empty())
        .map(|h| {
            // Digest kinds hull does not compute (SHA-384/512) leave the package unverified.
            let files = h
                .files
                .into_iter()
                .filter_map(|(p, d)| {
                    let d = FileDigest::from_slice(&d)?;
                    let expected = match h.algo {
                        1 => matches!(d, FileDigest::Md5(_)),
                        2 => matches!(d, FileDigest::Sha1(_)),
                        8 => matches!(d, FileDigest::Sha256(_)),
                        _ => false,
                    };
                    expected.then_some((p, d))
                })
                .collect();
            PackageFiles {
                package: h.name,
                files,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_databases() {
        assert_eq!(
            ChecksumDb::at("/var/lib/dpkg/info/libc6:amd64.md5sums"),
            Some(ChecksumDb::DpkgMd5sums)
        );
        assert_eq!(
            ChecksumDb::at("/var/lib/dpkg/status.d/base.md5sums"),
            Some(ChecksumDb::DpkgMd5sums)
        );
        assert_eq!(ChecksumDb::at("/var/lib/dpkg/info/libc6.list"), None);
        assert_eq!(ChecksumDb::at("/var/lib/dpkg/info/x/y.md5sums"), None);
        assert_eq!(
            ChecksumDb::at("/lib/apk/db/installed"),
            Some(ChecksumDb::ApkInstalled)
        );
        assert_eq!(
            ChecksumDb::at("/usr/lib/sysimage/rpm/rpmdb.sqlite"),
            Some(ChecksumDb::RpmSqlite)
        );
        assert_eq!(ChecksumDb::at("/usr/bin/ls"), None);
        let fixed = ChecksumDb::fixed_paths();
        assert_eq!(fixed.len(), 10);
        assert!(
            fixed.iter().all(|p| ChecksumDb::at(p).is_some()),
            "{fixed:?}"
        );
    }

    #[test]
    fn dpkg_lines() {
        let f = ChecksumDb::DpkgMd5sums
            .read(
                "/var/lib/dpkg/info/hello:amd64.md5sums",
                b"d41d8cd98f00b204e9800998ecf8427e  usr/bin/hello\n",
            )
            .unwrap();
        assert_eq!(f[0].package, "hello");
        assert_eq!(f[0].files[0].0, "/usr/bin/hello");
        assert_eq!(f[0].files[0].1.algorithm(), "md5");
        for bad in [
            &b"zz  usr/bin/x\n"[..],
            b"d41d8cd98f00b204e9800998ecf8427e\n",
        ] {
            assert!(ChecksumDb::DpkgMd5sums
                .read("/var/lib/dpkg/info/x.md5sums", bad)
                .is_err());
        }
    }

    #[test]
    fn apk_files() {
        // SHA-1 of the empty string, as apk writes it.
        let db = b"P:busybox\nV:1.36.1-r2\nF:bin\nR:busybox\na:0:0:755\nZ:Q12jmj7l5rSw0yVb/vlWAYkK/YBwk=\nF:etc\nR:securetty\nZ:Q12jmj7l5rSw0yVb/vlWAYkK/YBwk=\n\nP:empty\nV:1\n";
        let f = ChecksumDb::ApkInstalled
            .read("/lib/apk/db/installed", db)
            .unwrap();
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].package, "busybox");
        let paths: Vec<&str> = f[0].files.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, ["/bin/busybox", "/etc/securetty"]);
        assert_eq!(
            hex::encode(f[0].files[0].1.bytes()),
            "da39a3ee5e6b4b0d3255bfef95601890afd80709"
        );
    }
}
