//! The Kubernetes validating admission webhook: an `admission.k8s.io/v1` AdmissionReview
//! in, one answer out, decided from the evidence the server already holds.
//!
//! For a Pod or any kind with a pod template, every container, init container and ephemeral
//! container image is judged by the digest it names or that its tag resolves to now (a
//! short-lived cache in front of the registry): where it comes from, whether it is pinned,
//! and the stored verdict of that digest (or a scan within the deadline when there is none
//! and the policy says so). The pod spec itself is held to the policy's Pod Security
//! Standards level by the same checks `hull k8s` runs. Every reason is listed in the answer;
//! in audit mode (globally or per namespace) they become warnings and the object is
//! admitted. Decisions are recorded unless the request is a dry run.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hull_policy::admission::{Mode, PodSecurity, Unscanned};
use hull_scan::options::{PssLevel, Reference};
use hull_scan::trust::Signed;
use hull_scan::{ConfigInput, ScanPlan, Target};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::metrics::AdmissionLabel;
use crate::store::{Decision, JobState};
use crate::{now, App};

/// More containers than this in one object are refused without looking at each.
const MAX_CONTAINERS: usize = 256;
/// A resolved tag is trusted this long.
const RESOLVE_TTL: Duration = Duration::from_secs(60);
/// Warnings returned, at most (the API server shows them to the user).
const MAX_WARNINGS: usize = 32;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Review {
    api_version: String,
    kind: String,
    request: Option<Request>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    uid: String,
    #[serde(default)]
    kind: Gvk,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    operation: String,
    #[serde(default)]
    object: Option<Value>,
    #[serde(default)]
    dry_run: Option<bool>,
}

#[derive(Default, Deserialize)]
struct Gvk {
    #[serde(default)]
    kind: String,
}

/// Why a body is not an AdmissionReview hull can answer (an HTTP 400, which the API server
/// treats by the webhook's `failurePolicy`).
#[derive(Debug)]
pub struct BadReview(pub String);

/// What one image contributes to the answer.
#[derive(Default)]
struct Judged {
    reasons: Vec<(&'static str, String)>,
    warnings: Vec<(&'static str, String)>,
    digest: Option<String>,
}

/// The pod spec of an object, by kind (`None`: a kind without pods).
fn pod_spec<'a>(kind: &str, object: &'a Value) -> Option<&'a Value> {
    let at = |path: &[&str]| path.iter().try_fold(object, |v, k| v.get(*k));
    match kind {
        "Pod" => at(&["spec"]),
        "Deployment"
        | "ReplicaSet"
        | "StatefulSet"
        | "DaemonSet"
        | "Job"
        | "ReplicationController" => at(&["spec", "template", "spec"]),
        "CronJob" => at(&["spec", "jobTemplate", "spec", "template", "spec"]),
        _ => None,
    }
}

/// `(section, container name, image)` of every container of a pod spec.
fn containers(spec: &Value) -> Vec<(&'static str, String, String)> {
    let mut out = Vec::new();
    for section in ["initContainers", "containers", "ephemeralContainers"] {
        for c in spec
            .get(section)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let s = |k: &str| c.get(k).and_then(Value::as_str).unwrap_or("").to_string();
            out.push((section, s("name"), s("image")));
        }
    }
    out
}

/// An AdmissionReview request as hull judges it, validated.
#[derive(Debug)]
pub struct Parsed {
    /// The request's uid, echoed in the answer.
    pub uid: String,
    /// The object's kind (its own `kind`, else the request's).
    pub kind: String,
    /// The object's namespace (`default` when neither the request nor it says).
    pub namespace: String,
    /// The object's name (or `generateName`).
    pub name: String,
    /// CREATE, UPDATE, DELETE, CONNECT.
    pub operation: String,
    /// The object, when there is one.
    pub object: Option<Value>,
    /// Nothing is recorded for a dry run.
    pub dry_run: bool,
}

/// Reads an AdmissionReview body: pure, for the webhook and its fuzz target.
pub fn parse(body: &[u8]) -> Result<Parsed, BadReview> {
    let review: Review = serde_json::from_slice(body)
        .map_err(|e| BadReview(format!("not an AdmissionReview: {e}")))?;
    if review.kind != "AdmissionReview" || review.api_version != "admission.k8s.io/v1" {
        return Err(BadReview(format!(
            "{}/{} is not admission.k8s.io/v1 AdmissionReview",
            review.api_version, review.kind
        )));
    }
    let req = review
        .request
        .ok_or_else(|| BadReview("the AdmissionReview has no request".into()))?;
    let object = req.object.filter(|o| !o.is_null());
    let text = |o: &Option<Value>, p: &str| {
        o.as_ref()
            .and_then(|o| o.pointer(p))
            .and_then(Value::as_str)
            .map(String::from)
    };
    Ok(Parsed {
        kind: text(&object, "/kind").unwrap_or(req.kind.kind),
        namespace: req
            .namespace
            .or_else(|| text(&object, "/metadata/namespace"))
            .unwrap_or_else(|| "default".into()),
        name: req
            .name
            .or_else(|| text(&object, "/metadata/name"))
            .or_else(|| text(&object, "/metadata/generateName"))
            .unwrap_or_default(),
        uid: req.uid,
        operation: req.operation,
        object,
        dry_run: req.dry_run == Some(true),
    })
}

/// The pod spec's containers of a parsed request (`None`: a kind without pods).
pub fn images_of(p: &Parsed) -> Option<Vec<(&'static str, String, String)>> {
    p.object
        .as_ref()
        .and_then(|o| pod_spec(&p.kind, o))
        .map(containers)
}

/// Answers an AdmissionReview body.
pub(crate) async fn review(app: &Arc<App>, body: &[u8]) -> Result<Value, BadReview> {
    let started = Instant::now();
    let req = parse(body)?;
    let policy = &app.config.admission;
    let object = req.object.as_ref();
    let kind = req.kind.clone();
    let namespace = req.namespace.clone();
    let name = req.name.clone();

    let mut reasons: Vec<(&'static str, String)> = Vec::new();
    let mut warnings: Vec<(&'static str, String)> = Vec::new();
    let mut images = Vec::new();
    let exempt = policy.exempt_namespaces.contains(&namespace);
    let mode = if exempt {
        "exempt"
    } else {
        match policy.mode_for(&namespace) {
            Mode::Enforce => "enforce",
            Mode::Audit => "audit",
        }
    };
    // Deletions and connections create no pods; an exempt namespace is not looked at.
    if !exempt && matches!(req.operation.as_str(), "CREATE" | "UPDATE") {
        match object.and_then(|o| pod_spec(&kind, o)) {
            None => reasons.push(("kind", format!("{kind}: no pod template hull can judge"))),
            Some(spec) => {
                let list = containers(spec);
                if list.len() > MAX_CONTAINERS {
                    reasons.push((
                        "limits",
                        format!("{} containers: more than {MAX_CONTAINERS}", list.len()),
                    ));
                } else {
                    if let Some(o) = object {
                        reasons.extend(pod_security(app, o).await);
                    }
                    let mut seen = HashMap::new();
                    for (section, cname, image) in &list {
                        if !seen.contains_key(image) {
                            let j = judge_image(app, image).await;
                            seen.insert(image.clone(), j);
                        }
                        let j = &seen[image];
                        let whose = format!("{section} {cname:?}: {image}");
                        reasons
                            .extend(j.reasons.iter().map(|(k, r)| (*k, format!("{whose}: {r}"))));
                        warnings.extend(
                            j.warnings
                                .iter()
                                .map(|(k, r)| (*k, format!("{whose}: {r}"))),
                        );
                    }
                    for (image, j) in seen {
                        images.push(
                            json!({ "image": image, "digest": j.digest.unwrap_or_default() }),
                        );
                    }
                    images.sort_by(|a, b| a["image"].as_str().cmp(&b["image"].as_str()));
                }
            }
        }
    }
    let enforce = mode == "enforce";
    let allowed = !enforce || reasons.is_empty();
    let mut warning_lines: Vec<String> = warnings.iter().map(|(_, w)| w.clone()).collect();
    if !enforce {
        warning_lines.extend(reasons.iter().map(|(_, r)| format!("(audit) {r}")));
    }
    warning_lines.truncate(MAX_WARNINGS);
    let reason_lines: Vec<String> = reasons.iter().map(|(_, r)| r.clone()).collect();

    for (category, _) in &reasons {
        count(app, if enforce { "deny" } else { "warn" }, category);
    }
    for (category, _) in &warnings {
        count(app, "warn", category);
    }
    if reasons.is_empty() && warnings.is_empty() {
        count(app, "allow", if exempt { "exempt" } else { "passed" });
    }

    let decision = Decision {
        at: now(),
        uid: req.uid.clone(),
        namespace: namespace.clone(),
        kind: kind.clone(),
        name: name.clone(),
        operation: req.operation.clone(),
        allowed,
        mode: mode.into(),
        images: Value::Array(images.clone()),
        reasons: reason_lines.clone(),
        warnings: warning_lines.clone(),
    };
    if !req.dry_run {
        // An unrecorded decision is still the right answer; the API server must not wait.
        let _ = app.store.record_decision(decision).await;
    }
    app.metrics
        .admission_seconds
        .observe(started.elapsed().as_secs_f64());

    let digests = images
        .iter()
        .map(|i| {
            format!(
                "{}={}",
                i["image"].as_str().unwrap_or(""),
                i["digest"].as_str().unwrap_or("")
            )
        })
        .collect::<Vec<_>>()
        .join(",");
    let mut response = json!({
        "uid": req.uid,
        "allowed": allowed,
        "auditAnnotations": {
            "hull.dev/decision": if allowed { if reasons.is_empty() { "allow" } else { "audit" } } else { "deny" },
            "hull.dev/mode": mode,
            "hull.dev/digests": digests,
        },
    });
    if !allowed {
        response["status"] = json!({
            "code": 403,
            "reason": "Forbidden",
            "message": format!("hull: {}", reason_lines.join("; ")),
        });
    }
    if !warning_lines.is_empty() {
        response["warnings"] = json!(warning_lines);
    }
    Ok(json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "response": response,
    }))
}

fn count(app: &App, decision: &str, reason: &str) {
    app.metrics
        .admission
        .get_or_create(&AdmissionLabel {
            decision: decision.into(),
            reason: reason.into(),
        })
        .inc();
}

/// The Pod Security Standards violations of the object at the policy's level: the checks
/// `hull k8s` runs, on the object as admitted.
async fn pod_security(app: &App, object: &Value) -> Vec<(&'static str, String)> {
    let level = match app.config.admission.pod_security {
        PodSecurity::Privileged => return vec![],
        PodSecurity::Baseline => PssLevel::Baseline,
        PodSecurity::Restricted => PssLevel::Restricted,
    };
    let bytes = serde_json::to_vec(object).unwrap_or_default();
    let mut plan = ScanPlan::new(Target::Config(vec![ConfigInput::Bytes {
        name: "admission".into(),
        bytes,
    }]));
    plan.config.k8s.level = level;
    plan.now = now();
    let result = tokio::task::spawn_blocking(move || hull_scan::run(&plan, None)).await;
    match result {
        Ok(Ok(outcome)) => outcome
            .report
            .misconfigurations
            .iter()
            .filter(|m| m.check.starts_with("pss-"))
            .map(|m| ("pod-security", format!("{}: {}", m.check, m.message)))
            .collect(),
        _ => vec![("pod-security", "the pod spec could not be checked".into())],
    }
}

/// `host/repository@digest`, the form scans are stored under.
fn pinned(r: &Reference, digest: &str) -> String {
    format!("{}/{}@{digest}", r.registry, r.repository)
}

async fn judge_image(app: &Arc<App>, image: &str) -> Judged {
    let policy = &app.config.admission;
    let mut j = Judged::default();
    let Ok(r) = Reference::parse(image) else {
        j.reasons
            .push(("reference", "not a valid image reference".into()));
        return j;
    };
    if !hull_policy::admission::registry_allowed(&policy.allowed_registries, image) {
        j.reasons.push((
            "registry",
            format!("registry {} is not allowed", r.registry),
        ));
    }
    if policy.require_digest && r.digest.is_none() {
        j.reasons.push(("digest", "not pinned by digest".into()));
    }
    if !policy.require_passed_scan && !policy.require_signature {
        j.digest = r.digest.as_ref().map(|d| d.to_string());
        return j;
    }
    let digest = match resolve(app, image, &r).await {
        Ok(d) => d,
        Err(e) => {
            let line = format!("digest not resolved: {e}");
            if policy.deny_on_timeout {
                j.reasons.push(("resolve", line));
            } else {
                j.warnings.push(("resolve", line));
            }
            return j;
        }
    };
    j.digest = Some(digest.clone());
    if policy.require_signature {
        match signature(app, &r, &digest).await {
            Ok(Signed::Verified) => {}
            Ok(Signed::Unsigned) => j
                .reasons
                .push(("signature", format!("{digest}: no cosign signature"))),
            Ok(Signed::Invalid(why)) => j.reasons.push((
                "signature",
                format!("{digest}: no valid signature ({})", why.join("; ")),
            )),
            Err(e) => {
                let line = format!("{digest}: signature not checked: {e}");
                if policy.deny_on_timeout {
                    j.reasons.push(("signature", line));
                } else {
                    j.warnings.push(("signature", line));
                }
            }
        }
    }
    if !policy.require_passed_scan {
        return j;
    }
    let reference = pinned(&r, &digest);
    let mut row = app
        .store
        .image_for(&digest, &reference)
        .await
        .ok()
        .flatten();
    if row.is_none() {
        match policy.unscanned {
            Unscanned::Deny => {
                j.reasons
                    .push(("unscanned", format!("{digest}: never scanned")));
                return j;
            }
            Unscanned::Warn => {
                j.warnings
                    .push(("unscanned", format!("{digest}: never scanned")));
                return j;
            }
            Unscanned::Scan => match scan_now(app, &reference).await {
                Ok(()) => {
                    row = app
                        .store
                        .image_for(&digest, &reference)
                        .await
                        .ok()
                        .flatten()
                }
                Err(e) => {
                    if policy.deny_on_timeout {
                        j.reasons.push(("unscanned", format!("{digest}: {e}")));
                    } else {
                        j.warnings.push(("unscanned", format!("{digest}: {e}")));
                    }
                    return j;
                }
            },
        }
    }
    match row {
        Some(row) if !row.passed => {
            let mut ids = row.failures.clone();
            let more = ids.len().saturating_sub(10);
            ids.truncate(10);
            let list = if more > 0 {
                format!("{} and {more} more", ids.join(", "))
            } else {
                ids.join(", ")
            };
            j.reasons.push((
                "verdict",
                format!(
                    "{digest} {}{}",
                    row.verdict,
                    if list.is_empty() {
                        String::new()
                    } else {
                        format!(" ({list})")
                    }
                ),
            ));
        }
        Some(_) => {}
        None => j.reasons.push((
            "unscanned",
            format!("{digest}: scanned, but no verdict was stored"),
        )),
    }
    j
}

/// Verified signatures are trusted this long; missing or invalid ones are asked again sooner
/// (a signature may be pushed just after the image).
const SIGNED_TTL: Duration = Duration::from_secs(600);
const UNSIGNED_TTL: Duration = Duration::from_secs(15);

/// Recent registry answers by key, each trusted for a time that may depend on the answer;
/// cleared whole when it grows past a bound (a flood of distinct images cannot grow it).
pub(crate) struct Recent<V>(std::sync::Mutex<HashMap<String, (V, Instant)>>);

impl<V> Default for Recent<V> {
    fn default() -> Self {
        Recent(Default::default())
    }
}

impl<V: Clone> Recent<V> {
    fn get(&self, key: &str, ttl: impl Fn(&V) -> Duration) -> Option<V> {
        let c = self.0.lock().ok()?;
        let (v, at) = c.get(key)?;
        (at.elapsed() < ttl(v)).then(|| v.clone())
    }

    fn put(&self, key: String, v: V) {
        if let Ok(mut c) = self.0.lock() {
            if c.len() > 10_000 {
                c.clear();
            }
            c.insert(key, (v, Instant::now()));
        }
    }
}

/// A blocking registry call on its own thread, given up after `bound` (the request it serves
/// then follows the failure mode rather than waiting).
async fn registry_call<T: Send + 'static>(
    bound: Duration,
    call: impl FnOnce() -> Result<T, hull_scan::options::ImageError> + Send + 'static,
) -> Result<T, String> {
    match tokio::time::timeout(bound, tokio::task::spawn_blocking(call)).await {
        Ok(Ok(Ok(v))) => Ok(v),
        Ok(Ok(Err(e))) => Err(e.to_string()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!(
            "the registry did not answer within {} ms",
            bound.as_millis()
        )),
    }
}

/// The registry options of admission's calls: the server's, bounded by the resolve timeout.
fn bounded_registry(app: &App) -> hull_scan::options::RegistryOptions {
    let mut opts = app.config.registry.clone();
    opts.timeout = Some(app.config.admission.resolve_timeout);
    opts
}

/// The image's cosign signatures checked against the trusted keys (cached by digest).
async fn signature(app: &Arc<App>, r: &Reference, digest: &str) -> Result<Signed, String> {
    let repository = format!("{}/{}", r.registry, r.repository);
    let key = format!("{repository}@{digest}");
    let ttl = |s: &Signed| {
        if *s == Signed::Verified {
            SIGNED_TTL
        } else {
            UNSIGNED_TTL
        }
    };
    if let Some(s) = app.signatures.get(&key, ttl) {
        return Ok(s);
    }
    let opts = bounded_registry(app);
    let keys = app.config.signature_keys.clone();
    let d: hull_types::Digest = digest
        .parse()
        .map_err(|_| format!("{digest} is not a digest"))?;
    // The signature manifest, then its payloads: two calls' worth of time.
    let bound = app.config.admission.resolve_timeout * 2 + Duration::from_millis(100);
    let s = registry_call(bound, move || {
        hull_scan::trust::verify(&repository, &d, &keys, &opts)
    })
    .await?;
    app.signatures.put(key, s.clone());
    Ok(s)
}

/// The digest an image names, or its tag's digest now (cached briefly).
async fn resolve(app: &Arc<App>, image: &str, r: &Reference) -> Result<String, String> {
    if let Some(d) = &r.digest {
        return Ok(d.to_string());
    }
    if let Some(d) = app.resolved.get(image, |_| RESOLVE_TTL) {
        return Ok(d);
    }
    let opts = bounded_registry(app);
    let owned = image.to_string();
    let bound = app.config.admission.resolve_timeout + Duration::from_millis(100);
    let d = registry_call(bound, move || {
        hull_scan::options::resolve_digest(&owned, &opts)
    })
    .await?
    .to_string();
    app.resolved.put(image.to_string(), d.clone());
    Ok(d)
}

/// Queues a scan of `reference` and waits for it, within the deadline.
async fn scan_now(app: &Arc<App>, reference: &str) -> Result<(), String> {
    if !hull_policy::admission::registry_allowed(&app.config.allowed_registries, reference) {
        return Err("not scanned: the server does not scan from this registry".into());
    }
    let deadline = app.config.admission.deadline;
    let (id, _) = app
        .store
        .enqueue(reference, now())
        .await
        .map_err(|e| e.to_string())?;
    app.wake.notify_waiters();
    let start = Instant::now();
    loop {
        match app.store.job(&id).await {
            Ok(Some(j)) if j.state == JobState::Done => return Ok(()),
            Ok(Some(j)) if j.state == JobState::Failed => {
                return Err(format!("scan failed: {}", j.error.unwrap_or_default()))
            }
            _ => {}
        }
        if start.elapsed() >= deadline {
            return Err(format!(
                "not scanned within the {} ms deadline (the scan goes on)",
                deadline.as_millis()
            ));
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_with_pods_has_its_spec_found() {
        let spec = json!({"containers": [{"name": "a", "image": "x"}]});
        let t = json!({"spec": {"template": {"spec": spec}}});
        for k in [
            "Deployment",
            "ReplicaSet",
            "StatefulSet",
            "DaemonSet",
            "Job",
            "ReplicationController",
        ] {
            assert_eq!(pod_spec(k, &t), Some(&spec), "{k}");
        }
        let cron = json!({"spec": {"jobTemplate": {"spec": {"template": {"spec": spec}}}}});
        assert_eq!(pod_spec("CronJob", &cron), Some(&spec));
        assert_eq!(pod_spec("Pod", &json!({"spec": spec})), Some(&spec));
        assert_eq!(pod_spec("ConfigMap", &json!({"data": {}})), None);
        let all = json!({
            "initContainers": [{"name": "i", "image": "init:1"}],
            "containers": [{"name": "c", "image": "app:1"}],
            "ephemeralContainers": [{"name": "e", "image": "debug:1"}],
        });
        assert_eq!(
            containers(&all),
            vec![
                ("initContainers", "i".into(), "init:1".into()),
                ("containers", "c".into(), "app:1".into()),
                ("ephemeralContainers", "e".into(), "debug:1".into()),
            ]
        );
    }
}
