//! dpkg's database: `/var/lib/dpkg/status`, and the one-file-per-package `status.d/`
//! directory that distroless images use instead (without a `Status:` field).

use hull_types::{Location, Package, PackageKind, SourcePackage};

use super::{field, paragraphs};
use crate::{AnalyzeError, Analyzer, AnalyzerId, FileInput, Output};

/// dpkg `status` and distroless `status.d/*`.
pub struct Dpkg;

const STATUS: &str = "/var/lib/dpkg/status";
const STATUS_D: &str = "/var/lib/dpkg/status.d/";

impl Analyzer for Dpkg {
    fn id(&self) -> AnalyzerId {
        AnalyzerId("dpkg")
    }
    fn version(&self) -> u32 {
        // 2: Latin-1 bytes no longer drop the whole database.
        2
    }
    fn wants(&self, path: &str) -> bool {
        path == STATUS
            || path.strip_prefix(STATUS_D).is_some_and(|name| {
                !name.is_empty() && !name.contains('/') && !name.ends_with(".md5sums")
            })
    }
    fn analyze(&self, file: &FileInput<'_>) -> Result<Output, AnalyzeError> {
        let records = parse(file.bytes)?;
        let db = if file.path == STATUS {
            DbKind::Status
        } else {
            DbKind::StatusD
        };
        let packages = records
            .into_iter()
            .filter(|r| r.is_installed(db))
            .map(|r| r.into_package(file.path))
            .collect();
        Ok(Output {
            packages,
            ..Output::default()
        })
    }
}

/// Which of dpkg's two layouts a file comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DbKind {
    /// `/var/lib/dpkg/status`, written by dpkg itself (also opkg's `status`).
    Status,
    /// `/var/lib/dpkg/status.d/<package>`, written by distroless image builders.
    StatusD,
}

/// One paragraph of a dpkg status file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DpkgRecord {
    /// `Package`.
    pub package: String,
    /// `Version`.
    pub version: String,
    /// `Architecture`.
    pub architecture: Option<String>,
    /// `Source` name (the package's own when absent).
    pub source_name: String,
    /// `Source` version (the package's own when absent).
    pub source_version: String,
    /// `Status`.
    pub status: Option<String>,
    /// opkg writes a `License:` field; dpkg does not.
    pub license: Option<String>,
}

impl DpkgRecord {
    /// dpkg's own rule: the third word of `Status:` is the state, and only `installed` means
    /// the files are on disk (`config-files`, `half-installed`, `not-installed` do not).
    /// dpkg always writes `Status:` into its status file, so a paragraph there without one
    /// is not an installed package; distroless `status.d` files never carry the field.
    pub fn is_installed(&self, db: DbKind) -> bool {
        match (&self.status, db) {
            (None, DbKind::StatusD) => true,
            (None, DbKind::Status) => false,
            (Some(s), _) => s.split_whitespace().nth(2) == Some("installed"),
        }
    }

    fn into_package(self, path: &str) -> Package {
        Package {
            kind: PackageKind::Deb,
            name: self.package,
            version: self.version,
            arch: self.architecture,
            source: Some(SourcePackage {
                name: self.source_name,
                version: self.source_version,
            }),
            licenses: self.license.into_iter().collect(),
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
}

/// Parses a status file. Paragraphs without `Package` or `Version` are skipped: dpkg never
/// writes them for an installed package, and a package without a version cannot be matched.
pub fn parse(bytes: &[u8]) -> Result<Vec<DpkgRecord>, AnalyzeError> {
    // The database is bytes: maintainer names and descriptions may be Latin-1 (policy wants
    // UTF-8, old packages differ). One such byte must not hide every package, so the text is
    // decoded lossily and only the fields hull uses must be clean.
    let text = String::from_utf8_lossy(bytes);
    let mut out = Vec::new();
    for p in paragraphs(&text, ':') {
        let (Some(name), Some(version)) = (field(&p, "Package"), field(&p, "Version")) else {
            continue;
        };
        let used = ["Package", "Version", "Source", "Architecture", "Status"];
        if used
            .iter()
            .any(|f| field(&p, f).is_some_and(|v| v.contains(char::REPLACEMENT_CHARACTER)))
        {
            continue;
        }
        // `Source: name (version)` when the source version differs from the binary's.
        let (source_name, source_version) = match field(&p, "Source") {
            Some(src) => match src.split_once('(') {
                Some((n, v)) => (
                    n.trim().to_string(),
                    v.trim_end_matches(')').trim().to_string(),
                ),
                None => (src.to_string(), version.to_string()),
            },
            None => (name.to_string(), version.to_string()),
        };
        out.push(DpkgRecord {
            package: name.to_string(),
            version: version.to_string(),
            architecture: field(&p, "Architecture").map(str::to_string),
            source_name,
            source_version,
            status: field(&p, "Status").map(str::to_string),
            license: field(&p, "License").map(str::to_string),
        });
    }
    // A database with bytes in it that yields no package at all is not a clean image.
    if out.is_empty() && bytes.iter().any(|b| !b.is_ascii_whitespace()) {
        return Err(AnalyzeError::malformed(
            "dpkg status",
            "no package record could be read",
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wants_status_and_status_d() {
        assert!(Dpkg.wants("/var/lib/dpkg/status"));
        assert!(Dpkg.wants("/var/lib/dpkg/status.d/libc6"));
        assert!(!Dpkg.wants("/var/lib/dpkg/status.d/libc6.md5sums"));
        assert!(!Dpkg.wants("/var/lib/dpkg/status-old"));
        assert!(!Dpkg.wants("/var/lib/dpkg/status.d/a/b"));
    }

    #[test]
    fn source_with_version() {
        let r = parse(b"Package: libssl3\nStatus: install ok installed\nVersion: 3.0.15-1~deb12u1\nSource: openssl (3.0.15-1~deb12u1+b1)\n").unwrap();
        assert_eq!(r[0].source_name, "openssl");
        assert_eq!(r[0].source_version, "3.0.15-1~deb12u1+b1");
    }

    #[test]
    fn not_installed_is_dropped() {
        let out = Dpkg
            .analyze(&FileInput {
                path: STATUS,
                bytes: b"Package: a\nStatus: deinstall ok config-files\nVersion: 1\n\nPackage: b\nStatus: install ok installed\nVersion: 2\n",
            })
            .unwrap();
        assert_eq!(out.packages.len(), 1);
        assert_eq!(out.packages[0].name, "b");
    }

    #[test]
    fn latin1_in_unused_fields_hides_no_package() {
        // Issue #23: one Latin-1 byte in a maintainer name used to drop the whole database.
        let mut db =
            b"Package: a\nStatus: install ok installed\nVersion: 1\nMaintainer: Jos\xe9 \xc0\n\n"
                .to_vec();
        db.extend_from_slice(b"Package: b\nStatus: install ok installed\nVersion: 2\n\n");
        db.extend_from_slice(b"Package: c\xff\nStatus: install ok installed\nVersion: 3\n\n");
        let names: Vec<_> = parse(&db).unwrap().into_iter().map(|r| r.package).collect();
        assert_eq!(
            names,
            vec!["a", "b"],
            "the record whose name is not text is the one left out"
        );
        // Bytes that hold no record at all are an error, not an empty, clean image.
        assert!(parse(&[0xff, 0xfe, b'\n']).is_err());
        assert!(parse(b"\n\n").unwrap().is_empty());
    }
}
