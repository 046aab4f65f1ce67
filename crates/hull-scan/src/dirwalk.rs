//! The one directory walk, for root filesystems and for the configuration files of a
//! source tree. Symlinks are never followed (`DirEntry::file_type` does not traverse them),
//! so nothing outside the root is read; depth and entry count are bounded.

use std::fs::{DirEntry, FileType};
use std::path::Path;

/// How far a walk goes.
pub(crate) struct DirWalk<'a> {
    /// Directories deeper than this are not entered.
    pub max_depth: usize,
    /// After this many entries the walk stops with a warning.
    pub max_entries: u64,
    /// Directory names never entered (`.git`, `node_modules` for configuration).
    pub skip_dirs: &'a [&'a str],
    /// Paths relative to the root start with `/` (image paths) or not (repository paths).
    pub leading_slash: bool,
}

/// One non-directory entry met on the walk.
pub(crate) struct Found<'e> {
    /// The entry, to open or stat.
    pub entry: &'e DirEntry,
    /// Its type, links not followed.
    pub file_type: FileType,
    /// Its path relative to the root.
    pub rel: String,
}

impl DirWalk<'_> {
    /// Calls `each` for every non-directory entry under `root`, each directory's entries in
    /// name order. Returns `(path, message)` warnings; an unreadable root is an error.
    pub(crate) fn run(
        &self,
        root: &Path,
        mut each: impl FnMut(Found<'_>),
    ) -> Result<Vec<(String, String)>, std::io::Error> {
        let mut warnings = Vec::new();
        let mut seen = 0u64;
        let mut stack = vec![(root.to_path_buf(), String::new(), 0usize)];
        while let Some((dir, rel, depth)) = stack.pop() {
            let rd = match std::fs::read_dir(&dir) {
                Ok(rd) => rd,
                Err(e) if depth == 0 => return Err(e),
                Err(e) => {
                    warnings.push((rel, format!("unreadable directory: {e}")));
                    continue;
                }
            };
            let mut entries: Vec<DirEntry> = rd.flatten().collect();
            entries.sort_by_key(|e| e.file_name());
            for entry in &entries {
                seen += 1;
                if seen > self.max_entries {
                    warnings.push((rel.clone(), "too many entries; rest not read".into()));
                    return Ok(warnings);
                }
                let name = entry.file_name().to_string_lossy().into_owned();
                let path = if rel.is_empty() && !self.leading_slash {
                    name.clone()
                } else {
                    format!("{rel}/{name}")
                };
                let Ok(file_type) = entry.file_type() else {
                    continue;
                };
                if file_type.is_dir() {
                    if self.skip_dirs.contains(&name.as_str()) {
                        continue;
                    }
                    if depth < self.max_depth {
                        stack.push((entry.path(), path, depth + 1));
                    } else {
                        warnings.push((
                            path,
                            format!("deeper than {} directory levels; not read", self.max_depth),
                        ));
                    }
                    continue;
                }
                each(Found {
                    entry,
                    file_type,
                    rel: path,
                });
            }
        }
        Ok(warnings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_in_order_without_following_links_or_skipped_dirs() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path();
        std::fs::create_dir_all(root.join("b/node_modules")).unwrap();
        std::fs::write(root.join("b/x"), b"x").unwrap();
        std::fs::write(root.join("b/node_modules/y"), b"y").unwrap();
        std::fs::write(root.join("a"), b"a").unwrap();
        std::os::unix::fs::symlink("/etc", root.join("c")).unwrap();
        let walk = |leading_slash| {
            let mut got = vec![];
            DirWalk {
                max_depth: 64,
                max_entries: 100,
                skip_dirs: &["node_modules"],
                leading_slash,
            }
            .run(root, |f| got.push((f.rel, f.file_type.is_symlink())))
            .unwrap();
            got.sort();
            got
        };
        assert_eq!(
            walk(true),
            vec![
                ("/a".to_string(), false),
                ("/b/x".to_string(), false),
                ("/c".to_string(), true)
            ]
        );
        assert_eq!(walk(false)[0].0, "a");
        // Depth: what is too deep is said, not silently dropped.
        std::fs::create_dir_all(root.join("d1/d2/d3")).unwrap();
        let w = DirWalk {
            max_depth: 1,
            max_entries: 100,
            skip_dirs: &[],
            leading_slash: true,
        }
        .run(root, |_| {})
        .unwrap();
        let mut deep: Vec<&str> = w.iter().map(|(p, _)| p.as_str()).collect();
        deep.sort();
        assert_eq!(deep, vec!["/b/node_modules", "/d1/d2"]);
        assert!(w[0].1.contains("deeper than 1 directory levels"));
        assert!(DirWalk {
            max_depth: 1,
            max_entries: 100,
            skip_dirs: &[],
            leading_slash: true
        }
        .run(&root.join("missing"), |_| {})
        .is_err());
    }
}
