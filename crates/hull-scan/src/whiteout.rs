//! Deletion across layers: the one predicate that says whether a layer's whiteouts and
//! opaque directories delete a path of the layers below. The merge, the attribution of
//! findings to the layer that deleted their file, and the OS file verification all apply
//! it, so "deleted" means one thing everywhere.

use std::collections::BTreeSet;

/// The deletions of one layer, indexed so a path is checked by its ancestors (depth lookups)
/// rather than against every whiteout.
#[derive(Debug, Default)]
pub(crate) struct Deletions {
    /// Whiteout paths, without a trailing `/` (the root is `""`).
    whiteouts: BTreeSet<String>,
    /// Opaque directories, without a trailing `/` (the root is `""`).
    opaque: BTreeSet<String>,
}

impl Deletions {
    /// The deletions these whiteouts and opaque directories make (built once per layer, then
    /// asked about every path).
    pub(crate) fn of(whiteouts: &[String], opaque_dirs: &[String]) -> Self {
        let trim = |s: &String| s.trim_end_matches('/').to_string();
        Deletions {
            whiteouts: whiteouts.iter().map(trim).collect(),
            opaque: opaque_dirs.iter().map(trim).collect(),
        }
    }

    /// Whether nothing is deleted.
    pub(crate) fn is_empty(&self) -> bool {
        self.whiteouts.is_empty() && self.opaque.is_empty()
    }

    /// Whether `path` of a lower layer is deleted: a whiteout of it or of a directory above
    /// it, or an opaque directory above it (an opaque directory keeps itself, not what the
    /// lower layers had in it).
    pub(crate) fn deletes(&self, path: &str) -> bool {
        if self.is_empty() {
            return false;
        }
        if self.whiteouts.contains(path) {
            return true;
        }
        // Every proper ancestor: "" (the root), "/a", "/a/b" for "/a/b/c".
        path.match_indices('/').any(|(i, _)| {
            let dir = &path[..i];
            self.whiteouts.contains(dir) || self.opaque.contains(dir)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn whiteouts_delete_the_path_and_below_opaque_dirs_only_below() {
        let (w, o) = (
            strings(&["/etc/secret", "/var/cache"]),
            strings(&["/opt/app/"]),
        );
        let d = Deletions::of(&w, &o);
        for deleted in [
            "/etc/secret",
            "/var/cache",
            "/var/cache/x/y",
            "/opt/app/bin",
        ] {
            assert!(d.deletes(deleted), "{deleted}");
        }
        for kept in [
            "/etc/secret2",
            "/etc",
            "/var/cachex",
            "/opt/app",
            "/opt/application",
        ] {
            assert!(!d.deletes(kept), "{kept}");
        }
        let root = strings(&["/"]);
        assert!(Deletions::of(&[], &root).deletes("/anything/at/all"));
        assert!(!Deletions::of(&[], &[]).deletes("/x"));
    }
}
