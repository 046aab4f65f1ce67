//! `hull serve` end to end with real parts on loopback: Debian's `docker-registry` sends its
//! push notifications to the server, `skopeo` pushes a real image, the webhook queues the
//! scan, the report is read in every format; then an OSV import adds advisories for a
//! package of that image and the stored inventory is matched again (no registry blob is
//! read) into new findings and a notification. And a server killed while jobs are queued and
//! running finishes every job once after a restart.
//!
//! Needs `docker-registry`, `skopeo` and the test images (installed and built by `.ci/run`);
//! fails without them unless `HULL_SKIP_IMAGE_TESTS=1`.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use serde_json::Value;

const ADMIN: &str = "hull_e2e_admin";
const SECRET: &str = "registry-hook-secret";

/// A registry on loopback, logging every request to `dir/registry.log`, optionally
/// notifying `hook`.
fn registry(dir: &Path, hook: Option<&str>) -> (Killed, u16) {
    let port = free_port();
    let storage = dir.join("registry");
    std::fs::create_dir_all(&storage).unwrap();
    let notifications = hook.map_or(String::new(), |url| {
        format!(
            "notifications:\n  endpoints:\n    - name: hull\n      url: {url}\n      headers:\n        Authorization: [\"Bearer {SECRET}\"]\n      timeout: 5s\n      threshold: 3\n      backoff: 1s\n"
        )
    });
    let cfg = format!(
        "version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: false\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n{notifications}",
        storage.display()
    );
    std::fs::write(dir.join("registry.yml"), cfg).unwrap();
    let log = std::fs::File::create(dir.join("registry.log")).unwrap();
    let child = Command::new("docker-registry")
        .arg("serve")
        .arg(dir.join("registry.yml"))
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    wait_port(port);
    (Killed(child), port)
}

/// Blob reads the registry served so far.
fn blob_reads(dir: &Path) -> usize {
    std::fs::read_to_string(dir.join("registry.log"))
        .unwrap_or_default()
        .lines()
        .filter(|l| {
            (l.contains("\"GET /v2/") || l.contains("\"HEAD /v2/")) && l.contains("/blobs/")
        })
        .count()
}

fn push(src: &str, dest: &str) {
    let o = Command::new("skopeo")
        .args([
            "copy",
            "-q",
            "--dest-tls-verify=false",
            src,
            &format!("docker://{dest}"),
        ])
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "skopeo: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

fn serve(dir: &Path, port: u16, extra: &[&str]) -> Killed {
    let mut c = hull();
    c.env("HULL_ADMIN_TOKEN", ADMIN)
        .env_remove("SOURCE_DATE_EPOCH")
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .arg("--store")
        .arg(format!("sqlite://{}", dir.join("server.db").display()))
        .arg("--db")
        .arg(dir.join("advisories.db"))
        .arg("--cache-dir")
        .arg(dir.join("cache"))
        .args(["--webhook-secret", SECRET])
        .args(extra)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join(format!("serve-{port}.log"))).unwrap());
    let p = Killed(c.spawn().unwrap());
    wait_port(port);
    p
}

struct Api(String);

impl Api {
    fn call(&self, method: &str, path: &str, body: &[u8]) -> (u16, String) {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        let url = format!("{}{path}", self.0);
        let auth = format!("Bearer {ADMIN}");
        let r = if method == "GET" {
            agent.get(&url).header("authorization", &auth).call()
        } else {
            agent.post(&url).header("authorization", &auth).send(body)
        };
        let mut r = r.unwrap();
        let status = r.status().as_u16();
        (
            status,
            r.body_mut()
                .with_config()
                .limit(256 << 20)
                .read_to_string()
                .unwrap_or_default(),
        )
    }

    fn json(&self, method: &str, path: &str, body: &[u8]) -> Value {
        let (status, text) = self.call(method, path, body);
        assert!(
            (200..300).contains(&status),
            "{method} {path}: {status} {text}"
        );
        serde_json::from_str(&text).unwrap()
    }
}

fn osv_zip_of(dir: &str, needle: &str) -> Vec<u8> {
    osv_zip(&osv_records(dir, needle))
}

#[test]
fn registry_push_is_scanned_and_an_advisory_import_rematches_without_the_registry() {
    let Some(images) = test_images(&["docker-registry", "skopeo"]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let hull_port = free_port();
    let (hook, notified) = listener();
    let _server = serve(d, hull_port, &["--notify", &hook]);
    let api = Api(format!("http://127.0.0.1:{hull_port}"));
    // The server's database starts with openssl's Debian advisories only.
    api.json(
        "POST",
        "/api/v1/db/import?name=Debian-openssl",
        &osv_zip_of("debian", "openssl"),
    );

    let (_registry, reg_port) = registry(
        d,
        Some(&format!(
            "http://127.0.0.1:{hull_port}/api/v1/webhooks/registry"
        )),
    );
    let oci = format!(
        "oci:{}:debian-test",
        images.join("debian-test.oci").display()
    );
    push(&oci, &format!("127.0.0.1:{reg_port}/team/app:1.0"));

    // The push notification queues the scan; the image appears with its verdict.
    let repo = format!("127.0.0.1:{reg_port}/team/app");
    let image = wait_for(120, "the pushed image to be scanned", || {
        let page = api.json("GET", &format!("/api/v1/images?repository={repo}"), b"");
        page["images"].as_array().unwrap().first().cloned()
    });
    let digest = image["digest"].as_str().unwrap().to_string();
    assert!(
        image["references"][0]
            .as_str()
            .unwrap()
            .starts_with(&format!("{repo}@sha256:")),
        "{image}"
    );
    let audit = api.json("GET", "/api/v1/audit", b"");
    assert!(
        audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["actor"] == "registry-webhook" && e["status"] == 202),
        "{audit}"
    );

    // Every format, each checked against its official schema where it has one; the
    // inventory is dpkg-query's own list.
    let report = api.json(
        "GET",
        &format!("/api/v1/images/{digest}/report?format=json"),
        b"",
    );
    assert_eq!(names(&report), dpkg_query_packages(&images));
    let vulns_at_scan: BTreeSet<String> = report["vulnerabilities"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|v| v["id"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default();
    for (format, schema) in [
        ("sarif", Some(("sarif-2.1.0", "sarif-schema-2.1.0.json"))),
        ("cyclonedx", Some(("cyclonedx-1.6", "bom-1.6.schema.json"))),
        ("spdx", Some(("spdx-2.3", "spdx-schema.json"))),
        ("openvex", Some(("openvex-0.2", "openvex_json_schema.json"))),
        ("html", None),
        ("junit", None),
        ("markdown", None),
    ] {
        let (status, body) = api.call(
            "GET",
            &format!("/api/v1/images/{digest}/report?format={format}"),
            b"",
        );
        assert_eq!(status, 200, "{format}: {body}");
        if let Some((dir, main)) = schema {
            assert_schema_valid(dir, main, &serde_json::from_str(&body).unwrap());
        }
        if matches!(format, "cyclonedx" | "spdx") {
            assert!(body.contains("libexpat1"), "{format}: the inventory");
        }
        assert!(!body.is_empty(), "{format}");
    }

    // expat's advisories arrive. The stored inventory is matched again; the registry is
    // not asked for a single blob.
    let blobs_before = blob_reads(d);
    assert!(
        blobs_before > 0,
        "the scan read the layers from the registry"
    );
    api.json(
        "POST",
        "/api/v1/db/import?name=Debian-expat",
        &osv_zip_of("debian", "expat"),
    );
    let appeared = wait_for(120, "re-match findings", || {
        let f = api.json("GET", "/api/v1/findings", b"");
        let ev: BTreeSet<String> = f["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| {
                e["cause"] == "rematch"
                    && e["change"] == "appeared"
                    && e["digest"] == digest.as_str()
            })
            .map(|e| e["finding"].as_str().unwrap().to_string())
            .collect();
        (!ev.is_empty()).then_some(ev)
    });
    // The reference: a fresh `hull scan` of the same image against the same database.
    let fresh = scan_json(&[
        "scan",
        "--no-cache",
        "-f",
        "json",
        "--db",
        d.join("advisories.db").to_str().unwrap(),
        images.join("debian-test.oci").to_str().unwrap(),
    ]);
    let fresh_ids: BTreeSet<String> = fresh["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_string())
        .collect();
    let new_ids: BTreeSet<String> = fresh_ids.difference(&vulns_at_scan).cloned().collect();
    assert!(
        !new_ids.is_empty(),
        "expat's records affect the image's libexpat1"
    );
    assert_eq!(appeared, new_ids);
    let body: Value =
        serde_json::from_str(&notified.recv_timeout(Duration::from_secs(60)).unwrap()).unwrap();
    assert_eq!(
        (body["cause"].as_str(), body["digest"].as_str()),
        (Some("rematch"), Some(digest.as_str()))
    );
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        blob_reads(d),
        blobs_before,
        "the re-match read no blob from the registry"
    );
    let metrics = api.call("GET", "/metrics", b"").1;
    assert!(
        metrics.contains("hull_scans_total{outcome=\"passed\"} 1"),
        "{metrics}"
    );
}

/// Three images with distinct digests: the Debian test image, its zstd twin, the language one.
fn three_images(images: &Path) -> [String; 3] {
    [
        format!(
            "oci:{}:debian-test",
            images.join("debian-test.oci").display()
        ),
        format!(
            "oci:{}:debian-test",
            images.join("debian-test.zstd.oci").display()
        ),
        format!("docker-archive:{}", images.join("lang-test.tar").display()),
    ]
}

/// Waits until every job is done (a failed one fails the test at once) and returns them.
fn finished(api: &Api, ids: &[String]) -> Vec<Value> {
    wait_for(240, "every job to finish", || {
        let jobs: Vec<Value> = ids
            .iter()
            .map(|id| api.json("GET", &format!("/api/v1/scans/{id}"), b""))
            .collect();
        let failed: Vec<&Value> = jobs.iter().filter(|j| j["state"] == "failed").collect();
        assert!(failed.is_empty(), "failed jobs: {failed:?}");
        jobs.iter().all(|j| j["state"] == "done").then_some(jobs)
    })
}

#[test]
fn a_restart_while_jobs_run_completes_every_job_once() {
    let Some(images) = test_images(&["docker-registry", "skopeo"]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (_registry, reg) = registry(d, None);
    // Three images with distinct digests, one of them under two tags.
    let sources = three_images(&images);
    let mut refs = vec![];
    for (i, src) in sources.iter().enumerate() {
        let r = format!("127.0.0.1:{reg}/team/app:{i}");
        push(src, &r);
        refs.push(r);
    }
    push(&sources[0], &format!("127.0.0.1:{reg}/team/app:again"));
    refs.push(format!("127.0.0.1:{reg}/team/app:again"));

    let port = free_port();
    let mut server = serve(d, port, &["--concurrency", "1", "--no-cache"]);
    let api = Api(format!("http://127.0.0.1:{port}"));
    api.json(
        "POST",
        "/api/v1/db/import?name=Debian",
        &osv_zip_of("debian", ""),
    );
    let ids: Vec<String> = refs
        .iter()
        .map(|r| {
            let v = api.json(
                "POST",
                "/api/v1/scans",
                format!(r#"{{"image":"{r}"}}"#).as_bytes(),
            );
            v["id"].as_str().unwrap().to_string()
        })
        .collect();
    // Killed (not stopped) while the first job runs and the others wait.
    wait_for(60, "a running job", || {
        ids.iter()
            .any(|id| api.json("GET", &format!("/api/v1/scans/{id}"), b"")["state"] == "running")
            .then_some(())
    });
    let _ = server.0.kill();
    let _ = server.0.wait();
    server = serve(d, port, &["--concurrency", "2", "--no-cache"]);
    let jobs = finished(&api, &ids);
    let digests: BTreeSet<&str> = jobs.iter().map(|j| j["digest"].as_str().unwrap()).collect();
    assert_eq!(digests.len(), 3, "{jobs:?}");
    let page = api.json("GET", "/api/v1/images", b"");
    assert_eq!(page["images"].as_array().unwrap().len(), 3);
    // Each finding appeared once per image, however often its job was started.
    let f = api.json("GET", "/api/v1/findings?limit=10000", b"");
    let events = f["findings"].as_array().unwrap();
    let mut seen = BTreeSet::new();
    for e in events {
        let key = (
            e["digest"].to_string(),
            e["scanner"].to_string(),
            e["finding"].to_string(),
            e["subject"].to_string(),
            e["change"].to_string(),
        );
        assert!(seen.insert(key.clone()), "duplicated event {key:?}");
    }
    assert!(!events.is_empty());
    drop(server);
}

fn admission_review(uid: &str, image: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": uid,
            "kind": {"group": "", "version": "v1", "kind": "Pod"},
            "namespace": "shop",
            "operation": "CREATE",
            "object": {
                "apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": "app", "namespace": "shop"},
                "spec": {"containers": [{"name": "app", "image": image}]}
            }
        }
    }))
    .unwrap()
}

#[test]
fn admission_scans_an_unscanned_tag_within_the_deadline_or_follows_the_failure_mode() {
    let Some(images) = test_images(&["docker-registry", "skopeo"]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (_registry, reg) = registry(d, None);
    push(
        &format!(
            "oci:{}:debian-test",
            images.join("debian-test.oci").display()
        ),
        &format!("127.0.0.1:{reg}/team/app:1.0"),
    );
    push(
        &format!(
            "oci:{}:debian-test",
            images.join("debian-test.zstd.oci").display()
        ),
        &format!("127.0.0.1:{reg}/team/app:zstd"),
    );

    // Generous deadline: the tag is resolved, the digest scanned, the pod admitted on the
    // verdict (the image passes a policy with no threshold).
    std::fs::write(
        d.join("hull.toml"),
        "[admission]\npod_security = \"privileged\"\nunscanned = \"scan\"\ndeadline_ms = 25000\n",
    )
    .unwrap();
    let port = free_port();
    let server = serve(d, port, &["--no-cache"]);
    let api = Api(format!("http://127.0.0.1:{port}"));
    api.json(
        "POST",
        "/api/v1/db/import?name=Debian",
        &osv_zip_of("debian", "openssl"),
    );
    let tag = format!("127.0.0.1:{reg}/team/app:1.0");
    let r = api.json(
        "POST",
        "/api/v1/admission",
        &admission_review("scan-1", &tag),
    );
    assert_eq!(r["response"]["allowed"], true, "{r}");
    let digests = r["response"]["auditAnnotations"]["hull.dev/digests"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(digests.starts_with(&format!("{tag}=sha256:")), "{digests}");
    let digest = digests.split('=').nth(1).unwrap();
    // The digest judged is the one the registry serves for the tag, and it is now stored.
    let images_page = api.json("GET", "/api/v1/images", b"");
    assert_eq!(images_page["images"][0]["digest"], digest);
    drop(server);

    // A deadline no scan can meet: denied, saying why; the scan goes on in the background.
    std::fs::write(
        d.join("hull.toml"),
        "[admission]\npod_security = \"privileged\"\nunscanned = \"scan\"\ndeadline_ms = 1\non_timeout = \"deny\"\n",
    )
    .unwrap();
    let port = free_port();
    let _server = serve(d, port, &["--no-cache"]);
    let api = Api(format!("http://127.0.0.1:{port}"));
    let zstd = format!("127.0.0.1:{reg}/team/app:zstd");
    let r = api.json(
        "POST",
        "/api/v1/admission",
        &admission_review("scan-2", &zstd),
    );
    assert_eq!(r["response"]["allowed"], false, "{r}");
    let m = r["response"]["status"]["message"].as_str().unwrap();
    assert!(m.contains("not scanned within the 1 ms deadline"), "{m}");
    // The first image's stored verdict still admits it at once.
    let r = api.json(
        "POST",
        "/api/v1/admission",
        &admission_review("scan-3", &tag),
    );
    assert_eq!(r["response"]["allowed"], true, "{r}");
}

fn sh(cmd: &str) -> String {
    let o = Command::new("sh").arg("-c").arg(cmd).output().unwrap();
    assert!(
        o.status.success(),
        "{cmd}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

fn sha256_hex(b: &[u8]) -> String {
    use sha2::Digest as _;
    hex_of(&sha2::Sha256::digest(b))
}

fn hex_of(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A cosign signature of `signed` (the digest the payload names) by `key`, pushed as the
/// signature of `repo@target` (`repo:sha256-HEX.sig`), laid out as the cosign signature
/// specification says: an OCI manifest whose one layer is the simple-signing payload, with
/// the base64 signature in its `dev.cosignproject.cosign/signature` annotation.
fn push_signature(work: &Path, key: &Path, repo: &str, signed: &str, target: &str) {
    let payload = format!(
        r#"{{"critical":{{"identity":{{"docker-reference":"{repo}"}},"image":{{"docker-manifest-digest":"{signed}"}},"type":"cosign container image signature"}},"optional":null}}"#
    );
    let layout = work.join(format!("sig-{}", &target[7..19]));
    let blobs = layout.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    let put = |b: &[u8]| {
        let h = sha256_hex(b);
        std::fs::write(blobs.join(&h), b).unwrap();
        (format!("sha256:{h}"), b.len())
    };
    let (payload_digest, payload_size) = put(payload.as_bytes());
    std::fs::write(work.join("payload.json"), &payload).unwrap();
    let signature = sh(&format!(
        "openssl dgst -sha256 -sign {} {} | base64 -w0",
        key.display(),
        work.join("payload.json").display()
    ));
    let config = format!(
        r#"{{"architecture":"","os":"","config":{{}},"rootfs":{{"type":"layers","diff_ids":["{payload_digest}"]}}}}"#
    );
    let (config_digest, config_size) = put(config.as_bytes());
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{config_digest}","size":{config_size}}},"layers":[{{"mediaType":"application/vnd.dev.cosign.simplesigning.v1+json","digest":"{payload_digest}","size":{payload_size},"annotations":{{"dev.cosignproject.cosign/signature":"{signature}"}}}}]}}"#
    );
    let (manifest_digest, manifest_size) = put(manifest.as_bytes());
    std::fs::write(
        layout.join("oci-layout"),
        r#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .unwrap();
    std::fs::write(
        layout.join("index.json"),
        format!(
            r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{manifest_digest}","size":{manifest_size},"annotations":{{"org.opencontainers.image.ref.name":"sig"}}}}]}}"#
        ),
    )
    .unwrap();
    push(
        &format!("oci:{}:sig", layout.display()),
        &format!("{repo}:sha256-{}.sig", &target[7..]),
    );
}

fn digest_of(reference: &str) -> String {
    sh(&format!(
        "skopeo inspect --tls-verify=false --format '{{{{.Digest}}}}' docker://{reference}"
    ))
}

#[test]
fn admission_checks_cosign_signatures_by_trusted_keys() {
    let Some(images) = test_images(&["docker-registry", "skopeo", "openssl"]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (_registry, reg) = registry(d, None);
    let debian = format!(
        "oci:{}:debian-test",
        images.join("debian-test.oci").display()
    );
    let zstd = format!(
        "oci:{}:debian-test",
        images.join("debian-test.zstd.oci").display()
    );
    let lang = format!("docker-archive:{}", images.join("lang-test.tar").display());
    let repo = format!("127.0.0.1:{reg}/team/app");
    let other = format!("127.0.0.1:{reg}/team/other");
    push(&debian, &format!("{repo}:signed"));
    push(&zstd, &format!("{repo}:unsigned"));
    push(&lang, &format!("{repo}:wrong-key"));
    push(&debian, &format!("{other}:wrong-digest"));
    let signed = digest_of(&format!("{repo}:signed"));
    let unsigned = digest_of(&format!("{repo}:unsigned"));
    let wrong_key = digest_of(&format!("{repo}:wrong-key"));
    assert_eq!(digest_of(&format!("{other}:wrong-digest")), signed);

    // The trusted key, and another one.
    for k in ["trusted", "stranger"] {
        sh(&format!(
            "cd {} && openssl ecparam -name prime256v1 -genkey -noout -out {k}.key && openssl ec -in {k}.key -pubout -out {k}.pub 2>/dev/null",
            d.display()
        ));
    }
    push_signature(d, &d.join("trusted.key"), &repo, &signed, &signed);
    push_signature(d, &d.join("stranger.key"), &repo, &wrong_key, &wrong_key);
    // A valid signature by the trusted key, of another digest, filed under this one.
    push_signature(d, &d.join("trusted.key"), &other, &unsigned, &signed);

    std::fs::write(
        d.join("hull.toml"),
        "[admission]\npod_security = \"privileged\"\nrequire_passed_scan = false\nrequire_signature = true\nsignature_keys = [\"trusted.pub\"]\n",
    )
    .unwrap();
    let port = free_port();
    let _server = serve(d, port, &["--no-cache"]);
    let api = Api(format!("http://127.0.0.1:{port}"));
    let decide = |image: &str| {
        api.json("POST", "/api/v1/admission", &admission_review("sig", image))["response"].clone()
    };

    let r = decide(&format!("{repo}:signed"));
    assert_eq!(r["allowed"], true, "{r}");
    let r = decide(&format!("{repo}@{signed}"));
    assert_eq!(r["allowed"], true, "{r}");
    for (image, why) in [
        (
            format!("{repo}:unsigned"),
            "no cosign signature".to_string(),
        ),
        (
            format!("{repo}:wrong-key"),
            "not signed by a trusted key".to_string(),
        ),
        (
            format!("{other}:wrong-digest"),
            format!("signs {unsigned}, not this digest"),
        ),
    ] {
        let r = decide(&image);
        assert_eq!(r["allowed"], false, "{image}: {r}");
        let m = r["status"]["message"].as_str().unwrap();
        assert!(m.contains(&why), "{image}: {why} not in {m}");
    }
}

/// The scale-out store's first step: two servers on one PostgreSQL database share one queue.
/// Every job is taken by one replica once (`FOR UPDATE SKIP LOCKED`), and each image is one
/// row however many replicas and references led to it.
#[test]
fn two_replicas_on_postgres_share_one_queue() {
    let Some(images) = test_images(&["docker-registry", "skopeo"]) else {
        return;
    };
    let Some(pg) = Postgres::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (_registry, reg) = registry(d, None);
    let sources = three_images(&images);
    let mut refs = vec![];
    for (i, src) in sources.iter().enumerate() {
        for tag in ["a", "b"] {
            let r = format!("127.0.0.1:{reg}/team/app{i}:{tag}");
            push(src, &r);
            refs.push(r);
        }
    }
    // Both replicas read one advisory database (imported once, through the first).
    let replica = |name: &str| {
        let home = d.join(name);
        std::fs::create_dir_all(&home).unwrap();
        let port = free_port();
        let mut c = hull();
        c.env("HULL_ADMIN_TOKEN", ADMIN)
            .env_remove("SOURCE_DATE_EPOCH")
            .args([
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--store",
                &pg.url,
            ])
            .arg("--db")
            .arg(d.join("advisories.db"))
            .args(["--no-cache", "--concurrency", "2"])
            .current_dir(&home)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(home.join("serve.log")).unwrap());
        let p = Killed(c.spawn().unwrap());
        wait_port(port);
        (p, Api(format!("http://127.0.0.1:{port}")))
    };
    let (_one, a) = replica("one");
    let (_two, b) = replica("two");
    a.json(
        "POST",
        "/api/v1/db/import?name=Debian",
        &osv_zip_of("debian", ""),
    );
    // Half the scans through each replica.
    let ids: Vec<String> = refs
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let api = if i % 2 == 0 { &a } else { &b };
            api.json(
                "POST",
                "/api/v1/scans",
                format!(r#"{{"image":"{r}"}}"#).as_bytes(),
            )["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let jobs = finished(&b, &ids);
    for j in &jobs {
        assert_eq!(j["attempts"], 1, "taken once: {j}");
    }
    let digests: BTreeSet<&str> = jobs.iter().map(|j| j["digest"].as_str().unwrap()).collect();
    assert_eq!(digests.len(), 3, "{jobs:?}");
    // Both replicas see the same three images, each with both its references.
    for api in [&a, &b] {
        let page = api.json("GET", "/api/v1/images", b"");
        let images = page["images"].as_array().unwrap();
        assert_eq!(images.len(), 3, "{page}");
        for i in images {
            assert_eq!(i["references"].as_array().unwrap().len(), 2, "{i}");
        }
    }
    let metrics = |api: &Api| {
        let text = api.call("GET", "/metrics", b"").1;
        text.lines()
            .find(|l| l.starts_with("hull_scans_total{outcome=\"passed\"}"))
            .and_then(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
            .unwrap_or(0)
    };
    assert_eq!(
        metrics(&a) + metrics(&b),
        6,
        "six scans in all, split between the replicas"
    );
}
