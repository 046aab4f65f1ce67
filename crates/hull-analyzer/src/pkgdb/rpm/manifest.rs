//! CBL-Mariner's distroless package list, `/var/lib/rpmmanifest/container-manifest-2`: one
//! package a line, tab-separated: name, version-release, install time, build time, vendor,
//! epoch (`(none)` or a number), size, arch, epoch number, source rpm.

use super::header::RpmHeader;
use crate::AnalyzeError;

/// Parses the manifest; lines with fewer than the ten fields are errors.
pub fn parse(bytes: &[u8]) -> Result<Vec<RpmHeader>, AnalyzeError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| AnalyzeError::malformed("rpm container manifest", "not UTF-8"))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() < 10 {
            return Err(AnalyzeError::malformed(
                "rpm container manifest",
                format!("line {} has {} fields, expected 10", i + 1, f.len()),
            ));
        }
        let (version, release) = f[1].rsplit_once('-').unwrap_or((f[1], ""));
        out.push(RpmHeader {
            name: f[0].to_string(),
            version: version.to_string(),
            release: release.to_string(),
            epoch: f[5].parse().ok(),
            arch: Some(f[7].to_string()).filter(|a| !a.is_empty()),
            source_rpm: Some(f[9].to_string()).filter(|s| !s.is_empty()),
            license: None,
        });
    }
    Ok(out)
}
