//! Pulling from a real registry: Debian's `docker-registry` on 127.0.0.1, with images pushed
//! by `skopeo`, in three set-ups: anonymous, HTTP basic (htpasswd, credentials from a Docker
//! config file) and bearer tokens (a token server minting RS256 JWTs the registry verifies).
//!
//! Needs `docker-registry`, `skopeo`, `htpasswd` and `openssl` (installed by `.ci/run`) and
//! the test images; fails without them unless `HULL_SKIP_IMAGE_TESTS=1`.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::*;

fn prerequisites() -> Option<PathBuf> {
    test_images(&[
        "docker-registry",
        "skopeo",
        "htpasswd",
        "openssl",
        "python3",
    ])
}

fn registry(dir: &Path, auth: &str) -> (Killed, u16) {
    let port = free_port();
    let storage = dir.join("storage");
    std::fs::create_dir_all(&storage).unwrap();
    let cfg = format!(
        "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n{auth}",
        storage.display()
    );
    let cfg_path = dir.join("config.yml");
    std::fs::write(&cfg_path, cfg).unwrap();
    let child = Command::new("docker-registry")
        .arg("serve")
        .arg(&cfg_path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_port(port);
    (Killed(child), port)
}

fn push(images: &Path, dest: &str, creds: Option<&str>) {
    let mut c = Command::new("skopeo");
    c.args(["copy", "-q", "--dest-tls-verify=false"]);
    if let Some(cr) = creds {
        c.args(["--dest-creds", cr]);
    }
    c.arg(format!(
        "oci:{}:debian-test",
        images.join("debian-test.oci").display()
    ))
    .arg(format!("docker://{dest}"));
    let o = c.output().unwrap();
    assert!(
        o.status.success(),
        "skopeo: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn anonymous_registry_by_tag_and_digest() {
    let Some(images) = prerequisites() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (_reg, port) = registry(dir.path(), "");
    push(&images, &format!("127.0.0.1:{port}/team/app:1.0"), None);
    let by_tag = scan_json(&[
        "scan",
        "--no-cache",
        "-f",
        "json",
        &format!("127.0.0.1:{port}/team/app:1.0"),
    ]);
    assert_eq!(names(&by_tag), dpkg_query_packages(&images));
    assert_eq!(by_tag["image"]["source"], "registry");
    let digest = by_tag["image"]["manifest_digest"]
        .as_str()
        .unwrap()
        .to_string();
    let by_digest = scan_json(&[
        "scan",
        "--no-cache",
        "-f",
        "json",
        &format!("127.0.0.1:{port}/team/app@{digest}"),
    ]);
    assert_eq!(by_digest["packages"], by_tag["packages"]);

    // Warm: the layers are served from the cache by their verified blob digests.
    let cache = dir.path().join("cache");
    let r = format!("127.0.0.1:{port}/team/app:1.0");
    let a = [
        "scan",
        "-f",
        "json",
        "--cache-dir",
        cache.to_str().unwrap(),
        r.as_str(),
    ];
    json_of(&run(&a));
    let warm = json_of(&run(&a));
    assert!(warm["image"]["layers"]
        .as_array()
        .unwrap()
        .iter()
        .all(|l| l["cached"] == true));
    assert_eq!(warm["packages"], by_tag["packages"]);

    let o = run(&[
        "scan",
        "--no-cache",
        &format!("127.0.0.1:{port}/team/absent:1.0"),
    ]);
    assert_eq!(o.status.code(), Some(3));
}

#[test]
fn basic_auth_with_docker_config_credentials() {
    let Some(images) = prerequisites() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let htpasswd = dir.path().join("htpasswd");
    let o = Command::new("htpasswd")
        .args(["-Bbc", htpasswd.to_str().unwrap(), "hulluser", "s3cret"])
        .output()
        .unwrap();
    assert!(o.status.success());
    let auth = format!(
        "auth:\n  htpasswd:\n    realm: basic-realm\n    path: {}\n",
        htpasswd.display()
    );
    let (_reg, port) = registry(dir.path(), &auth);
    push(
        &images,
        &format!("127.0.0.1:{port}/private/app:2"),
        Some("hulluser:s3cret"),
    );
    let r = format!("127.0.0.1:{port}/private/app:2");

    let o = hull()
        .args(["scan", "--no-cache", &r])
        .env("DOCKER_CONFIG", dir.path().join("none"))
        .env("HOME", dir.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("basic auth"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );

    let cfg_dir = dir.path().join("docker");
    std::fs::create_dir_all(&cfg_dir).unwrap();
    // base64("hulluser:s3cret")
    std::fs::write(
        cfg_dir.join("config.json"),
        format!(r#"{{"auths":{{"127.0.0.1:{port}":{{"auth":"aHVsbHVzZXI6czNjcmV0"}}}}}}"#),
    )
    .unwrap();
    let o = hull()
        .args(["scan", "--no-cache", "-f", "json", &r])
        .env("DOCKER_CONFIG", &cfg_dir)
        .output()
        .unwrap();
    assert_eq!(names(&json_of(&o)), dpkg_query_packages(&images));

    let o = hull()
        .args([
            "scan",
            "--no-cache",
            "-f",
            "json",
            "--username",
            "hulluser",
            "--password",
            "wrong",
            &r,
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3));
}

#[test]
fn bearer_tokens_anonymous_and_with_credentials() {
    let Some(images) = prerequisites() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key.pem");
    let cert = dir.path().join("cert.pem");
    let o = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=hull-test-token",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let token_port = free_port();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/token_server.py");
    let _tokens = Killed(
        Command::new("python3")
            .arg(script)
            .arg(token_port.to_string())
            .arg(&key)
            .arg(&cert)
            .args(["hulluser", "t0ken"])
            .spawn()
            .unwrap(),
    );
    wait_port(token_port);
    let auth = format!(
        "auth:\n  token:\n    realm: http://127.0.0.1:{token_port}/token\n    service: hull-test-registry\n    issuer: hull-test-issuer\n    rootcertbundle: {}\n",
        cert.display()
    );
    let (_reg, port) = registry(dir.path(), &auth);
    push(
        &images,
        &format!("127.0.0.1:{port}/team/app:3"),
        Some("hulluser:t0ken"),
    );
    let r = format!("127.0.0.1:{port}/team/app:3");
    // Anonymous pull token, as for a public image on Docker Hub.
    let anon = json_of(
        &hull()
            .args(["scan", "--no-cache", "-f", "json", &r])
            .env("HOME", dir.path())
            .output()
            .unwrap(),
    );
    assert_eq!(names(&anon), dpkg_query_packages(&images));
    // With credentials the token server checks them.
    let authed = scan_json(&[
        "scan",
        "--no-cache",
        "-f",
        "json",
        "--username",
        "hulluser",
        "--password",
        "t0ken",
        &r,
    ]);
    assert_eq!(authed["packages"], anon["packages"]);
    let o = run(&[
        "scan",
        "--no-cache",
        "--username",
        "hulluser",
        "--password",
        "nope",
        &r,
    ]);
    assert_eq!(o.status.code(), Some(3));
}
