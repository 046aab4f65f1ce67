//! SemVer 2.0 (npm, crates.io, OSV `SEMVER` ranges) and Go module versions, on the `semver`
//! crate's parser and pre-release order.
//!
//! Two rules the crate leaves to us: build metadata never takes part in precedence (SemVer
//! §10: `1.2.3+a == 1.2.3+b`; the crate orders it to stay consistent with `Eq`), and the
//! leading `v` or `=` that npm's loose mode and OSV's SEMVER type accept is dropped.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use crate::VersionError;

/// A SemVer 2.0 version; build metadata is kept for display and ignored in comparisons.
#[derive(Clone, Debug)]
pub struct SemVersion(semver::Version);

impl SemVersion {
    fn key(&self) -> (u64, u64, u64, &semver::Prerelease) {
        (self.0.major, self.0.minor, self.0.patch, &self.0.pre)
    }
}

impl FromStr for SemVersion {
    type Err = VersionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let t = t.strip_prefix('=').unwrap_or(t).trim_start();
        let t = t
            .strip_prefix('v')
            .or_else(|| t.strip_prefix('V'))
            .unwrap_or(t);
        semver::Version::parse(t)
            .map(SemVersion)
            .map_err(|_| VersionError {
                scheme: "semver",
                version: s.to_string(),
                reason: "not MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]",
            })
    }
}

impl fmt::Display for SemVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Ord for SemVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key().cmp(&other.key())
    }
}
impl PartialOrd for SemVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl PartialEq for SemVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for SemVersion {}

/// A Go module or toolchain version, with or without its `v`.
///
/// Module versions are SemVer with Go's shorthands (`v1` = `v1.0.0`, `v1.2` = `v1.2.0`);
/// pseudo-versions (`v0.0.0-20191109021931-daa7c04131f5`) are pre-releases and order by
/// their timestamp as Go does; `+incompatible` is build metadata and so ignored. Toolchain
/// versions as a binary records them (`1.21rc2`, `1.9beta1`, `1.20`) are mapped the way
/// the Go vulnerability database writes the standard library's versions (`1.21.0-rc.2`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct GoVersion(SemVersion);

impl FromStr for GoVersion {
    type Err = VersionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || VersionError {
            scheme: "go",
            version: s.to_string(),
            reason: "not a Go module or toolchain version",
        };
        let t = s.trim();
        let t = t.strip_prefix("go").unwrap_or(t);
        let t = t.strip_prefix('v').unwrap_or(t);
        // Split off pre-release and build the way SemVer does, then widen `1` and `1.2`.
        let (core, rest) = match t.find(['-', '+']) {
            Some(i) => t.split_at(i),
            None => (t, ""),
        };
        // Toolchain pre-releases: `1.21rc2` → `1.21.0-rc.2`, `1.9beta1` → `1.9.0-beta.1`.
        let (core, tool_pre) = match core.find(|c: char| c.is_ascii_alphabetic()) {
            Some(i) if rest.is_empty() => {
                let (num, pre) = core.split_at(i);
                let digits = pre.find(|c: char| c.is_ascii_digit()).ok_or_else(err)?;
                let (word, n) = pre.split_at(digits);
                if !matches!(word, "rc" | "beta" | "alpha") {
                    return Err(err());
                }
                (num, format!("-{word}.{n}"))
            }
            Some(_) => return Err(err()),
            None => (core, String::new()),
        };
        let parts = core.split('.').count();
        let widened = match parts {
            1 => format!("{core}.0.0"),
            2 => format!("{core}.0"),
            _ => core.to_string(),
        };
        format!("{widened}{tool_pre}{rest}")
            .parse()
            .map(GoVersion)
            .map_err(|_| err())
    }
}

impl fmt::Display for GoVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sv(s: &str) -> SemVersion {
        s.parse().unwrap()
    }
    fn go(s: &str) -> GoVersion {
        s.parse().unwrap()
    }

    #[test]
    fn build_metadata_is_ignored_and_v_is_dropped() {
        assert_eq!(sv("1.2.3+a"), sv("1.2.3+b"));
        assert_eq!(sv("v1.2.3"), sv("=1.2.3"));
        assert!(sv("1.2.3-rc.1") < sv("1.2.3"));
        assert!("1.2".parse::<SemVersion>().is_err());
        assert!("01.2.3".parse::<SemVersion>().is_err());
    }

    #[test]
    fn go_shorthands_pseudo_versions_and_toolchains() {
        assert_eq!(go("v1.2"), go("1.2.0"));
        assert_eq!(go("v2.0.0+incompatible"), go("2.0.0"));
        assert!(
            go("v0.0.0-20191109021931-daa7c04131f5") < go("v0.0.0-20200101000000-aaaaaaaaaaaa")
        );
        assert!(go("v0.0.0-20191109021931-daa7c04131f5") < go("v0.1.0"));
        assert_eq!(go("1.21rc2"), go("1.21.0-rc.2"));
        assert_eq!(go("go1.20"), go("1.20.0"));
        assert!(go("1.21rc2") < go("1.21.0"));
        assert!(go("1.9beta1") < go("1.9rc1"));
        assert!("1.2.x".parse::<GoVersion>().is_err());
        assert!("1.21foo1".parse::<GoVersion>().is_err());
    }
}
