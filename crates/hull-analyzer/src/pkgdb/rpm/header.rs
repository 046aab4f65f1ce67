//! The rpm header blob as rpmdb stores it: `il` (index count) and `dl` (data length) as
//! big-endian u32, `il` 16-byte index entries (tag, type, offset, count), then `dl` bytes
//! of data. Only the tags hull reports are decoded.

use crate::AnalyzeError;

const TAG_NAME: u32 = 1000;
const TAG_VERSION: u32 = 1001;
const TAG_RELEASE: u32 = 1002;
const TAG_EPOCH: u32 = 1003;
const TAG_LICENSE: u32 = 1014;
const TAG_ARCH: u32 = 1022;
const TAG_SOURCERPM: u32 = 1044;

const TYPE_INT32: u32 = 4;
const TYPE_STRING: u32 = 6;
const TYPE_STRING_ARRAY: u32 = 8;
const TYPE_I18NSTRING: u32 = 9;

/// rpm's own limits (`hdrchkTags`, `hdrchkData`): more is a corrupt or hostile header.
const MAX_TAGS: usize = 0xffff;
const MAX_DATA: usize = 256 << 20;

/// The fields of one installed package that hull records.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RpmHeader {
    /// `NAME`.
    pub name: String,
    /// `VERSION`.
    pub version: String,
    /// `RELEASE`.
    pub release: String,
    /// `EPOCH`.
    pub epoch: Option<u32>,
    /// `ARCH`.
    pub arch: Option<String>,
    /// `SOURCERPM`.
    pub source_rpm: Option<String>,
    /// `LICENSE`.
    pub license: Option<String>,
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

/// One index entry: tag, type, data offset, count.
type IndexEntry = (u32, u32, usize, u32);

/// Splits a blob into its index entries and its data, every bound checked.
fn index(blob: &[u8]) -> Result<(Vec<IndexEntry>, &[u8]), AnalyzeError> {
    let bad = |r: &str| AnalyzeError::malformed("rpm header", r.to_string());
    let il = be32(blob, 0).ok_or_else(|| bad("shorter than 8 bytes"))? as usize;
    let dl = be32(blob, 4).ok_or_else(|| bad("shorter than 8 bytes"))? as usize;
    if il == 0 || il > MAX_TAGS || dl > MAX_DATA {
        return Err(bad("index count or data length out of range"));
    }
    let data_start = 8 + il * 16;
    let data = blob
        .get(data_start..data_start + dl)
        .ok_or_else(|| bad("index or data runs past the end of the blob"))?;
    let mut out = Vec::with_capacity(il);
    for i in 0..il {
        let e = 8 + i * 16;
        let (Some(tag), Some(ty), Some(off), Some(count)) = (
            be32(blob, e),
            be32(blob, e + 4),
            be32(blob, e + 8),
            be32(blob, e + 12),
        ) else {
            return Err(bad("truncated index entry"));
        };
        out.push((tag, ty, off as usize, count));
    }
    Ok((out, data))
}

/// Decodes one header blob.
pub fn parse_blob(blob: &[u8]) -> Result<RpmHeader, AnalyzeError> {
    let bad = |r: &str| AnalyzeError::malformed("rpm header", r.to_string());
    let (entries, data) = index(blob)?;
    let mut h = RpmHeader::default();
    for (tag, ty, off, count) in entries {
        match tag {
            TAG_NAME | TAG_VERSION | TAG_RELEASE | TAG_LICENSE | TAG_ARCH | TAG_SOURCERPM => {
                if !matches!(ty, TYPE_STRING | TYPE_I18NSTRING | TYPE_STRING_ARRAY) {
                    return Err(bad("string tag with a non-string type"));
                }
                let s = c_string(data, off).ok_or_else(|| bad("string runs past the data"))?;
                match tag {
                    TAG_NAME => h.name = s,
                    TAG_VERSION => h.version = s,
                    TAG_RELEASE => h.release = s,
                    TAG_LICENSE => h.license = Some(s),
                    TAG_ARCH => h.arch = Some(s),
                    _ => h.source_rpm = Some(s),
                }
            }
            TAG_EPOCH => {
                if ty != TYPE_INT32 || count == 0 {
                    return Err(bad("epoch is not an int32"));
                }
                h.epoch = Some(be32(data, off).ok_or_else(|| bad("epoch runs past the data"))?);
            }
            _ => {}
        }
    }
    Ok(h)
}

const TAG_FILEDIGESTS: u32 = 1035;
const TAG_FILEFLAGS: u32 = 1037;
const TAG_DIRINDEXES: u32 = 1116;
const TAG_BASENAMES: u32 = 1117;
const TAG_DIRNAMES: u32 = 1118;
const TAG_FILEDIGESTALGO: u32 = 5011;

/// `%config` files are the admin's to change; `%ghost` files are not in the package.
const RPMFILE_CONFIG: u32 = 1;
const RPMFILE_GHOST: u32 = 1 << 6;

/// The files of one package with the digest rpm recorded for each: regular files only
/// (directories and symlinks have an empty digest), `%config` and `%ghost` files left out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RpmFiles {
    /// `NAME`.
    pub name: String,
    /// `(absolute path, digest bytes)`.
    pub files: Vec<(String, Vec<u8>)>,
    /// rpm's `PGPHASHALGO`: 1 MD5 (also when absent, as rpm < 4.6 wrote), 2 SHA-1,
    /// 8 SHA-256, 9 SHA-384, 10 SHA-512.
    pub algo: u32,
}

/// Decodes the file list and file digests of one header blob.
pub fn parse_files(blob: &[u8]) -> Result<RpmFiles, AnalyzeError> {
    let bad = |r: &str| AnalyzeError::malformed("rpm header", r.to_string());
    let (entries, data) = index(blob)?;
    let mut out = RpmFiles {
        algo: 1,
        ..RpmFiles::default()
    };
    let (mut digests, mut flags, mut dir_index, mut base, mut dirs) =
        (vec![], vec![], vec![], vec![], vec![]);
    for (tag, ty, off, count) in entries {
        match tag {
            TAG_NAME => {
                out.name = c_string(data, off).ok_or_else(|| bad("string runs past the data"))?
            }
            TAG_FILEDIGESTS | TAG_BASENAMES | TAG_DIRNAMES => {
                if ty != TYPE_STRING_ARRAY {
                    return Err(bad("file list tag with a non-string-array type"));
                }
                let v = strings(data, off, count)
                    .ok_or_else(|| bad("string array runs past the data"))?;
                match tag {
                    TAG_FILEDIGESTS => digests = v,
                    TAG_BASENAMES => base = v,
                    _ => dirs = v,
                }
            }
            TAG_FILEFLAGS | TAG_DIRINDEXES => {
                if ty != TYPE_INT32 {
                    return Err(bad("file list tag with a non-int32 type"));
                }
                let v = int32s(data, off, count)
                    .ok_or_else(|| bad("int32 array runs past the data"))?;
                if tag == TAG_FILEFLAGS {
                    flags = v;
                } else {
                    dir_index = v;
                }
            }
            TAG_FILEDIGESTALGO => {
                if ty != TYPE_INT32 || count == 0 {
                    return Err(bad("file digest algorithm is not an int32"));
                }
                out.algo = be32(data, off).ok_or_else(|| bad("int32 runs past the data"))?;
            }
            _ => {}
        }
    }
    if base.len() != digests.len() || base.len() != dir_index.len() {
        return Err(bad(
            "file name, directory and digest arrays differ in length",
        ));
    }
    for (i, name) in base.iter().enumerate() {
        let f = flags.get(i).copied().unwrap_or(0);
        if digests[i].is_empty() || f & (RPMFILE_CONFIG | RPMFILE_GHOST) != 0 {
            continue;
        }
        let dir = dirs
            .get(dir_index[i] as usize)
            .ok_or_else(|| bad("directory index out of range"))?;
        let digest = hex::decode(&digests[i]).map_err(|_| bad("file digest is not hex"))?;
        out.files.push((format!("{dir}{name}"), digest));
    }
    Ok(out)
}

/// `count` NUL-terminated strings from `off`.
fn strings(data: &[u8], off: usize, count: u32) -> Option<Vec<String>> {
    let mut rest = data.get(off..)?;
    // Each string takes at least one byte: a count above the data left is corrupt.
    if count as usize > rest.len() {
        return None;
    }
    let mut out = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let end = rest.iter().position(|&b| b == 0)?;
        out.push(String::from_utf8_lossy(&rest[..end]).into_owned());
        rest = &rest[end + 1..];
    }
    Some(out)
}

/// `count` big-endian int32 values from `off`.
fn int32s(data: &[u8], off: usize, count: u32) -> Option<Vec<u32>> {
    let len = (count as usize).checked_mul(4)?;
    let b = data.get(off..off.checked_add(len)?)?;
    Some(
        b.chunks_exact(4)
            .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
            .collect(),
    )
}

fn c_string(data: &[u8], off: usize) -> Option<String> {
    let rest = data.get(off..)?;
    let end = rest.iter().position(|&b| b == 0)?;
    Some(String::from_utf8_lossy(&rest[..end]).into_owned())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Builds a header blob the way rpm lays it out; used by the database format tests.
    pub(crate) fn blob(tags: &[(u32, u32, Vec<u8>)]) -> Vec<u8> {
        let counted: Vec<_> = tags
            .iter()
            .map(|(t, y, b)| (*t, *y, 1, b.clone()))
            .collect();
        blob_n(&counted)
    }

    /// [`blob`] with each entry's count given.
    pub(crate) fn blob_n(tags: &[(u32, u32, u32, Vec<u8>)]) -> Vec<u8> {
        let mut index = Vec::new();
        let mut data = Vec::new();
        for (tag, ty, count, bytes) in tags {
            if *ty == TYPE_INT32 {
                while data.len() % 4 != 0 {
                    data.push(0);
                }
            }
            index.extend_from_slice(&tag.to_be_bytes());
            index.extend_from_slice(&ty.to_be_bytes());
            index.extend_from_slice(&(data.len() as u32).to_be_bytes());
            index.extend_from_slice(&count.to_be_bytes());
            data.extend_from_slice(bytes);
        }
        let mut out = Vec::new();
        out.extend_from_slice(&(tags.len() as u32).to_be_bytes());
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend_from_slice(&index);
        out.extend_from_slice(&data);
        out
    }

    pub(crate) fn s(v: &str) -> Vec<u8> {
        let mut b = v.as_bytes().to_vec();
        b.push(0);
        b
    }

    #[test]
    fn decodes_tags() {
        let b = blob(&[
            (TAG_NAME, TYPE_STRING, s("bash")),
            (TAG_VERSION, TYPE_STRING, s("5.1.8")),
            (TAG_RELEASE, TYPE_STRING, s("9.el9")),
            (TAG_EPOCH, TYPE_INT32, 2u32.to_be_bytes().to_vec()),
            (TAG_ARCH, TYPE_STRING, s("x86_64")),
        ]);
        let h = parse_blob(&b).unwrap();
        assert_eq!(h.name, "bash");
        assert_eq!(h.evr(), "2:5.1.8-9.el9");
    }

    #[test]
    fn rejects_out_of_bounds() {
        let mut b = blob(&[(TAG_NAME, TYPE_STRING, s("bash"))]);
        // point the offset past the data
        b[8 + 8..8 + 12].copy_from_slice(&1000u32.to_be_bytes());
        assert!(parse_blob(&b).is_err());
        assert!(parse_blob(&[0, 0]).is_err());
        assert!(parse_blob(&[0xff; 16]).is_err());
        // unterminated string
        let mut b = blob(&[(TAG_NAME, TYPE_STRING, b"bash".to_vec())]);
        b.truncate(b.len());
        assert!(parse_blob(&b).is_err());
    }

    fn strs(v: &[&str]) -> Vec<u8> {
        v.iter().flat_map(|x| s(x)).collect()
    }

    fn ints(v: &[u32]) -> Vec<u8> {
        v.iter().flat_map(|x| x.to_be_bytes()).collect()
    }

    #[test]
    fn decodes_file_digests() {
        let sha = "a".repeat(64);
        let b = blob_n(&[
            (TAG_NAME, TYPE_STRING, 1, s("bash")),
            (
                TAG_FILEDIGESTS,
                TYPE_STRING_ARRAY,
                4,
                strs(&[&sha, "", &sha, &sha]),
            ),
            (
                TAG_FILEFLAGS,
                TYPE_INT32,
                4,
                ints(&[0, 0, RPMFILE_CONFIG, RPMFILE_GHOST]),
            ),
            (TAG_DIRINDEXES, TYPE_INT32, 4, ints(&[0, 1, 2, 2])),
            (
                TAG_BASENAMES,
                TYPE_STRING_ARRAY,
                4,
                strs(&["bash", "doc", "bashrc", "log"]),
            ),
            (
                TAG_DIRNAMES,
                TYPE_STRING_ARRAY,
                3,
                strs(&["/usr/bin/", "/usr/share/", "/etc/"]),
            ),
            (TAG_FILEDIGESTALGO, TYPE_INT32, 1, ints(&[8])),
        ]);
        let f = parse_files(&b).unwrap();
        assert_eq!(f.name, "bash");
        assert_eq!(f.algo, 8);
        // The directory (empty digest), the %config and the %ghost file are left out.
        assert_eq!(f.files, vec![("/usr/bin/bash".to_string(), vec![0xaa; 32])]);
        // A directory index past the directory list is an error, not a panic.
        let b = blob_n(&[
            (TAG_FILEDIGESTS, TYPE_STRING_ARRAY, 1, strs(&[&sha])),
            (TAG_DIRINDEXES, TYPE_INT32, 1, ints(&[7])),
            (TAG_BASENAMES, TYPE_STRING_ARRAY, 1, strs(&["x"])),
            (TAG_DIRNAMES, TYPE_STRING_ARRAY, 1, strs(&["/"])),
        ]);
        assert!(parse_files(&b).is_err());
        // A count larger than the data is an error.
        let b = blob_n(&[(TAG_BASENAMES, TYPE_STRING_ARRAY, 1000, strs(&["x"]))]);
        assert!(parse_files(&b).is_err());
    }
}
