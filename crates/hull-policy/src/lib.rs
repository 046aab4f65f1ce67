//! Policy: whether a finished [`ScanReport`] passes. It is a separate step after the scan,
//! so the CLI, a CI job and (later) the server's admission webhook decide the same way
//! through the same two calls: `hull_scan::run`, then [`evaluate`].
//!
//! Today the policy is one threshold over every scanner (`--fail-on`); per-scanner
//! thresholds, ignores that expire and VEX belong here too.

use std::fmt;

use hull_types::{ScanReport, Scanner, Severity};

/// What fails a report.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Policy {
    /// A finding of this severity or higher, from any scanner, fails the report.
    pub fail_on: Option<Severity>,
}

/// One finding that failed the policy.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Failure {
    /// The scanner that reported it.
    pub scanner: Scanner,
    /// Its id: the vulnerability, check, secret rule or detection rule.
    pub id: String,
    /// Where: the package, file or object.
    pub target: String,
    /// Its severity.
    pub severity: Severity,
}

/// The decision on one report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// The threshold that was applied, if any.
    pub threshold: Option<Severity>,
    /// The findings at or above it, sorted.
    pub failures: Vec<Failure>,
}

impl Verdict {
    /// Whether the report passes.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.threshold {
            Some(level) if !self.passed() => write!(
                f,
                "{} findings at or above {level} (--fail-on)",
                self.failures.len()
            ),
            Some(level) => write!(f, "no finding at or above {level}"),
            None => f.write_str("no policy"),
        }
    }
}

/// Decides whether `report` passes `policy`.
///
/// ```
/// use hull_policy::{evaluate, Policy};
/// use hull_types::{ImageSummary, ReportParts, ScanReport, Severity, SourceKind};
/// let clean = ScanReport::new(
///     ImageSummary::named("app.tar", SourceKind::DockerArchive),
///     ReportParts::default(),
/// );
/// assert!(evaluate(&clean, &Policy { fail_on: Some(Severity::Low) }).passed());
/// ```
pub fn evaluate(report: &ScanReport, policy: &Policy) -> Verdict {
    let Some(level) = policy.fail_on else {
        return Verdict {
            threshold: None,
            failures: vec![],
        };
    };
    let mut failures: Vec<Failure> = Vec::new();
    for v in report.vulnerabilities.iter().filter(|v| v.level() >= level) {
        failures.push(Failure {
            scanner: Scanner::Vuln,
            id: v.id.clone(),
            target: format!("{} {}", v.package, v.version),
            severity: v.level(),
        });
    }
    for m in report
        .misconfigurations
        .iter()
        .filter(|m| m.severity >= level)
    {
        failures.push(Failure {
            scanner: Scanner::Misconfig,
            id: m.check.clone(),
            target: m.target.clone(),
            severity: m.severity,
        });
    }
    for s in report.secrets.iter().filter(|s| s.severity >= level) {
        failures.push(Failure {
            scanner: Scanner::Secret,
            id: s.rule.clone(),
            target: s.target.clone(),
            severity: s.severity,
        });
    }
    for d in report.detections.iter().filter(|d| d.severity >= level) {
        failures.push(Failure {
            scanner: d.kind.scanner(),
            id: d.rule.clone(),
            target: d.target.clone(),
            severity: d.severity,
        });
    }
    failures.sort();
    Verdict {
        threshold: Some(level),
        failures,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scanner_counts_at_or_above_the_threshold() {
        // The fixture: a medium vulnerability, a medium misconfiguration, a critical
        // secret, a high detection.
        let r = hull_testkit::fixture_report();
        let at = |s| evaluate(&r, &Policy { fail_on: Some(s) });
        assert_eq!(at(Severity::Critical).failures.len(), 1);
        assert_eq!(at(Severity::High).failures.len(), 2);
        let medium = at(Severity::Medium);
        assert_eq!(medium.failures.len(), 4);
        assert_eq!(
            medium.to_string(),
            "4 findings at or above medium (--fail-on)"
        );
        assert_eq!(
            medium
                .failures
                .iter()
                .map(|f| f.scanner)
                .collect::<Vec<_>>(),
            vec![
                Scanner::Vuln,
                Scanner::Secret,
                Scanner::Misconfig,
                Scanner::Malware
            ]
        );
        assert!(evaluate(&r, &Policy::default()).passed());
    }
}
