//! Vulnerability findings, their severity and score, and packages that could not be checked.

use serde::{Deserialize, Serialize};

use crate::PackageKind;

/// One known vulnerability of one installed package, with every advisory that says so
/// merged into it (aliases: CVE, DSA/DLA, distro ids).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Vulnerability {
    /// The installed package.
    pub package: String,
    /// The package's kind.
    pub kind: PackageKind,
    /// The installed version.
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
    /// The level: from a CVSS v3.x/v4.0 vector, else the database's word, else CVSS v2.
    pub severity: Severity,
    /// Where the level came from (`CVSS:3.1 vector of GHSA-…`, `Debian urgency in DEBCL-…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity_source: Option<String>,
    /// The CVSS base score, where a vector gave the level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<Score>,
    /// The CVSS vector the score was computed from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvss: Option<String>,
    /// The advisory's title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Reference URLs of the matched advisories, deduplicated, in advisory order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
    /// Where the installed package was found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<crate::Location>,
    /// Why it matched: ecosystem, package name queried, version compared, the range.
    pub reason: String,
}

/// A CVSS base score (0.0-10.0), kept in tenths so findings stay `Eq`, `Ord` and `Hash`;
/// it reads and writes as a JSON number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Score(u16);

impl Score {
    /// Rounds to one decimal, as CVSS scores are written; `None` outside 0-10.
    pub fn new(value: f64) -> Option<Self> {
        (0.0..=10.0)
            .contains(&value)
            .then(|| Score((value * 10.0).round() as u16))
    }
    /// The score as a number (0.0–10.0).
    pub fn value(self) -> f64 {
        f64::from(self.0) / 10.0
    }
}

impl std::fmt::Display for Score {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.0 / 10, self.0 % 10)
    }
}

impl Serialize for Score {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.value())
    }
}

impl<'de> Deserialize<'de> for Score {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = f64::deserialize(d)?;
        Score::new(v).ok_or_else(|| serde::de::Error::custom("a CVSS score is between 0 and 10"))
    }
}

/// A package that could not be checked, and why (never silently treated as safe).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct NotMatched {
    /// The package's name.
    pub package: String,
    /// Its version.
    pub version: String,
    /// Why it could not be checked (unparsable version, no ecosystem).
    pub reason: String,
}

/// Severity levels, as Trivy and CycloneDX name them. Advisories state severity in many
/// vocabularies (CVSS ratings, GHSA, Debian urgency, Red Hat impact); [`Severity::from_word`]
/// maps the words it knows and calls the rest `Unknown`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// No rating the database gives could be read.
    Unknown,
    /// CVSS 0.1–3.9.
    Low,
    /// CVSS 4.0–6.9.
    Medium,
    /// CVSS 7.0–8.9.
    High,
    /// CVSS 9.0–10.0.
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
    /// The finding's level.
    pub fn level(&self) -> Severity {
        self.severity
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

    #[test]
    fn scores_round_trip_as_numbers() {
        let s = Score::new(7.5).unwrap();
        assert_eq!(s.to_string(), "7.5");
        assert_eq!(serde_json::to_string(&s).unwrap(), "7.5");
        assert_eq!(
            serde_json::from_str::<Score>("9.8").unwrap(),
            Score::new(9.8).unwrap()
        );
        assert!(Score::new(10.5).is_none());
        assert!(serde_json::from_str::<Score>("-1").is_err());
    }
}
