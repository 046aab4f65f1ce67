//! dpkg versions: `[epoch:]upstream_version[-debian_revision]` (Debian Policy 5.6.12),
//! compared as dpkg's `verrevcmp` does.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use crate::VersionError;

/// A parsed dpkg version.
#[derive(Clone, Debug)]
pub struct DpkgVersion {
    /// The epoch (`0` when absent).
    pub epoch: u64,
    /// The upstream version.
    pub upstream: String,
    /// Empty when the version has no `-revision` (which compares equal to `0`).
    pub revision: String,
}

fn err(version: &str, reason: &'static str) -> VersionError {
    VersionError {
        scheme: "dpkg",
        version: version.to_string(),
        reason,
    }
}

impl FromStr for DpkgVersion {
    type Err = VersionError;

    /// Parses as dpkg does: the epoch is everything before the first `:`, the revision
    /// everything after the last `-`. Whitespace around is trimmed; inside, it is an error.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        if t.is_empty() {
            return Err(err(s, "empty"));
        }
        if t.chars().any(char::is_whitespace) {
            return Err(err(s, "contains whitespace"));
        }
        let (epoch, rest) = match t.split_once(':') {
            Some((e, r)) => {
                if e.is_empty() || !e.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(err(s, "epoch is not a number"));
                }
                (e.parse().map_err(|_| err(s, "epoch out of range"))?, r)
            }
            None => (0, t),
        };
        // The revision follows the last `-`; a `-` in first position is part of the upstream
        // version (as APT reads it), so `-` alone is a version, not an empty one.
        let (upstream, revision) = match rest.rfind('-') {
            Some(i) if i > 0 => (&rest[..i], &rest[i + 1..]),
            _ => (rest, ""),
        };
        if upstream.is_empty() {
            return Err(err(s, "empty upstream version"));
        }
        Ok(DpkgVersion {
            epoch,
            upstream: upstream.to_string(),
            revision: revision.to_string(),
        })
    }
}

impl fmt::Display for DpkgVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.epoch != 0 {
            write!(f, "{}:", self.epoch)?;
        }
        f.write_str(&self.upstream)?;
        if !self.revision.is_empty() {
            write!(f, "-{}", self.revision)?;
        }
        Ok(())
    }
}

/// dpkg's character order: `~` before the end, the end before letters, letters before
/// everything else; digits are compared as numbers elsewhere.
fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => c as i32,
        Some(b'~') => -1,
        Some(c) => c as i32 + 256,
    }
}

/// dpkg's `verrevcmp`.
pub(crate) fn verrevcmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        let mut first_diff = 0i32;
        while (i < a.len() && !a[i].is_ascii_digit()) || (j < b.len() && !b[j].is_ascii_digit()) {
            let ac = order(a.get(i).copied());
            let bc = order(b.get(j).copied());
            if ac != bc {
                return ac.cmp(&bc);
            }
            i += 1;
            j += 1;
        }
        while i < a.len() && a[i] == b'0' {
            i += 1;
        }
        while j < b.len() && b[j] == b'0' {
            j += 1;
        }
        while i < a.len() && a[i].is_ascii_digit() && j < b.len() && b[j].is_ascii_digit() {
            if first_diff == 0 {
                first_diff = a[i] as i32 - b[j] as i32;
            }
            i += 1;
            j += 1;
        }
        if i < a.len() && a[i].is_ascii_digit() {
            return Ordering::Greater;
        }
        if j < b.len() && b[j].is_ascii_digit() {
            return Ordering::Less;
        }
        if first_diff != 0 {
            return first_diff.cmp(&0);
        }
    }
    Ordering::Equal
}

impl Ord for DpkgVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| verrevcmp(&self.upstream, &other.upstream))
            .then_with(|| verrevcmp(&self.revision, &other.revision))
    }
}

impl PartialOrd for DpkgVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for DpkgVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for DpkgVersion {}
