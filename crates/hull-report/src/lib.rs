//! Report rendering. Every renderer takes the same [`ScanReport`] and returns a `String`;
//! output is sorted before rendering, so the same scan gives byte-identical reports (set
//! `SOURCE_DATE_EPOCH` to pin the one timestamp the SBOM formats require).

mod cyclonedx;
mod html;
mod json;
mod junit;
mod markdown;
mod openvex;
mod sarif;
mod spdx;
mod table;

use std::fmt;
use std::str::FromStr;

use hull_types::Package;
use hull_types::ScanReport;
use sha2::{Digest as _, Sha256};

/// The output formats. `clap` reads the list (and the aliases) from here, so `--help`, the
/// parser and the every-format tests cannot drift apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Format {
    /// A short, grouped table for a person (colour only on a terminal).
    Table,
    /// hull's versioned JSON report (`docs/json-report.md`).
    Json,
    /// CycloneDX 1.6 JSON.
    CycloneDx,
    /// SPDX 2.3 JSON.
    Spdx,
    /// OpenVEX 0.2: a statement per vulnerability found (`under_investigation`), for a team
    /// to edit and feed back with `--vex`.
    OpenVex,
    /// SARIF 2.1.0, for code scanning (GitHub, GitLab, Azure DevOps).
    Sarif,
    /// Markdown sized for a pull-request comment.
    Markdown,
    /// JUnit XML: a testsuite per scanner, a failure per finding that fails the policy.
    Junit,
    /// One self-contained HTML page: verdict, chart, sortable and filterable tables.
    Html,
}

impl Format {
    /// Every format, in `--help` order.
    pub const ALL: [Format; 9] = [
        Format::Table,
        Format::Json,
        Format::CycloneDx,
        Format::Spdx,
        Format::OpenVex,
        Format::Sarif,
        Format::Markdown,
        Format::Junit,
        Format::Html,
    ];

    /// The name on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Table => "table",
            Self::Json => "json",
            Self::CycloneDx => "cyclonedx",
            Self::Spdx => "spdx",
            Self::OpenVex => "openvex",
            Self::Sarif => "sarif",
            Self::Markdown => "markdown",
            Self::Junit => "junit",
            Self::Html => "html",
        }
    }

    /// Other names a user may know the format by (Trivy's and Syft's spellings).
    pub fn aliases(self) -> &'static [&'static str] {
        match self {
            Self::Table | Self::Json | Self::OpenVex | Self::Sarif => &[],
            Self::Markdown => &["md"],
            Self::Junit => &["junit-xml"],
            Self::Html => &[],
            Self::CycloneDx => &["cyclonedx-json", "cdx"],
            Self::Spdx => &["spdx-json"],
        }
    }
}

impl clap::ValueEnum for Format {
    fn value_variants<'a>() -> &'a [Self] {
        &Self::ALL
    }
    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.as_str()).aliases(self.aliases()))
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|f| f.as_str() == s || f.aliases().contains(&s))
            .ok_or_else(|| format!("unknown format {s:?} (table, json, cyclonedx, spdx, openvex, sarif, markdown, junit, html)"))
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
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
    /// List every package in the table (the inventory view); otherwise only their counts.
    pub list_packages: bool,
    /// Under each vulnerability in the table, say why it matched (`hull scan --explain`).
    pub explain: bool,
    /// A line the table ends with, before the policy's decision (`hull k8s` says how many
    /// objects it checked).
    pub note: Option<String>,
}

/// Renders a report.
pub fn render(report: &ScanReport, format: Format, opts: &RenderOptions) -> String {
    match format {
        Format::Table => table::render(report, opts),
        Format::Json => json::render(report, opts),
        Format::CycloneDx => cyclonedx::render(report, opts),
        Format::Spdx => spdx::render(report, opts),
        Format::OpenVex => openvex::render(report, opts),
        Format::Sarif => sarif::render(report, opts),
        Format::Markdown => markdown::render(report, opts),
        Format::Junit => junit::render(report, opts),
        Format::Html => html::render(report, opts),
    }
}

pub use hull_types::time::rfc3339;

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

/// One finding of any scanner as the people-facing formats (HTML, Markdown) list it.
pub(crate) struct Row {
    pub scanner: hull_types::Scanner,
    pub severity: hull_types::Severity,
    pub id: String,
    /// `package version`, `file:line`, or the object.
    pub at: String,
    pub detail: String,
    /// The short diff_id of the layer holding it, and the one that deleted it.
    pub layer: String,
}

/// Every finding as a [`Row`], most severe first.
pub(crate) fn rows(report: &ScanReport) -> Vec<Row> {
    use hull_types::Scanner;
    let short = |d: Option<&hull_types::Digest>| d.map_or(String::new(), |d| d.short().to_string());
    let mut out = Vec::new();
    for v in &report.vulnerabilities {
        let mut detail = match &v.fixed {
            Some(f) => format!("fixed in {f}"),
            None => "no fix yet".into(),
        };
        if let Some(s) = &v.summary {
            detail.push_str(&format!("; {s}"));
        }
        out.push(Row {
            scanner: Scanner::Vuln,
            severity: v.level(),
            id: v.id.clone(),
            at: format!("{} {}", v.package, v.version),
            detail,
            layer: short(v.location.as_ref().and_then(|l| l.layer.as_ref())),
        });
    }
    for m in &report.misconfigurations {
        out.push(Row {
            scanner: Scanner::Misconfig,
            severity: m.severity,
            id: m.check.clone(),
            at: m
                .line
                .map_or(m.target.clone(), |l| format!("{}:{l}", m.target)),
            detail: m.message.clone(),
            layer: String::new(),
        });
    }
    for s in &report.secrets {
        let mut layer = short(s.layer.as_ref().map(|l| &l.diff_id));
        if let Some(d) = &s.deleted_in {
            layer.push_str(&format!(" (deleted in layer {})", d.index));
        }
        out.push(Row {
            scanner: Scanner::Secret,
            severity: s.severity,
            id: s.rule.clone(),
            at: if s.line > 0 {
                format!("{}:{}", s.target, s.line)
            } else {
                s.target.clone()
            },
            detail: format!("{} ({})", s.description, s.redacted),
            layer,
        });
    }
    for d in &report.detections {
        out.push(Row {
            scanner: d.kind.scanner(),
            severity: d.severity,
            id: d.rule.clone(),
            at: d.target.clone(),
            detail: format!("{} ({})", d.description, d.matched),
            layer: short(d.layer.as_ref().map(|l| &l.diff_id)),
        });
    }
    out.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| (a.scanner, &a.id, &a.at).cmp(&(b.scanner, &b.id, &b.at)))
    });
    out
}

/// Text made safe for HTML and XML: markup escaped, and control characters neither can
/// hold dropped (findings quote file names from hostile images).
pub(crate) fn escape_markup(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => {}
            c => out.push(c),
        }
    }
    out
}

/// Packages with their purls, in report order.
pub(crate) fn with_purls(report: &ScanReport) -> Vec<(&Package, String)> {
    report
        .packages
        .iter()
        .map(|p| (p, p.purl(report.image.os.as_ref()).0))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    use hull_testkit::fixture_report as report;

    fn opts(color: bool) -> RenderOptions {
        RenderOptions {
            list_packages: true,
            explain: false,
            color,
            now: 1_700_000_000,
            tool_version: "0.1.0".into(),
            note: None,
        }
    }

    #[test]
    fn table_groups_by_package_manager_and_colours_only_when_asked() {
        let plain = render(&report(), Format::Table, &opts(false));
        assert!(!plain.contains('\x1b'));
        let deb = plain.find("deb packages (1)").unwrap();
        let apk = plain.find("apk packages (1)").unwrap();
        assert!(deb < apk);
        assert!(plain.contains("user          (root: no USER set)"));
        assert!(plain.contains("3.0 MiB"));
        assert!(plain.contains("warnings (1)"));
        assert!(plain.contains("vulnerabilities (1)"));
        assert!(plain.contains("CVE-2024-2398"));
        assert!(plain.find("vulnerabilities (1)").unwrap() < plain.find("deb packages").unwrap());
        assert!(plain.contains("misconfigurations (1)"));
        assert!(plain.contains("image-sensitive-port"));
        assert!(render(&report(), Format::Table, &opts(true)).contains("\x1b[1m"));
        // Without the inventory view, packages are counted, not listed.
        let short = render(
            &report(),
            Format::Table,
            &RenderOptions {
                list_packages: false,
                ..opts(false)
            },
        );
        assert!(short.contains("1 deb packages") && !short.contains("7.88.1-10+deb12u5  amd64"));
        assert!(plain.contains("7.88.1-10+deb12u5  amd64"));
        assert!(plain.contains("vulnerabilities (1): 1 medium"));
        assert!(plain.contains("medium 6.5"));
        // `--explain` adds the range, the severity's source and nothing else.
        assert!(!plain.contains("fixed 7.88.1-10+deb12u6 (ECOSYSTEM)"));
        let explained = render(
            &report(),
            Format::Table,
            &RenderOptions {
                explain: true,
                ..opts(false)
            },
        );
        assert!(explained.contains(
            "introduced 0, fixed 7.88.1-10+deb12u6 (ECOSYSTEM) in DEBCL-CVE-2024-2398-curl"
        ));
        assert!(explained.contains("severity: CVSS:3.1 of DEBCL-CVE-2024-2398-curl"));
    }

    #[test]
    fn every_format_renders_the_same_report() {
        let r = report();
        for f in [Format::Json, Format::CycloneDx, Format::Spdx] {
            let out = render(&r, f, &opts(false));
            let v: serde_json::Value = serde_json::from_str(&out).unwrap();
            let text = v.to_string();
            assert!(text.contains("pkg:deb/debian/curl@7.88.1-10%2Bdeb12u5?arch=amd64&distro=debian-12&upstream=curl-src"), "{f}");
            assert!(text.contains("musl"), "{f}");
            assert_eq!(out, render(&r, f, &opts(false)), "{f} is deterministic");
        }
        let cdx: serde_json::Value =
            serde_json::from_str(&render(&r, Format::CycloneDx, &opts(false))).unwrap();
        assert_eq!(cdx["metadata"]["timestamp"], "2023-11-14T22:13:20Z");
        assert!(cdx["serialNumber"]
            .as_str()
            .unwrap()
            .starts_with("urn:uuid:"));
    }

    #[test]
    fn formats_parse() {
        for (s, f) in [
            ("table", Format::Table),
            ("json", Format::Json),
            ("cyclonedx", Format::CycloneDx),
            ("spdx-json", Format::Spdx),
        ] {
            assert_eq!(s.parse::<Format>().unwrap(), f);
        }
        assert!("yaml".parse::<Format>().is_err());
    }
}
