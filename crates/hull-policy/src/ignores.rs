//! Ignores: accepted findings, each with a reason and perhaps an expiry date. An ignore
//! names a finding by any of its ids (CVE, GHSA, distro id, check, rule), a package (by name
//! or purl, optionally a version range in the package's own version order), a path glob, a
//! layer, or a secret's fingerprint; every criterion it gives must hold.

use globset::{Glob, GlobSet, GlobSetBuilder};
use hull_types::{Digest, PurlParts};
use hull_version::Version;

use crate::View;

/// How an ignore names a package.
#[derive(Clone, Debug)]
pub enum PackageMatch {
    /// By name (`openssl`).
    Name(String),
    /// By purl: type, namespace and name must match; a version or qualifiers, where the
    /// purl gives them, too.
    Purl(PurlParts),
}

/// One comparison of a version range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
}

/// A version range: comparisons joined by commas (`>=1.2, <1.4`), or one exact version.
/// Versions are compared in the package's own order (dpkg, PEP 440, SemVer, …) when it is
/// known, so `1.10 > 1.9` holds where it should.
#[derive(Clone, Debug)]
pub struct VersionRange {
    text: String,
    clauses: Vec<(Op, String)>,
}

impl VersionRange {
    /// Parses a range; an error says which clause is not one.
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut clauses = Vec::new();
        for c in s.split(',').map(str::trim) {
            let (op, v) = if let Some(v) = c.strip_prefix("<=") {
                (Op::Le, v)
            } else if let Some(v) = c.strip_prefix(">=") {
                (Op::Ge, v)
            } else if let Some(v) = c.strip_prefix('<') {
                (Op::Lt, v)
            } else if let Some(v) = c.strip_prefix('>') {
                (Op::Gt, v)
            } else if let Some(v) = c.strip_prefix('=') {
                (Op::Eq, v.trim_start_matches('='))
            } else {
                (Op::Eq, c)
            };
            let v = v.trim();
            if v.is_empty() {
                return Err(format!("{c:?} names no version"));
            }
            clauses.push((op, v.to_string()));
        }
        Ok(VersionRange {
            text: s.to_string(),
            clauses,
        })
    }

    /// Whether `version` of a package of `kind` is in the range. A version that does not
    /// parse in the package's order is compared as text for `=` only, and is outside any
    /// other range (an ignore never widens by accident).
    fn contains(&self, kind: hull_types::PackageKind, version: &str) -> bool {
        let scheme = hull_match::scheme(kind);
        let parsed: Option<Version> = scheme.parse(version).ok();
        self.clauses.iter().all(|(op, bound)| {
            let b = scheme.parse(bound).ok();
            match (&parsed, &b) {
                (Some(v), Some(b)) => match op {
                    Op::Lt => v < b,
                    Op::Le => v <= b,
                    Op::Gt => v > b,
                    Op::Ge => v >= b,
                    Op::Eq => v == b,
                },
                _ => *op == Op::Eq && version == bound,
            }
        })
    }
}

/// One accepted finding (or set of findings).
#[derive(Clone, Debug)]
pub struct Ignore {
    /// Where it was written: `hull.toml:12`, `.hullignore:3`.
    pub source: String,
    /// An id of the finding: vulnerability id or alias, check id, secret or YARA rule.
    pub id: Option<String>,
    /// The package a vulnerability is in.
    pub package: Option<PackageMatch>,
    /// The package versions it covers.
    pub version: Option<VersionRange>,
    /// A glob over the finding's file (`/usr/lib/**`, `testdata/**`).
    pub path: Option<String>,
    /// The layer holding the finding.
    pub layer: Option<Digest>,
    /// A secret's fingerprint.
    pub fingerprint: Option<String>,
    /// Why the finding is accepted (required in policy files).
    pub reason: String,
    /// The last day (days since the epoch) it applies; it is expired the day after.
    pub expires: Option<i64>,
    pub(crate) path_glob: Option<globset::GlobMatcher>,
}

impl Ignore {
    /// An ignore of the given criteria; `path` must be a valid glob.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        source: String,
        id: Option<String>,
        package: Option<PackageMatch>,
        version: Option<VersionRange>,
        path: Option<String>,
        layer: Option<Digest>,
        fingerprint: Option<String>,
        reason: String,
        expires: Option<i64>,
    ) -> Result<Self, String> {
        let path_glob = path
            .as_deref()
            .map(|p| {
                Glob::new(p.trim_start_matches('/'))
                    .map(|g| g.compile_matcher())
                    .map_err(|e| format!("{p:?} is not a glob: {e}"))
            })
            .transpose()?;
        if id.is_none()
            && package.is_none()
            && path.is_none()
            && layer.is_none()
            && fingerprint.is_none()
        {
            return Err(
                "an ignore must name an id, a package, a path, a layer or a fingerprint".into(),
            );
        }
        if version.is_some() && package.is_none() {
            return Err("`version` needs `package`".into());
        }
        Ok(Ignore {
            source,
            id,
            package,
            version,
            path,
            layer,
            fingerprint,
            reason,
            expires,
            path_glob,
        })
    }

    /// Whether its date has passed on `today` (days since the epoch).
    pub fn expired(&self, today: i64) -> bool {
        self.expires.is_some_and(|d| today > d)
    }

    /// The expiry as `YYYY-MM-DD`.
    pub fn expires_text(&self) -> Option<String> {
        self.expires
            .map(|d| hull_types::time::rfc3339(d * 86_400)[..10].to_string())
    }

    /// What it names, for reports.
    pub fn names(&self) -> String {
        let mut parts = vec![];
        if let Some(i) = &self.id {
            parts.push(i.clone());
        }
        match &self.package {
            Some(PackageMatch::Name(n)) => parts.push(format!("package {n}")),
            Some(PackageMatch::Purl(p)) => parts.push(format!("package {}", p.name)),
            None => {}
        }
        if let Some(v) = &self.version {
            parts.push(format!("version {}", v.text));
        }
        if let Some(p) = &self.path {
            parts.push(format!("path {p}"));
        }
        if let Some(l) = &self.layer {
            parts.push(format!("layer {l}"));
        }
        if let Some(f) = &self.fingerprint {
            parts.push(format!("fingerprint {f}"));
        }
        parts.join(", ")
    }

    /// Whether every criterion holds for this finding.
    pub(crate) fn matches(&self, v: &View<'_>) -> bool {
        if let Some(id) = &self.id {
            if !v.ids.iter().any(|i| i.eq_ignore_ascii_case(id)) {
                return false;
            }
        }
        if let Some(pm) = &self.package {
            let Some(pkg) = v.package else { return false };
            let ok = match pm {
                PackageMatch::Name(n) => &pkg.name == n,
                PackageMatch::Purl(want) => {
                    v.purl.as_ref().is_some_and(|have| purl_covers(want, have))
                }
            };
            if !ok {
                return false;
            }
            if let Some(r) = &self.version {
                if !r.contains(pkg.kind, &pkg.version) {
                    return false;
                }
            }
        }
        if let Some(g) = &self.path_glob {
            if !v
                .path
                .is_some_and(|p| g.is_match(p.trim_start_matches('/')))
            {
                return false;
            }
        }
        if let Some(l) = &self.layer {
            if v.layer != Some(l) {
                return false;
            }
        }
        if let Some(f) = &self.fingerprint {
            if v.fingerprint != Some(f.as_str()) {
                return false;
            }
        }
        true
    }
}

/// Whether the purl `want` (from a policy or VEX document) names the package whose purl is
/// `have`: type, namespace and name equal; version and each qualifier equal where `want`
/// gives them.
pub(crate) fn purl_covers(want: &PurlParts, have: &PurlParts) -> bool {
    want.ty == have.ty
        && want.namespace == have.namespace
        && want.name == have.name
        && want
            .version
            .as_ref()
            .is_none_or(|v| have.version.as_ref() == Some(v))
        && want
            .qualifiers
            .iter()
            .all(|(k, val)| have.qualifier(k) == Some(val.as_str()))
}

/// The `--skip-dirs` globs as one set (patterns are relative: a leading `/` is dropped; a
/// directory also covers everything under it). Invalid patterns were refused when the
/// policy was built.
pub(crate) fn glob_set(patterns: &[String]) -> GlobSet {
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        let p = p.trim_start_matches('/').trim_end_matches('/');
        for pat in [p.to_string(), format!("{p}/**")] {
            if let Ok(g) = Glob::new(&pat) {
                b.add(g);
            }
        }
    }
    b.build().unwrap_or_else(|_| GlobSet::empty())
}

/// Checks a `--skip-dirs` pattern.
pub fn check_glob(p: &str) -> Result<(), String> {
    Glob::new(p.trim_start_matches('/'))
        .map(|_| ())
        .map_err(|e| format!("{p:?} is not a glob: {e}"))
}
