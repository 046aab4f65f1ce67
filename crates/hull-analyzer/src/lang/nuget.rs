//! .NET: `*.deps.json` (what a published application loads; read in images too) and
//! `packages.lock.json` (directory scans).

use hull_types::PackageKind;
use serde_json::Value;

use super::{base, finish, package};
use crate::{AnalyzeError, Analyzer, AnalyzerId, FileInput, Output};

/// .NET `*.deps.json`.
pub struct DotnetDeps;
/// NuGet `packages.lock.json` (directory scans).
pub struct NugetLock;

impl Analyzer for DotnetDeps {
    fn id(&self) -> AnalyzerId {
        AnalyzerId("dotnet-deps")
    }
    fn version(&self) -> u32 {
        1
    }
    fn wants(&self, path: &str) -> bool {
        base(path).ends_with(".deps.json")
    }
    fn analyze(&self, file: &FileInput<'_>) -> Result<Output, AnalyzeError> {
        let v: Value = serde_json::from_slice(file.bytes)
            .map_err(|e| AnalyzeError::malformed("deps.json", e.to_string()))?;
        let mut out = Vec::new();
        // The runtime target's entries say what the application loads; a library whose
        // entry there has no runtime, native or resource assets is a compile-time reference
        // (a meta-package) and is not deployed.
        let target_name = v.pointer("/runtimeTarget/name").and_then(Value::as_str);
        let target = target_name.and_then(|t| v.get("targets").and_then(|ts| ts.get(t)));
        // `libraries` keyed `Name/Version`: `package` (NuGet), `project` (the application
        // and its projects), `runtimepack` (a self-contained app's bundled runtime).
        for (key, lib) in v
            .get("libraries")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let ty = lib.get("type").and_then(Value::as_str).unwrap_or("");
            if !matches!(ty, "package" | "project" | "runtimepack") {
                continue;
            }
            let Some((name, version)) = key.split_once('/') else {
                continue;
            };
            let name = name.strip_prefix("runtimepack.").unwrap_or(name);
            if let Some(entry) = target.and_then(|t| t.get(key)) {
                let deployed = ["runtime", "runtimeTargets", "native", "resources"]
                    .iter()
                    .any(|k| entry.get(*k).is_some());
                if !deployed && ty == "package" {
                    continue;
                }
            }
            out.push(package(PackageKind::NuGet, name, version, file.path));
        }
        Ok(Output {
            packages: finish(out),
            ..Output::default()
        })
    }
}

impl Analyzer for NugetLock {
    fn id(&self) -> AnalyzerId {
        AnalyzerId("nuget-lock")
    }
    fn version(&self) -> u32 {
        1
    }
    fn wants(&self, path: &str) -> bool {
        base(path) == "packages.lock.json"
    }
    fn lock_file(&self) -> bool {
        true
    }
    fn analyze(&self, file: &FileInput<'_>) -> Result<Output, AnalyzeError> {
        let v: Value = serde_json::from_slice(file.bytes)
            .map_err(|e| AnalyzeError::malformed("packages.lock.json", e.to_string()))?;
        let mut out = Vec::new();
        for (_, deps) in v
            .get("dependencies")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            for (name, d) in deps.as_object().into_iter().flatten() {
                let ty = d.get("type").and_then(Value::as_str).unwrap_or("");
                if ty == "Project" {
                    continue;
                }
                let Some(version) = d.get("resolved").and_then(Value::as_str) else {
                    continue;
                };
                let mut p = package(PackageKind::NuGet, name, version, file.path);
                p.direct = Some(ty == "Direct");
                out.push(p);
            }
        }
        Ok(Output {
            packages: finish(out),
            ..Output::default()
        })
    }
}
