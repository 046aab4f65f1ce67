//! The admission webhook of an in-process server, decided from stored evidence: every kind
//! with a pod template and every container list, enforce and audit modes, exempt
//! namespaces, dry runs, unscanned images, registries, digest pinning, the Pod Security
//! Standards admission controller's own fixtures wrapped as AdmissionReviews (the verdict
//! must be the fixture's), and hostile bodies.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::*;
use hull_policy::admission::{Mode, PodSecurity, Unscanned};
use hull_server::store::{ImageRow, ImageWrite};
use hull_server::{SqlStore, Store};
use serde_json::{json, Value};

const PASSED: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const FAILED: &str = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const NEVER: &str = "sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc";

fn img(digest: &str) -> String {
    format!("127.0.0.1:9/team/app@{digest}")
}

/// Stores the two verdicts straight in the server's store, as scans would have.
fn seed(s: &Server) {
    let url = format!("sqlite://{}", s.dir.path().join("server.db").display());
    hull_server::block_on(async {
        let store = SqlStore::connect(&url).await.unwrap();
        for (digest, passed) in [(PASSED, true), (FAILED, false)] {
            store
                .put_image(ImageWrite {
                    row: ImageRow {
                        digest: digest.into(),
                        repository: "127.0.0.1:9/team/app".into(),
                        source: "registry".into(),
                        passed,
                        verdict: if passed {
                            "passed".into()
                        } else {
                            "failed: 2 critical vulnerabilities over threshold high".into()
                        },
                        counts: json!({}),
                        scanned_at: 1,
                        matched_at: 1,
                        judged_at: 1,
                        references: vec![img(digest)],
                        failures: if passed {
                            vec![]
                        } else {
                            vec!["CVE-2024-0001".into(), "CVE-2024-0002".into()]
                        },
                    },
                    report: "{}".into(),
                    advisory_db: "1".into(),
                    events: vec![],
                })
                .await
                .unwrap();
        }
    });
}

/// A pod spec that passes the restricted profile, with these containers.
fn spec(containers: Value) -> Value {
    let mut spec = json!({
        "securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
    });
    for (section, list) in containers.as_object().unwrap() {
        let list: Vec<Value> = list
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
            .map(|(i, image)| {
                json!({
                    "name": format!("c{i}"),
                    "image": image,
                    "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}},
                })
            })
            .collect();
        spec[section] = Value::Array(list);
    }
    spec
}

fn object(kind: &str, spec: Value) -> Value {
    let template = json!({"metadata": {"labels": {"app": "x"}}, "spec": spec});
    let body = match kind {
        "Pod" => {
            return json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "shop"}, "spec": template["spec"]})
        }
        "CronJob" => {
            json!({"schedule": "* * * * *", "jobTemplate": {"spec": {"template": template}}})
        }
        _ => json!({"selector": {"matchLabels": {"app": "x"}}, "template": template}),
    };
    json!({"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": "w", "namespace": "shop"}, "spec": body})
}

fn review(uid: &str, object: &Value, dry_run: bool) -> Vec<u8> {
    let ns = object
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or("default");
    serde_json::to_vec(&json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": uid,
            "kind": {"group": "", "version": "v1", "kind": object["kind"]},
            "resource": {"group": "", "version": "v1", "resource": "x"},
            "namespace": ns,
            "operation": "CREATE",
            "object": object,
            "dryRun": dry_run,
        }
    }))
    .unwrap()
}

fn admit(s: &Server, body: &[u8]) -> Value {
    let v = s.json("POST", "/api/v1/admission", None, body);
    assert_eq!(v["kind"], "AdmissionReview");
    v["response"].clone()
}

fn strict(c: &mut hull_server::Config) {
    c.admission.pod_security = PodSecurity::Restricted;
    c.admission.require_passed_scan = true;
    c.admission.unscanned = Unscanned::Deny;
    c.admission.resolve_timeout = Duration::from_millis(500);
}

#[test]
fn every_kind_and_container_list_is_judged_by_its_digests_verdict() {
    let s = Server::start(strict);
    seed(&s);
    for kind in [
        "Pod",
        "Deployment",
        "ReplicaSet",
        "StatefulSet",
        "DaemonSet",
        "Job",
        "CronJob",
        "ReplicationController",
    ] {
        let good = object(
            kind,
            spec(json!({"containers": [img(PASSED)], "initContainers": [img(PASSED)]})),
        );
        let r = admit(&s, &review(&format!("{kind}-ok"), &good, false));
        assert_eq!(r["uid"], format!("{kind}-ok"));
        assert_eq!(r["allowed"], true, "{kind}: {r}");
        assert_eq!(r["auditAnnotations"]["hull.dev/decision"], "allow");
        for section in ["containers", "initContainers", "ephemeralContainers"] {
            let mut lists = json!({"containers": [img(PASSED)]});
            lists[section] = json!([img(FAILED)]);
            let bad = object(kind, spec(lists));
            let r = admit(&s, &review("u", &bad, false));
            assert_eq!(r["allowed"], false, "{kind} {section}: {r}");
            let m = r["status"]["message"].as_str().unwrap();
            assert_eq!(r["status"]["code"], 403);
            for needle in [
                section,
                FAILED,
                "CVE-2024-0001",
                "CVE-2024-0002",
                "failed: 2 critical",
            ] {
                assert!(m.contains(needle), "{kind} {section}: {needle} not in {m}");
            }
            assert!(r["auditAnnotations"]["hull.dev/digests"]
                .as_str()
                .unwrap()
                .contains(FAILED));
        }
    }
}

#[test]
fn modes_exemptions_dry_runs_and_unscanned_images() {
    let s = Server::start(|c| {
        strict(c);
        c.admission.namespaces.insert("dev".into(), Mode::Audit);
        c.admission.exempt_namespaces.insert("kube-system".into());
    });
    seed(&s);
    let with_ns = |ns: &str, image: &str| {
        let mut o = object("Deployment", spec(json!({"containers": [image]})));
        o["metadata"]["namespace"] = json!(ns);
        o
    };
    // Enforce: denied; audit: admitted with the reason as a warning; exempt: not looked at.
    let r = admit(&s, &review("1", &with_ns("shop", &img(FAILED)), false));
    assert_eq!(r["allowed"], false);
    let r = admit(&s, &review("2", &with_ns("dev", &img(FAILED)), false));
    assert_eq!(r["allowed"], true);
    assert!(
        r["warnings"][0]
            .as_str()
            .unwrap()
            .starts_with("(audit) containers \"c0\""),
        "{r}"
    );
    assert_eq!(r["auditAnnotations"]["hull.dev/decision"], "audit");
    let r = admit(
        &s,
        &review("3", &with_ns("kube-system", &img(FAILED)), false),
    );
    assert_eq!(
        (
            r["allowed"].as_bool(),
            r["auditAnnotations"]["hull.dev/mode"].as_str()
        ),
        (Some(true), Some("exempt"))
    );
    // Never scanned: denied with the digest named.
    let r = admit(&s, &review("4", &with_ns("shop", &img(NEVER)), false));
    let m = r["status"]["message"].as_str().unwrap();
    assert!(m.contains(NEVER) && m.contains("never scanned"), "{m}");
    // A dry run is answered and not recorded.
    let r = admit(&s, &review("dry", &with_ns("shop", &img(FAILED)), true));
    assert_eq!(r["allowed"], false);
    let d = s.json("GET", "/api/v1/admission/decisions", Some(ADMIN), b"");
    let uids: Vec<&str> = d["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["uid"].as_str().unwrap())
        .collect();
    assert_eq!(uids, ["1", "2", "3", "4"]);
    let first = &d["decisions"][0];
    assert_eq!(
        (
            first["namespace"].as_str(),
            first["kind"].as_str(),
            first["allowed"].as_bool()
        ),
        (Some("shop"), Some("Deployment"), Some(false))
    );
    assert_eq!(first["images"][0]["digest"], FAILED);
    // Decisions need a token to read.
    assert_eq!(
        s.call("GET", "/api/v1/admission/decisions", None, b"").0,
        401
    );
    let metrics = s.call("GET", "/metrics", None, b"").1;
    assert!(
        metrics.contains(r#"hull_admission_decisions_total{decision="deny",reason="verdict"}"#),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"hull_admission_decisions_total{decision="allow",reason="exempt"} 1"#),
        "{metrics}"
    );
}

#[test]
fn registries_pinning_tags_and_warn_for_unscanned() {
    let s = Server::start(|c| {
        strict(c);
        c.admission.allowed_registries = vec!["127.0.0.1:9".into()];
        c.admission.require_digest = true;
        c.admission.unscanned = Unscanned::Warn;
        c.admission.deny_on_timeout = true;
    });
    seed(&s);
    let deploy = |image: &str| object("Deployment", spec(json!({"containers": [image]})));
    let r = admit(&s, &review("a", &deploy("ghcr.io/evil/app@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), false));
    assert!(
        r["status"]["message"]
            .as_str()
            .unwrap()
            .contains("registry ghcr.io is not allowed"),
        "{r}"
    );
    // A tag: not pinned, and its registry (nothing listens on port 9) cannot resolve it.
    let start = Instant::now();
    let r = admit(&s, &review("b", &deploy("127.0.0.1:9/team/app:1.0"), false));
    let m = r["status"]["message"].as_str().unwrap();
    assert!(
        m.contains("not pinned by digest") && m.contains("digest not resolved"),
        "{m}"
    );
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "the registry's silence is bounded"
    );
    // Unscanned in warn mode: admitted, with the warning.
    let r = admit(&s, &review("c", &deploy(&img(NEVER)), false));
    assert_eq!(r["allowed"], true, "{r}");
    assert!(
        r["warnings"][0].as_str().unwrap().contains("never scanned"),
        "{r}"
    );
}

/// A YAML node as JSON (the fixtures are YAML; the API server sends JSON).
fn to_json(n: &hull_yaml::Node) -> Value {
    use hull_yaml::Value as Y;
    match &n.value {
        Y::Null => Value::Null,
        Y::Bool(b) => json!(b),
        Y::Int(i) => json!(i),
        Y::Float(f) => json!(f),
        Y::Str(s) => json!(s),
        Y::Seq(items) => Value::Array(items.iter().map(to_json).collect()),
        Y::Map(entries) => Value::Object(
            entries
                .iter()
                .map(|(k, v)| (k.clone(), to_json(v)))
                .collect(),
        ),
    }
}

#[test]
fn pod_security_fixtures_as_admission_reviews_get_their_verdicts() {
    let root = hull_testkit::repo_root().join("crates/hull-config/tests/fixtures/pss");
    for (level, dir, expected_count) in [
        (PodSecurity::Baseline, "baseline", 49),
        (PodSecurity::Restricted, "restricted", 99),
    ] {
        let s = Server::start(|c| {
            c.admission.pod_security = level;
            c.admission.require_passed_scan = false;
        });
        let mut checked = 0;
        let mut wrong = vec![];
        for verdict in ["pass", "fail"] {
            let base = root.join(dir).join("v1.37").join(verdict);
            let mut files: Vec<_> = std::fs::read_dir(&base)
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            files.sort();
            for f in files {
                let (docs, err) =
                    hull_yaml::parse_stream(&std::fs::read(&f).unwrap(), &Default::default());
                assert!(err.is_none(), "{}", f.display());
                let pod = to_json(&docs[0].root);
                let r = admit(&s, &review("pss", &pod, true));
                let allowed = r["allowed"].as_bool().unwrap();
                if allowed != (verdict == "pass") {
                    wrong.push(format!(
                        "{dir}/{verdict}/{}: {}",
                        name(&f),
                        r["status"]["message"]
                    ));
                }
                checked += 1;
            }
        }
        assert!(
            wrong.is_empty(),
            "{} of {checked} disagree:\n{}",
            wrong.len(),
            wrong.join("\n")
        );
        assert_eq!(checked, expected_count);
    }
}

fn name(p: &Path) -> String {
    p.file_name().unwrap().to_string_lossy().into_owned()
}

#[test]
fn hostile_bodies_get_quick_clear_answers() {
    let s = Server::start(|c| {
        strict(c);
        c.max_body = 4 << 20;
    });
    seed(&s);
    for (body, why) in [
        (&b"{"[..], "not an AdmissionReview"),
        (br#"{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{"uid":"x"}}"#, "is not admission.k8s.io/v1"),
        (br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}"#, "no request"),
    ] {
        let (status, text) = s.call("POST", "/api/v1/admission", None, body);
        assert_eq!(status, 400, "{text}");
        assert!(text.contains(why), "{why}: {text}");
    }
    // A kind hull cannot judge is refused, saying so.
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "shop"}, "data": {}});
    let r = admit(&s, &review("cm", &cm, false));
    assert_eq!(r["allowed"], false);
    assert!(r["status"]["message"]
        .as_str()
        .unwrap()
        .contains("ConfigMap: no pod template"));
    // 10,000 containers: refused whole, at once.
    let many: Vec<String> = (0..10_000).map(|_| img(PASSED)).collect();
    let big = object("Pod", spec(json!({"containers": many})));
    let start = Instant::now();
    let r = admit(&s, &review("big", &big, false));
    assert_eq!(r["allowed"], false);
    assert!(
        r["status"]["message"]
            .as_str()
            .unwrap()
            .contains("10000 containers"),
        "{r}"
    );
    assert!(start.elapsed() < Duration::from_secs(5));
    // Over the body bound.
    // Over the body bound: 413, or the connection closed under a client still sending (the
    // server answers before reading the rest).
    let huge = vec![b' '; 5 << 20];
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    match agent.post(s.url("/api/v1/admission")).send(&huge[..]) {
        Ok(r) => assert_eq!(r.status().as_u16(), 413),
        Err(ureq::Error::Io(e)) => assert!(
            matches!(
                e.kind(),
                std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset
            ),
            "{e}"
        ),
        Err(e) => panic!("{e}"),
    }
    // The server still answers.
    let ok = object("Pod", spec(json!({"containers": [img(PASSED)]})));
    assert_eq!(admit(&s, &review("after", &ok, false))["allowed"], true);
}
