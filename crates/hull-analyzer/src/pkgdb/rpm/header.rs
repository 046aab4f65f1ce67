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
    pub name: String,
    pub version: String,
    pub release: String,
    pub epoch: Option<u32>,
    pub arch: Option<String>,
    pub source_rpm: Option<String>,
    pub license: Option<String>,
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

/// Decodes one header blob.
pub fn parse_blob(blob: &[u8]) -> Result<RpmHeader, AnalyzeError> {
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
    let mut h = RpmHeader::default();
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
        let off = off as usize;
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
        let mut index = Vec::new();
        let mut data = Vec::new();
        for (tag, ty, bytes) in tags {
            if *ty == TYPE_INT32 {
                while data.len() % 4 != 0 {
                    data.push(0);
                }
            }
            index.extend_from_slice(&tag.to_be_bytes());
            index.extend_from_slice(&ty.to_be_bytes());
            index.extend_from_slice(&(data.len() as u32).to_be_bytes());
            index.extend_from_slice(&1u32.to_be_bytes());
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
}
