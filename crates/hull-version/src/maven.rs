//! Maven versions, ordered as Maven's `ComparableVersion` orders them (the order Maven
//! Central, the GitHub Advisory Database and OSV's `Maven` ecosystem use).
//!
//! Written here because no Rust crate implements it exactly. The version is lower-cased and
//! split into items: numbers, qualifiers, "combinations" of a qualifier and a number
//! (`rc1`, `sp-2`), and sub-lists opened by `-` or by a digit/letter transition. Known
//! qualifiers order `alpha < beta < milestone < rc = cr < snapshot < "" = ga = final =
//! release < sp`, unknown ones after them as text; trailing zeros and empty qualifiers
//! are dropped (`1.0.0 = 1`, `1-ga = 1`). Numbers of any length compare by value.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use crate::VersionError;

/// Longer version strings are refused (as Maven 4 does): sub-lists nest once per `-`.
const MAX_LEN: usize = 256;

#[derive(Clone, Debug)]
enum Item {
    /// Decimal digits without leading zeros (`"0"` for zero).
    Num(String),
    Str(String),
    /// A qualifier and the number after it (`rc1`): the string part is never a list.
    Combo(String, Box<Item>),
    List(Vec<Item>),
}

/// A Maven version.
#[derive(Clone, Debug)]
pub struct MavenVersion {
    text: String,
    items: Vec<Item>,
}

/// The qualifier's sort key, compared as text exactly as Maven does (`"5"` is the release).
fn comparable_qualifier(q: &str) -> String {
    const QUALIFIERS: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];
    if matches!(q, "ga" | "final" | "release") {
        return "5".into();
    }
    match QUALIFIERS.iter().position(|x| *x == q) {
        Some(i) => i.to_string(),
        None => format!("7-{q}"),
    }
}

fn string_item(value: &str, followed_by_digit: bool) -> String {
    let v = match value {
        "a" if followed_by_digit => "alpha",
        "b" if followed_by_digit => "beta",
        "m" if followed_by_digit => "milestone",
        "cr" => "rc",
        v => v,
    };
    v.to_string()
}

fn number(digits: &str) -> Item {
    let t = digits.trim_start_matches('0');
    Item::Num(if t.is_empty() { "0".into() } else { t.into() })
}

fn parse_item(combination: bool, digit: bool, buf: &str) -> Item {
    if combination {
        let buf: String = buf.chars().filter(|c| *c != '-').collect();
        let at = buf.find(|c: char| c.is_ascii_digit()).unwrap_or(buf.len());
        let (s, d) = buf.split_at(at);
        Item::Combo(string_item(s, true), Box::new(number(d)))
    } else if digit {
        number(buf)
    } else {
        Item::Str(string_item(buf, false))
    }
}

fn is_null(i: &Item) -> bool {
    match i {
        Item::Num(n) => n == "0",
        Item::Str(s) => s.is_empty(),
        Item::List(l) => l.is_empty(),
        Item::Combo(..) => false,
    }
}

fn normalize(list: &mut Vec<Item>) {
    let mut i = list.len();
    while i > 0 {
        i -= 1;
        if !is_null(&list[i]) {
            continue;
        }
        let remove = match list.get(i + 1) {
            None | Some(Item::Str(_)) => true,
            Some(Item::List(next)) => matches!(next.first(), Some(Item::Combo(..) | Item::Str(_))),
            _ => false,
        };
        if remove {
            list.remove(i);
        }
    }
    if list.len() == 1 {
        if let Item::List(inner) = &mut list[0] {
            let inner = std::mem::take(inner);
            *list = inner;
        }
    }
}

/// The list being filled is always the innermost one, so the parser keeps a path of
/// indices from the root instead of Java's stack of shared references.
struct Builder {
    root: Vec<Item>,
    /// For each open sub-list, its index in its parent.
    path: Vec<usize>,
}

impl Builder {
    fn current(&mut self) -> &mut Vec<Item> {
        let mut l = &mut self.root;
        for &i in &self.path {
            l = match &mut l[i] {
                Item::List(inner) => inner,
                _ => unreachable!("path points at lists only"),
            };
        }
        l
    }
    fn add(&mut self, item: Item) {
        self.current().push(item);
    }
    fn open(&mut self) {
        let l = self.current();
        l.push(Item::List(Vec::new()));
        let at = l.len() - 1;
        self.path.push(at);
    }
    fn current_is_empty(&mut self) -> bool {
        self.current().is_empty()
    }
    /// Normalises innermost lists first, as Maven pops its stack.
    fn finish(mut self) -> Vec<Item> {
        while !self.path.is_empty() {
            normalize(self.current());
            self.path.pop();
        }
        normalize(&mut self.root);
        self.root
    }
}

impl FromStr for MavenVersion {
    type Err = VersionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason| VersionError {
            scheme: "maven",
            version: s.to_string(),
            reason,
        };
        if s.len() > MAX_LEN {
            return Err(err("longer than 256 characters"));
        }
        if s.trim().is_empty() {
            return Err(err("empty"));
        }
        let v = s.to_lowercase();
        let chars: Vec<(usize, char)> = v.char_indices().collect();
        let mut b = Builder {
            root: Vec::new(),
            path: Vec::new(),
        };
        let (mut digit, mut combination) = (false, false);
        let mut start = 0usize;
        for (k, &(i, c)) in chars.iter().enumerate() {
            if c == '.' {
                if i == start {
                    b.add(Item::Num("0".into()));
                } else {
                    b.add(parse_item(combination, digit, &v[start..i]));
                }
                combination = false;
                start = i + 1;
            } else if c == '-' {
                if i == start {
                    b.add(Item::Num("0".into()));
                } else {
                    // `X-1` is read as `X1`.
                    if !digit && k + 1 < chars.len() && chars[k + 1].1.is_ascii_digit() {
                        combination = true;
                        continue;
                    }
                    b.add(parse_item(combination, digit, &v[start..i]));
                }
                start = i + 1;
                if !b.current_is_empty() {
                    b.open();
                }
                combination = false;
            } else if c.is_ascii_digit() {
                if !digit && i > start {
                    combination = true;
                    if !b.current_is_empty() {
                        b.open();
                    }
                }
                digit = true;
            } else {
                if digit && i > start {
                    b.add(parse_item(combination, true, &v[start..i]));
                    start = i;
                    b.open();
                    combination = false;
                }
                digit = false;
            }
        }
        if v.len() > start {
            // `1.0.0.X1 < 1.0.0-X2`: a trailing qualifier after `.` is read as after `-`.
            if !digit && !b.current_is_empty() {
                b.open();
            }
            b.add(parse_item(combination, digit, &v[start..]));
        }
        Ok(MavenVersion {
            text: s.to_string(),
            items: b.finish(),
        })
    }
}

fn neg(o: Ordering) -> Ordering {
    o.reverse()
}

fn num_cmp(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// `Item.compareTo(Item)`, with `None` for Java's `null` (the item a shorter list lacks).
fn cmp(a: &Item, b: Option<&Item>) -> Ordering {
    use Item::*;
    match (a, b) {
        (Num(n), None) => {
            if n == "0" {
                Ordering::Equal
            } else {
                Ordering::Greater
            }
        }
        (Num(x), Some(Num(y))) => num_cmp(x, y),
        (Num(_), Some(_)) => Ordering::Greater,

        (Str(s), None) => comparable_qualifier(s).cmp(&comparable_qualifier("")),
        (Str(_), Some(Num(_))) => Ordering::Less,
        (Str(x), Some(Str(y))) => comparable_qualifier(x).cmp(&comparable_qualifier(y)),
        (Str(_), Some(Combo(cs, cd))) => {
            let r = cmp(a, Some(&Str(cs.clone())));
            if r == Ordering::Equal {
                if cmp(a, None) == Ordering::Equal {
                    return neg(cmp(cd, None));
                }
                return Ordering::Less;
            }
            r
        }
        (Str(_) | Combo(..), Some(l @ List(_))) => neg(cmp(l, Some(a))),

        (Combo(s, d), None) => {
            let r = cmp(&Str(s.clone()), None);
            if r == Ordering::Equal {
                cmp(d, None)
            } else {
                r
            }
        }
        (Combo(..), Some(Num(_))) => Ordering::Less,
        (Combo(s, d), Some(other @ Str(_))) => {
            let sp = Str(s.clone());
            let r = cmp(&sp, Some(other));
            if r == Ordering::Equal {
                if cmp(&sp, None) == Ordering::Equal {
                    return cmp(d, None);
                }
                return Ordering::Greater;
            }
            r
        }
        (Combo(s, d), Some(Combo(s2, d2))) => {
            let r = cmp(&Str(s.clone()), Some(&Str(s2.clone())));
            if r == Ordering::Equal {
                cmp(d, Some(d2))
            } else {
                r
            }
        }

        (List(l), None) => l
            .iter()
            .map(|i| cmp(i, None))
            .find(|r| *r != Ordering::Equal)
            .unwrap_or(Ordering::Equal),
        (List(_), Some(Num(_))) => Ordering::Less,
        (List(l), Some(other @ (Str(_) | Combo(..)))) => {
            let mut r = match l.first() {
                None => neg(cmp(other, None)),
                Some(first) => cmp(first, Some(other)),
            };
            for i in l.iter().skip(1) {
                if r != Ordering::Equal {
                    break;
                }
                r = cmp(i, None);
            }
            r
        }
        (List(l), Some(List(r))) => list_cmp(l, r),
    }
}

fn list_cmp(l: &[Item], r: &[Item]) -> Ordering {
    for k in 0..l.len().max(r.len()) {
        let o = match (l.get(k), r.get(k)) {
            (None, None) => Ordering::Equal,
            (None, Some(y)) => neg(cmp(y, None)),
            (Some(x), y) => cmp(x, y),
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

impl fmt::Display for MavenVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Ord for MavenVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        list_cmp(&self.items, &other.items)
    }
}
impl PartialOrd for MavenVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl PartialEq for MavenVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for MavenVersion {}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> MavenVersion {
        s.parse().unwrap()
    }

    #[test]
    fn qualifiers_and_trailing_zeros() {
        assert_eq!(m("1.0.0"), m("1"));
        assert_eq!(m("1-ga"), m("1"));
        assert_eq!(m("1.0-final"), m("1"));
        assert_eq!(m("1-cr1"), m("1-rc1"));
        assert!(m("1.0-alpha1") < m("1.0-beta1"));
        assert!(m("1.0-rc1") < m("1.0-SNAPSHOT"));
        assert!(m("1.0-SNAPSHOT") < m("1.0"));
        assert!(m("1.0") < m("1.0-sp1"));
        assert!(m("1.0-sp1") < m("1.0-foo"));
        assert!(m("2.14.1") < m("2.15.0"));
        assert!(m("2.9.10.7") < m("2.9.10.8"));
        assert!(m("1.2.3") < m("12345678901234567890"));
        assert!(m("5.3.0.RELEASE") < m("5.3.18"));
    }

    #[test]
    fn refuses_absurd_input_without_panicking() {
        assert!("".parse::<MavenVersion>().is_err());
        assert!("1-".repeat(200).parse::<MavenVersion>().is_err());
        for s in ["-", ".", "--1", "a-", "1.-", "-a-1", "é1", "1..a-0-b"] {
            let v = m(s);
            let _ = v.cmp(&m("1"));
        }
    }
}
