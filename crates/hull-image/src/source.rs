//! Turning a target (a path or a reference) into an [`Image`]: manifest, config and layer
//! list, each document's digest verified before it is trusted.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use hull_types::Digest;
use sha2::{Digest as _, Sha256};

use crate::archive::TarIndex;
use crate::oci::{DockerArchiveEntry, RawDescriptor, RawManifestOrIndex, MAX_JSON};
use crate::registry::RegistryClient;
use crate::{ImageConfig, ImageError, Platform, Reference, RegistryOptions};

pub use hull_types::SourceKind;

/// How to open a target.
#[derive(Clone, Debug, Default)]
pub struct OpenOptions {
    /// Skip detection.
    pub kind: Option<SourceKind>,
    /// Which image of a multi-platform index; the host's platform by default.
    pub platform: Option<Platform>,
    /// Registry connection options.
    pub registry: RegistryOptions,
}

/// One layer as the manifest and config describe it. Nothing here is trusted until the walk
/// has hashed the bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageLayer {
    /// 0-based, bottom to top.
    pub index: usize,
    /// The blob digest the manifest names (unknown for classic `docker save` layers, whose
    /// blob is the uncompressed tar and so must hash to the diff_id).
    pub blob: Option<Digest>,
    /// The diff_id the config names.
    pub diff_id: Digest,
    /// The blob size the manifest or archive states.
    pub size: Option<u64>,
    /// The history line that made the layer.
    pub created_by: Option<String>,
    locator: Locator,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Locator {
    File(PathBuf),
    Member(String),
    Blob(Digest),
}

/// Identifies a layer's bytes without reading them: a local file's identity (device, inode,
/// size, modification and change times) or a registry blob's content digest. The scan's cache
/// remembers which digests were verified for which stamp; any change to a local file changes
/// its ctime, so a stamp never vouches for bytes hull has not hashed.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BlobStamp(pub String);

enum Store {
    Dir(PathBuf),
    Tar(Arc<TarIndex>),
    Registry(Arc<RegistryClient>),
    None,
}

/// An image ready to be scanned.
pub struct Image {
    /// What kind of source it is.
    pub kind: SourceKind,
    /// What the user named (a path or a reference).
    pub name: String,
    /// The manifest's digest, where there is one.
    pub manifest_digest: Option<Digest>,
    /// The config's digest, which is the image ID.
    pub config_digest: Option<Digest>,
    /// The image config.
    pub config: ImageConfig,
    /// The layers, bottom to top.
    pub layers: Vec<ImageLayer>,
    /// Tags an archive records.
    pub repo_tags: Vec<String>,
    /// For [`SourceKind::Rootfs`], the directory.
    pub rootfs: Option<PathBuf>,
    store: Store,
}

impl fmt::Debug for Image {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Image")
            .field("kind", &self.kind)
            .field("name", &self.name)
            .field("config_digest", &self.config_digest)
            .field("layers", &self.layers.len())
            .finish()
    }
}

fn sha256(b: &[u8]) -> Digest {
    Digest::from_sha256_bytes(&Sha256::digest(b).into())
}

fn verify(what: &str, bytes: &[u8], expected: &Digest) -> Result<(), ImageError> {
    let actual = sha256(bytes);
    if &actual != expected {
        return Err(ImageError::DigestMismatch {
            what: what.to_string(),
            expected: expected.clone(),
            actual,
        });
    }
    Ok(())
}

fn parse_digest(what: &str, s: &str) -> Result<Digest, ImageError> {
    s.parse()
        .map_err(|e: hull_types::DigestError| ImageError::malformed(what, e.to_string()))
}

fn json<T: serde::de::DeserializeOwned>(what: &str, bytes: &[u8]) -> Result<T, ImageError> {
    serde_json::from_slice(bytes).map_err(|e| ImageError::malformed(what, format!("JSON: {e}")))
}

use crate::archive::open_regular;

fn read_file_bounded(path: &Path, limit: u64) -> Result<Vec<u8>, ImageError> {
    let shown = path.display().to_string();
    let f = open_regular(path)?;
    let mut buf = Vec::new();
    f.take(limit + 1)
        .read_to_end(&mut buf)
        .map_err(|e| ImageError::io(&shown, e))?;
    if buf.len() as u64 > limit {
        return Err(ImageError::TooLarge { what: shown, limit });
    }
    Ok(buf)
}

/// Opens a target: a path (archive, layout, root filesystem) or an image reference.
pub fn open(target: &str, opts: &OpenOptions) -> Result<Image, ImageError> {
    let path = Path::new(target);
    let platform = opts.platform.clone().unwrap_or_else(Platform::host);
    let kind = match opts.kind {
        Some(k) => k,
        None if path.is_dir() => {
            // A directory with an `oci-layout` file is a layout, whatever its `index.json`
            // is: one that is a link, a directory or missing is refused (when opened),
            // never scanned as a root filesystem instead.
            if std::fs::symlink_metadata(path.join("oci-layout")).is_ok() {
                SourceKind::OciLayout
            } else {
                SourceKind::Rootfs
            }
        }
        // Both archive kinds are tars; the members decide which (below).
        None if path.is_file() => SourceKind::DockerArchive,
        None if Reference::parse(target).is_ok() && !target.starts_with(['.', '/']) => {
            SourceKind::Registry
        }
        None => return Err(ImageError::UnknownTarget(target.to_string())),
    };
    match kind {
        SourceKind::Config => Err(ImageError::UnknownTarget(format!(
            "{target}: configuration files are checked with `hull k8s`, not opened as an image"
        ))),
        SourceKind::Rootfs => {
            if !path.is_dir() {
                return Err(ImageError::NotFound(format!("{target}: not a directory")));
            }
            Ok(Image {
                kind,
                name: target.to_string(),
                manifest_digest: None,
                config_digest: None,
                config: ImageConfig::default(),
                layers: vec![],
                repo_tags: vec![],
                rootfs: Some(path.to_path_buf()),
                store: Store::None,
            })
        }
        SourceKind::OciLayout => open_oci(target, Store::Dir(path.to_path_buf()), &platform, kind),
        SourceKind::DockerArchive | SourceKind::OciArchive => {
            let index = Arc::new(TarIndex::open(path)?);
            // Docker 25+ archives hold both: `manifest.json` is what `docker load` reads.
            if kind == SourceKind::DockerArchive && index.contains("manifest.json") {
                open_docker_archive(target, index)
            } else if index.contains("index.json") {
                open_oci(target, Store::Tar(index), &platform, SourceKind::OciArchive)
            } else {
                Err(ImageError::malformed(
                    target,
                    "a tar without manifest.json or index.json is not an image archive",
                ))
            }
        }
        SourceKind::Registry => open_registry(target, opts, &platform),
        SourceKind::Sbom => Err(ImageError::malformed(
            target,
            "an SBOM is not an image (hull-scan reads SBOMs)",
        )),
    }
}

fn member_digest(member: &str) -> Option<Digest> {
    let hex = member
        .trim_start_matches("./")
        .strip_prefix("blobs/sha256/")?;
    format!("sha256:{hex}").parse().ok()
}

fn open_docker_archive(target: &str, index: Arc<TarIndex>) -> Result<Image, ImageError> {
    let what = format!("{target}:manifest.json");
    let entries: Vec<DockerArchiveEntry> =
        json(&what, &index.read_member("manifest.json", MAX_JSON)?)?;
    // An archive of several images: the first is scanned (as `docker load` lists them).
    let entry = entries
        .into_iter()
        .next()
        .ok_or_else(|| ImageError::malformed(&what, "no images"))?;
    let config_bytes = index.read_member(&entry.config, MAX_JSON)?;
    // Classic archives name the config `<hex>.json`, OCI-in-tar ones `blobs/sha256/<hex>`.
    let config_digest = member_digest(&entry.config).or_else(|| {
        let hex = entry
            .config
            .trim_start_matches("./")
            .strip_suffix(".json")?;
        format!("sha256:{hex}").parse().ok()
    });
    if let Some(d) = &config_digest {
        verify(&format!("{target}:{}", entry.config), &config_bytes, d)?;
    }
    let config: ImageConfig = json(&format!("{target}:{}", entry.config), &config_bytes)?;
    let layers = layer_refs(
        target,
        &config,
        entry
            .layers
            .iter()
            .map(|m| (member_digest(m), index.size(m), Locator::Member(m.clone())))
            .collect(),
    )?;
    Ok(Image {
        kind: SourceKind::DockerArchive,
        name: target.to_string(),
        manifest_digest: None,
        config_digest: config_digest.or_else(|| Some(sha256(&config_bytes))),
        config,
        layers,
        repo_tags: entry.repo_tags.unwrap_or_default(),
        rootfs: None,
        store: Store::Tar(index),
    })
}

fn layer_refs(
    target: &str,
    config: &ImageConfig,
    blobs: Vec<(Option<Digest>, Option<u64>, Locator)>,
) -> Result<Vec<ImageLayer>, ImageError> {
    if blobs.len() != config.rootfs.diff_ids.len() {
        return Err(ImageError::malformed(
            target,
            format!(
                "manifest lists {} layers but the config has {} diff_ids",
                blobs.len(),
                config.rootfs.diff_ids.len()
            ),
        ));
    }
    let history = config.layer_history();
    blobs
        .into_iter()
        .enumerate()
        .map(|(i, (blob, size, locator))| {
            Ok(ImageLayer {
                index: i,
                blob,
                diff_id: parse_digest(
                    &format!("{target}: config diff_id {i}"),
                    &config.rootfs.diff_ids[i],
                )?,
                size,
                created_by: history.get(i).cloned().flatten(),
                locator,
            })
        })
        .collect()
}

impl Store {
    fn blob_bytes(&self, target: &str, d: &Digest, limit: u64) -> Result<Vec<u8>, ImageError> {
        let bytes = match self {
            Store::Dir(dir) => read_file_bounded(&dir.join("blobs/sha256").join(d.hex()), limit)?,
            Store::Tar(idx) => idx.read_member(&format!("blobs/sha256/{}", d.hex()), limit)?,
            Store::Registry(c) => c.blob_bytes(d, limit)?,
            Store::None => return Err(ImageError::NotFound(format!("{target}: no blob store"))),
        };
        verify(&format!("{target}: blob {d}"), &bytes, d)?;
        Ok(bytes)
    }
}

/// Picks the manifest for `platform` from an index, skipping attestation manifests.
fn choose<'a>(
    what: &str,
    manifests: &'a [RawDescriptor],
    platform: &Platform,
) -> Result<&'a RawDescriptor, ImageError> {
    let real: Vec<&RawDescriptor> = manifests
        .iter()
        .filter(|m| {
            m.annotations
                .get("vnd.docker.reference.type")
                .map(String::as_str)
                != Some("attestation-manifest")
        })
        .collect();
    if let Some(m) = real
        .iter()
        .find(|m| m.platform.as_ref().is_some_and(|p| platform.matches(p)))
    {
        return Ok(m);
    }
    match real.as_slice() {
        [only] if only.platform.is_none() => Ok(only),
        _ => {
            let offered: Vec<String> = real
                .iter()
                .filter_map(|m| m.platform.as_ref().map(|p| p.to_string()))
                .collect();
            Err(ImageError::NotFound(format!(
                "{what}: no image for platform {platform} (offered: {}); use --platform",
                if offered.is_empty() {
                    "none".into()
                } else {
                    offered.join(", ")
                }
            )))
        }
    }
}

/// Resolves index → manifest → config and layers against a blob store.
fn resolve_manifest(
    target: &str,
    store: &Store,
    mut doc: RawManifestOrIndex,
    mut doc_digest: Option<Digest>,
    platform: &Platform,
) -> Result<(Option<Digest>, Digest, ImageConfig, Vec<ImageLayer>), ImageError> {
    for _depth in 0..4 {
        if let Some(manifests) = &doc.manifests {
            let chosen = choose(target, manifests, platform)?;
            let d = parse_digest(target, &chosen.digest)?;
            let bytes = store.blob_bytes(target, &d, MAX_JSON)?;
            doc = json(&format!("{target}: manifest {d}"), &bytes)?;
            doc_digest = Some(d);
            continue;
        }
        let (Some(config_desc), Some(layers)) = (&doc.config, &doc.layers) else {
            return Err(ImageError::malformed(
                target,
                "manifest has no config or no layers",
            ));
        };
        let config_digest = parse_digest(target, &config_desc.digest)?;
        let config_bytes = store.blob_bytes(target, &config_digest, MAX_JSON)?;
        let config: ImageConfig =
            json(&format!("{target}: config {config_digest}"), &config_bytes)?;
        let blobs = layers
            .iter()
            .map(|l| {
                let d = parse_digest(target, &l.digest)?;
                let loc = match store {
                    Store::Dir(dir) => Locator::File(dir.join("blobs/sha256").join(d.hex())),
                    Store::Tar(_) => Locator::Member(format!("blobs/sha256/{}", d.hex())),
                    _ => Locator::Blob(d.clone()),
                };
                Ok((Some(d), u64::try_from(l.size).ok(), loc))
            })
            .collect::<Result<Vec<_>, ImageError>>()?;
        let layers = layer_refs(target, &config, blobs)?;
        return Ok((doc_digest, config_digest, config, layers));
    }
    Err(ImageError::malformed(
        target,
        "indexes nested more than 4 deep",
    ))
}

fn open_oci(
    target: &str,
    store: Store,
    platform: &Platform,
    kind: SourceKind,
) -> Result<Image, ImageError> {
    let index_bytes = match &store {
        Store::Dir(dir) => read_file_bounded(&dir.join("index.json"), MAX_JSON)?,
        Store::Tar(idx) => idx.read_member("index.json", MAX_JSON)?,
        _ => unreachable!("open_oci is only called with a directory or tar store"),
    };
    let index: RawManifestOrIndex = json(&format!("{target}:index.json"), &index_bytes)?;
    let (manifest_digest, config_digest, config, layers) =
        resolve_manifest(target, &store, index, None, platform)?;
    Ok(Image {
        kind,
        name: target.to_string(),
        manifest_digest,
        config_digest: Some(config_digest),
        config,
        layers,
        repo_tags: vec![],
        rootfs: None,
        store,
    })
}

fn open_registry(
    target: &str,
    opts: &OpenOptions,
    platform: &Platform,
) -> Result<Image, ImageError> {
    let r = Reference::parse(target)?;
    let client = Arc::new(RegistryClient::new(&r, &opts.registry));
    let (bytes, _mt) = client.manifest(&r.manifest_ref())?;
    let digest = sha256(&bytes);
    if let Some(d) = &r.digest {
        verify(&format!("{r}: manifest"), &bytes, d)?;
    }
    let doc: RawManifestOrIndex = json(&format!("{r}: manifest"), &bytes)?;
    let store = Store::Registry(client.clone());
    // An index is resolved through the registry's manifest endpoint, not its blob endpoint.
    let (doc, doc_digest) = if let Some(manifests) = &doc.manifests {
        let chosen = choose(&r.to_string(), manifests, platform)?;
        let d = parse_digest(target, &chosen.digest)?;
        let (b, _) = client.manifest(&d.to_string())?;
        verify(&format!("{r}: manifest {d}"), &b, &d)?;
        (json(&format!("{r}: manifest {d}"), &b)?, d)
    } else {
        (doc, digest)
    };
    let (_, config_digest, config, layers) = resolve_manifest(
        &r.to_string(),
        &store,
        doc,
        Some(doc_digest.clone()),
        platform,
    )?;
    Ok(Image {
        kind: SourceKind::Registry,
        name: r.to_string(),
        manifest_digest: Some(doc_digest),
        config_digest: Some(config_digest),
        config,
        layers,
        repo_tags: r
            .tag
            .iter()
            .map(|t| format!("{}/{}:{t}", r.registry, r.repository))
            .collect(),
        rootfs: None,
        store,
    })
}

impl Image {
    /// Opens a layer's blob for one streaming read.
    pub fn open_layer(&self, layer: &ImageLayer) -> Result<Box<dyn Read + Send>, ImageError> {
        match (&self.store, &layer.locator) {
            (_, Locator::File(p)) => Ok(Box::new(open_regular(p)?)),
            (Store::Tar(idx), Locator::Member(m)) => Ok(Box::new(idx.open_member(m)?)),
            (Store::Registry(c), Locator::Blob(d)) => c.blob_stream(d),
            _ => Err(ImageError::NotFound(format!(
                "{}: layer {} has no source",
                self.name, layer.index
            ))),
        }
    }

    /// The layer blob as a seekable window of a local file (a layout's blob file, an
    /// archive's member), or `None` for a registry blob.
    pub fn open_layer_seekable(
        &self,
        layer: &ImageLayer,
    ) -> Option<Result<crate::archive::FileWindow, ImageError>> {
        match (&self.store, &layer.locator) {
            (_, Locator::File(p)) => Some(crate::archive::FileWindow::whole(p)),
            (Store::Tar(idx), Locator::Member(m)) => Some(idx.window(m)),
            _ => None,
        }
    }

    /// A label for the layer in messages: its blob digest, or its archive member.
    pub fn layer_label(&self, layer: &ImageLayer) -> String {
        match &layer.locator {
            Locator::Member(m) if layer.blob.is_none() => format!("{} ({m})", layer.diff_id),
            _ => layer.blob.as_ref().unwrap_or(&layer.diff_id).to_string(),
        }
    }

    /// The identity of a layer's bytes, for the verified-digest memo (see [`BlobStamp`]).
    pub fn stamp(&self, layer: &ImageLayer) -> Option<BlobStamp> {
        match (&self.store, &layer.locator) {
            (_, Locator::File(p)) => file_stamp(p).map(|s| BlobStamp(format!("file:{s}"))),
            (Store::Tar(idx), Locator::Member(m)) => {
                file_stamp(&idx.path).map(|s| BlobStamp(format!("tar:{s}:{m}")))
            }
            (Store::Registry(_), Locator::Blob(d)) => Some(BlobStamp(format!("blob:{d}"))),
            _ => None,
        }
    }
}

#[cfg(unix)]
fn file_stamp(p: &Path) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let canon = std::fs::canonicalize(p).ok()?;
    let m = std::fs::metadata(&canon).ok()?;
    Some(format!(
        "{}:{}:{}:{}:{}.{}:{}.{}",
        canon.display(),
        m.dev(),
        m.ino(),
        m.size(),
        m.mtime(),
        m.mtime_nsec(),
        m.ctime(),
        m.ctime_nsec()
    ))
}

#[cfg(not(unix))]
fn file_stamp(_: &Path) -> Option<String> {
    None
}
