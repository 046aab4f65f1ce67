//! PHP Composer: `composer.lock` (`packages` and `packages-dev`) and the installed list
//! `vendor/composer/installed.json` (Composer 1's plain array, Composer 2's
//! `{"packages": […]}`).

use hull_types::PackageKind;
use serde::Deserialize;
use serde_json::Value;

use super::{base, finish, package};
use crate::{AnalyzeError, Analyzer, AnalyzerId, FileInput, Output};

/// `composer.lock`.
pub struct ComposerLock;
/// `vendor/composer/installed.json`: what is installed.
pub struct ComposerInstalled;

#[derive(Deserialize)]
struct Entry {
    name: String,
    version: String,
    /// A list of SPDX ids, or (in old files) one string.
    #[serde(default)]
    license: Value,
}

impl Analyzer for ComposerLock {
    fn id(&self) -> AnalyzerId {
        AnalyzerId("composer-lock")
    }
    fn version(&self) -> u32 {
        1
    }
    fn wants(&self, path: &str) -> bool {
        base(path) == "composer.lock"
    }
    fn max_size(&self) -> u64 {
        32 << 20
    }
    fn lock_file(&self) -> bool {
        true
    }
    fn analyze(&self, file: &FileInput<'_>) -> Result<Output, AnalyzeError> {
        parse(file)
    }
}

impl Analyzer for ComposerInstalled {
    fn id(&self) -> AnalyzerId {
        AnalyzerId("composer-installed")
    }
    fn version(&self) -> u32 {
        1
    }
    fn wants(&self, path: &str) -> bool {
        path.ends_with("/vendor/composer/installed.json")
    }
    fn max_size(&self) -> u64 {
        32 << 20
    }
    fn analyze(&self, file: &FileInput<'_>) -> Result<Output, AnalyzeError> {
        parse(file)
    }
}

/// Both files list packages the same way (Composer 1's installed list is a bare array).
fn parse(file: &FileInput<'_>) -> Result<Output, AnalyzeError> {
    let doc: Value = serde_json::from_slice(file.bytes)
        .map_err(|e| AnalyzeError::malformed("composer", e.to_string()))?;
    let mut out = Vec::new();
    let mut take = |list: Option<&Value>, dev: bool| {
        for v in list.and_then(Value::as_array).into_iter().flatten() {
            let Ok(e) = Entry::deserialize(v) else {
                continue;
            };
            // The version as the lock file writes it (`v1.27.0` for a tag named so);
            // matching normalises, the report shows what Composer installed.
            let mut p = package(PackageKind::Composer, &e.name, &e.version, file.path);
            p.licenses = match e.license {
                Value::String(s) => vec![s],
                Value::Array(a) => a
                    .into_iter()
                    .filter_map(|l| l.as_str().map(str::to_string))
                    .collect(),
                _ => vec![],
            };
            p.dev = dev;
            out.push(p);
        }
    };
    match &doc {
        Value::Array(_) => take(Some(&doc), false),
        _ => {
            take(doc.get("packages"), false);
            take(doc.get("packages-dev"), true);
        }
    }
    Ok(Output {
        packages: finish(out),
        ..Output::default()
    })
}
