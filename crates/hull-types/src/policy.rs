//! The policy's decision on a report, as renderers show it: whether it passed and why, which
//! findings failed it, which were suppressed and by what (an ignore, a VEX statement, a
//! filter), and which ignores expired or matched nothing. `hull-policy` computes it.

use serde::{Deserialize, Serialize};

use crate::{Scanner, Severity};

/// How a finding is named in a decision.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct FindingRef {
    /// The scanner that reported it.
    pub scanner: Scanner,
    /// Its id: the vulnerability, check, secret rule or detection rule.
    pub id: String,
    /// Where: `package version`, a file, an object.
    pub target: String,
    /// Its severity.
    pub severity: Severity,
}

/// What took a finding out of the report.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum SuppressedBy {
    /// An `[[ignore]]` of a policy file, or a line of an ignore file.
    Ignore {
        /// `file:line`.
        source: String,
        /// Why it is accepted.
        reason: String,
        /// The last day it applies (`YYYY-MM-DD`), if it expires.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        expires: Option<String>,
    },
    /// A VEX statement (`not_affected` or `fixed`).
    Vex {
        /// The VEX document.
        source: String,
        /// The statement's id (or its position in the document).
        statement: String,
        /// `not_affected` or `fixed`.
        status: String,
        /// The statement's justification or impact statement.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        justification: Option<String>,
    },
    /// A filter of what is shown: `--severity`, `--ignore-unfixed`, `--skip-checks`,
    /// `--skip-dirs` or their policy-file keys.
    Filter {
        /// The flag or key.
        filter: String,
    },
}

/// One suppressed finding.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Suppression {
    /// The finding.
    pub finding: FindingRef,
    /// What suppressed it.
    pub by: SuppressedBy,
}

/// A VEX statement that annotates a finding without suppressing it (`under_investigation`,
/// `affected`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Annotation {
    /// The finding.
    pub finding: FindingRef,
    /// The VEX document.
    pub source: String,
    /// The statement's status.
    pub status: String,
    /// The statement's justification or impact statement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// An ignore that did not apply: expired, or matched nothing.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct IgnoreNote {
    /// `file:line`.
    pub source: String,
    /// What the ignore names (`CVE-2023-1234`, `check image-user-root`, …).
    pub names: String,
    /// Why: `expired` (with the date) or `unused`.
    pub status: IgnoreStatus,
}

/// Why an ignore did not apply.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IgnoreStatus {
    /// Its `expires` date has passed: it no longer applies.
    Expired,
    /// It matched no finding of this report.
    Unused,
}

/// The policy's decision on one report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyResult {
    /// Whether the report passes.
    pub passed: bool,
    /// The exit code the decision calls for (0 when it passes).
    pub exit_code: u8,
    /// One line saying why, for the end of a table and for CI logs.
    pub summary: String,
    /// The findings that failed it, sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<FindingRef>,
    /// The findings taken out of the report, and by what.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suppressed: Vec<Suppression>,
    /// VEX statements that annotate findings still shown.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub annotations: Vec<Annotation>,
    /// Ignores that expired or matched nothing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignores: Vec<IgnoreNote>,
}
