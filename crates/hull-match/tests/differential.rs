//! hull's verdicts against each ecosystem's reference implementation.
//!
//! For thousands of (package, version) pairs drawn from real OSV records
//! (`testdata/osv/differential`: PyPI, Debian 12, npm), the set of advisories that affect
//! the version must equal what the reference comparator says: Python's `packaging` for PEP
//! 440, `apt_pkg.version_compare` (python3-apt) for dpkg, node-semver for npm. The reference
//! side (`scripts/osv-reference.{py,js}`) walks the OSV ranges with the specification's
//! pseudo-code, written apart from hull's. Versions come from the records themselves: the
//! `versions` lists, every event version, and a version just below and just above each
//! event. The agreement is recorded in docs/accuracy.md.
//!
//! Needs `/usr/bin/python3` with `packaging` and `apt_pkg` (Debian's python3-packaging,
//! python3-apt) and node with the `semver` package (`scripts/setup.sh` installs all three;
//! `HULL_NODE_SEMVER` points at the module).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use hull_advisory::{Advisory, Event};
use hull_types::PackageKind;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn records(file: &str) -> (PathBuf, Vec<Advisory>) {
    let path = root().join("testdata/osv/differential").join(file);
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(&path).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    let raw: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    let advisories = raw
        .iter()
        .map(|r| Advisory::from_json(r.to_string().as_bytes()).unwrap())
        .collect();
    (path, advisories)
}

/// Candidate versions per package name: listed versions, event versions, and versions just
/// below and just above each event version.
fn candidates(
    advisories: &[Advisory],
    ecosystem: &str,
    variants: impl Fn(&str) -> Vec<String>,
    per_package: usize,
) -> Vec<(String, String)> {
    let mut by: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for a in advisories {
        for af in a.affected.iter().filter(|af| af.ecosystem == ecosystem) {
            let set = by.entry(af.name.clone()).or_default();
            set.extend(af.versions.iter().cloned());
            for r in &af.ranges {
                for e in &r.events {
                    let v = match e {
                        Event::Introduced(v)
                        | Event::Fixed(v)
                        | Event::LastAffected(v)
                        | Event::Limit(v) => v,
                    };
                    if v != "0" && v.len() < 40 {
                        set.insert(v.clone());
                        set.extend(variants(v));
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    for (name, set) in by {
        // A deterministic, spread-out sample where a package has very many versions.
        let all: Vec<String> = set.into_iter().collect();
        let step = all.len().div_ceil(per_package).max(1);
        out.extend(all.into_iter().step_by(step).map(|v| (name.clone(), v)));
    }
    out
}

/// hull's verdict for each pair: the sorted ids of the advisories that affect it, or `None`
/// when hull cannot read the version.
fn hull_verdicts(
    advisories: &[Advisory],
    ecosystem: &str,
    kind: PackageKind,
    pairs: &[(String, String)],
) -> Vec<Option<Vec<String>>> {
    let key = |n: &str| hull_advisory::package_key(ecosystem, n);
    let mut by: BTreeMap<String, Vec<(&str, &hull_advisory::Affected)>> = BTreeMap::new();
    for a in advisories.iter().filter(|a| !a.withdrawn) {
        for af in a.affected.iter().filter(|af| af.ecosystem == ecosystem) {
            by.entry(key(&af.name)).or_default().push((&a.id, af));
        }
    }
    pairs
        .iter()
        .map(|(name, version)| {
            let mut ids = BTreeSet::new();
            for (id, af) in by.get(&key(name)).into_iter().flatten() {
                match hull_match::is_affected(kind, version, af, &mut vec![]) {
                    Ok(Some(_)) => {
                        ids.insert(id.to_string());
                    }
                    Ok(None) => {}
                    Err(_) => return None,
                }
            }
            Some(ids.into_iter().collect())
        })
        .collect()
}

fn reference(cmd: &mut Command, pairs: &[(String, String)]) -> Vec<Option<Vec<String>>> {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("pairs.json");
    std::fs::write(&p, serde_json::to_vec(pairs).unwrap()).unwrap();
    let o = cmd
        .arg(&p)
        .output()
        .unwrap_or_else(|e| panic!("reference implementation: {e} (scripts/setup.sh installs it)"));
    assert!(
        o.status.success(),
        "reference implementation failed (scripts/setup.sh installs it): {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

/// Compares, prints the agreement (docs/accuracy.md records it) and fails on any
/// difference between two readable verdicts; versions only one side can read are counted.
fn compare(
    label: &str,
    pairs: &[(String, String)],
    ours: &[Option<Vec<String>>],
    theirs: &[Option<Vec<String>>],
    min_pairs: usize,
) {
    assert_eq!(ours.len(), theirs.len());
    let (mut both, mut agree, mut only_ref, mut only_hull) = (0, 0, Vec::new(), Vec::new());
    let mut differ = Vec::new();
    for ((pair, a), b) in pairs.iter().zip(ours).zip(theirs) {
        match (a, b) {
            (Some(x), Some(y)) => {
                both += 1;
                if x == y {
                    agree += 1;
                } else {
                    differ.push(format!("{pair:?}: hull {x:?}, reference {y:?}"));
                }
            }
            (None, Some(_)) => only_ref.push(format!("{pair:?}")),
            (Some(_), None) => only_hull.push(format!("{pair:?}")),
            (None, None) => {}
        }
    }
    eprintln!(
        "{label}: {} pairs, {both} readable by both, {agree} agree ({:.2}%); unreadable only to hull: {}, only to the reference: {}",
        pairs.len(),
        100.0 * agree as f64 / both.max(1) as f64,
        only_ref.len(),
        only_hull.len()
    );
    assert!(both >= min_pairs, "{label}: only {both} pairs compared");
    assert!(
        differ.is_empty(),
        "{label}: {} of {both} differ:\n{}",
        differ.len(),
        differ[..differ.len().min(20)].join("\n")
    );
    // A version the reference reads must be readable by hull (never silently skipped).
    assert!(
        only_ref.is_empty(),
        "{label}: hull cannot read {} versions the reference reads: {:?}",
        only_ref.len(),
        &only_ref[..only_ref.len().min(20)]
    );
}

fn python() -> Command {
    Command::new("/usr/bin/python3")
}

#[test]
fn pep440_agrees_with_packaging() {
    let (path, adv) = records("pypi.json.gz");
    let pairs = candidates(
        &adv,
        "PyPI",
        |v| vec![format!("{v}rc1"), format!("{v}.post1"), format!("{v}.dev0")],
        300,
    );
    let ours = hull_verdicts(&adv, "PyPI", PackageKind::Python, &pairs);
    let mut cmd = python();
    cmd.arg(root().join("scripts/osv-reference.py"))
        .arg("pep440")
        .arg(&path)
        .arg("PyPI");
    let theirs = reference(&mut cmd, &pairs);
    compare("PyPI (packaging)", &pairs, &ours, &theirs, 2_000);
}

#[test]
fn dpkg_agrees_with_apt() {
    let (path, adv) = records("debian.json.gz");
    let pairs = candidates(
        &adv,
        "Debian:12",
        |v| {
            let upstream = v.rsplit_once('-').map_or(v, |(u, _)| u);
            vec![
                format!("{v}~1"),
                format!("{v}+b1"),
                format!("{v}.1"),
                format!("{upstream}~rc1-1"),
                format!("{upstream}-0"),
                format!("1:{v}"),
            ]
        },
        300,
    );
    let ours = hull_verdicts(&adv, "Debian:12", PackageKind::Deb, &pairs);
    let mut cmd = python();
    cmd.arg(root().join("scripts/osv-reference.py"))
        .arg("dpkg")
        .arg(&path)
        .arg("Debian:12");
    let theirs = reference(&mut cmd, &pairs);
    compare("Debian:12 (apt_pkg)", &pairs, &ours, &theirs, 1_000);
}

#[test]
fn npm_agrees_with_node_semver() {
    let (path, adv) = records("npm.json.gz");
    let pairs = candidates(
        &adv,
        "npm",
        |v| {
            let below = if v.contains('-') {
                format!("{v}.0")
            } else {
                format!("{v}-rc.1")
            };
            vec![below, format!("{v}+build.1")]
        },
        300,
    );
    let ours = hull_verdicts(&adv, "npm", PackageKind::Npm, &pairs);
    let mut cmd = Command::new("node");
    cmd.arg(root().join("scripts/osv-reference.js")).arg(&path);
    if std::env::var_os("HULL_NODE_SEMVER").is_none() {
        let default = dirs_home().join(".cache/hull-ci-node/node_modules/semver");
        cmd.env("HULL_NODE_SEMVER", default);
    }
    let theirs = reference(&mut cmd, &pairs);
    compare("npm (node-semver)", &pairs, &ours, &theirs, 1_000);
}

fn dirs_home() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/root"))
}
