//! RubyGems: `Gemfile.lock` (the `specs:` of every `GEM`, `GIT` and `PATH` section, with
//! the `DEPENDENCIES` section saying which are direct) and installed
//! `specifications/*.gemspec` files.

use std::collections::BTreeSet;

use hull_types::PackageKind;

use super::{base, finish, package};
use crate::{AnalyzeError, Analyzer, AnalyzerId, FileInput, Output};

/// `Gemfile.lock` / `gems.locked`.
pub struct GemLock;
/// Installed `specifications/*.gemspec`.
pub struct GemSpec;

impl Analyzer for GemLock {
    fn id(&self) -> AnalyzerId {
        AnalyzerId("gem-lock")
    }
    fn version(&self) -> u32 {
        1
    }
    fn wants(&self, path: &str) -> bool {
        let b = base(path);
        b == "Gemfile.lock" || b == "gems.locked"
    }
    fn lock_file(&self) -> bool {
        true
    }
    fn analyze(&self, file: &FileInput<'_>) -> Result<Output, AnalyzeError> {
        let text = std::str::from_utf8(file.bytes)
            .map_err(|_| AnalyzeError::malformed("Gemfile.lock", "not UTF-8"))?;
        Ok(Output {
            packages: finish(lockfile(text, file.path)),
            ..Output::default()
        })
    }
}

impl Analyzer for GemSpec {
    fn id(&self) -> AnalyzerId {
        AnalyzerId("gemspec")
    }
    fn version(&self) -> u32 {
        1
    }
    fn wants(&self, path: &str) -> bool {
        base(path).ends_with(".gemspec") && path.contains("/specifications/")
    }
    fn analyze(&self, file: &FileInput<'_>) -> Result<Output, AnalyzeError> {
        let text = String::from_utf8_lossy(file.bytes);
        Ok(Output {
            packages: finish(gemspec(&text, file.path).into_iter().collect()),
            ..Output::default()
        })
    }
}

/// `Gemfile.lock`: spec lines are indented four spaces, `name (version[-platform])`.
fn lockfile(text: &str, path: &str) -> Vec<hull_types::Package> {
    let mut specs = Vec::new();
    let mut direct = BTreeSet::new();
    let mut section = "";
    for line in text.lines() {
        if !line.starts_with(' ') && !line.is_empty() {
            section = line.trim();
            continue;
        }
        match section {
            "GEM" | "GIT" | "PATH" | "PLUGIN SOURCE" => {
                // Exactly four spaces: a spec; six: its dependency.
                if let Some(rest) = line.strip_prefix("    ") {
                    if rest.starts_with(' ') {
                        continue;
                    }
                    if let Some((name, ver)) = rest.split_once(" (") {
                        let ver = ver.trim_end_matches(')');
                        // `1.13.10-x86_64-linux`: the version is before the platform.
                        let ver = ver.split_once('-').map_or(ver, |(v, _)| v);
                        specs.push((name.to_string(), ver.to_string()));
                    }
                }
            }
            "DEPENDENCIES" => {
                let name = line.trim().split([' ', '!']).next().unwrap_or("");
                if !name.is_empty() {
                    direct.insert(name.to_string());
                }
            }
            _ => {}
        }
    }
    specs
        .into_iter()
        .map(|(n, v)| {
            let mut p = package(PackageKind::Gem, &n, &v, path);
            if !direct.is_empty() {
                p.direct = Some(direct.contains(&n));
            }
            p
        })
        .collect()
}

/// An installed gemspec: `s.name = "rake"` and `s.version = "13.0.6"` (also the
/// `Gem::Version.new(...)` spelling and frozen-string suffixes).
fn gemspec(text: &str, path: &str) -> Option<hull_types::Package> {
    let mut name = None;
    let mut version = None;
    let mut licenses = Vec::new();
    let value = |l: &str| -> Option<String> {
        let q = l.find(['"', '\''])?;
        let quote = l.as_bytes()[q] as char;
        let rest = &l[q + 1..];
        Some(rest[..rest.find(quote)?].to_string())
    };
    // String constants defined in the file itself (`VERSION = '3.0.0'`), for
    // `spec.version = VERSION`; constants from other files are not evaluated.
    let constants: Vec<(String, String)> = text
        .lines()
        .filter_map(|l| {
            let (k, v) = l.trim().split_once(" = ")?;
            let k = k.trim();
            (!k.is_empty()
                && k.bytes()
                    .all(|b| b.is_ascii_uppercase() || b == b'_' || b.is_ascii_digit()))
            .then(|| value(v).map(|v| (k.to_string(), v)))
            .flatten()
        })
        .collect();
    for line in text.lines() {
        let l = line.trim();
        if l.starts_with("s.name =") || l.starts_with("spec.name =") {
            name = value(l);
        } else if l.starts_with("s.version =") || l.starts_with("spec.version =") {
            version = value(l).or_else(|| {
                let rhs = l.split_once('=')?.1.trim().trim_end_matches(".freeze");
                constants
                    .iter()
                    .find(|(k, _)| k == rhs)
                    .map(|(_, v)| v.clone())
            });
        } else if l.starts_with("s.licenses =") || l.starts_with("s.license =") {
            let mut rest = l;
            while let Some(q) = rest.find('"') {
                let r = &rest[q + 1..];
                let Some(e) = r.find('"') else { break };
                licenses.push(r[..e].to_string());
                rest = &r[e + 1..];
            }
        }
    }
    let mut p = package(PackageKind::Gem, &name?, &version?, path);
    p.licenses = licenses;
    Some(p)
}
