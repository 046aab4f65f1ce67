//! hull's own JSON report, schema version 1 (`docs/schemas/report-v1.schema.json`).
//!
//! Additions within version 1 only add optional fields; anything else bumps the version.

use hull_types::{ImageSummary, ScanReport, Warning};
use hull_types::{Misconfiguration, NotMatched, Package, Secret, Vulnerability};
use serde::Serialize;

use crate::{with_purls, RenderOptions};

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct Tool<'a> {
    name: &'static str,
    version: &'a str,
}

#[derive(Serialize)]
struct PackageOut<'a> {
    #[serde(flatten)]
    package: &'a Package,
    purl: String,
    /// The declared licences as one SPDX expression, where they make one.
    #[serde(skip_serializing_if = "Option::is_none")]
    license: Option<String>,
}

/// The document, serialised directly (no intermediate `Value` tree).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Doc<'a> {
    schema_version: u32,
    tool: Tool<'a>,
    image: &'a ImageSummary,
    packages: Vec<PackageOut<'a>>,
    warnings: &'a [Warning],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    vulnerabilities: &'a [Vulnerability],
    #[serde(rename = "not_matched", skip_serializing_if = "<[_]>::is_empty")]
    not_matched: &'a [NotMatched],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    misconfigurations: &'a [Misconfiguration],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    secrets: &'a [Secret],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    detections: &'a [hull_types::Detection],
    #[serde(rename = "os_owned", skip_serializing_if = "<[_]>::is_empty")]
    os_owned: &'a [hull_types::OsOwned],
    /// Files the malware scanner skipped as byte-identical to what their OS package installed.
    #[serde(rename = "os_files_verified", skip_serializing_if = "is_zero")]
    os_files_verified: u64,
    /// The policy's decision, when it ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    policy: Option<&'a hull_types::PolicyResult>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

pub(crate) fn render(report: &ScanReport, opts: &RenderOptions) -> String {
    let doc = Doc {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: "hull",
            version: &opts.tool_version,
        },
        image: &report.image,
        packages: with_purls(report)
            .into_iter()
            .map(|(package, purl)| PackageOut {
                license: hull_types::license::package_expression(&package.licenses),
                package,
                purl,
            })
            .collect(),
        warnings: &report.warnings,
        vulnerabilities: &report.vulnerabilities,
        not_matched: &report.not_matched,
        misconfigurations: &report.misconfigurations,
        secrets: &report.secrets,
        detections: &report.detections,
        os_owned: &report.os_owned,
        os_files_verified: report.os_files_verified,
        policy: report.policy.as_ref(),
    };
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}
