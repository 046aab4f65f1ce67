//! Markdown for a pull-request comment: the verdict, counts by scanner and severity, the
//! findings that failed the policy, then every finding in a collapsible section. GitHub
//! refuses comments over 65,536 characters, so the details stop short of that with a count
//! of what was left out.

use std::collections::BTreeMap;
use std::fmt::Write;

use hull_types::{ScanReport, Scanner, Severity};

use crate::RenderOptions;

/// GitHub's comment limit, with room for the closing lines.
const MAX_CHARS: usize = 65_536 - 1_024;

/// Characters Markdown tables and HTML would read as syntax, escaped.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '`' => out.push('\''),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

pub(crate) fn render(report: &ScanReport, _opts: &RenderOptions) -> String {
    let mut out = String::new();
    let icon = match &report.policy {
        Some(p) if p.passed => "✅",
        Some(_) => "❌",
        None => "ℹ️",
    };
    let _ = writeln!(out, "### {icon} hull: `{}`\n", esc(&report.image.name));
    if let Some(p) = &report.policy {
        let _ = writeln!(out, "**{}**\n", esc(&p.summary));
    }
    let all = crate::rows(report);
    // Counts by scanner and severity.
    let mut counts: BTreeMap<Scanner, BTreeMap<Severity, usize>> = BTreeMap::new();
    for r in &all {
        *counts
            .entry(r.scanner)
            .or_default()
            .entry(r.severity)
            .or_default() += 1;
    }
    let levels = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Unknown,
    ];
    let _ = writeln!(
        out,
        "| scanner | critical | high | medium | low | unknown |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|");
    for sc in Scanner::ALL {
        let c = counts.get(&sc);
        let cells: Vec<String> = levels
            .iter()
            .map(|l| c.and_then(|m| m.get(l)).copied().unwrap_or(0).to_string())
            .collect();
        let _ = writeln!(out, "| {} | {} |", sc, cells.join(" | "));
    }
    let _ = writeln!(out, "\n{} packages", report.packages.len());
    if let Some(p) = &report.policy {
        if !p.failures.is_empty() {
            let _ = writeln!(out, "\n#### Failing the policy ({})\n", p.failures.len());
            let _ = writeln!(out, "| scanner | severity | id | where |");
            let _ = writeln!(out, "|---|---|---|---|");
            for (i, f) in p.failures.iter().enumerate() {
                if i == 20 {
                    let _ = writeln!(
                        out,
                        "\n… and {} more (see the details below)",
                        p.failures.len() - 20
                    );
                    break;
                }
                let _ = writeln!(
                    out,
                    "| {} | {} | `{}` | {} |",
                    f.scanner,
                    f.severity,
                    esc(&f.id),
                    esc(&f.target)
                );
            }
        }
    }
    if !all.is_empty() {
        let _ = writeln!(
            out,
            "\n<details><summary>All findings ({})</summary>\n",
            all.len()
        );
        let _ = writeln!(out, "| scanner | severity | id | where | detail |");
        let _ = writeln!(out, "|---|---|---|---|---|");
        for (i, r) in all.iter().enumerate() {
            let (sc, sev, id, at, detail) = (r.scanner, r.severity, &r.id, &r.at, &r.detail);
            let line = format!(
                "| {sc} | {sev} | `{}` | {} | {} |\n",
                esc(id),
                esc(at),
                esc(detail)
            );
            if out.len() + line.len() > MAX_CHARS {
                let _ = writeln!(
                    out,
                    "\n… {} more findings left out to fit a comment (see the JSON report)",
                    all.len() - i
                );
                break;
            }
            out.push_str(&line);
        }
        let _ = writeln!(out, "\n</details>");
    }
    out
}
