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

/// Severity levels, as Trivy and CycloneDX name them. Advisories state severity in many
/// vocabularies (CVSS ratings, GHSA, Debian urgency, Red Hat impact); [`Severity::from_word`]
/// maps the words it knows and calls the rest `Unknown`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Unknown,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// Maps a severity word (case-insensitive): `critical`; `high`/`important`;
    /// `medium`/`moderate`; `low`/`unimportant`/`negligible`.
    pub fn from_word(word: &str) -> Self {
        match word.trim().to_ascii_lowercase().as_str() {
            "critical" => Self::Critical,
            "high" | "important" => Self::High,
            "medium" | "moderate" => Self::Medium,
            "low" | "unimportant" | "negligible" => Self::Low,
            _ => Self::Unknown,
        }
    }

    /// Parses a level name as given on the command line (`HIGH`, `critical`).
    pub fn parse_level(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "unknown" => Some(Self::Unknown),
            "low" => Some(Self::Low),
            "medium" => Some(Self::Medium),
            "high" => Some(Self::High),
            "critical" => Some(Self::Critical),
            _ => None,
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Unknown => "unknown",
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        })
    }
}

impl Vulnerability {
    /// The finding's level, from the severity word its advisory states.
    pub fn level(&self) -> Severity {
        self.severity
            .as_deref()
            .map_or(Severity::Unknown, Severity::from_word)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_words() {
        assert_eq!(Severity::from_word("Important"), Severity::High);
        assert_eq!(Severity::from_word("unimportant"), Severity::Low);
        assert_eq!(Severity::from_word("not yet assigned"), Severity::Unknown);
        assert!(Severity::Critical > Severity::High && Severity::Low > Severity::Unknown);
        assert_eq!(Severity::parse_level("HIGH"), Some(Severity::High));
        assert_eq!(Severity::parse_level("urgent"), None);
    }
}
