//! The pipeline as a library call: a plan in, a finished report out, with no binary in
//! between (the server and the admission webhook call it this way).

use hull_scan::{run, ConfigInput, ErrorClass, ScanError, ScanPlan, Target};
use hull_testkit::{docker_archive, layer, status, E, OS_RELEASE};
use hull_types::{Scanner, SourceKind};

/// A token the built-in rules report (made up; AWS's documented example key is allowlisted).
const TOKEN: &[u8] = b"export GITHUB_TOKEN=ghp_aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE3fG5\n";

fn plan_for(path: &std::path::Path, scanners: &[Scanner]) -> ScanPlan {
    let mut plan = ScanPlan::new(Target::Image {
        target: path.display().to_string(),
        open: Default::default(),
    });
    plan.scanners = scanners.iter().copied().collect();
    plan.now = 1_700_000_000;
    plan
}

#[test]
fn a_secret_deleted_by_a_later_layer_is_reported_with_both_layers() {
    let t = tempfile::tempdir().unwrap();
    let archive = t.path().join("app.tar");
    let l1 = layer(&[
        E::File("etc/os-release", OS_RELEASE),
        E::File(
            "var/lib/dpkg/status",
            &status(&[("zlib1g", "1:1.2.13"), ("bash", "5.2-15")]),
        ),
        E::File("app/.env", TOKEN),
    ]);
    let l2 = layer(&[E::File("app/.wh..env", b"")]);
    docker_archive(&archive, &[l1, l2], None);
    let out = run(&plan_for(&archive, &[Scanner::Secret]), None).unwrap();
    let r = &out.report;
    assert_eq!(r.image.source, SourceKind::DockerArchive);
    let names: Vec<_> = r.packages.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        vec!["bash", "zlib1g"],
        "sorted by the report's constructor"
    );
    let s: Vec<_> = r
        .secrets
        .iter()
        .filter(|s| s.target == "/app/.env")
        .collect();
    assert_eq!(s.len(), 1, "{:?}", r.secrets);
    assert_eq!(s[0].layer.as_ref().map(|l| l.index), Some(1));
    assert_eq!(s[0].deleted_in.as_ref().map(|l| l.index), Some(2));
    assert!(!out.vulnerabilities_checked);
}

#[test]
fn the_plan_decides_and_the_error_says_whose_fault_it_is() {
    let t = tempfile::tempdir().unwrap();
    // No indicator set for the ioc scanner: the plan is wrong.
    let e = run(&plan_for(t.path(), &[Scanner::Ioc]), None).unwrap_err();
    assert_eq!(e.class(), ErrorClass::Usage);
    // A file that is neither an SBOM nor an archive: the input is.
    let junk = t.path().join("junk.tar");
    std::fs::write(&junk, b"not a tar at all").unwrap();
    let e = run(&plan_for(&junk, &[]), None).unwrap_err();
    assert_eq!(e.class(), ErrorClass::Input, "{e}");
    // The vuln scanner with no usable database: the scan fails (input: there is nothing to
    // match against), whether the database is missing, not one, or empty.
    let archive = t.path().join("app.tar");
    docker_archive(
        &archive,
        &[layer(&[E::File("etc/os-release", OS_RELEASE)])],
        None,
    );
    let mut p = plan_for(&archive, &[Scanner::Vuln]);
    let empty = t.path().join("empty.db");
    hull_scan::db::Database::import(&empty, &[], 0).unwrap();
    let junk_db = t.path().join("junk.db");
    std::fs::write(&junk_db, b"not a database").unwrap();
    for db in [t.path().join("missing.db"), junk_db, empty] {
        p.advisory_db = Some(db.clone());
        let e = run(&p, None).unwrap_err();
        assert!(
            matches!(e, ScanError::NoAdvisoryDb { .. }),
            "{}: {e}",
            db.display()
        );
        assert_eq!(e.class(), ErrorClass::Input);
    }
    p.advisory_db = None;
    assert_eq!(run(&p, None).unwrap_err().class(), ErrorClass::Input);
    // Accepted by the plan: a notice, and the scan goes on.
    p.require_advisories = false;
    p.advisory_db = Some(t.path().join("missing.db"));
    let out = run(&p, None).unwrap();
    assert!(out
        .notices
        .iter()
        .any(|n| n.contains("vulnerabilities not checked")));
}

#[test]
fn configuration_checks_are_a_plan_too() {
    let pod = b"apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: nginx\n    securityContext: {privileged: true}\n";
    let mut plan = ScanPlan::new(Target::Config(vec![ConfigInput::Bytes {
        name: "-".into(),
        bytes: pod.to_vec(),
    }]));
    plan.now = 1_700_000_000;
    let out = run(&plan, None).unwrap();
    assert_eq!(out.report.image.source, SourceKind::Config);
    assert_eq!(out.config_checked.map(|c| c.objects), Some(1));
    assert!(out
        .report
        .misconfigurations
        .iter()
        .any(|m| m.check.contains("privileged")));
    let mut sorted = out.report.misconfigurations.clone();
    sorted.sort();
    assert_eq!(sorted, out.report.misconfigurations);
    let missing = ScanPlan::new(Target::Config(vec![ConfigInput::Path(
        "/nonexistent/x".into(),
    )]));
    assert_eq!(run(&missing, None).unwrap_err().class(), ErrorClass::Input);
}

/// Issue #23: a flood of tiny package metadata files (within the entry bound) took about
/// 4 KB a package until memory ran out; past the bound the layer is refused, whole.
#[test]
fn a_package_flood_is_refused_with_a_clear_error() {
    let t = tempfile::tempdir().unwrap();
    let archive = t.path().join("flood.tar");
    let metas: Vec<(String, Vec<u8>)> = (0..30)
        .map(|i| {
            (
                format!("usr/lib/python3/dist-packages/p{i}-1.0.dist-info/METADATA"),
                format!("Metadata-Version: 2.1\nName: p{i}\nVersion: 1.0\n").into_bytes(),
            )
        })
        .collect();
    let entries: Vec<E<'_>> = metas
        .iter()
        .map(|(p, b)| E::File(p.as_str(), b.as_slice()))
        .collect();
    docker_archive(&archive, &[layer(&entries)], None);
    let mut plan = plan_for(&archive, &[]);
    let ok = run(&plan, None).unwrap();
    assert_eq!(ok.report.packages.len(), 30);
    plan.limits.max_packages = 10;
    let e = run(&plan, None).unwrap_err();
    assert_eq!(e.class(), ErrorClass::Input);
    assert!(e.to_string().contains("more than 10 packages"), "{e}");
}
