//! Test-only builders shared by hull's test suites: crafted layers (with raw, hostile names),
//! docker-archives and OCI layouts, gzip, the one fixture report every renderer is
//! snapshotted on, validation against the vendored official schemas, and the location of
//! the real test images. Not a dependency of anything but tests.
#![allow(clippy::missing_panics_doc)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use hull_types::{
    Annotation, Detection, DetectionKind, Digest, FindingRef, IgnoreNote, IgnoreStatus,
    ImageSummary, LayerInfo, LayerRef, Location, Misconfiguration, NotMatched, OsFamily, OsOwned,
    OsRelease, Package, PackageKind, PolicyResult, ReportParts, ScanReport, Scanner, Score, Secret,
    Severity, SourceKind, SourcePackage, SuppressedBy, Suppression, Vulnerability, Warning,
};
use sha2::{Digest as _, Sha256};

/// Lowercase hex SHA-256.
pub fn sha(b: &[u8]) -> String {
    let d = Sha256::digest(b);
    d.iter().map(|x| format!("{x:02x}")).collect()
}

/// Lowercase hex MD5.
pub fn md5_hex(b: &[u8]) -> String {
    let d = <md5::Md5 as sha2::Digest>::digest(b);
    d.iter().map(|x| format!("{x:02x}")).collect()
}

/// One tar entry of a crafted layer.
pub enum E<'a> {
    /// A regular file with mode 0644.
    File(&'a str, &'a [u8]),
    /// A symlink to a target.
    Symlink(&'a str, &'a str),
    /// A directory.
    Dir(&'a str),
    /// A regular file with an explicit mode.
    Mode(&'a str, &'a [u8], u32),
    /// A symlink with an explicit mode.
    SymlinkMode(&'a str, &'a str, u32),
}

/// A layer tar with raw names (so `../` and absolute names survive, as a hostile tool would
/// write them).
pub fn layer(entries: &[E<'_>]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for e in entries {
        let mut h = tar::Header::new_gnu();
        let mut mode = 0o644;
        let (name, data): (&str, &[u8]) = match e {
            E::Mode(n, d, m) => {
                h.set_entry_type(tar::EntryType::Regular);
                h.set_size(d.len() as u64);
                mode = *m;
                (n, d)
            }
            E::SymlinkMode(n, target, m) => {
                h.set_entry_type(tar::EntryType::Symlink);
                h.set_size(0);
                h.set_link_name(target).unwrap();
                mode = *m;
                (n, &[])
            }
            E::File(n, d) => {
                h.set_entry_type(tar::EntryType::Regular);
                h.set_size(d.len() as u64);
                (n, d)
            }
            E::Symlink(n, target) => {
                h.set_entry_type(tar::EntryType::Symlink);
                h.set_size(0);
                h.set_link_name(target).unwrap();
                (n, &[])
            }
            E::Dir(n) => {
                h.set_entry_type(tar::EntryType::Directory);
                h.set_size(0);
                (n, &[])
            }
        };
        h.set_mode(mode);
        let raw = &mut h.as_old_mut().name;
        raw[..name.len()].copy_from_slice(name.as_bytes());
        h.set_cksum();
        b.append(&h, data).unwrap();
    }
    b.into_inner().unwrap()
}

/// A tar of plain files, names as the `tar` crate writes them (checked, relative).
pub fn tar_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in entries {
        let mut h = tar::Header::new_ustar();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, name, *data).unwrap();
    }
    b.into_inner().unwrap()
}

/// Gzip-compressed bytes.
pub fn gzip(b: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(b).unwrap();
    gz.finish().unwrap()
}

/// An image config naming these diff_ids, a history line per layer, a non-root user and one port.
pub fn config_json(diff_ids: &[String], arch: &str) -> Vec<u8> {
    let hist: Vec<serde_json::Value> = (0..diff_ids.len())
        .map(|i| serde_json::json!({"created_by": format!("RUN step {}", i + 1)}))
        .collect();
    serde_json::to_vec(&serde_json::json!({
        "architecture": arch,
        "os": "linux",
        "config": {"User": "app", "Entrypoint": ["/app/run"], "ExposedPorts": {"8080/tcp": {}}},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": hist,
    }))
    .unwrap()
}

/// Writes a classic `docker save` archive. `claimed` overrides the config's diff_ids.
pub fn docker_archive(path: &Path, layers: &[Vec<u8>], claimed: Option<Vec<String>>) {
    let diff_ids = claimed.unwrap_or_else(|| {
        layers
            .iter()
            .map(|l| format!("sha256:{}", sha(l)))
            .collect()
    });
    let config = config_json(&diff_ids, "amd64");
    docker_archive_with_config(path, layers, config);
}

/// Writes a classic `docker save` archive with the given config document.
pub fn docker_archive_with_config(path: &Path, layers: &[Vec<u8>], config: Vec<u8>) {
    let config_name = format!("{}.json", sha(&config));
    let mut b = tar::Builder::new(Vec::new());
    let mut add = |name: &str, data: &[u8]| {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_path(name).unwrap();
        h.set_cksum();
        b.append(&h, data).unwrap();
    };
    let mut names = vec![];
    for (i, l) in layers.iter().enumerate() {
        let n = format!("layer{i}/layer.tar");
        add(&n, l);
        names.push(n);
    }
    add(&config_name, &config);
    let manifest = serde_json::json!([{"Config": config_name, "RepoTags": ["crafted:latest"], "Layers": names}]);
    add("manifest.json", &serde_json::to_vec(&manifest).unwrap());
    std::fs::write(path, b.into_inner().unwrap()).unwrap();
}

fn put_blob(dir: &Path, data: &[u8]) -> String {
    let d = sha(data);
    std::fs::create_dir_all(dir.join("blobs/sha256")).unwrap();
    std::fs::write(dir.join("blobs/sha256").join(&d), data).unwrap();
    format!("sha256:{d}")
}

/// Writes a manifest (gzip layers) into an OCI layout and returns its descriptor.
pub fn oci_manifest(dir: &Path, layers: &[Vec<u8>], arch: &str) -> serde_json::Value {
    let diff_ids: Vec<String> = layers
        .iter()
        .map(|l| format!("sha256:{}", sha(l)))
        .collect();
    let config = config_json(&diff_ids, arch);
    let cfg_digest = put_blob(dir, &config);
    let descs: Vec<serde_json::Value> = layers
        .iter()
        .map(|l| {
            let gz = gzip(l);
            let d = put_blob(dir, &gz);
            serde_json::json!({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d, "size": gz.len()})
        })
        .collect();
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cfg_digest, "size": config.len()},
        "layers": descs,
    }))
    .unwrap();
    let md = put_blob(dir, &manifest);
    serde_json::json!({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": manifest.len(),
        "platform": {"os": "linux", "architecture": arch}})
}

/// Writes `oci-layout` and an `index.json` listing these manifest descriptors.
pub fn oci_layout(dir: &Path, manifests: Vec<serde_json::Value>) {
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    let index = serde_json::json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": manifests});
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
}

/// Debian 12's `/etc/os-release`.
pub const OS_RELEASE: &[u8] = b"PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n";

/// A dpkg `status` file with these installed (name, version) packages.
pub fn status(pkgs: &[(&str, &str)]) -> Vec<u8> {
    let mut s = String::new();
    for (n, v) in pkgs {
        s.push_str(&format!(
            "Package: {n}\nStatus: install ok installed\nArchitecture: amd64\nVersion: {v}\n\n"
        ));
    }
    s.into_bytes()
}

/// The repository root (for schemas and test images).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// Validates a document against a vendored JSON schema (`testdata/schemas/<dir>/<main>`),
/// resolving `$ref`s to sibling files from disk, never from the network.
pub fn assert_schema_valid(dir: &str, main: &str, doc: &serde_json::Value) {
    struct Local(PathBuf);
    impl jsonschema::Retrieve for Local {
        fn retrieve(
            &self,
            uri: &jsonschema::Uri<String>,
        ) -> Result<serde_json::Value, Box<dyn std::error::Error + Send + Sync>> {
            let name = uri
                .as_str()
                .split('#')
                .next()
                .unwrap_or("")
                .rsplit('/')
                .next()
                .unwrap_or("");
            let bytes = std::fs::read(self.0.join(name))?;
            Ok(serde_json::from_slice(&bytes)?)
        }
    }
    let base = repo_root().join("testdata/schemas").join(dir);
    let schema: serde_json::Value =
        serde_json::from_slice(&std::fs::read(base.join(main)).unwrap()).unwrap();
    let v = jsonschema::options()
        .with_retriever(Local(base))
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    let errors: Vec<String> = v
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "{dir}/{main}: {} errors, first: {:?}",
        errors.len(),
        &errors[..errors.len().min(5)]
    );
}

/// Whether a reference tool is on the PATH. Missing is a failure (setup.sh installs it),
/// unless `HULL_SKIP_IMAGE_TESTS` is set, so a test cannot pass by not running.
pub fn have_tool(tool: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("HULL_SKIP_IMAGE_TESTS").is_some(),
            "{tool} is needed: run scripts/setup.sh (or set HULL_SKIP_IMAGE_TESTS=1 to skip)"
        );
    }
    found
}

/// The directory of real test images (`scripts/build-test-images.sh`), if they and the
/// `tools` are there. Missing is a failure, unless `HULL_SKIP_IMAGE_TESTS` is set (CI never
/// sets it), so these tests cannot pass by not running.
pub fn test_images(tools: &[&str]) -> Option<PathBuf> {
    let dir = std::env::var_os("HULL_TEST_IMAGES")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("testdata/images/out"));
    let missing: Vec<&str> = tools
        .iter()
        .copied()
        .filter(|t| {
            Command::new("sh")
                .args(["-c", &format!("command -v {t}")])
                .output()
                .map_or(true, |o| !o.status.success())
        })
        .collect();
    let built = dir.join("debian-test.done").exists();
    if built && missing.is_empty() {
        return Some(dir);
    }
    if std::env::var_os("HULL_SKIP_IMAGE_TESTS").is_some() {
        eprintln!("skipping: images built: {built}, missing tools: {missing:?} (HULL_SKIP_IMAGE_TESTS set)");
        return None;
    }
    panic!(
        "need test images in {} (run `sudo scripts/build-test-images.sh`) and tools {tools:?} (missing {missing:?}); \
         set HULL_SKIP_IMAGE_TESTS=1 to skip",
        dir.display()
    );
}

/// One report that exercises every section of every format: the fixture each renderer's
/// snapshot is taken of.
pub fn fixture_report() -> ScanReport {
    let layer = Digest::from_sha256_bytes(&[7; 32]);
    let pkg = |kind, name: &str, version: &str| Package {
        kind,
        name: name.into(),
        version: version.into(),
        arch: Some("amd64".into()),
        source: Some(SourcePackage {
            name: format!("{name}-src"),
            version: version.into(),
        }),
        licenses: vec!["MIT".into()],
        location: Location {
            path: "/var/lib/dpkg/status".into(),
            layer: Some(layer.clone()),
        },
        epoch: None,
        dev: false,
        direct: None,
        group_inferred: false,
    };
    ScanReport::new(
        ImageSummary {
            name: "example:1".into(),
            source: SourceKind::DockerArchive,
            manifest_digest: None,
            image_id: Some(Digest::from_sha256_bytes(&[1; 32])),
            repo_tags: vec!["example:1".into()],
            os: Some(OsRelease {
                family: OsFamily::Debian,
                id: "debian".into(),
                version_id: Some("12".into()),
                version_codename: None,
                pretty_name: Some("Debian GNU/Linux 12 (bookworm)".into()),
                distroless: false,
            }),
            architecture: "amd64".into(),
            created: None,
            user: None,
            entrypoint: Some(vec!["/bin/app".into()]),
            cmd: None,
            exposed_ports: vec!["22/tcp".into()],
            layers: vec![LayerInfo {
                index: 0,
                diff_id: layer.clone(),
                digest: None,
                size: 3 << 20,
                compressed_size: None,
                created_by: Some("RUN apt-get install -y curl".into()),
                cached: false,
            }],
        },
        ReportParts {
        packages: vec![
            pkg(PackageKind::Deb, "curl", "7.88.1-10+deb12u5"),
            pkg(PackageKind::Apk, "musl", "1.2.4-r2"),
        ],
        warnings: vec![Warning {
            layer: Some(layer.clone()),
            path: "/x".into(),
            message: "odd".into(),
        }],
        vulnerabilities: vec![Vulnerability {
            package: "curl".into(),
            kind: PackageKind::Deb,
            version: "7.88.1-10+deb12u5".into(),
            id: "CVE-2024-2398".into(),
            aliases: vec!["DEBCL-CVE-2024-2398-curl".into()],
            advisories: vec!["DEBCL-CVE-2024-2398-curl".into()],
            fixed: Some("7.88.1-10+deb12u6".into()),
            severity: Severity::Medium,
            severity_source: Some("CVSS:3.1 of DEBCL-CVE-2024-2398-curl".into()),
            score: Score::new(6.5),
            cvss: Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:N/A:N".into()),
            summary: Some("Fixed in Debian changelog entry 7.88.1-10+deb12u6".into()),
            references: vec!["https://example.org/CVE-2024-2398".into()],
            location: None,
            reason: "Debian:12 curl 7.88.1-10+deb12u5: introduced 0, fixed 7.88.1-10+deb12u6 (ECOSYSTEM) in DEBCL-CVE-2024-2398-curl".into(),
        }],
        not_matched: vec![NotMatched {
            package: "musl".into(),
            version: "1.2.4-r2".into(),
            reason: "no advisories for Alpine".into(),
        }],
        misconfigurations: vec![Misconfiguration {
            target: "image config".into(),
            line: None,
            check: "image-sensitive-port".into(),
            severity: Severity::Medium,
            title: "Sensitive port exposed".into(),
            resource: None,
            message: "exposes 22/tcp (SSH)".into(),
            remediation: "Do not expose remote shells.".into(),
        }],
        os_owned: vec![OsOwned {
            kind: PackageKind::Python,
            name: "requests".into(),
            version: "2.28.1".into(),
            path: "/usr/lib/python3/dist-packages/requests-2.28.1.dist-info/METADATA".into(),
            reason: "owned by deb python3-requests (dpkg file list)".into(),
        }],
        secrets: vec![Secret {
            target: "/app/.env".into(),
            line: 3,
            column: 19,
            rule: "aws-access-token".into(),
            description: "AWS access key ID".into(),
            severity: Severity::Critical,
            layer: Some(LayerRef { index: 1, diff_id: layer.clone() }),
            deleted_in: Some(LayerRef { index: 2, diff_id: Digest::from_sha256_bytes(&[8; 32]) }),
            redacted: "AKIA***".into(),
            fingerprint: "5d41402abc4b2a76b9719d911017c592".into(),
            secret: None,
        }],
        detections: vec![Detection {
            target: "/tmp/eicar.com".into(),
            kind: DetectionKind::Yara,
            rule: "hull.EICAR_test_file".into(),
            description: "EICAR anti-virus test file".into(),
            source: "hull built-in rules".into(),
            severity: Severity::High,
            matched: "$eicar at 0".into(),
            layer: Some(LayerRef { index: 1, diff_id: layer.clone() }),
            deleted_in: None,
        }],
        os_files_verified: 12,
        },
    )
    .with_policy(fixture_policy())
}

/// The fixture's policy decision: one failure, a suppression of each kind, an expired and an
/// unused ignore.
fn fixture_policy() -> PolicyResult {
    let finding = |scanner, id: &str, target: &str, severity| FindingRef {
        scanner,
        id: id.into(),
        target: target.into(),
        severity,
    };
    PolicyResult {
        passed: false,
        exit_code: 1,
        summary: "failed: 1 critical secret over threshold high; 2 ignored (1 expired, 1 unused)"
            .into(),
        failures: vec![finding(
            Scanner::Secret,
            "aws-access-token",
            "/app/.env",
            Severity::Critical,
        )],
        suppressed: vec![
            Suppression {
                finding: finding(
                    Scanner::Vuln,
                    "CVE-2024-0001",
                    "curl 7.88.1-10+deb12u5",
                    Severity::High,
                ),
                by: SuppressedBy::Ignore {
                    source: "hull.toml:12".into(),
                    reason: "not reachable: no TLS server".into(),
                    expires: Some("2027-01-31".into()),
                },
            },
            Suppression {
                finding: finding(
                    Scanner::Vuln,
                    "CVE-2024-0002",
                    "curl 7.88.1-10+deb12u5",
                    Severity::Low,
                ),
                by: SuppressedBy::Vex {
                    source: "vex.json".into(),
                    statement: "statement 1".into(),
                    status: "not_affected".into(),
                    justification: Some("vulnerable_code_not_in_execute_path".into()),
                },
            },
            Suppression {
                finding: finding(
                    Scanner::Misconfig,
                    "image-user-root",
                    "image config",
                    Severity::Low,
                ),
                by: SuppressedBy::Filter {
                    filter: "severity".into(),
                },
            },
        ],
        annotations: vec![Annotation {
            finding: finding(
                Scanner::Vuln,
                "CVE-2024-2398",
                "curl 7.88.1-10+deb12u5",
                Severity::Medium,
            ),
            source: "vex.json".into(),
            status: "under_investigation".into(),
            note: None,
        }],
        ignores: vec![
            IgnoreNote {
                source: ".hullignore:3".into(),
                names: "CVE-2019-0001".into(),
                status: IgnoreStatus::Expired,
            },
            IgnoreNote {
                source: "hull.toml:20".into(),
                names: "check dockerfile-add".into(),
                status: IgnoreStatus::Unused,
            },
        ],
    }
}

/// Polls `f` until it gives a value, for at most `secs` seconds.
pub fn wait_for<T>(secs: u64, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let start = std::time::Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(secs),
            "timed out waiting for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// A free TCP port on 127.0.0.1 (bound, then released for the server under test).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until something listens on 127.0.0.1:`port` (at most 30 s).
pub fn wait_port(port: u16) {
    let start = std::time::Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(30),
            "nothing listening on {port}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// A child process killed (and reaped) when dropped: a test's registry, mirror or server.
pub struct Killed(pub std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Python's `http.server` serving `dir` on loopback: a mirror laid out as the OSV bucket.
pub fn http_server(dir: &Path) -> (Killed, u16) {
    let port = free_port();
    let child = Command::new("python3")
        .args([
            "-m",
            "http.server",
            "--bind",
            "127.0.0.1",
            &port.to_string(),
        ])
        .current_dir(dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let server = Killed(child);
    wait_port(port);
    (server, port)
}

/// The repository's OSV records under `testdata/osv/<dir>` whose file name contains
/// `needle` (every one for `""`), sorted.
pub fn osv_records(dir: &str, needle: &str) -> Vec<PathBuf> {
    let base = repo_root().join("testdata/osv").join(dir);
    let mut v: Vec<PathBuf> = std::fs::read_dir(&base)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().contains(needle))
        .collect();
    v.sort();
    assert!(
        !v.is_empty(),
        "no records with {needle:?} in {}",
        base.display()
    );
    v
}

/// A zip of OSV records, as the OSV project publishes `all.zip`.
pub fn osv_zip(records: &[PathBuf]) -> Vec<u8> {
    use std::io::Write;
    let mut buf = std::io::Cursor::new(Vec::new());
    let mut z = zip::ZipWriter::new(&mut buf);
    for r in records {
        let name = r.file_name().unwrap().to_string_lossy().into_owned();
        z.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        z.write_all(&std::fs::read(r).unwrap()).unwrap();
    }
    z.finish().unwrap();
    buf.into_inner()
}

/// A loopback HTTP listener standing in for a notification webhook: the URL to give the
/// server, and the body of each POST it receives (answered 204), at most 16.
pub fn listener() -> (String, std::sync::mpsc::Receiver<String>) {
    use std::io::{BufRead, BufReader, Read, Write};
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/notify", l.local_addr().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for s in l.incoming().take(16) {
            let Ok(mut s) = s else { continue };
            let mut r = BufReader::new(s.try_clone().unwrap());
            let mut len = 0usize;
            loop {
                let mut line = String::new();
                if r.read_line(&mut line).unwrap_or(0) == 0 || line.trim_end().is_empty() {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; len.min(16 << 20)];
            let _ = r.read_exact(&mut body);
            let _ = s.write_all(b"HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n");
            let _ = tx.send(String::from_utf8_lossy(&body).into_owned());
        }
    });
    (url, rx)
}

/// `(name, version)` of every package of the Debian test image, as dpkg-query listed them
/// when the image was built: the reference inventory.
pub fn dpkg_query_packages(images: &Path) -> Vec<(String, String)> {
    let mut v: Vec<_> = std::fs::read_to_string(images.join("debian-test.dpkg-query.tsv"))
        .unwrap()
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[0].to_string(), f[1].to_string())
        })
        .collect();
    v.sort();
    v
}

/// A throwaway PostgreSQL cluster of Debian's `postgresql` package on a loopback port, run
/// as the unprivileged `postgres` user when the tests run as root (initdb refuses root);
/// stopped and deleted when dropped.
pub struct Postgres {
    /// `postgres://hull@127.0.0.1:PORT/postgres`, trust authentication.
    pub url: String,
    dir: PathBuf,
    bin: PathBuf,
    as_postgres: bool,
}

impl Postgres {
    /// Starts one; `None` (with a message) only under `HULL_SKIP_IMAGE_TESTS` when the
    /// server binaries are missing, a failure otherwise.
    pub fn start() -> Option<Postgres> {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path().join("bin"))
            .find(|b| b.join("initdb").is_file());
        let Some(bin) = bin else {
            if std::env::var_os("HULL_SKIP_IMAGE_TESTS").is_some() {
                eprintln!("skipping: no PostgreSQL server binaries (HULL_SKIP_IMAGE_TESTS set)");
                return None;
            }
            panic!("need Debian's postgresql package (installed by scripts/setup.sh)");
        };
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("hull-pg-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let uid = Command::new("id").arg("-u").output().unwrap();
        let as_postgres = String::from_utf8_lossy(&uid.stdout).trim() == "0";
        if as_postgres {
            let o = Command::new("chown")
                .arg("postgres:")
                .arg(&dir)
                .output()
                .unwrap();
            assert!(
                o.status.success(),
                "chown: {}",
                String::from_utf8_lossy(&o.stderr)
            );
        }
        let mut pg = Postgres {
            url: String::new(),
            dir,
            bin,
            as_postgres,
        };
        let data = pg.dir.join("data");
        pg.run(
            "initdb",
            &[
                "-D",
                data.to_str().unwrap(),
                "-A",
                "trust",
                "-U",
                "hull",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        );
        let port = free_port();
        let opts = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off",
            pg.dir.display()
        );
        let log = pg.dir.join("log");
        pg.run(
            "pg_ctl",
            &[
                "-D",
                data.to_str().unwrap(),
                "-o",
                &opts,
                "-l",
                log.to_str().unwrap(),
                "-w",
                "start",
            ],
        );
        pg.url = format!("postgres://hull@127.0.0.1:{port}/postgres");
        Some(pg)
    }

    /// `tool` of the server's binaries, as the user the cluster belongs to.
    fn command(&self, tool: &str) -> Command {
        let exe = self.bin.join(tool);
        let mut c = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        };
        c.current_dir(&self.dir);
        c
    }

    fn run(&self, tool: &str, args: &[&str]) {
        let o = self.command(tool).args(args).output().unwrap();
        assert!(
            o.status.success(),
            "{tool}: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if !self.url.is_empty() {
            let data = self.dir.join("data");
            let _ = self
                .command("pg_ctl")
                .args(["-D", data.to_str().unwrap_or(""), "-m", "immediate", "stop"])
                .output();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
