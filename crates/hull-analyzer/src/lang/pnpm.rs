//! `pnpm-lock.yaml` (directory scans), lockfile versions 5 to 9. Package keys name the
//! package and version: `/name/1.2.3` (v5), `/name@1.2.3` (v6), `name@1.2.3` (v9), scoped
//! names included, with peer-dependency suffixes (`_react@18.0.0`, `(react@18.0.0)`)
//! removed. Entries that carry `name` and `version` fields (git, tarball, local
//! dependencies) are read from those.

use hull_types::PackageKind;
use hull_yaml::{Bounds, Node};

use super::{base, finish, package};
use crate::{AnalyzeError, Analyzer, AnalyzerId, FileInput, Output};

/// `pnpm-lock.yaml` v5–v9 (directory scans).
pub struct PnpmLock;

impl Analyzer for PnpmLock {
    fn id(&self) -> AnalyzerId {
        AnalyzerId("pnpm-lock")
    }
    fn version(&self) -> u32 {
        1
    }
    fn wants(&self, path: &str) -> bool {
        base(path) == "pnpm-lock.yaml"
    }
    fn max_size(&self) -> u64 {
        64 << 20
    }
    fn lock_file(&self) -> bool {
        true
    }
    fn analyze(&self, file: &FileInput<'_>) -> Result<Output, AnalyzeError> {
        let (docs, err) = hull_yaml::parse_stream(file.bytes, &Bounds::default());
        // pnpm 9+ may write several documents (its own environment lock first): the
        // project's is the last one.
        let Some(root) = docs.last().map(|d| &d.root) else {
            return Err(AnalyzeError::malformed(
                "pnpm-lock.yaml",
                err.map_or("empty".into(), |e| e.to_string()),
            ));
        };
        let v5 = root
            .get("lockfileVersion")
            .text()
            .is_some_and(|v| v.starts_with('5'));
        let mut out = Vec::new();
        // v9 keeps peer-resolved variants under `snapshots`; both sections name packages.
        for section in ["packages", "snapshots"] {
            for (key, entry) in root.get(section).entries() {
                let from_key = parse_key(key, v5);
                let name = field(entry, "name")
                    .or_else(|| from_key.as_ref().map(|k| k.0.clone()))
                    .or_else(|| key_name(key));
                let version = field(entry, "version")
                    .filter(|v| v.starts_with(|c: char| c.is_ascii_digit()))
                    .or_else(|| from_key.as_ref().map(|k| k.1.clone()));
                let (Some(name), Some(version)) = (name, version) else {
                    continue;
                };
                let mut p = package(PackageKind::Npm, &name, &version, file.path);
                p.dev = entry.get("dev").as_bool() == Some(true);
                out.push(p);
            }
        }
        // One package from both sections is one package (keep the `dev` flag if any said it).
        out.sort_by(|a, b| (&a.name, &a.version, !a.dev).cmp(&(&b.name, &b.version, !b.dev)));
        out.dedup_by(|a, b| a.name == b.name && a.version == b.version);
        Ok(Output {
            packages: finish(out),
            ..Output::default()
        })
    }
}

fn field(n: &Node, k: &str) -> Option<String> {
    n.get(k)
        .text()
        .map(|s| s.into_owned())
        .filter(|s| !s.is_empty())
}

/// The name of a v6/v9 key whose version is a URL or path (`pkg@https://…`): the entry's
/// own `version` field then says the version.
fn key_name(key: &str) -> Option<String> {
    let k = key.strip_prefix('/').unwrap_or(key);
    let at = k.get(1..)?.find('@')? + 1;
    let name = &k[..at];
    (!name.is_empty() && !name.contains(':')).then(|| name.to_string())
}

/// Name and version from a package key.
fn parse_key(key: &str, v5: bool) -> Option<(String, String)> {
    let k = key.strip_prefix('/').unwrap_or(key);
    let (name, version) = if v5 {
        let (n, v) = k.rsplit_once('/')?;
        // `/registry.example/foo/1.0.0`: a package from another registry host.
        let n = match n.split_once('/') {
            Some((host, rest)) if host.contains('.') && !host.starts_with('@') => rest,
            _ => n,
        };
        (n, v.split('_').next().unwrap_or(v))
    } else {
        // The version starts after the last `@` that is not the scope's.
        let at = k.get(1..)?.rfind('@')? + 1;
        // Peer suffixes `(…)` may themselves contain `@`: cut them first.
        let k = match k.find('(') {
            Some(p) if p > at || k[..p].get(1..).and_then(|s| s.rfind('@')).is_some() => &k[..p],
            _ => k,
        };
        let at = k.get(1..)?.rfind('@')? + 1;
        (&k[..at], &k[at + 1..])
    };
    // Non-registry versions (`link:`, `file:`, tarball URLs) name no release.
    if name.is_empty()
        || name.contains(':')
        || !version.starts_with(|c: char| c.is_ascii_digit())
        || version.contains(':')
        || version.contains('/')
    {
        return None;
    }
    Some((name.to_string(), version.to_string()))
}

#[cfg(test)]
mod tests {
    use super::parse_key;

    #[test]
    fn keys() {
        let s = |n: &str, v: &str| Some((n.to_string(), v.to_string()));
        assert_eq!(parse_key("/lodash/4.17.21", true), s("lodash", "4.17.21"));
        assert_eq!(
            parse_key("/@babel/core/7.0.0_react@18.0.0", true),
            s("@babel/core", "7.0.0")
        );
        assert_eq!(parse_key("/lodash@4.17.21", false), s("lodash", "4.17.21"));
        assert_eq!(
            parse_key("@babel/core@7.0.0(react@18.0.0)", false),
            s("@babel/core", "7.0.0")
        );
        assert_eq!(parse_key("foo@file:../foo", false), None);
    }
}
