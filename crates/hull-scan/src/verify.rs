//! OS file verification for the malware scanner (`--skip-verified-os-files`).
//!
//! Most of a base image's bytes are files an OS package installed, and dpkg, apk and rpm
//! record a digest for each. A file whose bytes still match is what the distribution
//! shipped, so the malware scanner skips it; a file that no longer matches is reported
//! (`os-file-modified`): that is how a trojanised system binary shows up.
//!
//! The databases sit late in a layer's tar order (`var/` after `usr/`), so a cheap first
//! pass reads only them from every layer that is not cached; the main pass then checks each
//! file against the databases as they stood in its own layer: the newest layer at or below
//! it whose database lists the path, provided no layer in between rewrote or deleted that
//! database (a package upgraded or removed).
//!
//! A database vouches only for the first write of a path: a file that a lower layer already
//! had (its database listed the path) and that a later layer writes again is scanned, even
//! when a database of that later layer records the new bytes. So an attacker who rewrites a
//! system binary and its recorded digest together in a later layer is scanned, not skipped
//! (issue #23); so is a genuine upgrade in a later layer, which costs scanning time and
//! nothing else. What the index still trusts is a base layer's own databases: a file
//! installed together with a forged record in the same first write is skipped. Turn the skip
//! off for incident response.

use std::collections::{HashMap, HashSet};

use hull_analyzer::pkgdb::checksums::{ChecksumDb, FileDigest, PackageFiles, DPKG_DIRS};
use hull_image::{peek_layer, walk_layer, Entry, EntryKind, Image, ImageLayer, Limits, Visit};
use hull_types::{Detection, DetectionKind, Severity};
use md5::Digest as _;
use serde::{Deserialize, Serialize};

use hull_types::Warning;

use crate::whiteout::Deletions;
use crate::ScanError;

/// One package database file of one layer, as read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DbRecord {
    /// The database file (`/var/lib/dpkg/info/bash.md5sums`).
    pub path: String,
    /// Each package's files with the digests the database records.
    pub packages: Vec<PackageFiles>,
}

/// What one layer says about its OS files: its package databases, and which top-level
/// directories it makes symlinks into `/usr` (merged /usr).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OsChecksums {
    /// The package databases this layer holds.
    pub dbs: Vec<DbRecord>,
    /// `/bin`, `/lib`, … where this layer makes them symlinks to `usr/…`.
    #[serde(default)]
    pub merged_usr: Vec<String>,
    /// Whether the layer was read for these at all. A registry layer is not (that would
    /// download it twice): what its databases say is unknown, and so is every file whose
    /// check would depend on it.
    #[serde(default)]
    pub read: bool,
}

impl OsChecksums {
    /// Whether no database recorded anything.
    pub fn is_empty(&self) -> bool {
        !self.read && self.dbs.is_empty() && self.merged_usr.is_empty()
    }
}

/// What the first pass keeps of one layer.
#[derive(Clone, Debug, Default)]
pub(crate) struct LayerDbs {
    pub checksums: OsChecksums,
    pub whiteouts: Vec<String>,
    pub opaque_dirs: Vec<String>,
    pub warnings: Vec<Warning>,
}

/// Reads a database file's records, or says why not.
fn read_db(db: ChecksumDb, path: &str, bytes: &[u8]) -> Result<DbRecord, String> {
    db.read(path, bytes)
        .map(|packages| DbRecord {
            path: path.to_string(),
            packages,
        })
        .map_err(|e| format!("package file checksums: {e}"))
}

struct DbVisitor {
    out: LayerDbs,
    layer: Option<hull_types::Digest>,
}

impl Visit for DbVisitor {
    fn wants(&self, path: &str, size: u64) -> Option<u64> {
        if size == 0 && merged_dir(path).is_some() {
            return Some(0);
        }
        ChecksumDb::at(path)
            .map(|db| db.max_size())
            .filter(|_| size > 0)
    }
    fn entry(&mut self, e: Entry<'_>) {
        match e.kind {
            EntryKind::File => {
                let Some(db) = ChecksumDb::at(e.path) else {
                    return;
                };
                match read_db(db, e.path, e.bytes) {
                    Ok(r) => self.out.checksums.dbs.push(r),
                    Err(message) => self.warning(e.path, message),
                }
            }
            EntryKind::Whiteout => self.out.whiteouts.push(e.path.to_string()),
            EntryKind::OpaqueDir => self.out.opaque_dirs.push(e.path.to_string()),
            EntryKind::NotRegular => {
                if let Some(dir) = merged_dir(e.path) {
                    if links_into_usr(dir, e.bytes) {
                        self.out.checksums.merged_usr.push(e.path.to_string());
                    }
                }
            }
        }
    }
    fn warning(&mut self, path: &str, message: String) {
        self.out.warnings.push(Warning {
            layer: self.layer.clone(),
            path: path.to_string(),
            message,
        });
    }
}

/// The first pass over one layer: its package databases, whiteouts and opaque directories.
/// An uncompressed local layer is read by its tar headers alone, seeking past the files;
/// a compressed local one is read (and its digests checked) in full; a registry layer is
/// not read at all (it would be downloaded twice) and comes back unknown (`read` false).
/// Either way the main pass verifies the bytes it scans, and an image whose digests fail
/// yields no report.
pub(crate) fn read_layer_dbs(
    image: &Image,
    layer: &ImageLayer,
    limits: &Limits,
) -> Result<LayerDbs, ScanError> {
    let label = image.layer_label(layer);
    let fresh = || DbVisitor {
        out: LayerDbs::default(),
        layer: Some(layer.diff_id.clone()),
    };
    let Some(window) = image.open_layer_seekable(layer) else {
        return Ok(LayerDbs::default());
    };
    let mut v = fresh();
    if peek_layer(window?, &label, limits, &mut v)? {
        v.out.checksums.read = true;
        return Ok(v.out);
    }
    let mut v = fresh();
    walk_layer(
        image.open_layer(layer)?,
        &label,
        layer.blob.as_ref(),
        Some(&layer.diff_id),
        limits,
        &mut v,
    )?;
    v.out.checksums.read = true;
    Ok(v.out)
}

/// The package databases of a root filesystem directory, read at their fixed places
/// (regular files only: a symlink is not followed out of the directory).
pub(crate) fn read_dir_dbs(root: &std::path::Path) -> LayerDbs {
    let mut out = LayerDbs::default();
    out.checksums.read = true;
    for dir in MERGED_USR {
        if let Ok(target) = std::fs::read_link(root.join(&dir[1..])) {
            if links_into_usr(dir, target.as_os_str().as_encoded_bytes()) {
                out.checksums.merged_usr.push(dir.to_string());
            }
        }
    }
    let mut candidates = ChecksumDb::fixed_paths();
    for dir in DPKG_DIRS {
        let Ok(rd) = std::fs::read_dir(root.join(&dir[1..])) else {
            continue;
        };
        for e in rd.flatten() {
            candidates.push(format!("{dir}{}", e.file_name().to_string_lossy()));
        }
    }
    candidates.sort();
    for path in candidates {
        let Some(db) = ChecksumDb::at(&path) else {
            continue;
        };
        let full = root.join(&path[1..]);
        // Every directory on the way must be a real directory too.
        let inside = full
            .ancestors()
            .take_while(|a| *a != root)
            .all(|a| std::fs::symlink_metadata(a).is_ok_and(|m| !m.file_type().is_symlink()));
        let Ok(meta) = std::fs::symlink_metadata(&full) else {
            continue;
        };
        if !inside || !meta.is_file() || meta.len() > db.max_size() {
            continue;
        }
        let bytes = match std::fs::read(&full) {
            Ok(b) => b,
            Err(e) => {
                out.warnings.push(Warning {
                    layer: None,
                    path,
                    message: format!("unreadable: {e}"),
                });
                continue;
            }
        };
        match read_db(db, &path, &bytes) {
            Ok(r) => out.checksums.dbs.push(r),
            Err(message) => out.warnings.push(Warning {
                layer: None,
                path,
                message,
            }),
        }
    }
    out
}

/// Directories that merged-/usr systems reach through `/bin -> usr/bin` and the like: dpkg
/// still records `/bin/ls` while the layer holds `usr/bin/ls`.
const MERGED_USR: &[&str] = &["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"];

/// The merged-/usr directory `path` is, if it is one.
fn merged_dir(path: &str) -> Option<&'static str> {
    MERGED_USR.iter().copied().find(|d| *d == path)
}

/// Whether a symlink at `dir` with target `target` points at `/usr<dir>`.
fn links_into_usr(dir: &str, target: &[u8]) -> bool {
    let t = String::from_utf8_lossy(target);
    let t = t.trim_end_matches('/');
    t == format!("usr{dir}") || t == format!("/usr{dir}")
}

#[derive(Debug)]
struct Owned {
    digest: FileDigest,
    package: u32,
    db: u32,
    /// Reached through the merged-/usr alias of this directory (`/bin` for a `/usr/bin/ls`
    /// that a database records as `/bin/ls`).
    alias: Option<&'static str>,
}

#[derive(Debug, Default)]
struct LayerIndex {
    files: HashMap<String, Owned>,
    dbs: HashSet<u32>,
    /// The layer's databases were not read (see [`OsChecksums::read`]).
    unknown: bool,
    merged_usr: Vec<String>,
    /// What the layer deletes, indexed once: every file check asks it.
    deletions: Deletions,
}

/// Every layer's recorded file digests, for looking a file up as of its own layer.
#[derive(Debug, Default)]
pub struct OsFileIndex {
    layers: Vec<LayerIndex>,
    packages: Vec<String>,
    db_paths: Vec<String>,
}

/// What the index says about one file.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Byte for byte what its package installed.
    Verified,
    /// Owned by a package, but the bytes differ; `report` is false where a difference is
    /// expected or ownership is uncertain (under `/etc`, or reached through a merged-/usr
    /// alias in an image whose `/bin` and friends are not symlinks into `/usr`), and the
    /// file is then only scanned.
    Modified {
        /// The `os-file-modified` detection.
        detection: Box<Detection>,
        /// Whether to report it (files under `/etc` are expected to change).
        report: bool,
    },
    /// No database lists it.
    Unowned,
    /// Its database's digest matches, but a lower layer already had the path: a rewrite in a
    /// later layer, which the database does not vouch for (scanned, not reported).
    Rewritten,
}

impl OsFileIndex {
    pub(crate) fn new(layers: &[&LayerDbs]) -> Self {
        let mut idx = OsFileIndex::default();
        let mut db_ids: HashMap<String, u32> = HashMap::new();
        for l in layers {
            let mut li = LayerIndex {
                unknown: !l.checksums.read,
                merged_usr: l.checksums.merged_usr.clone(),
                deletions: Deletions::of(&l.whiteouts, &l.opaque_dirs),
                ..LayerIndex::default()
            };
            let mut aliases = Vec::new();
            for r in &l.checksums.dbs {
                let next = db_ids.len() as u32;
                let db = *db_ids.entry(r.path.clone()).or_insert_with(|| {
                    idx.db_paths.push(r.path.clone());
                    next
                });
                li.dbs.insert(db);
                for p in &r.packages {
                    let package = idx.packages.len() as u32;
                    idx.packages.push(p.package.clone());
                    for (path, digest) in &p.files {
                        let owned = |alias| Owned {
                            digest: digest.clone(),
                            package,
                            db,
                            alias,
                        };
                        let dir = MERGED_USR.iter().copied().find(|d| {
                            path.strip_prefix(d)
                                .is_some_and(|rest| rest.starts_with('/'))
                        });
                        if let Some(dir) = dir {
                            aliases.push((format!("/usr{path}"), owned(Some(dir))));
                        }
                        li.files.insert(path.clone(), owned(None));
                    }
                }
            }
            // A path a database names itself wins over an alias of another.
            for (path, o) in aliases {
                li.files.entry(path).or_insert(o);
            }
            idx.layers.push(li);
        }
        idx
    }

    /// Whether the index has anything to check against.
    pub fn is_empty(&self) -> bool {
        self.layers.iter().all(|l| l.files.is_empty())
    }

    /// The owner of `path` as layer `layer` (0-based) sees it.
    fn owner(&self, layer: usize, path: &str) -> Option<&Owned> {
        let top = layer.min(self.layers.len().checked_sub(1)?);
        for j in (0..=top).rev() {
            // A layer whose databases are unknown may have changed what owns the path.
            if self.layers[j].unknown {
                return None;
            }
            let Some(o) = self.layers[j].files.get(path) else {
                continue;
            };
            let db = &self.db_paths[o.db as usize];
            // A database rewritten or deleted above the one that listed the path no longer
            // vouches for it (had the new one listed it, the loop would have stopped there).
            let stale = self.layers[j + 1..=top]
                .iter()
                .any(|l| l.dbs.contains(&o.db) || l.deletions.deletes(db));
            return (!stale).then_some(o);
        }
        None
    }

    /// Whether a database of a layer below `layer` listed `path`: the file existed before and
    /// this write replaces it.
    fn listed_below(&self, layer: usize, path: &str) -> bool {
        self.layers[..layer.min(self.layers.len())]
            .iter()
            .any(|l| l.files.contains_key(path))
    }

    /// Checks the file `path` of layer `layer` (0-based) against its package's digest.
    pub fn check(&self, layer: usize, path: &str, bytes: &[u8]) -> Verdict {
        let Some(o) = self.owner(layer, path) else {
            return Verdict::Unowned;
        };
        let actual: Vec<u8> = match o.digest {
            FileDigest::Md5(_) => md5::Md5::digest(bytes).to_vec(),
            FileDigest::Sha1(_) => sha1::Sha1::digest(bytes).to_vec(),
            FileDigest::Sha256(_) => sha2::Sha256::digest(bytes).to_vec(),
        };
        if actual == o.digest.bytes() {
            return if self.listed_below(layer, path) {
                Verdict::Rewritten
            } else {
                Verdict::Verified
            };
        }
        let db = &self.db_paths[o.db as usize];
        let manager = ChecksumDb::at(db).map_or("package", ChecksumDb::manager);
        let package = &self.packages[o.package as usize];
        let detection = Detection {
            target: path.to_string(),
            kind: DetectionKind::OsFileModified,
            rule: "os-file-modified".into(),
            description: format!(
                "differs from what {manager} package {package} installed (a system file \
                 replaced after installation: a trojanised binary, or a patch outside the \
                 package manager)"
            ),
            source: db.clone(),
            severity: Severity::Medium,
            matched: format!(
                "{alg} {} (recorded {})",
                hex::encode(&actual),
                hex::encode(o.digest.bytes()),
                alg = o.digest.algorithm()
            ),
            layer: None,
            deleted_in: None,
        };
        // Through an alias the owner is certain only where the image does merge /usr.
        let certain = o.alias.is_none_or(|dir| {
            self.layers[..=layer.min(self.layers.len() - 1)]
                .iter()
                .any(|l| l.merged_usr.iter().any(|m| m == dir))
        });
        Verdict::Modified {
            detection: Box::new(detection),
            report: certain && !path.starts_with("/etc/"),
        }
    }
}

/// The malware scanner on one file: files verified against their package are skipped
/// (`None`), modified ones reported, everything else scanned.
pub(crate) fn scan_file(
    session: &mut hull_malware::Session<'_>,
    verify: Option<(&OsFileIndex, usize)>,
    path: &str,
    bytes: &[u8],
) -> Option<hull_malware::FileScan> {
    let mut modified = None;
    if let Some((index, layer)) = verify {
        match index.check(layer, path, bytes) {
            Verdict::Verified => return None,
            Verdict::Modified {
                detection,
                report: true,
            } => modified = Some(*detection),
            _ => {}
        }
    }
    let mut r = session.scan(path, bytes);
    r.detections.extend(modified);
    Some(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn md5(b: &[u8]) -> FileDigest {
        FileDigest::Md5(md5::Md5::digest(b).into())
    }

    /// `(database, package, [(path, content)])`.
    type Db<'a> = (&'a str, &'a str, Vec<(&'a str, &'a [u8])>);

    fn layer(dbs: Vec<Db<'_>>, whiteouts: &[&str]) -> LayerDbs {
        LayerDbs {
            checksums: OsChecksums {
                dbs: dbs
                    .into_iter()
                    .map(|(db, pkg, files)| DbRecord {
                        path: db.into(),
                        packages: vec![PackageFiles {
                            package: pkg.into(),
                            files: files.into_iter().map(|(p, b)| (p.into(), md5(b))).collect(),
                        }],
                    })
                    .collect(),
                merged_usr: vec![],
                read: true,
            },
            whiteouts: whiteouts.iter().map(|s| s.to_string()).collect(),
            ..LayerDbs::default()
        }
    }

    const LS: &str = "/var/lib/dpkg/info/coreutils.md5sums";

    #[test]
    fn verdicts_follow_the_layers() {
        let l0 = layer(
            vec![(
                LS,
                "coreutils",
                vec![("/bin/ls", b"v1"), ("/usr/bin/id", b"id")],
            )],
            &[],
        );
        // Layer 1 upgrades coreutils: the database is rewritten without /usr/bin/id.
        let l1 = layer(vec![(LS, "coreutils", vec![("/bin/ls", b"v2")])], &[]);
        // Layer 2 changes nothing in the databases.
        let l2 = layer(vec![], &[]);
        // Layer 3 removes the package.
        let l3 = layer(vec![], &[LS]);
        let idx = OsFileIndex::new(&[&l0, &l1, &l2, &l3]);
        assert_eq!(idx.check(0, "/bin/ls", b"v1"), Verdict::Verified);
        // The upgrade rewrites a file a lower layer had: scanned, not vouched for (issue #23).
        assert_eq!(idx.check(1, "/bin/ls", b"v2"), Verdict::Rewritten);
        // Merged /usr: the layer holds usr/bin/ls.
        assert_eq!(idx.check(0, "/usr/bin/ls", b"v1"), Verdict::Verified);
        match idx.check(2, "/bin/ls", b"trojan") {
            Verdict::Modified { detection, report } => {
                assert!(report);
                assert_eq!(detection.kind, DetectionKind::OsFileModified);
                assert_eq!(detection.source, LS);
                assert!(detection.description.contains("dpkg package coreutils"));
            }
            v => panic!("{v:?}"),
        }
        // Through the alias the difference is not reported: this image does not merge /usr.
        assert!(matches!(
            idx.check(2, "/usr/bin/ls", b"trojan"),
            Verdict::Modified { report: false, .. }
        ));
        // The upgrade's database no longer lists /usr/bin/id: unowned from layer 1 on.
        assert!(matches!(
            idx.check(0, "/usr/bin/id", b"x"),
            Verdict::Modified { .. }
        ));
        assert_eq!(idx.check(1, "/usr/bin/id", b"x"), Verdict::Unowned);
        // After the removal nothing vouches for /bin/ls.
        assert_eq!(idx.check(3, "/bin/ls", b"v2"), Verdict::Unowned);
        assert_eq!(idx.check(0, "/opt/app", b"x"), Verdict::Unowned);
    }

    /// Issue #23: a later layer that rewrites a binary and its md5sums line together was
    /// skipped as verified.
    #[test]
    fn a_binary_rewritten_with_its_record_in_a_later_layer_is_scanned() {
        let l0 = layer(vec![(LS, "coreutils", vec![("/bin/ls", b"v1")])], &[]);
        let l1 = layer(vec![(LS, "coreutils", vec![("/bin/ls", b"trojan")])], &[]);
        let idx = OsFileIndex::new(&[&l0, &l1]);
        assert_eq!(idx.check(0, "/bin/ls", b"v1"), Verdict::Verified);
        assert_eq!(idx.check(1, "/bin/ls", b"trojan"), Verdict::Rewritten);
        // A file new in the later layer, with its record there, is a first write.
        let l1 = layer(
            vec![(
                LS,
                "coreutils",
                vec![("/bin/ls", b"v1"), ("/bin/new", b"n")],
            )],
            &[],
        );
        let idx = OsFileIndex::new(&[&l0, &l1]);
        assert_eq!(idx.check(1, "/bin/new", b"n"), Verdict::Verified);
    }

    #[test]
    fn merged_usr_aliases_are_certain_where_bin_links_into_usr() {
        let mut l0 = layer(vec![(LS, "coreutils", vec![("/bin/ls", b"v1")])], &[]);
        l0.checksums.merged_usr.push("/bin".into());
        let idx = OsFileIndex::new(&[&l0]);
        assert_eq!(idx.check(0, "/usr/bin/ls", b"v1"), Verdict::Verified);
        assert!(matches!(
            idx.check(0, "/usr/bin/ls", b"trojan"),
            Verdict::Modified { report: true, .. }
        ));
        assert!(links_into_usr("/bin", b"usr/bin"));
        assert!(links_into_usr("/lib64", b"/usr/lib64/"));
        assert!(!links_into_usr("/bin", b"../tmp"));
    }

    #[test]
    fn a_layer_not_read_makes_the_files_above_it_unverifiable() {
        let l0 = layer(vec![(LS, "coreutils", vec![("/bin/ls", b"v1")])], &[]);
        let unknown = LayerDbs::default();
        let l2 = layer(vec![], &[]);
        let idx = OsFileIndex::new(&[&l0, &unknown, &l2]);
        assert_eq!(idx.check(0, "/bin/ls", b"v1"), Verdict::Verified);
        // Layer 1 may have upgraded or removed coreutils: neither skipped nor reported.
        assert_eq!(idx.check(1, "/bin/ls", b"v2"), Verdict::Unowned);
        assert_eq!(idx.check(2, "/bin/ls", b"v1"), Verdict::Unowned);
    }

    #[test]
    fn etc_differences_are_not_reported() {
        let l0 = layer(
            vec![(
                "/lib/apk/db/installed",
                "alpine-baselayout",
                vec![("/etc/passwd", b"a")],
            )],
            &[],
        );
        let idx = OsFileIndex::new(&[&l0]);
        assert!(matches!(
            idx.check(0, "/etc/passwd", b"b"),
            Verdict::Modified { report: false, .. }
        ));
    }
}
