//! A root filesystem directory (`debootstrap` output, a mounted image, a source tree) scanned
//! as one layer, through the same per-file dispatch and malware workers as an image layer.

use std::io::Read;
use std::path::Path;

use hull_analyzer::registry::Scope;
use hull_image::Limits;
use hull_types::Warning;

use crate::dirwalk::DirWalk;
use crate::dispatch::{Collected, Dispatch, SecretOptions};
use crate::model::LayerResult;
use crate::pool::{self, Feeder, PoolResult};
use crate::verify::{self, OsFileIndex};
use crate::ScanError;

/// Directory depth beyond which nothing is read (a guard against pathological trees).
const MAX_DEPTH: usize = 64;

pub(crate) fn scan_dir(
    root: &Path,
    limits: &Limits,
    secrets: Option<&SecretOptions>,
    malware: Option<&hull_malware::Detector>,
) -> Result<LayerResult, ScanError> {
    let dbs = malware
        .filter(|d| d.verifies_os_files())
        .map(|_| verify::read_dir_dbs(root));
    let index = dbs.as_ref().map(|d| OsFileIndex::new(&[d]));
    let walk = |feeder: Option<&Feeder<'_>>| {
        let dispatch = Dispatch {
            scope: Scope::Directory,
            secrets,
            malware: feeder,
            max_packages: limits.max_packages,
        };
        let mut out = Collected::default();
        let walked = DirWalk {
            max_depth: MAX_DEPTH,
            max_entries: limits.max_entries,
            skip_dirs: &[],
            leading_slash: true,
        }
        .run(root, |f| {
            let size = f.entry.metadata().map(|m| m.len()).unwrap_or(0);
            let Some(bound) = dispatch.wants(&f.rel, size) else {
                return;
            };
            if !f.file_type.is_file() {
                if dispatch.wants_tombstone(&f.rel) {
                    dispatch.not_regular(&f.rel, &mut out);
                }
                return;
            }
            let mut bytes = Vec::new();
            let read = std::fs::File::open(f.entry.path())
                .and_then(|file| file.take(bound + 1).read_to_end(&mut bytes));
            match read {
                Err(e) => out.warnings.push((f.rel, format!("unreadable: {e}"))),
                Ok(_) if bytes.len() as u64 > bound => out.warnings.push((
                    f.rel,
                    format!("file exceeds the {bound}-byte bound; not read"),
                )),
                Ok(_) => dispatch.file(&f.rel, &bytes, &mut out),
            }
        });
        walked.map(|w| {
            out.warnings.extend(w);
            out
        })
    };
    let (walked, found) = match malware {
        Some(detector) => pool::with_workers(
            detector,
            index.as_ref().map(|i| (i, 0)),
            pool::workers(),
            |f| walk(Some(f)),
        ),
        None => (walk(None), PoolResult::default()),
    };
    let out = walked.map_err(|e| ScanError::Io {
        path: root.display().to_string(),
        source: e,
    })?;
    if out.too_many_packages {
        return Err(ScanError::TooManyPackages {
            layer: root.display().to_string(),
            limit: limits.max_packages,
        });
    }
    let mut warnings: Vec<Warning> = dbs.iter().flat_map(|d| d.warnings.clone()).collect();
    warnings.extend(
        out.warnings
            .into_iter()
            .chain(found.warnings)
            .map(|(path, message)| Warning {
                layer: None,
                path,
                message,
            }),
    );
    warnings.extend(out.files.values().flat_map(|f| f.warnings(&None)));
    Ok(LayerResult {
        files: out.files.into_values().collect(),
        warnings,
        secrets: out.secrets,
        detections: found.detections,
        os_files_verified: found.verified,
        ..LayerResult::default()
    })
}
