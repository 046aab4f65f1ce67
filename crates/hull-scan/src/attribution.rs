//! Attribution of findings to layers: each secret and detection to the layer holding its
//! file (by position and verified diff_id) and to the first later layer that deleted the
//! file (the bytes stay in the image; any `docker save` exposes them), and the special file
//! modes that survive, all by the one deletion predicate of [`crate::whiteout`].

use hull_types::{Detection, Digest, LayerRef, Secret};

use crate::model::{LayerResult, ModeRecord};
use crate::whiteout::Deletions;

/// Attributes findings to layers: by position and verified diff_id, and to the first later
/// layer that deleted the file (the bytes stay in the image; any `docker save` exposes them).
pub(crate) struct Attribution<'r> {
    results: &'r [LayerResult],
    /// The diff_ids the image's config names, for results without one.
    claimed: Vec<Digest>,
    deletions: Vec<Deletions>,
    /// A root filesystem has no layers to name.
    rootfs: bool,
}

impl<'r> Attribution<'r> {
    /// `claimed` are the config's diff_ids, bottom to top.
    pub(crate) fn new(results: &'r [LayerResult], claimed: Vec<Digest>, rootfs: bool) -> Self {
        Attribution {
            results,
            claimed,
            deletions: results
                .iter()
                .map(|l| Deletions::of(&l.whiteouts, &l.opaque_dirs))
                .collect(),
            rootfs,
        }
    }

    /// Layer `i` (0-based) by 1-based position and diff_id.
    fn layer(&self, i: usize) -> Option<LayerRef> {
        let diff_id = self
            .results
            .get(i)
            .and_then(|r| r.diff_id.clone())
            .or_else(|| self.claimed.get(i).cloned())?;
        Some(LayerRef {
            index: i + 1,
            diff_id,
        })
    }

    /// The first layer above layer `i` that deletes `path`.
    fn deleted_in(&self, i: usize, path: &str) -> Option<LayerRef> {
        self.deletions[i + 1..]
            .iter()
            .position(|d| d.deletes(path))
            .and_then(|j| self.layer(i + 1 + j))
    }

    /// Every layer's secrets, with the layer that deleted the file where one did.
    pub(crate) fn secrets(&self) -> Vec<Secret> {
        let mut out = Vec::new();
        for (i, r) in self.results.iter().enumerate() {
            for s in &r.secrets {
                out.push(Secret {
                    target: s.path.clone(),
                    line: s.line,
                    column: s.column,
                    rule: s.rule.clone(),
                    description: s.description.clone(),
                    severity: s.severity,
                    layer: self.layer(i),
                    deleted_in: self.deleted_in(i, &s.path),
                    redacted: s.redacted.clone(),
                    fingerprint: s.fingerprint.clone(),
                    secret: s.secret.clone(),
                });
            }
        }
        out
    }

    /// Every layer's detections, with the layer and, where a later layer deleted the file,
    /// that layer.
    pub(crate) fn detections(&self) -> Vec<Detection> {
        let mut out = Vec::new();
        for (i, r) in self.results.iter().enumerate() {
            for d in &r.detections {
                // The file is the part before any `!` (a path inside an archive).
                let file = d.target.split('!').next().unwrap_or(&d.target);
                let mut d = d.clone();
                d.layer = if self.rootfs { None } else { self.layer(i) };
                d.deleted_in = self.deleted_in(i, file);
                out.push(d);
            }
        }
        out
    }

    /// Special modes of every layer, minus those a later layer deleted. A later layer that
    /// rewrites the same path with a plain mode is not seen (only special modes are
    /// recorded), so such a file is still reported, for its layer.
    pub(crate) fn surviving_modes(&self) -> Vec<(usize, ModeRecord)> {
        let mut out = Vec::new();
        for (i, r) in self.results.iter().enumerate() {
            for m in &r.modes {
                if !self.deletions[i + 1..].iter().any(|d| d.deletes(&m.path)) {
                    out.push((i, m.clone()));
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn layer(n: u8, secrets: &[&str], whiteouts: &[&str], opaque: &[&str]) -> LayerResult {
        LayerResult {
            diff_id: Some(Digest::from_sha256_bytes(&[n; 32])),
            whiteouts: strings(whiteouts),
            opaque_dirs: strings(opaque),
            secrets: secrets
                .iter()
                .map(|p| crate::model::LayerSecret {
                    path: p.to_string(),
                    line: 1,
                    column: 1,
                    rule: "r".into(),
                    description: "d".into(),
                    severity: hull_types::Severity::High,
                    redacted: "abcd".into(),
                    fingerprint: format!("fp{p}"),
                    secret: None,
                })
                .collect(),
            modes: secrets
                .iter()
                .map(|p| ModeRecord {
                    path: p.to_string(),
                    mode: 0o4755,
                    is_dir: false,
                })
                .collect(),
            ..LayerResult::default()
        }
    }

    fn at(n: u8, index: usize) -> Option<LayerRef> {
        Some(LayerRef {
            index,
            diff_id: Digest::from_sha256_bytes(&[n; 32]),
        })
    }

    #[test]
    fn a_secret_is_attributed_to_its_layer_and_to_the_first_layer_that_deleted_it() {
        let layers = [
            layer(1, &["/app/.env", "/app/keep", "/opt/x/key"], &[], &[]),
            layer(2, &[], &["/app/.env"], &[]),
            layer(3, &[], &["/app"], &["/opt/x"]),
        ];
        let a = Attribution::new(&layers, vec![], false);
        let got: Vec<_> = a
            .secrets()
            .into_iter()
            .map(|s| (s.target, s.layer, s.deleted_in))
            .collect();
        assert_eq!(
            got,
            vec![
                ("/app/.env".to_string(), at(1, 1), at(2, 2)),
                ("/app/keep".to_string(), at(1, 1), at(3, 3)),
                ("/opt/x/key".to_string(), at(1, 1), at(3, 3)),
            ]
        );
        // Modes follow the same rule: all three were deleted above their layer.
        assert!(a.surviving_modes().is_empty());
        let a = Attribution::new(&layers[..1], vec![], false);
        assert_eq!(a.surviving_modes().len(), 3);
    }

    #[test]
    fn the_merge_and_the_attribution_agree_on_what_is_deleted() {
        let mut l1 = layer(1, &["/a/x", "/a/y", "/b/z", "/bb"], &[], &[]);
        l1.files = l1
            .secrets
            .iter()
            .map(|s| crate::model::FileRecord {
                path: s.path.clone(),
                outputs: vec![],
            })
            .collect();
        let layers = [l1, layer(2, &[], &["/b"], &["/a"])];
        let merged = crate::merge::merge(&layers);
        let a = Attribution::new(&layers, vec![], false);
        for s in a.secrets() {
            assert_eq!(
                merged.contains_key(&s.target),
                s.deleted_in.is_none(),
                "{}",
                s.target
            );
        }
        assert_eq!(merged.keys().collect::<Vec<_>>(), vec!["/bb"]);
    }

    #[test]
    fn detections_inside_archives_follow_their_file_and_a_root_filesystem_has_no_layers() {
        let mut l1 = layer(1, &[], &[], &[]);
        l1.detections.push(Detection {
            target: "/app/x.zip!dir/y.js".into(),
            kind: hull_types::DetectionKind::Yara,
            rule: "r".into(),
            description: "d".into(),
            source: "s".into(),
            severity: hull_types::Severity::High,
            matched: "m".into(),
            layer: None,
            deleted_in: None,
        });
        let layers = [l1, layer(2, &[], &["/app/x.zip"], &[])];
        let d = Attribution::new(&layers, vec![], false).detections();
        assert_eq!(
            (d[0].layer.clone(), d[0].deleted_in.clone()),
            (at(1, 1), at(2, 2))
        );
        let rootfs = [LayerResult {
            diff_id: None,
            ..layers[0].clone()
        }];
        let d = Attribution::new(&rootfs, vec![], true).detections();
        assert_eq!(d[0].layer, None);
    }
}
