//! Python lock and requirement files (directory scans): `poetry.lock`, `Pipfile.lock`,
//! `uv.lock`, `pdm.lock`, and pinned lines (`name==version`) of `requirements*.txt`.

use hull_types::PackageKind;
use serde_json::Value;

use super::{base, finish, package, python::normalize};
use crate::{AnalyzeError, Analyzer, AnalyzerId, FileInput, Output};

/// Python lock files: `poetry.lock`, `Pipfile.lock`, `uv.lock`, `pdm.lock`, pinned requirements (directory scans).
pub struct PythonLock;

impl Analyzer for PythonLock {
    fn id(&self) -> AnalyzerId {
        AnalyzerId("python-lock")
    }
    fn version(&self) -> u32 {
        1
    }
    fn wants(&self, path: &str) -> bool {
        let b = base(path);
        matches!(b, "poetry.lock" | "Pipfile.lock" | "uv.lock" | "pdm.lock")
            || (b.starts_with("requirements") && b.ends_with(".txt"))
    }
    fn max_size(&self) -> u64 {
        16 << 20
    }
    fn lock_file(&self) -> bool {
        true
    }
    fn analyze(&self, file: &FileInput<'_>) -> Result<Output, AnalyzeError> {
        let b = base(file.path);
        let text = decode(file.bytes);
        let pkgs = match b {
            "Pipfile.lock" => pipfile(&text, file.path)?,
            "poetry.lock" => toml_lock(&text, file.path, "poetry.lock")?,
            "uv.lock" => toml_lock(&text, file.path, "uv.lock")?,
            "pdm.lock" => toml_lock(&text, file.path, "pdm.lock")?,
            _ => requirements(&text, file.path),
        };
        Ok(Output {
            packages: finish(pkgs),
            ..Output::default()
        })
    }
}

fn pipfile(text: &str, path: &str) -> Result<Vec<hull_types::Package>, AnalyzeError> {
    let v: Value = serde_json::from_str(text)
        .map_err(|e| AnalyzeError::malformed("Pipfile.lock", e.to_string()))?;
    let mut out = Vec::new();
    for (section, dev) in [("default", false), ("develop", true)] {
        for (name, e) in v
            .get(section)
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            // `"version": "==2.0.0"`; git and path entries have none.
            let Some(ver) = e.get("version").and_then(Value::as_str) else {
                continue;
            };
            let Some(ver) = ver.strip_prefix("==") else {
                continue;
            };
            let mut p = package(PackageKind::Python, &normalize(name), ver, path);
            p.dev = dev;
            out.push(p);
        }
    }
    Ok(out)
}

fn toml_lock(
    text: &str,
    path: &str,
    what: &'static str,
) -> Result<Vec<hull_types::Package>, AnalyzeError> {
    let v: toml::Table =
        toml::from_str(text).map_err(|e| AnalyzeError::malformed(what, e.message().to_string()))?;
    let mut out = Vec::new();
    for e in v
        .get("package")
        .and_then(|p| p.as_array())
        .into_iter()
        .flatten()
    {
        let (Some(name), Some(ver)) = (
            e.get("name").and_then(|n| n.as_str()),
            e.get("version").and_then(|n| n.as_str()),
        ) else {
            continue;
        };
        // uv lists the project itself with a `source = { editable = "." }` or `virtual`.
        let source = e.get("source");
        if source
            .and_then(|s| s.get("editable").or_else(|| s.get("virtual")))
            .is_some()
        {
            continue;
        }
        let mut p = package(PackageKind::Python, &normalize(name), ver, path);
        // poetry < 1.5 writes `category = "dev"`.
        p.dev = e.get("category").and_then(|c| c.as_str()) == Some("dev");
        out.push(p);
    }
    Ok(out)
}

/// `name==version` lines (pip's only exact pin), with extras, environment markers, hashes,
/// comments and line continuations ignored.
fn requirements(text: &str, path: &str) -> Vec<hull_types::Package> {
    let joined = text.replace("\\\n", " ");
    let mut out = Vec::new();
    for line in joined.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.starts_with('#') || line.starts_with('-') || line.is_empty() {
            continue;
        }
        let spec = line.split(';').next().unwrap_or("").trim();
        let spec = spec.split(" --").next().unwrap_or("").trim();
        let Some((name, ver)) = spec.split_once("==") else {
            continue;
        };
        let name = name.split('[').next().unwrap_or("").trim();
        let ver = ver.trim().trim_start_matches('=');
        let ver = ver.split([',', ' ']).next().unwrap_or("");
        if name.is_empty() || ver.is_empty() || ver.contains('*') || ver.contains('$') {
            continue;
        }
        out.push(package(PackageKind::Python, &normalize(name), ver, path));
    }
    out
}

/// Text of a requirements file: UTF-8, or UTF-16 with a byte-order mark (Windows editors
/// write that).
fn decode(b: &[u8]) -> String {
    let utf16 = |le: bool| {
        let units: Vec<u16> = b[2..]
            .chunks_exact(2)
            .map(|c| {
                if le {
                    u16::from_le_bytes([c[0], c[1]])
                } else {
                    u16::from_be_bytes([c[0], c[1]])
                }
            })
            .collect();
        String::from_utf16_lossy(&units)
    };
    match b {
        [0xff, 0xfe, ..] => utf16(true),
        [0xfe, 0xff, ..] => utf16(false),
        _ => String::from_utf8_lossy(b).into_owned(),
    }
}
