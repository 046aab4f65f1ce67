//! Failed configuration checks and the Kubernetes objects they are about.

use serde::{Deserialize, Serialize};

use crate::Severity;

/// A Kubernetes object a finding is about.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ResourceRef {
    /// The object's kind (`Deployment`, `ClusterRoleBinding`, …).
    pub kind: String,
    /// The namespace as the manifest gives it (`None` when it does not say).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The object's `metadata.name`.
    pub name: String,
}

impl std::fmt::Display for ResourceRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{}/{}/{}", self.kind, ns, self.name),
            None => write!(f, "{}/{}", self.kind, self.name),
        }
    }
}

/// One failed configuration check: an image config, a Dockerfile instruction or a
/// Kubernetes object that is set up unsafely. Field order is the sort order of reports:
/// by file, then line, then check.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Misconfiguration {
    /// What was checked: a manifest or Dockerfile path, or `image config`.
    pub target: String,
    /// 1-based line of the offending field or instruction, where the input gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// The check's stable id (`pss-baseline-privileged`, `dockerfile-user-root`, …).
    pub check: String,
    /// The check's severity.
    pub severity: Severity,
    /// The check's one-line title.
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// The Kubernetes object, for manifests.
    pub resource: Option<ResourceRef>,
    /// The evidence: which field, value, container, layer or history line.
    pub message: String,
    /// What to change.
    pub remediation: String,
}
