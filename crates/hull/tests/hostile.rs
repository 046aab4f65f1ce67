//! Hostile inputs (issue #23: "Hostile input: close the holes a hostile-image suite found").
//! Each test builds the attack and asserts the exit code and what the message may not say.

mod common;

use common::*;

/// A layout whose layer blob is replaced by `f(blob path)`.
fn layout_with_blob(dir: &std::path::Path, replace: impl Fn(&std::path::Path)) {
    let l = layer(&[E::File("etc/os-release", OS_RELEASE)]);
    let m = oci_manifest(dir, std::slice::from_ref(&l), "amd64");
    oci_layout(dir, vec![m]);
    let gz = gzip(&l);
    let blob = dir.join("blobs/sha256").join(sha(&gz));
    assert!(blob.is_file());
    replace(&blob);
}

#[test]
fn a_layer_blob_that_is_a_symlink_is_refused_and_never_quoted() {
    let t = tempfile::tempdir().unwrap();
    let secret = t.path().join("config.json");
    std::fs::write(
        &secret,
        b"{\"auths\":{\"registry.example\":{\"auth\":\"c3VwZXJzZWNyZXQtdG9rZW4=\"}}}\n",
    )
    .unwrap();
    let dir = t.path().join("layout");
    layout_with_blob(&dir, |blob| {
        std::fs::remove_file(blob).unwrap();
        std::os::unix::fs::symlink(&secret, blob).unwrap();
    });
    let o = run(&[
        "sbom",
        "--no-cache",
        "-q",
        "-f",
        "json",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(3));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("symlink"), "{err}");
    assert!(
        !err.contains("c3VwZXJzZWNyZXQ") && !err.contains("auths"),
        "{err}"
    );
}

#[test]
fn a_layer_blob_that_is_a_fifo_or_behind_a_linked_directory_is_refused() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("fifo");
    layout_with_blob(&dir, |blob| {
        std::fs::remove_file(blob).unwrap();
        let ok = std::process::Command::new("mkfifo")
            .arg(blob)
            .status()
            .unwrap();
        assert!(ok.success());
    });
    // Opening a FIFO for reading would block forever; it is refused instead.
    let o = run(&[
        "sbom",
        "--no-cache",
        "-q",
        "-f",
        "json",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(
        o.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // `blobs/sha256` itself a link to a directory elsewhere.
    let dir = t.path().join("linked");
    layout_with_blob(&dir, |_| {});
    let elsewhere = t.path().join("elsewhere");
    std::fs::rename(dir.join("blobs/sha256"), &elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, dir.join("blobs/sha256")).unwrap();
    let o = run(&[
        "sbom",
        "--no-cache",
        "-q",
        "-f",
        "json",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&o.stderr).contains("symlink"));
}

#[test]
fn a_malformed_tar_header_is_described_not_quoted() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("layout");
    // A "layer" whose 512-byte header is someone's file: the tar crate would quote the
    // checksum field's bytes.
    let mut fake = b"password=hunter2-very-secret ".repeat(40);
    fake.truncate(1024);
    let m = oci_manifest(&dir, std::slice::from_ref(&fake), "amd64");
    oci_layout(&dir, vec![m]);
    let o = run(&[
        "sbom",
        "--no-cache",
        "-q",
        "-f",
        "json",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(3));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("malformed tar"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
}

/// One Latin-1 byte in a maintainer name used to drop the whole dpkg database: 0 packages,
/// and an image with known vulnerabilities passed `--fail-on high`.
#[test]
fn a_latin1_maintainer_hides_no_package() {
    let t = tempfile::tempdir().unwrap();
    let img = t.path().join("img.tar");
    let mut db = status(&[("zlib1g", "1:1.2.13.dfsg-1"), ("bash", "5.2.15-2+b2")]);
    db.extend_from_slice(
        b"Package: libfoo\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.0-1\nMaintainer: Jos\xe9 Garc\xeda <jg@example.org>\nDescription: caf\xe9\n\n",
    );
    let l = layer(&[
        E::File("etc/os-release", OS_RELEASE),
        E::File("var/lib/dpkg/status", &db),
    ]);
    docker_archive(&img, &[l], None);
    let v = scan_json(&[
        "sbom",
        "--no-cache",
        "-q",
        "-f",
        "json",
        img.to_str().unwrap(),
    ]);
    let got: Vec<String> = names(&v).into_iter().map(|(n, _)| n).collect();
    assert_eq!(got, vec!["bash", "libfoo", "zlib1g"]);
}

/// A loopback HTTP server that answers every request with headers promising a body, sends a
/// few bytes of it, and then stalls for as long as the test lives.
fn stalling_server() -> (u16, std::thread::JoinHandle<()>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        // Bounded: a few connections, then the thread ends.
        let mut held = Vec::new();
        for stream in listener.incoming().take(4) {
            let Ok(mut s) = stream else { continue };
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let _ = s.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"sche",
            );
            let _ = s.flush();
            held.push(s);
        }
        std::thread::sleep(std::time::Duration::from_secs(20));
    });
    (port, handle)
}

/// Runs `cmd`, killing it if it has not finished in `limit` (a liveness bound for a test
/// that would otherwise hang forever, not a timing assertion).
fn run_bounded(
    cmd: &mut std::process::Command,
    limit: std::time::Duration,
) -> Option<std::process::Output> {
    let child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let id = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(o) => o.ok(),
        Err(_) => {
            let _ = std::process::Command::new("kill")
                .args(["-9", &id.to_string()])
                .status();
            None
        }
    }
}

/// Issue #23: a registry or OSV mirror that stalls mid-body hung `hull scan REF` and
/// `hull db update` forever.
#[test]
fn a_stalling_registry_or_mirror_ends_in_an_error_not_a_hang() {
    let (port, _server) = stalling_server();
    let t = tempfile::tempdir().unwrap();
    let o = run_bounded(
        hull().args([
            "sbom",
            "--no-cache",
            "-q",
            "--timeout",
            "2",
            &format!("127.0.0.1:{port}/app:1"),
        ]),
        std::time::Duration::from_secs(90),
    )
    .expect("hull scan of a stalling registry must end");
    assert_eq!(
        o.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = run_bounded(
        hull()
            .args([
                "db",
                "update",
                "--timeout",
                "2",
                "--ecosystem",
                "Debian",
                "--mirror",
            ])
            .arg(format!("http://127.0.0.1:{port}"))
            .arg("--db")
            .arg(t.path().join("db")),
        std::time::Duration::from_secs(90),
    )
    .expect("hull db update from a stalling mirror must end");
    assert_ne!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Issue #23: a layout whose `index.json` is not a regular file was silently scanned as a
/// root filesystem.
#[test]
fn a_layout_whose_index_is_not_a_file_is_refused_not_scanned_as_a_directory() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("layout");
    layout_with_blob(&dir, |_| {});
    std::fs::remove_file(dir.join("index.json")).unwrap();
    std::fs::create_dir(dir.join("index.json")).unwrap();
    let o = run(&[
        "sbom",
        "--no-cache",
        "-q",
        "-f",
        "json",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(
        o.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
}

/// Issue #23: the report echoed the layer size a manifest claims instead of the bytes read.
#[test]
fn the_reported_layer_size_is_the_bytes_read_not_the_claim() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("layout");
    let l = layer(&[E::File("etc/os-release", OS_RELEASE)]);
    let gz = gzip(&l);
    let m = oci_manifest(&dir, std::slice::from_ref(&l), "amd64");
    // Rewrite the manifest with a claimed size of i64::MAX for the layer.
    let mpath = dir
        .join("blobs/sha256")
        .join(m["digest"].as_str().unwrap().trim_start_matches("sha256:"));
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&mpath).unwrap()).unwrap();
    manifest["layers"][0]["size"] = serde_json::json!(9_223_372_036_854_775_807i64);
    let bytes = serde_json::to_vec(&manifest).unwrap();
    let digest = sha(&bytes);
    std::fs::write(dir.join("blobs/sha256").join(&digest), &bytes).unwrap();
    let desc = serde_json::json!({"mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": format!("sha256:{digest}"), "size": bytes.len(),
        "platform": {"os": "linux", "architecture": "amd64"}});
    oci_layout(&dir, vec![desc]);
    let v = scan_json(&[
        "sbom",
        "--no-cache",
        "-q",
        "-f",
        "json",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(v["image"]["layers"][0]["compressed_size"], gz.len());
}

/// Issue #23: a deeply nested SBOM failed with a misleading `tar:` message.
#[test]
fn a_json_file_that_is_no_sbom_says_so_and_not_tar() {
    let t = tempfile::tempdir().unwrap();
    let deep = t.path().join("deep.cdx.json");
    std::fs::write(
        &deep,
        format!("{{\"a\":{}1{}}}", "[".repeat(100_000), "]".repeat(100_000)),
    )
    .unwrap();
    let other = t.path().join("other.json");
    std::fs::write(&other, b"{\"hello\": \"world\"}").unwrap();
    for f in [&deep, &other] {
        let o = run(&["scan", "--no-cache", "-q", f.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(3));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!err.contains("tar"), "{err}");
        assert!(err.contains("JSON"), "{err}");
    }
}
