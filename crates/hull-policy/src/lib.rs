//! Policy: what a finished [`ScanReport`] must satisfy. It is a separate step after the
//! scan, so the CLI, a CI job and (later) the server's admission webhook decide the same way
//! through the same two calls: `hull_scan::run`, then [`apply`].
//!
//! [`apply`] first takes out what the user does not want to see or has accepted (filters
//! such as `--severity`, ignores that have not expired, VEX `not_affected`/`fixed`
//! statements), recording each suppression and what made it; then it fails the report on
//! what is left, by each scanner's threshold. A finding that is not shown never fails the
//! gate.
//!
//! A [`Policy`] is built from a `hull.toml` ([`file::load`]), ignore files
//! ([`ignorefile::parse`]), VEX documents ([`vex::parse`]) and flags; each is validated once,
//! where it is read, with errors that name the file, line and column ([`PolicyError`]).

pub mod admission;
mod error;
pub mod file;
pub mod ignorefile;
mod ignores;
pub mod vex;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use hull_types::{
    FindingRef, IgnoreNote, IgnoreStatus, Package, PolicyResult, ScanReport, Scanner, Severity,
    SuppressedBy, Suppression,
};

pub use error::{PolicyError, PolicyErrorDetail};
pub use ignores::{check_glob, Ignore, PackageMatch, VersionRange};
pub use vex::{Product, VexStatement, VexStatus};

/// The exit code for a failed policy unless the policy names another.
pub const DEFAULT_EXIT_CODE: u8 = 1;

/// When a scanner's findings fail a report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Threshold {
    /// Any finding, whatever its severity (`any`).
    Any,
    /// A finding of this severity or higher.
    AtLeast(Severity),
}

impl Threshold {
    /// Parses `any`, `never` (`None`) or a level.
    pub fn parse(s: &str) -> Result<Option<Self>, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "any" => Ok(Some(Threshold::Any)),
            "never" | "none" => Ok(None),
            l => Severity::parse_level(l)
                .map(|s| Some(Threshold::AtLeast(s)))
                .ok_or_else(|| {
                    format!(
                        "{s:?} is not a level (any, never, unknown, low, medium, high, critical)"
                    )
                }),
        }
    }

    fn fails(self, s: Severity) -> bool {
        match self {
            Threshold::Any => true,
            Threshold::AtLeast(level) => s >= level,
        }
    }
}

impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Threshold::Any => f.write_str("any"),
            Threshold::AtLeast(s) => write!(f, "{s}"),
        }
    }
}

/// Parses `--fail-on`: one level for every scanner (`high`), or thresholds per scanner
/// (`vuln=high,secret=any,misconfig=critical`; `malware` covers `ioc` unless `ioc` is
/// named). Scanners not named do not fail the report.
///
/// ```
/// use hull_policy::{parse_fail_on, Threshold};
/// use hull_types::{Scanner, Severity};
/// let t = parse_fail_on("vuln=high,secret=any").unwrap();
/// assert_eq!(t[&Scanner::Vuln], Threshold::AtLeast(Severity::High));
/// assert_eq!(t[&Scanner::Secret], Threshold::Any);
/// assert!(!t.contains_key(&Scanner::Misconfig));
/// assert_eq!(parse_fail_on("critical").unwrap().len(), 5);
/// ```
pub fn parse_fail_on(s: &str) -> Result<BTreeMap<Scanner, Threshold>, String> {
    let mut out = BTreeMap::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part.split_once('=') {
            None => {
                let t = Threshold::parse(part)?;
                // Licences are judged by `[license]`, not by a severity.
                for sc in Scanner::ALL.into_iter().filter(|s| *s != Scanner::License) {
                    match t {
                        Some(t) => out.insert(sc, t),
                        None => out.remove(&sc),
                    };
                }
            }
            Some((name, level)) => {
                let sc: Scanner = name.trim().parse()?;
                match Threshold::parse(level)? {
                    Some(t) => {
                        out.insert(sc, t);
                        if sc == Scanner::Malware {
                            out.entry(Scanner::Ioc).or_insert(t);
                        }
                    }
                    None => {
                        out.remove(&sc);
                    }
                }
            }
        }
    }
    Ok(out)
}

/// One entry of a licence allow or deny list: an SPDX id, or a class.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LicenseRule {
    /// An SPDX licence id (`GPL-3.0-only`).
    Id(String),
    /// A class: `permissive`, `copyleft`, `network-copyleft`, `unknown`.
    Class(hull_types::license::LicenseClass),
}

impl LicenseRule {
    /// Parses a class name or an SPDX id (normalised: `GPLv3` is `GPL-3.0-only`).
    pub fn parse(s: &str) -> Result<Self, String> {
        if let Some(c) = hull_types::license::LicenseClass::parse(s) {
            return Ok(LicenseRule::Class(c));
        }
        match hull_types::license::spdx_expression(s) {
            Some(id) if !id.contains(' ') => Ok(LicenseRule::Id(id)),
            _ => Err(format!(
                "{s:?} is neither an SPDX licence id nor a class (permissive, copyleft, network-copyleft, unknown)"
            )),
        }
    }

    fn covers(&self, id: &str) -> bool {
        match self {
            LicenseRule::Id(i) => i == id,
            LicenseRule::Class(c) => hull_types::license::LicenseClass::of_id(id) == *c,
        }
    }
}

/// Which licences a package may carry (`[license]`): a package fails when its declared
/// licences cannot be satisfied choosing only licences that are allowed (when `allow` is
/// set) and not denied. An `OR` is satisfied by either side, so `MIT OR GPL-3.0-only` passes
/// a policy that denies copyleft.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LicensePolicy {
    /// If not empty, only these.
    pub allow: Vec<LicenseRule>,
    /// Never these.
    pub deny: Vec<LicenseRule>,
}

impl LicensePolicy {
    /// Whether the policy says anything.
    pub fn is_empty(&self) -> bool {
        self.allow.is_empty() && self.deny.is_empty()
    }

    /// Why a package with these declared licences is refused, if it is. The declared
    /// licences all apply (AND): each SPDX one must be satisfiable by allowed, not denied
    /// licences, and any that is not SPDX (or none declared) is `unknown`.
    pub fn refuses(&self, licenses: &[String]) -> Option<String> {
        if self.is_empty() {
            return None;
        }
        let unknown = LicenseRule::Class(hull_types::license::LicenseClass::Unknown);
        let unknown_ok = (self.allow.is_empty() || self.allow.contains(&unknown))
            && !self.deny.contains(&unknown);
        if licenses.is_empty() {
            return (!unknown_ok).then(|| "unknown (none declared)".to_string());
        }
        let ok = |id: &str| {
            (self.allow.is_empty() || self.allow.iter().any(|r| r.covers(id)))
                && !self.deny.iter().any(|r| r.covers(id))
        };
        for l in licenses {
            match hull_types::license::spdx_expression(l) {
                Some(expr) if !hull_types::license::satisfiable(&expr, ok) => return Some(expr),
                Some(_) => {}
                None if !unknown_ok => return Some(format!("unknown ({l})")),
                None => {}
            }
        }
        None
    }
}

/// What a report must satisfy, and what is taken out of it before it is judged.
#[derive(Clone, Debug)]
pub struct Policy {
    /// Per scanner, the findings that fail the report; a scanner absent here never does.
    pub fail_on: BTreeMap<Scanner, Threshold>,
    /// Show only these levels (every scanner's findings; `--severity`).
    pub severities: Option<BTreeSet<Severity>>,
    /// Show only vulnerabilities with a fix (`--ignore-unfixed`).
    pub fixable_only: bool,
    /// Configuration checks never shown (`--skip-checks`).
    pub skip_checks: BTreeSet<String>,
    /// Findings in files under these globs are not shown (`--skip-dirs`), as the patterns
    /// were written.
    pub skip_dirs: Vec<String>,
    /// Accepted findings.
    pub ignores: Vec<Ignore>,
    /// VEX statements.
    pub vex: Vec<VexStatement>,
    /// Licences packages may carry.
    pub license: LicensePolicy,
    /// The exit code of a failed report.
    pub exit_code: u8,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            fail_on: BTreeMap::new(),
            severities: None,
            fixable_only: false,
            skip_checks: BTreeSet::new(),
            skip_dirs: vec![],
            ignores: vec![],
            vex: vec![],
            license: LicensePolicy::default(),
            exit_code: DEFAULT_EXIT_CODE,
        }
    }
}

/// One finding of any scanner, as the policy sees it.
pub(crate) struct View<'r> {
    pub finding: FindingRef,
    /// Every id it goes by (the id, then aliases and advisories).
    pub ids: Vec<&'r str>,
    /// The package it is about (vulnerabilities).
    pub package: Option<&'r Package>,
    /// Its package's purl.
    pub purl: Option<hull_types::PurlParts>,
    /// The file it is in, if any.
    pub path: Option<&'r str>,
    /// The layer holding it, if known.
    pub layer: Option<&'r hull_types::Digest>,
    /// A secret's fingerprint.
    pub fingerprint: Option<&'r str>,
    /// Whether a fix exists (vulnerabilities).
    pub fixable: bool,
}

/// Applies `policy` to `report` at `now` (seconds since the epoch; ignores expire by it):
/// the report with suppressed findings taken out and the decision attached.
///
/// ```
/// use hull_policy::{apply, Policy};
/// use hull_types::{ImageSummary, ReportParts, ScanReport, SourceKind};
/// let clean = ScanReport::new(
///     ImageSummary::named("app.tar", SourceKind::DockerArchive),
///     ReportParts::default(),
/// );
/// let judged = apply(clean, &Policy::default(), 0);
/// assert!(judged.policy.unwrap().passed);
/// ```
pub fn apply(report: ScanReport, policy: &Policy, now: i64) -> ScanReport {
    let today = now.div_euclid(86_400);
    let skip_dirs = ignores::glob_set(&policy.skip_dirs);
    let mut used = vec![false; policy.ignores.len()];
    let mut suppressed = Vec::new();
    let mut annotations = Vec::new();
    let digests = report_digests(&report);
    // Decide for every finding; `keep[scanner][i]` says whether finding i stays.
    let mut decide = |v: View<'_>| -> bool {
        if let Some(by) = filtered(policy, &skip_dirs, &v) {
            suppressed.push(Suppression {
                finding: v.finding,
                by,
            });
            return false;
        }
        for (i, ig) in policy.ignores.iter().enumerate() {
            if ig.matches(&v) {
                used[i] = true;
                if !ig.expired(today) {
                    suppressed.push(Suppression {
                        finding: v.finding,
                        by: SuppressedBy::Ignore {
                            source: ig.source.clone(),
                            reason: ig.reason.clone(),
                            expires: ig.expires_text(),
                        },
                    });
                    return false;
                }
            }
        }
        if v.finding.scanner == Scanner::Vuln {
            for st in &policy.vex {
                if st.matches(&v, &digests) {
                    if st.status.suppresses() {
                        suppressed.push(Suppression {
                            finding: v.finding,
                            by: SuppressedBy::Vex {
                                source: st.source.clone(),
                                statement: st.id.clone(),
                                status: st.status.to_string(),
                                justification: st.justification.clone(),
                            },
                        });
                        return false;
                    }
                    annotations.push(hull_types::Annotation {
                        finding: v.finding.clone(),
                        source: st.source.clone(),
                        status: st.status.to_string(),
                        note: st.justification.clone(),
                    });
                }
            }
        }
        true
    };
    // The packages a vulnerability can be about, by (kind, name, version); several copies
    // (two paths) are told apart by the finding's location.
    let mut by_identity: BTreeMap<(hull_types::PackageKind, &str, &str), Vec<&Package>> =
        BTreeMap::new();
    for p in &report.packages {
        by_identity
            .entry((p.kind, p.name.as_str(), p.version.as_str()))
            .or_default()
            .push(p);
    }
    let package_of = |v: &hull_types::Vulnerability| {
        by_identity
            .get(&(v.kind, v.package.as_str(), v.version.as_str()))?
            .iter()
            .copied()
            .find(|p| {
                v.location
                    .as_ref()
                    .is_none_or(|l| l.path == p.location.path)
            })
    };
    let keep_v: Vec<bool> = report
        .vulnerabilities
        .iter()
        .map(|v| {
            let package = package_of(v);
            let purl =
                package.and_then(|p| hull_types::Purl::parse(&p.purl(report.image.os.as_ref()).0));
            let mut ids = vec![v.id.as_str()];
            ids.extend(v.aliases.iter().map(String::as_str));
            ids.extend(v.advisories.iter().map(String::as_str));
            decide(View {
                finding: FindingRef {
                    scanner: Scanner::Vuln,
                    id: v.id.clone(),
                    target: format!("{} {}", v.package, v.version),
                    severity: v.level(),
                },
                ids,
                package,
                purl,
                path: v.location.as_ref().map(|l| l.path.as_str()),
                layer: v.location.as_ref().and_then(|l| l.layer.as_ref()),
                fingerprint: None,
                fixable: v.fixed.is_some(),
            })
        })
        .collect();
    let keep_m: Vec<bool> = report
        .misconfigurations
        .iter()
        .map(|m| {
            decide(View {
                finding: FindingRef {
                    scanner: Scanner::Misconfig,
                    id: m.check.clone(),
                    target: m.target.clone(),
                    severity: m.severity,
                },
                ids: vec![m.check.as_str()],
                package: None,
                purl: None,
                path: Some(m.target.as_str()),
                layer: None,
                fingerprint: None,
                fixable: true,
            })
        })
        .collect();
    let keep_s: Vec<bool> = report
        .secrets
        .iter()
        .map(|s| {
            decide(View {
                finding: FindingRef {
                    scanner: Scanner::Secret,
                    id: s.rule.clone(),
                    target: s.target.clone(),
                    severity: s.severity,
                },
                ids: vec![s.rule.as_str()],
                package: None,
                purl: None,
                path: Some(s.target.as_str()),
                layer: s.layer.as_ref().map(|l| &l.diff_id),
                fingerprint: Some(s.fingerprint.as_str()),
                fixable: true,
            })
        })
        .collect();
    let keep_d: Vec<bool> = report
        .detections
        .iter()
        .map(|d| {
            decide(View {
                finding: FindingRef {
                    scanner: d.kind.scanner(),
                    id: d.rule.clone(),
                    target: d.target.clone(),
                    severity: d.severity,
                },
                ids: vec![d.rule.as_str()],
                package: None,
                purl: None,
                path: Some(d.target.split('!').next().unwrap_or(&d.target)),
                layer: d.layer.as_ref().map(|l| &l.diff_id),
                fingerprint: None,
                fixable: true,
            })
        })
        .collect();
    // Every finding decided: the report is taken apart, not copied.
    let (image, mut parts) = report.into_parts();
    retain(&mut parts.vulnerabilities, &keep_v);
    retain(&mut parts.misconfigurations, &keep_m);
    retain(&mut parts.secrets, &keep_s);
    retain(&mut parts.detections, &keep_d);
    let shown = ScanReport::new(image, parts);

    let mut failures = failures(&shown, &policy.fail_on);
    for p in &shown.packages {
        if let Some(why) = policy.license.refuses(&p.licenses) {
            failures.push(FindingRef {
                scanner: Scanner::License,
                id: why,
                target: format!("{} {}", p.name, p.version),
                severity: Severity::High,
            });
        }
    }
    failures.sort();
    failures.dedup();
    let ignores = policy
        .ignores
        .iter()
        .zip(&used)
        .filter_map(|(ig, used)| {
            let status = if ig.expired(today) {
                IgnoreStatus::Expired
            } else if !used {
                IgnoreStatus::Unused
            } else {
                return None;
            };
            Some(IgnoreNote {
                source: ig.source.clone(),
                names: ig.names(),
                status,
            })
        })
        .collect::<Vec<_>>();
    let passed = failures.is_empty();
    let summary = summary(&failures, &policy.fail_on, &suppressed, &ignores);
    shown.with_policy(PolicyResult {
        passed,
        exit_code: if passed { 0 } else { policy.exit_code },
        summary,
        failures,
        suppressed,
        annotations,
        ignores,
    })
}

/// Keeps the items whose `keep` is true (items and flags in the same order).
fn retain<T>(v: &mut Vec<T>, keep: &[bool]) {
    let mut k = keep.iter();
    v.retain(|_| *k.next().unwrap_or(&true));
}

/// The image's own identities, for VEX products: manifest digest and image id.
fn report_digests(report: &ScanReport) -> Vec<String> {
    [&report.image.manifest_digest, &report.image.image_id]
        .into_iter()
        .flatten()
        .map(|d| d.to_string())
        .collect()
}

/// The filter that hides a finding, if one does.
fn filtered(policy: &Policy, skip_dirs: &globset::GlobSet, v: &View<'_>) -> Option<SuppressedBy> {
    let f = |filter: &str| {
        Some(SuppressedBy::Filter {
            filter: filter.to_string(),
        })
    };
    if let Some(levels) = &policy.severities {
        if !levels.contains(&v.finding.severity) {
            return f("severity");
        }
    }
    if policy.fixable_only && v.finding.scanner == Scanner::Vuln && !v.fixable {
        return f("ignore-unfixed");
    }
    if v.finding.scanner == Scanner::Misconfig && policy.skip_checks.contains(&v.finding.id) {
        return f("skip-checks");
    }
    if let Some(p) = v.path {
        if !skip_dirs.is_empty() && skip_dirs.is_match(p.trim_start_matches('/')) {
            return f("skip-dirs");
        }
    }
    None
}

/// The findings of a report that fail these thresholds, sorted.
pub fn failures(report: &ScanReport, fail_on: &BTreeMap<Scanner, Threshold>) -> Vec<FindingRef> {
    let fails = |sc: Scanner, s: Severity| fail_on.get(&sc).is_some_and(|t| t.fails(s));
    let mut out = Vec::new();
    for v in report
        .vulnerabilities
        .iter()
        .filter(|v| fails(Scanner::Vuln, v.level()))
    {
        out.push(FindingRef {
            scanner: Scanner::Vuln,
            id: v.id.clone(),
            target: format!("{} {}", v.package, v.version),
            severity: v.level(),
        });
    }
    for m in report
        .misconfigurations
        .iter()
        .filter(|m| fails(Scanner::Misconfig, m.severity))
    {
        out.push(FindingRef {
            scanner: Scanner::Misconfig,
            id: m.check.clone(),
            target: m.target.clone(),
            severity: m.severity,
        });
    }
    for s in report
        .secrets
        .iter()
        .filter(|s| fails(Scanner::Secret, s.severity))
    {
        out.push(FindingRef {
            scanner: Scanner::Secret,
            id: s.rule.clone(),
            target: s.target.clone(),
            severity: s.severity,
        });
    }
    for d in report
        .detections
        .iter()
        .filter(|d| fails(d.kind.scanner(), d.severity))
    {
        out.push(FindingRef {
            scanner: d.kind.scanner(),
            id: d.rule.clone(),
            target: d.target.clone(),
            severity: d.severity,
        });
    }
    out.sort();
    out
}

/// "failed: 3 critical vulnerabilities over threshold high; 2 ignored (1 expired)".
fn summary(
    failures: &[FindingRef],
    fail_on: &BTreeMap<Scanner, Threshold>,
    suppressed: &[Suppression],
    ignores: &[IgnoreNote],
) -> String {
    let mut s = if failures.is_empty() {
        if fail_on.is_empty() {
            "passed: no policy threshold set".to_string()
        } else {
            "passed: no finding over a threshold".to_string()
        }
    } else {
        // Per scanner and severity, most severe first.
        let mut groups: BTreeMap<(Scanner, std::cmp::Reverse<Severity>), usize> = BTreeMap::new();
        for f in failures {
            *groups
                .entry((f.scanner, std::cmp::Reverse(f.severity)))
                .or_default() += 1;
        }
        let parts: Vec<String> = groups
            .iter()
            .map(|((sc, std::cmp::Reverse(sev)), n)| match fail_on.get(sc) {
                Some(t) => format!("{n} {sev} {} over threshold {t}", noun(*sc, *n)),
                None => format!("{n} {}", noun(*sc, *n)),
            })
            .collect();
        format!("failed: {}", parts.join(", "))
    };
    let ignored = suppressed
        .iter()
        .filter(|x| !matches!(x.by, SuppressedBy::Filter { .. }))
        .count();
    let expired = ignores
        .iter()
        .filter(|i| i.status == IgnoreStatus::Expired)
        .count();
    let unused = ignores.len() - expired;
    if ignored > 0 || expired > 0 || unused > 0 {
        let mut notes = vec![];
        if expired > 0 {
            notes.push(format!("{expired} expired"));
        }
        if unused > 0 {
            notes.push(format!("{unused} unused"));
        }
        s.push_str(&format!("; {ignored} ignored"));
        if !notes.is_empty() {
            s.push_str(&format!(" ({})", notes.join(", ")));
        }
    }
    s
}

fn noun(sc: Scanner, n: usize) -> &'static str {
    match (sc, n == 1) {
        (Scanner::Vuln, true) => "vulnerability",
        (Scanner::Vuln, false) => "vulnerabilities",
        (Scanner::Secret, true) => "secret",
        (Scanner::Secret, false) => "secrets",
        (Scanner::Misconfig, true) => "misconfiguration",
        (Scanner::Misconfig, false) => "misconfigurations",
        (Scanner::Malware, true) => "malware detection",
        (Scanner::Malware, false) => "malware detections",
        (Scanner::Ioc, true) => "indicator of compromise",
        (Scanner::Ioc, false) => "indicators of compromise",
        (Scanner::License, true) => "package with a refused licence",
        (Scanner::License, false) => "packages with a refused licence",
    }
}
