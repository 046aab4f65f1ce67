//! Berkeley DB hash database, as rpm < 4.16 writes `Packages`.
//!
//! Page 0 is the hash metadata page (magic 0x061561, page size, last page number). Hash pages
//! hold key/value index pairs; rpm's values (header blobs) are off-page items whose bytes are
//! chained through overflow pages. Every page number, offset and chain is checked: a cycle or
//! a chain longer than the file is an error, not a hang.

use super::header::{parse_blob, RpmHeader};
use crate::AnalyzeError;

const HASH_MAGIC: u32 = 0x0006_1561;
const PAGE_HEADER: usize = 26;
const P_HASH_UNSORTED: u8 = 2;
const P_OVERFLOW: u8 = 7;
const P_HASH: u8 = 13;
const H_KEYDATA: u8 = 1;
const H_OFFPAGE: u8 = 3;

struct Db<'a> {
    bytes: &'a [u8],
    page_size: usize,
    big_endian: bool,
}

impl Db<'_> {
    fn u16(&self, at: usize) -> Option<u16> {
        let b = self.bytes.get(at..at + 2)?;
        Some(if self.big_endian {
            u16::from_be_bytes([b[0], b[1]])
        } else {
            u16::from_le_bytes([b[0], b[1]])
        })
    }
    fn u32(&self, at: usize) -> Option<u32> {
        let b = self.bytes.get(at..at + 4)?;
        let a = [b[0], b[1], b[2], b[3]];
        Some(if self.big_endian {
            u32::from_be_bytes(a)
        } else {
            u32::from_le_bytes(a)
        })
    }
    fn page(&self, n: u32) -> Option<&[u8]> {
        let start = (n as usize).checked_mul(self.page_size)?;
        self.bytes.get(start..start.checked_add(self.page_size)?)
    }
    fn page_type(&self, n: u32) -> Option<u8> {
        self.page(n).map(|p| p[25])
    }

    /// Follows an overflow chain, bounded by `total` bytes and the number of pages.
    fn overflow(&self, first: u32, total: usize) -> Result<Vec<u8>, AnalyzeError> {
        let bad = |r: &str| AnalyzeError::malformed("rpm Berkeley DB", r.to_string());
        let max_pages = self.bytes.len() / self.page_size;
        let mut out = Vec::with_capacity(total.min(self.bytes.len()));
        let mut n = first;
        let mut hops = 0;
        while n != 0 {
            hops += 1;
            if hops > max_pages {
                return Err(bad("overflow chain loops"));
            }
            let page = self
                .page(n)
                .ok_or_else(|| bad("overflow page past end of file"))?;
            if page[25] != P_OVERFLOW {
                return Err(bad("overflow chain reaches a non-overflow page"));
            }
            let base = n as usize * self.page_size;
            let next = self.u32(base + 16).unwrap_or(0);
            let len = if next == 0 {
                self.u16(base + 22).unwrap_or(0) as usize
            } else {
                self.page_size - PAGE_HEADER
            };
            let chunk = page
                .get(PAGE_HEADER..PAGE_HEADER + len)
                .ok_or_else(|| bad("overflow length past page end"))?;
            out.extend_from_slice(chunk);
            if out.len() > total {
                return Err(bad("overflow chain longer than the item"));
            }
            n = next;
        }
        Ok(out)
    }
}

/// Reads every package header blob from a `Packages` file.
pub fn parse(bytes: &[u8]) -> Result<Vec<RpmHeader>, AnalyzeError> {
    parse_with(bytes, parse_blob)
}

/// Every header blob of the database, each decoded by `decode` (the package fields, or the
/// file digests).
pub fn parse_with<T>(
    bytes: &[u8],
    decode: impl Fn(&[u8]) -> Result<T, AnalyzeError>,
) -> Result<Vec<T>, AnalyzeError> {
    let bad = |r: &str| AnalyzeError::malformed("rpm Berkeley DB", r.to_string());
    let magic_le = bytes
        .get(12..16)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or_else(|| bad("shorter than the metadata page"))?;
    let big_endian = match magic_le {
        HASH_MAGIC => false,
        m if m.swap_bytes() == HASH_MAGIC => true,
        _ => return Err(bad("not a Berkeley DB hash database (bad magic)")),
    };
    let mut db = Db {
        bytes,
        page_size: 0,
        big_endian,
    };
    let page_size = db.u32(20).ok_or_else(|| bad("no page size"))? as usize;
    if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
        return Err(bad("page size is not a power of two in 512..=65536"));
    }
    db.page_size = page_size;
    let last = db.u32(32).ok_or_else(|| bad("no last page number"))?;
    let pages = (bytes.len() / page_size) as u32;
    let last = last.min(pages.saturating_sub(1));

    let mut budget = super::Budget::new("rpm Berkeley DB", bytes.len());
    let mut out = Vec::new();
    for n in 1..=last {
        let ty = db.page_type(n).unwrap_or(0);
        if ty != P_HASH && ty != P_HASH_UNSORTED {
            continue;
        }
        let base = n as usize * page_size;
        let entries = db.u16(base + 20).unwrap_or(0) as usize;
        // Values sit at odd index positions (key, value, key, value, ...).
        for i in (1..entries).step_by(2) {
            let Some(off) = db.u16(base + PAGE_HEADER + 2 * i) else {
                return Err(bad("index past page end"));
            };
            let off = off as usize;
            if off >= page_size {
                return Err(bad("item offset past page end"));
            }
            let item = base + off;
            let blob = match bytes[item] {
                H_OFFPAGE => {
                    let pgno = db
                        .u32(item + 4)
                        .ok_or_else(|| bad("truncated off-page item"))?;
                    let tlen = db
                        .u32(item + 8)
                        .ok_or_else(|| bad("truncated off-page item"))?;
                    if tlen as usize > bytes.len() {
                        return Err(bad("off-page item longer than the file"));
                    }
                    budget.take(tlen as usize)?;
                    db.overflow(pgno, tlen as usize)?
                }
                H_KEYDATA => {
                    // On-page item: it ends where the previous item (stored above it) begins.
                    let end = if i == 0 {
                        page_size
                    } else {
                        db.u16(base + PAGE_HEADER + 2 * (i - 1)).unwrap_or(0) as usize
                    };
                    if end <= off + 1 || end > page_size {
                        continue;
                    }
                    budget.take(end - off - 1)?;
                    bytes[item + 1..base + end].to_vec()
                }
                _ => continue,
            };
            // Record 0 of rpm's Packages holds a 4-byte counter, not a header.
            if blob.len() <= 8 {
                continue;
            }
            out.push(decode(&blob)?);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A three-page hash database of page size `ps`: the metadata page, page 1 a hash page
    /// (returned as its offset) and page 2 left for the test to fill.
    fn three_pages(ps: usize) -> (Vec<u8>, usize) {
        let mut f = vec![0u8; ps * 3];
        f[12..16].copy_from_slice(&HASH_MAGIC.to_le_bytes());
        f[20..24].copy_from_slice(&(ps as u32).to_le_bytes());
        f[32..36].copy_from_slice(&2u32.to_le_bytes());
        let h = ps;
        f[h + 25] = P_HASH;
        (f, h)
    }

    #[test]
    fn rejects_garbage() {
        assert!(parse(b"").is_err());
        assert!(parse(&[0u8; 4096]).is_err());
    }

    #[test]
    fn overflow_loop_is_an_error() {
        // metadata page + one hash page pointing at an overflow page that points at itself.
        let ps = 512usize;
        let (mut f, h) = three_pages(ps);
        f[h + 20..h + 22].copy_from_slice(&2u16.to_le_bytes());
        f[h + 26..h + 28].copy_from_slice(&500u16.to_le_bytes());
        f[h + 28..h + 30].copy_from_slice(&400u16.to_le_bytes());
        f[h + 400] = H_OFFPAGE;
        f[h + 404..h + 408].copy_from_slice(&2u32.to_le_bytes());
        f[h + 408..h + 412].copy_from_slice(&100_000u32.to_le_bytes());
        let o = 2 * ps;
        f[o + 25] = P_OVERFLOW;
        f[o + 16..o + 20].copy_from_slice(&2u32.to_le_bytes());
        assert!(parse(&f).is_err());
    }

    /// Issue #23: every value slot of a hash page reusing one overflow chain made a small file
    /// expand without bound; the header bytes a database yields are now capped by its size.
    #[test]
    fn value_slots_sharing_one_overflow_chain_are_refused() {
        let ps = 4096usize;
        let (mut f, h) = three_pages(ps);
        // 200 entries: keys and values; every value is the same off-page item.
        let entries = 200u16;
        f[h + 20..h + 22].copy_from_slice(&entries.to_le_bytes());
        let item = 3000u16;
        for i in 0..entries as usize {
            let at = h + PAGE_HEADER + 2 * i;
            f[at..at + 2].copy_from_slice(&item.to_le_bytes());
        }
        let it = h + item as usize;
        f[it] = H_OFFPAGE;
        f[it + 4..it + 8].copy_from_slice(&2u32.to_le_bytes());
        let len = (ps - PAGE_HEADER) as u32;
        f[it + 8..it + 12].copy_from_slice(&len.to_le_bytes());
        let o = 2 * ps;
        f[o + 25] = P_OVERFLOW;
        f[o + 22..o + 24].copy_from_slice(&(len as u16).to_le_bytes());
        // A valid-looking header blob is not needed: the budget stops it before decoding
        // runs out of file (100 x 4 KiB items from a 12 KiB file).
        let e = parse_with(&f, |_| Ok(())).unwrap_err();
        assert!(
            e.to_string()
                .contains("more header bytes than the file holds"),
            "{e}"
        );
    }
}
