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
        "openvex-0.2",
        "openvex_json_schema.json",
        &doc(Format::OpenVex),
    );
}
