//! The rule engine: one Aho-Corasick pass over a file finds every rule keyword at once;
//! only rules whose keywords occur (and the few without keywords) run their regexes;
//! entropy and allowlists are checked on what matched.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use hull_types::Severity;
use regex::bytes::Regex;
use sha2::{Digest as _, Sha256};

/// How an allowlist's criteria combine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Condition {
    /// Any criterion suffices (gitleaks' default).
    Or,
    /// Every criterion must hold.
    And,
}

/// What an allowlist's regexes are tested against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegexTarget {
    /// The secret (the capture group the rule extracts).
    Secret,
    /// The whole regex match.
    Match,
    /// The line the match is on.
    Line,
}

/// Findings to ignore.
#[derive(Clone, Debug)]
pub struct Allowlist {
    /// How the criteria combine.
    pub condition: Condition,
    /// What `regexes` are tested against.
    pub regex_target: RegexTarget,
    /// A finding matching one of these is ignored.
    pub regexes: Vec<Regex>,
    /// A file whose path matches one of these is ignored.
    pub paths: Vec<Regex>,
    /// Lower-cased; a secret containing one is ignored.
    pub stopwords: Vec<String>,
    /// The file listed commits; they never match here (no history), which matters for AND.
    pub has_commits: bool,
    /// Global allowlists only: the rules it applies to (empty: all).
    pub target_rules: Vec<String>,
}

impl Allowlist {
    /// Whether a file is skipped outright: a path-only allowlist that matches.
    fn skips_path(&self, path: &str) -> bool {
        self.regexes.is_empty()
            && self.stopwords.is_empty()
            && !self.has_commits
            && self.target_rules.is_empty()
            && self.paths.iter().any(|p| p.is_match(path.as_bytes()))
    }

    fn allows(&self, path: &str, secret: &[u8], whole: &[u8], line: &[u8]) -> bool {
        let target = match self.regex_target {
            RegexTarget::Secret => secret,
            RegexTarget::Match => whole,
            RegexTarget::Line => line,
        };
        let mut checks: Vec<bool> = Vec::with_capacity(4);
        if self.has_commits {
            checks.push(false);
        }
        if !self.paths.is_empty() {
            checks.push(self.paths.iter().any(|p| p.is_match(path.as_bytes())));
        }
        if !self.regexes.is_empty() {
            checks.push(self.regexes.iter().any(|r| r.is_match(target)));
        }
        if !self.stopwords.is_empty() {
            let lower = String::from_utf8_lossy(secret).to_lowercase();
            checks.push(self.stopwords.iter().any(|w| lower.contains(w.as_str())));
        }
        match self.condition {
            Condition::Or => checks.iter().any(|c| *c),
            Condition::And => !checks.is_empty() && checks.iter().all(|c| *c),
        }
    }
}

/// One compiled rule.
#[derive(Clone, Debug)]
pub struct Rule {
    /// The rule's id, as gitleaks names it (`aws-access-token`).
    pub id: String,
    /// What the rule finds.
    pub description: String,
    /// How bad a leak of it is.
    pub severity: Severity,
    /// The pattern of the secret (`None` for a rule that matches by path alone).
    pub regex: Option<Regex>,
    /// 0: the first group that matched, or the whole match when the regex has none.
    pub secret_group: usize,
    /// Minimum Shannon entropy (bits per character) of the secret.
    pub entropy: Option<f64>,
    /// Lower-cased.
    pub keywords: Vec<String>,
    /// Files the rule applies to (`None`: every file).
    pub path: Option<Regex>,
    /// Findings of this rule that are ignored.
    pub allowlists: Vec<Allowlist>,
}

/// A compiled rule set: shared, immutable, used from many threads at once.
#[derive(Debug)]
pub struct RuleSet {
    rules: Vec<Rule>,
    global: Vec<Allowlist>,
    keywords: AhoCorasick,
    /// For each keyword pattern, the rules it selects.
    keyword_rules: Vec<Vec<usize>>,
    /// Rules without keywords: they run on every text file.
    always: Vec<usize>,
    /// Path-only rules (no regex): they match a file by its name, binary or not.
    path_only: Vec<usize>,
    /// Rules with a regex and a path: they run on files whose path matches, keywords or not
    /// (the files are few and small).
    path_bound: Vec<usize>,
    fingerprint: String,
}

/// A secret found in a file.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct SecretMatch {
    /// 1-based; 0 for a rule that matches a file by its path.
    pub line: u32,
    /// 1-based, in characters.
    pub column: u32,
    /// The rule's id.
    pub rule: String,
    /// The rule's description.
    pub description: String,
    /// The rule's severity.
    pub severity: Severity,
    /// The secret itself. Callers redact it before it leaves memory (reports, cache).
    pub secret: String,
}

/// Files larger than this are not scanned (a secret is rarely in a 10 MiB file, and the
/// bound keeps one huge file from dominating a scan).
pub const DEFAULT_MAX_FILE: u64 = 10 << 20;

impl RuleSet {
    pub(crate) fn new(rules: Vec<Rule>, global: Vec<Allowlist>) -> Result<Self, String> {
        let mut patterns: Vec<String> = Vec::new();
        let mut keyword_rules: Vec<Vec<usize>> = Vec::new();
        let mut always = Vec::new();
        let mut path_only = Vec::new();
        let mut path_bound = Vec::new();
        for (i, r) in rules.iter().enumerate() {
            if r.regex.is_none() {
                path_only.push(i);
                continue;
            }
            // A rule bound to certain files (`.npmrc`, `.env`, …) runs on those files alone;
            // keeping its keywords (`password`, `key`, …) out of the automaton keeps the one
            // pass over every other file free of their many hits.
            if r.path.is_some() {
                path_bound.push(i);
                continue;
            }
            if r.keywords.is_empty() {
                always.push(i);
            }
            for k in &r.keywords {
                match patterns.iter().position(|p| p == k) {
                    Some(p) => keyword_rules[p].push(i),
                    None => {
                        patterns.push(k.clone());
                        keyword_rules.push(vec![i]);
                    }
                }
            }
        }
        // A DFA: about three times the search speed of the default NFA here, for a table of
        // a few megabytes.
        let keywords = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .kind(Some(AhoCorasickKind::DFA))
            .build(&patterns)
            .map_err(|e| format!("keywords: {e}"))?;
        let mut h = Sha256::new();
        for r in &rules {
            h.update(r.id.as_bytes());
            h.update([0]);
            if let Some(re) = &r.regex {
                h.update(re.as_str().as_bytes());
            }
            h.update([0]);
            if let Some(p) = &r.path {
                h.update(p.as_str().as_bytes());
            }
            h.update(
                format!(
                    "|{}|{:?}|{}|{}",
                    r.secret_group,
                    r.entropy,
                    r.keywords.join(","),
                    r.severity
                )
                .as_bytes(),
            );
            for a in &r.allowlists {
                hash_allowlist(&mut h, a);
            }
        }
        for a in &global {
            hash_allowlist(&mut h, a);
        }
        let fingerprint = h
            .finalize()
            .iter()
            .take(12)
            .map(|b| format!("{b:02x}"))
            .collect();
        Ok(Self {
            rules,
            global,
            keywords,
            keyword_rules,
            always,
            path_only,
            path_bound,
            fingerprint,
        })
    }

    /// Identifies the rules (and allowlists): part of the layer cache key.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// The compiled rules, in rule-file order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Whether any rule or allowlist could care about a file at `path` before it is read:
    /// `false` when a global allowlist skips the path.
    pub fn wants_path(&self, path: &str) -> bool {
        !self.global.iter().any(|a| a.skips_path(path))
    }

    /// Scans one file. `path` is what allowlists and path rules see.
    pub fn scan(&self, path: &str, bytes: &[u8]) -> Vec<SecretMatch> {
        if !self.wants_path(path) {
            return vec![];
        }
        let mut out = Vec::new();
        for &i in &self.path_only {
            let r = &self.rules[i];
            if r.path.as_ref().is_some_and(|p| p.is_match(path.as_bytes()))
                && !self.allowed(r, path, b"", b"", b"")
            {
                out.push(SecretMatch {
                    line: 0,
                    column: 0,
                    rule: r.id.clone(),
                    description: r.description.clone(),
                    severity: r.severity,
                    secret: String::new(),
                });
            }
        }
        if is_binary(bytes) {
            return out;
        }
        // Which rules to run: one pass for every keyword of every rule.
        let mut selected = vec![false; self.rules.len()];
        for &i in &self.always {
            selected[i] = true;
        }
        for &i in &self.path_bound {
            selected[i] = true;
        }
        let mut remaining = self.keyword_rules.len();
        let mut seen_pattern = vec![false; self.keyword_rules.len()];
        for m in self.keywords.find_overlapping_iter(bytes) {
            let p = m.pattern().as_usize();
            if !seen_pattern[p] {
                seen_pattern[p] = true;
                for &r in &self.keyword_rules[p] {
                    selected[r] = true;
                }
                remaining -= 1;
                if remaining == 0 {
                    break;
                }
            }
        }
        let mut lines = LineIndex::new(bytes);
        let mut found: Vec<(u32, u32, usize, SecretMatch)> = Vec::new();
        for (i, r) in self.rules.iter().enumerate() {
            if !selected[i] {
                continue;
            }
            if r.path
                .as_ref()
                .is_some_and(|p| !p.is_match(path.as_bytes()))
            {
                continue;
            }
            let Some(re) = &r.regex else { continue };
            for caps in re.captures_iter(bytes) {
                let Some(whole) = caps.get(0) else { continue };
                let secret = if r.secret_group > 0 {
                    caps.get(r.secret_group)
                } else {
                    (1..caps.len()).find_map(|g| caps.get(g)).or(Some(whole))
                };
                let Some(secret) = secret else { continue };
                let s = secret.as_bytes();
                if s.is_empty() {
                    continue;
                }
                if let Some(min) = r.entropy {
                    if shannon(s) <= min {
                        continue;
                    }
                }
                let (line_no, line_start, line_end) = lines.locate(secret.start());
                let line = &bytes[line_start..line_end];
                if self.allowed(r, path, s, whole.as_bytes(), line) {
                    continue;
                }
                let column = String::from_utf8_lossy(&bytes[line_start..secret.start()])
                    .chars()
                    .count() as u32
                    + 1;
                found.push((
                    line_no,
                    column,
                    i,
                    SecretMatch {
                        line: line_no,
                        column,
                        rule: r.id.clone(),
                        description: r.description.clone(),
                        severity: r.severity,
                        secret: String::from_utf8_lossy(s).into_owned(),
                    },
                ));
            }
        }
        // One secret, one finding: where several rules match at the same place, the rule
        // listed first wins (specific rules precede the generic ones in the built-in set).
        found.sort_by_key(|(l, c, i, _)| (*l, *c, *i));
        found.dedup_by_key(|(l, c, _, _)| (*l, *c));
        out.extend(found.into_iter().map(|(_, _, _, m)| m));
        out.sort();
        out.dedup();
        out
    }

    fn allowed(&self, r: &Rule, path: &str, secret: &[u8], whole: &[u8], line: &[u8]) -> bool {
        r.allowlists
            .iter()
            .any(|a| a.allows(path, secret, whole, line))
            || self.global.iter().any(|a| {
                (a.target_rules.is_empty() || a.target_rules.contains(&r.id))
                    && a.allows(path, secret, whole, line)
            })
    }
}

fn hash_allowlist(h: &mut Sha256, a: &Allowlist) {
    h.update(
        format!(
            "{:?}{:?}{}{:?}",
            a.condition, a.regex_target, a.has_commits, a.target_rules
        )
        .as_bytes(),
    );
    for r in a.regexes.iter().chain(&a.paths) {
        h.update(r.as_str().as_bytes());
        h.update([0]);
    }
    for s in &a.stopwords {
        h.update(s.as_bytes());
        h.update([0]);
    }
}

/// A file is binary when its first 8 KiB hold a NUL byte (what git and grep decide by).
pub fn is_binary(bytes: &[u8]) -> bool {
    bytes[..bytes.len().min(8192)].contains(&0)
}

/// Shannon entropy in bits per byte.
pub fn shannon(s: &[u8]) -> f64 {
    let mut counts = [0u32; 256];
    for &b in s {
        counts[b as usize] += 1;
    }
    let n = s.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

/// Line numbers by offset, computed lazily in one forward pass (matches of one rule come in
/// order; a new rule starts over from the cached newline positions).
struct LineIndex<'a> {
    bytes: &'a [u8],
    newlines: Vec<usize>,
    scanned: usize,
}

impl<'a> LineIndex<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self {
            bytes,
            newlines: Vec::new(),
            scanned: 0,
        }
    }

    /// (1-based line, line start, line end) of an offset.
    fn locate(&mut self, offset: usize) -> (u32, usize, usize) {
        while self.scanned <= offset && self.scanned < self.bytes.len() {
            match memchr_nl(&self.bytes[self.scanned..]) {
                Some(i) => {
                    self.newlines.push(self.scanned + i);
                    self.scanned += i + 1;
                }
                None => self.scanned = self.bytes.len(),
            }
        }
        let idx = self.newlines.partition_point(|&n| n < offset);
        let start = if idx == 0 {
            0
        } else {
            self.newlines[idx - 1] + 1
        };
        let end = self.bytes[offset..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(self.bytes.len(), |e| offset + e);
        (u32::try_from(idx + 1).unwrap_or(u32::MAX), start, end)
    }
}

fn memchr_nl(b: &[u8]) -> Option<usize> {
    b.iter().position(|&c| c == b'\n')
}

/// The secret as reports show it: the first four characters, then `***`.
pub fn redact(secret: &str) -> String {
    let head: String = secret.chars().take(4).collect();
    format!("{head}***")
}

/// A stable identity for a finding (rule, path, secret), so ignores and baselines survive
/// re-scans; the secret cannot be recovered from it.
pub fn fingerprint(rule: &str, path: &str, secret: &str) -> String {
    let mut h = Sha256::new();
    h.update(rule.as_bytes());
    h.update([0]);
    h.update(path.as_bytes());
    h.update([0]);
    h.update(secret.as_bytes());
    h.finalize()
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}
