//! Every format renders the same fixture report (`hull_testkit::fixture_report`): a
//! snapshot of each, reviewed with `cargo insta review`, and the machine formats validated
//! against their official schemas vendored in `testdata/schemas`.

use clap::ValueEnum;
use hull_report::{render, Format, RenderOptions};

fn opts(color: bool) -> RenderOptions {
    RenderOptions {
        color,
        now: 1_700_000_000,
        tool_version: "0.1.0".into(),
        list_packages: true,
        explain: true,
        note: None,
    }
}

#[test]
fn every_format_snapshot() {
    let report = hull_testkit::fixture_report();
    // The list comes from the same `ValueEnum` the command line parses, so a new format
    // cannot be added without a snapshot.
    for f in Format::value_variants() {
        let out = render(&report, *f, &opts(false));
        insta::assert_snapshot!(format!("fixture_{f}"), out);
        assert_eq!(
            out,
            render(&report, *f, &opts(false)),
            "{f} is deterministic"
        );
    }
    let coloured = render(&report, Format::Table, &opts(true));
    insta::assert_snapshot!("fixture_table_colour", coloured);
}

#[test]
fn machine_formats_validate_against_their_schemas() {
    let report = hull_testkit::fixture_report();
    let doc = |f| {
        serde_json::from_str::<serde_json::Value>(&render(&report, f, &opts(false)))
            .expect("valid JSON")
    };
    hull_testkit::assert_schema_valid(
        "cyclonedx-1.6",
        "bom-1.6.schema.json",
        &doc(Format::CycloneDx),
    );
    hull_testkit::assert_schema_valid("spdx-2.3", "spdx-schema.json", &doc(Format::Spdx));
    hull_testkit::assert_schema_valid("hull", "report-v1.schema.json", &doc(Format::Json));
    hull_testkit::assert_schema_valid(
        "sarif-2.1.0",
        "sarif-schema-2.1.0.json",
        &doc(Format::Sarif),
    );
    hull_testkit::assert_schema_valid(
        "openvex-0.2",
        "openvex_json_schema.json",
        &doc(Format::OpenVex),
    );
}

/// A report with `n` distinct vulnerabilities (copies of the fixture's one).
fn many(n: usize) -> hull_types::ScanReport {
    let (image, mut parts) = hull_testkit::fixture_report().into_parts();
    let v = parts.vulnerabilities[0].clone();
    parts.vulnerabilities = (0..n)
        .map(|i| hull_types::Vulnerability {
            id: format!("CVE-2099-{i:05}"),
            ..v.clone()
        })
        .collect();
    hull_types::ScanReport::new(image, parts)
}

#[test]
fn markdown_fits_a_pull_request_comment() {
    let out = render(&many(5_000), Format::Markdown, &opts(false));
    assert!(out.chars().count() <= 65_536, "{}", out.len());
    assert!(out.contains("more findings left out to fit a comment"));
    assert!(out.trim_end().ends_with("</details>"));
}

#[test]
fn sarif_stays_within_code_scanning_limits() {
    let text = render(&many(25_010), Format::Sarif, &opts(false));
    // GitHub's limits: 25,000 results and rules a run, 10 MB a file.
    assert!(text.len() <= 10_000_000, "{}", text.len());
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let run = &doc["runs"][0];
    let results = run["results"].as_array().unwrap().len();
    assert!((1..=25_000).contains(&results), "{results}");
    assert!(run["tool"]["driver"]["rules"].as_array().unwrap().len() <= 25_000);
    assert!(run["properties"]["truncated"]
        .as_str()
        .unwrap()
        .contains(&format!("{results} of 25013")));
    // The most severe are kept: the critical secret is among them.
    assert!(run["results"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["ruleId"] == "aws-access-token"));
}

/// JUnit output against the Ant JUnit schema Jenkins and GitLab read, with `xmllint`
/// (libxml2, installed by scripts/setup.sh). A missing `xmllint` fails the test unless
/// `HULL_SKIP_IMAGE_TESTS` is set, as the other reference tools do.
#[test]
fn junit_validates_against_the_ant_schema() {
    if !hull_testkit::have_tool("xmllint") {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let xsd = hull_testkit::repo_root().join("testdata/schemas/junit/JUnit.xsd");
    for (name, report) in [
        ("fixture", hull_testkit::fixture_report()),
        ("many", many(50)),
    ] {
        let f = t.path().join(format!("{name}.xml"));
        std::fs::write(&f, render(&report, Format::Junit, &opts(false))).unwrap();
        let o = std::process::Command::new("xmllint")
            .args(["--noout", "--schema"])
            .arg(&xsd)
            .arg(&f)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    // The fixture's one failing finding is the one <failure>.
    let xml = render(&hull_testkit::fixture_report(), Format::Junit, &opts(false));
    assert_eq!(xml.matches("<failure ").count(), 1);
    assert!(xml.contains("failures=\"1\""));
}

/// The HTML report in a real browser (Debian's `chromium`, headless): the page loads with no
/// console error, its findings table holds every finding, its script sorts and filters
/// (`#selftest`), and it makes no network request (its CSP forbids any; Chromium would log
/// the violation as a console error).
#[test]
fn html_loads_in_headless_chromium_and_its_tables_hold_the_findings() {
    if !hull_testkit::have_tool("chromium") {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let page = t.path().join("report.html");
    let report = hull_testkit::fixture_report();
    std::fs::write(&page, render(&report, Format::Html, &opts(false))).unwrap();
    let url = format!("file://{}#selftest", page.display());
    let o = std::process::Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=3000",
        ])
        .arg(format!(
            "--user-data-dir={}",
            t.path().join("profile").display()
        ))
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&o.stdout);
    let log = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{log}");
    for bad in ["Uncaught", "CONSOLE(", "Refused to", "ERR_"] {
        assert!(
            !log.lines().any(|l| l.contains(bad) && !l.contains("dbus")),
            "console error ({bad}): {log}"
        );
    }
    let findings = report.vulnerabilities.len()
        + report.misconfigurations.len()
        + report.secrets.len()
        + report.detections.len();
    assert!(dom.contains(&format!("data-ready=\"{findings}\"")), "{dom}");
    // Sorted by severity ascending, the lowest (medium) is first; a filter that matches
    // nothing hides every row; clearing it shows them all again.
    assert!(
        dom.contains(&format!(
            "data-selftest=\"sorted:medium;none:0;all:{findings}\""
        )),
        "{dom}"
    );
    for id in [
        "CVE-2024-2398",
        "aws-access-token",
        "hull.EICAR_test_file",
        "image-sensitive-port",
    ] {
        assert!(dom.contains(id), "{id}");
    }
}
