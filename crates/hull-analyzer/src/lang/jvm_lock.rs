//! Gradle's dependency lock file, `gradle.lockfile` (directory scans): one
//! `group:artifact:version=configuration,…` line per resolved dependency.

use hull_types::PackageKind;

use super::{base, finish, package};
use crate::{AnalyzeError, Analyzer, AnalyzerId, FileInput, Output};

/// `gradle.lockfile` (directory scans).
pub struct GradleLock;

impl Analyzer for GradleLock {
    fn id(&self) -> AnalyzerId {
        AnalyzerId("gradle-lock")
    }
    fn version(&self) -> u32 {
        1
    }
    fn wants(&self, path: &str) -> bool {
        let b = base(path);
        b == "gradle.lockfile"
            || (b.ends_with(".lockfile") && path.contains("/gradle/dependency-locks/"))
    }
    fn lock_file(&self) -> bool {
        true
    }
    fn analyze(&self, file: &FileInput<'_>) -> Result<Output, AnalyzeError> {
        let text = String::from_utf8_lossy(file.bytes);
        let mut out = Vec::new();
        for line in text.lines() {
            let line = line.trim();
            if line.starts_with('#') || line.starts_with("empty=") {
                continue;
            }
            let coords = line.split('=').next().unwrap_or("");
            let parts: Vec<&str> = coords.split(':').collect();
            if let [g, a, v] = parts.as_slice() {
                let mut p = package(PackageKind::Maven, &format!("{g}:{a}"), v, file.path);
                // Configurations named only for tests are development dependencies.
                let configs = line.split_once('=').map_or("", |(_, c)| c);
                p.dev = !configs.is_empty()
                    && configs
                        .split(',')
                        .all(|c| c.to_ascii_lowercase().contains("test"));
                out.push(p);
            }
        }
        Ok(Output {
            packages: finish(out),
            ..Output::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lockfile_lines() {
        let text = b"# This is a Gradle generated file for dependency locking.\n# Manual edits can break the build and are not advised.\n# This file is expected to be part of source control.\ncom.google.guava:guava:31.1-jre=compileClasspath,runtimeClasspath\njunit:junit:4.13.2=testCompileClasspath,testRuntimeClasspath\nempty=annotationProcessor\n";
        let out = GradleLock
            .analyze(&FileInput {
                path: "/src/gradle.lockfile",
                bytes: text,
            })
            .unwrap();
        let got: Vec<(&str, &str, bool)> = out
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str(), p.dev))
            .collect();
        assert_eq!(
            got,
            [
                ("com.google.guava:guava", "31.1-jre", false),
                ("junit:junit", "4.13.2", true)
            ]
        );
    }
}
