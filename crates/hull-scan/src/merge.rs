//! Applying layers bottom to top, as an overlay filesystem would, and reading the inventory
//! of the final filesystem.

use std::collections::{BTreeMap, BTreeSet};

use hull_analyzer::OsCandidate;
use hull_types::{Digest, OsOwned, OsRelease, Package, PackageKind};

use crate::model::{FileRecord, LayerResult};
use crate::whiteout::Deletions;

/// What identifies a package within one database file across layers.
type PkgKey = (PackageKind, String, String, Option<String>);

fn key(p: &Package) -> PkgKey {
    (p.kind, p.name.clone(), p.version.clone(), p.arch.clone())
}

/// A file of the final filesystem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MergedFile {
    /// The layer that last wrote the file.
    pub layer: Option<Digest>,
    /// What the analyzers made of the file, in that layer.
    pub record: FileRecord,
    /// For each package the file lists, the layer that introduced it: the earliest layer
    /// from which every later version of this file kept listing the same package. A package
    /// database is rewritten by every install, so "the layer that last wrote the file" would
    /// blame the last `RUN apt-get` for every package; this says which step added it.
    pub introduced: BTreeMap<PkgKey, Option<Digest>>,
}

/// The files that survive in the final filesystem.
pub fn merge(layers: &[LayerResult]) -> BTreeMap<String, MergedFile> {
    let mut state: BTreeMap<String, MergedFile> = BTreeMap::new();
    for layer in layers {
        // Opaque directories and whiteouts hide what lower layers had; this layer's own
        // files are added after, so they survive.
        let deletions = Deletions::of(&layer.whiteouts, &layer.opaque_dirs);
        if !deletions.is_empty() {
            state.retain(|path, _| !deletions.deletes(path));
        }
        for f in &layer.files {
            let previous = state.get(&f.path).map(|m| &m.introduced);
            let introduced = f
                .outputs
                .iter()
                .filter_map(|o| o.output.as_ref())
                .flat_map(|o| o.packages.iter())
                .map(|p| {
                    let k = key(p);
                    let since = previous
                        .and_then(|prev| prev.get(&k).cloned())
                        .unwrap_or_else(|| layer.diff_id.clone());
                    (k, since)
                })
                .collect();
            state.insert(
                f.path.clone(),
                MergedFile {
                    layer: layer.diff_id.clone(),
                    record: f.clone(),
                    introduced,
                },
            );
        }
    }
    state
}

/// Where the package manager records the files it installed, for the reason a language
/// package was left out.
fn record_of(kind: PackageKind) -> &'static str {
    match kind {
        PackageKind::Deb => "dpkg file list",
        PackageKind::Apk => "apk database",
        PackageKind::Rpm => "rpm database",
        _ => "package database",
    }
}

/// A `pom.xml` whose parent POM is in the same tree takes properties and managed versions
/// from it, as Maven does: its packages are rebuilt from the chain of parents (the analyzer,
/// seeing one file, could only report what the module settles alone).
fn maven_modules_with_parents(merged: &BTreeMap<String, MergedFile>, packages: &mut Vec<Package>) {
    use hull_analyzer::lang::pom;
    let models: BTreeMap<&str, &pom::PomModel> = merged
        .iter()
        .filter_map(|(path, m)| {
            m.record
                .outputs
                .iter()
                .filter_map(|o| o.output.as_ref())
                .find_map(|o| o.pom.as_deref())
                .map(|model| (path.as_str(), model))
        })
        .collect();
    for (&path, &model) in &models {
        let mut chain = vec![model];
        let mut at = path.to_string();
        while chain.len() <= pom::MAX_PARENTS {
            let cur = chain[chain.len() - 1];
            let Some(parent_at) = pom::parent_path(&at, cur) else {
                break;
            };
            match models.get(parent_at.as_str()) {
                Some(&p) if parent_at != at && pom::is_parent(cur, p) => {
                    chain.push(p);
                    at = parent_at;
                }
                _ => break,
            }
        }
        if chain.len() == 1 {
            continue;
        }
        let layer = merged[path].layer.clone();
        packages.retain(|p| !(p.kind == PackageKind::Maven && p.location.path == path));
        packages.extend(
            pom::effective_packages(&chain, path)
                .into_iter()
                .map(|mut p| {
                    p.location.layer = layer.clone();
                    p
                }),
        );
    }
}

/// `go.sum` lists every module version the module graph touched, not only what is built.
/// Beside a `go.mod` for Go 1.17 or later (which lists every module the build needs) its
/// packages are dropped; beside an older `go.mod` only the modules the `go.mod` does not
/// name are kept (its indirect requirements, which those files leave out). A `go.sum` alone
/// is reported whole. This is how Trivy reads the pair.
fn go_sum_beside_go_mod(packages: &mut Vec<Package>) {
    // go.mod's directory -> (the module names it lists, whether it is 1.17 or later).
    let mut mods: BTreeMap<String, (BTreeSet<String>, bool)> = BTreeMap::new();
    for p in packages.iter().filter(|p| p.kind == PackageKind::Go) {
        let Some(dir) = p.location.path.strip_suffix("go.mod") else {
            continue;
        };
        let e = mods.entry(dir.to_string()).or_default();
        if p.name == "stdlib" {
            e.1 = go_at_least_1_17(&p.version);
        } else {
            e.0.insert(p.name.clone());
        }
    }
    packages.retain(|p| {
        let Some(dir) = p.location.path.strip_suffix("go.sum") else {
            return true;
        };
        match mods.get(dir) {
            None => true,
            Some((_, true)) => false,
            Some((names, false)) => !names.contains(&p.name),
        }
    });
}

/// `1.17`, `1.21.3`, `1.22rc1` and later; an unparsable version counts as older.
fn go_at_least_1_17(v: &str) -> bool {
    let mut parts = v.split('.');
    let major: u32 = parts.next().and_then(|m| m.parse().ok()).unwrap_or(0);
    let minor: u32 = parts
        .next()
        .map(|m| {
            m.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
        })
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    (major, minor) >= (1, 17)
}

/// Packages and OS release of the merged filesystem, and the language packages an OS
/// package owns (reported as the OS package only).
pub(crate) fn inventory(
    merged: &BTreeMap<String, MergedFile>,
) -> (Vec<Package>, Option<OsRelease>, Vec<OsOwned>) {
    let mut packages = Vec::new();
    let mut os: Option<OsCandidate> = None;
    let mut distroless_status_d = false;
    for (path, m) in merged {
        if path.starts_with("/var/lib/dpkg/status.d/") {
            distroless_status_d = true;
        }
        for out in m.record.outputs.iter().filter_map(|o| o.output.as_ref()) {
            for p in &out.packages {
                let mut p = p.clone();
                p.location.layer = m
                    .introduced
                    .get(&key(&p))
                    .cloned()
                    .unwrap_or_else(|| m.layer.clone());
                packages.push(p);
            }
            if let Some(c) = &out.os {
                if os.as_ref().is_none_or(|cur| c.rank < cur.rank) {
                    os = Some(c.clone());
                }
            }
        }
    }
    // Debian states licences beside the package, not in dpkg's database.
    let declared: BTreeMap<&str, &Vec<String>> = merged
        .values()
        .flat_map(|m| m.record.outputs.iter().filter_map(|o| o.output.as_ref()))
        .flat_map(|o| o.licenses.iter())
        .map(|l| (l.package.as_str(), &l.licenses))
        .collect();
    for p in packages
        .iter_mut()
        .filter(|p| p.kind == PackageKind::Deb && p.licenses.is_empty())
    {
        if let Some(l) = declared.get(p.name.as_str()) {
            p.licenses = (*l).clone();
        }
    }
    // Language packages whose metadata file an OS package installed belong to it.
    let owners: BTreeMap<&str, (PackageKind, &str)> = merged
        .values()
        .flat_map(|m| m.record.outputs.iter().filter_map(|o| o.output.as_ref()))
        .flat_map(|o| o.owned.iter())
        .flat_map(|f| {
            f.paths
                .iter()
                .map(move |p| (p.as_str(), (f.kind, f.owner.as_str())))
        })
        .collect();
    let mut os_owned = Vec::new();
    packages.retain(|p| {
        if p.kind.is_os() {
            return true;
        }
        match owners.get(p.location.path.as_str()) {
            Some((kind, owner)) => {
                os_owned.push(OsOwned {
                    kind: p.kind,
                    name: p.name.clone(),
                    version: p.version.clone(),
                    path: p.location.path.clone(),
                    reason: format!("owned by {kind} {owner} ({})", record_of(*kind)),
                });
                false
            }
            None => true,
        }
    });
    os_owned.sort();
    maven_modules_with_parents(merged, &mut packages);
    go_sum_beside_go_mod(&mut packages);
    packages.sort();
    packages.dedup();
    let mut os = os.map(|c| c.release);
    if let Some(o) = os.as_mut() {
        // Distroless keeps Debian's os-release; status.d without a dpkg status says so too.
        if distroless_status_d && !merged.contains_key("/var/lib/dpkg/status") {
            o.distroless = true;
        }
    }
    (packages, os, os_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(files: &[&str], whiteouts: &[&str], opaque: &[&str], n: u8) -> LayerResult {
        LayerResult {
            diff_id: Some(Digest::from_sha256_bytes(&[n; 32])),
            files: files
                .iter()
                .map(|p| FileRecord {
                    path: p.to_string(),
                    outputs: vec![],
                })
                .collect(),
            whiteouts: whiteouts.iter().map(|s| s.to_string()).collect(),
            opaque_dirs: opaque.iter().map(|s| s.to_string()).collect(),
            ..LayerResult::default()
        }
    }

    #[test]
    fn whiteouts_and_opaque_dirs() {
        let l1 = layer(&["/a/x", "/a/y", "/b/z", "/bb"], &[], &[], 1);
        let l2 = layer(&["/a/new"], &["/b"], &["/a"], 2);
        let l3 = layer(&["/b/again"], &[], &[], 3);
        let m = merge(&[l1, l2, l3]);
        let keys: Vec<_> = m.keys().cloned().collect();
        assert_eq!(keys, vec!["/a/new", "/b/again", "/bb"]);
        assert_eq!(m["/a/new"].layer, Some(Digest::from_sha256_bytes(&[2; 32])));
    }

    fn db(pkgs: &[(&str, &str)], n: u8) -> LayerResult {
        let packages = pkgs
            .iter()
            .map(|(name, v)| Package {
                kind: PackageKind::Deb,
                name: name.to_string(),
                version: v.to_string(),
                arch: None,
                source: None,
                licenses: vec![],
                location: hull_types::Location {
                    path: "/var/lib/dpkg/status".into(),
                    layer: None,
                },
                epoch: None,
                dev: false,
                direct: None,
                group_inferred: false,
            })
            .collect();
        let mut l = layer(&[], &[], &[], n);
        l.files.push(FileRecord {
            path: "/var/lib/dpkg/status".into(),
            outputs: vec![crate::model::AnalyzerOutput {
                analyzer: hull_analyzer::AnalyzerId("dpkg"),
                output: Some(hull_analyzer::Output {
                    packages,
                    ..Default::default()
                }),
                error: None,
            }],
        });
        l
    }

    #[test]
    fn packages_are_attributed_to_the_layer_that_added_them() {
        let d = |n: u8| Some(Digest::from_sha256_bytes(&[n; 32]));
        let layers = [
            db(&[("a", "1"), ("b", "1")], 1),
            db(&[("a", "1"), ("b", "2"), ("c", "1")], 2), // b upgraded, c added
            db(&[("a", "1"), ("b", "2"), ("c", "1")], 3), // rewritten, unchanged
        ];
        let (pkgs, _, _) = inventory(&merge(&layers));
        let got: Vec<_> = pkgs
            .iter()
            .map(|p| (p.name.as_str(), p.location.layer.clone()))
            .collect();
        assert_eq!(got, vec![("a", d(1)), ("b", d(2)), ("c", d(2))]);
        // A whiteout breaks the chain: re-adding counts from the new layer.
        let mut gone = layer(&[], &["/var/lib/dpkg/status"], &[], 4);
        gone.files.clear();
        let layers = [db(&[("a", "1")], 1), gone, db(&[("a", "1")], 5)];
        let (pkgs, _, _) = inventory(&merge(&layers));
        assert_eq!(pkgs[0].location.layer, d(5));
    }

    #[test]
    fn later_layer_overrides() {
        let m = merge(&[layer(&["/f"], &[], &[], 1), layer(&["/f"], &[], &[], 2)]);
        assert_eq!(m["/f"].layer, Some(Digest::from_sha256_bytes(&[2; 32])));
        let m = merge(&[layer(&["/f"], &[], &[], 1), layer(&[], &["/f"], &[], 2)]);
        assert!(m.is_empty());
    }
}
