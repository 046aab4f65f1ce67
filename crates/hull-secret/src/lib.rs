//! Secret detection for hull: gitleaks-compatible rule files and a rule engine that reads
//! each file once.
//!
//! A [`RuleSet`] is compiled once ([`load`] with [`Source::Builtin`] or a gitleaks TOML
//! file) and shared by every scanning thread. [`RuleSet::scan`] runs one Aho-Corasick pass
//! over a file for every rule keyword at once, then only the regexes of the rules whose
//! keywords occurred; entropy and allowlists are checked on what matched. The `regex` crate
//! compiles to finite automata, so no rule, however written, can backtrack: scanning time is
//! linear in the file size for each rule that runs.
//!
//! ```
//! let (rules, _warnings) = hull_secret::load(&hull_secret::Source::Builtin).unwrap();
//! let token = format!("ghp_{}", "aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE3fG5");
//! let found = rules.scan("app/.env", format!("GITHUB_TOKEN={token}\n").as_bytes());
//! assert_eq!(found[0].rule, "github-pat");
//! assert_eq!((found[0].line, found[0].column), (1, 14));
//! assert_eq!(hull_secret::redact(&found[0].secret), "ghp_***");
//! ```

mod config;
mod engine;

pub use config::{load, load_str, load_with, ConfigError, Source, BUILTIN};
pub use engine::{
    fingerprint, is_binary, redact, shannon, Allowlist, Condition, RegexTarget, Rule, RuleSet,
    SecretMatch, DEFAULT_MAX_FILE,
};
