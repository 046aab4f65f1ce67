//! Pod Security Standards verdicts against the admission controller's own fixtures
//! (`tests/fixtures/pss`, see SOURCES.md there): every fixture at both levels, and for each
//! denied pod the control its file names among the ones that deny it (some fixtures cannot
//! break one control alone: a Windows HostProcess pod must also use the host network).

use std::collections::BTreeSet;
use std::path::Path;

use hull_config::k8s::{self, pss};
use hull_config::yaml::Bounds;

/// The check that must deny a fixture: the one its file is named after, or the restricted
/// check that overrides it at the restricted level.
fn expected(level: pss::Level, prefix: &str) -> String {
    let overridden = match (level, prefix) {
        (pss::Level::Restricted, "capabilities_baseline") => "capabilities_restricted",
        (pss::Level::Restricted, "hostpathvolumes") => "restrictedvolumes",
        (pss::Level::Restricted, "seccompprofile_baseline") => "seccompprofile_restricted",
        (pss::Level::Restricted, "procmount") => "procmount_restricted",
        _ => prefix,
    };
    overridden.to_string()
}

fn run_level(name: &str, level: pss::Level) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/pss")
        .join(name)
        .join("v1.37");
    let mut checked = 0;
    let mut failures = Vec::new();
    for verdict in ["pass", "fail"] {
        let mut files: Vec<_> = std::fs::read_dir(root.join(verdict))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for f in files {
            let bytes = std::fs::read(&f).unwrap();
            let (objs, warnings) = k8s::load("f.yaml", &bytes, &Bounds::default());
            assert!(warnings.is_empty(), "{}: {warnings:?}", f.display());
            assert_eq!(objs.len(), 1, "{}", f.display());
            let t = objs[0].pod_template().unwrap();
            let denied: BTreeSet<String> = pss::evaluate(level, t.meta, t.spec)
                .into_iter()
                .map(|(c, _)| c.upstream_id.to_ascii_lowercase())
                .collect();
            let stem = f.file_stem().unwrap().to_str().unwrap();
            let ok = if verdict == "pass" {
                denied.is_empty()
            } else {
                let prefix = stem.trim_end_matches(|c: char| c.is_ascii_digit());
                denied.contains(&expected(level, prefix))
            };
            if !ok {
                failures.push(format!("{name}/{verdict}/{stem}: denied by {denied:?}"));
            }
            checked += 1;
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} fixtures disagree:\n{}",
        failures.len(),
        failures.join("\n")
    );
    checked
}

#[test]
fn baseline_fixtures() {
    assert_eq!(run_level("baseline", pss::Level::Baseline), 49);
}

#[test]
fn restricted_fixtures() {
    assert_eq!(run_level("restricted", pss::Level::Restricted), 99);
}

/// A pod valid at restricted is valid at baseline; restricted failures that are baseline
/// controls also fail at baseline.
#[test]
fn levels_nest() {
    let root =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pss/restricted/v1.37/pass");
    for e in std::fs::read_dir(root).unwrap() {
        let bytes = std::fs::read(e.unwrap().path()).unwrap();
        let (objs, _) = k8s::load("f.yaml", &bytes, &Bounds::default());
        let t = objs[0].pod_template().unwrap();
        assert!(pss::evaluate(pss::Level::Baseline, t.meta, t.spec).is_empty());
    }
}

/// Findings agree with the verdict: a pod is denied exactly when it has PSS findings (the
/// Windows exemptions aside, where a baseline finding stays reported at restricted).
#[test]
fn findings_agree_with_verdicts() {
    for (name, level) in [
        ("baseline", pss::Level::Baseline),
        ("restricted", pss::Level::Restricted),
    ] {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/pss")
            .join(name)
            .join("v1.37");
        for verdict in ["pass", "fail"] {
            for e in std::fs::read_dir(root.join(verdict)).unwrap() {
                let path = e.unwrap().path();
                let bytes = std::fs::read(&path).unwrap();
                let (objs, _) = k8s::load("f.yaml", &bytes, &Bounds::default());
                let t = objs[0].pod_template().unwrap();
                let f = pss::findings(level, t.meta, t.spec);
                assert_eq!(f.is_empty(), verdict == "pass", "{}: {f:?}", path.display());
                assert!(f.iter().all(|(_, v)| v.line > 0), "{}", path.display());
            }
        }
    }
}
