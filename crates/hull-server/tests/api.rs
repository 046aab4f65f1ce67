//! The HTTP API of an in-process server: every endpoint against every kind of caller, bounded
//! and malformed bodies, the registry webhook's secret, the OpenAPI document against the
//! official OpenAPI 3.1 schema, the metrics, and a re-match after an advisory import that
//! finds what a fresh scan finds, records it and announces it.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::*;
use serde_json::Value;

/// A CycloneDX SBOM of one Debian 12 package: libexpat1 2.5.0-1 (source expat).
const SBOM: &str = r#"{
  "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
  "components": [{
    "type": "library", "name": "libexpat1", "version": "2.5.0-1",
    "purl": "pkg:deb/debian/libexpat1@2.5.0-1?arch=amd64&distro=debian-12&upstream=expat"
  }]
}"#;

const DIGEST: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";

fn distribution_push(repo: &str) -> String {
    format!(
        r#"{{"events":[{{"action":"push","target":{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{DIGEST}","repository":"{repo}","url":"http://127.0.0.1:9/v2/{repo}/manifests/{DIGEST}"}},"request":{{"host":"127.0.0.1:9"}}}}]}}"#
    )
}

#[test]
fn every_endpoint_answers_each_caller_by_role() {
    let s = Server::start(|_| {});
    let viewer = s.token("v", "viewer");
    let scanner = s.token("s", "scanner");
    let revoked = s.token("r", "admin");
    assert_eq!(
        s.call("DELETE", "/api/v1/tokens/r", Some(ADMIN), b"").0,
        204
    );

    // (method, path, body, the least role, what that role gets)
    let endpoints: Vec<(&str, String, Vec<u8>, &str, u16)> = vec![
        (
            "POST",
            "/api/v1/scans".into(),
            br#"{"image":"127.0.0.1:9/team/app:1"}"#.to_vec(),
            "scanner",
            202,
        ),
        ("GET", "/api/v1/scans/nope".into(), vec![], "viewer", 404),
        ("GET", "/api/v1/images".into(), vec![], "viewer", 200),
        (
            "GET",
            format!("/api/v1/images/{DIGEST}"),
            vec![],
            "viewer",
            404,
        ),
        (
            "GET",
            format!("/api/v1/images/{DIGEST}/report?format=sarif"),
            vec![],
            "viewer",
            404,
        ),
        (
            "POST",
            "/api/v1/sboms".into(),
            b"{}".to_vec(),
            "scanner",
            400,
        ),
        ("GET", "/api/v1/findings".into(), vec![], "viewer", 200),
        ("GET", "/api/v1/audit".into(), vec![], "admin", 200),
        (
            "POST",
            "/api/v1/db/import".into(),
            b"not a zip".to_vec(),
            "admin",
            400,
        ),
        ("GET", "/api/v1/tokens".into(), vec![], "admin", 200),
        (
            "DELETE",
            "/api/v1/tokens/nobody".into(),
            vec![],
            "admin",
            404,
        ),
    ];
    let rank = |r: &str| {
        ["viewer", "scanner", "admin"]
            .iter()
            .position(|x| *x == r)
            .unwrap()
    };
    let callers: [(&str, Option<&str>); 6] = [
        ("none", None),
        ("bad", Some("hull_0000")),
        ("revoked", Some(&revoked)),
        ("viewer", Some(&viewer)),
        ("scanner", Some(&scanner)),
        ("admin", Some(ADMIN)),
    ];
    for (method, path, body, least, ok) in &endpoints {
        for (who, token) in &callers {
            let (status, text) = s.call(method, path, *token, body);
            let expected = match *who {
                "none" | "bad" | "revoked" => 401,
                r if rank(r) < rank(least) => 403,
                _ => *ok,
            };
            assert_eq!(status, expected, "{who} {method} {path}: {text}");
            let err: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            if status >= 400 {
                assert!(
                    err["error"].is_string(),
                    "{who} {method} {path}: not a JSON error: {text}"
                );
            }
        }
    }
    // A new token may be made only by an admin, and its name only once.
    let body = br#"{"name":"ci","role":"viewer"}"#;
    assert_eq!(
        s.call("POST", "/api/v1/tokens", Some(&scanner), body).0,
        403
    );
    assert_eq!(s.call("POST", "/api/v1/tokens", Some(ADMIN), body).0, 201);
    assert_eq!(s.call("POST", "/api/v1/tokens", Some(ADMIN), body).0, 409);

    // Every mutating call is audited, denied ones too, with the caller and the client.
    let audit = s.json("GET", "/api/v1/audit?limit=10000", Some(ADMIN), b"");
    let entries = audit["entries"].as_array().unwrap();
    let has = |actor: &str, action: &str, status: i64| {
        entries.iter().any(|e| {
            e["actor"] == actor
                && e["action"] == action
                && e["status"] == status
                && e["client"] == "127.0.0.1"
        })
    };
    assert!(has("s", "scan.submit", 202), "{entries:?}");
    assert!(has("anonymous", "POST /api/v1/scans", 401));
    assert!(has("invalid-token", "POST /api/v1/scans", 401));
    assert!(has("v", "POST /api/v1/scans", 403));
    assert!(has("admin", "token.revoke", 204));
    assert!(has("admin", "token.create", 201));
    assert!(has("admin", "POST /api/v1/tokens", 409));
    // Reads are not audited.
    assert!(!entries
        .iter()
        .any(|e| e["action"].as_str().unwrap().starts_with("GET")));
    // No token's secret is ever listed.
    let tokens = s.call("GET", "/api/v1/tokens", Some(ADMIN), b"").1;
    assert!(
        !tokens.contains(&scanner) && !tokens.contains("hash"),
        "{tokens}"
    );
}

#[test]
fn bodies_are_bounded_and_checked() {
    let s = Server::start(|c| c.max_body = 4096);
    let big = vec![b' '; 8192];
    assert_eq!(s.call("POST", "/api/v1/sboms", Some(ADMIN), &big).0, 413);
    assert_eq!(
        s.call("POST", "/api/v1/db/import", Some(ADMIN), &big).0,
        413
    );
    for (body, why) in [
        (&b"{"[..], "EOF"),
        (br#"{"image": 5}"#, "invalid type"),
        (br#"{"image":"a:1","extra":1}"#, "unknown field"),
        (br#"{"image":"has space:1"}"#, "whitespace"),
    ] {
        let (status, text) = s.call("POST", "/api/v1/scans", Some(ADMIN), body);
        assert_eq!(status, 400, "{text}");
        assert!(text.contains(why), "{why}: {text}");
    }
    let (status, text) = s.call(
        "POST",
        "/api/v1/tokens",
        Some(ADMIN),
        br#"{"name":"x","role":"root"}"#,
    );
    assert_eq!(status, 400, "{text}");
    let (status, _) = s.call(
        "GET",
        &format!("/api/v1/images/{DIGEST}/report?format=pdf"),
        Some(ADMIN),
        b"",
    );
    assert_eq!(status, 400);
    // The same reference queued twice is one job.
    let a = s.json(
        "POST",
        "/api/v1/scans",
        Some(ADMIN),
        br#"{"image":"127.0.0.1:9/x/y:1"}"#,
    );
    let b = s.json(
        "POST",
        "/api/v1/scans",
        Some(ADMIN),
        br#"{"image":"127.0.0.1:9/x/y:1"}"#,
    );
    assert_eq!(a["id"], b["id"]);
    assert_eq!(
        (a["new"].as_bool(), b["new"].as_bool()),
        (Some(true), Some(false))
    );
}

#[test]
fn registry_webhook_needs_its_secret_and_queues_manifest_pushes() {
    let s = Server::start(|c| c.webhook_secret = Some("hook-secret".into()));
    let push = distribution_push("team/app");
    let call = |auth: Option<&str>, body: &str| {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let mut rq = agent.post(s.url("/api/v1/webhooks/registry")).header(
            "content-type",
            "application/vnd.docker.distribution.events.v1+json",
        );
        if let Some(a) = auth {
            rq = rq.header("authorization", a);
        }
        let mut r = rq.send(body).unwrap();
        (
            r.status().as_u16(),
            r.body_mut().read_to_string().unwrap_or_default(),
        )
    };
    assert_eq!(call(None, &push).0, 401);
    assert_eq!(call(Some("Bearer wrong"), &push).0, 401);
    assert_eq!(call(Some("hook-secret-and-more"), &push).0, 401);
    // Unknown events and blob-only envelopes are ignored.
    assert_eq!(
        call(Some("Bearer hook-secret"), r#"{"hello":"world"}"#).0,
        204
    );
    let blob = push.replace(
        "application/vnd.oci.image.manifest.v1+json",
        "application/octet-stream",
    );
    assert_eq!(call(Some("hook-secret"), &blob).0, 204);
    let (status, text) = call(Some("Bearer hook-secret"), &push);
    assert_eq!(status, 202, "{text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    let image = format!("127.0.0.1:9/team/app@{DIGEST}");
    assert_eq!(v["queued"][0]["image"], image.as_str());
    let job = s.json(
        "GET",
        &format!("/api/v1/scans/{}", v["queued"][0]["id"].as_str().unwrap()),
        Some(ADMIN),
        b"",
    );
    assert_eq!(job["image"], image.as_str());

    let audit = s.json("GET", "/api/v1/audit", Some(ADMIN), b"");
    let hooks: Vec<(i64, String)> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["actor"] == "registry-webhook")
        .map(|e| {
            (
                e["status"].as_i64().unwrap(),
                e["target"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        hooks,
        vec![
            (401, "".into()),
            (401, "".into()),
            (401, "".into()),
            (204, "".into()),
            (204, "".into()),
            (202, image)
        ]
    );
}

#[test]
fn a_webhook_without_a_configured_secret_is_refused() {
    let s = Server::start(|_| {});
    let (status, _) = s.call(
        "POST",
        "/api/v1/webhooks/registry",
        None,
        distribution_push("a/b").as_bytes(),
    );
    assert_eq!(status, 401);
}

#[test]
fn openapi_document_is_valid_openapi_3_1_and_lists_every_route() {
    let s = Server::start(|_| {});
    let doc = s.json("GET", "/api/v1/openapi.json", None, b"");
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1."),
        "{}",
        doc["openapi"]
    );
    hull_testkit::assert_schema_valid("openapi-3.1", "schema.json", &doc);
    let paths: BTreeSet<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let expected: BTreeSet<&str> = [
        "/api/v1/scans",
        "/api/v1/scans/{id}",
        "/api/v1/images",
        "/api/v1/images/{digest}",
        "/api/v1/images/{digest}/report",
        "/api/v1/sboms",
        "/api/v1/webhooks/registry",
        "/api/v1/findings",
        "/api/v1/audit",
        "/api/v1/db/import",
        "/api/v1/tokens",
        "/api/v1/tokens/{name}",
        "/api/v1/admission",
        "/api/v1/admission/decisions",
    ]
    .into();
    assert_eq!(paths, expected);
    // Every path the document names is served (not 404 or 405 for its method).
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let concrete = path
                .replace("{id}", "x")
                .replace("{digest}", DIGEST)
                .replace("{name}", "x");
            let (status, _) = s.call(&method.to_uppercase(), &concrete, Some(ADMIN), b"{}");
            assert!(
                status != 404 || concrete.contains("/x") || concrete.contains(DIGEST),
                "{method} {path}: {status}"
            );
            assert_ne!(status, 405, "{method} {path}");
        }
    }
}

#[test]
fn health_readiness_and_metrics() {
    let s = Server::start(|_| {});
    assert_eq!(s.call("GET", "/healthz", None, b"").0, 200);
    // No advisory database yet: not ready, and says why.
    let (status, body) = s.call("GET", "/readyz", None, b"");
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("not open"), "{body}");
    s.json("GET", "/api/v1/images", Some(ADMIN), b"");
    let (_, text) = s.call("GET", "/metrics", None, b"");
    for name in [
        "hull_queue_depth",
        "hull_jobs_running",
        "hull_scan_duration_seconds",
        "hull_rematched_images_total",
        "hull_http_request_duration_seconds_bucket{",
    ] {
        assert!(text.contains(name), "{name} missing:\n{text}");
    }
    assert!(text.contains(r#"route="/api/v1/images""#), "{text}");
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        assert!(line.starts_with("hull_"), "{line}");
    }
}

#[test]
fn an_advisory_import_rematches_stored_sboms_and_announces_the_change() {
    let (hook, received) = listener();
    let s = Server::start(|c| {
        c.notify = vec![hull_server::NotifyTarget {
            url: hook.clone(),
            slack: false,
        }];
    });
    // A database without expat's advisories.
    let openssl = osv_zip(&osv_records("debian", "openssl"));
    let r = s.json(
        "POST",
        "/api/v1/db/import?name=Debian-openssl",
        Some(ADMIN),
        &openssl,
    );
    assert!(r["advisories"].as_u64().unwrap() > 0, "{r}");
    assert_eq!(s.call("GET", "/readyz", None, b"").0, 200);
    let stored = s.json(
        "POST",
        "/api/v1/sboms?name=registry.example/app:1",
        Some(ADMIN),
        SBOM.as_bytes(),
    );
    let digest = stored["digest"].as_str().unwrap().to_string();
    assert!(digest.starts_with("sbom:sha256:"), "{digest}");
    let before = s.json("GET", &format!("/api/v1/images/{digest}"), Some(ADMIN), b"");
    assert_eq!(before["counts"].get("vuln"), None, "{before}");
    assert_eq!(
        before["references"],
        serde_json::json!(["registry.example/app:1"])
    );

    // expat's advisories arrive: the stored SBOM is matched again, without a new upload.
    let expat = osv_records("debian", "expat");
    s.json(
        "POST",
        "/api/v1/db/import?name=Debian-expat",
        Some(ADMIN),
        &osv_zip(&expat),
    );
    let events = wait_for(60, "re-match findings", || {
        let f = s.json("GET", "/api/v1/findings", Some(ADMIN), b"");
        let ev: Vec<Value> = f["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["cause"] == "rematch")
            .cloned()
            .collect();
        (!ev.is_empty()).then_some(ev)
    });

    // What the re-match found is what a fresh scan of the same SBOM against the same
    // database finds: the CLI's own code path is the reference.
    let sbom = s.dir.path().join("app.cdx.json");
    std::fs::write(&sbom, SBOM).unwrap();
    let mut plan = hull_scan::ScanPlan::new(hull_scan::Target::Image {
        target: sbom.display().to_string(),
        open: Default::default(),
    });
    plan.scanners = [hull_types::Scanner::Vuln].into();
    plan.advisory_db = Some(s.db.clone());
    let fresh = hull_scan::run(&plan, None).unwrap().report;
    let expected: BTreeSet<String> = fresh.vulnerabilities.iter().map(|v| v.id.clone()).collect();
    assert!(!expected.is_empty(), "the expat records affect 2.5.0-1");
    let got: BTreeSet<String> = events
        .iter()
        .map(|e| {
            assert_eq!(e["change"], "appeared");
            assert_eq!(e["digest"], digest.as_str());
            assert_eq!(e["subject"], "libexpat1@2.5.0-1");
            e["finding"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(got, expected);

    let after = s.json("GET", &format!("/api/v1/images/{digest}"), Some(ADMIN), b"");
    assert_eq!(after["scanned_at"], before["scanned_at"]);
    assert!(after["counts"]["vuln"].is_object(), "{after}");
    // The report now holds them, in every format.
    let sarif = s.json(
        "GET",
        &format!("/api/v1/images/{digest}/report?format=sarif"),
        Some(ADMIN),
        b"",
    );
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), expected.len());

    let body: Value =
        serde_json::from_str(&received.recv_timeout(Duration::from_secs(30)).unwrap()).unwrap();
    assert_eq!(body["event"], "findings.changed");
    assert_eq!(body["cause"], "rematch");
    assert_eq!(body["digest"], digest.as_str());
    let announced: BTreeSet<String> = body["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["finding"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(announced, expected);
    let metrics = s.call("GET", "/metrics", None, b"").1;
    assert!(
        metrics.contains(&format!(
            "hull_rematch_findings_total{{change=\"appeared\"}} {}",
            expected.len()
        )),
        "{metrics}"
    );
    assert!(
        metrics.contains("hull_notifications_total{outcome=\"sent\"} 1"),
        "{metrics}"
    );
}

#[test]
fn a_scheduled_update_builds_the_database_and_rematches_what_changed() {
    if !hull_testkit::have_tool("python3") {
        return;
    }
    // A mirror laid out as the OSV bucket, on loopback.
    let mirror = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(mirror.path().join("Debian")).unwrap();
    let zip = mirror.path().join("Debian/all.zip");
    std::fs::write(&zip, osv_zip(&osv_records("debian", "openssl"))).unwrap();
    let (_http, port) = http_server(mirror.path());
    let s = Server::start(|c| {
        c.db_update = Some((
            Duration::from_secs(1),
            hull_scan::db::UpdateOptions {
                mirror: format!("http://127.0.0.1:{port}"),
                ecosystems: vec!["Debian".into()],
                download_dir: c.advisory_db.with_file_name("osv"),
                max_bytes: 64 << 20,
                timeout: Duration::from_secs(30),
            },
        ));
    });
    wait_for(60, "the first update", || {
        (s.call("GET", "/readyz", None, b"").0 == 200).then_some(())
    });
    let stored = s.json("POST", "/api/v1/sboms", Some(ADMIN), SBOM.as_bytes());
    let digest = stored["digest"].as_str().unwrap().to_string();
    // The mirror publishes expat's advisories; the next update brings them in.
    std::thread::sleep(Duration::from_millis(1100));
    let mut both = osv_records("debian", "openssl");
    both.extend(osv_records("debian", "expat"));
    std::fs::write(&zip, osv_zip(&both)).unwrap();
    wait_for(60, "findings from the update", || {
        let f = s.json("GET", "/api/v1/findings", Some(ADMIN), b"");
        f["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| {
                e["cause"] == "rematch"
                    && e["digest"] == digest.as_str()
                    && e["subject"] == "libexpat1@2.5.0-1"
            })
            .then_some(())
    });
}

#[test]
fn registry_errors_are_retried_then_fail_with_the_registrys_error() {
    let s = Server::start(|c| {
        c.retry_delay = Duration::ZERO;
        c.max_attempts = 3;
        c.registry.timeout = Some(Duration::from_secs(5));
    });
    // Nothing listens on port 9: every attempt fails to reach the registry.
    let q = s.json(
        "POST",
        "/api/v1/scans",
        Some(ADMIN),
        br#"{"image":"127.0.0.1:9/team/app:1"}"#,
    );
    let id = q["id"].as_str().unwrap().to_string();
    let job = wait_for(60, "the job to fail", || {
        let j = s.json("GET", &format!("/api/v1/scans/{id}"), Some(ADMIN), b"");
        (j["state"] == "failed").then_some(j)
    });
    assert_eq!(job["attempts"], 3, "{job}");
    assert!(
        job["error"].as_str().unwrap().contains("127.0.0.1:9"),
        "{job}"
    );
    let metrics = s.call("GET", "/metrics", None, b"").1;
    assert!(
        metrics.contains("hull_scans_total{outcome=\"retry\"} 2"),
        "{metrics}"
    );
    assert!(
        metrics.contains("hull_scans_total{outcome=\"error\"} 1"),
        "{metrics}"
    );
}

#[test]
fn scans_and_pushes_only_from_allowed_registries() {
    let s = Server::start(|c| {
        c.allowed_registries = vec!["127.0.0.1:9".into()];
        c.webhook_secret = Some("k".into());
    });
    let (status, text) = s.call(
        "POST",
        "/api/v1/scans",
        Some(ADMIN),
        br#"{"image":"10.0.0.1:5000/internal/x:1"}"#,
    );
    assert_eq!(status, 403, "{text}");
    assert!(
        text.contains("registry 10.0.0.1:5000 is not one this server scans from"),
        "{text}"
    );
    assert_eq!(
        s.call(
            "POST",
            "/api/v1/scans",
            Some(ADMIN),
            br#"{"image":"127.0.0.1:9/team/app:1"}"#
        )
        .0,
        202
    );
    // A push notification from another registry queues nothing.
    let other = distribution_push("team/app").replace("127.0.0.1:9", "10.0.0.1:5000");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let r = agent
        .post(s.url("/api/v1/webhooks/registry"))
        .header("authorization", "Bearer k")
        .send(other.as_bytes())
        .unwrap();
    assert_eq!(r.status().as_u16(), 204);
}
