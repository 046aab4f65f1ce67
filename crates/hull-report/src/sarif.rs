//! SARIF 2.1.0 for code scanning (GitHub, GitLab, Azure DevOps): one rule per vulnerability,
//! check, secret rule or detection rule; one result per finding, with the file and line where
//! hull knows them (the package database for a vulnerability), the layer and package as
//! properties, a level from the severity, `security-severity` (the score GitHub sorts by) and
//! `partialFingerprints` so a finding keeps its identity across runs. Within GitHub's
//! documented limits: results and rules are capped at 25,000 per run (most severe kept, the
//! cut said in the run's properties), messages at 1,000 characters.

use std::collections::BTreeMap;

use hull_types::{ScanReport, Scanner, Severity};
use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};

use crate::RenderOptions;

/// GitHub code scanning keeps at most this many results (and rules) of one run.
const MAX_RESULTS: usize = 25_000;
/// Messages longer than this are cut (with `…`).
const MAX_MESSAGE: usize = 1_000;

/// One finding, flattened for SARIF.
struct Item {
    scanner: Scanner,
    rule: String,
    title: String,
    help: String,
    help_uri: Option<String>,
    severity: Severity,
    score: Option<f64>,
    message: String,
    /// Path in the image or repository, without a leading `/`.
    uri: String,
    line: Option<u32>,
    properties: Value,
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Unknown => "note",
    }
}

/// The score GitHub maps to its severity (critical ≥ 9.0, high ≥ 7.0, medium ≥ 4.0, low).
fn security_severity(s: Severity, score: Option<f64>) -> String {
    let v = score.unwrap_or(match s {
        Severity::Critical => 9.5,
        Severity::High => 8.0,
        Severity::Medium => 5.5,
        Severity::Low => 2.0,
        Severity::Unknown => 0.0,
    });
    format!("{v:.1}")
}

fn cut(s: &str) -> String {
    if s.chars().count() <= MAX_MESSAGE {
        return s.to_string();
    }
    let mut t: String = s.chars().take(MAX_MESSAGE - 1).collect();
    t.push('…');
    t
}

fn uri(path: &str) -> String {
    let p = path.trim_start_matches('/');
    if p.is_empty() {
        ".".into()
    } else {
        p.to_string()
    }
}

fn items(report: &ScanReport) -> Vec<Item> {
    let mut out = Vec::new();
    for v in &report.vulnerabilities {
        let path = v
            .location
            .as_ref()
            .map_or_else(|| report.image.name.clone(), |l| l.path.clone());
        out.push(Item {
            scanner: Scanner::Vuln,
            rule: v.id.clone(),
            title: v
                .summary
                .clone()
                .unwrap_or_else(|| format!("{} in {}", v.id, v.package)),
            help: match &v.fixed {
                Some(f) => format!("Upgrade {} to {f} or later.", v.package),
                None => format!("No fixed version of {} is known yet.", v.package),
            },
            help_uri: v.references.first().cloned(),
            severity: v.level(),
            score: v.score.map(|s| s.value()),
            message: format!(
                "{} {} is affected by {}{}",
                v.package,
                v.version,
                v.id,
                v.fixed
                    .as_ref()
                    .map_or(String::new(), |f| format!("; fixed in {f}"))
            ),
            uri: uri(&path),
            line: None,
            properties: json!({
                "package": v.package, "version": v.version, "kind": v.kind,
                "fixed": v.fixed, "aliases": v.aliases,
                "layer": v.location.as_ref().and_then(|l| l.layer.as_ref()).map(|d| d.to_string()),
            }),
        });
    }
    for m in &report.misconfigurations {
        out.push(Item {
            scanner: Scanner::Misconfig,
            rule: m.check.clone(),
            title: m.title.clone(),
            help: m.remediation.clone(),
            help_uri: None,
            severity: m.severity,
            score: None,
            message: match &m.resource {
                Some(r) => format!("{}: {}", r, m.message),
                None => m.message.clone(),
            },
            uri: uri(&m.target),
            line: m.line,
            properties: json!({"resource": m.resource.as_ref().map(|r| r.to_string())}),
        });
    }
    for s in &report.secrets {
        out.push(Item {
            scanner: Scanner::Secret,
            rule: s.rule.clone(),
            title: s.description.clone(),
            help: "Remove the secret from the image (every layer keeps it), rotate it, and pass it at run time.".into(),
            help_uri: None,
            severity: s.severity,
            score: None,
            message: format!(
                "{} ({}){}",
                s.description,
                s.redacted,
                s.deleted_in
                    .as_ref()
                    .map_or(String::new(), |l| format!(
                        "; deleted in layer {}, still in the image",
                        l.index
                    ))
            ),
            uri: uri(&s.target),
            line: (s.line > 0).then_some(s.line),
            properties: json!({
                "layer": s.layer.as_ref().map(|l| l.diff_id.to_string()),
                "fingerprint": s.fingerprint,
            }),
        });
    }
    for d in &report.detections {
        out.push(Item {
            scanner: d.kind.scanner(),
            rule: d.rule.clone(),
            title: d.description.clone(),
            help: "Find how the file got into the image and rebuild it from trusted sources."
                .into(),
            help_uri: None,
            severity: d.severity,
            score: None,
            message: format!("{} ({}; {})", d.description, d.matched, d.source),
            uri: uri(d.target.split('!').next().unwrap_or(&d.target)),
            line: None,
            properties: json!({
                "target": d.target,
                "layer": d.layer.as_ref().map(|l| l.diff_id.to_string()),
            }),
        });
    }
    // Most severe first, so a cut at the limit keeps what matters.
    out.sort_by(|a, b| {
        b.severity.cmp(&a.severity).then_with(|| {
            (a.scanner, &a.rule, &a.uri, a.line).cmp(&(b.scanner, &b.rule, &b.uri, b.line))
        })
    });
    out
}

/// GitHub refuses SARIF uploads over 10 MB (compressed); staying under it uncompressed is
/// always safe.
const MAX_BYTES: usize = 10_000_000;

pub(crate) fn render(report: &ScanReport, opts: &RenderOptions) -> String {
    let all = items(report);
    let mut keep = all.len().min(MAX_RESULTS);
    loop {
        let s = render_first(report, opts, &all, keep);
        if s.len() <= MAX_BYTES || keep == 0 {
            return s;
        }
        // Most severe first: cut from the end, in proportion to the excess, until it fits.
        let scaled = (keep as f64 * (MAX_BYTES as f64 / s.len() as f64) * 0.97) as usize;
        keep = scaled.min(keep - 1);
    }
}

fn render_first(report: &ScanReport, opts: &RenderOptions, all: &[Item], keep: usize) -> String {
    let total = all.len();
    let kept: Vec<&Item> = all.iter().take(keep).collect();
    // One rule per id; a rule keeps the most severe level any of its results has.
    let mut rules: BTreeMap<&str, &Item> = BTreeMap::new();
    for it in &kept {
        rules.entry(it.rule.as_str()).or_insert(it);
    }
    let index: BTreeMap<&str, usize> = rules.keys().enumerate().map(|(i, k)| (*k, i)).collect();
    let rules_json: Vec<Value> = rules
        .values()
        .map(|it| {
            let mut r = json!({
                "id": it.rule,
                "name": it.rule,
                "shortDescription": {"text": cut(&it.title)},
                "fullDescription": {"text": cut(&it.title)},
                "help": {"text": cut(&it.help), "markdown": cut(&it.help)},
                "defaultConfiguration": {"level": level(it.severity)},
                "properties": {
                    "tags": ["security", it.scanner.as_str()],
                    "security-severity": security_severity(it.severity, it.score),
                    "precision": "high",
                },
            });
            if let Some(u) = &it.help_uri {
                r["helpUri"] = json!(u);
            }
            r
        })
        .collect();
    let results: Vec<Value> = kept
        .iter()
        .map(|it| {
            let mut region = json!({});
            if let Some(l) = it.line {
                region = json!({"startLine": l});
            }
            let mut physical = json!({"artifactLocation": {"uri": it.uri}});
            if it.line.is_some() {
                physical["region"] = region;
            }
            let fingerprint = {
                let mut h = Sha256::new();
                for part in [it.scanner.as_str(), &it.rule, &it.uri, &it.message] {
                    h.update(part.as_bytes());
                    h.update([0]);
                }
                hex(&h.finalize()[..16])
            };
            let mut props = it.properties.clone();
            props["scanner"] = json!(it.scanner.as_str());
            props["severity"] = json!(it.severity.to_string());
            json!({
                "ruleId": it.rule,
                "ruleIndex": index[it.rule.as_str()],
                "level": level(it.severity),
                "message": {"text": cut(&it.message)},
                "locations": [{"physicalLocation": physical}],
                "partialFingerprints": {"hull/v1": fingerprint},
                "properties": props,
            })
        })
        .collect();
    let mut run = json!({
        "tool": {"driver": {
            "name": "hull",
            "version": opts.tool_version,
            "semanticVersion": opts.tool_version,
            "informationUri": "https://github.com/hull-scanner/hull",
            "rules": rules_json,
        }},
        "results": results,
        "columnKind": "unicodeCodePoints",
        "properties": {
            "image": report.image.name,
            "imageId": report.image.image_id.as_ref().map(|d| d.to_string()),
        },
    });
    if total > keep {
        run["properties"]["truncated"] = json!(format!(
            "{keep} of {total} results kept (code scanning's limits); the most severe first"
        ));
    }
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [run],
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
