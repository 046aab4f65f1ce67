//! `go.mod` (directory scans): `require` lines (single and in blocks, `// indirect` marking
//! transitive ones), `replace` directives applied as Go applies them, and the toolchain
//! (`toolchain goX`, else the `go` line) as the `stdlib` package. Versions are stored
//! without Go's `v`, as OSV's Go ecosystem writes them.

use std::collections::BTreeMap;

use hull_types::PackageKind;

use super::{base, finish, package};
use crate::{AnalyzeError, Analyzer, AnalyzerId, FileInput, Output};

/// `go.mod` with replacements and the toolchain (directory scans).
pub struct GoMod;

fn strip_v(v: &str) -> &str {
    v.strip_prefix('v').unwrap_or(v)
}

impl Analyzer for GoMod {
    fn id(&self) -> AnalyzerId {
        AnalyzerId("go-mod")
    }
    fn version(&self) -> u32 {
        1
    }
    fn wants(&self, path: &str) -> bool {
        base(path) == "go.mod"
    }
    fn lock_file(&self) -> bool {
        true
    }
    fn analyze(&self, file: &FileInput<'_>) -> Result<Output, AnalyzeError> {
        let text = String::from_utf8_lossy(file.bytes);
        let mut requires: Vec<(String, String, bool)> = Vec::new();
        // (old path, old version or "") -> (new path, new version or "")
        let mut replaces: BTreeMap<(String, String), (String, String)> = BTreeMap::new();
        let mut go_line = None;
        let mut toolchain = None;
        let mut block: Option<&str> = None;
        for raw in text.lines() {
            let (code, comment) = match raw.split_once("//") {
                Some((c, m)) => (c.trim(), m.trim()),
                None => (raw.trim(), ""),
            };
            if code.is_empty() {
                continue;
            }
            if code == ")" {
                block = None;
                continue;
            }
            let (verb, rest) = match block {
                Some(b) => (b, code),
                None => {
                    let (v, r) = code.split_once(char::is_whitespace).unwrap_or((code, ""));
                    let r = r.trim();
                    if r == "(" {
                        block = Some(match v {
                            "require" => "require",
                            "replace" => "replace",
                            _ => "other",
                        });
                        continue;
                    }
                    (v, r)
                }
            };
            match verb {
                "go" => go_line = Some(rest.to_string()),
                // `toolchain go1.23.6-custom`: the Go release is before the suffix.
                "toolchain" => {
                    toolchain = rest
                        .strip_prefix("go")
                        .map(|v| v.split('-').next().unwrap_or(v).to_string())
                }
                "require" => {
                    let mut w = rest.split_whitespace();
                    if let (Some(p), Some(v)) = (w.next(), w.next()) {
                        requires.push((p.to_string(), v.to_string(), comment != "indirect"));
                    }
                }
                "replace" => {
                    let Some((old, new)) = rest.split_once("=>") else {
                        continue;
                    };
                    let mut o = old.split_whitespace();
                    let mut n = new.split_whitespace();
                    let (Some(op), Some(np)) = (o.next(), n.next()) else {
                        continue;
                    };
                    replaces.insert(
                        (op.to_string(), o.next().unwrap_or("").to_string()),
                        (np.to_string(), n.next().unwrap_or("").to_string()),
                    );
                }
                _ => {}
            }
        }
        let mut out = Vec::new();
        for (path, version, direct) in requires {
            let rep = replaces
                .get(&(path.clone(), version.clone()))
                .or_else(|| replaces.get(&(path.clone(), String::new())));
            let (path, version) = match rep {
                Some((np, nv)) => (np.clone(), nv.clone()),
                None => (path, version),
            };
            // A replacement by a local directory has no version: nothing to match.
            if version.is_empty() {
                continue;
            }
            let mut p = package(PackageKind::Go, &path, strip_v(&version), file.path);
            p.direct = Some(direct);
            out.push(p);
        }
        if let Some(v) = toolchain.or(go_line) {
            out.push(package(PackageKind::Go, "stdlib", &v, file.path));
        }
        Ok(Output {
            packages: finish(out),
            ..Output::default()
        })
    }
}
