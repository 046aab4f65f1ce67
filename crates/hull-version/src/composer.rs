//! Composer (Packagist) versions, ordered as PHP's `version_compare`, which Composer's
//! comparator and the OSV Packagist ecosystem use, after dropping a leading `v`.
//!
//! Written here because no Rust crate implements it. PHP canonicalises the string (`-`,
//! `_`, `+` and other symbols become `.`; a `.` goes between digits and letters), then
//! compares part by part: numbers by value, words by their "special form" (`dev < alpha
//! = a < beta = b < RC = rc < (a number) < pl = p`, unknown words below `dev`, matched by
//! prefix), a number above any word but `pl`/`p`. When one side runs out, a further
//! number makes the longer side greater and a further word is weighed against a number.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use crate::VersionError;

/// A Composer package version.
#[derive(Clone, Debug)]
pub struct ComposerVersion(String);

impl FromStr for ComposerVersion {
    type Err = VersionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let t = t.trim_start_matches(['v', 'V']);
        if t.is_empty() || !t.is_ascii() || t.bytes().any(|c| c.is_ascii_whitespace()) {
            return Err(VersionError {
                scheme: "composer",
                version: s.to_string(),
                reason: "empty, not ASCII or contains whitespace",
            });
        }
        Ok(ComposerVersion(t.to_string()))
    }
}

impl fmt::Display for ComposerVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `php_canonicalize_version`.
fn canonicalize(v: &[u8]) -> Vec<u8> {
    let Some((&first, rest)) = v.split_first() else {
        return Vec::new();
    };
    let isdig = |c: u8| c.is_ascii_digit();
    let isndig = |c: u8| !c.is_ascii_digit() && c != b'.';
    let mut q = Vec::with_capacity(v.len() * 2);
    q.push(first);
    let mut lp = first;
    for &c in rest {
        let lq = *q.last().expect("non-empty");
        if matches!(c, b'-' | b'_' | b'+') {
            if lq != b'.' {
                q.push(b'.');
            }
        } else if (isndig(lp) && isdig(c)) || (isdig(lp) && isndig(c)) {
            if lq != b'.' {
                q.push(b'.');
            }
            q.push(c);
        } else if !c.is_ascii_alphanumeric() {
            if lq != b'.' {
                q.push(b'.');
            }
        } else {
            q.push(c);
        }
        lp = c;
    }
    q
}

/// `compare_special_version_forms`: the order of a word, matched by prefix.
fn special(form: &[u8]) -> i32 {
    const FORMS: [(&[u8], i32); 10] = [
        (b"dev", 0),
        (b"alpha", 1),
        (b"a", 1),
        (b"beta", 2),
        (b"b", 2),
        (b"RC", 3),
        (b"rc", 3),
        (b"#", 4),
        (b"pl", 5),
        (b"p", 5),
    ];
    FORMS
        .iter()
        .find(|(name, _)| form.starts_with(name))
        .map_or(-1, |(_, order)| *order)
}

/// Compares two runs of digits by value. PHP's `strtol` saturates at 2^63, making all
/// larger numbers equal; hull compares them by value instead (no real version is affected).
fn num_cmp(a: &[u8], b: &[u8]) -> Ordering {
    let strip = |x: &[u8]| -> Vec<u8> {
        let d: Vec<u8> = x.iter().copied().take_while(u8::is_ascii_digit).collect();
        let z = d.iter().take_while(|c| **c == b'0').count();
        d[z..].to_vec()
    };
    let (a, b) = (strip(a), strip(b));
    a.len().cmp(&b.len()).then_with(|| a.cmp(&b))
}

const NUMBER: &[u8] = b"#N#";

/// `php_version_compare`, step for step.
fn php_compare(a: &[u8], b: &[u8]) -> Ordering {
    if a.is_empty() || b.is_empty() {
        return (!a.is_empty()).cmp(&!b.is_empty());
    }
    let v1 = if a[0] == b'#' {
        a.to_vec()
    } else {
        canonicalize(a)
    };
    let v2 = if b[0] == b'#' {
        b.to_vec()
    } else {
        canonicalize(b)
    };
    let (mut p1, mut p2): (&[u8], &[u8]) = (&v1, &v2);
    let (mut more1, mut more2) = (true, true);
    let mut compare = Ordering::Equal;
    while !p1.is_empty() && !p2.is_empty() && more1 && more2 {
        let (part1, rest1) = split_dot(p1);
        let (part2, rest2) = split_dot(p2);
        more1 = rest1.is_some();
        more2 = rest2.is_some();
        let d1 = part1.first().is_some_and(u8::is_ascii_digit);
        let d2 = part2.first().is_some_and(u8::is_ascii_digit);
        compare = match (d1, d2) {
            (true, true) => num_cmp(part1, part2),
            (false, false) => special(part1).cmp(&special(part2)),
            (true, false) => special(NUMBER).cmp(&special(part2)),
            (false, true) => special(part1).cmp(&special(NUMBER)),
        };
        if compare != Ordering::Equal {
            break;
        }
        if let Some(r) = rest1 {
            p1 = r;
        }
        if let Some(r) = rest2 {
            p2 = r;
        }
    }
    if compare == Ordering::Equal {
        if more1 {
            compare = if p1.first().is_some_and(u8::is_ascii_digit) {
                Ordering::Greater
            } else {
                php_compare(p1, NUMBER)
            };
        } else if more2 {
            compare = if p2.first().is_some_and(u8::is_ascii_digit) {
                Ordering::Less
            } else {
                php_compare(NUMBER, p2)
            };
        }
    }
    compare
}

fn split_dot(s: &[u8]) -> (&[u8], Option<&[u8]>) {
    match s.iter().position(|&c| c == b'.') {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    }
}

impl Ord for ComposerVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        // PHP calls `1.2.3.` less than itself (a trailing separator compares as a word
        // against the end); an order must call a version equal to itself.
        if canonicalize(self.0.as_bytes()) == canonicalize(other.0.as_bytes()) {
            return Ordering::Equal;
        }
        php_compare(self.0.as_bytes(), other.0.as_bytes())
    }
}
impl PartialOrd for ComposerVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl PartialEq for ComposerVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for ComposerVersion {}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> ComposerVersion {
        s.parse().unwrap()
    }

    #[test]
    fn php_version_compare_order() {
        assert!(c("1.0-dev") < c("1.0a1"));
        assert!(c("1.0a1") < c("1.0b1"));
        assert!(c("1.0RC1") < c("1.0"));
        assert!(c("1.0") < c("1.0pl1"));
        assert_eq!(c("v1.2.3"), c("1.2.3"));
        assert_eq!(c("1.0.0-beta"), c("1.0.0beta"));
        assert!(c("1.0") < c("1.0.1"));
        assert!(c("5.4.0") < c("5.4.10"));
        assert!(c("8.9.0") < c("8.9.0.1"));
        assert!("".parse::<ComposerVersion>().is_err());
    }
}
