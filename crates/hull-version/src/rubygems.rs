//! RubyGems versions, ordered as `Gem::Version#<=>`.
//!
//! Written here because no Rust crate implements it. A version is split into runs of
//! digits and runs of letters (`1.0.a10` → `1, 0, "a", 10`; a `-` means `.pre.`); any
//! letter makes it a pre-release, which sorts before the release. Trailing zeros of the
//! numeric part and of the part after the first letter run are dropped before comparing,
//! so `1.0 = 1` and `1.0.a.0 = 1.a`. A missing segment counts as `0`; a string segment
//! sorts below a number.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use crate::VersionError;

#[derive(Clone, Debug, PartialEq, Eq)]
enum Seg {
    /// Digits without leading zeros.
    Num(String),
    Str(String),
}

/// A RubyGems version.
#[derive(Clone, Debug)]
pub struct GemVersion {
    text: String,
    canonical: Vec<Seg>,
}

/// `Gem::Version.correct?`: digits, then `.`-separated alphanumeric runs, optionally one
/// `-`-introduced pre-release part.
fn correct(v: &str) -> bool {
    let b = v.as_bytes();
    if !b.first().is_some_and(u8::is_ascii_digit) {
        return false;
    }
    let (main, pre) = match v.find('-') {
        Some(i) => (&v[..i], Some(&v[i + 1..])),
        None => (v, None),
    };
    let main_ok = main.split('.').enumerate().all(|(i, p)| {
        !p.is_empty()
            && if i == 0 {
                p.bytes().all(|c| c.is_ascii_digit())
            } else {
                p.bytes().all(|c| c.is_ascii_alphanumeric())
            }
    });
    let pre_ok = pre.is_none_or(|p| {
        p.split('.')
            .all(|x| !x.is_empty() && x.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-'))
    });
    main_ok && pre_ok
}

impl FromStr for GemVersion {
    type Err = VersionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let t = if t.is_empty() { "0" } else { t };
        if !correct(t) {
            return Err(VersionError {
                scheme: "rubygems",
                version: s.to_string(),
                reason: "not a RubyGems version",
            });
        }
        let replaced = t.replace('-', ".pre.");
        let mut segs = Vec::new();
        let b = replaced.as_bytes();
        let mut i = 0;
        while i < b.len() {
            let start = i;
            if b[i].is_ascii_digit() {
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                let n = replaced[start..i].trim_start_matches('0');
                segs.push(Seg::Num(if n.is_empty() { "0".into() } else { n.into() }));
            } else if b[i].is_ascii_alphabetic() {
                while i < b.len() && b[i].is_ascii_alphabetic() {
                    i += 1;
                }
                segs.push(Seg::Str(replaced[start..i].to_string()));
            } else {
                i += 1;
            }
        }
        // Trailing zeros dropped from the numeric part and from the rest, separately.
        let split = segs
            .iter()
            .position(|s| matches!(s, Seg::Str(_)))
            .unwrap_or(segs.len());
        let zero = Seg::Num("0".into());
        let mut numeric = segs[..split].to_vec();
        while numeric.last() == Some(&zero) {
            numeric.pop();
        }
        let mut rest = segs[split..].to_vec();
        while rest.last() == Some(&zero) {
            rest.pop();
        }
        numeric.extend(rest);
        Ok(GemVersion {
            text: t.to_string(),
            canonical: numeric,
        })
    }
}

impl GemVersion {
    /// Whether any segment is a letter run (`1.0.rc1`, `1.0-1`).
    pub fn is_prerelease(&self) -> bool {
        self.canonical.iter().any(|s| matches!(s, Seg::Str(_)))
    }
}

impl fmt::Display for GemVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Ord for GemVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        let zero = Seg::Num("0".into());
        let (l, r) = (&self.canonical, &other.canonical);
        for k in 0..l.len().max(r.len()) {
            let a = l.get(k).unwrap_or(&zero);
            let b = r.get(k).unwrap_or(&zero);
            let o = match (a, b) {
                (Seg::Num(x), Seg::Num(y)) => x.len().cmp(&y.len()).then_with(|| x.cmp(y)),
                (Seg::Str(_), Seg::Num(_)) => Ordering::Less,
                (Seg::Num(_), Seg::Str(_)) => Ordering::Greater,
                (Seg::Str(x), Seg::Str(y)) => x.cmp(y),
            };
            if o != Ordering::Equal {
                return o;
            }
        }
        Ordering::Equal
    }
}
impl PartialOrd for GemVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl PartialEq for GemVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for GemVersion {}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(s: &str) -> GemVersion {
        s.parse().unwrap()
    }

    #[test]
    fn gem_version_order() {
        assert_eq!(g("1.0"), g("1"));
        assert_eq!(g("1.0.a2"), g("1.0.a.2"));
        assert!(g("1.2.4.beta") < g("1.2.4"));
        assert!(g("3.2") < g("3.10"));
        assert!(g("1.0.a9") < g("1.0.a10"));
        assert!(g("5.2.4.3") < g("5.2.4.6"));
        assert!(g("2.0.0-rc1") < g("2.0.0"));
        assert!(g("1.0.0-rc1").is_prerelease());
        assert!("1.0 beta".parse::<GemVersion>().is_err());
        assert!("a1".parse::<GemVersion>().is_err());
        assert_eq!(g(""), g("0"));
    }
}
