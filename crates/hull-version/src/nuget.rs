//! NuGet versions, ordered as NuGet's `VersionComparer.Default`.
//!
//! Written here because no Rust crate implements it. Up to four numeric parts
//! (`major.minor[.patch[.revision]]`, missing parts are `0`, leading zeros allowed), then
//! SemVer 2.0 pre-release labels compared case-insensitively (`1.0.0-BETA = 1.0.0-beta`);
//! build metadata after `+` is ignored.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use crate::VersionError;

/// A NuGet package version.
#[derive(Clone, Debug)]
pub struct NuGetVersion {
    text: String,
    /// Major, minor, patch, revision as digits without leading zeros (any length).
    parts: [String; 4],
    /// Lower-cased pre-release labels; empty for a release.
    pre: Vec<String>,
}

impl FromStr for NuGetVersion {
    type Err = VersionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason| VersionError {
            scheme: "nuget",
            version: s.to_string(),
            reason,
        };
        let t = s.trim();
        let t = t.split_once('+').map_or(t, |(v, _)| v);
        let (core, pre) = match t.split_once('-') {
            Some((c, p)) => (c, Some(p)),
            None => (t, None),
        };
        let nums: Vec<&str> = core.split('.').collect();
        if !(1..=4).contains(&nums.len()) {
            return Err(err("not major.minor[.patch[.revision]]"));
        }
        let mut parts: [String; 4] = Default::default();
        for (i, n) in nums.iter().enumerate() {
            if n.is_empty() || !n.bytes().all(|c| c.is_ascii_digit()) {
                return Err(err("a version part is not a number"));
            }
            parts[i] = n.trim_start_matches('0').to_string();
        }
        let pre = match pre {
            None => Vec::new(),
            Some(p) => {
                let labels: Vec<String> = p.split('.').map(str::to_ascii_lowercase).collect();
                if labels.iter().any(|l| {
                    l.is_empty() || !l.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
                }) {
                    return Err(err("a pre-release label is empty or has other characters"));
                }
                labels
            }
        };
        Ok(NuGetVersion {
            text: s.trim().to_string(),
            parts,
            pre,
        })
    }
}

fn label_cmp(a: &str, b: &str) -> Ordering {
    let num = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
    match (num(a), num(b)) {
        (true, true) => {
            let (a, b) = (a.trim_start_matches('0'), b.trim_start_matches('0'));
            a.len().cmp(&b.len()).then_with(|| a.cmp(b))
        }
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => a.cmp(b),
    }
}

impl Ord for NuGetVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        let by_value = self
            .parts
            .iter()
            .zip(&other.parts)
            .map(|(a, b)| a.len().cmp(&b.len()).then_with(|| a.cmp(b)))
            .find(|o| *o != Ordering::Equal)
            .unwrap_or(Ordering::Equal);
        by_value.then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => {
                for (a, b) in self.pre.iter().zip(&other.pre) {
                    let o = label_cmp(a, b);
                    if o != Ordering::Equal {
                        return o;
                    }
                }
                self.pre.len().cmp(&other.pre.len())
            }
        })
    }
}
impl PartialOrd for NuGetVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl PartialEq for NuGetVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for NuGetVersion {}

impl fmt::Display for NuGetVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> NuGetVersion {
        s.parse().unwrap()
    }

    #[test]
    fn nuget_order() {
        assert_eq!(n("1.0"), n("1.0.0.0"));
        assert_eq!(n("1.0.0-BETA+AA"), n("1.0.0-beta"));
        assert!(n("1.0.0-beta.2") < n("1.0.0-beta.11"));
        assert!(n("1.0.0-beta") < n("1.0.0"));
        assert!(n("4.7.2") < n("13.0.1"));
        assert!("1.0.x".parse::<NuGetVersion>().is_err());
        assert!("1.2.3.4.5".parse::<NuGetVersion>().is_err());
    }
}
