//! Version ordering for every ecosystem hull matches: dpkg, rpm, apk, PEP 440, SemVer
//! (npm, crates.io), Go, Maven, RubyGems, NuGet and Composer.
//!
//! PEP 440 and SemVer stand on `pep440_rs` and `semver`, which are exact. No maintained
//! crate implements the others exactly, so each is written from the package manager's own
//! algorithm (dpkg's `verrevcmp`, rpm's `rpmvercmp`, apk-tools' tokenizer, Maven's
//! `ComparableVersion`, `Gem::Version`, NuGet's comparer, PHP's `version_compare`) and
//! tested against the upstream projects' own vectors. The traps, up front:
//!
//! - dpkg: `~` sorts before everything, even the end of the string (`1.0~rc1 < 1.0`); letters
//!   sort before other symbols; a missing revision equals `0`; the epoch wins over all.
//! - rpm: `~` sorts before the end of the string, `^` after it but before anything else;
//!   numeric segments beat alphabetic ones; separators only separate (`1.0 = 1_0`).
//! - apk: Gentoo-style `1.2.3a_rc1-r2`; `_alpha`, `_beta`, `_pre`, `_rc` sort before the
//!   release and `_cvs`, `_svn`, `_git`, `_hg`, `_p` after it; `8.2.0 < 8.2.001`, since a
//!   leading zero makes a component a decimal fraction.

//! - Maven: `1.0 = 1 = 1-ga`; `alpha < beta < milestone < rc < snapshot < release < sp`;
//!   a qualifier after `.` reads as after `-` (`1.0.RC2 < 1.0-RC3 < 1.0.1`).
//! - RubyGems: any letter makes a pre-release (`1.2.4.beta < 1.2.4`); `1.0.a2 = 1.0.a.2`.
//! - Go: `+incompatible` is build metadata and so ignored; pseudo-versions are pre-releases.
//! - Composer: PHP's `version_compare`, where `1.0 < 1.0.0` and `1.0 < 1.0pl1`.
//!
//! ```
//! use hull_version::{DpkgVersion, RpmVersion, ApkVersion};
//! let a: DpkgVersion = "1:2.36-9+deb12u4".parse().unwrap();
//! let b: DpkgVersion = "1:2.36-9+deb12u10".parse().unwrap();
//! assert!(a < b);
//! assert!("1.0~rc1".parse::<DpkgVersion>().unwrap() < "1.0".parse().unwrap());
//! assert!("3.0.7-27.el9".parse::<RpmVersion>().unwrap() < "1:3.0.1-1.el9".parse().unwrap());
//! assert!("1.2.5_rc1-r0".parse::<ApkVersion>().unwrap() < "1.2.5-r0".parse().unwrap());
//! ```

mod apk;
mod composer;
mod dpkg;
mod maven;
mod nuget;
mod pep440;
mod rpm;
mod rubygems;
mod semver;

pub use apk::ApkVersion;
pub use composer::ComposerVersion;
pub use dpkg::DpkgVersion;
pub use maven::MavenVersion;
pub use nuget::NuGetVersion;
pub use pep440::Pep440Version;
pub use rpm::{rpmvercmp, RpmVersion};
pub use rubygems::GemVersion;
pub use semver::{GoVersion, SemVersion};

/// A version ordering: one per package manager or registry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scheme {
    /// Debian's dpkg (`[epoch:]upstream[-revision]`, `~` sorting first).
    Dpkg,
    /// rpm's `rpmvercmp` (`[epoch:]version-release`, `~` and `^`).
    Rpm,
    /// Alpine's apk-tools (`1.2.3_rc1-r0`).
    Apk,
    /// PEP 440 (PyPI).
    Pep440,
    /// SemVer 2.0: npm, crates.io, and every OSV `SEMVER` range.
    SemVer,
    /// Go modules: SemVer with `v` and pseudo-versions, and Go toolchain versions.
    Go,
    /// Maven's ComparableVersion.
    Maven,
    /// RubyGems' Gem::Version.
    RubyGems,
    /// NuGet (SemVer 2 with four numeric parts).
    NuGet,
    /// Composer (Packagist).
    Composer,
}

/// A version parsed in its scheme. Versions of different schemes never meet: matching
/// parses both sides with the package's scheme.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Version {
    /// A dpkg version.
    Dpkg(DpkgVersion),
    /// An rpm EVR.
    Rpm(RpmVersion),
    /// An apk version.
    Apk(ApkVersion),
    /// A PEP 440 version.
    Pep440(Pep440Version),
    /// A SemVer version.
    SemVer(SemVersion),
    /// A Go module or toolchain version.
    Go(GoVersion),
    /// A Maven version.
    Maven(MavenVersion),
    /// A RubyGems version.
    RubyGems(GemVersion),
    /// A NuGet version.
    NuGet(NuGetVersion),
    /// A Composer version.
    Composer(ComposerVersion),
}

impl Scheme {
    /// Parses `s` in this scheme.
    pub fn parse(self, s: &str) -> Result<Version, VersionError> {
        Ok(match self {
            Scheme::Dpkg => Version::Dpkg(s.parse()?),
            Scheme::Rpm => Version::Rpm(s.parse()?),
            Scheme::Apk => Version::Apk(s.parse()?),
            Scheme::Pep440 => Version::Pep440(s.parse()?),
            Scheme::SemVer => Version::SemVer(s.parse()?),
            Scheme::Go => Version::Go(s.parse()?),
            Scheme::Maven => Version::Maven(s.parse()?),
            Scheme::RubyGems => Version::RubyGems(s.parse()?),
            Scheme::NuGet => Version::NuGet(s.parse()?),
            Scheme::Composer => Version::Composer(s.parse()?),
        })
    }
}

/// Why a string is not a version of a scheme. Matching reports such packages as "not
/// matched: unparsable version" rather than treating them as safe.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{scheme} version {version:?}: {reason}")]
pub struct VersionError {
    /// The scheme that refused it.
    pub scheme: &'static str,
    /// The version as given.
    pub version: String,
    /// What is wrong with it.
    pub reason: &'static str,
}
