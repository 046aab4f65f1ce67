use serde::{Deserialize, Serialize};

use crate::PackageKind;

/// One known vulnerability of one installed package, with every advisory that says so
/// merged into it (aliases: CVE, DSA/DLA, distro ids).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Vulnerability {
    /// The installed package.
    pub package: String,
    pub kind: PackageKind,
    pub version: String,
    /// The id shown first: the CVE where there is one.
    pub id: String,
    /// Every other id of the same vulnerability, sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// The advisories that matched.
    pub advisories: Vec<String>,
    /// The lowest version that fixes it, if an advisory names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed: Option<String>,
    /// The severity the advisory states, as written (`high`, `medium`, Debian urgency).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Why it matched: ecosystem, package name queried, version compared, range.
    pub reason: String,
}

/// A package that could not be checked, and why (never silently treated as safe).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct NotMatched {
    pub package: String,
    pub version: String,
    pub reason: String,
}
