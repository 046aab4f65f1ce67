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

/// Whether `id` is one of the SPDX identifiers hull produces (so it can go into an SBOM's
/// licence `id` field rather than `name`).
pub fn is_known_spdx_id(id: &str) -> bool {
    DEBIAN_TO_SPDX.iter().any(|(_, s)| *s == id)
}

#[cfg(test)]
mod tests {
    use super::*;

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
