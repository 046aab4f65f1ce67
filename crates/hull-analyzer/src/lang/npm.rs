//! npm: installed packages (`node_modules/<name>/package.json`, scoped and nested) and
//! `package-lock.json` / `npm-shrinkwrap.json` (lockfile versions 1, 2 and 3).

use std::collections::{BTreeMap, BTreeSet};

use hull_types::PackageKind;
use serde_json::Value;

use super::{base, finish, package};
use crate::{AnalyzeError, Analyzer, AnalyzerId, FileInput, Output};

/// Installed npm packages (`node_modules/**/package.json`).
pub struct NpmInstalled;
/// `package-lock.json` and `npm-shrinkwrap.json` (directory scans).
pub struct NpmLock;

/// Whether `path` is the manifest of an installed package: `…/node_modules/name/package.json`
/// or `…/node_modules/@scope/name/package.json` (not a `package.json` deeper inside it).
fn installed_manifest(path: &str) -> bool {
    let Some(i) = path.rfind("/node_modules/") else {
        return false;
    };
    let rest = &path[i + "/node_modules/".len()..];
    let Some(dir) = rest.strip_suffix("/package.json") else {
        return false;
    };
    match dir.split_once('/') {
        None => !dir.is_empty() && !dir.starts_with('@'),
        Some((scope, name)) => scope.starts_with('@') && !name.is_empty() && !name.contains('/'),
    }
}

fn license(v: &Value) -> Vec<String> {
    match v.get("license") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Object(o)) => o
            .get("type")
            .and_then(Value::as_str)
            .map(|s| vec![s.to_string()])
            .unwrap_or_default(),
        _ => match v.get("licenses") {
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(|l| l.get("type").and_then(Value::as_str).or(l.as_str()))
                .map(str::to_string)
                .collect(),
            _ => vec![],
        },
    }
}

impl Analyzer for NpmInstalled {
    fn id(&self) -> AnalyzerId {
        AnalyzerId("npm-installed")
    }
    fn version(&self) -> u32 {
        1
    }
    fn wants(&self, path: &str) -> bool {
        installed_manifest(path)
    }
    fn max_size(&self) -> u64 {
        4 << 20
    }
    fn analyze(&self, file: &FileInput<'_>) -> Result<Output, AnalyzeError> {
        let v: Value = serde_json::from_slice(file.bytes)
            .map_err(|e| AnalyzeError::malformed("package.json", e.to_string()))?;
        let (Some(name), Some(version)) = (
            v.get("name").and_then(Value::as_str),
            v.get("version").and_then(Value::as_str),
        ) else {
            // Private workspace roots and stubs without a version are not packages.
            return Ok(Output::default());
        };
        let mut p = package(PackageKind::Npm, name, version, file.path);
        p.licenses = license(&v);
        Ok(Output {
            packages: finish(vec![p]),
            ..Output::default()
        })
    }
}

impl Analyzer for NpmLock {
    fn id(&self) -> AnalyzerId {
        AnalyzerId("npm-lock")
    }
    fn version(&self) -> u32 {
        // 2: workspace members' dependencies are direct.
        2
    }
    fn wants(&self, path: &str) -> bool {
        let b = base(path);
        (b == "package-lock.json" || b == "npm-shrinkwrap.json") && !path.contains("/node_modules/")
    }
    fn max_size(&self) -> u64 {
        64 << 20
    }
    fn lock_file(&self) -> bool {
        true
    }
    fn analyze(&self, file: &FileInput<'_>) -> Result<Output, AnalyzeError> {
        let v: Value = serde_json::from_slice(file.bytes)
            .map_err(|e| AnalyzeError::malformed("package-lock.json", e.to_string()))?;
        let mut out = Vec::new();
        if let Some(pkgs) = v.get("packages").and_then(Value::as_object) {
            // Lockfile v2/v3: keys are install paths; "" is the project itself.
            // The manifests that declare direct dependencies: the project ("") and each
            // workspace member (a key outside any node_modules). npm hoists members'
            // dependencies to the root node_modules, so a root-level install is direct if
            // any of them declares it; one under a member's own node_modules, if that
            // member does.
            let declared = |e: &'_ Value| -> BTreeSet<String> {
                [
                    "dependencies",
                    "devDependencies",
                    "optionalDependencies",
                    "peerDependencies",
                ]
                .iter()
                .filter_map(|k| e.get(*k).and_then(Value::as_object))
                .flat_map(|o| o.keys().cloned())
                .collect()
            };
            let manifests: BTreeMap<&str, BTreeSet<String>> = pkgs
                .iter()
                .filter(|(k, _)| !k.contains("node_modules/"))
                .map(|(k, e)| (k.as_str(), declared(e)))
                .collect();
            let any_direct: BTreeSet<&str> = manifests
                .values()
                .flat_map(|s| s.iter().map(String::as_str))
                .collect();
            for (key, e) in pkgs {
                // Links point at another key (a workspace member), which is listed itself.
                if key.is_empty() || e.get("link").and_then(Value::as_bool) == Some(true) {
                    continue;
                }
                // `node_modules/x` installs; any other key is a workspace member or a
                // `file:` dependency at that path.
                let i = key
                    .rfind("node_modules/")
                    .map_or(0, |i| i + "node_modules/".len());
                let install_name = if i == 0 {
                    key.rsplit('/').next().unwrap_or(key)
                } else {
                    &key[i..]
                };
                let i = i.saturating_sub("node_modules/".len());
                let name = e
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or(install_name);
                let Some(version) = e.get("version").and_then(Value::as_str) else {
                    continue;
                };
                // A version that is a URL or path (a git or file dependency) names no
                // registry release.
                if version.contains(':') || version.starts_with('/') || version.starts_with('.') {
                    continue;
                }
                let mut p = package(PackageKind::Npm, name, version, file.path);
                p.dev = e.get("dev").and_then(Value::as_bool) == Some(true);
                p.licenses = license(e);
                let owner = key[..i].trim_end_matches('/');
                p.direct = Some(if !key.contains("node_modules/") {
                    false // a workspace member itself
                } else if owner.is_empty() {
                    any_direct.contains(install_name)
                } else {
                    manifests
                        .get(owner)
                        .is_some_and(|m| m.contains(install_name))
                });
                out.push(p);
            }
        } else if let Some(deps) = v.get("dependencies").and_then(Value::as_object) {
            // Lockfile v1: nested `dependencies`.
            let mut stack: Vec<(&serde_json::Map<String, Value>, bool)> = vec![(deps, true)];
            while let Some((deps, top)) = stack.pop() {
                for (name, e) in deps {
                    if let Some(version) = e.get("version").and_then(Value::as_str) {
                        // Aliases: `npm:real-name@1.2.3`.
                        let (name, version) = match version.strip_prefix("npm:") {
                            Some(a) => match a.rsplit_once('@') {
                                Some((n, v)) => (n, v),
                                None => (name.as_str(), version),
                            },
                            None => (name.as_str(), version),
                        };
                        if !version.contains(':')
                            && !version.starts_with('/')
                            && !version.starts_with('.')
                        {
                            let mut p = package(PackageKind::Npm, name, version, file.path);
                            p.dev = e.get("dev").and_then(Value::as_bool) == Some(true);
                            p.direct = if top { None } else { Some(false) };
                            out.push(p);
                        }
                    }
                    if let Some(d) = e.get("dependencies").and_then(Value::as_object) {
                        stack.push((d, false));
                    }
                }
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
    #[test]
    fn installed_manifest_paths() {
        assert!(super::installed_manifest(
            "/app/node_modules/lodash/package.json"
        ));
        assert!(super::installed_manifest(
            "/app/node_modules/@babel/core/package.json"
        ));
        assert!(super::installed_manifest(
            "/app/node_modules/a/node_modules/b/package.json"
        ));
        assert!(!super::installed_manifest(
            "/app/node_modules/lodash/lib/package.json"
        ));
        assert!(!super::installed_manifest("/app/package.json"));
        assert!(!super::installed_manifest(
            "/app/node_modules/@babel/package.json"
        ));
    }
}
