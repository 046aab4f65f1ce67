//! The `[admission]` section of `hull.toml`: what the cluster's admission webhook demands of
//! a workload before it runs. The same file gates CI; this section only adds what is decided
//! at admission (where images come from, how they are named, the pod spec's security level,
//! what to do with an image that was never scanned).
//!
//! ```toml
//! [admission]
//! mode = "enforce"                       # or "audit": allow, record and warn
//! exempt_namespaces = ["kube-system"]
//! allowed_registries = ["registry.example.com", "ghcr.io/acme"]
//! require_digest = false                 # refuse tags: images must be pinned @sha256:…
//! pod_security = "baseline"              # privileged (no check), baseline, restricted
//! require_passed_scan = true             # the image's stored verdict must pass
//! unscanned = "scan"                     # deny, warn, or scan within the deadline
//! deadline_ms = 5000                     # the most a synchronous scan may take
//! on_timeout = "deny"                    # deny or warn when it does not finish
//! resolve_timeout_ms = 2000              # a tag's digest from the registry
//! require_signature = true               # a cosign signature by one of these keys
//! signature_keys = ["keys/cosign.pub"]   # PEM, ECDSA P-256 or Ed25519; relative to this file
//!
//! [admission.namespace.dev]
//! mode = "audit"
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

/// Deny what breaks the policy, or only warn and record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Refuse the object.
    Enforce,
    /// Admit it, with warnings and a recorded decision.
    Audit,
}

/// What to do with an image that has no stored verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unscanned {
    /// A reason to refuse.
    Deny,
    /// A warning only.
    Warn,
    /// Scan it now, within the deadline, and decide on the result.
    Scan,
}

/// The Pod Security Standards level pod specs are held to at admission.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum PodSecurity {
    /// No check.
    Privileged,
    /// The baseline profile.
    Baseline,
    /// The restricted profile.
    Restricted,
}

/// The admission rules, validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Admission {
    /// Enforce or audit, unless the namespace says otherwise.
    pub mode: Mode,
    /// Per-namespace modes.
    pub namespaces: BTreeMap<String, Mode>,
    /// Namespaces admitted without any check.
    pub exempt_namespaces: BTreeSet<String>,
    /// Registries (host, or host/path prefix) images may come from; empty: any.
    pub allowed_registries: Vec<String>,
    /// Images must be named by digest.
    pub require_digest: bool,
    /// The pod spec's level.
    pub pod_security: PodSecurity,
    /// The image's stored verdict must pass the policy.
    pub require_passed_scan: bool,
    /// An image with no stored verdict.
    pub unscanned: Unscanned,
    /// The most a synchronous scan (`unscanned = "scan"`) may take.
    pub deadline: Duration,
    /// When that scan does not finish in time: deny (true) or warn.
    pub deny_on_timeout: bool,
    /// The most resolving a tag to its digest may take; past it, the failure mode applies.
    pub resolve_timeout: Duration,
    /// Every image needs a cosign signature by one of [`Admission::signature_keys`].
    pub require_signature: bool,
    /// The trusted public keys' files (read and checked by the server at start).
    pub signature_keys: Vec<PathBuf>,
}

impl Default for Admission {
    fn default() -> Self {
        Admission {
            mode: Mode::Enforce,
            namespaces: BTreeMap::new(),
            exempt_namespaces: BTreeSet::new(),
            allowed_registries: vec![],
            require_digest: false,
            pod_security: PodSecurity::Baseline,
            require_passed_scan: true,
            unscanned: Unscanned::Deny,
            deadline: Duration::from_secs(5),
            deny_on_timeout: true,
            resolve_timeout: Duration::from_secs(2),
            require_signature: false,
            signature_keys: vec![],
        }
    }
}

impl Admission {
    /// The mode for objects in `namespace`.
    pub fn mode_for(&self, namespace: &str) -> Mode {
        self.namespaces.get(namespace).copied().unwrap_or(self.mode)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAdmission {
    mode: Option<Spanned<String>>,
    #[serde(default)]
    exempt_namespaces: Vec<String>,
    #[serde(default)]
    allowed_registries: Vec<Spanned<String>>,
    require_digest: Option<bool>,
    pod_security: Option<Spanned<String>>,
    require_passed_scan: Option<bool>,
    unscanned: Option<Spanned<String>>,
    deadline_ms: Option<Spanned<i64>>,
    on_timeout: Option<Spanned<String>>,
    resolve_timeout_ms: Option<Spanned<i64>>,
    require_signature: Option<Spanned<bool>>,
    #[serde(default)]
    signature_keys: Vec<String>,
    #[serde(default)]
    namespace: BTreeMap<String, RawNamespace>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawNamespace {
    mode: Spanned<String>,
}

/// A validation failure: the span, the field, the message.
pub(crate) type Invalid = (std::ops::Range<usize>, String, String);

fn mode(s: &Spanned<String>, field: &str) -> Result<Mode, Invalid> {
    match s.get_ref().as_str() {
        "enforce" => Ok(Mode::Enforce),
        "audit" => Ok(Mode::Audit),
        other => Err((
            s.span(),
            field.into(),
            format!("{other:?}: enforce or audit"),
        )),
    }
}

fn millis(v: &Spanned<i64>, field: &str) -> Result<Duration, Invalid> {
    let ms = *v.get_ref();
    if !(1..=30_000).contains(&ms) {
        return Err((
            v.span(),
            field.into(),
            format!("{ms}: 1 to 30000 (the API server waits at most 30 s)"),
        ));
    }
    Ok(Duration::from_millis(ms as u64))
}

impl RawAdmission {
    pub(crate) fn validate(&self, base: &Path) -> Result<Admission, Invalid> {
        let mut a = Admission::default();
        if let Some(m) = &self.mode {
            a.mode = mode(m, "admission.mode")?;
        }
        for (ns, n) in &self.namespace {
            a.namespaces
                .insert(ns.clone(), mode(&n.mode, "admission.namespace.mode")?);
        }
        a.exempt_namespaces = self.exempt_namespaces.iter().cloned().collect();
        for r in &self.allowed_registries {
            let s = r.get_ref();
            if s.is_empty() || s.contains(char::is_whitespace) || s.contains("://") {
                return Err((
                    r.span(),
                    "admission.allowed_registries".into(),
                    format!("{s:?}: a registry host or host/path, no scheme"),
                ));
            }
            a.allowed_registries
                .push(s.trim_end_matches('/').to_string());
        }
        a.require_digest = self.require_digest.unwrap_or(a.require_digest);
        if let Some(p) = &self.pod_security {
            a.pod_security = match p.get_ref().as_str() {
                "privileged" => PodSecurity::Privileged,
                "baseline" => PodSecurity::Baseline,
                "restricted" => PodSecurity::Restricted,
                other => {
                    return Err((
                        p.span(),
                        "admission.pod_security".into(),
                        format!("{other:?}: privileged, baseline or restricted"),
                    ))
                }
            };
        }
        a.require_passed_scan = self.require_passed_scan.unwrap_or(a.require_passed_scan);
        if let Some(u) = &self.unscanned {
            a.unscanned = match u.get_ref().as_str() {
                "deny" => Unscanned::Deny,
                "warn" => Unscanned::Warn,
                "scan" => Unscanned::Scan,
                other => {
                    return Err((
                        u.span(),
                        "admission.unscanned".into(),
                        format!("{other:?}: deny, warn or scan"),
                    ))
                }
            };
        }
        if let Some(d) = &self.deadline_ms {
            a.deadline = millis(d, "admission.deadline_ms")?;
        }
        if let Some(d) = &self.resolve_timeout_ms {
            a.resolve_timeout = millis(d, "admission.resolve_timeout_ms")?;
        }
        if let Some(t) = &self.on_timeout {
            a.deny_on_timeout = match t.get_ref().as_str() {
                "deny" => true,
                "warn" => false,
                other => {
                    return Err((
                        t.span(),
                        "admission.on_timeout".into(),
                        format!("{other:?}: deny or warn"),
                    ))
                }
            };
        }
        a.signature_keys = self.signature_keys.iter().map(|k| base.join(k)).collect();
        if let Some(r) = &self.require_signature {
            a.require_signature = *r.get_ref();
            if a.require_signature && a.signature_keys.is_empty() {
                return Err((
                    r.span(),
                    "admission.require_signature".into(),
                    "needs signature_keys: the public keys signatures are checked with".into(),
                ));
            }
        }
        Ok(a)
    }
}

/// Whether `image` (a reference as a pod spec names it) comes from one of `allowed`
/// (`host` or `host/path` prefixes, matched on whole components). Docker Hub's short names
/// (`nginx`, `library/nginx`) are `docker.io/…`.
pub fn registry_allowed(allowed: &[String], image: &str) -> bool {
    if allowed.is_empty() {
        return true;
    }
    let name = image.split('@').next().unwrap_or(image);
    let first = name.split('/').next().unwrap_or("");
    let full = if name.contains('/')
        && (first.contains('.') || first.contains(':') || first == "localhost")
    {
        name.to_string()
    } else if name.contains('/') {
        format!("docker.io/{name}")
    } else {
        format!("docker.io/library/{name}")
    };
    allowed.iter().any(|a| {
        full.strip_prefix(a.as_str())
            // After a host, `:` starts a port (another registry); after a path, a tag.
            .is_some_and(|rest| {
                rest.is_empty()
                    || rest.starts_with('/')
                    || (rest.starts_with(':') && a.contains('/'))
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registries_match_on_whole_components() {
        let allowed = vec![
            "registry.example.com".to_string(),
            "ghcr.io/acme".to_string(),
            "quay.io/team/app".to_string(),
        ];
        for (image, ok) in [
            ("registry.example.com/app:1", true),
            ("registry.example.com:5000/app:1", false),
            ("registry.example.com.evil.io/app:1", false),
            ("ghcr.io/acme/app@sha256:00", true),
            ("ghcr.io/acmecorp/app:1", false),
            ("ghcr.io/other/app:1", false),
            ("nginx", false),
            ("quay.io/team/app:2", true),
            ("quay.io/team/app2:2", false),
        ] {
            assert_eq!(registry_allowed(&allowed, image), ok, "{image}");
        }
        let hub = vec!["docker.io/library".to_string()];
        assert!(registry_allowed(&hub, "nginx:1.27"));
        assert!(registry_allowed(&hub, "library/nginx"));
        assert!(!registry_allowed(&hub, "bitnami/nginx"));
        assert!(registry_allowed(&[], "anything"));
    }
}
