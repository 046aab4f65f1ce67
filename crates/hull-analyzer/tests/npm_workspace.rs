//! Direct and transitive dependencies in an npm workspace's lock file, against what npm
//! itself says (`npm ls --all --json` of the same project, stored beside the lock file): a
//! package is direct when the project or one of its workspace members declares it, wherever
//! npm installed it (hoisted to the root `node_modules`, or under the member's own).

use std::collections::BTreeSet;
use std::path::Path;

use hull_analyzer::{lang::npm::NpmLock, Analyzer, FileInput};
use serde_json::Value;

type Entry = (String, String, bool);

/// (name, version, direct) for every package `npm ls` shows, workspace members excluded.
fn npm_says(tree: &Value) -> BTreeSet<Entry> {
    fn walk(deps: &Value, direct: bool, out: &mut BTreeSet<Entry>) {
        let Some(deps) = deps.as_object() else { return };
        for (name, d) in deps {
            let member = d["resolved"]
                .as_str()
                .is_some_and(|r| r.starts_with("file:"));
            if member {
                // A member's own dependencies are direct too.
                walk(&d["dependencies"], true, out);
                continue;
            }
            let version = d["version"].as_str().unwrap().to_string();
            // npm ls repeats a package deduplicated elsewhere; direct wins.
            if direct {
                out.remove(&(name.clone(), version.clone(), false));
            }
            if !out.contains(&(name.clone(), version.clone(), true)) {
                out.insert((name.clone(), version, direct));
            }
            walk(&d["dependencies"], false, out);
        }
    }
    let mut out = BTreeSet::new();
    walk(&tree["dependencies"], true, &mut out);
    out
}

#[test]
fn workspace_direct_flags_match_npm_ls() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/npm-workspace");
    let lock = std::fs::read(dir.join("package-lock.json")).unwrap();
    let tree: Value =
        serde_json::from_slice(&std::fs::read(dir.join("npm-ls.json")).unwrap()).unwrap();
    // The members (`@ws/…`) are the project's own code, whichever member depends on which.
    let mut theirs = npm_says(&tree);
    theirs.retain(|e| !e.0.starts_with("@ws/"));
    let ours: BTreeSet<Entry> = NpmLock
        .analyze(&FileInput {
            path: "/src/package-lock.json",
            bytes: &lock,
        })
        .unwrap()
        .packages
        .into_iter()
        .filter(|p| !p.name.starts_with("@ws/"))
        .map(|p| (p.name, p.version, p.direct.unwrap()))
        .collect();
    assert_eq!(ours, theirs);
    // Both kinds are there: the test would not pass with every flag the same.
    assert!(theirs.iter().any(|e| e.2) && theirs.iter().any(|e| !e.2));
}
