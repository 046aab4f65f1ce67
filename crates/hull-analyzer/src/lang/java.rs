//! Java archives: `.jar`, `.war`, `.ear`, `.par`, read in memory (never extracted).
//!
//! Each archive yields the artifacts its `pom.properties` files (Maven writes them to
//! `META-INF/maven/<group>/<artifact>/`) name (a shaded or fat jar carries several); archives inside it (`BOOT-INF/lib`,
//! `WEB-INF/lib`, any nested `.jar`) are opened too, to a bounded depth and total size.
//! An archive without `pom.properties` is identified by its `MANIFEST.MF`
//! (`Implementation-*`, then `Bundle-*` fields), else by its file name
//! (`artifact-1.2.3.jar`).

use std::io::{Cursor, Read};

use hull_types::PackageKind;

use super::{base, finish, package};
use crate::{AnalyzeError, Analyzer, AnalyzerId, FileInput, Output};

pub struct JavaArchive;

/// Nesting depth of archives opened inside archives.
const MAX_DEPTH: usize = 16;
/// Total uncompressed bytes read out of one top-level archive (all depths).
const MAX_TOTAL: u64 = 512 << 20;
/// Entries looked at in one archive.
const MAX_ENTRIES: usize = 100_000;

fn is_archive(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.ends_with(".jar") || n.ends_with(".war") || n.ends_with(".ear") || n.ends_with(".par")
}

impl Analyzer for JavaArchive {
    fn id(&self) -> AnalyzerId {
        AnalyzerId("java-archive")
    }
    fn version(&self) -> u32 {
        1
    }
    fn wants(&self, path: &str) -> bool {
        is_archive(base(path))
    }
    fn max_size(&self) -> u64 {
        256 << 20
    }
    fn analyze(&self, file: &FileInput<'_>) -> Result<Output, AnalyzeError> {
        let mut budget = MAX_TOTAL;
        let mut out = Vec::new();
        archive(
            file.bytes,
            base(file.path),
            file.path,
            0,
            &mut budget,
            &mut out,
        )?;
        Ok(Output {
            packages: finish(out),
            ..Output::default()
        })
    }
}

fn archive(
    bytes: &[u8],
    name: &str,
    path: &str,
    depth: usize,
    budget: &mut u64,
    out: &mut Vec<hull_types::Package>,
) -> Result<(), AnalyzeError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| AnalyzeError::malformed("Java archive", format!("{name}: {e}")))?;
    let mut poms = Vec::new();
    let mut manifest = None;
    let mut nested = Vec::new();
    for i in 0..zip.len().min(MAX_ENTRIES) {
        let Ok(mut entry) = zip.by_index(i) else {
            continue;
        };
        let ename = entry.name().to_string();
        // `pom.properties` wherever it is: Maven writes it under `META-INF/maven/`, shading
        // and hand-made archives elsewhere.
        let wanted = (ename == "pom.properties" || ename.ends_with("/pom.properties"))
            || ename == "META-INF/MANIFEST.MF"
            || (depth < MAX_DEPTH && is_archive(&ename));
        if !wanted || entry.is_dir() {
            continue;
        }
        let size = entry.size();
        if size > *budget {
            return Err(AnalyzeError::TooLarge {
                format: "Java archive (nested contents)",
                limit: MAX_TOTAL as usize,
            });
        }
        let mut data = Vec::with_capacity(size.min(1 << 20) as usize);
        if (&mut entry).take(size + 1).read_to_end(&mut data).is_err() {
            continue;
        }
        *budget = budget.saturating_sub(data.len() as u64);
        if ename == "META-INF/MANIFEST.MF" {
            manifest = Some(data);
        } else if ename.ends_with("pom.properties") {
            poms.push(data);
        } else {
            nested.push((ename, data));
        }
    }
    let mut found = false;
    for p in &poms {
        if let Some((g, a, v)) = pom_properties(p) {
            out.push(package(PackageKind::Maven, &format!("{g}:{a}"), &v, path));
            found = true;
        }
    }
    if !found {
        let from_manifest = manifest.as_deref().and_then(from_manifest);
        let from_name = from_file_name(name);
        let pick = match (from_manifest, from_name) {
            // Archives are named `artifactId-version.jar` by Maven and Gradle: the file name
            // gives the artifact and version; the manifest, where it says, the group.
            (Some((g, _, v)), Some((fa, fv))) => Some((
                g.unwrap_or_else(|| fa.clone()),
                fa,
                if fv.is_empty() { v } else { fv },
            )),
            (Some((g, a, v)), None) if !a.is_empty() && !v.is_empty() => {
                Some((g.unwrap_or_else(|| a.clone()), a, v))
            }
            // `org.eclipse.sisu.inject-0.3.5.jar`: a dotted name is `group.artifact`-like;
            // its group is all but the last segment.
            (None, Some((a, v))) => {
                let g = a.rsplit_once('.').map_or(a.clone(), |(g, _)| g.to_string());
                Some((g, a, v))
            }
            _ => None,
        };
        if let Some((g, a, v)) = pick {
            out.push(package(PackageKind::Maven, &format!("{g}:{a}"), &v, path));
        }
    }
    for (ename, data) in nested {
        // A broken inner archive is skipped; the outer one still counts.
        let _ = archive(&data, base(&ename), path, depth + 1, budget, out);
    }
    Ok(())
}

fn pom_properties(b: &[u8]) -> Option<(String, String, String)> {
    let text = String::from_utf8_lossy(b);
    let (mut g, mut a, mut v) = (None, None, None);
    for line in text.lines() {
        let Some((k, val)) = line.split_once('=') else {
            continue;
        };
        let val = val.trim().to_string();
        match k.trim() {
            "groupId" => g = Some(val),
            "artifactId" => a = Some(val),
            "version" => v = Some(val),
            _ => {}
        }
    }
    let (g, a, v) = (g?, a?, v?);
    (!g.is_empty() && !a.is_empty() && !v.is_empty()).then_some((g, a, v))
}

/// (group if stated, artifact, version) from `MANIFEST.MF` (continuation lines joined).
fn from_manifest(b: &[u8]) -> Option<(Option<String>, String, String)> {
    let text = String::from_utf8_lossy(b)
        .replace("\r\n", "\n")
        .replace("\n ", "");
    let get = |k: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(k).and_then(|r| r.strip_prefix(':')))
            .map(|v| v.trim().split(';').next().unwrap_or("").trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let version = get("Implementation-Version").or_else(|| get("Bundle-Version"))?;
    let group = get("Implementation-Vendor-Id").or_else(|| {
        get("Automatic-Module-Name").and_then(|m| m.rsplit_once('.').map(|(g, _)| g.to_string()))
    });
    let artifact = get("Implementation-Title")
        .filter(|t| !t.contains(' '))
        .or_else(|| get("Bundle-Name").filter(|t| !t.contains(' ')))
        .or_else(|| {
            get("Bundle-SymbolicName").map(|s| s.rsplit('.').next().unwrap_or(&s).to_string())
        })
        .unwrap_or_default();
    let group = group.or_else(|| {
        get("Bundle-SymbolicName").and_then(|s| s.rsplit_once('.').map(|(g, _)| g.to_string()))
    });
    Some((group, artifact, version))
}

/// `commons-io-2.11.0.jar` → (`commons-io`, `2.11.0`): the version starts at the first
/// `-` followed by a digit.
fn from_file_name(name: &str) -> Option<(String, String)> {
    let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
    let b = stem.as_bytes();
    let i = (1..b.len()).find(|&i| b[i - 1] == b'-' && b[i].is_ascii_digit())?;
    Some((stem[..i - 1].to_string(), stem[i..].to_string()))
}
