//! Installed Python distributions: `*.dist-info/METADATA` (wheels, pip), `*.egg-info/PKG-INFO`
//! and single-file `*.egg-info` (setuptools), `.egg` directories, and `.whl`/`.egg` zip
//! files (read in memory). The metadata is an RFC 822 header block;
//! names are normalised per PEP 503 (lower case, runs of `-`, `_`, `.` become `-`).

use hull_types::PackageKind;

use super::{base, package};
use crate::{AnalyzeError, Analyzer, AnalyzerId, FileInput, Output};

/// Installed Python distributions (`*.dist-info`, `*.egg-info`, eggs and wheels).
pub struct PythonInstalled;

/// PEP 503 normalisation ([`hull_types::pep503_normalize`]).
pub fn normalize(name: &str) -> String {
    hull_types::pep503_normalize(name)
}

impl PythonInstalled {
    /// A wheel or zipped egg: its `*.dist-info/METADATA` or `EGG-INFO/PKG-INFO`, read in
    /// memory (a metadata file is at most 4 MiB).
    fn analyze_zip(&self, file: &FileInput<'_>) -> Result<Output, AnalyzeError> {
        use std::io::Read;
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(file.bytes))
            .map_err(|e| AnalyzeError::malformed("Python archive", e.to_string()))?;
        let inner = (0..zip.len().min(100_000)).find_map(|i| {
            let name = zip.name_for_index(i)?;
            let top = name.matches('/').count() == 1;
            (top && (name.ends_with(".dist-info/METADATA") || name == "EGG-INFO/PKG-INFO"))
                .then_some(i)
        });
        let Some(i) = inner else {
            return Ok(Output::default());
        };
        let mut data = Vec::new();
        zip.by_index(i)
            .map_err(|e| AnalyzeError::malformed("Python archive", e.to_string()))?
            .take(4 << 20)
            .read_to_end(&mut data)
            .map_err(|e| AnalyzeError::malformed("Python archive", e.to_string()))?;
        self.analyze(&FileInput {
            path: "/x.dist-info/METADATA",
            bytes: &data,
        })
        .map(|mut o| {
            for p in &mut o.packages {
                p.location.path = file.path.to_string();
            }
            o
        })
    }
}

impl Analyzer for PythonInstalled {
    fn id(&self) -> AnalyzerId {
        AnalyzerId("python-installed")
    }
    fn version(&self) -> u32 {
        1
    }
    fn wants(&self, path: &str) -> bool {
        let b = base(path);
        path.ends_with(".dist-info/METADATA")
            || path.ends_with(".egg-info/PKG-INFO")
            || path.ends_with("/EGG-INFO/PKG-INFO")
            || b.ends_with(".egg-info")
            || b.ends_with(".egg")
            || b.ends_with(".whl")
    }
    fn max_size(&self) -> u64 {
        // Wheels and eggs are whole distributions; metadata files are small.
        128 << 20
    }
    fn analyze(&self, file: &FileInput<'_>) -> Result<Output, AnalyzeError> {
        let b = base(file.path);
        if (b.ends_with(".egg") || b.ends_with(".whl")) && file.bytes.starts_with(b"PK") {
            return self.analyze_zip(file);
        }
        let text = String::from_utf8_lossy(file.bytes);
        let mut name = None;
        let mut version = None;
        let mut licenses = Vec::new();
        let mut license_expr = None;
        for line in text.lines() {
            if line.is_empty() {
                break; // the body (the long description) starts here
            }
            let Some((k, v)) = line.split_once(':') else {
                continue;
            };
            let v = v.trim();
            // Header names are case-insensitive (RFC 822); the first occurrence counts, as
            // in Python's own `email` parser that `importlib.metadata` uses.
            match k.to_ascii_lowercase().as_str() {
                "name" if name.is_none() => name = Some(v.to_string()),
                "version" if version.is_none() => version = Some(v.to_string()),
                "license-expression" => license_expr = Some(v.to_string()),
                "license" if !v.is_empty() && v != "UNKNOWN" && v.len() < 100 => {
                    licenses.push(v.to_string())
                }
                "classifier" => {
                    if let Some(l) = v.strip_prefix("License :: OSI Approved :: ") {
                        licenses.push(l.to_string());
                    }
                }
                _ => {}
            }
        }
        let (Some(name), Some(version)) = (name, version) else {
            return Err(AnalyzeError::malformed(
                "Python metadata",
                "no Name or Version header",
            ));
        };
        let mut p = package(PackageKind::Python, &normalize(&name), &version, file.path);
        p.licenses = match license_expr {
            Some(e) => vec![e],
            None => {
                licenses.dedup();
                licenses
            }
        };
        Ok(Output {
            packages: super::finish(vec![p]),
            ..Output::default()
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn pep503() {
        assert_eq!(super::normalize("Friendly-Bard"), "friendly-bard");
        assert_eq!(super::normalize("FRIENDLY__bard"), "friendly-bard");
        assert_eq!(super::normalize("friendly.-_bard"), "friendly-bard");
        assert_eq!(super::normalize("zope.interface"), "zope-interface");
    }
}
