//! rpm's "new database" format, `Packages.db` (SUSE 15, rpm built with `--with-ndb`).
//!
//! Little-endian. A 16-byte header (magic `RpmP`, version 0, generation, slot page count) is
//! followed by slot pages of 16-byte slots (magic `Slot`, package index, block offset, block
//! count); each used slot points (in 16-byte blocks) at a blob header (magic `BlbS`, package
//! index, checksum, length) followed by the header blob.

use super::header::{parse_blob, RpmHeader};
use crate::AnalyzeError;

const HEADER_MAGIC: u32 = u32::from_le_bytes(*b"RpmP");
const SLOT_MAGIC: u32 = u32::from_le_bytes(*b"Slot");
const BLOB_MAGIC: u32 = u32::from_le_bytes(*b"BlbS");
const PAGE: usize = 4096;
const BLOCK: usize = 16;
/// rpm itself refuses more slot pages than this.
const MAX_SLOT_PAGES: usize = 2048;

fn le32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

/// Reads every package header blob from a `Packages.db` file.
pub fn parse(bytes: &[u8]) -> Result<Vec<RpmHeader>, AnalyzeError> {
    parse_with(bytes, parse_blob)
}

/// Every header blob of the database, each decoded by `decode` (the package fields, or the
/// file digests).
pub fn parse_with<T>(
    bytes: &[u8],
    decode: impl Fn(&[u8]) -> Result<T, AnalyzeError>,
) -> Result<Vec<T>, AnalyzeError> {
    let bad = |r: String| AnalyzeError::malformed("rpm NDB", r);
    if le32(bytes, 0) != Some(HEADER_MAGIC) || le32(bytes, 4) != Some(0) {
        return Err(bad("not an NDB database (bad magic or version)".into()));
    }
    let slot_pages = le32(bytes, 12).unwrap_or(0) as usize;
    if slot_pages == 0 || slot_pages > MAX_SLOT_PAGES {
        return Err(bad(format!("slot page count {slot_pages} out of range")));
    }
    let slots_end = (slot_pages * PAGE).min(bytes.len());
    let mut budget = super::Budget::new("rpm NDB", bytes.len());
    let mut out = Vec::new();
    // The first two slot positions hold the file header.
    let mut at = 2 * BLOCK;
    while at + BLOCK <= slots_end {
        let (magic, pkg, off) = (
            le32(bytes, at).unwrap_or(0),
            le32(bytes, at + 4).unwrap_or(0),
            le32(bytes, at + 8).unwrap_or(0) as usize,
        );
        at += BLOCK;
        if magic != SLOT_MAGIC {
            return Err(bad(format!("bad slot magic at offset {}", at - BLOCK)));
        }
        if pkg == 0 {
            continue;
        }
        let blob_at = off
            .checked_mul(BLOCK)
            .ok_or_else(|| bad("block offset overflows".into()))?;
        if le32(bytes, blob_at) != Some(BLOB_MAGIC) || le32(bytes, blob_at + 4) != Some(pkg) {
            return Err(bad(format!("slot for package {pkg} points at no blob")));
        }
        let len = le32(bytes, blob_at + 12).unwrap_or(0) as usize;
        let start = blob_at + BLOCK;
        let blob = start
            .checked_add(len)
            .and_then(|end| bytes.get(start..end))
            .ok_or_else(|| bad(format!("blob of package {pkg} runs past the end")))?;
        budget.take(blob.len())?;
        out.push(decode(blob)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_garbage() {
        assert!(parse(b"RpmP").is_err());
        let mut f = vec![0u8; PAGE];
        f[0..4].copy_from_slice(b"RpmP");
        f[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(parse(&f).is_err());
        // a slot pointing past the end
        f[12..16].copy_from_slice(&1u32.to_le_bytes());
        f[32..36].copy_from_slice(b"Slot");
        f[36..40].copy_from_slice(&1u32.to_le_bytes());
        f[40..44].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(parse(&f).is_err());
    }
}
