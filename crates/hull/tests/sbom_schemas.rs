//! CycloneDX and SPDX output validate against the official schemas (vendored under
//! `testdata/schemas`, see `testdata/schemas/SOURCES.md`).

mod common;

use common::*;

fn crafted(dir: &std::path::Path) -> std::path::PathBuf {
    let img = dir.join("img.tar");
    let l = layer(&[
        E::File("etc/os-release", OS_RELEASE),
        E::File("var/lib/dpkg/status", &status(&[("libc6", "2.36-9+deb12u4"), ("login", "1:4.13+dfsg1-1+b1")])),
        E::File("lib/apk/db/installed", b"P:musl\nV:1.2.4-r2\nA:x86_64\no:musl\nL:MIT AND (BSD-2-Clause OR X11)\n\nP:musl\nV:1.2.4-r2\nA:x86_64\n\n"),
    ]);
    docker_archive(&img, &[l], None);
    img
}

#[test]
fn cyclonedx_is_valid() {
    let dir = tempfile::tempdir().unwrap();
    let img = crafted(dir.path());
    let v = scan_json(&[
        "sbom",
        "--no-cache",
        "-f",
        "cyclonedx",
        img.to_str().unwrap(),
    ]);
    assert_eq!(v["specVersion"], "1.6");
    assert!(v["components"].as_array().unwrap().len() >= 4);
    assert_schema_valid("cyclonedx-1.6", "bom-1.6.schema.json", &v);
}

#[test]
fn spdx_is_valid() {
    let dir = tempfile::tempdir().unwrap();
    let img = crafted(dir.path());
    let v = scan_json(&["sbom", "--no-cache", "-f", "spdx", img.to_str().unwrap()]);
    assert_eq!(v["spdxVersion"], "SPDX-2.3");
    assert_schema_valid("spdx-2.3", "spdx-schema.json", &v);
}

#[test]
fn json_report_matches_its_documented_schema() {
    let dir = tempfile::tempdir().unwrap();
    let img = crafted(dir.path());
    let v = scan_json(&["scan", "--no-cache", "-f", "json", img.to_str().unwrap()]);
    assert_schema_valid("hull", "report-v1.schema.json", &v);
}

#[test]
fn schema_check_rejects_a_broken_sbom() {
    // The validator itself must be able to fail.
    let bad = serde_json::json!({"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [{"type": "nonsense"}]});
    let r = std::panic::catch_unwind(|| {
        assert_schema_valid("cyclonedx-1.6", "bom-1.6.schema.json", &bad)
    });
    assert!(r.is_err());
}
