//! The gate end to end on the real Debian test image (built from Debian packages by
//! scripts/build-test-images.sh) matched against the repo's OSV records: a policy that fails
//! it, then an ignore file, a policy-file ignore and a VEX document that together make it
//! pass, each step asserted by the exit code and by the suppressions the JSON report lists.

mod common;

use std::path::Path;

use common::*;
use serde_json::Value;

fn db(dir: &Path) -> String {
    let db = dir.join("advisories.db");
    let o = hull()
        .args(["db", "import", "--db"])
        .arg(&db)
        .arg(repo_root().join("testdata/osv"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    db.display().to_string()
}

/// Runs `hull scan` in `cwd` (where `hull.toml` and `.hullignore` are looked for).
fn scan(cwd: &Path, db: &str, image: &Path, extra: &[&str]) -> (i32, Value, String) {
    let o = hull()
        .current_dir(cwd)
        .args(["scan", "--no-cache", "-q", "--db", db, "-f", "json"])
        .args(extra)
        .arg(image)
        .output()
        .unwrap();
    let v = serde_json::from_slice(&o.stdout).unwrap_or(Value::Null);
    (
        o.status.code().unwrap_or(-1),
        v,
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Runs `hull ARGS TARGET` in `cwd` (where `hull.toml` and `.hullignore` are looked for).
fn in_dir(cwd: &Path, args: &[&str], target: impl AsRef<std::ffi::OsStr>) -> std::process::Output {
    hull()
        .current_dir(cwd)
        .args(args)
        .arg(target)
        .output()
        .unwrap()
}

fn suppressed_by(v: &Value, kind: &str) -> Vec<String> {
    let mut ids: Vec<String> = v["policy"]["suppressed"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| s["by"]["kind"] == kind)
        .map(|s| s["finding"]["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

fn high(v: &Value, package: &str) -> Vec<String> {
    let mut ids: Vec<String> = v["vulnerabilities"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|x| x["severity"] == "high" && x["package"] == package)
        .map(|x| x["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

#[test]
fn a_policy_fails_the_image_and_ignores_plus_vex_make_it_pass() {
    let Some(images) = test_images(&[]) else {
        return;
    };
    let image = images.join("debian-test.docker.tar");
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path();
    let db = db(cwd);

    // No policy: passes, and says so.
    let (code, all, _) = scan(cwd, &db, &image, &[]);
    assert_eq!(code, 0);
    assert_eq!(all["policy"]["summary"], "passed: no policy threshold set");
    let expat = high(&all, "libexpat1");
    let ssl_findings = high(&all, "openssl").len() + high(&all, "libssl3").len();
    let mut ssl: Vec<String> = [high(&all, "openssl"), high(&all, "libssl3")].concat();
    ssl.sort();
    ssl.dedup();
    assert!(
        !expat.is_empty() && !ssl.is_empty(),
        "the image has high findings in both"
    );
    let image_id = all["image"]["image_id"].as_str().unwrap().to_string();

    // 1. A policy file that fails high vulnerabilities.
    std::fs::write(
        cwd.join("hull.toml"),
        "[vulnerability]\nfail_on = \"high\"\n[misconfig]\nfail_on = \"critical\"\n",
    )
    .unwrap();
    let (code, v, err) = scan(cwd, &db, &image, &[]);
    assert_eq!(code, 1, "{err}");
    let n = expat.len() + ssl_findings;
    assert_eq!(v["policy"]["failures"].as_array().unwrap().len(), n);
    assert!(
        err.contains(&format!(
            "failed: {n} high vulnerabilities over threshold high"
        )),
        "{err}"
    );
    // --exit-code picks the code.
    assert_eq!(scan(cwd, &db, &image, &["--exit-code", "7"]).0, 7);
    // A finding hidden by --severity never fails the gate.
    assert_eq!(scan(cwd, &db, &image, &["--severity", "medium,low"]).0, 0);

    // 2. A policy-file ignore of the expat package (with an expiry ahead), and an ignore
    //    file with one expired and one unused entry.
    std::fs::write(
        cwd.join("hull.toml"),
        "[vulnerability]\nfail_on = \"high\"\n[misconfig]\nfail_on = \"critical\"\n\n\
         [[ignore]]\npackage = \"libexpat1\"\nversion = \"<2.5.0-1+deb12u5\"\n\
         reason = \"no XML parsing of untrusted input\"\nexpires = 2999-12-31\n",
    )
    .unwrap();
    std::fs::write(
        cwd.join(".hullignore"),
        format!(
            "# accepted last year\n{} exp:2001-01-01\nCVE-1999-0001\n",
            ssl[0]
        ),
    )
    .unwrap();
    let (code, v, err) = scan(cwd, &db, &image, &[]);
    assert_eq!(code, 1, "the openssl findings still fail: {err}");
    let ignored = suppressed_by(&v, "ignore");
    let all_expat: Vec<String> = {
        let mut ids: Vec<String> = all["vulnerabilities"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|x| x["package"] == "libexpat1")
            .map(|x| x["id"].as_str().unwrap().to_string())
            .collect();
        ids.sort();
        ids.dedup();
        ids
    };
    assert_eq!(
        ignored, all_expat,
        "every libexpat1 finding, whatever its level"
    );
    let notes: Vec<(String, String)> = v["policy"]["ignores"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["names"].as_str().unwrap().into(),
                i["status"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        notes,
        vec![
            (ssl[0].clone(), "expired".to_string()),
            ("CVE-1999-0001".to_string(), "unused".to_string())
        ]
    );
    assert!(err.contains("(1 expired, 1 unused)"), "{err}");

    // 3. A VEX document for the openssl findings, by image digest and subcomponent purls.
    let statements: Vec<Value> = ssl
        .iter()
        .map(|id| {
            serde_json::json!({
                "vulnerability": {"name": id},
                "products": [{"@id": format!("pkg:oci/debian-test@{image_id}"),
                              "subcomponents": [{"@id": "pkg:deb/debian/openssl"}, {"@id": "pkg:deb/debian/libssl3"}]}],
                "status": "not_affected",
                "justification": "vulnerable_code_not_in_execute_path"
            })
        })
        .collect();
    let vex = serde_json::json!({
        "@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://example.com/vex/debian-test",
        "author": "platform team", "timestamp": "2026-01-01T00:00:00Z", "version": 1,
        "statements": statements,
    });
    assert_schema_valid("openvex-0.2", "openvex_json_schema.json", &vex);
    std::fs::write(cwd.join("vex.json"), vex.to_string()).unwrap();
    let (code, v, err) = scan(cwd, &db, &image, &["--vex", "vex.json"]);
    assert_eq!(code, 0, "{err}");
    let mut by_vex = suppressed_by(&v, "vex");
    by_vex.sort();
    assert_eq!(by_vex, ssl);
    assert!(v["policy"]["passed"].as_bool().unwrap());
    assert_schema_valid("hull", "report-v1.schema.json", &v);
    // The same VEX for another image's digest changes nothing.
    let other = vex
        .to_string()
        .replace(&image_id, &format!("sha256:{}", "0".repeat(64)));
    std::fs::write(cwd.join("other.json"), other).unwrap();
    assert_eq!(scan(cwd, &db, &image, &["--vex", "other.json"]).0, 1);
}

#[test]
fn openvex_out_validates_and_feeds_back() {
    let Some(images) = test_images(&[]) else {
        return;
    };
    let image = images.join("debian-test.oci");
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path();
    let db = db(cwd);
    let vex_path = cwd.join("out.vex.json");
    let o = hull()
        .current_dir(cwd)
        .args([
            "scan",
            "--no-cache",
            "-q",
            "--db",
            &db,
            "-f",
            "openvex",
            "-o",
        ])
        .arg(&vex_path)
        .args(["-f", "json", "--fail-on", "medium"])
        .arg(&image)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&o.stdout).unwrap();
    let doc: Value = serde_json::from_slice(&std::fs::read(&vex_path).unwrap()).unwrap();
    assert_schema_valid("openvex-0.2", "openvex_json_schema.json", &doc);
    let mut ids: Vec<&str> = report["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(doc["statements"].as_array().unwrap().len(), ids.len());
    // A team marks every statement not_affected and feeds the document back: nothing fails.
    let edited = std::fs::read_to_string(&vex_path).unwrap().replace(
        "\"status\": \"under_investigation\"",
        "\"status\": \"not_affected\", \"justification\": \"component_not_present\"",
    );
    std::fs::write(&vex_path, edited).unwrap();
    let o = hull()
        .current_dir(cwd)
        .args([
            "scan",
            "--no-cache",
            "-q",
            "--db",
            &db,
            "-f",
            "json",
            "--fail-on",
            "medium",
            "--vex",
        ])
        .arg(&vex_path)
        .arg(&image)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn broken_policy_files_are_usage_errors_that_say_where() {
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path();
    let target = cwd.join("empty");
    std::fs::create_dir(&target).unwrap();
    std::fs::write(
        cwd.join("hull.toml"),
        "[vulnerability]\nfail_on = \"severe\"\n",
    )
    .unwrap();
    let o = in_dir(
        cwd,
        &["scan", "--no-cache", "-q", "--scanners", "none"],
        &target,
    );
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("hull.toml:2:11"), "{err}");
    assert!(err.contains("vulnerability.fail_on"), "{err}");
    std::fs::remove_file(cwd.join("hull.toml")).unwrap();
    std::fs::write(cwd.join("bad.ignore"), "CVE-1 exp:tomorrow\n").unwrap();
    let o = in_dir(
        cwd,
        &[
            "scan",
            "--no-cache",
            "-q",
            "--scanners",
            "none",
            "--ignorefile",
            "bad.ignore",
        ],
        &target,
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("bad.ignore:1:7"));
    let o = in_dir(
        cwd,
        &[
            "scan",
            "--no-cache",
            "-q",
            "--scanners",
            "none",
            "--vex",
            "missing.json",
        ],
        &target,
    );
    assert_eq!(o.status.code(), Some(2));
}

/// `[license]` on the real Debian image: its packages declare GPL-family licences, so a
/// policy refusing copyleft fails it and names packages; allowing everything passes.
#[test]
fn a_licence_policy_judges_the_declared_licences() {
    let Some(images) = test_images(&[]) else {
        return;
    };
    let image = images.join("debian-test.docker.tar");
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path();
    std::fs::write(cwd.join("hull.toml"), "[license]\ndeny = [\"copyleft\"]\n").unwrap();
    let o = in_dir(cwd, &["sbom", "--no-cache", "-q", "-f", "json"], &image);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let refused: Vec<&str> = v["policy"]["failures"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["scanner"] == "license")
        .map(|f| f["target"].as_str().unwrap())
        .collect();
    assert!(
        refused.iter().any(|t| t.starts_with("bash ")),
        "{refused:?}"
    );
    // Packages whose licence normalises carry it as an SPDX expression.
    let base_files = v["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "base-files")
        .unwrap();
    assert_eq!(base_files["license"], "GPL-2.0-only");
    std::fs::write(
        cwd.join("hull.toml"),
        "[license]\nallow = [\"permissive\", \"copyleft\", \"unknown\", \"network-copyleft\"]\n",
    )
    .unwrap();
    let o = in_dir(cwd, &["sbom", "--no-cache", "-q", "-f", "json"], &image);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}
