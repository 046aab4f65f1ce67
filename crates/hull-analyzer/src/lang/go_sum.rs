//! `go.sum` (directory scans): the modules (and versions) the module graph touched, one
//! per module: the last listed, which is the highest, since the go command writes the file
//! sorted. Trivy reads it the same way.
//!
//! It says more than what is built (versions MVS did not select, modules only needed to
//! resolve the graph), so hull-scan keeps its packages only where no `go.mod` beside it
//! says better: a `go.mod` for Go 1.17 or later lists every module the build needs, and an
//! older one leaves out the indirect ones, which `go.sum` then supplies.

use std::collections::BTreeMap;

use hull_types::PackageKind;

use super::{base, finish, package};
use crate::{AnalyzeError, Analyzer, AnalyzerId, FileInput, Output};

/// `go.sum`, one version per module (directory scans).
pub struct GoSum;

impl Analyzer for GoSum {
    fn id(&self) -> AnalyzerId {
        AnalyzerId("go-sum")
    }
    fn version(&self) -> u32 {
        1
    }
    fn wants(&self, path: &str) -> bool {
        base(path) == "go.sum"
    }
    fn lock_file(&self) -> bool {
        true
    }
    fn analyze(&self, file: &FileInput<'_>) -> Result<Output, AnalyzeError> {
        let text = String::from_utf8_lossy(file.bytes);
        let mut modules: BTreeMap<&str, &str> = BTreeMap::new();
        for line in text.lines() {
            let mut w = line.split_whitespace();
            // `<module> <version>[/go.mod] <hash>`
            let (Some(module), Some(version), Some(_hash)) = (w.next(), w.next(), w.next()) else {
                continue;
            };
            let version = version.strip_suffix("/go.mod").unwrap_or(version);
            modules.insert(module, version);
        }
        let packages = modules
            .into_iter()
            .map(|(m, v)| {
                let mut p = package(
                    PackageKind::Go,
                    m,
                    v.strip_prefix('v').unwrap_or(v),
                    file.path,
                );
                p.direct = Some(false);
                p
            })
            .collect();
        Ok(Output {
            packages: finish(packages),
            ..Output::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_version_per_module_without_go_mod_suffix() {
        let sum = b"golang.org/x/text v0.3.0 h1:g61=\ngolang.org/x/text v0.3.0/go.mod h1:NqM=\ngolang.org/x/text v0.3.7/go.mod h1:u+2=\n\nbroken line\n";
        let out = GoSum
            .analyze(&FileInput {
                path: "/src/go.sum",
                bytes: sum,
            })
            .unwrap();
        assert_eq!(out.packages.len(), 1);
        assert_eq!(out.packages[0].name, "golang.org/x/text");
        assert_eq!(out.packages[0].version, "0.3.7");
        assert_eq!(out.packages[0].direct, Some(false));
    }
}
