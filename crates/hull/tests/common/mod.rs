//! Helpers to run the `hull` binary in its integration tests; the builders (crafted layers,
//! archives, layouts, schemas) come from `hull-testkit`, shared with the library tests.
#![allow(dead_code, unused_imports)]

use std::process::{Command, Output};

pub use hull_testkit::*;

pub fn hull() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hull"));
    // Tests that are not about vulnerabilities accept a missing advisory database (those
    // about it pass --db, or remove this to check the refusal).
    c.env("SOURCE_DATE_EPOCH", "1700000000")
        .env("HULL_SKIP_VULN_IF_NO_DB", "true")
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

/// Runs `hull` with `args` and parses its JSON report, failing the test on a non-zero exit.
pub fn scan_json(args: &[&str]) -> serde_json::Value {
    json_of(&run(args))
}
