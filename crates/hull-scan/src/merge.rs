//! Applying layers bottom to top, as an overlay filesystem would.

use std::collections::BTreeMap;

use hull_analyzer::OsCandidate;
use hull_types::{Digest, OsRelease, Package};

use crate::{FileRecord, LayerResult};

/// The files that survive in the final filesystem, each with the layer that last wrote it.
pub fn merge(layers: &[LayerResult]) -> BTreeMap<String, (Option<Digest>, FileRecord)> {
    let mut state: BTreeMap<String, (Option<Digest>, FileRecord)> = BTreeMap::new();
    for layer in layers {
        // Opaque directories and whiteouts hide what lower layers had; this layer's own
        // files are added after, so they survive.
        for dir in &layer.opaque_dirs {
            remove_under(&mut state, dir, false);
        }
        for path in &layer.whiteouts {
            remove_under(&mut state, path, true);
        }
        for f in &layer.files {
            state.insert(f.path.clone(), (layer.diff_id.clone(), f.clone()));
        }
    }
    state
}

fn remove_under(
    state: &mut BTreeMap<String, (Option<Digest>, FileRecord)>,
    path: &str,
    itself: bool,
) {
    if itself {
        state.remove(path);
    }
    let prefix = if path == "/" {
        "/".to_string()
    } else {
        format!("{path}/")
    };
    let doomed: Vec<String> = state
        .range(prefix.clone()..)
        .take_while(|(k, _)| k.starts_with(&prefix))
        .map(|(k, _)| k.clone())
        .collect();
    for k in doomed {
        state.remove(&k);
    }
}

/// Packages and OS release of the merged filesystem.
pub(crate) fn inventory(
    merged: &BTreeMap<String, (Option<Digest>, FileRecord)>,
) -> (Vec<Package>, Option<OsRelease>) {
    let mut packages = Vec::new();
    let mut os: Option<OsCandidate> = None;
    let mut distroless_status_d = false;
    for (path, (layer, rec)) in merged {
        if path.starts_with("/var/lib/dpkg/status.d/") {
            distroless_status_d = true;
        }
        for out in rec.outputs.iter().filter_map(|o| o.output.as_ref()) {
            for p in &out.packages {
                let mut p = p.clone();
                p.location.layer = layer.clone();
                packages.push(p);
            }
            if let Some(c) = &out.os {
                if os.as_ref().is_none_or(|cur| c.rank < cur.rank) {
                    os = Some(c.clone());
                }
            }
        }
    }
    packages.sort();
    packages.dedup();
    let mut os = os.map(|c| c.release);
    if let Some(o) = os.as_mut() {
        // Distroless keeps Debian's os-release; status.d without a dpkg status says so too.
        if distroless_status_d && !merged.contains_key("/var/lib/dpkg/status") {
            o.distroless = true;
        }
    }
    (packages, os)
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
        assert_eq!(m["/a/new"].0, Some(Digest::from_sha256_bytes(&[2; 32])));
    }

    #[test]
    fn later_layer_overrides() {
        let m = merge(&[layer(&["/f"], &[], &[], 1), layer(&["/f"], &[], &[], 2)]);
        assert_eq!(m["/f"].0, Some(Digest::from_sha256_bytes(&[2; 32])));
        let m = merge(&[layer(&["/f"], &[], &[], 1), layer(&[], &["/f"], &[], 2)]);
        assert!(m.is_empty());
    }
}
