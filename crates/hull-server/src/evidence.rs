//! What the server keeps of a scan and how it compares two versions of it: the policy's
//! verdict (`hull_policy::apply`, the CLI's own gate), the counts a listing shows, and the
//! findings that appeared or disappeared between the stored report and a new one, after a
//! scan or a re-match.

use std::collections::BTreeMap;

use hull_policy::Policy;
use hull_types::{DetectionKind, ScanReport, Scanner, Severity};

use crate::store::FindingEvent;

/// One finding, as the server tells them apart: scanner, id, subject.
type Key = (Scanner, String, String);

/// The findings a judged report still shows, with their level.
pub fn findings(report: &ScanReport) -> BTreeMap<Key, Severity> {
    let mut out = BTreeMap::new();
    for v in &report.vulnerabilities {
        out.insert(
            (
                Scanner::Vuln,
                v.id.clone(),
                format!("{}@{}", v.package, v.version),
            ),
            v.severity,
        );
    }
    for s in &report.secrets {
        out.insert(
            (
                Scanner::Secret,
                s.rule.clone(),
                format!("{}:{}", s.target, s.line),
            ),
            s.severity,
        );
    }
    for m in &report.misconfigurations {
        out.insert(
            (Scanner::Misconfig, m.check.clone(), m.target.clone()),
            m.severity,
        );
    }
    for d in &report.detections {
        let scanner = match d.kind {
            DetectionKind::Ioc => Scanner::Ioc,
            _ => Scanner::Malware,
        };
        out.insert((scanner, d.rule.clone(), d.target.clone()), d.severity);
    }
    out
}

/// Findings per scanner and level, for listings: `{"vuln": {"critical": 2, …}, …}`.
pub fn counts(report: &ScanReport) -> serde_json::Value {
    let mut by: BTreeMap<&str, BTreeMap<String, u64>> = BTreeMap::new();
    for ((scanner, _, _), severity) in findings(report) {
        *by.entry(scanner.as_str())
            .or_default()
            .entry(severity.to_string())
            .or_default() += 1;
    }
    serde_json::to_value(by).unwrap_or_default()
}

/// The policy's decision on one image, as stored beside it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// Whether it passes.
    pub passed: bool,
    /// The one line saying why.
    pub summary: String,
    /// The ids of the findings that failed it, sorted, unique: what an admission denial
    /// names.
    pub failures: Vec<String>,
}

/// The report with the policy applied at `now`, and its verdict.
pub fn judge(report: &ScanReport, policy: &Policy, now: i64) -> (ScanReport, Verdict) {
    let judged = hull_policy::apply(report.clone(), policy, now);
    let verdict = match &judged.policy {
        Some(p) => {
            let mut failures: Vec<String> = p.failures.iter().map(|f| f.id.clone()).collect();
            failures.sort();
            failures.dedup();
            Verdict {
                passed: p.passed,
                summary: p.summary.clone(),
                failures,
            }
        }
        None => Verdict {
            passed: true,
            summary: String::new(),
            failures: vec![],
        },
    };
    (judged, verdict)
}

/// What changed from `old` to `new` (both judged), as events at `at`.
pub fn diff(
    old: Option<&ScanReport>,
    new: &ScanReport,
    digest: &str,
    cause: &str,
    at: i64,
) -> Vec<FindingEvent> {
    let before = old.map(findings).unwrap_or_default();
    let after = findings(new);
    let event =
        |(scanner, finding, subject): &Key, severity: &Severity, change: &str| FindingEvent {
            at,
            digest: digest.to_string(),
            change: change.to_string(),
            cause: cause.to_string(),
            scanner: scanner.as_str().to_string(),
            finding: finding.clone(),
            subject: subject.clone(),
            severity: severity.to_string(),
        };
    let mut out: Vec<FindingEvent> = after
        .iter()
        .filter(|(k, _)| !before.contains_key(*k))
        .map(|(k, s)| event(k, s, "appeared"))
        .collect();
    out.extend(
        before
            .iter()
            .filter(|(k, _)| !after.contains_key(*k))
            .map(|(k, s)| event(k, s, "resolved")),
    );
    out
}
