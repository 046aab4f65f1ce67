//! Random access to the members of a tar file (`docker save` archives, OCI layouts in a
//! tar): one pass over the headers, seeking past contents, then each member opened on its own
//! file handle so layers can be read in parallel.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::{normalize, ImageError};

/// More members than this is not an image archive.
const MAX_MEMBERS: usize = 1_000_000;

/// Where each regular file of the archive lies.
#[derive(Debug)]
pub struct TarIndex {
    pub path: PathBuf,
    members: HashMap<String, (u64, u64)>,
}

impl TarIndex {
    /// Reads every header of the archive, seeking past member data.
    pub fn open(path: &Path) -> Result<Self, ImageError> {
        let shown = path.display().to_string();
        let file = File::open(path).map_err(|e| ImageError::io(&shown, e))?;
        let mut archive = tar::Archive::new(file);
        let mut members = HashMap::new();
        let entries = archive.entries_with_seek().map_err(|e| {
            ImageError::malformed(&shown, format!("not a tar archive: {}", tar_error(&e)))
        })?;
        for entry in entries {
            let entry = entry
                .map_err(|e| ImageError::malformed(&shown, format!("tar: {}", tar_error(&e))))?;
            if !entry.header().entry_type().is_file() {
                continue;
            }
            let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            if let Some((norm, _)) = normalize(&name) {
                members.insert(norm, (entry.raw_file_position(), entry.size()));
            }
            if members.len() > MAX_MEMBERS {
                return Err(ImageError::malformed(&shown, "too many archive members"));
            }
        }
        Ok(TarIndex {
            path: path.to_path_buf(),
            members,
        })
    }

    pub fn contains(&self, member: &str) -> bool {
        self.lookup(member).is_some()
    }

    fn lookup(&self, member: &str) -> Option<(u64, u64)> {
        let (norm, _) = normalize(member)?;
        self.members.get(&norm).copied()
    }

    /// The member's size, if present.
    pub fn size(&self, member: &str) -> Option<u64> {
        self.lookup(member).map(|(_, s)| s)
    }

    /// Opens a member for streaming, on a new file handle.
    pub fn open_member(&self, member: &str) -> Result<std::io::Take<File>, ImageError> {
        let shown = format!("{}:{member}", self.path.display());
        let (off, size) = self
            .lookup(member)
            .ok_or_else(|| ImageError::NotFound(format!("{shown}: no such archive member")))?;
        let mut f = File::open(&self.path).map_err(|e| ImageError::io(&shown, e))?;
        f.seek(SeekFrom::Start(off))
            .map_err(|e| ImageError::io(&shown, e))?;
        Ok(f.take(size))
    }

    /// An index naming one member at a known place (for tests of the readers above it).
    #[cfg(test)]
    pub(crate) fn fake(path: &Path, member: &str, offset: u64, size: u64) -> Self {
        TarIndex {
            path: path.to_path_buf(),
            members: HashMap::from([(normalize(member).unwrap().0, (offset, size))]),
        }
    }

    /// A member as a seekable window of the archive, on a new file handle.
    pub fn window(&self, member: &str) -> Result<FileWindow, ImageError> {
        let shown = format!("{}:{member}", self.path.display());
        let (start, len) = self
            .lookup(member)
            .ok_or_else(|| ImageError::NotFound(format!("{shown}: no such archive member")))?;
        let file = File::open(&self.path).map_err(|e| ImageError::io(&shown, e))?;
        Ok(FileWindow {
            file,
            start,
            len,
            pos: 0,
        })
    }

    /// Reads a small member (a manifest or config) whole, within `limit` bytes.
    pub fn read_member(&self, member: &str, limit: u64) -> Result<Vec<u8>, ImageError> {
        let shown = format!("{}:{member}", self.path.display());
        let size = self
            .size(member)
            .ok_or_else(|| ImageError::NotFound(format!("{shown}: no such archive member")))?;
        if size > limit {
            return Err(ImageError::TooLarge { what: shown, limit });
        }
        let mut buf = Vec::with_capacity(size as usize);
        self.open_member(member)?
            .read_to_end(&mut buf)
            .map_err(|e| ImageError::io(&shown, e))?;
        Ok(buf)
    }
}

/// `len` bytes of a file from `start`, readable and seekable as if they were the whole file.
pub struct FileWindow {
    file: File,
    start: u64,
    len: u64,
    pos: u64,
}

impl FileWindow {
    pub(crate) fn whole(p: &std::path::Path) -> Result<Self, ImageError> {
        let shown = p.display().to_string();
        let file = open_regular(p)?;
        let len = file
            .metadata()
            .map_err(|e| ImageError::io(&shown, e))?
            .len();
        Ok(FileWindow {
            file,
            start: 0,
            len,
            pos: 0,
        })
    }
}

impl Read for FileWindow {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let left = self.len.saturating_sub(self.pos);
        if left == 0 {
            return Ok(0);
        }
        let want = (buf.len() as u64).min(left) as usize;
        self.file.seek(SeekFrom::Start(self.start + self.pos))?;
        let n = self.file.read(&mut buf[..want])?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for FileWindow {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        let base = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
        };
        let pos = base.ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "seek before the start")
        })?;
        self.pos = pos;
        Ok(pos)
    }
}

/// Opens a file of an image layout (a blob, `index.json`) without following links: only a
/// regular file is opened, never a symlink (to `~/.docker/config.json`, `/etc/shadow`), a FIFO
/// (which would block) or a device. The last component is opened with `O_NOFOLLOW` and
/// checked with `fstat` on the open descriptor, so nothing can be swapped in between; the
/// layout's own `blobs/` and `blobs/sha256/` directories must not be links either.
pub(crate) fn open_regular(path: &std::path::Path) -> Result<File, ImageError> {
    use std::os::unix::fs::OpenOptionsExt;
    let shown = path.display().to_string();
    let mut dir = path.parent();
    for name in ["sha256", "blobs"] {
        match dir {
            Some(d) if d.file_name().is_some_and(|n| n == name) => {
                let is_link =
                    std::fs::symlink_metadata(d).is_ok_and(|m| m.file_type().is_symlink());
                if is_link {
                    return Err(ImageError::malformed(
                        d.display().to_string(),
                        "not a regular file: a symlink (links in an image layout are not followed)",
                    ));
                }
                dir = d.parent();
            }
            _ => break,
        }
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| match e.raw_os_error() {
            Some(libc::ELOOP) => ImageError::malformed(
                &shown,
                "not a regular file: a symlink (links in an image layout are not followed)",
            ),
            _ => ImageError::io(&shown, e),
        })?;
    let meta = file.metadata().map_err(|e| ImageError::io(&shown, e))?;
    if !meta.file_type().is_file() {
        return Err(ImageError::malformed(
            shown,
            "not a regular file (a FIFO, device or directory is not read)",
        ));
    }
    Ok(file)
}

/// What went wrong in a tar stream, without the bytes that were wrong: the `tar` crate quotes
/// header fields, and a "layer" that is really someone's credentials file must not have them
/// echoed into a CI log.
pub(crate) fn tar_error(e: &std::io::Error) -> &'static str {
    match e.kind() {
        std::io::ErrorKind::UnexpectedEof => "truncated (unexpected end of data)",
        std::io::ErrorKind::InvalidData | std::io::ErrorKind::Other => {
            "malformed tar header (bad checksum, number or name field)"
        }
        std::io::ErrorKind::InvalidInput => "malformed tar entry",
        _ => "unreadable tar data",
    }
}
