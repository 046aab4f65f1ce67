//! The table a person reads: a short image summary, then packages grouped by package
//! manager. Colour only when asked (the front-end asks only on a terminal).

use std::fmt::Write;

use hull_types::{PackageKind, Severity};
use hull_types::{ScanReport, SourceKind};

use crate::RenderOptions;

fn human(bytes: u64) -> String {
    const U: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = bytes as f64;
    let mut i = 0;
    while v >= 1024.0 && i < U.len() - 1 {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 {
        format!("{bytes} B")
    } else {
        format!("{v:.1} {}", U[i])
    }
}

fn truncate(s: &str, n: usize) -> String {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.chars().count() <= n {
        s
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

pub(crate) fn render(report: &ScanReport, opts: &RenderOptions) -> String {
    let (bold, dim, reset) = if opts.color {
        ("\x1b[1m", "\x1b[2m", "\x1b[0m")
    } else {
        ("", "", "")
    };
    let img = &report.image;
    let mut out = String::new();
    let _ = writeln!(out, "{bold}{}{reset} ({})", img.name, img.source);
    if let Some(id) = &img.image_id {
        let _ = writeln!(out, "  image id      {id}");
    }
    if let Some(d) = &img.manifest_digest {
        let _ = writeln!(out, "  manifest      {d}");
    }
    if img.source != SourceKind::Config {
        let os = img
            .os
            .as_ref()
            .map_or("unknown".to_string(), |o| o.to_string());
        let _ = writeln!(out, "  os            {os}");
    }
    if !img.architecture.is_empty() {
        let _ = writeln!(out, "  architecture  {}", img.architecture);
    }
    if !matches!(img.source, SourceKind::Rootfs | SourceKind::Config) {
        let _ = writeln!(
            out,
            "  user          {}",
            img.user.as_deref().unwrap_or("(root: no USER set)")
        );
    }
    if let Some(e) = &img.entrypoint {
        let _ = writeln!(out, "  entrypoint    {}", truncate(&e.join(" "), 70));
    }
    if let Some(c) = &img.cmd {
        let _ = writeln!(out, "  cmd           {}", truncate(&c.join(" "), 70));
    }
    if !img.exposed_ports.is_empty() {
        let _ = writeln!(out, "  ports         {}", img.exposed_ports.join(", "));
    }
    if !img.layers.is_empty() {
        let total: u64 = img.layers.iter().map(|l| l.size).sum();
        let _ = writeln!(
            out,
            "  layers        {} ({})",
            img.layers.len(),
            human(total)
        );
        for l in &img.layers {
            let _ = writeln!(
                out,
                "    {dim}{:>2}{reset} {}  {:>10}  {}",
                l.index + 1,
                l.diff_id.short(),
                human(l.size),
                truncate(l.created_by.as_deref().unwrap_or(""), 60)
            );
        }
    }
    if !report.vulnerabilities.is_empty() {
        let (red, yellow) = if opts.color {
            ("\x1b[31m", "\x1b[33m")
        } else {
            ("", "")
        };
        let count = |l: Severity| {
            report
                .vulnerabilities
                .iter()
                .filter(|v| v.level() == l)
                .count()
        };
        let counts: Vec<String> = [
            Severity::Critical,
            Severity::High,
            Severity::Medium,
            Severity::Low,
            Severity::Unknown,
        ]
        .iter()
        .filter(|l| count(**l) > 0)
        .map(|l| format!("{} {l}", count(*l)))
        .collect();
        let _ = writeln!(
            out,
            "\n{bold}vulnerabilities ({}){reset}: {}",
            report.vulnerabilities.len(),
            counts.join(", ")
        );
        let w_id = report
            .vulnerabilities
            .iter()
            .map(|v| v.id.len())
            .max()
            .unwrap_or(2)
            .clamp(2, 40);
        let w_pkg = report
            .vulnerabilities
            .iter()
            .map(|v| v.package.len())
            .max()
            .unwrap_or(7)
            .clamp(7, 30);
        let _ = writeln!(
            out,
            "  {dim}{:<w_id$}  {:<w_pkg$}  {:<24}  {:<24}  SEVERITY{reset}",
            "ID", "PACKAGE", "INSTALLED", "FIXED"
        );
        for v in &report.vulnerabilities {
            let sev = match v.score {
                Some(score) => format!("{} {score}", v.level()),
                None => v.level().to_string(),
            };
            let colour = match v.level() {
                Severity::Critical | Severity::High => red,
                Severity::Medium => yellow,
                _ => "",
            };
            let _ = writeln!(
                out,
                "  {:<w_id$}  {:<w_pkg$}  {:<24}  {:<24}  {colour}{sev}{reset}",
                v.id,
                truncate(&v.package, w_pkg),
                truncate(&v.version, 24),
                v.fixed.as_deref().unwrap_or("(no fix)"),
            );
            if opts.explain {
                let _ = writeln!(out, "      {dim}{}{reset}", v.reason);
                if let Some(src) = &v.severity_source {
                    let _ = writeln!(out, "      {dim}severity: {src}{reset}");
                }
                if let Some(loc) = &v.location {
                    let layer = loc
                        .layer
                        .as_ref()
                        .map(|d| format!(" (layer {})", d.short()))
                        .unwrap_or_default();
                    let _ = writeln!(out, "      {dim}found at {}{layer}{reset}", loc.path);
                }
            }
        }
    }
    if !report.detections.is_empty() {
        detections(&mut out, report, opts);
    }
    if !report.secrets.is_empty() {
        secrets(&mut out, report, opts);
    }
    if !report.misconfigurations.is_empty() {
        misconfigurations(&mut out, report, opts);
    }
    for kind in PackageKind::ALL {
        let pkgs: Vec<_> = report.packages.iter().filter(|p| p.kind == kind).collect();
        if pkgs.is_empty() {
            continue;
        }
        if !opts.list_packages {
            // A vulnerability scan lists findings; the inventory is `hull sbom -f table`.
            let _ = writeln!(
                out,
                "\n{} {kind} packages {dim}(hull sbom -f table lists them){reset}",
                pkgs.len()
            );
            continue;
        }
        let _ = writeln!(out, "\n{bold}{} packages ({}){reset}", kind, pkgs.len());
        let w_name = pkgs
            .iter()
            .map(|p| p.name.len())
            .max()
            .unwrap_or(4)
            .clamp(4, 40);
        let w_ver = pkgs
            .iter()
            .map(|p| p.version.len())
            .max()
            .unwrap_or(7)
            .clamp(7, 40);
        let w_src = pkgs
            .iter()
            .map(|p| {
                p.source
                    .as_ref()
                    .map_or(0, |s| s.name.len() + s.version.len() + 1)
            })
            .max()
            .unwrap_or(6)
            .clamp(6, 40);
        let _ = writeln!(
            out,
            "  {dim}{:<w_name$}  {:<w_ver$}  {:<8}  {:<w_src$}  LICENCE{reset}",
            "NAME", "VERSION", "ARCH", "SOURCE"
        );
        for p in pkgs {
            let src = p
                .source
                .as_ref()
                .filter(|s| s.name != p.name || s.version != p.version)
                .map(|s| {
                    if s.version == p.version {
                        s.name.clone()
                    } else {
                        format!("{} {}", s.name, s.version)
                    }
                })
                .unwrap_or_default();
            // The SPDX expression where the declared licences make one, else as declared.
            let licence = hull_types::license::package_expression(&p.licenses)
                .unwrap_or_else(|| p.licenses.join(", "));
            let line = format!(
                "  {:<w_name$}  {:<w_ver$}  {:<8}  {:<w_src$}  {}",
                truncate(&p.name, w_name),
                truncate(&p.version, w_ver),
                p.arch.as_deref().unwrap_or(""),
                truncate(&src, w_src),
                truncate(&licence, 40)
            );
            let _ = writeln!(out, "{}", line.trim_end());
        }
    }
    if !report.os_owned.is_empty() {
        let _ = writeln!(
            out,
            "\n{dim}{} language packages belong to OS packages and are counted as those (see the JSON report){reset}",
            report.os_owned.len()
        );
    }
    if report.packages.is_empty() && img.source != SourceKind::Config {
        let _ = writeln!(out, "\nno OS packages found");
    }
    if !report.not_matched.is_empty() {
        let _ = writeln!(
            out,
            "\n{bold}not checked for vulnerabilities ({}){reset}",
            report.not_matched.len()
        );
        for n in report.not_matched.iter().take(10) {
            let _ = writeln!(out, "  {} {}: {}", n.package, n.version, n.reason);
        }
        if report.not_matched.len() > 10 {
            let _ = writeln!(
                out,
                "  … {} more (see the JSON report)",
                report.not_matched.len() - 10
            );
        }
    }
    if !report.warnings.is_empty() {
        let _ = writeln!(out, "\n{bold}warnings ({}){reset}", report.warnings.len());
        for w in &report.warnings {
            let layer = w
                .layer
                .as_ref()
                .map(|l| format!(" [layer {}]", l.short()))
                .unwrap_or_default();
            let _ = writeln!(out, "  {}{layer}: {}", w.path, w.message);
        }
    }
    if let Some(n) = &opts.note {
        let _ = writeln!(out, "\n{n}");
    }
    policy(&mut out, report, opts);
    out
}

/// The policy's decision: what was suppressed, ignores that no longer apply, the findings
/// that failed, and, last, one line saying why the exit code is what it is.
fn policy(out: &mut String, report: &ScanReport, opts: &RenderOptions) {
    let Some(p) = &report.policy else { return };
    let (bold, reset, red, green) = if opts.color {
        ("\x1b[1m", "\x1b[0m", "\x1b[31m", "\x1b[32m")
    } else {
        ("", "", "", "")
    };
    let accepted: Vec<_> = p
        .suppressed
        .iter()
        .filter(|s| !matches!(s.by, hull_types::SuppressedBy::Filter { .. }))
        .collect();
    if !accepted.is_empty() || !p.ignores.is_empty() || !p.failures.is_empty() {
        let _ = writeln!(out, "\n{bold}policy{reset}");
    }
    for s in accepted.iter().take(10) {
        let why = match &s.by {
            hull_types::SuppressedBy::Ignore { source, reason, .. } => {
                format!("ignored ({source}): {reason}")
            }
            hull_types::SuppressedBy::Vex { source, status, .. } => {
                format!("VEX {status} ({source})")
            }
            hull_types::SuppressedBy::Filter { filter } => format!("--{filter}"),
        };
        let _ = writeln!(
            out,
            "  {:<16} {:<28} {why}",
            s.finding.id,
            truncate(&s.finding.target, 28)
        );
    }
    if accepted.len() > 10 {
        let _ = writeln!(
            out,
            "  … {} more suppressed (see the JSON report)",
            accepted.len() - 10
        );
    }
    for i in &p.ignores {
        let status = match i.status {
            hull_types::IgnoreStatus::Expired => "expired, no longer applies",
            hull_types::IgnoreStatus::Unused => "matched nothing",
        };
        let _ = writeln!(out, "  ignore {} ({}): {status}", i.names, i.source);
    }
    for f in p.failures.iter().take(10) {
        let _ = writeln!(
            out,
            "  {red}FAIL{reset} {:<9} {:<16} {} ({})",
            f.scanner.as_str(),
            f.id,
            truncate(&f.target, 40),
            f.severity
        );
    }
    if p.failures.len() > 10 {
        let _ = writeln!(
            out,
            "  … {} more failures (see the JSON report)",
            p.failures.len() - 10
        );
    }
    let colour = if p.passed { green } else { red };
    let _ = writeln!(out, "\n{colour}{bold}{}{reset}", p.summary);
}

/// Failed checks grouped by file (or the image config), most severe first within a file.
fn misconfigurations(out: &mut String, report: &ScanReport, opts: &RenderOptions) {
    let (bold, dim, reset, red, yellow) = if opts.color {
        ("\x1b[1m", "\x1b[2m", "\x1b[0m", "\x1b[31m", "\x1b[33m")
    } else {
        ("", "", "", "", "")
    };
    let all = &report.misconfigurations;
    let count = |s: Severity| all.iter().filter(|m| m.severity == s).count();
    let _ = writeln!(
        out,
        "\n{bold}misconfigurations ({}){reset} {dim}critical {}, high {}, medium {}, low {}{reset}",
        all.len(),
        count(Severity::Critical),
        count(Severity::High),
        count(Severity::Medium),
        count(Severity::Low)
    );
    let mut targets: Vec<&str> = all.iter().map(|m| m.target.as_str()).collect();
    targets.dedup();
    for t in targets {
        let _ = writeln!(out, "  {bold}{t}{reset}");
        let mut rows: Vec<_> = all.iter().filter(|m| m.target == t).collect();
        rows.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then(a.line.cmp(&b.line))
                .then(a.check.cmp(&b.check))
        });
        for m in rows {
            let colour = match m.severity {
                Severity::Critical | Severity::High => red,
                Severity::Medium => yellow,
                _ => "",
            };
            let at = match (&m.resource, m.line) {
                (Some(r), Some(l)) => format!("{r}:{l}"),
                (Some(r), None) => r.to_string(),
                (None, Some(l)) => format!("line {l}"),
                (None, None) => String::new(),
            };
            let _ = writeln!(
                out,
                "    {colour}{:<8}{reset} {:<36} {dim}{}{reset}\n             {}",
                m.severity.to_string().to_uppercase(),
                m.check,
                at,
                truncate(&m.message, 100)
            );
        }
    }
}

/// Secrets grouped by where they are (file, config, history), most severe first.
/// Malware (YARA rules, hash lists) and IoCs, most severe first, each with its evidence.
fn detections(out: &mut String, report: &ScanReport, opts: &RenderOptions) {
    let (bold, dim, reset, red, yellow) = if opts.color {
        ("\x1b[1m", "\x1b[2m", "\x1b[0m", "\x1b[31m", "\x1b[33m")
    } else {
        ("", "", "", "", "")
    };
    for (title, scanner) in [
        ("malware", hull_types::Scanner::Malware),
        ("indicators of compromise", hull_types::Scanner::Ioc),
    ] {
        let mut rows: Vec<_> = report
            .detections
            .iter()
            .filter(|d| d.kind.scanner() == scanner)
            .collect();
        if rows.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n{bold}{title} ({}){reset}", rows.len());
        rows.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.cmp(b)));
        for d in rows {
            let colour = match d.severity {
                Severity::Critical | Severity::High => red,
                Severity::Medium => yellow,
                _ => "",
            };
            let place = match (&d.layer, &d.deleted_in) {
                (Some(l), Some(x)) => format!(
                    " {dim}(layer {}, deleted in layer {}){reset}",
                    l.index, x.index
                ),
                (Some(l), None) => format!(" {dim}(layer {}){reset}", l.index),
                _ => String::new(),
            };
            let _ = writeln!(
                out,
                "  {colour}{:<8}{reset} {:<28} {}{place}\n           {} {dim}({}; {}){reset}",
                d.severity.to_string().to_uppercase(),
                truncate(&d.rule, 28),
                truncate(&d.target, 90),
                truncate(&d.description, 60),
                truncate(&d.matched, 60),
                truncate(&d.source, 40),
            );
        }
    }
}

fn secrets(out: &mut String, report: &ScanReport, opts: &RenderOptions) {
    let (bold, dim, reset, red, yellow) = if opts.color {
        ("\x1b[1m", "\x1b[2m", "\x1b[0m", "\x1b[31m", "\x1b[33m")
    } else {
        ("", "", "", "", "")
    };
    let all = &report.secrets;
    let deleted = all.iter().filter(|s| s.deleted_in.is_some()).count();
    let _ = writeln!(
        out,
        "\n{bold}secrets ({}){reset}{}",
        all.len(),
        if deleted > 0 {
            format!(" {dim}{deleted} in files a later layer deleted{reset}")
        } else {
            String::new()
        }
    );
    let mut rows: Vec<_> = all.iter().collect();
    rows.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.target.cmp(&b.target))
            .then(a.line.cmp(&b.line))
    });
    for s in rows {
        let colour = match s.severity {
            Severity::Critical | Severity::High => red,
            Severity::Medium => yellow,
            _ => "",
        };
        let place = match (&s.layer, &s.deleted_in) {
            (Some(l), Some(d)) => format!(
                " {dim}(layer {}, deleted in layer {}){reset}",
                l.index, d.index
            ),
            (Some(l), None) => format!(" {dim}(layer {}){reset}", l.index),
            _ => String::new(),
        };
        let at = if s.line > 0 {
            format!("{}:{}:{}", s.target, s.line, s.column)
        } else {
            s.target.clone()
        };
        let shown = s.secret.as_deref().unwrap_or(&s.redacted);
        let _ = writeln!(
            out,
            "  {colour}{:<8}{reset} {:<28} {}{place}\n           {} {dim}{}{reset}",
            s.severity.to_string().to_uppercase(),
            s.rule,
            truncate(&at, 90),
            truncate(shown, 60),
            truncate(&s.description, 60),
        );
    }
}
