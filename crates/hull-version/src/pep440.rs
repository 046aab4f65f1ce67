//! Python package versions (PEP 440), on `pep440_rs`, which implements the specification's
//! normalisation and order exactly (epochs, pre/post/dev releases, local versions).

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use crate::VersionError;

/// A PEP 440 version.
#[derive(Clone, Debug)]
pub struct Pep440Version(pep440_rs::Version);

impl FromStr for Pep440Version {
    type Err = VersionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        pep440_rs::Version::from_str(s.trim())
            .map(Pep440Version)
            .map_err(|_| VersionError {
                scheme: "pep440",
                version: s.to_string(),
                reason: "not a PEP 440 version",
            })
    }
}

impl fmt::Display for Pep440Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Ord for Pep440Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.cmp(&other.0)
    }
}
impl PartialOrd for Pep440Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl PartialEq for Pep440Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Pep440Version {}
