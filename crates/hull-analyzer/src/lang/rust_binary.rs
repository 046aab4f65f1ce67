//! Rust binaries built with `cargo auditable`: the `.dep-v0` ELF section holds the
//! dependency tree as zlib-compressed JSON (`{"packages": [{"name", "version", "source",
//! "kind", "dependencies", "root"}]}`), written by the build itself.

use std::io::Read;

use hull_types::PackageKind;
use serde::Deserialize;

use super::{finish, package};
use crate::{AnalyzeError, Analyzer, AnalyzerId, FileInput, Output};

/// Rust binaries built with `cargo auditable` (their `.dep-v0` section).
pub struct RustBinary;

/// Decompressed size bound of the dependency list.
const MAX_JSON: u64 = 16 << 20;

#[derive(Deserialize)]
struct Audit {
    #[serde(default)]
    packages: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    name: String,
    version: String,
    #[serde(default)]
    root: bool,
}

impl Analyzer for RustBinary {
    fn id(&self) -> AnalyzerId {
        AnalyzerId("rust-binary")
    }
    fn version(&self) -> u32 {
        1
    }
    fn wants(&self, path: &str) -> bool {
        super::go_binary::GoBinary.wants(path)
    }
    fn max_size(&self) -> u64 {
        256 << 20
    }
    fn min_size(&self) -> u64 {
        32 << 10
    }
    fn analyze(&self, file: &FileInput<'_>) -> Result<Output, AnalyzeError> {
        let Some(section) = elf_section(file.bytes, ".dep-v0") else {
            return Ok(Output::default());
        };
        let mut json = Vec::new();
        flate2::read::ZlibDecoder::new(section)
            .take(MAX_JSON + 1)
            .read_to_end(&mut json)
            .map_err(|e| AnalyzeError::malformed("cargo-auditable data", e.to_string()))?;
        if json.len() as u64 > MAX_JSON {
            return Err(AnalyzeError::TooLarge {
                format: "cargo-auditable data",
                limit: MAX_JSON as usize,
            });
        }
        let audit: Audit = serde_json::from_slice(&json)
            .map_err(|e| AnalyzeError::malformed("cargo-auditable data", e.to_string()))?;
        let mut out = Vec::new();
        for e in audit.packages {
            let mut p = package(PackageKind::Cargo, &e.name, &e.version, file.path);
            // The root is the binary's own crate; every other one a dependency of it.
            p.direct = (!e.root).then_some(false);
            out.push(p);
        }
        Ok(Output {
            packages: finish(out),
            ..Output::default()
        })
    }
}

/// The bytes of a named section of a 64- or 32-bit, little- or big-endian ELF file.
fn elf_section<'a>(b: &'a [u8], want: &str) -> Option<&'a [u8]> {
    if !b.starts_with(b"\x7fELF") {
        return None;
    }
    let class64 = *b.get(4)? == 2;
    let le = *b.get(5)? == 1;
    let rd = |o: usize, n: usize| -> Option<u64> {
        let s = b.get(o..o + n)?;
        let mut v: u64 = 0;
        for i in 0..n {
            let byte = if le { s[n - 1 - i] } else { s[i] };
            v = (v << 8) | u64::from(byte);
        }
        Some(v)
    };
    let (shoff, shentsize, shnum, shstrndx) = if class64 {
        (rd(0x28, 8)?, rd(0x3a, 2)?, rd(0x3c, 2)?, rd(0x3e, 2)?)
    } else {
        (rd(0x20, 4)?, rd(0x2e, 2)?, rd(0x30, 2)?, rd(0x32, 2)?)
    };
    let header = |i: u64| -> Option<(u64, u64, u64)> {
        let o = usize::try_from(shoff.checked_add(i.checked_mul(shentsize)?)?).ok()?;
        Some(if class64 {
            (rd(o, 4)?, rd(o + 0x18, 8)?, rd(o + 0x20, 8)?) // name, offset, size
        } else {
            (rd(o, 4)?, rd(o + 0x10, 4)?, rd(o + 0x14, 4)?)
        })
    };
    let (_, stroff, strsize) = header(shstrndx)?;
    let strtab =
        b.get(usize::try_from(stroff).ok()?..usize::try_from(stroff.checked_add(strsize)?).ok()?)?;
    for i in 0..shnum.min(4096) {
        let (name, off, size) = header(i)?;
        let name = strtab.get(usize::try_from(name).ok()?..)?;
        let end = name.iter().position(|&c| c == 0)?;
        if &name[..end] == want.as_bytes() {
            let start = usize::try_from(off).ok()?;
            return b.get(start..start.checked_add(usize::try_from(size).ok()?)?);
        }
    }
    None
}
