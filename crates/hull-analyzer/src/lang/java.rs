//! Java archives: `.jar`, `.war`, `.ear`, `.par`, read in memory (never extracted).
//!
//! Each archive yields the artifacts its `pom.properties` files (Maven writes them to
//! `META-INF/maven/<group>/<artifact>/`) name (a shaded or fat jar carries several);
//! archives inside it (`BOOT-INF/lib`, `WEB-INF/lib`, any nested `.jar`) are opened too, one
//! at a time, to a bounded depth and total size; a stored (uncompressed) one, as Spring Boot
//! writes them, is read in place.
//! An archive none of whose `pom.properties` names it (none at all, or only those of what was
//! shaded into it) is identified by its `MANIFEST.MF` (`Implementation-*`, then `Bundle-*`
//! fields) and its file name (`artifact-1.2.3.jar`).

use std::io::{Cursor, Read};

use hull_types::PackageKind;

use super::{base, finish, package};
use crate::{AnalyzeError, Analyzer, AnalyzerId, FileInput, Output};

/// Java archives (`.jar`, `.war`, `.ear`, `.par`) and the archives nested in them.
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
        3
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
        let is_nested = is_archive(&ename) && !ename.ends_with("pom.properties");
        // An archive stored uncompressed inside this one (Spring Boot requires it of
        // `BOOT-INF/lib`) is read where it lies, without a copy.
        let stored = (is_nested && entry.compression() == zip::CompressionMethod::Stored)
            .then(|| entry.data_start())
            .and_then(|start| bytes.get(start as usize..start.checked_add(size)? as usize));
        if let Some(inner) = stored {
            *budget = budget.saturating_sub(size);
            // A broken inner archive is skipped; the outer one still counts.
            let _ = archive(inner, base(&ename), path, depth + 1, budget, out);
            continue;
        }
        let mut data = Vec::with_capacity(size.min(1 << 20) as usize);
        if (&mut entry).take(size + 1).read_to_end(&mut data).is_err() {
            continue;
        }
        drop(entry);
        *budget = budget.saturating_sub(data.len() as u64);
        if ename == "META-INF/MANIFEST.MF" {
            manifest = Some(data);
        } else if ename.ends_with("pom.properties") {
            poms.push(data);
        } else {
            // Opened now, not collected: one nested archive in memory at a time per level.
            let _ = archive(&data, base(&ename), path, depth + 1, budget, out);
        }
    }
    let poms: Vec<(String, String, String)> =
        poms.iter().filter_map(|p| pom_properties(p)).collect();
    // The archive is itself one of its `pom.properties` when one has its file name
    // (`log4j-1.2-api.jar`, `guava-31.1.jar`), its manifest's artifact name or its version;
    // otherwise those describe only what was shaded into it (Guice's jar carries cglib's),
    // and the archive is named from its manifest and file name as well.
    // Names are compared by their letters and digits alone: Debian renames
    // `geronimo-annotation_1.3_spec` to `geronimo-annotation-1.3-spec.jar`.
    let stem = squash(name.rsplit_once('.').map_or(name, |(s, _)| s));
    let own = own_identity(manifest.as_deref(), name).filter(|(_, a, v)| {
        !poms.iter().any(|(_, pa, pv)| {
            let pa = squash(pa);
            stem.starts_with(&pa) || pa == squash(a) || same_version(pv, v)
        })
    });
    let named = poms.into_iter().map(|p| (p, false));
    for ((g, a, v), inferred) in named.chain(own.map(|o| (o, true))) {
        if !a.is_empty() && !v.is_empty() {
            let mut p = package(PackageKind::Maven, &format!("{g}:{a}"), &v, path);
            p.group_inferred = inferred;
            out.push(p);
        }
    }
    Ok(())
}

/// Lower-case letters and digits of `s`.
fn squash(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// `1.33` and OSGi's `1.33.0` are one version.
fn same_version(a: &str, b: &str) -> bool {
    let trim = |v: &str| v.trim_end_matches(".0").to_string();
    a == b || trim(a) == trim(b)
}

/// (group, artifact, version) of an archive from its `MANIFEST.MF` and file name, for when no
/// `pom.properties` names it. The artifact may be empty (nothing names it).
fn own_identity(manifest: Option<&[u8]>, name: &str) -> Option<(String, String, String)> {
    let from_manifest = manifest.and_then(from_manifest);
    let from_name = from_file_name(name);
    match (from_manifest, from_name) {
        // Archives are named `artifactId-version.jar` by Maven and Gradle: the file name
        // gives the artifact and version; the manifest, where it says, the group.
        (Some((g, _, v)), Some((fa, fv))) => Some((
            g.unwrap_or_else(|| fa.clone()),
            fa,
            if fv.is_empty() { v } else { fv },
        )),
        (Some((g, a, v)), None) if !v.is_empty() => Some((g.unwrap_or_else(|| a.clone()), a, v)),
        // `org.eclipse.sisu.inject-0.3.5.jar`: a dotted name is `group.artifact`-like;
        // its group is all but the last segment.
        (None, Some((a, v))) => {
            let g = a.rsplit_once('.').map_or(a.clone(), |(g, _)| g.to_string());
            Some((g, a, v))
        }
        _ => None,
    }
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

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn jar(entries: &[(&str, &str)]) -> Vec<u8> {
        let mut z = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        for (name, body) in entries {
            z.start_file(*name, opts).unwrap();
            z.write_all(body.as_bytes()).unwrap();
        }
        z.finish().unwrap().into_inner()
    }

    /// Spring Boot's layout: libraries stored uncompressed under `BOOT-INF/lib` (read in
    /// place), and a compressed one elsewhere (read out), each with its own pom.properties.
    #[test]
    fn nested_archives_stored_and_compressed() {
        let lib = |g: &str, a: &str, v: &str| {
            jar(&[(
                &format!("META-INF/maven/{g}/{a}/pom.properties"),
                &format!("groupId={g}\nartifactId={a}\nversion={v}\n"),
            )])
        };
        let mut z = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, body, method) in [
            (
                "BOOT-INF/lib/jackson-databind-2.9.8.jar",
                lib("com.fasterxml.jackson.core", "jackson-databind", "2.9.8"),
                zip::CompressionMethod::Stored,
            ),
            (
                "WEB-INF/lib/log4j-core-2.14.1.jar",
                lib("org.apache.logging.log4j", "log4j-core", "2.14.1"),
                zip::CompressionMethod::Deflated,
            ),
        ] {
            let opts = zip::write::SimpleFileOptions::default().compression_method(method);
            z.start_file(name, opts).unwrap();
            z.write_all(&body).unwrap();
        }
        let outer = z.finish().unwrap().into_inner();
        assert_eq!(
            names(&outer, "/app/app.jar"),
            vec![
                (
                    "com.fasterxml.jackson.core:jackson-databind".into(),
                    "2.9.8".into()
                ),
                (
                    "org.apache.logging.log4j:log4j-core".into(),
                    "2.14.1".into()
                ),
            ]
        );
    }

    fn names(bytes: &[u8], path: &str) -> Vec<(String, String)> {
        let out = JavaArchive.analyze(&FileInput { path, bytes }).unwrap();
        let mut v: Vec<_> = out
            .packages
            .into_iter()
            .map(|p| (p.name, p.version))
            .collect();
        v.sort();
        v
    }

    /// The layout of Debian's `guice.jar` (libguice-java 4.2.3): Guice's own manifest, and the
    /// `pom.properties` of the cglib it shades. Debian's maven-repo records the jar as
    /// `com.google.inject:guice:4.2.3`; hull reported only cglib before.
    #[test]
    fn shaded_pom_properties_do_not_hide_the_archive_itself() {
        let manifest = "Manifest-Version: 1.0\r\nAutomatic-Module-Name: com.google.guice\r\n\
                        Bundle-Name: guice\r\nBundle-SymbolicName: com.google.inject\r\n\
                        Bundle-Version: 4.2.3\r\n";
        let pom = "version=3.2.12\ngroupId=cglib\nartifactId=cglib\n";
        let b = jar(&[
            ("META-INF/MANIFEST.MF", manifest),
            ("META-INF/maven/cglib/cglib/pom.properties", pom),
        ]);
        let got = names(&b, "/usr/share/java/guice.jar");
        assert!(
            got.contains(&("cglib:cglib".into(), "3.2.12".into())),
            "{got:?}"
        );
        assert!(
            got.iter()
                .any(|(n, v)| n.ends_with(":guice") && v == "4.2.3"),
            "{got:?}"
        );
    }

    /// Debian's `log4j-1.2-api.jar` (its pom.properties has the file's name, which reads as
    /// `log4j` version `1.2-api`) and `snakeyaml.jar` (manifest `SnakeYAML` `1.33.0`, pom
    /// `snakeyaml` `1.33`): one package each, never a made-up `log4j 1.2-api`.
    #[test]
    fn the_file_name_or_a_differently_written_name_is_the_own_pom() {
        let pom = "groupId=org.apache.logging.log4j\nartifactId=log4j-1.2-api\nversion=2.19.0\n";
        let b = jar(&[(
            "META-INF/maven/org.apache.logging.log4j/log4j-1.2-api/pom.properties",
            pom,
        )]);
        assert_eq!(
            names(&b, "/usr/share/java/log4j-1.2-api.jar"),
            vec![(
                "org.apache.logging.log4j:log4j-1.2-api".into(),
                "2.19.0".into()
            )]
        );
        let manifest = "Manifest-Version: 1.0\r\nBundle-Name: SnakeYAML\r\n\
                        Bundle-SymbolicName: org.yaml.snakeyaml\r\nBundle-Version: 1.33.0\r\n";
        let pom = "groupId=org.yaml\nartifactId=snakeyaml\nversion=1.33\n";
        let b = jar(&[
            ("META-INF/MANIFEST.MF", manifest),
            ("META-INF/maven/org.yaml/snakeyaml/pom.properties", pom),
        ]);
        assert_eq!(
            names(&b, "/usr/share/java/snakeyaml.jar"),
            vec![("org.yaml:snakeyaml".into(), "1.33".into())]
        );
    }

    /// A `pom.properties` with the archive's own artifact or version is the archive: nothing
    /// more is guessed from its manifest or file name (a renamed `app.jar` stays one package).
    #[test]
    fn an_own_pom_properties_is_the_whole_identity() {
        let manifest = "Manifest-Version: 1.0\r\nImplementation-Title: orders\r\n\
                        Implementation-Version: 2.0.1\r\n";
        let pom = "groupId=com.example\nartifactId=orders-service\nversion=2.0.1\n";
        let b = jar(&[
            ("META-INF/MANIFEST.MF", manifest),
            (
                "META-INF/maven/com.example/orders-service/pom.properties",
                pom,
            ),
        ]);
        assert_eq!(
            names(&b, "/app/app.jar"),
            vec![("com.example:orders-service".into(), "2.0.1".into())]
        );
        let b = jar(&[(
            "META-INF/maven/com.example/orders-service/pom.properties",
            pom,
        )]);
        assert_eq!(
            names(&b, "/app/orders-service-2.0.1.jar"),
            vec![("com.example:orders-service".into(), "2.0.1".into())]
        );
    }
}
