//! The OSV ecosystems hull matches: one table for what `hull db update` downloads, which
//! registry a language package is looked up in, and how each ecosystem compares names.
//! A new ecosystem is one variant; every `match` below then fails to compile until it says
//! what the ecosystem is.

use std::fmt;

use crate::PackageKind;

/// An OSV ecosystem, by its base name (`Debian` of `Debian:12`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OsvEcosystem {
    /// AlmaLinux (`AlmaLinux:9`).
    AlmaLinux,
    /// Alpine (`Alpine:v3.20`).
    Alpine,
    /// Chainguard images.
    Chainguard,
    /// Debian (`Debian:12`).
    Debian,
    /// Go modules.
    Go,
    /// Maven (`group:artifact`).
    Maven,
    /// NuGet.
    NuGet,
    /// Packagist (and its repository variants, `Packagist:https://…`).
    Packagist,
    /// PyPI.
    PyPI,
    /// Red Hat (`Red Hat:enterprise_linux:9::appstream`).
    RedHat,
    /// Rocky Linux (`Rocky Linux:9`).
    RockyLinux,
    /// RubyGems.
    RubyGems,
    /// SUSE (`SUSE:Linux Enterprise Server 15 SP5`).
    Suse,
    /// Ubuntu (`Ubuntu:22.04:LTS`).
    Ubuntu,
    /// Wolfi.
    Wolfi,
    /// crates.io.
    CratesIo,
    /// npm.
    Npm,
    /// openSUSE (`openSUSE:Leap 15.5`).
    OpenSuse,
}

impl OsvEcosystem {
    /// Every ecosystem hull matches, in the OSV bucket's (byte-wise) order.
    pub const ALL: [OsvEcosystem; 18] = [
        Self::AlmaLinux,
        Self::Alpine,
        Self::Chainguard,
        Self::Debian,
        Self::Go,
        Self::Maven,
        Self::NuGet,
        Self::Packagist,
        Self::PyPI,
        Self::RedHat,
        Self::RockyLinux,
        Self::RubyGems,
        Self::Suse,
        Self::Ubuntu,
        Self::Wolfi,
        Self::CratesIo,
        Self::Npm,
        Self::OpenSuse,
    ];

    /// The name as OSV spells it (and as the bucket's directories are named).
    pub const fn name(self) -> &'static str {
        match self {
            Self::AlmaLinux => "AlmaLinux",
            Self::Alpine => "Alpine",
            Self::Chainguard => "Chainguard",
            Self::Debian => "Debian",
            Self::Go => "Go",
            Self::Maven => "Maven",
            Self::NuGet => "NuGet",
            Self::Packagist => "Packagist",
            Self::PyPI => "PyPI",
            Self::RedHat => "Red Hat",
            Self::RockyLinux => "Rocky Linux",
            Self::RubyGems => "RubyGems",
            Self::Suse => "SUSE",
            Self::Ubuntu => "Ubuntu",
            Self::Wolfi => "Wolfi",
            Self::CratesIo => "crates.io",
            Self::Npm => "npm",
            Self::OpenSuse => "openSUSE",
        }
    }

    /// The ecosystem of an OSV ecosystem string (`Debian:12` → Debian); `None` for one
    /// hull does not match.
    pub fn of(ecosystem: &str) -> Option<Self> {
        let base = ecosystem.split(':').next().unwrap_or(ecosystem);
        Self::ALL.into_iter().find(|e| e.name() == base)
    }

    /// The registry a language package is published in; `None` for OS packages, which are
    /// matched under their distribution's release.
    pub fn of_language(kind: PackageKind) -> Option<Self> {
        match kind {
            PackageKind::Python => Some(Self::PyPI),
            PackageKind::Npm => Some(Self::Npm),
            PackageKind::Cargo => Some(Self::CratesIo),
            PackageKind::Go => Some(Self::Go),
            PackageKind::Maven => Some(Self::Maven),
            PackageKind::Gem => Some(Self::RubyGems),
            PackageKind::NuGet => Some(Self::NuGet),
            PackageKind::Composer => Some(Self::Packagist),
            PackageKind::Deb | PackageKind::Rpm | PackageKind::Apk => None,
        }
    }

    /// The key a package name is stored and looked up under: PyPI names after PEP 503
    /// normalisation (`Flask_SQLAlchemy` = `flask-sqlalchemy`), NuGet and Packagist names
    /// case-insensitively, every other ecosystem's exactly.
    pub fn name_key(self, name: &str) -> String {
        match self {
            Self::PyPI => crate::pep503_normalize(name),
            Self::NuGet | Self::Packagist => name.to_lowercase(),
            _ => name.to_string(),
        }
    }
}

impl fmt::Display for OsvEcosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::OsvEcosystem;

    #[test]
    fn names_round_trip_and_are_sorted() {
        for e in OsvEcosystem::ALL {
            assert_eq!(OsvEcosystem::of(e.name()), Some(e));
        }
        let names: Vec<_> = OsvEcosystem::ALL.iter().map(|e| e.name()).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
        assert_eq!(
            OsvEcosystem::of("Red Hat:enterprise_linux:9::baseos"),
            Some(OsvEcosystem::RedHat)
        );
        assert_eq!(OsvEcosystem::of("Hackage"), None);
    }
}
