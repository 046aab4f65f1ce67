//! Vulnerability matching end to end: `hull db import` of real OSV records (Debian 12
//! changelog-derived, alpine-secdb), then `hull scan` of images holding old and fixed
//! versions. Debian verdicts are checked against `dpkg --compare-versions` itself.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use common::*;

fn import(dir: &Path, sources: &[&str]) -> String {
    let db = dir.join("adv.db");
    let mut args = vec![
        "db".to_string(),
        "import".into(),
        "--db".into(),
        db.display().to_string(),
    ];
    for s in sources {
        args.push(
            repo_root()
                .join("testdata/osv")
                .join(s)
                .display()
                .to_string(),
        );
    }
    let o = hull().args(&args).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    db.display().to_string()
}

/// What dpkg itself says: the CVEs of the openssl records whose fix is above `version`.
fn dpkg_truth(version: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for e in std::fs::read_dir(repo_root().join("testdata/osv/debian")).unwrap() {
        let p = e.unwrap().path();
        if !p.to_string_lossy().ends_with("-openssl.json") {
            continue;
        }
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
        let fixed = v["affected"][0]["ranges"][0]["events"][1]["fixed"]
            .as_str()
            .unwrap()
            .to_string();
        let lt = Command::new("dpkg")
            .args(["--compare-versions", version, "lt", &fixed])
            .status()
            .unwrap();
        if lt.success() {
            out.insert(v["aliases"][0].as_str().unwrap().to_string());
        }
    }
    out
}

fn debian_image(dir: &Path, openssl: &str) -> String {
    let img = dir.join(format!("deb-{openssl}.tar"));
    let status = format!(
        "Package: libssl3\nStatus: install ok installed\nArchitecture: amd64\nSource: openssl\nVersion: {openssl}\n\n\
         Package: openssl\nStatus: install ok installed\nArchitecture: amd64\nVersion: {openssl}\n\n\
         Package: bash\nStatus: install ok installed\nArchitecture: amd64\nVersion: 5.2.15-2+b2\n\n"
    );
    docker_archive(
        &img,
        &[layer(&[
            E::File("etc/os-release", OS_RELEASE),
            E::File("var/lib/dpkg/status", status.as_bytes()),
        ])],
        None,
    );
    img.display().to_string()
}

fn ids(v: &serde_json::Value, package: &str) -> BTreeSet<String> {
    v["vulnerabilities"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|x| x["package"] == package)
                .map(|x| x["id"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn old_debian_openssl_is_found_with_its_fixes_and_agrees_with_dpkg() {
    let dir = tempfile::tempdir().unwrap();
    let db = import(dir.path(), &["debian"]);
    for version in [
        "3.0.11-1~deb12u2",
        "3.0.13-1~deb12u1",
        "3.0.15-1~deb12u1",
        "3.0.17-1~deb12u2",
        "1.1.1n-0+deb11u5",
    ] {
        let img = debian_image(dir.path(), version);
        let v = scan_json(&["scan", "--no-cache", "--db", &db, "-f", "json", &img]);
        let truth = dpkg_truth(version);
        // Both binary packages are built from source openssl; each carries the findings.
        assert_eq!(ids(&v, "libssl3"), truth, "{version}");
        assert_eq!(ids(&v, "openssl"), truth, "{version}");
        assert!(ids(&v, "bash").is_empty());
    }
    // The concrete case: CVE-2024-0727 is fixed in 3.0.13-1~deb12u1.
    let v = scan_json(&[
        "scan",
        "--no-cache",
        "--db",
        &db,
        "-f",
        "json",
        &debian_image(dir.path(), "3.0.11-1~deb12u2"),
    ]);
    let f = v["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == "CVE-2024-0727" && x["package"] == "openssl")
        .unwrap();
    assert_eq!(f["fixed"], "3.0.13-1~deb12u1");
    assert_eq!(f["aliases"][0], "DEBCL-CVE-2024-0727-openssl");
    assert!(f["reason"]
        .as_str()
        .unwrap()
        .starts_with("Debian:12 openssl 3.0.11-1~deb12u2: introduced 0, fixed 3.0.13-1~deb12u1 (ECOSYSTEM) in DEBCL-CVE-2024-0727-openssl"));
    assert_eq!(f["severity"], "medium");
    assert_eq!(
        f["severity_source"],
        "medium stated by DEBCL-CVE-2024-0727-openssl"
    );
    assert_eq!(f["location"]["path"], "/var/lib/dpkg/status");
    // And the CycloneDX form validates against the official schema.
    let cdx = scan_json(&[
        "sbom",
        "--no-cache",
        "--scanners",
        "vuln",
        "--db",
        &db,
        &debian_image(dir.path(), "3.0.11-1~deb12u2"),
    ]);
    assert!(!cdx["vulnerabilities"].as_array().unwrap().is_empty());
    // `sbom` alone is the inventory: no vulnerabilities unless asked for.
    let plain = scan_json(&[
        "sbom",
        "--no-cache",
        "--db",
        &db,
        &debian_image(dir.path(), "3.0.11-1~deb12u2"),
    ]);
    assert!(plain.get("vulnerabilities").is_none());
    assert_schema_valid("cyclonedx-1.6", "bom-1.6.schema.json", &cdx);
    assert_schema_valid("hull", "report-v1.schema.json", &v);
}

#[test]
fn alpine_secdb_by_origin() {
    let dir = tempfile::tempdir().unwrap();
    let db = import(dir.path(), &["alpine"]);
    let img = dir.path().join("alpine.tar");
    let installed = b"P:libssl1.1\nV:1.1.1d-r1\nA:x86_64\no:openssl\n\nP:musl\nV:1.1.24-r2\nA:x86_64\no:musl\n\n";
    docker_archive(
        &img,
        &[layer(&[
            E::File(
                "etc/os-release",
                b"NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.11.3\n",
            ),
            E::File("lib/apk/db/installed", installed),
        ])],
        None,
    );
    let v = scan_json(&[
        "scan",
        "--no-cache",
        "--db",
        &db,
        "-f",
        "json",
        img.to_str().unwrap(),
    ]);
    // alpine-secdb v3.11: CVE-2019-1551 fixed in openssl 1.1.1d-r3; CVE-2019-1547/1549/1563 in 1.1.1d-r1.
    assert_eq!(
        ids(&v, "libssl1.1"),
        BTreeSet::from(["CVE-2019-1551".to_string()])
    );
    let f = &v["vulnerabilities"][0];
    assert_eq!(f["fixed"], "1.1.1d-r3");
    assert!(ids(&v, "musl").is_empty(), "{}", v["vulnerabilities"]);
}

/// Never a silent green (issue 22): with the vulnerability scanner on (here by default) and
/// no usable advisory database, a gate fails with exit 3 and one line saying why, whatever
/// `-q` says; `--skip-vuln-if-no-db` is the explicit way to scan on.
#[test]
fn no_usable_database_fails_the_gate_unless_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let img = debian_image(dir.path(), "3.0.11-1~deb12u2");
    let missing = dir.path().join("none.db");
    let corrupt = dir.path().join("corrupt.db");
    std::fs::write(&corrupt, b"SQLite format 3\0 but not really").unwrap();
    let empty_src = dir.path().join("empty-osv");
    std::fs::create_dir_all(&empty_src).unwrap();
    let empty = dir.path().join("empty.db");
    let o = hull()
        .args(["db", "import", "--db"])
        .arg(&empty)
        .arg(&empty_src)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let gate = |db: &Path, extra: &[&str]| {
        hull()
            .env_remove("HULL_SKIP_VULN_IF_NO_DB")
            .args(["scan", "-q", "--no-cache", "--fail-on", "vuln=any", "--db"])
            .arg(db)
            .args(extra)
            .arg(&img)
            .output()
            .unwrap()
    };
    for (db, why) in [
        (&missing, "none.db"),
        (&corrupt, "corrupt.db"),
        (&empty, "holds no advisories"),
    ] {
        let o = gate(db, &[]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(3), "{}: {err}", db.display());
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains("vulnerabilities cannot be checked") && err.contains(why),
            "{err}"
        );
        assert!(
            o.stdout.is_empty(),
            "no report when nothing could be checked"
        );
    }
    // Accepted: the inventory is reported, the scan passes, and it says what it skipped.
    let o = gate(&missing, &["--skip-vuln-if-no-db", "-f", "json"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!json_of(&o)["packages"].as_array().unwrap().is_empty());
    // With the database the same gate fails on what it found.
    let db = import(dir.path(), &["debian"]);
    let o = gate(Path::new(&db), &[]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn import_is_atomic_under_kill() {
    // Kill imports at several points: the previous database stays usable and unchanged.
    let dir = tempfile::tempdir().unwrap();
    let db = import(dir.path(), &["debian"]);
    let before = String::from_utf8(run(&["db", "status", "--db", &db]).stdout).unwrap();
    assert!(before.contains("advisories     136"), "{before}");
    // A source big enough that an import takes a while.
    let big = dir.path().join("big");
    std::fs::create_dir_all(&big).unwrap();
    for i in 0..20_000 {
        std::fs::write(
            big.join(format!("X-{i}.json")),
            format!(r#"{{"id":"X-{i}","affected":[{{"package":{{"ecosystem":"Debian:12","name":"p{i}"}},"ranges":[{{"type":"ECOSYSTEM","events":[{{"introduced":"0"}},{{"fixed":"1.{i}"}}]}}]}}]}}"#),
        )
        .unwrap();
    }
    let mut killed_mid_import = 0;
    for delay in [20, 80, 200, 400] {
        let mut child = hull()
            .args(["db", "import", "--db", &db, big.to_str().unwrap()])
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay));
        let finished = child.try_wait().unwrap().is_some();
        let _ = child.kill();
        let _ = child.wait();
        let o = run(&["db", "status", "--db", &db]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let now = String::from_utf8(o.stdout).unwrap();
        // Atomic: the old database whole, or (the kill came after the rename) the new one
        // whole; never anything between.
        let complete =
            now.contains("advisories     20000") && now.contains("Debian:12                20000");
        assert!(now == before || complete, "killed after {delay} ms: {now}");
        if !finished && now == before {
            killed_mid_import += 1;
        }
    }
    assert!(
        killed_mid_import > 0,
        "every import finished before the kill: the test proved nothing"
    );
}

/// `hull db update` against a real HTTP server on 127.0.0.1 (Python's http.server, which
/// answers `If-Modified-Since` with 304), serving zips in the OSV bucket layout.
#[test]
fn db_update_downloads_only_what_changed() {
    let dir = tempfile::tempdir().unwrap();
    let mirror = dir.path().join("mirror");
    for (eco, src) in [("Debian", "debian"), ("Alpine", "alpine")] {
        std::fs::create_dir_all(mirror.join(eco)).unwrap();
        let zip = mirror.join(eco).join("all.zip");
        let script = "import sys, zipfile, os\nz = zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED)\nfor n in sorted(os.listdir(sys.argv[2])):\n    z.write(os.path.join(sys.argv[2], n), n)\nz.close()\n";
        let ok = Command::new("python3")
            .args(["-c", script])
            .arg(&zip)
            .arg(repo_root().join("testdata/osv").join(src))
            .status()
            .unwrap();
        assert!(ok.success());
    }
    let (server, port) = http_server(&mirror);
    let db = dir.path().join("cache/advisories.db");
    let update = || {
        let o = hull()
            .args([
                "db",
                "update",
                "--mirror",
                &format!("http://127.0.0.1:{port}"),
                "--ecosystem",
                "Debian",
                "--ecosystem",
                "Alpine",
                "--db",
            ])
            .arg(&db)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stderr).to_string()
    };
    let first = update();
    assert!(
        first.contains("Debian: downloaded") && first.contains("Alpine: downloaded"),
        "{first}"
    );
    assert!(first.contains("imported 178 advisories"), "{first}");
    let second = update();
    assert!(
        second.contains("Debian: not modified") && second.contains("Alpine: not modified"),
        "{second}"
    );
    // A newer Alpine zip on the mirror is downloaded again; Debian is not.
    let alpine = mirror.join("Alpine/all.zip");
    let f = std::fs::File::options().append(true).open(&alpine).unwrap();
    f.set_modified(std::time::SystemTime::now() + std::time::Duration::from_secs(5))
        .unwrap();
    drop(f);
    let third = update();
    assert!(
        third.contains("Debian: not modified") && third.contains("Alpine: downloaded"),
        "{third}"
    );
    let status =
        String::from_utf8(run(&["db", "status", "--db", db.to_str().unwrap()]).stdout).unwrap();
    assert!(
        status.contains("Alpine:v3.11") && status.contains("Debian:12"),
        "{status}"
    );
    drop(server);
}

/// What rpm itself says (`rpm.labelCompare` from Debian's python3-rpm): the AlmaLinux 8
/// `openssl-libs` advisories whose fix is above `evr`.
fn rpm_truth(evr: &str) -> BTreeSet<String> {
    let script = r#"
import json, os, sys, rpm
def split(v):
    e, _, vr = v.rpartition(":")
    ver, _, rel = vr.rpartition("-")
    return (e or "0", ver, rel)
inst = split(sys.argv[1])
for f in sorted(os.listdir(sys.argv[2])):
    d = json.load(open(os.path.join(sys.argv[2], f)))
    for a in d["affected"]:
        if a["package"] == {"ecosystem": "AlmaLinux:8", "name": "openssl-libs"}:
            for r in a["ranges"]:
                for e in r["events"]:
                    if "fixed" in e and rpm.labelCompare(inst, split(e["fixed"])) < 0:
                        print(d["id"])
"#;
    let o = Command::new("/usr/bin/python3")
        .args(["-c", script, evr])
        .arg(repo_root().join("testdata/osv/almalinux"))
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "python3-rpm: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn almalinux_rpm_versions_agree_with_rpm() {
    let dir = tempfile::tempdir().unwrap();
    let db = import(dir.path(), &["almalinux"]);
    for (vr, epoch) in [
        ("1.1.1k-5.el8_5", "1"),
        ("1.1.1k-7.el8_6", "1"),
        ("1.1.1k-12.el8_9", "1"),
        ("1.1.1k-14.el8_10", "1"),
        ("1.1.1k-17.el8_6", "1"),
    ] {
        let img = dir.path().join(format!("alma-{vr}.tar"));
        let manifest = format!("openssl-libs\t{vr}\t1700000000\t1690000000\tAlmaLinux\t{epoch}\t3900000\tx86_64\t{epoch}\topenssl-{vr}.src.rpm\n");
        docker_archive(
            &img,
            &[layer(&[
                E::File(
                    "etc/os-release",
                    b"NAME=\"AlmaLinux\"\nID=\"almalinux\"\nVERSION_ID=\"8.9\"\n",
                ),
                E::File(
                    "var/lib/rpmmanifest/container-manifest-2",
                    manifest.as_bytes(),
                ),
            ])],
            None,
        );
        let v = scan_json(&[
            "scan",
            "--no-cache",
            "--db",
            &db,
            "-f",
            "json",
            img.to_str().unwrap(),
        ]);
        let evr = format!("{epoch}:{vr}");
        let truth = rpm_truth(&evr);
        if vr == "1.1.1k-5.el8_5" {
            assert_eq!(
                truth.len(),
                9,
                "every advisory fixes something above the oldest version"
            );
        }
        assert_eq!(ids(&v, "openssl-libs"), truth, "{evr}");
    }
}

#[test]
fn severity_and_unfixed_filters() {
    let dir = tempfile::tempdir().unwrap();
    let db = import(dir.path(), &["debian"]);
    let img = debian_image(dir.path(), "3.0.11-1~deb12u2");
    let all = scan_json(&["scan", "--no-cache", "--db", &db, "-f", "json", &img]);
    let all = all["vulnerabilities"].as_array().unwrap().clone();
    let high = scan_json(&[
        "scan",
        "--no-cache",
        "--db",
        &db,
        "-f",
        "json",
        "--severity",
        "HIGH,critical",
        &img,
    ]);
    let high = high["vulnerabilities"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let want: Vec<_> = all
        .iter()
        .filter(|v| {
            matches!(
                v["severity"].as_str(),
                Some("high") | Some("critical") | Some("important")
            )
        })
        .cloned()
        .collect();
    assert!(
        !want.is_empty() && want.len() < all.len(),
        "the data has several urgencies"
    );
    assert_eq!(high, want);
    // An advisory with no fix, added to the Debian records, is dropped by --ignore-unfixed.
    let extra = dir.path().join("unfixed");
    std::fs::create_dir_all(&extra).unwrap();
    std::fs::write(
        extra.join("X-UNFIXED-1.json"),
        r#"{"id":"X-UNFIXED-1","aliases":["CVE-2099-0001"],"affected":[{"package":{"ecosystem":"Debian:12","name":"openssl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"}]}]}]}"#,
    )
    .unwrap();
    let db2 = dir.path().join("db2");
    let o = hull()
        .args(["db", "import", "--db"])
        .arg(&db2)
        .arg(repo_root().join("testdata/osv/debian"))
        .arg(&extra)
        .output()
        .unwrap();
    assert!(o.status.success());
    let db2 = db2.to_str().unwrap();
    let with = scan_json(&["scan", "--no-cache", "--db", db2, "-f", "json", &img]);
    let with = with["vulnerabilities"].as_array().unwrap().clone();
    assert_eq!(
        with.len(),
        all.len() + 2,
        "the unfixed one, on openssl and libssl3"
    );
    let fixed = scan_json(&[
        "scan",
        "--no-cache",
        "--db",
        db2,
        "-f",
        "json",
        "--ignore-unfixed",
        &img,
    ]);
    assert_eq!(fixed["vulnerabilities"].as_array().unwrap(), &all);
    assert_eq!(
        run(&[
            "scan",
            "--no-cache",
            "--db",
            &db,
            "--severity",
            "urgent",
            &img
        ])
        .status
        .code(),
        Some(2)
    );
}

fn without_location(v: &serde_json::Value) -> serde_json::Value {
    let mut v = v.clone();
    for f in v.as_array_mut().into_iter().flatten() {
        if let Some(f) = f.as_object_mut() {
            f.remove("location");
        }
    }
    v
}

/// An SBOM is matched without its image: hull's own CycloneDX and SPDX output give the same
/// findings as the image, and so do SBOMs written the way Trivy (source in properties) and
/// Syft (`upstream` qualifier) write them.
#[test]
fn sboms_are_matched_like_their_images() {
    let dir = tempfile::tempdir().unwrap();
    let db = import(dir.path(), &["debian"]);
    let img = debian_image(dir.path(), "3.0.11-1~deb12u2");
    let from_image = scan_json(&["scan", "--no-cache", "--db", &db, "-f", "json", &img]);
    let want = &from_image["vulnerabilities"];
    assert!(want.as_array().unwrap().len() > 10);
    for format in ["cyclonedx", "spdx"] {
        let sbom = dir.path().join(format!("sbom.{format}.json"));
        let o = run(&[
            "sbom",
            "--no-cache",
            "-f",
            format,
            "-o",
            sbom.to_str().unwrap(),
            &img,
        ]);
        assert!(o.status.success());
        let v = scan_json(&["scan", "--db", &db, "-f", "json", sbom.to_str().unwrap()]);
        assert_eq!(v["image"]["source"], "sbom", "{format}");
        // The same findings; an SBOM need not say where in the image a package was.
        assert_eq!(
            without_location(&v["vulnerabilities"]),
            without_location(want),
            "{format}"
        );
    }
    // Trivy and Syft spellings of the same two packages.
    let other = serde_json::json!({
        "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
        "components": [
            {"type": "operating-system", "name": "debian", "version": "12.15"},
            {"type": "library", "name": "libssl3", "version": "3.0.11-1~deb12u2",
             "purl": "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12.15",
             "properties": [{"name": "aquasecurity:trivy:SrcName", "value": "openssl"},
                            {"name": "aquasecurity:trivy:SrcVersion", "value": "3.0.11"},
                            {"name": "aquasecurity:trivy:SrcRelease", "value": "1~deb12u2"}]},
            {"type": "library", "name": "openssl", "version": "3.0.11-1~deb12u2",
             "purl": "pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12&upstream=openssl"},
            {"type": "library", "name": "left-pad", "version": "1.3.0", "purl": "pkg:npm/left-pad@1.3.0"},
            {"type": "library", "name": "blob", "version": "1", "purl": "pkg:generic/blob@1"}
        ]
    });
    let f = dir.path().join("other.cdx.json");
    std::fs::write(&f, serde_json::to_vec(&other).unwrap()).unwrap();
    let v = scan_json(&["scan", "--db", &db, "-f", "json", f.to_str().unwrap()]);
    let got: Vec<_> = v["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x["package"].clone(), x["id"].clone()))
        .collect();
    let expected: Vec<_> = want
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x["package"].clone(), x["id"].clone()))
        .collect();
    assert_eq!(got, expected);
    assert!(v["warnings"][0]["message"]
        .as_str()
        .unwrap()
        .contains("1 components have no package URL of a kind hull matches"));
    // The npm component is read as a package (and has no advisory in this database).
    assert!(v["packages"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["kind"] == "npm" && p["name"] == "left-pad" && p["version"] == "1.3.0"));
    // A JSON file that is no SBOM is not one.
    let junk = dir.path().join("junk.json");
    std::fs::write(&junk, b"{\"hello\": 1}").unwrap();
    assert_eq!(
        run(&["scan", "--kind", "sbom", junk.to_str().unwrap()])
            .status
            .code(),
        Some(3)
    );
}
