//! Report rendering. Every renderer takes the same [`ScanReport`] and returns a `String`;
//! output is sorted before rendering, so the same scan gives byte-identical reports (set
//! `SOURCE_DATE_EPOCH` to pin the one timestamp the SBOM formats require).

mod cyclonedx;
mod json;
mod spdx;
mod table;

use std::fmt;
use std::str::FromStr;

use hull_scan::ScanReport;
use hull_types::Package;
use sha2::{Digest as _, Sha256};

/// The output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    CycloneDx,
    Spdx,
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "table" => Self::Table,
            "json" => Self::Json,
            "cyclonedx" | "cyclonedx-json" | "cdx" => Self::CycloneDx,
            "spdx" | "spdx-json" => Self::Spdx,
            _ => {
                return Err(format!(
                    "unknown format {s:?} (table, json, cyclonedx, spdx)"
                ))
            }
        })
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Table => "table",
            Self::Json => "json",
            Self::CycloneDx => "cyclonedx",
            Self::Spdx => "spdx",
        })
    }
}

/// How to render.
#[derive(Clone, Debug)]
pub struct RenderOptions {
    /// ANSI colours in the table (only when writing to a terminal).
    pub color: bool,
    /// Seconds since the epoch for SBOM timestamps.
    pub now: i64,
    /// hull's version, recorded as the SBOM tool.
    pub tool_version: String,
}

/// Renders a report.
pub fn render(report: &ScanReport, format: Format, opts: &RenderOptions) -> String {
    match format {
        Format::Table => table::render(report, opts),
        Format::Json => json::render(report, opts),
        Format::CycloneDx => cyclonedx::render(report, opts),
        Format::Spdx => spdx::render(report, opts),
    }
}

pub(crate) fn rfc3339(secs: i64) -> String {
    let t =
        time::OffsetDateTime::from_unix_timestamp(secs).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".into())
}

/// A UUID (version 4 layout) derived from the report's content, so the same scan gets the
/// same serial number.
pub(crate) fn content_uuid(report: &ScanReport) -> String {
    let mut h = Sha256::new();
    h.update(report.image.name.as_bytes());
    if let Some(id) = &report.image.image_id {
        h.update(id.to_string().as_bytes());
    }
    for p in &report.packages {
        h.update(p.name.as_bytes());
        h.update(p.version.as_bytes());
    }
    let mut b: [u8; 16] = h.finalize()[..16].try_into().expect("32-byte digest");
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let x: String = b.iter().map(|v| format!("{v:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &x[..8],
        &x[8..12],
        &x[12..16],
        &x[16..20],
        &x[20..]
    )
}

/// Packages with their purls, in report order.
pub(crate) fn with_purls(report: &ScanReport) -> Vec<(&Package, String)> {
    report
        .packages
        .iter()
        .map(|p| (p, p.purl(report.image.os.as_ref()).0))
        .collect()
}
