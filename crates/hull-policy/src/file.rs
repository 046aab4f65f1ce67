//! `hull.toml`: the policy file. Read once, validated into a [`Policy`]; every mistake is a
//! [`PolicyError`] naming the file, line, column and key.
//!
//! ```toml
//! exit_code = 1                    # the exit code of a failed report
//! skip_dirs = ["testdata/**"]      # findings in these files are not shown
//! vex = ["vex.openvex.json"]       # VEX documents, relative to this file
//!
//! [vulnerability]
//! fail_on = "high"                 # any, never, or a level
//! fixable_only = false
//! severities = ["high", "critical"]  # shown levels (every scanner)
//!
//! [secret]
//! fail_on = "any"
//! [malware]                        # malware and IoCs fail on any finding unless set
//! fail_on = "any"
//! [misconfig]
//! fail_on = "critical"
//! skip_checks = ["image-healthcheck-missing"]
//!
//! [license]                        # SPDX ids or classes: permissive, copyleft,
//! deny = ["network-copyleft", "unknown"]   # network-copyleft, unknown
//!
//! [admission]                     # the cluster's webhook (see `admission`)
//! mode = "enforce"
//!
//! [[ignore]]
//! id = "CVE-2023-5678"             # or any alias, a check id, a rule id
//! package = "openssl"              # or a purl: pkg:deb/debian/openssl
//! version = "<3.0.14"
//! reason = "not reachable: no TLS server in this image"
//! expires = 2027-01-31             # applies through this day
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::path::{Path, PathBuf};

use hull_types::{Digest, Purl, Scanner, Severity};
use serde::Deserialize;
use toml::Spanned;

use crate::ignores::{check_glob, Ignore, PackageMatch, VersionRange};
use crate::{Policy, PolicyError, Threshold};

/// Policy files larger than this are refused (a policy is a page, not a data set).
const MAX_POLICY: u64 = 4 << 20;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    exit_code: Option<Spanned<i64>>,
    #[serde(default)]
    skip_dirs: Vec<Spanned<String>>,
    #[serde(default)]
    vex: Vec<Spanned<String>>,
    vulnerability: Option<RawVuln>,
    secret: Option<RawScanner>,
    malware: Option<RawScanner>,
    ioc: Option<RawScanner>,
    misconfig: Option<RawMisconfig>,
    license: Option<RawLicense>,
    admission: Option<crate::admission::RawAdmission>,
    #[serde(default)]
    ignore: Vec<Spanned<RawIgnore>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLicense {
    #[serde(default)]
    allow: Vec<Spanned<String>>,
    #[serde(default)]
    deny: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVuln {
    fail_on: Option<Spanned<String>>,
    #[serde(default)]
    fixable_only: bool,
    severities: Option<Vec<Spanned<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScanner {
    fail_on: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMisconfig {
    fail_on: Option<Spanned<String>>,
    #[serde(default)]
    skip_checks: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIgnore {
    id: Option<String>,
    check: Option<String>,
    package: Option<Spanned<String>>,
    version: Option<Spanned<String>>,
    path: Option<Spanned<String>>,
    layer: Option<Spanned<String>>,
    fingerprint: Option<String>,
    reason: Option<String>,
    expires: Option<Spanned<toml::Value>>,
}

/// What a policy file adds to a [`Policy`]: everything in it, and the VEX documents it
/// names, resolved against its directory.
#[derive(Debug)]
pub struct PolicyFile {
    /// The policy.
    pub policy: Policy,
    /// VEX documents to read, relative paths resolved.
    pub vex: Vec<PathBuf>,
    /// The `[admission]` section (its defaults when absent).
    pub admission: crate::admission::Admission,
}

/// Reads and validates `path`.
pub fn load(path: &Path) -> Result<PolicyFile, PolicyError> {
    let (shown, text) = crate::error::read_text(path, MAX_POLICY)?;
    let base = path.parent().unwrap_or(Path::new("."));
    parse(&shown, &text, base)
}

/// Validates a policy file's text; `base` resolves the VEX paths it names.
pub fn parse(file: &str, text: &str, base: &Path) -> Result<PolicyFile, PolicyError> {
    let raw: RawPolicy = toml::from_str(text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        PolicyError::at(file, text, span, None, e.message().trim())
    })?;
    let err = |span: Range<usize>, field: &str, msg: String| {
        PolicyError::at(file, text, span, Some(field), msg)
    };
    let threshold = |s: &Option<Spanned<String>>, field: &str| {
        s.as_ref()
            .map(|s| Threshold::parse(s.get_ref()).map_err(|m| err(s.span(), field, m)))
            .transpose()
    };
    let mut policy = Policy::default();
    if let Some(code) = &raw.exit_code {
        policy.exit_code = u8::try_from(*code.get_ref())
            .ok()
            .filter(|c| (1..=255).contains(c) && *c != 2 && *c != 3)
            .ok_or_else(|| {
                err(
                    code.span(),
                    "exit_code",
                    "must be 1 or 4–255 (0 passes, 2 and 3 mean usage and input errors)".into(),
                )
            })?;
    }
    // Malware and IoC findings fail a report by default once a policy file is in use.
    policy.fail_on.insert(Scanner::Malware, Threshold::Any);
    policy.fail_on.insert(Scanner::Ioc, Threshold::Any);
    let mut set = |sc: Scanner, t: Option<Option<Threshold>>| match t {
        Some(Some(t)) => {
            policy.fail_on.insert(sc, t);
        }
        Some(None) => {
            policy.fail_on.remove(&sc);
        }
        None => {}
    };
    if let Some(v) = &raw.vulnerability {
        set(
            Scanner::Vuln,
            threshold(&v.fail_on, "vulnerability.fail_on")?,
        );
    }
    if let Some(s) = &raw.secret {
        set(Scanner::Secret, threshold(&s.fail_on, "secret.fail_on")?);
    }
    if let Some(m) = &raw.malware {
        let t = threshold(&m.fail_on, "malware.fail_on")?;
        set(Scanner::Malware, t);
        if raw.ioc.is_none() {
            set(Scanner::Ioc, t);
        }
    }
    if let Some(i) = &raw.ioc {
        set(Scanner::Ioc, threshold(&i.fail_on, "ioc.fail_on")?);
    }
    if let Some(m) = &raw.misconfig {
        set(
            Scanner::Misconfig,
            threshold(&m.fail_on, "misconfig.fail_on")?,
        );
        policy.skip_checks = m.skip_checks.iter().cloned().collect();
    }
    if let Some(v) = &raw.vulnerability {
        policy.fixable_only = v.fixable_only;
        if let Some(list) = &v.severities {
            let mut levels = BTreeSet::new();
            for l in list {
                let s = Severity::parse_level(l.get_ref()).ok_or_else(|| {
                    err(
                        l.span(),
                        "vulnerability.severities",
                        format!(
                            "{:?} is not a level (unknown, low, medium, high, critical)",
                            l.get_ref()
                        ),
                    )
                })?;
                levels.insert(s);
            }
            policy.severities = Some(levels);
        }
    }
    if let Some(l) = &raw.license {
        for (list, out, field) in [
            (&l.allow, &mut policy.license.allow, "license.allow"),
            (&l.deny, &mut policy.license.deny, "license.deny"),
        ] {
            for r in list {
                out.push(
                    crate::LicenseRule::parse(r.get_ref()).map_err(|m| err(r.span(), field, m))?,
                );
            }
        }
    }
    for d in &raw.skip_dirs {
        check_glob(d.get_ref()).map_err(|m| err(d.span(), "skip_dirs", m))?;
        policy.skip_dirs.push(d.get_ref().clone());
    }
    for ig in &raw.ignore {
        policy.ignores.push(ignore(file, text, ig)?);
    }
    let vex = raw.vex.iter().map(|v| base.join(v.get_ref())).collect();
    let admission = match &raw.admission {
        Some(a) => a
            .validate(base)
            .map_err(|(span, field, msg)| err(span, &field, msg))?,
        None => Default::default(),
    };
    Ok(PolicyFile {
        policy,
        vex,
        admission,
    })
}

fn ignore(file: &str, text: &str, spanned: &Spanned<RawIgnore>) -> Result<Ignore, PolicyError> {
    let raw = spanned.get_ref();
    let at = spanned.span();
    let err = |span: Range<usize>, field: &str, msg: String| {
        PolicyError::at(file, text, span, Some(field), msg)
    };
    let line = PolicyError::at(file, text, at.clone(), None, "").line;
    let source = format!("{file}:{line}");
    let reason = raw
        .reason
        .clone()
        .filter(|r| !r.trim().is_empty())
        .ok_or_else(|| err(at.clone(), "reason", "every ignore needs a reason".into()))?;
    if raw.id.is_some() && raw.check.is_some() {
        return Err(err(
            at.clone(),
            "check",
            "give `id` or `check`, not both".into(),
        ));
    }
    let package = raw
        .package
        .as_ref()
        .map(|p| {
            let s = p.get_ref();
            if s.starts_with("pkg:") {
                Purl::parse(s)
                    .map(PackageMatch::Purl)
                    .ok_or_else(|| err(p.span(), "package", format!("{s:?} is not a purl")))
            } else {
                Ok(PackageMatch::Name(s.clone()))
            }
        })
        .transpose()?;
    let version = raw
        .version
        .as_ref()
        .map(|v| VersionRange::parse(v.get_ref()).map_err(|m| err(v.span(), "version", m)))
        .transpose()?;
    let layer = raw
        .layer
        .as_ref()
        .map(|l| {
            l.get_ref()
                .parse::<Digest>()
                .map_err(|e| err(l.span(), "layer", e.to_string()))
        })
        .transpose()?;
    let expires = raw
        .expires
        .as_ref()
        .map(|e| {
            let s = match e.get_ref() {
                toml::Value::String(s) => s.clone(),
                toml::Value::Datetime(d) => d.to_string(),
                _ => String::from("(not a date)"),
            };
            hull_types::time::parse_date(&s).ok_or_else(|| {
                err(
                    e.span(),
                    "expires",
                    format!("{s:?} is not a date (YYYY-MM-DD)"),
                )
            })
        })
        .transpose()?;
    let path_span = raw.path.as_ref().map(|p| p.span()).unwrap_or(at.clone());
    Ignore::new(
        source,
        raw.id.clone().or(raw.check.clone()),
        package,
        version,
        raw.path.as_ref().map(|p| p.get_ref().clone()),
        layer,
        raw.fingerprint.clone(),
        reason,
        expires,
    )
    .map_err(|m| {
        let span = if m.contains("glob") {
            path_span.clone()
        } else {
            at.clone()
        };
        err(span, "ignore", m)
    })
}

/// Finds `hull.toml` in `dir` (the current directory when the user names none).
pub fn find(dir: &Path) -> Option<PathBuf> {
    let p = dir.join("hull.toml");
    p.is_file().then_some(p)
}

/// Thresholds a policy file leaves to the command line: used by front-ends that merge
/// `--fail-on` over a file.
pub fn merge_fail_on(policy: &mut Policy, flags: &BTreeMap<Scanner, Threshold>) {
    for (sc, t) in flags {
        policy.fail_on.insert(*sc, *t);
    }
}
