//! SBOMs as input: the OS packages of a CycloneDX (JSON) or SPDX 2.x (JSON) document, read
//! from their purls, so an SBOM made elsewhere (or by `hull sbom`) can be matched without
//! the image.

use std::io::Read;
use std::path::Path;

use hull_analyzer::pkgdb::rpm::split_source_rpm;
use hull_types::{
    Location, OsFamily, OsRelease, Package, PackageKind, Purl, PurlParts, SourcePackage,
};
use serde_json::Value;

use hull_types::{ImageSummary, ReportParts, SourceKind, Warning};

use crate::ScanError;

/// SBOMs larger than this are refused.
const MAX_SBOM: u64 = 256 << 20;

fn io_err(path: &Path, e: std::io::Error) -> ScanError {
    ScanError::Io {
        path: path.display().to_string(),
        source: e,
    }
}

/// Reads `path` as an SBOM. `Ok(None)` when it is not JSON (the caller then tries it as an
/// image); an error when it is JSON (no archive starts with `{`) but not a readable CycloneDX
/// or SPDX document, so the message speaks of JSON, not of tar headers.
pub(crate) fn read_sbom(path: &Path) -> Result<Option<(ImageSummary, ReportParts)>, ScanError> {
    let mut head = [0u8; 64];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .map_err(|e| io_err(path, e))?;
    // JSON objects only: the first non-blank byte must open one.
    if head[..n].iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Ok(None);
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_SBOM + 1).read_to_end(&mut bytes))
        .map_err(|e| io_err(path, e))?;
    if bytes.len() as u64 > MAX_SBOM {
        return Err(io_err(
            path,
            std::io::Error::other(format!("SBOM larger than {MAX_SBOM} bytes")),
        ));
    }
    let doc = serde_json::from_slice::<Value>(&bytes).map_err(|e| ScanError::BadJson {
        path: path.display().to_string(),
        source: e,
    })?;
    // (purl, properties) of every component or package.
    let mut entries: Vec<(String, Vec<(String, String)>)> = Vec::new();
    let mut os_component: Option<(String, String)> = None;
    if doc.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX") {
        let mut stack: Vec<&Value> = doc.get("components").into_iter().collect();
        while let Some(list) = stack.pop() {
            for c in list.as_array().into_iter().flatten() {
                if c.get("type").and_then(Value::as_str) == Some("operating-system") {
                    if let (Some(n), Some(v)) = (
                        c.get("name").and_then(Value::as_str),
                        c.get("version").and_then(Value::as_str),
                    ) {
                        os_component = Some((n.to_string(), v.to_string()));
                    }
                }
                if let Some(p) = c.get("purl").and_then(Value::as_str) {
                    let props = c
                        .get("properties")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .filter_map(|p| {
                            Some((
                                p.get("name")?.as_str()?.to_string(),
                                p.get("value")?.as_str()?.to_string(),
                            ))
                        })
                        .collect();
                    entries.push((p.to_string(), props));
                }
                if let Some(nested) = c.get("components") {
                    stack.push(nested);
                }
            }
        }
    } else if doc.get("spdxVersion").is_some() {
        for p in doc
            .get("packages")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if p.get("primaryPackagePurpose").and_then(Value::as_str) == Some("OPERATING_SYSTEM") {
                if let (Some(n), Some(v)) = (
                    p.get("name").and_then(Value::as_str),
                    p.get("versionInfo").and_then(Value::as_str),
                ) {
                    os_component = Some((n.to_string(), v.to_string()));
                }
            }
            for r in p
                .get("externalRefs")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if r.get("referenceType").and_then(Value::as_str) == Some("purl") {
                    if let Some(l) = r.get("referenceLocator").and_then(Value::as_str) {
                        entries.push((l.to_string(), vec![]));
                    }
                }
            }
        }
    } else {
        return Err(ScanError::NotSbom {
            path: path.display().to_string(),
        });
    }

    let mut packages = Vec::new();
    let mut other = 0usize;
    let mut distro: Option<String> = None;
    for (purl, props) in entries {
        let Some(parts) = Purl::parse(&purl) else {
            other += 1;
            continue;
        };
        let Some(p) = package_of(&parts, &props) else {
            other += 1;
            continue;
        };
        if distro.is_none() {
            distro = parts.qualifier("distro").map(str::to_string);
        }
        packages.push(p);
    }
    packages.sort();
    packages.dedup();
    let os = os_component.map(|(id, v)| os_release(&id, &v)).or_else(|| {
        distro
            .as_deref()
            .and_then(|d| d.rsplit_once('-'))
            .map(|(id, v)| os_release(id, v))
    });
    let mut warnings = Vec::new();
    if other > 0 {
        warnings.push(Warning {
            layer: None,
            path: path.display().to_string(),
            message: format!(
                "{other} components have no package URL of a kind hull matches (deb, apk, rpm, pypi, npm, cargo, golang, maven, gem, composer, nuget)"
            ),
        });
    }
    let mut image = ImageSummary::named(path.display().to_string(), SourceKind::Sbom);
    image.os = os;
    Ok(Some((
        image,
        ReportParts {
            packages,
            warnings,
            ..ReportParts::default()
        },
    )))
}

fn os_release(id: &str, version: &str) -> OsRelease {
    let id = id.to_ascii_lowercase();
    OsRelease {
        family: OsFamily::from_os_release_id(&id),
        id,
        version_id: Some(version.to_string()),
        version_codename: None,
        pretty_name: None,
        distroless: false,
    }
}

/// A language package from its purl: the name as hull names it in that ecosystem (npm
/// `@scope/name`, Composer `vendor/name`, Maven `group:artifact`, Go the module path) and
/// the version as OSV writes it (Go without its `v`).
fn language_package_of(
    kind: PackageKind,
    parts: &PurlParts,
    props: &[(String, String)],
) -> Option<Package> {
    let name = match (&parts.namespace, kind) {
        (Some(ns), PackageKind::Maven) => format!("{ns}:{}", parts.name),
        (Some(ns), PackageKind::Npm | PackageKind::Composer | PackageKind::Go) => {
            format!("{ns}/{}", parts.name)
        }
        _ => parts.name.clone(),
    };
    let raw = parts.version.clone()?;
    let version = match kind {
        PackageKind::Go => raw.strip_prefix('v').unwrap_or(&raw).to_string(),
        _ => raw,
    };
    let prop = |k: &str| props.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    Some(Package {
        kind,
        name,
        version,
        arch: None,
        source: None,
        licenses: vec![],
        location: Location {
            path: prop("hull:location:path").unwrap_or_else(|| "/".into()),
            layer: None,
        },
        epoch: None,
        dev: false,
        direct: None,
        group_inferred: kind == PackageKind::Maven
            && prop("hull:maven:group_inferred").as_deref() == Some("true"),
    })
}

fn package_of(parts: &PurlParts, props: &[(String, String)]) -> Option<Package> {
    let kind = PackageKind::ALL
        .into_iter()
        .find(|k| k.purl_type() == parts.ty)?;
    if !kind.is_os() {
        return language_package_of(kind, parts, props);
    }
    let prop = |k: &str| props.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let raw = parts.version.clone()?;
    let epoch: Option<u32> = parts.qualifier("epoch").and_then(|e| e.parse().ok());
    let version = match (kind, epoch) {
        (PackageKind::Rpm, Some(e)) if !raw.contains(':') => format!("{e}:{raw}"),
        _ => raw,
    };
    // Source packages: hull's own properties, Trivy's (`aquasecurity:trivy:Src*`, with the
    // version split into epoch, version and release), or Syft's `upstream` qualifier.
    let trivy_src_version = prop("aquasecurity:trivy:SrcVersion").map(|v| {
        let mut s = String::new();
        if let Some(e) = prop("aquasecurity:trivy:SrcEpoch").filter(|e| e != "0") {
            s.push_str(&format!("{e}:"));
        }
        s.push_str(&v);
        if let Some(r) = prop("aquasecurity:trivy:SrcRelease").filter(|r| !r.is_empty()) {
            s.push_str(&format!("-{r}"));
        }
        s
    });
    let source_name = prop("hull:source:name")
        .or_else(|| prop("aquasecurity:trivy:SrcName"))
        .or_else(|| {
            parts.qualifier("upstream").map(|u| {
                // Syft writes the source RPM file name; keep the package name part.
                match kind {
                    PackageKind::Rpm => {
                        split_source_rpm(u).map_or_else(|| u.to_string(), |(n, _)| n)
                    }
                    _ => u.to_string(),
                }
            })
        });
    let source = source_name.map(|name| SourcePackage {
        name,
        version: prop("hull:source:version")
            .or_else(|| trivy_src_version.clone())
            .unwrap_or_else(|| version.clone()),
    });
    Some(Package {
        kind,
        name: parts.name.clone(),
        version,
        arch: parts.qualifier("arch").map(str::to_string),
        source,
        licenses: vec![],
        location: Location {
            path: prop("hull:location:path").unwrap_or_else(|| "/".into()),
            layer: None,
        },
        epoch: if kind == PackageKind::Rpm {
            epoch
        } else {
            None
        },
        dev: false,
        direct: None,
        group_inferred: false,
    })
}
