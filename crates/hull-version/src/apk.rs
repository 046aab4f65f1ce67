//! apk versions (Alpine, Wolfi, Chainguard): Gentoo-style
//! `digits{.digits}[letter]{_suffix[digits]}[~hash][-r<digits>]`, compared token by token as
//! apk-tools 3 does (leading-zero components compare as decimal fractions, commit hashes as
//! strings); where both versions stop at a part apk cannot parse, the rest compares as text.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use crate::VersionError;

/// An apk version. Any non-empty string is accepted (apk orders invalid versions too);
/// [`ApkVersion::is_valid`] says whether it follows the grammar.
#[derive(Clone, Debug)]
pub struct ApkVersion(String);

impl FromStr for ApkVersion {
    type Err = VersionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        if t.is_empty() || t.chars().any(char::is_whitespace) {
            return Err(VersionError {
                scheme: "apk",
                version: s.to_string(),
                reason: "empty or contains whitespace",
            });
        }
        Ok(ApkVersion(t.to_string()))
    }
}

impl fmt::Display for ApkVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Tok {
    Invalid,
    DigitOrZero,
    Digit,
    Letter,
    Suffix,
    SuffixNo,
    CommitHash,
    RevisionNo,
    End,
}

const PRE: [&str; 4] = ["alpha", "beta", "pre", "rc"];
const POST: [&str; 5] = ["cvs", "svn", "git", "hg", "p"];

struct Lexer<'a> {
    s: &'a [u8],
    t: Tok,
}

impl<'a> Lexer<'a> {
    /// Decides the type of the next token from the separator, consuming it.
    fn next_type(&mut self) {
        let prev = self.t;
        let n = match self.s.first() {
            None | Some(0) => Tok::End,
            Some(c) if matches!(prev, Tok::Digit | Tok::DigitOrZero) && c.is_ascii_lowercase() => {
                Tok::Letter
            }
            Some(c) if prev == Tok::Letter && c.is_ascii_digit() => Tok::Digit,
            Some(c) if prev == Tok::Suffix && c.is_ascii_digit() => Tok::SuffixNo,
            Some(c) => {
                let n = match c {
                    b'.' => Tok::DigitOrZero,
                    b'_' => Tok::Suffix,
                    b'~' => Tok::CommitHash,
                    b'-' if self.s.get(1) == Some(&b'r') => {
                        self.s = &self.s[1..];
                        Tok::RevisionNo
                    }
                    _ => Tok::Invalid,
                };
                self.s = &self.s[1..];
                n
            }
        };
        let allowed_backwards = matches!(
            (n, prev),
            (Tok::DigitOrZero, Tok::Digit)
                | (Tok::Suffix, Tok::SuffixNo)
                | (Tok::Digit, Tok::Letter)
        );
        self.t = if n < prev && !allowed_backwards {
            Tok::Invalid
        } else {
            n
        };
    }

    /// The value of the current token, then advances to the next one.
    fn value(&mut self) -> Val<'a> {
        if self.s.is_empty() {
            self.t = Tok::End;
            return Val::Num(b"");
        }
        let s = self.s;
        let digits = s.iter().take_while(|c| c.is_ascii_digit()).count();
        let (v, used) = match self.t {
            // After a `.`, a component with a leading zero is a decimal fraction and compares
            // as a string (`8.2.0 < 8.2.001 < 8.2.0015 < 8.2.002`), as apk-tools 3 does.
            Tok::DigitOrZero if digits > 0 && s[0] == b'0' => (Val::Frac(&s[..digits]), digits),
            // `-r` without digits is revision 0; a component without digits is invalid.
            Tok::DigitOrZero | Tok::Digit | Tok::SuffixNo | Tok::RevisionNo
                if digits > 0 || self.t == Tok::RevisionNo =>
            {
                let n = &s[..digits];
                let z = n.iter().take_while(|&&c| c == b'0').count();
                (Val::Num(&n[z..]), digits)
            }
            Tok::Letter => (Val::Int(s[0] as i64), 1),
            Tok::Suffix => {
                if let Some(k) = PRE.iter().position(|p| s.starts_with(p.as_bytes())) {
                    (Val::Int(k as i64 - PRE.len() as i64), PRE[k].len())
                } else if let Some(k) = POST.iter().position(|p| s.starts_with(p.as_bytes())) {
                    (Val::Int(k as i64), POST[k].len())
                } else {
                    self.t = Tok::Invalid;
                    return Val::Int(-1);
                }
            }
            // A commit hash (`1.0~a1b2c3`) compares as a string.
            Tok::CommitHash => {
                let n = s.iter().take_while(|c| c.is_ascii_hexdigit()).count();
                (Val::Frac(&s[..n]), n)
            }
            _ => {
                self.t = Tok::Invalid;
                return Val::Int(-1);
            }
        };
        self.s = &s[used..];
        if self.s.is_empty() {
            self.t = Tok::End;
        } else {
            self.next_type();
        }
        v
    }
}

/// A token's value. Numbers compare by value, fractions and hashes as strings, and a
/// number against a fraction as strings too (`1.1 > 1.01`).
#[derive(Clone, Copy, Debug)]
enum Val<'a> {
    Int(i64),
    /// Digits without leading zeros.
    Num(&'a [u8]),
    Frac(&'a [u8]),
}

impl Val<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Val::Int(a), Val::Int(b)) => a.cmp(b),
            (Val::Num(a), Val::Num(b)) => a.len().cmp(&b.len()).then_with(|| a.cmp(b)),
            (Val::Num(a) | Val::Frac(a), Val::Num(b) | Val::Frac(b)) => a.cmp(b),
            // Different token kinds at one position: compare as apk-tools' integers do.
            _ => self.as_int().cmp(&other.as_int()),
        }
    }

    /// The integer apk-tools would hold: numbers by value, a leading-zero run as minus its
    /// length.
    fn as_int(&self) -> i64 {
        match self {
            Val::Int(v) => *v,
            Val::Num(d) => d.iter().fold(0i64, |v, c| {
                v.saturating_mul(10).saturating_add((c - b'0') as i64)
            }),
            Val::Frac(d) => -(d.iter().take_while(|&&c| c == b'0').count() as i64),
        }
    }

    fn is_pre_release(&self) -> bool {
        matches!(self, Val::Int(v) if *v < 0)
    }
}

/// Whether the string follows apk's version grammar.
fn valid(s: &str) -> bool {
    let mut l = Lexer {
        s: s.as_bytes(),
        t: Tok::Digit,
    };
    while l.t != Tok::End && l.t != Tok::Invalid {
        l.value();
    }
    l.t == Tok::End
}

impl ApkVersion {
    /// Whether apk-tools would accept the version.
    pub fn is_valid(&self) -> bool {
        valid(&self.0)
    }
}

fn compare(a: &str, b: &str) -> Ordering {
    let mut x = Lexer {
        s: a.as_bytes(),
        t: Tok::Digit,
    };
    let mut y = Lexer {
        s: b.as_bytes(),
        t: Tok::Digit,
    };
    let (mut av, mut bv) = (Val::Int(0), Val::Int(0));
    while x.t == y.t && x.t != Tok::End && x.t != Tok::Invalid && av.cmp(&bv) == Ordering::Equal {
        av = x.value();
        bv = y.value();
    }
    match av.cmp(&bv) {
        Ordering::Equal => {}
        o => return o,
    }
    if x.t == Tok::Invalid || y.t == Tok::Invalid || !valid(a) || !valid(b) {
        // Equal up to a part apk cannot parse: apk-tools compares such versions as text.
        return a.cmp(b);
    }
    if x.t == y.t {
        return Ordering::Equal;
    }
    // Equal so far: the longer one is newer, unless what it has more of is a pre-release
    // suffix (`1.0_rc1 < 1.0`).
    if x.t == Tok::Suffix
        && (Lexer {
            s: x.s,
            t: Tok::Suffix,
        })
        .value()
        .is_pre_release()
    {
        return Ordering::Less;
    }
    if y.t == Tok::Suffix
        && (Lexer {
            s: y.s,
            t: Tok::Suffix,
        })
        .value()
        .is_pre_release()
    {
        return Ordering::Greater;
    }
    // The side whose next token comes later in the grammar ended its version sooner.
    y.t.cmp(&x.t)
}

impl Ord for ApkVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        compare(&self.0, &other.0)
    }
}

impl PartialOrd for ApkVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for ApkVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for ApkVersion {}
