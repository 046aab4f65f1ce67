//! Reading an image's layers: each uncached layer's tar walked once (layers in parallel),
//! its files handed to the per-file dispatch, the result stored in the layer cache; then
//! the layers merged bottom to top into the inventory, and every layer's secrets and
//! detections attributed to their layer.

use std::io::Read;
use std::sync::Arc;

use hull_analyzer::registry;
use hull_image::{walk_layer, Entry, EntryKind, Image, ImageLayer, Limits, SourceKind, Visit};
use hull_types::{ImageSummary, LayerInfo, ReportParts, Warning};
use rayon::prelude::*;

use crate::attribution::Attribution;
use crate::dispatch::{Collected, Dispatch, SecretOptions};
use crate::model::{LayerResult, ModeRecord};
use crate::pool::{self, Feeder, PoolResult};
use crate::verify::{self, LayerDbs, OsFileIndex};
use crate::{merge, rootfs, Cache, Progress, ScanError};

/// What to read layers with.
#[derive(Clone, Default)]
pub(crate) struct LayerOptions {
    /// `None` disables the layer cache.
    pub cache: Option<Cache>,
    pub limits: Limits,
    pub progress: Option<Arc<dyn Progress>>,
    /// `None`: no secret scanning.
    pub secrets: Option<SecretOptions>,
    /// Called with each layer's result as soon as it is ready (from a worker thread, in no
    /// particular order), so work that needs only one layer can overlap the others:
    /// advisory lookups for the packages the layer lists, say.
    pub on_layer: Option<Arc<LayerHook>>,
    /// Malware and IoC detection over every regular file (`None`: neither scanner runs).
    pub malware: Option<Arc<hull_malware::Detector>>,
}

/// See [`LayerOptions::on_layer`].
pub(crate) type LayerHook = dyn Fn(&LayerResult) + Send + Sync;

/// An image's layers read and merged: the summary and the parts of its report, and the
/// special file modes that survive (input to the image configuration checks).
pub(crate) struct Scanned {
    pub image: ImageSummary,
    pub parts: ReportParts,
    pub modes: Vec<(usize, ModeRecord)>,
}

/// Hands one layer's tar entries to the dispatch.
struct LayerVisitor<'f, 'p> {
    dispatch: Dispatch<'f, 'p>,
    out: Collected,
}

impl Visit for LayerVisitor<'_, '_> {
    fn wants(&self, path: &str, size: u64) -> Option<u64> {
        self.dispatch.wants(path, size)
    }
    fn wants_tombstone(&self, path: &str) -> bool {
        self.dispatch.wants_tombstone(path)
    }
    fn entry(&mut self, e: Entry<'_>) {
        match e.kind {
            EntryKind::File => self.dispatch.file(e.path, e.bytes, &mut self.out),
            EntryKind::NotRegular => self.dispatch.not_regular(e.path, &mut self.out),
            EntryKind::Whiteout => self.out.whiteouts.push(e.path.to_string()),
            EntryKind::OpaqueDir => self.out.opaque.push(e.path.to_string()),
        }
    }
    fn warning(&mut self, path: &str, message: String) {
        self.out.warnings.push((path.to_string(), message));
    }
    fn special_mode(&mut self, path: &str, mode: u32, is_dir: bool) {
        if hull_config::image::wants_mode(path, mode, is_dir) {
            self.out.modes.push(ModeRecord {
                path: path.to_string(),
                mode,
                is_dir,
            });
        }
    }
}

/// Counts blob bytes for the progress bar.
struct Counting<R> {
    inner: R,
    progress: Option<Arc<dyn Progress>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(p) = &self.progress {
            p.advance(n as u64);
        }
        Ok(n)
    }
}

fn scan_layer(
    image: &Image,
    layer: &ImageLayer,
    opts: &LayerOptions,
    verify: Option<(&OsFileIndex, LayerDbs)>,
) -> Result<LayerResult, ScanError> {
    // The stamp is taken before reading, so a file changed mid-read never gets vouched for.
    let stamp = image.stamp(layer);
    let label = image.layer_label(layer);
    let walk = |feeder: Option<&Feeder<'_>>| {
        let raw = Counting {
            inner: image.open_layer(layer)?,
            progress: opts.progress.clone(),
        };
        let mut v = LayerVisitor {
            dispatch: Dispatch {
                scope: registry::Scope::Image,
                secrets: opts.secrets.as_ref(),
                malware: feeder,
                max_packages: opts.limits.max_packages,
            },
            out: Collected::default(),
        };
        let digests = walk_layer(
            raw,
            &label,
            layer.blob.as_ref(),
            Some(&layer.diff_id),
            &opts.limits,
            &mut v,
        )?;
        Ok::<_, ScanError>((digests, v.out))
    };
    let (walked, found) = match opts.malware.as_deref() {
        Some(detector) => {
            let index = verify.as_ref().map(|(index, _)| (*index, layer.index));
            pool::with_workers(detector, index, pool::workers(), |f| walk(Some(f)))
        }
        None => (walk(None), PoolResult::default()),
    };
    let (digests, v) = walked?;
    if v.too_many_packages {
        return Err(ScanError::TooManyPackages {
            layer: label,
            limit: opts.limits.max_packages,
        });
    }
    let layer_id = Some(digests.diff_id.clone());
    let mut warnings: Vec<Warning> = v
        .warnings
        .into_iter()
        .chain(found.warnings)
        .map(|(path, message)| Warning {
            layer: layer_id.clone(),
            path,
            message,
        })
        .collect();
    warnings.extend(v.files.values().flat_map(|f| f.warnings(&layer_id)));
    let (os_checksums, db_warnings) = verify
        .map(|(_, dbs)| (dbs.checksums, dbs.warnings))
        .unwrap_or_default();
    warnings.extend(db_warnings);
    let result = LayerResult {
        diff_id: layer_id,
        files: v.files.into_values().collect(),
        whiteouts: v.whiteouts,
        opaque_dirs: v.opaque,
        warnings,
        size: digests.size,
        compressed_size: digests.compressed_size,
        compression: Some(digests.compression),
        modes: v.modes,
        secrets: v.secrets,
        detections: found.detections,
        os_checksums,
        os_files_verified: found.verified,
    };
    // Secrets in the clear never go to disk.
    let show = opts.secrets.as_ref().is_some_and(|s| s.show);
    if let (Some(cache), false) = (&opts.cache, show) {
        cache.store(stamp.as_ref(), &digests.blob, &digests.diff_id, &result)?;
    }
    Ok(result)
}

/// Reads every layer (cached ones from the cache), in parallel.
fn read_layers(
    image: &Image,
    opts: &LayerOptions,
) -> Result<(Vec<LayerResult>, Vec<bool>), ScanError> {
    if image.kind == SourceKind::Rootfs {
        let root = image.rootfs.as_deref().ok_or_else(|| ScanError::Io {
            path: image.name.clone(),
            source: std::io::Error::other("a root filesystem image without its directory"),
        })?;
        let r = rootfs::scan_dir(
            root,
            &opts.limits,
            opts.secrets.as_ref(),
            opts.malware.as_deref(),
        )?;
        return Ok((vec![r], vec![false]));
    }
    let hits: Vec<Option<LayerResult>> = image
        .layers
        .iter()
        .map(|l| {
            let cache = opts.cache.as_ref()?;
            let stamp = image.stamp(l)?;
            cache.lookup(&stamp, l.blob.as_ref(), &l.diff_id)
        })
        .collect();
    let verify = verify_index(image, opts, &hits)?;
    if let Some(p) = &opts.progress {
        let todo: Vec<&ImageLayer> = image
            .layers
            .iter()
            .zip(&hits)
            .filter(|(_, h)| h.is_none())
            .map(|(l, _)| l)
            .collect();
        p.start(todo.iter().filter_map(|l| l.size).sum(), todo.len());
    }
    let results: Vec<Result<(LayerResult, bool), ScanError>> = image
        .layers
        .par_iter()
        .zip(hits.into_par_iter())
        .map(|(l, hit)| {
            let r = match hit {
                Some(r) => Ok((r, true)),
                None => {
                    let v = verify
                        .as_ref()
                        .map(|(index, dbs)| (index, dbs[l.index].clone().unwrap_or_default()));
                    scan_layer(image, l, opts, v).map(|r| (r, false))
                }
            };
            if let (Some(hook), Ok((r, _))) = (&opts.on_layer, &r) {
                hook(r);
            }
            if let Some(p) = &opts.progress {
                p.layer_done();
            }
            r
        })
        .collect();
    if let Some(p) = &opts.progress {
        p.finish();
    }
    Ok(results
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .unzip())
}

/// Scans an image: layers in parallel (cached ones skipped), merged into an inventory, with
/// each layer's secrets and detections attributed.
pub(crate) fn scan_image(image: &Image, opts: &LayerOptions) -> Result<Scanned, ScanError> {
    let (results, cached) = read_layers(image, opts)?;
    let merged = merge::merge(&results);
    let (packages, os, os_owned) = merge::inventory(&merged);
    let warnings: Vec<Warning> = results.iter().flat_map(|r| r.warnings.clone()).collect();
    let claimed = image.layers.iter().map(|l| l.diff_id.clone()).collect();
    let attribution = Attribution::new(&results, claimed, image.kind == SourceKind::Rootfs);

    let cfg = &image.config;
    let layers = image
        .layers
        .iter()
        .zip(results.iter().zip(&cached))
        .map(|(l, (r, c))| LayerInfo {
            index: l.index,
            diff_id: l.diff_id.clone(),
            digest: l.blob.clone(),
            size: r.size,
            // The bytes read, never the size a manifest claims (a hostile one says
            // 9223372036854775807).
            compressed_size: Some(r.compressed_size)
                .filter(|n| *n > 0)
                .or(l.size.filter(|_| l.blob.is_some())),
            created_by: l.created_by.clone(),
            cached: *c,
        })
        .collect();
    let mut exposed_ports: Vec<String> = cfg
        .config
        .exposed_ports
        .as_ref()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    exposed_ports.sort();
    Ok(Scanned {
        image: ImageSummary {
            name: image.name.clone(),
            source: image.kind,
            manifest_digest: image.manifest_digest.clone(),
            image_id: image.config_digest.clone(),
            repo_tags: image.repo_tags.clone(),
            os,
            architecture: cfg.architecture.clone(),
            created: cfg.created.clone(),
            user: cfg.config.user.clone().filter(|u| !u.is_empty()),
            entrypoint: cfg.config.entrypoint.clone(),
            cmd: cfg.config.cmd.clone(),
            exposed_ports,
            layers,
        },
        parts: ReportParts {
            packages,
            warnings,
            os_owned,
            secrets: attribution.secrets(),
            detections: attribution.detections(),
            os_files_verified: results.iter().map(|r| r.os_files_verified).sum(),
            ..ReportParts::default()
        },
        modes: attribution.surviving_modes(),
    })
}

/// The OS file index for `--skip-verified-os-files`, with each uncached layer's databases
/// (the first pass; cached layers bring theirs from the cache). `None` when the malware
/// scanner is off or does not verify.
#[allow(clippy::type_complexity)]
fn verify_index(
    image: &Image,
    opts: &LayerOptions,
    hits: &[Option<LayerResult>],
) -> Result<Option<(OsFileIndex, Vec<Option<LayerDbs>>)>, ScanError> {
    if !opts
        .malware
        .as_deref()
        .is_some_and(hull_malware::Detector::verifies_os_files)
    {
        return Ok(None);
    }
    let read: Vec<Option<LayerDbs>> = image
        .layers
        .par_iter()
        .zip(hits.par_iter())
        .map(|(l, hit)| match hit {
            Some(_) => Ok(None),
            None => verify::read_layer_dbs(image, l, &opts.limits).map(Some),
        })
        .collect::<Result<_, _>>()?;
    let from_cache: Vec<Option<LayerDbs>> = hits
        .iter()
        .map(|h| {
            h.as_ref().map(|r| LayerDbs {
                checksums: r.os_checksums.clone(),
                whiteouts: r.whiteouts.clone(),
                opaque_dirs: r.opaque_dirs.clone(),
                warnings: vec![],
            })
        })
        .collect();
    let layers: Vec<&LayerDbs> = read
        .iter()
        .zip(&from_cache)
        .filter_map(|(a, b)| a.as_ref().or(b.as_ref()))
        .collect();
    let index = OsFileIndex::new(&layers);
    Ok(Some((index, read)))
}
