//! gitleaks rule files: parsed into raw structs (unknown keys kept, to warn about), then
//! validated and compiled into a [`RuleSet`].
//!
//! Supported: `[[rules]]` with `id`, `description`, `regex`, `secretGroup`, `entropy`,
//! `keywords`, `path`, `tags`, per-rule allowlists (`[rules.allowlist]` or
//! `[[rules.allowlists]]` with `condition`, `regexTarget`, `regexes`, `paths`, `stopwords`,
//! `commits`), global allowlists (`[allowlist]` or `[[allowlists]]`, with `targetRules`),
//! `[extend]` with `useDefault`, `path` and `disabledRules`. Anything else is reported as a
//! warning naming the file and key. Commits never match: an image has none.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hull_types::Severity;
use regex::bytes::Regex;
use serde::Deserialize;

use crate::engine::{Allowlist, Condition, RegexTarget, Rule, RuleSet};

/// hull's built-in rules, in the same format users write.
pub const BUILTIN: &str = include_str!("../rules/builtin.toml");

/// Bounds on user rule files: regexes compile to linear-time automata (the `regex` crate
/// never backtracks), but their size must be bounded too.
const REGEX_SIZE_LIMIT: usize = 1 << 22;
const MAX_RULE_FILE: u64 = 8 << 20;
const MAX_EXTEND_DEPTH: usize = 4;

#[derive(Debug, thiserror::Error)]
/// Why a rule file cannot be used: it names the file and, for gitleaks TOML, what is wrong.
pub enum ConfigError {
    #[error("{file}: {message}")]
    /// The file is not a rule set hull can compile (TOML, a regex, an `[extend]` chain).
    Invalid {
        /// The file.
        file: String,
        /// What is wrong.
        message: String,
    },
    #[error("{file}: {source}")]
    /// The file could not be read.
    Io {
        /// The file.
        file: String,
        #[source]
        /// What the system said.
        source: std::io::Error,
    },
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RawConfig {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    extend: Option<RawExtend>,
    #[serde(default)]
    rules: Vec<RawRule>,
    #[serde(default)]
    allowlist: Option<RawAllowlist>,
    #[serde(default)]
    allowlists: Vec<RawAllowlist>,
    #[serde(flatten)]
    other: BTreeMap<String, toml::Value>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RawExtend {
    #[serde(default)]
    use_default: bool,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    disabled_rules: Vec<String>,
    #[serde(flatten)]
    other: BTreeMap<String, toml::Value>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RawRule {
    #[serde(default)]
    id: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    regex: Option<String>,
    #[serde(default)]
    secret_group: Option<usize>,
    #[serde(default)]
    entropy: Option<f64>,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    allowlist: Option<RawAllowlist>,
    #[serde(default)]
    allowlists: Vec<RawAllowlist>,
    #[serde(flatten)]
    other: BTreeMap<String, toml::Value>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RawAllowlist {
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    condition: Option<String>,
    #[serde(default)]
    regex_target: Option<String>,
    #[serde(default)]
    regexes: Vec<String>,
    #[serde(default)]
    paths: Vec<String>,
    #[serde(default)]
    stopwords: Vec<String>,
    #[serde(default)]
    commits: Vec<String>,
    #[serde(default)]
    target_rules: Vec<String>,
    #[serde(flatten)]
    other: BTreeMap<String, toml::Value>,
}

/// Where rules come from.
#[derive(Clone, Debug)]
pub enum Source {
    /// hull's built-in rules.
    Builtin,
    /// A gitleaks TOML file.
    File(PathBuf),
}

/// Loads rules: the built-in set, or a gitleaks file (with its `[extend]` chain). Warnings
/// name unsupported keys; errors name the file and what is wrong.
pub fn load(source: &Source) -> Result<(RuleSet, Vec<String>), ConfigError> {
    load_with(source, &[])
}

/// [`load`], plus path regexes whose files are never scanned (the user's own allowlist,
/// added to the rule file's global allowlists).
pub fn load_with(
    source: &Source,
    allowed_paths: &[String],
) -> Result<(RuleSet, Vec<String>), ConfigError> {
    let mut warnings = Vec::new();
    let (rules, mut global) = match source {
        Source::Builtin => load_text(BUILTIN, "built-in rules", None, 0, &mut warnings)?,
        Source::File(p) => load_file(p, 0, &mut warnings)?,
    };
    if !allowed_paths.is_empty() {
        let raw = RawAllowlist {
            paths: allowed_paths.to_vec(),
            ..Default::default()
        };
        global.push(allowlist(
            &raw,
            "--secret-allow-path",
            "paths",
            true,
            &mut warnings,
        )?);
    }
    let set = RuleSet::new(rules, global).map_err(|message| ConfigError::Invalid {
        file: match source {
            Source::Builtin => "built-in rules".into(),
            Source::File(p) => p.display().to_string(),
        },
        message,
    })?;
    Ok((set, warnings))
}

/// Parses rule-file text (for tests and fuzzing: no `[extend] path` is followed).
pub fn load_str(text: &str, name: &str) -> Result<(RuleSet, Vec<String>), ConfigError> {
    let mut warnings = Vec::new();
    let (rules, global) = load_text(text, name, None, 0, &mut warnings)?;
    let set = RuleSet::new(rules, global).map_err(|message| ConfigError::Invalid {
        file: name.into(),
        message,
    })?;
    Ok((set, warnings))
}

fn load_file(
    p: &Path,
    depth: usize,
    warnings: &mut Vec<String>,
) -> Result<(Vec<Rule>, Vec<Allowlist>), ConfigError> {
    let name = p.display().to_string();
    let io = |e| ConfigError::Io {
        file: name.clone(),
        source: e,
    };
    let meta = std::fs::metadata(p).map_err(io)?;
    if meta.len() > MAX_RULE_FILE {
        return Err(ConfigError::Invalid {
            file: name,
            message: format!("larger than {MAX_RULE_FILE} bytes"),
        });
    }
    let text = std::fs::read_to_string(p).map_err(io)?;
    load_text(&text, &name, p.parent(), depth, warnings)
}

fn load_text(
    text: &str,
    name: &str,
    dir: Option<&Path>,
    depth: usize,
    warnings: &mut Vec<String>,
) -> Result<(Vec<Rule>, Vec<Allowlist>), ConfigError> {
    let invalid = |message: String| ConfigError::Invalid {
        file: name.to_string(),
        message,
    };
    let raw: RawConfig = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
    let _ = (&raw.title, &raw.description);
    for k in raw.other.keys() {
        warnings.push(format!("{name}: unsupported key `{k}` ignored"));
    }

    // The base this file extends: its rules first, overridden by same-id rules here.
    let mut rules: Vec<Rule> = Vec::new();
    let mut global: Vec<Allowlist> = Vec::new();
    if let Some(ext) = &raw.extend {
        for k in ext.other.keys() {
            warnings.push(format!("{name}: unsupported key `extend.{k}` ignored"));
        }
        if depth >= MAX_EXTEND_DEPTH {
            return Err(invalid("[extend] nested too deeply".into()));
        }
        if ext.use_default {
            let (r, g) = load_text(BUILTIN, "built-in rules", None, depth + 1, warnings)?;
            rules.extend(r);
            global.extend(g);
        }
        if let Some(p) = &ext.path {
            let base = dir.map(|d| d.join(p)).unwrap_or_else(|| PathBuf::from(p));
            let (r, g) = load_file(&base, depth + 1, warnings)?;
            rules.extend(r);
            global.extend(g);
        }
        for d in &ext.disabled_rules {
            let before = rules.len();
            rules.retain(|r| &r.id != d);
            if rules.len() == before {
                warnings.push(format!("{name}: disabledRules names unknown rule `{d}`"));
            }
        }
    }

    if raw.allowlist.is_some() && !raw.allowlists.is_empty() {
        return Err(invalid(
            "both [allowlist] and [[allowlists]] are set; use one".into(),
        ));
    }
    for (i, a) in raw.allowlist.iter().chain(&raw.allowlists).enumerate() {
        let where_ = format!("allowlists[{i}]");
        global.push(allowlist(a, name, &where_, true, warnings)?);
    }

    for r in &raw.rules {
        if r.id.is_empty() {
            return Err(invalid("a rule has no id".into()));
        }
        let at = |k: &str| format!("{name}: rule `{}`: {k}", r.id);
        for k in r.other.keys() {
            let why = match k.as_str() {
                "required" => " (composite rules are not supported)",
                "skipReport" => " (composite rules are not supported)",
                _ => "",
            };
            warnings.push(format!(
                "{}{why}",
                at(&format!("unsupported key `{k}` ignored"))
            ));
        }
        if r.allowlist.is_some() && !r.allowlists.is_empty() {
            return Err(invalid(format!(
                "rule `{}`: both allowlist and allowlists are set",
                r.id
            )));
        }
        let regex = r
            .regex
            .as_deref()
            .map(|s| compile(s).map_err(|e| invalid(format!("rule `{}`: regex: {e}", r.id))))
            .transpose()?;
        let path = r
            .path
            .as_deref()
            .map(|s| compile(s).map_err(|e| invalid(format!("rule `{}`: path: {e}", r.id))))
            .transpose()?;
        if regex.is_none() && path.is_none() {
            return Err(invalid(format!("rule `{}`: needs a regex or a path", r.id)));
        }
        if let (Some(g), Some(re)) = (r.secret_group, &regex) {
            if g >= re.captures_len() {
                return Err(invalid(format!(
                    "rule `{}`: secretGroup {g} but the regex has {} groups",
                    r.id,
                    re.captures_len() - 1
                )));
            }
        }
        if let Some(e) = r.entropy {
            if !(0.0..=8.0).contains(&e) {
                return Err(invalid(format!("rule `{}`: entropy {e} out of 0..8", r.id)));
            }
        }
        let mut allowlists = Vec::new();
        for (i, a) in r.allowlist.iter().chain(&r.allowlists).enumerate() {
            allowlists.push(allowlist(
                a,
                name,
                &format!("rule `{}` allowlists[{i}]", r.id),
                false,
                warnings,
            )?);
        }
        let severity = r
            .tags
            .iter()
            .map(|t| Severity::from_word(t))
            .filter(|s| *s != Severity::Unknown)
            .max()
            .unwrap_or(Severity::High);
        let rule = Rule {
            id: r.id.clone(),
            description: r.description.clone(),
            severity,
            regex,
            secret_group: r.secret_group.unwrap_or(0),
            entropy: r.entropy,
            keywords: r.keywords.iter().map(|k| k.to_lowercase()).collect(),
            path,
            allowlists,
        };
        match rules.iter_mut().find(|x| x.id == rule.id) {
            Some(x) => *x = rule,
            None => rules.push(rule),
        }
    }
    Ok((rules, global))
}

/// Compiles a rule-file regex with Go's (RE2's) semantics, which gitleaks files are written
/// for: `\w`, `\d`, `\s` and `\b` are ASCII. That is also what keeps every rule on the
/// regex crate's DFA: a Unicode word boundary makes it fall back to a far slower engine on
/// any non-ASCII text.
fn compile(s: &str) -> Result<Regex, regex::Error> {
    regex::bytes::RegexBuilder::new(s)
        .unicode(false)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .build()
}

fn allowlist(
    a: &RawAllowlist,
    file: &str,
    where_: &str,
    global: bool,
    warnings: &mut Vec<String>,
) -> Result<Allowlist, ConfigError> {
    let invalid = |message: String| ConfigError::Invalid {
        file: file.to_string(),
        message: format!("{where_}: {message}"),
    };
    let _ = &a.description;
    for k in a.other.keys() {
        warnings.push(format!("{file}: {where_}: unsupported key `{k}` ignored"));
    }
    if !a.commits.is_empty() {
        warnings.push(format!(
            "{file}: {where_}: `commits` never match in an image or directory scan"
        ));
    }
    if !global && !a.target_rules.is_empty() {
        return Err(invalid("targetRules is only for global allowlists".into()));
    }
    let condition = match a
        .condition
        .as_deref()
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        None | Some("OR") => Condition::Or,
        Some("AND") => Condition::And,
        Some(c) => return Err(invalid(format!("unknown condition {c:?}"))),
    };
    let regex_target = match a.regex_target.as_deref() {
        None | Some("") | Some("secret") => RegexTarget::Secret,
        Some("match") => RegexTarget::Match,
        Some("line") => RegexTarget::Line,
        Some(t) => return Err(invalid(format!("unknown regexTarget {t:?}"))),
    };
    let regexes = a
        .regexes
        .iter()
        .map(|s| compile(s).map_err(|e| invalid(format!("regex: {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    let paths = a
        .paths
        .iter()
        .map(|s| compile(s).map_err(|e| invalid(format!("path: {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    if regexes.is_empty() && paths.is_empty() && a.stopwords.is_empty() && a.commits.is_empty() {
        return Err(invalid(
            "empty: give regexes, paths, stopwords or commits".into(),
        ));
    }
    Ok(Allowlist {
        condition,
        regex_target,
        regexes,
        paths,
        stopwords: a.stopwords.iter().map(|s| s.to_lowercase()).collect(),
        has_commits: !a.commits.is_empty(),
        target_rules: a.target_rules.clone(),
    })
}
