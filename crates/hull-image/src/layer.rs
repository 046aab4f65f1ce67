//! One pass over one layer: hash the blob as it is read, decompress by magic bytes, hash the
//! tar stream (the diff_id), and walk its entries, reading only the files the visitor wants.
//!
//! Nothing is extracted. Every bound is checked here: decompressed bytes, the compression
//! ratio (decompression bombs), the number of entries, and each file read (by the visitor's
//! own bound). Digests are compared at the end; on a mismatch the caller must discard
//! whatever the visitor collected.

use std::io::{self, BufRead, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};

use hull_types::Digest;
use sha2::{Digest as _, Sha256};

use crate::{normalize, ImageError};

/// Bounds on one layer. The defaults are far above any real image and far below what would
/// exhaust a CI runner.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Decompressed bytes of one layer.
    pub max_layer_bytes: u64,
    /// Tar entries in one layer.
    pub max_entries: u64,
    /// Decompressed/compressed ratio, checked once a layer has expanded past 256 MiB. Real
    /// layers stay under 20:1; a bomb of zeros reaches 1000:1.
    pub max_ratio: u64,
    /// Packages one layer (or directory) may list. Each costs about 4 KB of memory on its way
    /// to the report; a flood of a million tiny metadata files (within the entry bound) would
    /// otherwise take gigabytes. The biggest real images list a few thousand.
    pub max_packages: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_layer_bytes: 64 << 30,
            max_entries: 5_000_000,
            max_ratio: 200,
            max_packages: 200_000,
        }
    }
}

/// How a layer blob was compressed, read from its first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    /// An uncompressed tar.
    None,
    /// gzip.
    Gzip,
    /// zstd.
    Zstd,
}

/// What the walk found out about the blob: its digests and sizes, all computed on the bytes
/// actually read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayerDigests {
    /// The blob's digest (as read).
    pub blob: Digest,
    /// The uncompressed tar's digest.
    pub diff_id: Digest,
    /// Blob bytes read.
    pub compressed_size: u64,
    /// Uncompressed bytes.
    pub size: u64,
    /// The blob's compression.
    pub compression: Compression,
}

/// What a tar entry means for the merged filesystem.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryKind {
    /// A regular file the visitor asked for, with its bytes.
    File,
    /// `.wh.<name>`: the path is deleted from lower layers.
    Whiteout,
    /// `.wh..wh..opq`: everything below this directory in lower layers is deleted.
    OpaqueDir,
    /// A symlink, hard link, device or directory at a path the visitor wants: it hides what
    /// lower layers had there, and hull does not follow it.
    NotRegular,
}

/// One event of the walk.
#[derive(Debug)]
pub struct Entry<'a> {
    /// Normalised absolute path.
    pub path: &'a str,
    /// What the entry is.
    pub kind: EntryKind,
    /// File bytes for [`EntryKind::File`], the link target (as written, never resolved) for
    /// a symlink; empty otherwise. Borrowed from one buffer the walk reuses for every file:
    /// fresh memory for each file cost more in page faults than the walk's own SHA-256.
    pub bytes: &'a [u8],
}

/// The visitor's callbacks.
pub trait Visit {
    /// `Some(bound)` to read the regular file at `path` of `size` bytes (up to `bound`
    /// bytes; a larger file is a warning), `None` to skip it unread. Called for every
    /// regular file, so it must be cheap. `size` is 0 for non-regular entries.
    fn wants(&self, path: &str, size: u64) -> Option<u64>;
    /// Whether a symlink, hard link or device at `path` matters (it hides what lower layers
    /// had there). By default: whether a file of any size there would be wanted.
    fn wants_tombstone(&self, path: &str) -> bool {
        self.wants(path, 0).is_some()
    }
    /// A wanted file, a whiteout, an opaque directory or a non-regular wanted path.
    fn entry(&mut self, entry: Entry<'_>);
    /// A per-file problem that does not stop the walk (an oversized file, a path that tried
    /// to leave the image root).
    fn warning(&mut self, path: &str, message: String);
    /// A regular file or directory whose mode has the setuid, setgid or other-writable bit
    /// (the configuration checks look for these). Symlinks, whose mode means nothing, are
    /// never reported.
    fn special_mode(&mut self, _path: &str, _mode: u32, _is_dir: bool) {}
}

/// A buffered reader whose SHA-256 is computed on another thread.
///
/// The layer's bytes are read into whole chunks; once the walker has moved past a chunk it
/// goes to the hashing thread, which hands the buffer back for reuse. The hash sees exactly
/// the bytes the walker saw (no second read of the source, so nothing can change between
/// the two), and SHA-256, the largest cost of an uncompressed layer, no longer shares a
/// core with reading and parsing. At most [`POOL`] chunks exist at once.
struct HashOffload<R> {
    inner: R,
    cur: Vec<u8>,
    pos: usize,
    /// Chunks the walker is done with, in order, to the hashing thread.
    to_hash: Option<mpsc::SyncSender<Vec<u8>>>,
    /// Buffers the hashing thread has finished with.
    free: mpsc::Receiver<Vec<u8>>,
    allocated: usize,
    count: Arc<AtomicU64>,
    limit: u64,
    eof: bool,
}

/// Bytes read from the source per chunk.
const READ_CHUNK: usize = 1 << 20;
/// Chunks in flight between the reader and the hashing thread.
const POOL: usize = 4;

/// Starts the hashing thread in `scope` and returns the reader feeding it. The thread's
/// result is the digest of every byte the reader consumed before it was dropped.
fn hash_offload<'s, 'e, R: Read>(
    scope: &'s std::thread::Scope<'s, 'e>,
    inner: R,
    count: Arc<AtomicU64>,
) -> (HashOffload<R>, std::thread::ScopedJoinHandle<'s, Digest>) {
    let (to_hash, chunks) = mpsc::sync_channel::<Vec<u8>>(POOL);
    let (give_back, free) = mpsc::channel::<Vec<u8>>();
    let hasher = scope.spawn(move || {
        let mut h = Sha256::new();
        for chunk in chunks {
            h.update(&chunk);
            // The reader may be gone already; the buffer is then simply freed.
            let _ = give_back.send(chunk);
        }
        Digest::from_sha256_bytes(&h.finalize().into())
    });
    let reader = HashOffload {
        inner,
        cur: Vec::new(),
        pos: 0,
        to_hash: Some(to_hash),
        free,
        allocated: 0,
        count,
        limit: u64::MAX,
        eof: false,
    };
    (reader, hasher)
}

impl<R: Read> HashOffload<R> {
    /// Hands the current chunk to the hashing thread.
    fn pass_on(&mut self) -> io::Result<()> {
        let chunk = std::mem::take(&mut self.cur);
        self.pos = 0;
        if chunk.is_empty() {
            return Ok(());
        }
        let tx = self
            .to_hash
            .as_ref()
            .ok_or_else(|| io::Error::other("hashing finished"))?;
        tx.send(chunk)
            .map_err(|_| io::Error::other("hashing thread stopped"))
    }

    fn next_buffer(&mut self) -> io::Result<Vec<u8>> {
        if let Ok(b) = self.free.try_recv() {
            return Ok(b);
        }
        if self.allocated < POOL {
            self.allocated += 1;
            return Ok(vec![0; READ_CHUNK]);
        }
        self.free
            .recv()
            .map_err(|_| io::Error::other("hashing thread stopped"))
    }

    /// Hands the last chunk over and closes the channel: the hashing thread then returns.
    fn finish(mut self) -> io::Result<()> {
        self.pass_on()?;
        self.to_hash = None;
        Ok(())
    }
}

impl<R: Read> BufRead for HashOffload<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos == self.cur.len() && !self.eof {
            self.pass_on()?;
            let mut buf = self.next_buffer()?;
            buf.resize(READ_CHUNK, 0);
            let mut filled = 0;
            while filled < READ_CHUNK {
                match self.inner.read(&mut buf[filled..]) {
                    Ok(0) => {
                        self.eof = true;
                        break;
                    }
                    Ok(n) => filled += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            buf.truncate(filled);
            let total = self.count.fetch_add(filled as u64, Ordering::Relaxed) + filled as u64;
            if total > self.limit {
                return Err(io::Error::other(format!("more than {} bytes", self.limit)));
            }
            self.cur = buf;
        }
        Ok(&self.cur[self.pos..])
    }

    fn consume(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.cur.len());
    }
}

impl<R: Read> Read for HashOffload<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let avail = self.fill_buf()?;
        let n = avail.len().min(buf.len());
        buf[..n].copy_from_slice(&avail[..n]);
        self.consume(n);
        Ok(n)
    }
}

/// A reader that hashes and counts what passes through it, and fails past `limit` bytes.
struct Hashing<R> {
    inner: R,
    hasher: Sha256,
    count: Arc<AtomicU64>,
    limit: u64,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        let total = self.count.fetch_add(n as u64, Ordering::Relaxed) + n as u64;
        if total > self.limit {
            return Err(io::Error::other(format!("more than {} bytes", self.limit)));
        }
        Ok(n)
    }
}

// One decoder per layer: boxing the large variant would buy nothing.
#[allow(clippy::large_enum_variant)]
enum Decoder<B: BufRead> {
    Gzip(flate2::bufread::MultiGzDecoder<B>),
    Zstd(zstd::stream::read::Decoder<'static, B>),
}

impl<B: BufRead> Read for Decoder<B> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Decoder::Gzip(r) => r.read(buf),
            Decoder::Zstd(r) => r.read(buf),
        }
    }
}

impl<B: BufRead> Decoder<B> {
    fn into_inner(self) -> B {
        match self {
            Decoder::Gzip(r) => r.into_inner(),
            Decoder::Zstd(r) => r.finish(),
        }
    }
}

const GZIP: &[u8] = &[0x1f, 0x8b];
const ZSTD: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];

/// Receives decompressed chunks from the decoding thread.
struct ChannelReader {
    rx: mpsc::Receiver<io::Result<Vec<u8>>>,
    cur: Vec<u8>,
    pos: usize,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.cur.len() {
            match self.rx.recv() {
                Ok(Ok(chunk)) => {
                    self.cur = chunk;
                    self.pos = 0;
                }
                Ok(Err(e)) => return Err(e),
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.cur.len() - self.pos);
        buf[..n].copy_from_slice(&self.cur[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Decompressed chunk size handed between the two threads of a compressed layer.
const CHUNK: usize = 256 << 10;

/// Walks one layer blob. `label` names the layer in errors (its digest, or its path in an
/// archive). `expected_blob` and `expected_diff_id` are checked on the bytes read; either may
/// be unknown (`None`).
///
/// The blob's SHA-256 is computed on a thread of its own from the very chunks this one reads
/// ([`HashOffload`]). An uncompressed blob is its own tar stream, so that one SHA-256 serves
/// as both digests, and reading, parsing and the visitor run beside it. A compressed blob is
/// decompressed on a further thread while this one hashes the tar stream and walks it, so
/// inflate and both SHA-256s run side by side.
pub fn walk_layer<R: Read + Send>(
    raw: R,
    label: &str,
    expected_blob: Option<&Digest>,
    expected_diff_id: Option<&Digest>,
    limits: &Limits,
    visitor: &mut dyn Visit,
) -> Result<LayerDigests, ImageError> {
    let layer_err = |path: &str, reason: String| ImageError::Layer {
        layer: label.to_string(),
        path: path.to_string(),
        reason,
    };
    let raw_count = Arc::new(AtomicU64::new(0));
    let (blob, diff_id, size, compression) = std::thread::scope(|s| {
        let (mut raw, raw_hasher) = hash_offload(s, raw, raw_count.clone());
        // A chunk is filled whole unless the blob ends: fewer than 4 bytes is the whole blob.
        let head = raw
            .fill_buf()
            .map_err(|e| layer_err("", format!("read: {e}")))?;
        let compression = if head.starts_with(GZIP) {
            Compression::Gzip
        } else if head.starts_with(ZSTD) {
            Compression::Zstd
        } else {
            Compression::None
        };
        let (diff_id, size) = if compression == Compression::None {
            // The blob is its own tar stream: one SHA-256 serves as both digests, and the
            // walker skips file contents by consuming the read buffer instead of copying it.
            raw.limit = limits.max_layer_bytes;
            let mut stream = Skipping { inner: raw, pos: 0 };
            let mut archive = tar::Archive::new(&mut stream);
            let entries = archive
                .entries_with_seek()
                .map_err(|e| layer_err("", format!("tar: {}", crate::archive::tar_error(&e))))?;
            walk_entries(entries, limits, visitor)
                .map_err(|(path, reason)| layer_err(&path, reason))?;
            stream
                .skip_to_end()
                .and_then(|()| stream.inner.finish())
                .map_err(|e| layer_err("", format!("read: {e}")))?;
            (None, raw_count.load(Ordering::Relaxed))
        } else {
            let decoder = match compression {
                Compression::Gzip => Decoder::Gzip(flate2::bufread::MultiGzDecoder::new(raw)),
                _ => Decoder::Zstd(
                    zstd::stream::read::Decoder::with_buffer(raw)
                        .map_err(|e| layer_err("", format!("zstd: {e}")))?,
                ),
            };
            let (d, n) = walk_compressed(decoder, limits, &raw_count, visitor)
                .map_err(|(path, reason)| layer_err(&path, reason))?;
            (Some(d), n)
        };
        let blob = raw_hasher
            .join()
            .map_err(|_| layer_err("", "hashing thread panicked".into()))?;
        let diff_id = diff_id.unwrap_or_else(|| blob.clone());
        Ok::<_, ImageError>((blob, diff_id, size, compression))
    })?;

    let check = |which: &str, expected: Option<&Digest>, actual: &Digest| match expected {
        Some(exp) if exp != actual => Err(ImageError::DigestMismatch {
            what: format!("layer {label} {which}"),
            expected: exp.clone(),
            actual: actual.clone(),
        }),
        _ => Ok(()),
    };
    check("blob", expected_blob, &blob)?;
    check("diff_id", expected_diff_id, &diff_id)?;
    Ok(LayerDigests {
        blob,
        diff_id,
        compressed_size: raw_count.load(Ordering::Relaxed),
        size,
        compression,
    })
}

/// The compressed half of [`walk_layer`]: `decoder` inflates on a thread of its own while
/// this one hashes the tar stream (the diff_id) and walks it. Returns the diff_id and the
/// tar stream's size, or the path and reason of the first failure.
fn walk_compressed<R: Read + Send>(
    decoder: Decoder<HashOffload<R>>,
    limits: &Limits,
    raw_count: &Arc<AtomicU64>,
    visitor: &mut dyn Visit,
) -> Result<(Digest, u64), (String, String)> {
    let max_ratio = limits.max_ratio;
    std::thread::scope(|s| {
        let (tx, rx) = mpsc::sync_channel::<io::Result<Vec<u8>>>(16);
        let producer = s.spawn(move || -> io::Result<()> {
            let mut decoder = decoder;
            let mut out = 0u64;
            loop {
                let mut chunk = vec![0u8; CHUNK];
                let mut filled = 0;
                while filled < CHUNK {
                    match decoder.read(&mut chunk[filled..]) {
                        Ok(0) => break,
                        Ok(n) => filled += n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => {
                            let msg = e.to_string();
                            let _ = tx.send(Err(e));
                            return Err(io::Error::other(msg));
                        }
                    }
                }
                out += filled as u64;
                if out > 256 << 20 && out / raw_count.load(Ordering::Relaxed).max(1) > max_ratio {
                    let msg =
                        format!("decompression ratio above {max_ratio}:1 (decompression bomb)");
                    let _ = tx.send(Err(io::Error::other(msg.clone())));
                    return Err(io::Error::other(msg));
                }
                if filled == 0 {
                    break;
                }
                chunk.truncate(filled);
                if tx.send(Ok(chunk)).is_err() {
                    // The walker stopped; its error is the one to report.
                    return Err(io::Error::other("walker stopped"));
                }
            }
            drop(tx);
            // Hash whatever follows the compressed stream, then the blob digest is whole.
            let mut rest = decoder.into_inner();
            io::copy(&mut rest, &mut io::sink())?;
            rest.finish()
        });
        let diff_count = Arc::new(AtomicU64::new(0));
        let mut diff = Hashing {
            inner: ChannelReader {
                rx,
                cur: Vec::new(),
                pos: 0,
            },
            hasher: Sha256::new(),
            count: diff_count.clone(),
            limit: limits.max_layer_bytes,
        };
        let mut archive = tar::Archive::new(&mut diff);
        let walked = archive
            .entries()
            .map_err(|e| {
                (
                    String::new(),
                    format!("tar: {}", crate::archive::tar_error(&e)),
                )
            })
            .and_then(|entries| walk_entries(entries, limits, visitor));
        let walked = walked.and_then(|()| {
            io::copy(&mut diff, &mut io::sink())
                .map(|_| ())
                .map_err(|e| (String::new(), format!("read: {e}")))
        });
        let Hashing { inner, hasher, .. } = diff;
        drop(inner);
        let produced = producer
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("decompression thread panicked")));
        walked?;
        produced.map_err(|e| (String::new(), format!("read: {e}")))?;
        Ok((
            Digest::from_sha256_bytes(&hasher.finalize().into()),
            diff_count.load(Ordering::Relaxed),
        ))
    })
}

/// Walks an uncompressed layer by its headers alone, seeking past every file the visitor
/// does not want: no digest is computed, so this is only for a first look whose findings a
/// verified [`walk_layer`] of the same bytes then stands behind. Returns `Ok(false)`, having
/// read nothing but the magic bytes, when the layer is compressed (there is nothing to seek
/// past without inflating; use [`walk_layer`]).
pub fn peek_layer<R: Read + io::Seek>(
    mut raw: R,
    label: &str,
    limits: &Limits,
    visitor: &mut dyn Visit,
) -> Result<bool, ImageError> {
    let layer_err = |path: &str, reason: String| ImageError::Layer {
        layer: label.to_string(),
        path: path.to_string(),
        reason,
    };
    let mut magic = [0u8; 4];
    let mut got = 0;
    while got < 4 {
        match raw.read(&mut magic[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(layer_err("", format!("read: {e}"))),
        }
    }
    if magic[..got].starts_with(GZIP) || magic[..got].starts_with(ZSTD) {
        return Ok(false);
    }
    raw.seek(io::SeekFrom::Start(0))
        .map_err(|e| layer_err("", format!("seek: {e}")))?;
    let mut archive = tar::Archive::new(raw);
    let entries = archive
        .entries_with_seek()
        .map_err(|e| layer_err("", format!("tar: {}", crate::archive::tar_error(&e))))?;
    walk_entries(entries, limits, visitor).map_err(|(path, reason)| layer_err(&path, reason))?;
    Ok(true)
}

/// A buffered stream that skips forward by consuming its buffer: no copy of skipped file
/// contents, while the reader beneath still hashes every byte as the buffer refills.
struct Skipping<B: BufRead> {
    inner: B,
    pos: u64,
}

impl<B: BufRead> Skipping<B> {
    fn skip(&mut self, mut n: u64) -> io::Result<u64> {
        let start = n;
        while n > 0 {
            let avail = self.inner.fill_buf()?;
            if avail.is_empty() {
                break;
            }
            let k = (avail.len() as u64).min(n) as usize;
            self.inner.consume(k);
            n -= k as u64;
        }
        self.pos += start - n;
        Ok(start - n)
    }

    fn skip_to_end(&mut self) -> io::Result<()> {
        while self.skip(u64::MAX)? > 0 {}
        Ok(())
    }
}

impl<B: BufRead> Read for Skipping<B> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl<B: BufRead> io::Seek for Skipping<B> {
    /// Only forward relative seeks, which is all the tar walker asks for.
    fn seek(&mut self, pos: io::SeekFrom) -> io::Result<u64> {
        match pos {
            io::SeekFrom::Current(n) if n >= 0 => {
                let want = n as u64;
                if self.skip(want)? < want {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "layer ends inside a tar entry",
                    ));
                }
                Ok(self.pos)
            }
            _ => Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "layer streams only seek forward",
            )),
        }
    }
}

/// The longest path or link name a tar entry may give (GNU long names and PAX records
/// included): PATH_MAX is 4 KiB, this leaves room for any real image. A longer one is an
/// error, read no further: a 292 KB blob naming one entry with a 250 MB PAX path reached
/// 3.6 GB of memory inside the `tar` crate, which buffers such names whole.
pub const MAX_NAME: u64 = 64 << 10;
/// The largest PAX extended header read (its records are bounded by [`MAX_NAME`] too).
pub const MAX_PAX: u64 = 1 << 20;

/// Reads a name-carrying pseudo-entry (GNU long name or link, PAX header) within `bound`.
fn read_meta<R: Read>(
    entry: &mut tar::Entry<'_, R>,
    bound: u64,
    what: &str,
    last_path: &str,
) -> Result<Vec<u8>, (String, String)> {
    let size = entry.size();
    if size > bound {
        return Err((
            last_path.to_string(),
            format!("{what} of {size} bytes, more than the {bound}-byte bound (in the entry after this path)"),
        ));
    }
    let mut buf = Vec::with_capacity(size as usize);
    entry
        .take(bound + 1)
        .read_to_end(&mut buf)
        .map_err(|e| (last_path.to_string(), format!("read: {e}")))?;
    while buf.last() == Some(&0) {
        buf.pop();
    }
    Ok(buf)
}

/// `path` and `linkpath` of a PAX extended header (`LEN key=value\n` records).
fn pax_names(data: &[u8]) -> (Option<Vec<u8>>, Option<Vec<u8>>) {
    let (mut path, mut link) = (None, None);
    let mut rest = data;
    while !rest.is_empty() {
        let Some(sp) = rest.iter().position(|b| *b == b' ') else {
            break;
        };
        let Some(len) = std::str::from_utf8(&rest[..sp])
            .ok()
            .and_then(|n| n.parse::<usize>().ok())
        else {
            break;
        };
        if len <= sp + 1 || len > rest.len() {
            break;
        }
        let record = &rest[sp + 1..len];
        let record = record.strip_suffix(b"\n").unwrap_or(record);
        if let Some(eq) = record.iter().position(|b| *b == b'=') {
            let (k, v) = (&record[..eq], &record[eq + 1..]);
            match k {
                b"path" => path = Some(v.to_vec()),
                b"linkpath" => link = Some(v.to_vec()),
                _ => {}
            }
        }
        rest = &rest[len..];
    }
    (path, link)
}

fn walk_entries<R: Read>(
    entries: tar::Entries<'_, R>,
    limits: &Limits,
    visitor: &mut dyn Visit,
) -> Result<(), (String, String)> {
    // Raw entries: GNU long names and PAX headers come through as entries of their own and
    // are read here within bounds, instead of whole by the `tar` crate.
    let entries = entries.raw(true);
    let mut pending_name: Option<Vec<u8>> = None;
    let mut pending_link: Option<Vec<u8>> = None;
    let mut count = 0u64;
    let mut last_path = String::new();
    // One buffer for every file read: see `Entry::bytes`. It keeps the largest file's
    // capacity until the layer is done, which the visitor's bound caps.
    let mut buf: Vec<u8> = Vec::new();
    for entry in entries {
        let mut entry = entry.map_err(|e| {
            (
                last_path.clone(),
                format!(
                    "tar: {} (in the entry after this path)",
                    crate::archive::tar_error(&e)
                ),
            )
        })?;
        count += 1;
        if count > limits.max_entries {
            return Err((
                last_path,
                format!("more than {} tar entries", limits.max_entries),
            ));
        }
        match entry.header().entry_type() {
            tar::EntryType::GNULongName => {
                pending_name = Some(read_meta(
                    &mut entry,
                    MAX_NAME,
                    "GNU long name",
                    &last_path,
                )?);
                continue;
            }
            tar::EntryType::GNULongLink => {
                pending_link = Some(read_meta(
                    &mut entry,
                    MAX_NAME,
                    "GNU long link name",
                    &last_path,
                )?);
                continue;
            }
            tar::EntryType::XHeader => {
                let data = read_meta(&mut entry, MAX_PAX, "PAX header", &last_path)?;
                let (path, link) = pax_names(&data);
                for (name, what) in [(&path, "PAX path"), (&link, "PAX link path")] {
                    if name.as_ref().is_some_and(|n| n.len() as u64 > MAX_NAME) {
                        return Err((
                            last_path.clone(),
                            format!("{what} longer than the {MAX_NAME}-byte bound (in the entry after this path)"),
                        ));
                    }
                }
                if path.is_some() {
                    pending_name = path;
                }
                if link.is_some() {
                    pending_link = link;
                }
                continue;
            }
            tar::EntryType::XGlobalHeader => {
                read_meta(&mut entry, MAX_PAX, "PAX global header", &last_path)?;
                continue;
            }
            _ => {}
        }
        let name_bytes = match pending_name.take() {
            Some(n) => n,
            None => entry.path_bytes().into_owned(),
        };
        let link_bytes = pending_link.take();
        let name = String::from_utf8_lossy(&name_bytes).into_owned();
        let Some((path, escaped)) = normalize(&name) else {
            continue;
        };
        if escaped {
            visitor.warning(
                &path,
                format!("tar entry {name:?} points outside the image root; read as {path}"),
            );
        }
        last_path.clone_from(&path);
        let (dir, base) = path.rsplit_once('/').unwrap_or(("", &path));
        if let Some(hidden) = base.strip_prefix(".wh.") {
            if hidden == ".wh..opq" {
                let dir = if dir.is_empty() { "/" } else { dir };
                visitor.entry(Entry {
                    path: dir,
                    kind: EntryKind::OpaqueDir,
                    bytes: &[],
                });
            } else if !hidden.is_empty() {
                let target = format!("{dir}/{hidden}");
                visitor.entry(Entry {
                    path: &target,
                    kind: EntryKind::Whiteout,
                    bytes: &[],
                });
            }
            continue;
        }
        let ty = entry.header().entry_type();
        let regular = ty.is_file() || ty == tar::EntryType::Continuous || ty.is_gnu_sparse();
        if regular || ty.is_dir() {
            let mode = entry.header().mode().unwrap_or(0);
            if mode & 0o6002 != 0 {
                visitor.special_mode(&path, mode, ty.is_dir());
            }
        }
        if regular {
            let size = entry.size();
            let Some(bound) = visitor.wants(&path, size) else {
                continue;
            };
            if size > bound {
                visitor.warning(
                    &path,
                    format!("{size}-byte file exceeds the {bound}-byte bound; not read"),
                );
                continue;
            }
            buf.clear();
            buf.reserve(size as usize);
            (&mut entry)
                .take(bound + 1)
                .read_to_end(&mut buf)
                .map_err(|e| (path.clone(), format!("read: {e}")))?;
            if buf.len() as u64 > bound {
                visitor.warning(
                    &path,
                    format!("file exceeds the {bound}-byte bound; not read"),
                );
                continue;
            }
            visitor.entry(Entry {
                path: &path,
                kind: EntryKind::File,
                bytes: &buf,
            });
        } else if ty.is_dir() {
            continue;
        } else if visitor.wants_tombstone(&path) {
            let bytes = if ty.is_symlink() {
                link_bytes
                    .or_else(|| entry.link_name_bytes().map(|l| l.into_owned()))
                    .unwrap_or_default()
            } else {
                vec![]
            };
            visitor.entry(Entry {
                path: &path,
                kind: EntryKind::NotRegular,
                bytes: &bytes,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[derive(Default)]
    struct Collect {
        files: Vec<(String, EntryKind, Vec<u8>)>,
        warnings: Vec<(String, String)>,
    }
    impl Visit for Collect {
        fn wants(&self, path: &str, _size: u64) -> Option<u64> {
            path.starts_with("/etc/").then_some(1024)
        }
        fn entry(&mut self, e: Entry<'_>) {
            self.files
                .push((e.path.to_string(), e.kind, e.bytes.to_vec()));
        }
        fn warning(&mut self, path: &str, message: String) {
            self.warnings.push((path.to_string(), message));
        }
    }

    /// A layer tar of plain files with raw names (`..` kept, as a hostile tool writes them).
    fn tar_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let entries: Vec<hull_testkit::E<'_>> = entries
            .iter()
            .map(|(n, d)| hull_testkit::E::File(n, d))
            .collect();
        hull_testkit::layer(&entries)
    }

    fn sha(b: &[u8]) -> Digest {
        Digest::from_sha256_bytes(&Sha256::digest(b).into())
    }

    /// The error a walk with default limits must end in.
    fn refused(
        raw: &[u8],
        label: &str,
        blob: Option<&Digest>,
        diff_id: Option<&Digest>,
    ) -> ImageError {
        walk_layer(
            raw,
            label,
            blob,
            diff_id,
            &Limits::default(),
            &mut Collect::default(),
        )
        .unwrap_err()
    }

    #[test]
    fn peek_sees_what_the_verified_walk_sees_and_declines_compressed_layers() {
        let t = tar_of(&[
            ("etc/os-release", b"ID=debian\n"),
            ("usr/bin/x", &[7u8; 5000]),
            ("etc/.wh.gone", b""),
            ("etc/hosts", b"127.0.0.1 localhost\n"),
        ]);
        // The layer sits inside a larger file, as an archive member does.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("outer");
        let mut outer = vec![0xAAu8; 1000];
        outer.extend_from_slice(&t);
        outer.extend_from_slice(&[0xBB; 700]);
        std::fs::write(&path, &outer).unwrap();
        let idx = crate::archive::TarIndex::fake(&path, "layer.tar", 1000, t.len() as u64);
        let mut peeked = Collect::default();
        let window = idx.window("layer.tar").unwrap();
        assert!(peek_layer(window, "l", &Limits::default(), &mut peeked).unwrap());
        let mut walked = Collect::default();
        walk_layer(&t[..], "l", None, None, &Limits::default(), &mut walked).unwrap();
        assert_eq!(peeked.files, walked.files);
        assert_eq!(peeked.files.len(), 3);
        let gz = {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(&t).unwrap();
            e.finish().unwrap()
        };
        let mut none = Collect::default();
        assert!(!peek_layer(io::Cursor::new(gz), "l", &Limits::default(), &mut none).unwrap());
        assert!(none.files.is_empty());
    }

    /// A PAX extended header entry (`x`) naming the next entry.
    fn pax(records: &[(&str, &[u8])]) -> Vec<u8> {
        let mut data = Vec::new();
        for (k, v) in records {
            // The length counts itself: find the fixed point.
            let body = 1 + k.len() + 1 + v.len() + 1;
            let mut len = body + 1;
            while len.to_string().len() + body != len {
                len = len.to_string().len() + body;
            }
            data.extend_from_slice(format!("{len} {k}=").as_bytes());
            data.extend_from_slice(v);
            data.push(b'\n');
        }
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(tar::EntryType::XHeader);
        h.set_size(data.len() as u64);
        h.set_path("PaxHeaders/x").unwrap();
        h.set_cksum();
        let mut b = tar::Builder::new(Vec::new());
        b.append(&h, &data[..]).unwrap();
        let mut out = b.into_inner().unwrap();
        out.truncate(out.len() - 1024); // no end-of-archive blocks
        out
    }

    /// Issue #23: long names are bounded, and real long names (GNU and PAX) still work.
    #[test]
    fn long_names_are_read_within_a_bound() {
        // A GNU long name (the tar crate writes one for paths over 100 bytes).
        let long = format!("etc/{}/conf", "d".repeat(150));
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_size(3);
        h.set_mode(0o644);
        b.append_data(&mut h, &long, &b"abc"[..]).unwrap();
        let t = b.into_inner().unwrap();
        let mut got = Collect::default();
        walk_layer(&t[..], "l", None, None, &Limits::default(), &mut got).unwrap();
        assert_eq!(got.files[0].0, format!("/{long}"));
        // A PAX path overrides the header's name.
        let mut t = pax(&[("path", b"etc/from-pax")]);
        t.extend(tar_of(&[("etc/short", b"x")]));
        let mut got = Collect::default();
        walk_layer(&t[..], "l", None, None, &Limits::default(), &mut got).unwrap();
        assert_eq!(got.files[0].0, "/etc/from-pax");
        // A PAX path past the bound is an error, not gigabytes of memory.
        let huge = vec![b'a'; (MAX_NAME + 1) as usize];
        let mut t = pax(&[("path", &huge)]);
        t.extend(tar_of(&[("etc/short", b"x")]));
        let e = refused(&t, "l", None, None);
        assert!(e.to_string().contains("bound"), "{e}");
    }

    #[test]
    fn reads_wanted_files_and_whiteouts() {
        let t = tar_of(&[
            ("etc/os-release", b"ID=debian\n"),
            ("usr/bin/x", b"binary"),
            ("etc/.wh.gone", b""),
            ("var/.wh..wh..opq", b""),
            ("../../etc/shadow", b"x"),
        ]);
        let mut v = Collect::default();
        let d = walk_layer(
            &t[..],
            "l",
            None,
            Some(&sha(&t)),
            &Limits::default(),
            &mut v,
        )
        .unwrap();
        assert_eq!(d.compression, Compression::None);
        assert_eq!(d.diff_id, sha(&t));
        assert_eq!(d.blob, d.diff_id);
        assert_eq!(
            v.files,
            vec![
                (
                    "/etc/os-release".into(),
                    EntryKind::File,
                    b"ID=debian\n".to_vec()
                ),
                ("/etc/gone".into(), EntryKind::Whiteout, vec![]),
                ("/var".into(), EntryKind::OpaqueDir, vec![]),
                ("/etc/shadow".into(), EntryKind::File, b"x".to_vec()),
            ]
        );
        assert_eq!(v.warnings.len(), 1);
        assert!(v.warnings[0].1.contains("outside the image root"));
    }

    #[test]
    fn gzip_and_zstd_digests() {
        let t = tar_of(&[("etc/a", b"1")]);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&t).unwrap();
        let gz = gz.finish().unwrap();
        let zs = zstd::encode_all(&t[..], 1).unwrap();
        for (blob, c) in [(gz, Compression::Gzip), (zs, Compression::Zstd)] {
            let mut v = Collect::default();
            let d = walk_layer(
                &blob[..],
                "l",
                Some(&sha(&blob)),
                Some(&sha(&t)),
                &Limits::default(),
                &mut v,
            )
            .unwrap();
            assert_eq!(d.compression, c);
            assert_eq!(v.files.len(), 1);
        }
    }

    #[test]
    fn digest_mismatch_is_an_error() {
        let t = tar_of(&[("etc/a", b"1")]);
        let wrong = sha(b"other");
        let e = refused(&t, "l", None, Some(&wrong));
        assert!(matches!(e, ImageError::DigestMismatch { .. }), "{e}");
        let e = refused(&t, "l", Some(&wrong), None);
        assert!(matches!(e, ImageError::DigestMismatch { .. }), "{e}");
    }

    #[test]
    fn truncated_gzip_is_an_error() {
        let t = tar_of(&[("etc/a", &[7u8; 5000])]);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&t).unwrap();
        let gz = gz.finish().unwrap();
        let cut = &gz[..gz.len() / 2];
        let e = refused(cut, "sha256:abc", None, None);
        assert!(e.to_string().contains("sha256:abc"), "{e}");
    }

    #[test]
    fn decompression_bomb_is_stopped() {
        // 300 MiB of zeros compress to ~300 KiB: a ratio of ~1000:1.
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..300 {
            gz.write_all(&zeros).unwrap();
        }
        let gz = gz.finish().unwrap();
        let e = refused(&gz, "l", None, None);
        assert!(e.to_string().contains("bomb"), "{e}");
        let small = Limits {
            max_layer_bytes: 1 << 20,
            ..Limits::default()
        };
        let e = walk_layer(&gz[..], "l", None, None, &small, &mut Collect::default()).unwrap_err();
        assert!(e.to_string().contains("bytes"), "{e}");
    }

    #[test]
    fn huge_claimed_size_is_bounded() {
        let mut t = tar_of(&[("etc/a", b"12345")]);
        // Claim an 8 GiB file in the header (octal size field at 124..136).
        t[124..136].copy_from_slice(b"77777777777\0");
        let mut h = tar::Header::from_byte_slice(&t[..512]).clone();
        h.set_cksum();
        t[..512].copy_from_slice(h.as_bytes());
        let mut v = Collect::default();
        let r = walk_layer(&t[..], "l", None, None, &Limits::default(), &mut v);
        assert!(v.files.is_empty());
        assert!(!v.warnings.is_empty() || r.is_err());
    }
}
