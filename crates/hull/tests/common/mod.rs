//! Builders for small, crafted images (docker-archive and OCI layouts) and helpers to run the
//! `hull` binary. Crafted images exercise what real images rarely contain: whiteouts in odd
//! places, hostile paths, wrong digests.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sha2::{Digest, Sha256};

pub fn sha(b: &[u8]) -> String {
    let d = Sha256::digest(b);
    d.iter().map(|x| format!("{x:02x}")).collect()
}

pub fn md5_hex(b: &[u8]) -> String {
    let d = md5::Md5::digest(b);
    d.iter().map(|x| format!("{x:02x}")).collect()
}

/// One tar entry of a crafted layer.
pub enum E<'a> {
    File(&'a str, &'a [u8]),
    Symlink(&'a str, &'a str),
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

pub fn gzip(b: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(b).unwrap();
    gz.finish().unwrap()
}

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

pub fn oci_layout(dir: &Path, manifests: Vec<serde_json::Value>) {
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    let index = serde_json::json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": manifests});
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
}

pub fn hull() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hull"));
    c.env("SOURCE_DATE_EPOCH", "1700000000")
        .env_remove("HULL_CACHE_DIR");
    c
}

pub fn run(args: &[&str]) -> Output {
    hull().args(args).output().unwrap()
}

pub fn json_of(o: &Output) -> serde_json::Value {
    assert!(
        o.status.success(),
        "hull failed ({:?}): {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

/// (name, version) of every package in a JSON report, sorted.
pub fn names(v: &serde_json::Value) -> Vec<(String, String)> {
    let mut out: Vec<_> = v["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["version"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

/// A JSON report's `os_owned` entries: path -> the rule that dropped the package.
#[allow(dead_code)]
pub fn os_owned(v: &serde_json::Value) -> std::collections::BTreeMap<String, String> {
    v["os_owned"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|o| {
                    (
                        o["path"].as_str().unwrap().to_string(),
                        o["reason"].as_str().unwrap().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

pub const OS_RELEASE: &[u8] = b"PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n";

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
