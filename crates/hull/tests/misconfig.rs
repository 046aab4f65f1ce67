//! End-to-end tests of the configuration checks: `hull k8s` on files, directories and
//! standard input, `hull scan` on an image config and on a source directory, `--fail-on`,
//! and hostile manifests.

mod common;

use std::io::Write;
use std::process::Stdio;

use common::*;

/// A "billion laughs" ConfigMap: ten levels of nine aliases each (13 lines).
fn yaml_bomb() -> String {
    let mut bomb = String::from("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
    let mut prev = "a".to_string();
    for n in ["b", "c", "d", "e", "f", "g", "h", "i", "j"] {
        bomb.push_str(&format!(
            "{n}: &{n} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
        ));
        prev = n.to_string();
    }
    bomb
}

fn checks(v: &serde_json::Value) -> Vec<String> {
    let mut c: Vec<String> = v["misconfigurations"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|m| m["check"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default();
    c.sort();
    c
}

const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: app
        image: nginx
        securityContext:
          privileged: true
";

#[test]
fn k8s_reports_pss_with_lines_and_validates_against_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("deploy.yaml");
    std::fs::write(&f, DEPLOYMENT).unwrap();
    let v = scan_json(&["k8s", "-f", "json", f.to_str().unwrap()]);
    assert_schema_valid("hull", "report-v1.schema.json", &v);
    assert_eq!(v["image"]["source"], "config");
    let priv_ = v["misconfigurations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["check"] == "pss-baseline-privileged")
        .expect("privileged reported");
    assert_eq!(priv_["line"], 15);
    assert_eq!(priv_["resource"]["kind"], "Deployment");
    assert_eq!(priv_["resource"]["namespace"], "shop");
    assert_eq!(priv_["severity"], "high");
    // Baseline level leaves the restricted-only controls out.
    let base = checks(&scan_json(&[
        "k8s",
        "-f",
        "json",
        "--pss-level",
        "baseline",
        f.to_str().unwrap(),
    ]));
    assert!(base.contains(&"pss-baseline-privileged".to_string()));
    assert!(!base.iter().any(|c| c.starts_with("pss-restricted-")));
}

#[test]
fn k8s_reads_helm_output_on_stdin() {
    let mut child = hull()
        .args(["k8s", "-f", "json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let helm = format!("---\n# Source: chart/templates/deploy.yaml\n{DEPLOYMENT}---\n# Source: chart/templates/empty.yaml\n");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(helm.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let v = json_of(&out);
    assert!(checks(&v).contains(&"pss-baseline-privileged".to_string()));
    assert_eq!(v["misconfigurations"][0]["target"], "-");
}

#[test]
fn fail_on_sets_exit_code_1() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("deploy.yaml");
    std::fs::write(&f, DEPLOYMENT).unwrap();
    let o = run(&[
        "k8s",
        "-f",
        "json",
        "--fail-on",
        "high",
        f.to_str().unwrap(),
    ]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // The report is still written.
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(!checks(&v).is_empty());
    let o = run(&[
        "k8s",
        "-f",
        "json",
        "--fail-on",
        "critical",
        f.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0));
    let o = run(&["k8s", "--fail-on", "severe", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let o = run(&["k8s", "--pss-level", "strict", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let o = run(&["k8s", dir.path().join("missing.yaml").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3));
}

#[test]
fn hostile_manifests_are_unchecked_findings_not_crashes() {
    let dir = tempfile::tempdir().unwrap();
    let bomb = yaml_bomb();
    std::fs::write(dir.path().join("bomb.yaml"), bomb).unwrap();
    std::fs::write(
        dir.path().join("deep.yaml"),
        format!(
            "apiVersion: v1\nkind: ConfigMap\ndata: {}",
            "[".repeat(200_000)
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("broken.yaml"),
        format!("{DEPLOYMENT}---\nkind: [\n"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("binary.json"),
        [
            0xffu8, 0xfe, b'a', b'p', b'i', b'V', b'e', b'r', b's', b'i', b'o', b'n',
        ],
    )
    .unwrap();
    let v = scan_json(&["k8s", "-f", "json", dir.path().to_str().unwrap()]);
    // Issue #23: what could not be read is a critical finding, not a warning that lets the
    // gate pass.
    let unchecked: Vec<String> = v["misconfigurations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["check"] == "k8s-unreadable-document")
        .map(|w| {
            format!(
                "{} {} {}",
                w["target"].as_str().unwrap(),
                w["severity"].as_str().unwrap(),
                w["message"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(unchecked.len(), 4, "{unchecked:?}");
    assert!(
        unchecked
            .iter()
            .any(|w| w.starts_with("bomb.yaml critical") && w.contains("node budget")),
        "{unchecked:?}"
    );
    // The document before the broken one is still checked.
    assert!(checks(&v).contains(&"pss-baseline-privileged".to_string()));
}

/// Issue #23: after a document that trips the alias budget, every later document in the
/// stream used to be skipped, and a privileged Pod passed `--fail-on high`.
#[test]
fn a_document_after_a_yaml_bomb_is_still_checked_and_the_bomb_fails_the_gate() {
    let bomb = yaml_bomb();
    let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: after}\nspec:\n  containers:\n  - name: c\n    image: nginx\n    securityContext: {privileged: true}\n";
    let stream = format!("{bomb}---\n{pod}");
    let o = hull()
        .args(["k8s", "-f", "json", "--fail-on", "high", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(stream.as_bytes())?;
            c.wait_with_output()
        })
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let found = checks(&v);
    assert!(
        found.contains(&"k8s-unreadable-document".to_string()),
        "{found:?}"
    );
    assert!(
        found.contains(&"pss-baseline-privileged".to_string()),
        "{found:?}"
    );
    let privileged = v["misconfigurations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["check"] == "pss-baseline-privileged")
        .unwrap();
    // Lines are the stream's, not the document's.
    // 13 lines of bomb, the marker, then the Pod's eighth line.
    assert_eq!(privileged["line"], 13 + 1 + 8, "{privileged}");
}

#[test]
fn scan_directory_checks_dockerfiles_and_manifests() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("deploy")).unwrap();
    std::fs::create_dir_all(dir.path().join("node_modules/x")).unwrap();
    std::fs::write(dir.path().join("deploy/app.yml"), DEPLOYMENT).unwrap();
    // Dependencies' files are not the project's configuration.
    std::fs::write(dir.path().join("node_modules/x/pod.yaml"), DEPLOYMENT).unwrap();
    std::fs::write(dir.path().join("package.json"), "{\"name\": \"x\"}").unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        "FROM node:latest\nRUN curl -fsSL https://get.example/x.sh | sh\nENV API_TOKEN=abc123def\n",
    )
    .unwrap();
    let v = scan_json(&[
        "scan",
        "--no-cache",
        "-f",
        "json",
        "--scanners",
        "misconfig",
        dir.path().to_str().unwrap(),
    ]);
    assert_schema_valid("hull", "report-v1.schema.json", &v);
    let c = checks(&v);
    for want in [
        "dockerfile-base-image-unpinned",
        "dockerfile-curl-pipe-shell",
        "dockerfile-no-user",
        "dockerfile-secret-in-env",
        "pss-baseline-privileged",
    ] {
        assert!(c.contains(&want.to_string()), "{want} missing from {c:?}");
    }
    let targets: std::collections::BTreeSet<&str> = v["misconfigurations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["target"].as_str().unwrap())
        .collect();
    assert_eq!(
        targets,
        ["Dockerfile", "deploy/app.yml"].into_iter().collect()
    );
}

#[test]
fn scan_image_checks_config_and_history() {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("img.tar");
    let l = layer(&[E::File("etc/os-release", OS_RELEASE)]);
    let cfg = |config: serde_json::Value, history: serde_json::Value| {
        serde_json::to_vec(&serde_json::json!({
            "architecture": "amd64", "os": "linux", "config": config,
            "rootfs": {"type": "layers", "diff_ids": [format!("sha256:{}", sha(&l))]},
            "history": history,
        }))
        .unwrap()
    };
    docker_archive_with_config(
        &img,
        std::slice::from_ref(&l),
        cfg(
            serde_json::json!({"Env": ["PATH=/usr/bin", "DB_PASSWORD=hunter2hunter2"], "ExposedPorts": {"22/tcp": {}, "8080/tcp": {}}}),
            serde_json::json!([{"created_by": "RUN /bin/sh -c curl -sSL https://get.example | bash # buildkit"}]),
        ),
    );
    let v = scan_json(&[
        "scan",
        "--no-cache",
        "-f",
        "json",
        "--scanners",
        "misconfig",
        img.to_str().unwrap(),
    ]);
    assert_schema_valid("hull", "report-v1.schema.json", &v);
    assert_eq!(
        checks(&v),
        [
            "image-history-curl-pipe-shell",
            "image-no-healthcheck",
            "image-secret-in-env",
            "image-sensitive-port",
            "image-user-root",
        ]
    );
    // A well-configured image has nothing to report.
    docker_archive_with_config(
        &img,
        std::slice::from_ref(&l),
        cfg(
            serde_json::json!({"User": "10001", "Env": ["PATH=/usr/bin"], "ExposedPorts": {"8080/tcp": {}}, "Healthcheck": {"Test": ["CMD", "/app/health"]}}),
            serde_json::json!([{"created_by": "COPY app /app # buildkit"}]),
        ),
    );
    let v = scan_json(&[
        "scan",
        "--no-cache",
        "-f",
        "json",
        "--scanners",
        "misconfig",
        img.to_str().unwrap(),
    ]);
    assert!(checks(&v).is_empty(), "{:?}", checks(&v));
}

#[test]
fn setuid_and_world_writable_files_from_the_image_layers() {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("img.tar");
    let base = layer(&[
        E::File("etc/os-release", OS_RELEASE),
        // The base image's own setuid binary: not the image's doing.
        E::Mode("usr/bin/passwd", b"elf", 0o4755),
    ]);
    let own = layer(&[
        E::Mode("usr/local/bin/helper", b"elf", 0o4755),
        E::Mode("usr/local/bin/gone", b"elf", 0o2755),
        E::Mode("usr/local/bin/open", b"sh", 0o777),
        E::Mode("var/cache/app/data", b"x", 0o666),
        E::SymlinkMode("usr/local/bin/link", "helper", 0o777),
        E::Dir("tmp"),
    ]);
    let cleanup = layer(&[E::File("usr/local/bin/.wh.gone", b"")]);
    let layers = vec![base, own, cleanup];
    let diff_ids: Vec<String> = layers
        .iter()
        .map(|l| format!("sha256:{}", sha(l)))
        .collect();
    let cfg = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "config": {"User": "10001", "Healthcheck": {"Test": ["CMD", "true"]}},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [
            {"created_by": "ADD rootfs.tar /"},
            {"created_by": "CMD [\"bash\"]", "empty_layer": true},
            {"created_by": "COPY bin /usr/local/bin # buildkit"},
            {"created_by": "RUN rm /usr/local/bin/gone # buildkit"},
        ],
    }))
    .unwrap();
    docker_archive_with_config(&img, &layers, cfg);
    let v = scan_json(&[
        "scan",
        "--no-cache",
        "-f",
        "json",
        "--scanners",
        "misconfig",
        img.to_str().unwrap(),
    ]);
    let got: Vec<(String, String)> = v["misconfigurations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["check"].as_str().unwrap().to_string(),
                m["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "image-setuid-file".to_string(),
                "/usr/local/bin/helper is setuid (mode 4755, layer 2)".to_string()
            ),
            (
                "image-world-writable-system-path".to_string(),
                "/usr/local/bin/open is world-writable (mode 777, layer 2)".to_string()
            ),
        ]
    );
}

/// hull's own deployment (`deploy/`): its manifests meet the restricted Pod Security
/// Standard and nothing in them or its Dockerfile is high or critical (issue: admission
/// webhook, "Deployment").
#[test]
fn hulls_own_deployment_passes_restricted_and_high() {
    let deploy = repo_root().join("deploy");
    let o = run(&[
        "k8s",
        "-f",
        "json",
        "--pss-level",
        "restricted",
        "--fail-on",
        "misconfig=high",
        deploy.to_str().unwrap(),
    ]);
    let v = json_of(&o);
    let found: Vec<String> = v["misconfigurations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| format!("{} {} {}", m["check"], m["severity"], m["target"]))
        .collect();
    assert!(!found.iter().any(|f| f.contains("pss-")), "{found:?}");
    assert!(
        !found
            .iter()
            .any(|f| f.contains("\"high\"") || f.contains("\"critical\"")),
        "{found:?}"
    );
    // Every object was read: the webhook, the workload and what it needs.
    let kinds: std::collections::BTreeSet<&str> = v["misconfigurations"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["resource"]["kind"].as_str())
        .collect();
    assert!(kinds.contains("Deployment"), "{kinds:?}");
    let table = run(&["k8s", "-f", "table", deploy.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains("12 Kubernetes objects and 1 Dockerfiles checked"),
        "{text}"
    );
}
