//! Every dpkg, apk and rpm fixture from other scanners' test suites, checked against the
//! upstream expected results stored beside it (`<fixture>.expected.json`).
//!
//! The comparison is on (name, full version). Upstream tools split versions differently
//! (trivy keeps dpkg epoch and revision apart; go-rpmdb keeps version and release apart), so
//! the expected full version is rebuilt from the upstream fields where they are split.
//! Two upstream rules hull does not follow are stated where they apply:
//! - scalibr's `includeNotInstalled` option (cases named "... including not installed");
//! - syft reports a dpkg paragraph with no `Version`; hull skips it, as scalibr and dpkg do.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use hull_analyzer::pkgdb::{apk, dpkg, rpm};
use hull_analyzer::{Analyzer, FileInput};
use serde_json::Value;

fn fixtures(format: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(format);
    let mut out: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !p.to_string_lossy().ends_with(".expected.json"))
        .collect();
    out.sort();
    assert!(!out.is_empty());
    out
}

fn expected_path(fixture: &Path) -> PathBuf {
    PathBuf::from(format!("{}.expected.json", fixture.display()))
}

/// The file inside a fixture directory (trivy's txtar fixtures were unpacked into trees that
/// mirror image paths).
fn file_of(fixture: &Path, inner: &str) -> Vec<u8> {
    if fixture.is_dir() {
        std::fs::read(fixture.join(inner)).unwrap()
    } else {
        std::fs::read(fixture).unwrap()
    }
}

fn s(v: &Value, k: &str) -> Option<String> {
    match v.get(k)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The full version upstream means, rebuilt from its split fields.
fn expected_version(p: &Value) -> Option<String> {
    let mut v = s(p, "version")?;
    if let Some(rel) = s(p, "upstream.Release") {
        if !v.ends_with(&format!("-{rel}")) {
            v = format!("{v}-{rel}");
        }
    }
    let epoch = s(p, "upstream.Epoch")
        .or_else(|| p.get("upstream.Metadata").and_then(|m| s(m, "Epoch")))
        .filter(|e| e != "0");
    if let Some(e) = epoch {
        if !v.contains(':') {
            v = format!("{e}:{v}");
        }
    }
    Some(v)
}

type Set = BTreeSet<(String, String)>;

fn check(fixture: &Path, got: Set) {
    let exp: Value =
        serde_json::from_slice(&std::fs::read(expected_path(fixture)).unwrap()).unwrap();
    let mode = exp["match"].as_str().unwrap_or("");
    let mut union = Set::new();
    let mut compared = 0;
    for case in exp["cases"].as_array().unwrap() {
        let name = case["case"].as_str().unwrap_or("");
        if name.contains("including not installed") {
            continue;
        }
        let want: Set = case["packages"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| Some((s(p, "name")?, expected_version(p)?)))
            .collect();
        if mode.starts_with("union") {
            union.extend(want);
            continue;
        }
        compared += 1;
        if mode.starts_with("subset") {
            let missing: Vec<_> = want.difference(&got).collect();
            assert!(
                missing.is_empty(),
                "{}: case {name:?} missing {missing:?}",
                fixture.display()
            );
        } else {
            assert_eq!(got, want, "{}: case {name:?}", fixture.display());
        }
    }
    if mode.starts_with("union") {
        assert_eq!(got, union, "{}", fixture.display());
        compared += 1;
    }
    assert!(compared > 0, "{}: no case compared", fixture.display());
}

fn set(pkgs: impl IntoIterator<Item = (String, String)>) -> Set {
    pkgs.into_iter().collect()
}

#[test]
fn dpkg_fixtures() {
    let mut n = 0;
    for f in fixtures("dpkg") {
        let bytes = file_of(&f, "var/lib/dpkg/status");
        let records = dpkg::parse(&bytes).unwrap();
        let db = if f.to_string_lossy().contains("status.d") {
            dpkg::DbKind::StatusD
        } else {
            dpkg::DbKind::Status
        };
        let got = set(records
            .into_iter()
            .filter(|r| r.is_installed(db))
            .map(|r| (r.package, r.version)));
        check(&f, got);
        n += 1;
    }
    assert_eq!(n, 28);
}

#[test]
fn dpkg_source_fields_match_trivy() {
    // trivy records SrcName/SrcVersion for every package of its "valid" fixture.
    let f = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dpkg/trivy-valid");
    let out = dpkg::Dpkg
        .analyze(&FileInput {
            path: "/var/lib/dpkg/status",
            bytes: &file_of(&f, "var/lib/dpkg/status"),
        })
        .unwrap();
    let exp: Value = serde_json::from_slice(&std::fs::read(expected_path(&f)).unwrap()).unwrap();
    let mut checked = 0;
    for p in exp["cases"][0]["packages"].as_array().unwrap() {
        let name = s(p, "name").unwrap();
        let got = out.packages.iter().find(|x| x.name == name).unwrap();
        let src = got.source.as_ref().unwrap();
        assert_eq!(src.name, s(p, "upstream.SrcName").unwrap(), "{name}");
        // trivy strips epoch and revision into separate fields; compare the upstream part.
        let upstream_part = src
            .version
            .split_once(':')
            .map_or(src.version.as_str(), |x| x.1);
        let upstream_part = upstream_part
            .rsplit_once('-')
            .map_or(upstream_part, |x| x.0);
        assert_eq!(
            upstream_part,
            s(p, "upstream.SrcVersion").unwrap(),
            "{name}"
        );
        assert_eq!(got.arch, s(p, "upstream.Arch"), "{name}");
        checked += 1;
    }
    assert_eq!(checked, 90);
}

#[test]
fn apk_fixtures() {
    let mut n = 0;
    for f in fixtures("apk") {
        let bytes = file_of(&f, "lib/apk/db/installed");
        let got = set(apk::parse(&bytes)
            .unwrap()
            .into_iter()
            .map(|r| (r.name, r.version)));
        check(&f, got);
        n += 1;
    }
    assert_eq!(n, 9);
}

#[test]
fn apk_origin_and_license_match_trivy() {
    let f = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/apk/trivy-apk");
    let out = apk::Apk
        .analyze(&FileInput {
            path: "/lib/apk/db/installed",
            bytes: &file_of(&f, ""),
        })
        .unwrap();
    let exp: Value = serde_json::from_slice(&std::fs::read(expected_path(&f)).unwrap()).unwrap();
    for p in exp["cases"][0]["packages"].as_array().unwrap() {
        let got = out
            .packages
            .iter()
            .find(|x| Some(&x.name) == s(p, "name").as_ref())
            .unwrap();
        assert_eq!(
            Some(got.source.as_ref().unwrap().name.clone()),
            s(p, "upstream.SrcName")
        );
        assert_eq!(got.arch, s(p, "upstream.Arch"));
        assert!(!got.licenses.is_empty(), "{}", got.name);
    }
}

/// The rpm parser for a fixture, chosen by its file name as the analyzers choose by path.
fn rpm_parse(name: &str, bytes: &[u8]) -> Result<Vec<rpm::RpmHeader>, hull_analyzer::AnalyzeError> {
    if name.ends_with("rpmdb.sqlite") {
        rpm::sqlite::parse(bytes)
    } else if name.ends_with("Packages.db") {
        rpm::ndb::parse(bytes)
    } else if name.ends_with("container-manifest-2") {
        rpm::manifest::parse(bytes)
    } else {
        rpm::bdb::parse(bytes)
    }
}

fn rpm_headers(f: &Path) -> Vec<rpm::RpmHeader> {
    let name = f.file_name().unwrap().to_string_lossy().to_string();
    rpm_parse(&name, &std::fs::read(f).unwrap()).unwrap()
}

#[test]
fn rpm_fixtures() {
    let mut n = 0;
    for f in fixtures("rpm") {
        let got = set(rpm_headers(&f)
            .into_iter()
            .filter(|h| h.name != "gpg-pubkey")
            .map(|h| (h.name.clone(), h.evr())));
        check(&f, got);
        n += 1;
    }
    assert_eq!(n, 6);
}

#[test]
fn rpm_fields_match_go_rpmdb() {
    // go-rpmdb's expectations carry arch, licence and source rpm for every package.
    for name in [
        "go-rpmdb-sle15-bci_Packages.db",
        "go-rpmdb-libuuid_Packages",
        "go-rpmdb-cbl-mariner-2.0_rpmdb.sqlite",
    ] {
        let f = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/rpm")
            .join(name);
        let headers = rpm_headers(&f);
        let exp: Value =
            serde_json::from_slice(&std::fs::read(expected_path(&f)).unwrap()).unwrap();
        for p in exp["cases"][0]["packages"].as_array().unwrap() {
            let h = headers
                .iter()
                .find(|h| Some(&h.name) == s(p, "name").as_ref())
                .unwrap();
            assert_eq!(h.arch, s(p, "upstream.Arch"), "{name} {}", h.name);
            assert_eq!(h.license, s(p, "upstream.License"), "{name} {}", h.name);
            assert_eq!(
                h.source_rpm,
                s(p, "upstream.SourceRpm"),
                "{name} {}",
                h.name
            );
        }
    }
}

#[test]
fn rpm_corrupted_pages_give_errors_not_panics() {
    // Flip bytes all over real databases: every result must be Ok or Err, never a panic.
    for f in fixtures("rpm") {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        let orig = std::fs::read(&f).unwrap();
        let step = (orig.len() / 97).max(1);
        for i in (0..orig.len()).step_by(step) {
            let mut b = orig.clone();
            b[i] ^= 0xa5;
            let _ = rpm_parse(&name, &b);
            // Truncations too.
            let _ = rpm::bdb::parse(&orig[..i]);
            let _ = rpm::ndb::parse(&orig[..i]);
        }
    }
}
