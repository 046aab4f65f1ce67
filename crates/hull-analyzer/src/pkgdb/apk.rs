//! apk-tools' installed database, `/lib/apk/db/installed` (Alpine, Wolfi, Chainguard).
//!
//! One paragraph per package, one letter per field: `P` name, `V` version, `A` arch,
//! `o` origin (the source package), `L` license; `F` names a directory and each `R` after it
//! a file the package installed there.

use hull_types::{Location, Package, PackageKind, SourcePackage};

use super::paragraphs;
use crate::{AnalyzeError, Analyzer, AnalyzerId, FileInput, Output, OwnedFiles};

/// `/lib/apk/db/installed`.
pub struct Apk;

pub(crate) const INSTALLED: &str = "/lib/apk/db/installed";

impl Analyzer for Apk {
    fn id(&self) -> AnalyzerId {
        AnalyzerId("apk")
    }
    fn version(&self) -> u32 {
        // 3: Latin-1 bytes no longer drop the whole database.
        3
    }
    fn wants(&self, path: &str) -> bool {
        path == INSTALLED
    }
    fn analyze(&self, file: &FileInput<'_>) -> Result<Output, AnalyzeError> {
        let records = parse(file.bytes)?;
        // Language-package metadata an apk installed (`py3-*`'s dist-info) is the apk's.
        let owned = records
            .iter()
            .filter_map(|r| {
                OwnedFiles::of(
                    PackageKind::Apk,
                    &r.name,
                    r.files.iter().map(String::as_str),
                )
            })
            .collect();
        let packages = records
            .into_iter()
            .map(|r| Package {
                kind: PackageKind::Apk,
                source: Some(SourcePackage {
                    name: r.origin.unwrap_or_else(|| r.name.clone()),
                    version: r.version.clone(),
                }),
                name: r.name,
                version: r.version,
                arch: r.arch,
                licenses: r.license.into_iter().collect(),
                location: Location {
                    path: file.path.to_string(),
                    layer: None,
                },
                epoch: None,
                dev: false,
                direct: None,
                group_inferred: false,
            })
            .collect();
        Ok(Output {
            packages,
            owned,
            ..Output::default()
        })
    }
}

/// One package of the installed database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApkRecord {
    /// `P:`.
    pub name: String,
    /// `V:`.
    pub version: String,
    /// `A:`.
    pub arch: Option<String>,
    /// `o:`, the source package.
    pub origin: Option<String>,
    /// `L:`.
    pub license: Option<String>,
    /// Absolute paths of the files it installed (`F` directory + `R` name).
    pub files: Vec<String>,
}

/// Parses the database; paragraphs without a name or version are skipped.
pub fn parse(bytes: &[u8]) -> Result<Vec<ApkRecord>, AnalyzeError> {
    // Decoded lossily: a Latin-1 byte in a description must not hide every package (see
    // dpkg's parser); a record whose name or version is not text is left out.
    let text = String::from_utf8_lossy(bytes);
    let mut out = Vec::new();
    for p in paragraphs(&text, ':') {
        // apk keys are case-sensitive single letters (`P` name, `p` provides).
        let get = |k: &str| {
            p.iter()
                .find(|(key, _)| *key == k)
                .map(|(_, v)| v.clone())
                .filter(|v| !v.is_empty())
        };
        let (Some(name), Some(version)) = (get("P"), get("V")) else {
            continue;
        };
        if name.contains(char::REPLACEMENT_CHARACTER)
            || version.contains(char::REPLACEMENT_CHARACTER)
        {
            continue;
        }
        let mut dir = "";
        let mut files = Vec::new();
        for (k, v) in &p {
            match *k {
                "F" => dir = v.trim_matches('/'),
                "R" if dir.is_empty() => files.push(format!("/{v}")),
                "R" => files.push(format!("/{dir}/{v}")),
                _ => {}
            }
        }
        out.push(ApkRecord {
            name,
            version,
            arch: get("A"),
            origin: get("o"),
            license: get("L"),
            files,
        });
    }
    // A database with bytes in it that yields no package at all is not a clean image.
    if out.is_empty() && bytes.iter().any(|b| !b.is_ascii_whitespace()) {
        return Err(AnalyzeError::malformed(
            "apk installed",
            "no package record could be read",
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_sensitive_keys() {
        let r = parse(b"C:Q1abc=\nP:musl\nV:1.2.5-r0\nA:x86_64\np:so:libc.musl-x86_64.so.1=1\no:musl\nL:MIT\n\n").unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].name, "musl");
        assert_eq!(r[0].license.as_deref(), Some("MIT"));
    }
}
