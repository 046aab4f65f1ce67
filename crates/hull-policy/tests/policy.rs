//! The policy step on the fixture report (`hull_testkit::fixture_report`): a medium
//! vulnerability (CVE-2024-2398 in curl, alias DEBCL-CVE-2024-2398-curl, fixable), a medium
//! misconfiguration (image-sensitive-port), a critical secret in /app/.env (layer 1, deleted
//! in layer 2) and a high YARA detection in /tmp/eicar.com.

use std::path::Path;

use hull_policy::{apply, file, parse_fail_on, vex, Policy};
use hull_types::{IgnoreStatus, ScanReport, Scanner, SuppressedBy};

/// 2024-06-01 00:00 UTC.
const NOW: i64 = 1_717_200_000;

fn policy(toml: &str) -> Policy {
    file::parse("hull.toml", toml, Path::new("."))
        .unwrap()
        .policy
}

fn judged(p: &Policy, now: i64) -> ScanReport {
    apply(hull_testkit::fixture_report(), p, now)
}

fn shown(r: &ScanReport) -> (usize, usize, usize, usize) {
    (
        r.vulnerabilities.len(),
        r.misconfigurations.len(),
        r.secrets.len(),
        r.detections.len(),
    )
}

#[test]
fn every_kind_of_ignore_takes_out_exactly_its_finding() {
    let cases = [
        ("id = \"CVE-2024-2398\"", (0, 1, 1, 1)),
        ("id = \"debcl-cve-2024-2398-curl\"", (0, 1, 1, 1)),
        ("package = \"curl\"", (0, 1, 1, 1)),
        (
            "package = \"pkg:deb/debian/curl\"\nversion = \">=7.88, <7.88.1-10+deb12u6\"",
            (0, 1, 1, 1),
        ),
        ("check = \"image-sensitive-port\"", (1, 0, 1, 1)),
        ("path = \"/app/**\"", (1, 1, 0, 1)),
        (
            "fingerprint = \"5d41402abc4b2a76b9719d911017c592\"",
            (1, 1, 0, 1),
        ),
        (
            "layer = \"sha256:0707070707070707070707070707070707070707070707070707070707070707\"",
            (1, 1, 0, 0),
        ),
        (
            "id = \"hull.EICAR_test_file\"\npath = \"/tmp/*\"",
            (1, 1, 1, 0),
        ),
    ];
    for (criteria, want) in cases {
        let p = policy(&format!("[[ignore]]\n{criteria}\nreason = \"accepted\"\n"));
        let r = judged(&p, NOW);
        assert_eq!(shown(&r), want, "{criteria}");
        let decision = r.policy.unwrap();
        assert!(decision.ignores.is_empty(), "{criteria}: used, not expired");
        for s in &decision.suppressed {
            assert_eq!(
                s.by,
                SuppressedBy::Ignore {
                    source: "hull.toml:1".into(),
                    reason: "accepted".into(),
                    expires: None
                }
            );
        }
    }
    // A version outside the range, or another package, keeps the finding.
    for criteria in [
        "package = \"curl\"\nversion = \">=7.88.1-10+deb12u6\"",
        "package = \"pkg:deb/debian/curl@7.88.1-10+deb12u4\"",
        "package = \"libcurl4\"",
    ] {
        let p = policy(&format!("[[ignore]]\n{criteria}\nreason = \"r\"\n"));
        let r = judged(&p, NOW);
        assert_eq!(r.vulnerabilities.len(), 1, "{criteria}");
        assert_eq!(r.policy.unwrap().ignores[0].status, IgnoreStatus::Unused);
    }
}

#[test]
fn an_ignore_applies_through_its_expiry_day_and_is_reported_after() {
    let p = policy("[[ignore]]\nid = \"CVE-2024-2398\"\nreason = \"r\"\nexpires = 2024-06-01\n");
    // The last second of the expiry day: still applies.
    let r = judged(&p, NOW + 86_399);
    assert_eq!(r.vulnerabilities.len(), 0);
    assert!(r.policy.unwrap().ignores.is_empty());
    // The next day: expired, the finding is back, and the ignore says so.
    let r = judged(&p, NOW + 86_400);
    assert_eq!(r.vulnerabilities.len(), 1);
    let d = r.policy.unwrap();
    assert_eq!(d.ignores.len(), 1);
    assert_eq!(d.ignores[0].status, IgnoreStatus::Expired);
    assert!(d.summary.contains("(1 expired)"), "{}", d.summary);
}

#[test]
fn thresholds_per_scanner_count_only_what_is_shown() {
    let mut p = Policy {
        fail_on: parse_fail_on("high").unwrap(),
        ..Policy::default()
    };
    let d = judged(&p, NOW).policy.unwrap();
    assert!(!d.passed);
    assert_eq!(d.exit_code, 1);
    assert_eq!(
        d.failures.iter().map(|f| f.scanner).collect::<Vec<_>>(),
        vec![Scanner::Secret, Scanner::Malware]
    );
    // Hidden by --severity: never fails.
    p.severities = Some([hull_types::Severity::Medium].into_iter().collect());
    let r = judged(&p, NOW);
    assert_eq!(shown(&r), (1, 1, 0, 0));
    assert!(r.policy.unwrap().passed);
    // Per scanner, and the exit code is the policy's.
    let p = Policy {
        fail_on: parse_fail_on("vuln=medium,secret=never,misconfig=critical").unwrap(),
        exit_code: 9,
        ..Policy::default()
    };
    let d = judged(&p, NOW).policy.unwrap();
    assert_eq!(d.failures.len(), 1);
    assert_eq!(d.exit_code, 9);
    assert_eq!(
        d.summary,
        "failed: 1 medium vulnerability over threshold medium"
    );
}

#[test]
fn a_policy_file_fails_on_malware_by_default() {
    let d = judged(&policy(""), NOW).policy.unwrap();
    assert_eq!(d.failures.len(), 1);
    assert_eq!(d.failures[0].scanner, Scanner::Malware);
    let d = judged(&policy("[malware]\nfail_on = \"never\"\n"), NOW)
        .policy
        .unwrap();
    assert!(d.passed);
}

const OPENVEX: &str = r#"{
  "@context": "https://openvex.dev/ns/v0.2.0",
  "@id": "https://example.com/vex/1",
  "author": "team",
  "timestamp": "2024-05-01T00:00:00Z",
  "version": 1,
  "statements": [
    {
      "vulnerability": {"name": "CVE-2024-2398"},
      "products": [{"@id": "pkg:oci/example@sha256:0101010101010101010101010101010101010101010101010101010101010101",
                    "subcomponents": [{"@id": "pkg:deb/debian/curl@7.88.1-10%2Bdeb12u5"}]}],
      "status": "not_affected",
      "justification": "vulnerable_code_not_in_execute_path"
    }
  ]
}"#;

#[test]
fn openvex_by_image_digest_and_subcomponent_purl() {
    let mut p = Policy {
        vex: vex::parse("vex.json", OPENVEX).unwrap(),
        ..Policy::default()
    };
    let r = judged(&p, NOW);
    assert_eq!(r.vulnerabilities.len(), 0);
    let d = r.policy.unwrap();
    assert_eq!(
        d.suppressed[0].by,
        SuppressedBy::Vex {
            source: "vex.json".into(),
            statement: "statement 1".into(),
            status: "not_affected".into(),
            justification: Some("vulnerable_code_not_in_execute_path".into()),
        }
    );
    // Another image's digest: no effect.
    p.vex = vex::parse("vex.json", &OPENVEX.replace("sha256:0101", "sha256:0202")).unwrap();
    assert_eq!(judged(&p, NOW).vulnerabilities.len(), 1);
    // Another package as subcomponent: no effect.
    p.vex = vex::parse("vex.json", &OPENVEX.replace("debian/curl@", "debian/wget@")).unwrap();
    assert_eq!(judged(&p, NOW).vulnerabilities.len(), 1);
}

#[test]
fn openvex_by_package_purl_and_under_investigation_annotates() {
    let doc = r#"{"@context":"https://openvex.dev/ns/v0.2.0","@id":"x","author":"a","timestamp":"2024-05-01T00:00:00Z","version":1,
      "statements":[
        {"vulnerability":{"name":"DEBCL-CVE-2024-2398-curl"},"products":[{"@id":"pkg:deb/debian/curl?arch=amd64"}],"status":"fixed"}]}"#;
    let mut p = Policy {
        vex: vex::parse("v.json", doc).unwrap(),
        ..Policy::default()
    };
    assert_eq!(
        judged(&p, NOW).vulnerabilities.len(),
        0,
        "by alias and purl"
    );
    p.vex = vex::parse(
        "v.json",
        &doc.replace("\"fixed\"", "\"under_investigation\""),
    )
    .unwrap();
    let r = judged(&p, NOW);
    assert_eq!(r.vulnerabilities.len(), 1);
    assert_eq!(
        r.policy.unwrap().annotations[0].status,
        "under_investigation"
    );
}

#[test]
fn cyclonedx_vex_by_bom_ref() {
    let doc = r#"{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,
      "components":[{"type":"library","bom-ref":"curl-ref","name":"curl","purl":"pkg:deb/debian/curl@7.88.1-10%2Bdeb12u5"}],
      "vulnerabilities":[{"id":"CVE-2024-2398","analysis":{"state":"not_affected","justification":"code_not_reachable"},
        "affects":[{"ref":"urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#curl-ref"}]}]}"#;
    let p = Policy {
        vex: vex::parse("cdx.json", doc).unwrap(),
        ..Policy::default()
    };
    assert_eq!(judged(&p, NOW).vulnerabilities.len(), 0);
}

#[test]
fn mistakes_name_the_file_line_column_and_field() {
    let e = file::parse("hull.toml", "[[ignore]]\nid = \"CVE-1\"\n", Path::new(".")).unwrap_err();
    assert_eq!((e.line, e.field.as_deref()), (1, Some("reason")));
    let e = file::parse(
        "hull.toml",
        "[[ignore]]\nid = \"CVE-1\"\nreason = \"r\"\nexpires = \"2024-02-30\"\n",
        Path::new("."),
    )
    .unwrap_err();
    assert_eq!(
        (e.line, e.column, e.field.as_deref()),
        (4, 11, Some("expires"))
    );
    let e = file::parse(
        "hull.toml",
        "[vulnerability]\nfail_on = \"severe\"\n",
        Path::new("."),
    )
    .unwrap_err();
    assert_eq!((e.line, e.column), (2, 11));
    assert!(e.message.contains("vulnerability.fail_on"), "{}", e.message);
    let e = file::parse("hull.toml", "\n[secrets]\n", Path::new(".")).unwrap_err();
    assert_eq!(e.line, 2, "{e}");
    let e = vex::parse(
        "v.json",
        "{\n  \"statements\": [ { \"status\": \"maybe\" ,\n",
    )
    .unwrap_err();
    assert_eq!(e.line, 3, "{e}");
}

#[test]
fn licences_are_judged_by_allow_and_deny_lists_and_classes() {
    // The fixture's two packages declare MIT.
    let d = judged(
        &policy("[license]\ndeny = [\"MIT\"]\n[malware]\nfail_on = \"never\"\n"),
        NOW,
    )
    .policy
    .unwrap();
    assert_eq!(d.failures.len(), 2);
    assert!(d
        .failures
        .iter()
        .all(|f| f.scanner == Scanner::License && f.id == "MIT"));
    assert_eq!(d.summary, "failed: 2 packages with a refused licence");
    let d = judged(
        &policy("[license]\nallow = [\"permissive\"]\n[malware]\nfail_on = \"never\"\n"),
        NOW,
    )
    .policy
    .unwrap();
    assert!(d.passed, "{}", d.summary);
    // Names are normalised; classes and unknown ids are refused at load with their place.
    let p = policy("[license]\ndeny = [\"GPLv3\", \"network-copyleft\"]\n");
    assert_eq!(
        p.license.deny,
        vec![
            hull_policy::LicenseRule::Id("GPL-3.0-only".into()),
            hull_policy::LicenseRule::Class(hull_types::license::LicenseClass::NetworkCopyleft)
        ]
    );
    let e = file::parse(
        "hull.toml",
        "[license]\nallow = [\"whatever licence\"]\n",
        Path::new("."),
    )
    .unwrap_err();
    assert_eq!((e.line, e.field.as_deref()), (2, Some("license.allow")));
    // An OR is satisfied by either side.
    let lp = hull_policy::LicensePolicy {
        deny: vec![hull_policy::LicenseRule::Class(
            hull_types::license::LicenseClass::Copyleft,
        )],
        ..Default::default()
    };
    assert_eq!(lp.refuses(&["MIT OR GPL-2.0-only".into()]), None);
    assert_eq!(
        lp.refuses(&["GPL-2.0-only".into()]),
        Some("GPL-2.0-only".into())
    );
    let unknown = hull_policy::LicensePolicy {
        deny: vec![hull_policy::LicenseRule::Class(
            hull_types::license::LicenseClass::Unknown,
        )],
        ..Default::default()
    };
    assert_eq!(unknown.refuses(&[]), Some("unknown (none declared)".into()));
    assert_eq!(
        unknown.refuses(&["Public Domain".into()]),
        Some("unknown (Public Domain)".into())
    );
}

#[test]
fn the_admission_section_is_validated_with_its_defaults() {
    use hull_policy::admission::{Mode, PodSecurity, Unscanned};
    let a = file::parse("hull.toml", "", Path::new("."))
        .unwrap()
        .admission;
    assert_eq!(
        (a.mode, a.pod_security, a.unscanned),
        (Mode::Enforce, PodSecurity::Baseline, Unscanned::Deny)
    );
    assert!(a.require_passed_scan && !a.require_digest && a.deny_on_timeout);
    let a = file::parse(
        "hull.toml",
        "[admission]\nmode = \"audit\"\nexempt_namespaces = [\"kube-system\"]\nallowed_registries = [\"127.0.0.1:5000/\"]\n\
         require_digest = true\npod_security = \"restricted\"\nunscanned = \"scan\"\ndeadline_ms = 1500\non_timeout = \"warn\"\n\
         [admission.namespace.prod]\nmode = \"enforce\"\n",
        Path::new("."),
    )
    .unwrap()
    .admission;
    assert_eq!(
        (a.mode_for("dev"), a.mode_for("prod")),
        (Mode::Audit, Mode::Enforce)
    );
    assert_eq!(a.allowed_registries, vec!["127.0.0.1:5000"]);
    assert_eq!(
        (a.pod_security, a.unscanned),
        (PodSecurity::Restricted, Unscanned::Scan)
    );
    assert_eq!(a.deadline, std::time::Duration::from_millis(1500));
    assert!(a.require_digest && !a.deny_on_timeout && a.exempt_namespaces.contains("kube-system"));
    for (text, line, field) in [
        ("[admission]\nmode = \"block\"\n", 2, "admission.mode"),
        (
            "[admission]\n\npod_security = \"strict\"\n",
            3,
            "admission.pod_security",
        ),
        (
            "[admission]\ndeadline_ms = 60000\n",
            2,
            "admission.deadline_ms",
        ),
        (
            "[admission]\nallowed_registries = [\"https://r.io\"]\n",
            2,
            "admission.allowed_registries",
        ),
        (
            "[admission.namespace.dev]\nmode = \"off\"\n",
            2,
            "admission.namespace.mode",
        ),
        (
            "[admission]\nrequire_signature = true\n",
            2,
            "admission.require_signature",
        ),
    ] {
        let e = file::parse("hull.toml", text, Path::new(".")).unwrap_err();
        assert_eq!(
            (e.line, e.field.as_deref()),
            (line, Some(field)),
            "{text}: {e}"
        );
    }
}
