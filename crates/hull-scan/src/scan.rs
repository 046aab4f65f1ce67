use std::collections::BTreeMap;
use std::io::Read;
use std::sync::Arc;

use hull_analyzer::{registry, FileInput, Output};
use hull_image::{
    walk_layer, Compression, Entry, EntryKind, Image, ImageError, LayerRef, Limits, SourceKind,
    Visit,
};
use hull_types::{
    Detection, Digest, LayerRef as LayerId, Misconfiguration, NotMatched, OsRelease, Package,
    Secret, Vulnerability,
};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::pool::{self, Feeder, PoolResult};
use crate::verify::{self, LayerDbs, OsFileIndex};
use crate::{merge, rootfs, Cache};

/// Reports progress of long work; the front-end decides how (and whether) to show it.
pub trait Progress: Send + Sync {
    /// `total` bytes of layer blobs are about to be read (cached layers excluded).
    fn start(&self, total: u64, layers: usize);
    /// `n` more blob bytes were read.
    fn advance(&self, n: u64);
    /// One layer is done.
    fn layer_done(&self);
    fn finish(&self);
}

/// What to scan with.
#[derive(Clone, Default)]
pub struct ScanOptions {
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

/// See [`ScanOptions::on_layer`].
pub type LayerHook = dyn Fn(&LayerResult) + Send + Sync;

impl LayerResult {
    /// The packages this layer's files list and the OS release it states, before any
    /// merge with the other layers.
    pub fn packages_and_os(&self) -> (Vec<Package>, Option<OsRelease>) {
        let mut packages = Vec::new();
        let mut os: Option<&hull_analyzer::OsCandidate> = None;
        for f in &self.files {
            for o in f.outputs.iter().filter_map(|o| o.output.as_ref()) {
                packages.extend(o.packages.iter().cloned());
                if let Some(c) = &o.os {
                    if os.is_none_or(|b| c.rank < b.rank) {
                        os = Some(c);
                    }
                }
            }
        }
        (packages, os.map(|c| c.release.clone()))
    }
}

/// Secret scanning: the compiled rules, the largest file scanned, and whether secrets may
/// appear in the clear (then nothing is written to the layer cache).
#[derive(Clone)]
pub struct SecretOptions {
    pub rules: Arc<hull_secret::RuleSet>,
    pub max_file: u64,
    pub show: bool,
}

impl SecretOptions {
    /// Scans one file's bytes into layer records (redacted unless `show`).
    pub(crate) fn scan(&self, path: &str, bytes: &[u8]) -> Vec<LayerSecret> {
        self.scan_as(path, path, bytes)
    }

    /// Scans `bytes` as if they were the file `as_path` (for the rules), reporting them as
    /// `shown`.
    pub(crate) fn scan_as(&self, as_path: &str, shown: &str, bytes: &[u8]) -> Vec<LayerSecret> {
        self.rules
            .scan(as_path, bytes)
            .into_iter()
            .map(|m| LayerSecret {
                path: shown.to_string(),
                line: m.line,
                column: m.column,
                redacted: hull_secret::redact(&m.secret),
                fingerprint: hull_secret::fingerprint(&m.rule, shown, &m.secret),
                secret: self.show.then_some(m.secret),
                rule: m.rule,
                description: m.description,
                severity: m.severity,
            })
            .collect()
    }

    /// The read bound for `path` of `size` bytes, `None` when secrets do not read it.
    pub(crate) fn bound(&self, path: &str, size: u64) -> Option<u64> {
        (size <= self.max_file && self.rules.wants_path(path)).then_some(self.max_file)
    }
}

/// A secret as one layer records it (what the layer cache keeps: never the secret itself,
/// unless `--show-secrets`, which writes no cache).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LayerSecret {
    pub path: String,
    pub line: u32,
    pub column: u32,
    pub rule: String,
    pub description: String,
    pub severity: hull_types::Severity,
    pub redacted: String,
    pub fingerprint: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

/// One analyzer's result on one file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub analyzer: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<Output>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A wanted path in one layer. A record with no outputs is a tombstone: a symlink or other
/// non-regular entry that hides what lower layers had at that path.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRecord {
    pub path: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outputs: Vec<Finding>,
}

impl FileRecord {
    /// The analyzers' errors on this file, as warnings naming the layer and path.
    pub(crate) fn warnings<'a>(
        &'a self,
        layer: &'a Option<Digest>,
    ) -> impl Iterator<Item = Warning> + 'a {
        self.outputs.iter().filter_map(move |o| {
            o.error.as_ref().map(|e| Warning {
                layer: layer.clone(),
                path: self.path.clone(),
                message: format!("{}: {e}", o.analyzer),
            })
        })
    }
}

/// A problem with one file that did not stop the scan.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Warning {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<Digest>,
    pub path: String,
    pub message: String,
}

/// Everything hull keeps about one layer; this is what the layer cache stores.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerResult {
    /// The diff_id hull computed on the bytes (`None` for a root filesystem).
    pub diff_id: Option<Digest>,
    pub files: Vec<FileRecord>,
    pub whiteouts: Vec<String>,
    pub opaque_dirs: Vec<String>,
    pub warnings: Vec<Warning>,
    pub size: u64,
    pub compressed_size: u64,
    pub compression: Option<Compression>,
    /// Files and directories with setuid/setgid bits, and world-writable ones in system
    /// paths (for the configuration checks).
    #[serde(default)]
    pub modes: Vec<ModeRecord>,
    /// Secrets in this layer's files (when secret scanning ran).
    #[serde(default)]
    pub secrets: Vec<LayerSecret>,
    /// Malware and IoC detections in this layer's files (no layer set yet).
    #[serde(default)]
    pub detections: Vec<Detection>,
    /// The file digests this layer's package databases record (read when the malware
    /// scanner verifies OS files, so later layers can be checked against a cached one).
    #[serde(default, skip_serializing_if = "crate::verify::OsChecksums::is_empty")]
    pub os_checksums: crate::verify::OsChecksums,
    /// Files the malware scanner skipped because they match their OS package's digest.
    #[serde(default)]
    pub os_files_verified: u64,
}

/// A path with a mode the configuration checks care about.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ModeRecord {
    pub path: String,
    pub mode: u32,
    pub is_dir: bool,
}

/// One layer in the summary.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerInfo {
    pub index: usize,
    pub diff_id: Digest,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<Digest>,
    /// Uncompressed size in bytes.
    pub size: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compressed_size: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    /// Whether the result came from the layer cache.
    pub cached: bool,
}

/// What the image is, from its manifest and config.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageSummary {
    pub name: String,
    pub source: SourceKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manifest_digest: Option<Digest>,
    /// The config digest: the image ID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_id: Option<Digest>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub repo_tags: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub os: Option<OsRelease>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub architecture: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entrypoint: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cmd: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exposed_ports: Vec<String>,
    pub layers: Vec<LayerInfo>,
}

/// The result of a scan: the image summary, its packages and the per-file warnings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanReport {
    pub image: ImageSummary,
    pub packages: Vec<Package>,
    pub warnings: Vec<Warning>,
    /// Known vulnerabilities of the packages (filled by matching, when it runs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vulnerabilities: Vec<Vulnerability>,
    /// Packages that could not be checked, with the reason.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_matched: Vec<NotMatched>,
    /// Failed configuration checks (image config, Dockerfiles, Kubernetes manifests).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub misconfigurations: Vec<Misconfiguration>,
    /// Language packages left out because an OS package installed them, with the rule.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub os_owned: Vec<crate::merge::OsOwned>,
    /// Exposed secrets: in files (also files a later layer deleted), the config, the history.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<Secret>,
    /// Malware and indicators of compromise: in files (also deleted ones and inside
    /// archives), the config, the history.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub detections: Vec<Detection>,
    /// Files the malware scanner did not scan because their bytes match the digest their OS
    /// package recorded (`--skip-verified-os-files`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub os_files_verified: u64,
    /// Special file modes that survive later layers' whiteouts, with their layer index
    /// (input to the image configuration checks; not part of the report).
    #[serde(skip)]
    pub file_modes: Vec<(usize, ModeRecord)>,
}

#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error(transparent)]
    Image(#[from] ImageError),
    #[error(transparent)]
    Cache(#[from] crate::CacheError),
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// Runs every analyzer that wants a file and records what each said.
pub(crate) fn analyze_file(path: &str, bytes: &[u8], scope: registry::Scope) -> FileRecord {
    let size = bytes.len() as u64;
    let input = FileInput { path, bytes };
    let outputs = registry::wanting_sized(path, scope, size)
        .map(|a| match a.analyze(&input) {
            Ok(o) => Finding {
                analyzer: a.id().to_string(),
                output: Some(o),
                error: None,
            },
            Err(e) => Finding {
                analyzer: a.id().to_string(),
                output: None,
                error: Some(e.to_string()),
            },
        })
        .collect();
    FileRecord {
        path: path.to_string(),
        outputs,
    }
}

/// The largest size any analyzer wanting `path` accepts.
pub(crate) fn wanted_bound(path: &str, scope: registry::Scope, size: u64) -> Option<u64> {
    registry::wanting_sized(path, scope, size)
        .map(|a| a.max_size())
        .max()
}

/// What one layer's walk collects (everything but the malware scan, which runs on the
/// pool's workers).
#[derive(Default)]
struct Collected {
    secrets: Vec<LayerSecret>,
    modes: Vec<ModeRecord>,
    files: BTreeMap<String, FileRecord>,
    whiteouts: Vec<String>,
    opaque: Vec<String>,
    warnings: Vec<(String, String)>,
}

/// Collects one layer's walk into a [`LayerResult`].
struct LayerVisitor<'f> {
    secrets_opts: Option<SecretOptions>,
    /// Hands files to the malware scanner's workers.
    malware: Option<&'f Feeder<'f>>,
    out: Collected,
}

impl Visit for LayerVisitor<'_> {
    fn wants(&self, path: &str, size: u64) -> Option<u64> {
        let analyzers = wanted_bound(path, registry::Scope::Image, size);
        let secrets = self.secrets_opts.as_ref().and_then(|s| s.bound(path, size));
        let malware = self.malware.map(|f| f.max_file);
        analyzers.max(secrets).max(malware)
    }
    fn wants_tombstone(&self, path: &str) -> bool {
        // Whatever size of file an analyzer would read there (a Go binary's analyzer wants
        // at least 512 KiB), a link at the path hides the lower layers' file.
        registry::wanting_in(path, registry::Scope::Image)
            .next()
            .is_some()
    }
    fn entry(&mut self, e: Entry<'_>) {
        let out = &mut self.out;
        match e.kind {
            EntryKind::File => {
                if let Some(s) = &self.secrets_opts {
                    out.secrets.extend(s.scan(e.path, e.bytes));
                }
                if wanted_bound(e.path, registry::Scope::Image, e.bytes.len() as u64).is_some() {
                    out.files.insert(
                        e.path.to_string(),
                        analyze_file(e.path, e.bytes, registry::Scope::Image),
                    );
                }
                if let Some(feeder) = self.malware {
                    if e.bytes.len() as u64 <= feeder.max_file {
                        feeder.send(e.path, e.bytes.to_vec());
                    }
                }
            }
            EntryKind::NotRegular => {
                out.files.insert(
                    e.path.to_string(),
                    FileRecord {
                        path: e.path.to_string(),
                        outputs: vec![],
                    },
                );
            }
            EntryKind::Whiteout => out.whiteouts.push(e.path.to_string()),
            EntryKind::OpaqueDir => out.opaque.push(e.path.to_string()),
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
    layer: &LayerRef,
    opts: &ScanOptions,
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
            secrets_opts: opts.secrets.clone(),
            malware: feeder,
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
            pool::with_workers(detector, index, malware_workers(), |f| walk(Some(f)))
        }
        None => (walk(None), PoolResult::default()),
    };
    let (digests, v) = walked?;
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

/// Malware workers per layer: every core, since layers are walked side by side and one
/// large layer usually holds most of the bytes.
fn malware_workers() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// Scans an image: layers in parallel (cached ones skipped), merged into an inventory.
pub fn scan_image(image: &Image, opts: &ScanOptions) -> Result<ScanReport, ScanError> {
    let (results, cached): (Vec<LayerResult>, Vec<bool>) = if image.kind == SourceKind::Rootfs {
        let root = image
            .rootfs
            .as_deref()
            .expect("rootfs images carry their directory");
        (
            vec![rootfs::scan_dir(
                root,
                &opts.limits,
                opts.secrets.as_ref(),
                opts.malware.as_deref(),
            )?],
            vec![false],
        )
    } else {
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
            let todo: Vec<&LayerRef> = image
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
        results
            .into_iter()
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .unzip()
    };

    let merged = merge(&results);
    let (packages, os, os_owned) = merge::inventory(&merged);
    let mut warnings: Vec<Warning> = results.iter().flat_map(|r| r.warnings.clone()).collect();
    warnings.sort();
    warnings.dedup();

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
            compressed_size: l
                .size
                .filter(|_| l.blob.is_some())
                .or(Some(r.compressed_size)),
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
    Ok(ScanReport {
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
        packages,
        warnings,
        vulnerabilities: vec![],
        not_matched: vec![],
        misconfigurations: vec![],
        os_owned,
        secrets: layer_secrets(image, &results),
        detections: layer_detections(image, &results),
        os_files_verified: results.iter().map(|r| r.os_files_verified).sum(),
        file_modes: surviving_modes(&results),
    })
}

/// The OS file index for `--skip-verified-os-files`, with each uncached layer's databases
/// (the first pass; cached layers bring theirs from the cache). `None` when the malware
/// scanner is off or does not verify.
#[allow(clippy::type_complexity)]
fn verify_index(
    image: &Image,
    opts: &ScanOptions,
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

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Whether layer `l` deletes `path` from the layers below (a whiteout of it or of a
/// directory above it, or an opaque directory above it).
fn deletes(l: &LayerResult, path: &str) -> bool {
    deletes_path(&l.whiteouts, &l.opaque_dirs, path)
}

/// Whether these whiteouts or opaque directories delete `path` from the layers below.
pub(crate) fn deletes_path(whiteouts: &[String], opaque_dirs: &[String], path: &str) -> bool {
    let under = |dir: &str| {
        let dir = dir.trim_end_matches('/');
        dir.is_empty() || path.starts_with(&format!("{dir}/"))
    };
    whiteouts.iter().any(|w| w == path || under(w)) || opaque_dirs.iter().any(|d| under(d))
}

/// Every layer's secrets, with the layer that deleted the file where one did: the bytes stay
/// in the image (any `docker save` exposes them), so deleted secrets are reported too.
/// Layer `i` (0-based) by position and diff_id.
fn layer_id(image: &Image, results: &[LayerResult], i: usize) -> Option<LayerId> {
    let diff_id = results
        .get(i)
        .and_then(|r| r.diff_id.clone())
        .or_else(|| image.layers.get(i).map(|l| l.diff_id.clone()))?;
    Some(LayerId {
        index: i + 1,
        diff_id,
    })
}

/// The first layer above layer `i` that deletes `path` (a whiteout or opaque directory).
fn deleted_in(image: &Image, results: &[LayerResult], i: usize, path: &str) -> Option<LayerId> {
    results[i + 1..]
        .iter()
        .position(|l| deletes(l, path))
        .and_then(|j| layer_id(image, results, i + 1 + j))
}

fn layer_secrets(image: &Image, results: &[LayerResult]) -> Vec<Secret> {
    let id = |i: usize| layer_id(image, results, i);
    let mut out = Vec::new();
    for (i, r) in results.iter().enumerate() {
        for s in &r.secrets {
            let deleted_in = deleted_in(image, results, i, &s.path);
            out.push(Secret {
                target: s.path.clone(),
                line: s.line,
                column: s.column,
                rule: s.rule.clone(),
                description: s.description.clone(),
                severity: s.severity,
                layer: id(i),
                deleted_in,
                redacted: s.redacted.clone(),
                fingerprint: s.fingerprint.clone(),
                secret: s.secret.clone(),
            });
        }
    }
    out.sort();
    out
}

/// Every layer's detections, with the layer and, where a later layer deleted the file, that
/// layer (the bytes are still in the image).
fn layer_detections(image: &Image, results: &[LayerResult]) -> Vec<Detection> {
    let mut out = Vec::new();
    for (i, r) in results.iter().enumerate() {
        for d in &r.detections {
            // The file is the part before any `!` (a path inside an archive).
            let file = d.target.split('!').next().unwrap_or(&d.target);
            let mut d = d.clone();
            d.layer = if image.kind == SourceKind::Rootfs {
                None
            } else {
                layer_id(image, results, i)
            };
            d.deleted_in = deleted_in(image, results, i, file);
            out.push(d);
        }
    }
    out.sort();
    out
}

/// Special modes of every layer, minus those a later layer deleted (whiteout or opaque
/// directory). A later layer that rewrites the same path with a plain mode is not seen
/// (only special modes are recorded), so such a file is still reported, for its layer.
fn surviving_modes(results: &[LayerResult]) -> Vec<(usize, ModeRecord)> {
    let mut out = Vec::new();
    for (i, r) in results.iter().enumerate() {
        for m in &r.modes {
            if !results[i + 1..].iter().any(|l| deletes(l, &m.path)) {
                out.push((i, m.clone()));
            }
        }
    }
    out
}
