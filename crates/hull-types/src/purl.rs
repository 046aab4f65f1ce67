//! Package URLs (purl spec): building them from packages, parsing those of SBOMs.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A package URL (<https://github.com/package-url/purl-spec>), already canonical.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Purl(pub String);

impl fmt::Display for Purl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The parts of a package URL, decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PurlParts {
    /// The purl type (`deb`, `npm`, …).
    pub ty: String,
    /// The namespace (`debian`, an npm scope, a Maven group).
    pub namespace: Option<String>,
    /// The name.
    pub name: String,
    /// The version.
    pub version: Option<String>,
    /// Sorted by key.
    pub qualifiers: Vec<(String, String)>,
}

impl PurlParts {
    /// The value of one qualifier (`arch`, `distro`, `upstream`).
    pub fn qualifier(&self, key: &str) -> Option<&str> {
        self.qualifiers
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

impl Purl {
    /// Parses a package URL (`pkg:type/namespace/name@version?qualifiers#subpath`), per the
    /// purl specification's parsing rules; `None` when it is not one.
    pub fn parse(s: &str) -> Option<PurlParts> {
        let rest = s.strip_prefix("pkg:")?.trim_start_matches('/');
        let rest = rest.split_once('#').map_or(rest, |(r, _)| r);
        let (rest, qs) = match rest.split_once('?') {
            Some((r, q)) => (r, Some(q)),
            None => (rest, None),
        };
        let (path, version) = match rest.rsplit_once('@') {
            Some((p, v)) => (p, Some(percent_decode(v)?)),
            None => (rest, None),
        };
        let mut segs: Vec<&str> = path.split('/').filter(|x| !x.is_empty()).collect();
        if segs.len() < 2 {
            return None;
        }
        let ty = segs.remove(0).to_ascii_lowercase();
        let name = percent_decode(segs.pop()?)?;
        let namespace = if segs.is_empty() {
            None
        } else {
            Some(
                segs.iter()
                    .map(|x| percent_decode(x))
                    .collect::<Option<Vec<_>>>()?
                    .join("/"),
            )
        };
        let mut qualifiers = Vec::new();
        for kv in qs.unwrap_or("").split('&').filter(|x| !x.is_empty()) {
            let (k, v) = kv.split_once('=')?;
            qualifiers.push((k.to_ascii_lowercase(), percent_decode(v)?));
        }
        qualifiers.sort();
        if name.is_empty() {
            return None;
        }
        Some(PurlParts {
            ty,
            namespace,
            name,
            version,
            qualifiers,
        })
    }
}

/// Percent-encodes one purl component.
///
/// The purl spec keeps ASCII letters, digits, `.`, `-`, `_`, `~` and the colon `:` as they are
/// ("whether used as a separator or otherwise") and encodes every other byte, so a Debian
/// version `1:2.36-9+deb12u4` becomes `1:2.36-9%2Bdeb12u4`.
pub fn purl_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' | b'~' | b':' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Percent-encodes everything but RFC 3986's unreserved characters (`A-Z a-z 0-9 - . _ ~`):
/// safe for one URL path segment or query value.
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Location, OsFamily, OsRelease, Package, PackageKind, SourcePackage};

    fn os(id: &str, v: &str) -> OsRelease {
        OsRelease {
            family: OsFamily::from_os_release_id(id),
            id: id.into(),
            version_id: Some(v.into()),
            version_codename: None,
            pretty_name: None,
            distroless: false,
        }
    }

    fn pkg(kind: PackageKind, name: &str, version: &str, epoch: Option<u32>) -> Package {
        Package {
            kind,
            name: name.into(),
            version: version.into(),
            arch: Some("amd64".into()),
            source: None,
            licenses: vec![],
            location: Location {
                path: "/x".into(),
                layer: None,
            },
            epoch,
            dev: false,
            direct: None,
            group_inferred: false,
        }
    }

    #[test]
    fn language_purls_follow_the_type_definitions() {
        let cases = [
            (
                PackageKind::Npm,
                "@babel/core",
                "7.23.0",
                "pkg:npm/%40babel/core@7.23.0",
            ),
            (
                PackageKind::Npm,
                "lodash",
                "4.17.21",
                "pkg:npm/lodash@4.17.21",
            ),
            (
                PackageKind::Python,
                "Django_Rest",
                "3.14.0",
                "pkg:pypi/django-rest@3.14.0",
            ),
            (
                PackageKind::Cargo,
                "serde",
                "1.0.0",
                "pkg:cargo/serde@1.0.0",
            ),
            (PackageKind::Gem, "rails", "7.1.0", "pkg:gem/rails@7.1.0"),
            (
                PackageKind::Go,
                "github.com/klauspost/cpuid/v2",
                "2.2.10",
                "pkg:golang/github.com/klauspost/cpuid/v2@v2.2.10",
            ),
            (
                PackageKind::Maven,
                "org.apache.commons:commons-lang3",
                "3.12.0",
                "pkg:maven/org.apache.commons/commons-lang3@3.12.0",
            ),
            (
                PackageKind::Composer,
                "Symfony/Console",
                "v6.4.0",
                "pkg:composer/symfony/console@v6.4.0",
            ),
        ];
        for (kind, name, version, want) in cases {
            let mut p = pkg(kind, name, version, None);
            p.arch = None;
            assert_eq!(p.purl(None).0, want);
            let parts = Purl::parse(want).unwrap();
            // Go module purls carry Go's `v`; hull stores versions as OSV does, without it.
            let purl_version = if kind == PackageKind::Go {
                format!("v{version}")
            } else {
                version.to_string()
            };
            assert_eq!(parts.version, Some(purl_version));
        }
    }

    #[test]
    fn parses_what_it_writes() {
        let mut p = pkg(PackageKind::Deb, "login", "1:4.13+dfsg1-1", None);
        p.source = Some(SourcePackage {
            name: "shadow".into(),
            version: "1:4.13+dfsg1-1".into(),
        });
        let parts = Purl::parse(&p.purl(Some(&os("debian", "12"))).0).unwrap();
        assert_eq!(parts.ty, "deb");
        assert_eq!(parts.namespace.as_deref(), Some("debian"));
        assert_eq!(parts.name, "login");
        assert_eq!(parts.version.as_deref(), Some("1:4.13+dfsg1-1"));
        assert_eq!(parts.qualifier("upstream"), Some("shadow"));
        assert_eq!(parts.qualifier("distro"), Some("debian-12"));
        assert!(Purl::parse("pkg:npm").is_none());
        assert!(Purl::parse("http://x").is_none());
        assert!(Purl::parse("pkg:deb/debian/a@%zz").is_none());
        let scoped = Purl::parse("pkg:npm/%40angular/core@1.0.0").unwrap();
        assert_eq!(scoped.namespace.as_deref(), Some("@angular"));
    }

    #[test]
    fn url_encoding() {
        assert_eq!(url_encode("Rocky Linux"), "Rocky%20Linux");
        assert_eq!(
            url_encode("repository:a/b:pull"),
            "repository%3Aa%2Fb%3Apull"
        );
    }

    #[test]
    fn encodes_per_spec() {
        assert_eq!(purl_encode("1:2.36-9+deb12u4"), "1:2.36-9%2Bdeb12u4");
        assert_eq!(purl_encode("a b/c@d"), "a%20b%2Fc%40d");
    }

    #[test]
    fn deb_purl_keeps_epoch_in_version() {
        let mut p = pkg(PackageKind::Deb, "login", "1:4.13+dfsg1-1", None);
        p.source = Some(SourcePackage {
            name: "shadow".into(),
            version: "1:4.13+dfsg1-1".into(),
        });
        assert_eq!(
            p.purl(Some(&os("debian", "12"))).0,
            "pkg:deb/debian/login@1:4.13%2Bdfsg1-1?arch=amd64&distro=debian-12&upstream=shadow"
        );
    }

    #[test]
    fn rpm_purl_moves_epoch_to_qualifier() {
        let mut p = pkg(PackageKind::Rpm, "openssl", "1:3.0.7-27.el9", Some(1));
        p.arch = Some("x86_64".into());
        assert_eq!(
            p.purl(Some(&os("rocky", "9.3"))).0,
            "pkg:rpm/rocky/openssl@3.0.7-27.el9?arch=x86_64&distro=rocky-9.3&epoch=1"
        );
    }
}
