//! `yarn.lock` (directory scans), classic (v1) and Berry (v2+, YAML-shaped): each entry's
//! header names the package (`name@range`, several ranges separated by `, `), and its
//! `version` field the resolved version. Berry's workspace entries (`@workspace:`) are the
//! project itself and are skipped.

use hull_types::PackageKind;

use super::{base, finish, package};
use crate::{AnalyzeError, Analyzer, AnalyzerId, FileInput, Output};

/// `yarn.lock` v1 and Berry (directory scans).
pub struct YarnLock;

/// The package name of an entry header like `"@babel/core@^7.0.0", "@babel/core@7.1.0"`,
/// `lodash@npm:^4.17.0`, an alias `cjs@npm:ansi-regex@^5.0.1` (the real name is after
/// `npm:`), or a bare `balanced-match`. `None` for entries yarn resolves by a patch or a
/// protocol it does not know (`patch:`, `unsupported:`).
fn header_name(header: &str) -> Option<&str> {
    let first = header.split(", ").next()?.trim().trim_matches('"');
    let Some(at) = first.get(1..).and_then(|r| r.find('@')).map(|i| i + 1) else {
        return Some(first);
    };
    let (name, range) = (&first[..at], &first[at + 1..]);
    if let Some(real) = range.strip_prefix("npm:") {
        // An alias when what follows `npm:` is a name with its own range.
        if let Some(i) = real.get(1..).and_then(|r| r.find('@')).map(|i| i + 1) {
            return Some(&real[..i]);
        }
        return Some(name);
    }
    if let Some((proto, _)) = range.split_once(':') {
        let known = [
            "file",
            "link",
            "portal",
            "workspace",
            "git+ssh",
            "git+https",
            "git",
            "github",
            "gitlab",
            "bitbucket",
            "ssh",
            "http",
            "https",
            "exec",
        ];
        if !known.contains(&proto) {
            return None;
        }
    }
    Some(name)
}

impl Analyzer for YarnLock {
    fn id(&self) -> AnalyzerId {
        AnalyzerId("yarn-lock")
    }
    fn version(&self) -> u32 {
        1
    }
    fn wants(&self, path: &str) -> bool {
        base(path) == "yarn.lock"
    }
    fn max_size(&self) -> u64 {
        64 << 20
    }
    fn lock_file(&self) -> bool {
        true
    }
    fn analyze(&self, file: &FileInput<'_>) -> Result<Output, AnalyzeError> {
        let text = String::from_utf8_lossy(file.bytes);
        let mut out = Vec::new();
        let mut current: Option<(String, bool)> = None;
        for line in text.lines() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            if !line.starts_with(' ') {
                let header = line.trim_end_matches(':');
                current = header_name(header).map(|n| {
                    // Workspace entries are the project itself.
                    (n.to_string(), header.contains("@workspace:"))
                });
                if header == "__metadata" {
                    current = None;
                }
                continue;
            }
            // `version "1.0.0"`, `"version" "1.0.0"` (quoted keys), `version: 1.0.0` (Berry).
            let l = line.trim();
            let (key, rest) = l.split_once([' ', ':']).unwrap_or((l, ""));
            if key.trim_matches('"') != "version" {
                continue;
            }
            let v = rest.trim_start_matches(':').trim();
            if let Some((name, skip)) = current.take() {
                let v = v.trim().trim_matches('"');
                if !skip && !v.is_empty() && !v.starts_with("0.0.0-use.local") {
                    out.push(package(PackageKind::Npm, &name, v, file.path));
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
    fn headers() {
        assert_eq!(
            super::header_name("\"@babel/core@^7.0.0\", \"@babel/core@7.1.0\""),
            Some("@babel/core")
        );
        assert_eq!(super::header_name("lodash@npm:^4.17.0"), Some("lodash"));
        assert_eq!(
            super::header_name("\"mine4@git+ssh://git@github.com:x/y#z\""),
            Some("mine4")
        );
    }
}
