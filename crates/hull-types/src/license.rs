//! Licence names: Debian's DEP-5 short names mapped to SPDX identifiers, so SBOMs can carry
//! licence ids that downstream tools understand. Names without a mapping are kept as written.

/// DEP-5 (machine-readable debian/copyright) standard short names, and the names of
/// `/usr/share/common-licenses/*`, with their SPDX identifiers.
const DEBIAN_TO_SPDX: &[(&str, &str)] = &[
    ("AGPL-3", "AGPL-3.0-only"),
    ("AGPL-3+", "AGPL-3.0-or-later"),
    ("Apache-2", "Apache-2.0"),
    ("Apache-2.0", "Apache-2.0"),
    ("Artistic", "Artistic-1.0"),
    ("Artistic-2.0", "Artistic-2.0"),
    ("BSD", "BSD-3-Clause"),
    ("BSD-2-clause", "BSD-2-Clause"),
    ("BSD-3-clause", "BSD-3-Clause"),
    ("BSD-4-clause", "BSD-4-Clause"),
    ("BSD-4-clause-UC", "BSD-4-Clause-UC"),
    ("CC0-1.0", "CC0-1.0"),
    ("Expat", "MIT"),
    ("GFDL-1.2", "GFDL-1.2-only"),
    ("GFDL-1.2+", "GFDL-1.2-or-later"),
    ("GFDL-1.3", "GFDL-1.3-only"),
    ("GFDL-1.3+", "GFDL-1.3-or-later"),
    ("GFDL-NIV-1.3", "GFDL-1.3-no-invariants-only"),
    ("GFDL-NIV-1.3+", "GFDL-1.3-no-invariants-or-later"),
    ("GPL-1", "GPL-1.0-only"),
    ("GPL-1+", "GPL-1.0-or-later"),
    ("GPL-2", "GPL-2.0-only"),
    ("GPL-2+", "GPL-2.0-or-later"),
    ("GPL-3", "GPL-3.0-only"),
    ("GPL-3+", "GPL-3.0-or-later"),
    ("ISC", "ISC"),
    ("LGPL-2", "LGPL-2.0-only"),
    ("LGPL-2+", "LGPL-2.0-or-later"),
    ("LGPL-2.1", "LGPL-2.1-only"),
    ("LGPL-2.1+", "LGPL-2.1-or-later"),
    ("LGPL-3", "LGPL-3.0-only"),
    ("LGPL-3+", "LGPL-3.0-or-later"),
    ("MIT", "MIT"),
    ("MPL-1.1", "MPL-1.1"),
    ("MPL-2.0", "MPL-2.0"),
    ("OpenSSL", "OpenSSL"),
    ("PSF-2", "PSF-2.0"),
    ("Python-2.0", "Python-2.0"),
    ("Zlib", "Zlib"),
];

/// The SPDX identifier for a Debian licence short name (case-insensitive), if there is one.
pub fn spdx_from_debian(short: &str) -> Option<&'static str> {
    DEBIAN_TO_SPDX
        .iter()
        .find(|(d, _)| d.eq_ignore_ascii_case(short))
        .map(|(_, s)| *s)
}

/// Whether `id` is an SPDX licence identifier (so it can go into an SBOM's licence `id`
/// field rather than `name`).
pub fn is_known_spdx_id(id: &str) -> bool {
    DEBIAN_TO_SPDX.iter().any(|(_, s)| *s == id)
        || spdx::license_id(id).is_some_and(|l| l.name == id)
}

/// One declared licence as an SPDX expression (`Apache 2.0` → `Apache-2.0`, `GPLv2+` →
/// `GPL-2.0-or-later`, `MIT/X11` → `MIT OR X11`), or `None` when it is not one: a free-text
/// licence stays as written and is "unknown" to the policy.
///
/// ```
/// use hull_types::license::spdx_expression;
/// assert_eq!(spdx_expression("apache2"), Some("Apache-2.0".to_string()));
/// assert_eq!(spdx_expression("MIT OR Apache-2.0"), Some("MIT OR Apache-2.0".to_string()));
/// assert_eq!(spdx_expression("see LICENSE.txt"), None);
/// ```
pub fn spdx_expression(raw: &str) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty() || raw.len() > 1024 {
        return None;
    }
    // DEP-5 writes compounds with its own short names (`GPL-3+ or BSD-3-clause`): each
    // name is mapped before the expression is read.
    let mapped: Vec<&str> = raw
        .split_whitespace()
        .map(|t| spdx_from_debian(t).unwrap_or(t))
        .collect();
    let raw = mapped.join(" ");
    let canon = spdx::Expression::canonicalize(&raw)
        .ok()?
        .unwrap_or_else(|| raw.clone());
    spdx::Expression::parse(&canon).ok().map(|_| canon)
}

/// A package's declared licences as one SPDX expression, when every one is one (several are
/// joined with `AND`: the package carries them all); `None` when none is declared or any is
/// not SPDX.
pub fn package_expression(licenses: &[String]) -> Option<String> {
    let parts: Vec<String> = licenses
        .iter()
        .map(|l| spdx_expression(l))
        .collect::<Option<Vec<_>>>()?;
    let mut parts: Vec<String> = parts
        .into_iter()
        .map(|p| {
            if p.contains(' ') && licenses.len() > 1 {
                format!("({p})")
            } else {
                p
            }
        })
        .collect();
    parts.sort();
    parts.dedup();
    (!parts.is_empty()).then(|| parts.join(" AND "))
}

/// What a licence obliges, as licence policies group them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LicenseClass {
    /// No copyleft obligation (MIT, Apache-2.0, BSD, …).
    Permissive,
    /// Copyleft: distributing the work passes the licence on (GPL, LGPL, MPL, EPL, …).
    Copyleft,
    /// Copyleft that reaches users over a network, not only recipients of copies (AGPL,
    /// SSPL, OSL, EUPL, …).
    NetworkCopyleft,
    /// Not an SPDX licence, or none declared.
    Unknown,
}

impl LicenseClass {
    /// The class of one SPDX licence id.
    pub fn of_id(id: &str) -> Self {
        const NETWORK: &[&str] = &["AGPL-", "SSPL-", "OSL-", "EUPL-", "CPAL-", "RPL-"];
        match spdx::license_id(id) {
            None => LicenseClass::Unknown,
            Some(_) if NETWORK.iter().any(|p| id.starts_with(p)) => LicenseClass::NetworkCopyleft,
            Some(l) if l.is_copyleft() => LicenseClass::Copyleft,
            Some(_) => LicenseClass::Permissive,
        }
    }

    /// The name policies use: `permissive`, `copyleft`, `network-copyleft`, `unknown`.
    pub fn as_str(self) -> &'static str {
        match self {
            LicenseClass::Permissive => "permissive",
            LicenseClass::Copyleft => "copyleft",
            LicenseClass::NetworkCopyleft => "network-copyleft",
            LicenseClass::Unknown => "unknown",
        }
    }

    /// Parses a class name.
    pub fn parse(s: &str) -> Option<Self> {
        [
            LicenseClass::Permissive,
            LicenseClass::Copyleft,
            LicenseClass::NetworkCopyleft,
            LicenseClass::Unknown,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }
}

/// Whether an SPDX expression can be satisfied choosing only licences `ok` accepts (an `OR`
/// needs one side; an `AND` both). Expressions that do not parse are not satisfied.
pub fn satisfiable(expression: &str, mut ok: impl FnMut(&str) -> bool) -> bool {
    let Ok(e) = spdx::Expression::parse(expression) else {
        return false;
    };
    e.evaluate(|req| match req.license.id() {
        Some(id) => ok(id.name),
        None => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions_are_normalised_and_classified() {
        assert_eq!(spdx_expression("GPL-2+"), Some("GPL-2.0-or-later".into()));
        assert_eq!(spdx_expression("MIT/X11"), Some("MIT OR X11".into()));
        assert_eq!(spdx_expression("Public Domain"), None);
        assert_eq!(
            spdx_expression("GPL-3+ or BSD-3-clause"),
            Some("GPL-3.0-or-later OR BSD-3-Clause".into())
        );
        assert_eq!(
            package_expression(&["MIT".into(), "Apache-2.0 OR MIT".into()]),
            Some("(Apache-2.0 OR MIT) AND MIT".into())
        );
        assert_eq!(package_expression(&["MIT".into(), "custom".into()]), None);
        assert_eq!(package_expression(&[]), None);
        assert_eq!(LicenseClass::of_id("MIT"), LicenseClass::Permissive);
        assert_eq!(LicenseClass::of_id("GPL-3.0-only"), LicenseClass::Copyleft);
        assert_eq!(
            LicenseClass::of_id("AGPL-3.0-or-later"),
            LicenseClass::NetworkCopyleft
        );
        assert_eq!(LicenseClass::of_id("Nonsense"), LicenseClass::Unknown);
        // MIT OR GPL is fine for a policy denying copyleft; MIT AND GPL is not.
        let no_copyleft = |id: &str| LicenseClass::of_id(id) == LicenseClass::Permissive;
        assert!(satisfiable("MIT OR GPL-3.0-only", no_copyleft));
        assert!(!satisfiable("MIT AND GPL-3.0-only", no_copyleft));
    }

    #[test]
    fn maps_dep5_names() {
        assert_eq!(spdx_from_debian("GPL-2+"), Some("GPL-2.0-or-later"));
        assert_eq!(spdx_from_debian("bsd-3-clause"), Some("BSD-3-Clause"));
        assert_eq!(spdx_from_debian("Expat"), Some("MIT"));
        assert_eq!(spdx_from_debian("public-domain"), None);
        assert!(is_known_spdx_id("LGPL-2.1-or-later"));
        assert!(!is_known_spdx_id("GPL-2+"));
    }
}
