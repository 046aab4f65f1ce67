//! JUnit XML (the Ant schema Jenkins, GitLab and most CI test tabs read): one testsuite per
//! scanner, one testcase per finding; a finding that fails the policy is a `<failure>`, the
//! others pass. Validated against `testdata/schemas/junit/JUnit.xsd` in the test suite.

use std::collections::BTreeSet;
use std::fmt::Write;

use hull_types::{ScanReport, Scanner, Severity};

use crate::RenderOptions;

use crate::escape_markup as esc;

/// A `classname`: dotted, without whitespace (the schema's token type collapses it anyway).
fn class(scanner: Scanner, target: &str) -> String {
    let t: String = target
        .trim_start_matches('/')
        .chars()
        .map(|c| {
            if c.is_whitespace() || c == '/' {
                '.'
            } else {
                c
            }
        })
        .collect();
    format!(
        "hull.{}.{}",
        scanner.as_str(),
        if t.is_empty() { "image" } else { &t }
    )
}

pub(crate) fn render(report: &ScanReport, opts: &RenderOptions) -> String {
    let failing: BTreeSet<(Scanner, &str, &str)> = report
        .policy
        .iter()
        .flat_map(|p| p.failures.iter())
        .map(|f| (f.scanner, f.id.as_str(), f.target.as_str()))
        .collect();
    // (scanner, id, policy target, shown target, severity, detail)
    let mut cases: Vec<(Scanner, String, String, String, Severity, String)> = Vec::new();
    for v in &report.vulnerabilities {
        let t = format!("{} {}", v.package, v.version);
        let detail = format!(
            "{} {} is affected by {} ({}){}",
            v.package,
            v.version,
            v.id,
            v.level(),
            v.fixed
                .as_ref()
                .map_or(String::new(), |f| format!("; fixed in {f}"))
        );
        cases.push((Scanner::Vuln, v.id.clone(), t.clone(), t, v.level(), detail));
    }
    for m in &report.misconfigurations {
        let shown = m
            .line
            .map_or(m.target.clone(), |l| format!("{}:{l}", m.target));
        let detail = format!("{}: {}\n{}", m.title, m.message, m.remediation);
        cases.push((
            Scanner::Misconfig,
            m.check.clone(),
            m.target.clone(),
            shown,
            m.severity,
            detail,
        ));
    }
    for s in &report.secrets {
        let detail = format!("{} ({})", s.description, s.redacted);
        cases.push((
            Scanner::Secret,
            s.rule.clone(),
            s.target.clone(),
            s.target.clone(),
            s.severity,
            detail,
        ));
    }
    for d in &report.detections {
        let detail = format!("{}: {} ({})", d.description, d.matched, d.source);
        cases.push((
            d.kind.scanner(),
            d.rule.clone(),
            d.target.clone(),
            d.target.clone(),
            d.severity,
            detail,
        ));
    }
    // Licences are judged by the policy alone: its refusals are the license suite's cases.
    for f in report.policy.iter().flat_map(|p| p.failures.iter()) {
        if f.scanner == Scanner::License {
            let detail = format!("{} carries {}, which the policy refuses", f.target, f.id);
            cases.push((
                Scanner::License,
                f.id.clone(),
                f.target.clone(),
                f.target.clone(),
                f.severity,
                detail,
            ));
        }
    }
    let stamp = crate::rfc3339(opts.now);
    let stamp = stamp.trim_end_matches('Z');
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
    for (id, sc) in Scanner::ALL.iter().enumerate() {
        let mine: Vec<_> = cases.iter().filter(|c| c.0 == *sc).collect();
        let failures = mine
            .iter()
            .filter(|c| failing.contains(&(c.0, c.1.as_str(), c.2.as_str())))
            .count();
        let _ = writeln!(
            out,
            "  <testsuite package=\"hull\" id=\"{id}\" name=\"{sc}\" timestamp=\"{stamp}\" hostname=\"hull\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" time=\"0\">",
            mine.len()
        );
        let _ = writeln!(
            out,
            "    <properties>\n      <property name=\"image\" value=\"{}\"/>\n      <property name=\"tool\" value=\"hull {}\"/>\n    </properties>",
            esc(&report.image.name),
            esc(&opts.tool_version)
        );
        for (scanner, rule, policy_target, shown, severity, detail) in mine {
            let name = esc(&format!("{rule} {shown}"));
            let classname = esc(&class(*scanner, shown));
            if failing.contains(&(*scanner, rule.as_str(), policy_target.as_str())) {
                let _ = writeln!(
                    out,
                    "    <testcase name=\"{name}\" classname=\"{classname}\" time=\"0\">\n      <failure type=\"{severity}\" message=\"{}\">{}</failure>\n    </testcase>",
                    esc(&format!("{severity}: {rule} in {shown}")),
                    esc(detail)
                );
            } else {
                let _ = writeln!(
                    out,
                    "    <testcase name=\"{name}\" classname=\"{classname}\" time=\"0\"/>"
                );
            }
        }
        out.push_str(
            "    <system-out></system-out>\n    <system-err></system-err>\n  </testsuite>\n",
        );
    }
    out.push_str("</testsuites>\n");
    out
}
