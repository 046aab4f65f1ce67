//! hull's own JSON report, schema version 1 (`docs/schemas/report-v1.schema.json`).
//!
//! Additions within version 1 only add optional fields; anything else bumps the version.

use serde_json::{json, Value};

use crate::{with_purls, RenderOptions};
use hull_scan::ScanReport;

pub const SCHEMA_VERSION: u32 = 1;

pub(crate) fn render(report: &ScanReport, opts: &RenderOptions) -> String {
    let packages: Vec<Value> = with_purls(report)
        .into_iter()
        .map(|(p, purl)| {
            let mut v = serde_json::to_value(p).unwrap_or(Value::Null);
            if let Value::Object(m) = &mut v {
                m.insert("purl".into(), Value::String(purl));
            }
            v
        })
        .collect();
    let doc = json!({
        "schemaVersion": SCHEMA_VERSION,
        "tool": {"name": "hull", "version": opts.tool_version},
        "image": report.image,
        "packages": packages,
        "warnings": report.warnings,
    });
    let mut doc = doc;
    if !report.vulnerabilities.is_empty() {
        doc["vulnerabilities"] =
            serde_json::to_value(&report.vulnerabilities).unwrap_or(Value::Null);
    }
    if !report.not_matched.is_empty() {
        doc["not_matched"] = serde_json::to_value(&report.not_matched).unwrap_or(Value::Null);
    }
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}
