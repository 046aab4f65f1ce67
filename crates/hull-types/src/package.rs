//! Packages: their kind (package manager or registry), identity, source package and where
//! they were found.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{purl_encode, Digest, OsRelease, Purl};

/// Which package manager installed a package; decides version order, purl type and, later,
/// which advisories apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PackageKind {
    /// dpkg: Debian, Ubuntu, distroless.
    Deb,
    /// apk-tools: Alpine, Wolfi, Chainguard.
    Apk,
    /// rpm: RHEL and its rebuilds, Fedora, SUSE, Amazon Linux, Mariner.
    Rpm,
    /// Python distributions (PyPI); names normalised per PEP 503.
    Python,
    /// npm packages; scoped names keep their `@scope/`.
    Npm,
    /// Rust crates (crates.io).
    Cargo,
    /// RubyGems.
    Gem,
    /// PHP packages (Packagist); names are `vendor/package`.
    Composer,
    /// Go modules (and `stdlib`, the toolchain); versions without Go's `v`.
    Go,
    /// .NET packages (NuGet).
    NuGet,
    /// Java artifacts (Maven); names are `group:artifact`.
    Maven,
}

impl PackageKind {
    /// The purl `type` component.
    pub fn purl_type(self) -> &'static str {
        match self {
            Self::Deb => "deb",
            Self::Apk => "apk",
            Self::Rpm => "rpm",
            Self::Python => "pypi",
            Self::Npm => "npm",
            Self::Cargo => "cargo",
            Self::Gem => "gem",
            Self::Composer => "composer",
            Self::Go => "golang",
            Self::NuGet => "nuget",
            Self::Maven => "maven",
        }
    }

    /// Whether an operating-system package manager installed it.
    pub fn is_os(self) -> bool {
        matches!(self, Self::Deb | Self::Apk | Self::Rpm)
    }

    /// Every kind, in report order.
    pub const ALL: [PackageKind; 11] = [
        Self::Deb,
        Self::Apk,
        Self::Rpm,
        Self::Python,
        Self::Npm,
        Self::Cargo,
        Self::Gem,
        Self::Composer,
        Self::Go,
        Self::NuGet,
        Self::Maven,
    ];
}

impl fmt::Display for PackageKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Python => "python",
            Self::Go => "go",
            k => k.purl_type(),
        })
    }
}

/// Where something was found: the layer that last wrote the file, and its path in the image.
///
/// `layer` is `None` for a root filesystem directory or a source tree, which have no layers.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Location {
    /// Absolute, normalised path inside the image (`/var/lib/dpkg/status`).
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// The layer's diff_id (none for a directory).
    pub layer: Option<Digest>,
}

/// The source package a binary package was built from (dpkg `Source:`, rpm `SOURCERPM`, apk
/// origin). Distro advisories are keyed by it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SourcePackage {
    /// The source package's name.
    pub name: String,
    /// The source package's version.
    pub version: String,
}

/// One installed package.
///
/// Field order is the sort order: reports list packages by kind, name, version, arch.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Package {
    /// The package manager or registry.
    pub kind: PackageKind,
    /// The name as the package manager spells it.
    pub name: String,
    /// The full version the package manager compares: dpkg `[epoch:]upstream[-revision]`,
    /// rpm `[epoch:]version-release`, apk `version-rN`.
    pub version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// The architecture, where the database records one.
    pub arch: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// The source package OS advisories are keyed by (dpkg `Source:`, rpm `SOURCERPM`, apk origin).
    pub source: Option<SourcePackage>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    /// Declared licences, as SPDX ids where they map.
    pub licenses: Vec<String>,
    /// The file and layer the package was read from.
    pub location: Location,
    /// rpm keeps the epoch apart from the version in its purl; this is the number, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub epoch: Option<u32>,
    /// A lock file says the package is only needed for development.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dev: bool,
    /// A lock file says whether the project depends on it directly (`true`) or only through
    /// another package (`false`); `None` where the format does not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direct: Option<bool>,
    /// Maven: no `pom.properties` named this archive, so its group was inferred from the
    /// manifest or the file name. Matching may then look the artifact up under the one group
    /// the advisory database knows it by.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub group_inferred: bool,
}

impl Package {
    /// The package URL, per the purl specification's `deb`, `apk` and `rpm` type definitions.
    ///
    /// The OS release supplies the namespace and `distro` qualifier; without one (a bare root
    /// filesystem) the namespace falls back to the package manager's usual vendor.
    pub fn purl(&self, os: Option<&OsRelease>) -> Purl {
        if !self.kind.is_os() {
            return self.language_purl();
        }
        let namespace = match os {
            Some(os) if os.family != crate::OsFamily::Unknown => os.family.purl_namespace(),
            Some(os) => os.id.as_str(),
            None => match self.kind {
                PackageKind::Deb => "debian",
                PackageKind::Apk => "alpine",
                PackageKind::Rpm => "redhat",
                _ => "",
            },
        };
        let mut qualifiers: Vec<(&str, String)> = Vec::new();
        if let Some(a) = &self.arch {
            qualifiers.push(("arch", a.clone()));
        }
        if let Some(d) = os.and_then(OsRelease::purl_distro) {
            qualifiers.push(("distro", d));
        }
        let version = match (self.kind, self.epoch) {
            // rpm's purl type carries the epoch as a qualifier and the version without it.
            (PackageKind::Rpm, Some(e)) => {
                qualifiers.push(("epoch", e.to_string()));
                self.version
                    .split_once(':')
                    .map_or(self.version.as_str(), |(_, v)| v)
                    .to_string()
            }
            _ => self.version.clone(),
        };
        if let Some(src) = &self.source {
            if src.name != self.name {
                qualifiers.push(("upstream", src.name.clone()));
            }
        }
        qualifiers.sort_by(|a, b| a.0.cmp(b.0));
        let mut s = format!(
            "pkg:{}/{}/{}@{}",
            self.kind.purl_type(),
            purl_encode(namespace),
            purl_encode(&self.name),
            purl_encode(&version)
        );
        for (i, (k, v)) in qualifiers.iter().enumerate() {
            s.push(if i == 0 { '?' } else { '&' });
            s.push_str(k);
            s.push('=');
            s.push_str(&purl_encode(v));
        }
        Purl(s)
    }

    /// The purl of a language package, per the purl specification's type definitions:
    /// `pypi` names lower-cased with `_` as `-`; `npm` scopes as the namespace (`%40scope`);
    /// `composer` vendors as the namespace; `cargo` and `gem` names as they are.
    fn language_purl(&self) -> Purl {
        let (namespace, name) = match self.kind {
            PackageKind::Npm | PackageKind::Composer => match self.name.rsplit_once('/') {
                Some((ns, n)) => (Some(ns.to_string()), n.to_string()),
                None => (None, self.name.clone()),
            },
            PackageKind::Python => (None, self.name.to_lowercase().replace('_', "-")),
            PackageKind::Maven => match self.name.split_once(':') {
                Some((g, a)) => (Some(g.to_string()), a.to_string()),
                None => (None, self.name.clone()),
            },
            PackageKind::Go => match self.name.rsplit_once('/') {
                Some((ns, n)) => (Some(ns.to_string()), n.to_string()),
                None => (None, self.name.clone()),
            },
            _ => (None, self.name.clone()),
        };
        let mut s = format!("pkg:{}/", self.kind.purl_type());
        if let Some(ns) = namespace {
            let ns = if self.kind == PackageKind::Composer {
                ns.to_lowercase()
            } else {
                ns
            };
            // Namespace segments are separated by `/`, each one encoded.
            let segments: Vec<String> = ns.split('/').map(purl_encode).collect();
            s.push_str(&segments.join("/"));
            s.push('/');
        }
        let name = if self.kind == PackageKind::Composer {
            name.to_lowercase()
        } else {
            name
        };
        s.push_str(&purl_encode(&name));
        s.push('@');
        // Go module versions carry their `v` in purls (the stored version drops it, as OSV
        // does); the toolchain's do not.
        if self.kind == PackageKind::Go && self.name != "stdlib" {
            s.push('v');
        }
        s.push_str(&purl_encode(&self.version));
        Purl(s)
    }
}

/// PEP 503 name normalisation: lower case, runs of `-`, `_` and `.` become one `-`
/// (`Flask_SQLAlchemy` and `flask-sqlalchemy` are one project). Inventory and advisory
/// lookups both use it, so the two always agree.
pub fn pep503_normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.extend(c.to_lowercase());
        }
    }
    out
}
