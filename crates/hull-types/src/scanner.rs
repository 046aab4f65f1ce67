//! The scanners a scan can run: one closed vocabulary for the command line, the scan plan
//! and the findings each produces.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A scanner. Adding one fails to compile until every `match` on it says what it does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scanner {
    /// Known vulnerabilities of the inventory (needs the advisory database).
    Vuln,
    /// Secrets in every file of every layer, the config and the history.
    Secret,
    /// Configuration checks: the image config and history, or a directory's Dockerfiles and
    /// Kubernetes manifests.
    Misconfig,
    /// YARA rules, malware hash lists, a ClamAV daemon and modified OS files.
    Malware,
    /// Indicators of compromise.
    Ioc,
    /// Licences the policy's `[license]` section refuses (the inventory always carries each
    /// package's declared licences; this scanner only judges them).
    License,
}

impl Scanner {
    /// Every scanner, in `--help` order.
    pub const ALL: [Scanner; 6] = [
        Scanner::Vuln,
        Scanner::Secret,
        Scanner::Misconfig,
        Scanner::Malware,
        Scanner::Ioc,
        Scanner::License,
    ];

    /// The name on the command line and in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Vuln => "vuln",
            Self::Secret => "secret",
            Self::Misconfig => "misconfig",
            Self::Malware => "malware",
            Self::Ioc => "ioc",
            Self::License => "license",
        }
    }
}

impl fmt::Display for Scanner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scanner {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scanner::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown scanner {s:?} (vuln, secret, misconfig, malware, ioc, license, none)"
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::Scanner;

    #[test]
    fn names_round_trip() {
        for s in Scanner::ALL {
            assert_eq!(s.as_str().parse::<Scanner>(), Ok(s));
        }
        assert!("vulns".parse::<Scanner>().is_err());
    }
}
