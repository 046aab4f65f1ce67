//! A root filesystem directory (`debootstrap` output, a mounted image, a source tree) scanned
//! as one layer. Symlinks are never followed, so nothing outside the directory is read.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use hull_analyzer::registry::Scope;
use hull_image::Limits;

use crate::scan::{
    analyze_file, wanted_bound, FileRecord, LayerResult, ScanError, SecretOptions, Warning,
};

/// Directory depth beyond which nothing is read (a guard against pathological trees).
const MAX_DEPTH: usize = 64;

pub(crate) fn scan_dir(
    root: &Path,
    limits: &Limits,
    secrets: Option<&SecretOptions>,
    malware: Option<&hull_malware::Detector>,
) -> Result<LayerResult, ScanError> {
    let mut found = Vec::new();
    let mut detections = Vec::new();
    let mut session = malware.map(|d| (d.max_file(), d.session()));
    let dbs = malware
        .filter(|d| d.verifies_os_files())
        .map(|_| crate::verify::read_dir_dbs(root));
    let index = dbs.as_ref().map(|d| crate::verify::OsFileIndex::new(&[d]));
    let mut files = BTreeMap::new();
    let mut warnings: Vec<Warning> = dbs.iter().flat_map(|d| d.warnings.clone()).collect();
    let mut seen = 0u64;
    let mut verified = 0u64;
    let mut stack = vec![(root.to_path_buf(), String::new(), 0usize)];
    while let Some((dir, rel, depth)) = stack.pop() {
        let rd = match std::fs::read_dir(&dir) {
            Ok(rd) => rd,
            Err(e) if depth == 0 => {
                return Err(ScanError::Io {
                    path: dir.display().to_string(),
                    source: e,
                })
            }
            Err(e) => {
                warnings.push(Warning {
                    layer: None,
                    path: rel.clone(),
                    message: format!("unreadable directory: {e}"),
                });
                continue;
            }
        };
        for entry in rd.flatten() {
            seen += 1;
            if seen > limits.max_entries {
                warnings.push(Warning {
                    layer: None,
                    path: rel.clone(),
                    message: "too many entries; rest not read".into(),
                });
                stack.clear();
                break;
            }
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = format!("{rel}/{name}");
            // file_type() does not follow symlinks.
            let Ok(ft) = entry.file_type() else { continue };
            if ft.is_dir() {
                if depth < MAX_DEPTH {
                    stack.push((entry.path(), path, depth + 1));
                }
                continue;
            }
            let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
            let analyzers = wanted_bound(&path, Scope::Directory, size);
            let bound = analyzers
                .max(secrets.and_then(|s| s.bound(&path, size)))
                .max(session.as_ref().map(|(max, _)| *max));
            let Some(bound) = bound else {
                continue;
            };
            if !ft.is_file() {
                files.insert(
                    path.clone(),
                    FileRecord {
                        path,
                        outputs: vec![],
                    },
                );
                continue;
            }
            let mut bytes = Vec::new();
            let read = std::fs::File::open(entry.path())
                .and_then(|f| f.take(bound + 1).read_to_end(&mut bytes));
            match read {
                Err(e) => warnings.push(Warning {
                    layer: None,
                    path,
                    message: format!("unreadable: {e}"),
                }),
                Ok(_) if bytes.len() as u64 > bound => warnings.push(Warning {
                    layer: None,
                    path,
                    message: format!("file exceeds the {bound}-byte bound; not read"),
                }),
                Ok(_) => {
                    if let Some(s) = secrets {
                        found.extend(s.scan(&path, &bytes));
                    }
                    if let Some((_, session)) = &mut session {
                        let verify = index.as_ref().map(|i| (i, 0));
                        match crate::verify::scan_file(session, verify, &path, &bytes) {
                            Some(r) => {
                                detections.extend(r.detections);
                                warnings.extend(r.warnings.into_iter().map(|message| Warning {
                                    layer: None,
                                    path: path.clone(),
                                    message,
                                }));
                            }
                            None => verified += 1,
                        }
                    }
                    if analyzers.is_some() {
                        let rec = analyze_file(&path, &bytes, Scope::Directory);
                        warnings.extend(rec.warnings(&None));
                        files.insert(path, rec);
                    }
                }
            }
        }
    }
    Ok(LayerResult {
        files: files.into_values().collect(),
        warnings,
        secrets: found,
        detections,
        os_files_verified: verified,
        ..LayerResult::default()
    })
}
