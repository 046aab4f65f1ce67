//! `Cargo.lock` (lock file versions 1 to 4): every `[[package]]` with its name and version.
//! Packages from a path or git source that is not a registry are the workspace's own
//! crates or git checkouts; they are reported too (as cargo-audit does), since an advisory
//! can name them.

use hull_types::PackageKind;
use serde::Deserialize;

use super::{base, finish, package};
use crate::{AnalyzeError, Analyzer, AnalyzerId, FileInput, Output};

/// `Cargo.lock` (directory scans).
pub struct CargoLock;

#[derive(Deserialize)]
struct Lock {
    #[serde(default)]
    package: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    name: String,
    version: String,
}

impl Analyzer for CargoLock {
    fn id(&self) -> AnalyzerId {
        AnalyzerId("cargo-lock")
    }
    fn version(&self) -> u32 {
        1
    }
    fn wants(&self, path: &str) -> bool {
        base(path) == "Cargo.lock"
    }
    fn max_size(&self) -> u64 {
        16 << 20
    }
    fn lock_file(&self) -> bool {
        true
    }
    fn analyze(&self, file: &FileInput<'_>) -> Result<Output, AnalyzeError> {
        let text = std::str::from_utf8(file.bytes)
            .map_err(|_| AnalyzeError::malformed("Cargo.lock", "not UTF-8"))?;
        let lock: Lock = toml::from_str(text)
            .map_err(|e| AnalyzeError::malformed("Cargo.lock", e.message().to_string()))?;
        Ok(Output {
            packages: finish(
                lock.package
                    .iter()
                    .map(|p| package(PackageKind::Cargo, &p.name, &p.version, file.path))
                    .collect(),
            ),
            ..Output::default()
        })
    }
}
