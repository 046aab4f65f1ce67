//! Every built-in rule against its true positive and near miss (`builtin_cases.toml`),
//! with tokens generated here from templates, never stored.

use std::collections::BTreeSet;

use serde::Deserialize;

#[derive(Deserialize)]
struct Cases {
    case: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    rule: String,
    #[serde(default)]
    path: Option<String>,
    positive: Vec<String>,
    negative: Vec<String>,
}

/// A small deterministic generator (xorshift64*): the same tokens on every run.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn pick(&mut self, alphabet: &[u8], n: usize) -> String {
        (0..n)
            .map(|_| alphabet[(self.next() % alphabet.len() as u64) as usize] as char)
            .collect()
    }
}

/// Expands `{alnum:36}`, `{hex:40}`, `{uuid}`, … in a case.
fn expand(template: &str, g: &mut Gen) -> String {
    const LOWER: &[u8] = b"abcdefghijklmnopqrstuvwxyz";
    const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    const DIGITS: &[u8] = b"0123456789";
    let cat = |parts: &[&[u8]]| parts.concat();
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        let inner = &rest[open + 1..open + close];
        let (name, n) = match inner.split_once(':') {
            Some((a, b)) => (a, b.parse::<usize>().ok()),
            None => (inner, Some(0)),
        };
        let alphabet: Option<Vec<u8>> = match name {
            "alnum" => Some(cat(&[UPPER, LOWER, DIGITS])),
            "hex" => Some(b"0123456789abcdef".to_vec()),
            "lower" => Some(LOWER.to_vec()),
            "upper" => Some(UPPER.to_vec()),
            "letters" => Some(cat(&[UPPER, LOWER])),
            "digits" => Some(DIGITS.to_vec()),
            "b64" => Some(cat(&[UPPER, LOWER, DIGITS, b"+/"])),
            "b64url" => Some(cat(&[UPPER, LOWER, DIGITS, b"_-"])),
            "base32" => Some(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".to_vec()),
            "lowalnum" => Some(cat(&[LOWER, DIGITS])),
            "upalnum" => Some(cat(&[UPPER, DIGITS])),
            "bech32" => Some(b"QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L".to_vec()),
            "uuid" => None,
            _ => {
                out.push_str(&rest[..open + 1]);
                rest = &rest[open + 1..];
                continue;
            }
        };
        out.push_str(&rest[..open]);
        match (alphabet, n) {
            (Some(a), Some(n)) => out.push_str(&g.pick(&a, n)),
            (None, _) => {
                let h = b"0123456789abcdef";
                out.push_str(&format!(
                    "{}-{}-{}-{}-{}",
                    g.pick(h, 8),
                    g.pick(h, 4),
                    g.pick(h, 4),
                    g.pick(h, 4),
                    g.pick(h, 12)
                ));
            }
            _ => panic!("bad template {inner}"),
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out
}

#[test]
fn every_builtin_rule_has_a_true_positive_and_a_near_miss() {
    let (rules, warnings) = hull_secret::load(&hull_secret::Source::Builtin).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert!(rules.rules().len() >= 120, "{} rules", rules.rules().len());
    let cases: Cases =
        toml::from_str(include_str!("builtin_cases.toml")).expect("builtin_cases.toml parses");
    let with_cases: BTreeSet<&str> = cases.case.iter().map(|c| c.rule.as_str()).collect();
    let ids: BTreeSet<&str> = rules.rules().iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, with_cases, "every rule has cases, every case a rule");
    assert_eq!(ids.len(), rules.rules().len(), "rule ids are unique");

    let mut g = Gen(0x9E37_79B9_7F4A_7C15);
    let mut failures = Vec::new();
    for c in &cases.case {
        assert!(
            !c.positive.is_empty() && !c.negative.is_empty(),
            "{}",
            c.rule
        );
        let path = c.path.clone().unwrap_or_else(|| "app/config.txt".into());
        for (want, list) in [(true, &c.positive), (false, &c.negative)] {
            for t in list {
                let (path, text) = match t.strip_prefix("@path:") {
                    Some(p) => (p.to_string(), "x".to_string()),
                    None => (path.clone(), expand(t, &mut g)),
                };
                let found = rules.scan(&path, text.as_bytes());
                let hit = found.iter().any(|m| m.rule == c.rule);
                if hit != want {
                    failures.push(format!(
                        "{}: {} {path} {text:?}: {:?}",
                        c.rule,
                        if want { "missed" } else { "matched near miss" },
                        found
                            .iter()
                            .map(|m| (&m.rule, &m.secret))
                            .collect::<Vec<_>>()
                    ));
                }
                if want {
                    if let Some(m) = found.iter().find(|m| m.rule == c.rule) {
                        assert!(text.contains(&m.secret), "{}: secret not in text", c.rule);
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn documented_example_keys_are_not_findings() {
    let (rules, _) = hull_secret::load(&hull_secret::Source::Builtin).unwrap();
    let text = "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n";
    assert_eq!(rules.scan("root/.aws/credentials", text.as_bytes()), vec![]);
}
