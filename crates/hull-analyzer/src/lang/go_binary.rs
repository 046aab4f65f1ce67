//! Go binaries: the build information the Go linker embeds (`runtime/debug.BuildInfo`):
//! the main module, every dependency (with `=>` replacements applied), and the Go version,
//! reported as the `stdlib` package as OSV names it.
//!
//! Two layouts exist. Go 1.18+ writes the version and module strings inline after the
//! `\xff Go buildinf:` header (flag bit 2); older linkers write two pointers to Go string
//! headers, resolved here through the ELF program headers. No crate reads this without
//! pulling in a full object-file parser, and the format is 40 lines of bytes.

use hull_types::PackageKind;

use super::package;
use crate::{AnalyzeError, Analyzer, AnalyzerId, FileInput, Output};

/// Go binaries' embedded build information (module, dependencies, Go version).
pub struct GoBinary;

const MAGIC: &[u8] = b"\xff Go buildinf:";

/// Directories executables are installed to in images.
const BIN_DIRS: &[&str] = &[
    "/bin/",
    "/sbin/",
    "/usr/bin/",
    "/usr/sbin/",
    "/usr/local/bin/",
    "/usr/local/sbin/",
    "/go/bin/",
    "/app/",
    "/opt/",
    "/usr/libexec/",
    "/ko-app/",
];

impl Analyzer for GoBinary {
    fn id(&self) -> AnalyzerId {
        AnalyzerId("go-binary")
    }
    fn version(&self) -> u32 {
        // 2: a link over a binary is recorded (it hides the binary); cached layers from
        // before lack that record.
        2
    }
    fn wants(&self, path: &str) -> bool {
        let name = super::base(path);
        // Executables have no extension (or a version-like one); skip the obvious others.
        let ext_ok = !name.contains('.')
            || !matches!(
                name.rsplit('.').next().unwrap_or(""),
                "sh" | "py"
                    | "pl"
                    | "rb"
                    | "js"
                    | "json"
                    | "txt"
                    | "md"
                    | "conf"
                    | "yaml"
                    | "yml"
                    | "xml"
                    | "html"
                    | "css"
                    | "so"
                    | "a"
                    | "jar"
                    | "war"
                    | "class"
                    | "pyc"
                    | "gz"
                    | "zip"
                    | "tar"
                    | "h"
                    | "c"
            );
        ext_ok && (BIN_DIRS.iter().any(|d| path.starts_with(d)) || path.matches('/').count() == 1)
    }
    fn max_size(&self) -> u64 {
        256 << 20
    }
    /// The smallest Go executables (a stripped `hello world`) are about 1.2 MB.
    fn min_size(&self) -> u64 {
        512 << 10
    }
    fn analyze(&self, file: &FileInput<'_>) -> Result<Output, AnalyzeError> {
        let b = file.bytes;
        if !b.starts_with(b"\x7fELF") {
            return Ok(Output::default());
        }
        let Some(at) = find(b, MAGIC) else {
            return Ok(Output::default());
        };
        let (version, modinfo) = read_buildinfo(b, at)
            .ok_or_else(|| AnalyzeError::malformed("Go build info", "unreadable header"))?;
        let mut out = Vec::new();
        if let Some(v) = go_version(&version) {
            out.push(package(PackageKind::Go, "stdlib", &v, file.path));
        }
        out.extend(modules(&modinfo, file.path));
        Ok(Output {
            packages: super::finish(out),
            ..Output::default()
        })
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(hay, needle)
}

/// `go1.22.1` or `go1.22.1 X:loopvar` → `1.22.1`.
fn go_version(v: &str) -> Option<String> {
    let v = v.split_whitespace().next()?.strip_prefix("go")?;
    (!v.is_empty()).then(|| v.to_string())
}

fn read_buildinfo(b: &[u8], at: usize) -> Option<(String, String)> {
    let hdr = b.get(at..at + 32)?;
    let ptr_size = hdr[14] as usize;
    let flags = hdr[15];
    if flags & 2 != 0 {
        // Inline: varint length + bytes, twice, after the 32-byte header.
        let mut pos = at + 32;
        let version = varint_string(b, &mut pos)?;
        let modinfo = varint_string(b, &mut pos)?;
        return Some((version, strip_sentinels(&modinfo)));
    }
    if ptr_size != 4 && ptr_size != 8 {
        return None;
    }
    let big = flags & 1 != 0;
    let elf = Elf::parse(b)?;
    let read_ptr = |off: usize| -> Option<u64> {
        let s = b.get(off..off + ptr_size)?;
        Some(match (ptr_size, big) {
            (8, false) => u64::from_le_bytes(s.try_into().ok()?),
            (8, true) => u64::from_be_bytes(s.try_into().ok()?),
            (_, false) => u32::from_le_bytes(s.try_into().ok()?) as u64,
            (_, true) => u32::from_be_bytes(s.try_into().ok()?) as u64,
        })
    };
    // A Go string header at a virtual address: data pointer, length.
    let read_string = |va: u64| -> Option<String> {
        let off = elf.offset(va)?;
        let data = read_ptr(off)?;
        let len = read_ptr(off + ptr_size)? as usize;
        if len > 1 << 20 {
            return None;
        }
        let d = elf.offset(data)?;
        Some(String::from_utf8_lossy(b.get(d..d + len)?).into_owned())
    };
    let version = read_string(read_ptr(at + 16)?)?;
    let modinfo = read_string(read_ptr(at + 16 + ptr_size)?).unwrap_or_default();
    Some((version, strip_sentinels(&modinfo)))
}

fn varint_string(b: &[u8], pos: &mut usize) -> Option<String> {
    let mut len: u64 = 0;
    let mut shift = 0;
    loop {
        let byte = *b.get(*pos)?;
        *pos += 1;
        len |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            break;
        }
        shift += 7;
        if shift > 63 {
            return None;
        }
    }
    let len = usize::try_from(len).ok()?;
    let s = b.get(*pos..pos.checked_add(len)?)?;
    *pos += len;
    Some(String::from_utf8_lossy(s).into_owned())
}

/// The module info is wrapped in two 16-byte sentinels.
fn strip_sentinels(s: &str) -> String {
    let b = s.as_bytes();
    if b.len() >= 33 && b[b.len() - 17] == b'\n' {
        String::from_utf8_lossy(&b[16..b.len() - 16]).into_owned()
    } else {
        s.to_string()
    }
}

/// `mod`, `dep` and `=>` lines. The main module's `(devel)` version means "unknown" to Go;
/// such a module has nothing to match and is left out (its version can come from
/// `-ldflags -X main.version=`, which some builds set; used when present).
fn modules(info: &str, path: &str) -> Vec<hull_types::Package> {
    let mut out: Vec<hull_types::Package> = Vec::new();
    let mut main: Option<(String, String)> = None;
    let mut ldflags_version = None;
    for line in info.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        match f.as_slice() {
            ["mod", p, v, ..] => main = Some((p.to_string(), v.to_string())),
            ["dep", p, v, ..] => out.push(package(
                PackageKind::Go,
                p,
                v.strip_prefix('v').unwrap_or(v),
                path,
            )),
            ["=>", p, v, ..] => {
                // Replaces the dependency just listed.
                if let Some(last) = out.last_mut() {
                    last.name = p.to_string();
                    last.version = v.strip_prefix('v').unwrap_or(v).to_string();
                }
            }
            ["build", kv] => {
                if let Some(flags) = kv.strip_prefix("-ldflags=") {
                    for part in flags
                        .trim_matches(|c| c == '"' || c == '\'')
                        .split_whitespace()
                    {
                        for key in ["main.version=", "main.Version="] {
                            if let Some(v) = part.split_once(key).map(|(_, v)| v) {
                                ldflags_version = Some(v.to_string());
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    if let Some((p, v)) = main {
        let v = if v == "(devel)" || v.is_empty() {
            ldflags_version
        } else {
            Some(v)
        };
        if let Some(v) = v {
            out.push(package(
                PackageKind::Go,
                &p,
                v.strip_prefix('v').unwrap_or(&v),
                path,
            ));
        }
    }
    // A replacement by a local directory leaves no version.
    out.retain(|p| !p.version.is_empty());
    out
}

/// Just enough ELF to map virtual addresses to file offsets (PT_LOAD segments).
struct Elf {
    loads: Vec<(u64, u64, u64)>, // vaddr, offset, filesz
}

impl Elf {
    fn parse(b: &[u8]) -> Option<Self> {
        let class64 = *b.get(4)? == 2;
        let le = *b.get(5)? == 1;
        let u16_at = |o: usize| -> Option<u64> {
            let s: [u8; 2] = b.get(o..o + 2)?.try_into().ok()?;
            Some(if le {
                u16::from_le_bytes(s)
            } else {
                u16::from_be_bytes(s)
            } as u64)
        };
        let u32_at = |o: usize| -> Option<u64> {
            let s: [u8; 4] = b.get(o..o + 4)?.try_into().ok()?;
            Some(if le {
                u32::from_le_bytes(s)
            } else {
                u32::from_be_bytes(s)
            } as u64)
        };
        let u64_at = |o: usize| -> Option<u64> {
            let s: [u8; 8] = b.get(o..o + 8)?.try_into().ok()?;
            Some(if le {
                u64::from_le_bytes(s)
            } else {
                u64::from_be_bytes(s)
            })
        };
        let (phoff, phentsize, phnum) = if class64 {
            (u64_at(32)?, u16_at(54)?, u16_at(56)?)
        } else {
            (u32_at(28)?, u16_at(42)?, u16_at(44)?)
        };
        let mut loads = Vec::new();
        for i in 0..phnum.min(256) {
            // Hostile headers: offsets are checked, never wrapped.
            let o = usize::try_from(phoff.checked_add(i.checked_mul(phentsize)?)?).ok()?;
            if u32_at(o)? != 1 {
                continue;
            }
            let (offset, vaddr, filesz) = if class64 {
                (u64_at(o + 8)?, u64_at(o + 16)?, u64_at(o + 32)?)
            } else {
                (u32_at(o + 4)?, u32_at(o + 8)?, u32_at(o + 16)?)
            };
            loads.push((vaddr, offset, filesz));
        }
        Some(Self { loads })
    }

    fn offset(&self, va: u64) -> Option<usize> {
        self.loads
            .iter()
            .find(|(v, _, sz)| va >= *v && va < v.saturating_add(*sz))
            .and_then(|(v, off, _)| usize::try_from(off.checked_add(va - v)?).ok())
    }
}
