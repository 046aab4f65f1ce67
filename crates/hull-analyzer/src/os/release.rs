//! `/etc/os-release` and the older release files some images still rely on.
//!
//! Ranks (lower wins after the layer merge): `/etc/os-release` 0, `/usr/lib/os-release` 1,
//! then the legacy files. A distroless image keeps Debian's os-release (with
//! `PRETTY_NAME="Distroless"`), which is how it is recognised.

use hull_types::{OsFamily, OsRelease};

use crate::{AnalyzeError, Analyzer, AnalyzerId, FileInput, OsCandidate, Output};

/// Reads os-release style files and legacy release files.
pub struct OsReleaseFile;

const PATHS: &[(&str, u8)] = &[
    ("/etc/os-release", 0),
    ("/usr/lib/os-release", 1),
    ("/etc/alpine-release", 2),
    ("/etc/redhat-release", 3),
    ("/etc/system-release", 4),
    ("/etc/debian_version", 5),
];

impl Analyzer for OsReleaseFile {
    fn id(&self) -> AnalyzerId {
        AnalyzerId("os-release")
    }
    fn version(&self) -> u32 {
        1
    }
    fn wants(&self, path: &str) -> bool {
        PATHS.iter().any(|(p, _)| *p == path)
    }
    fn max_size(&self) -> u64 {
        64 << 10
    }
    fn analyze(&self, file: &FileInput<'_>) -> Result<Output, AnalyzeError> {
        let rank = PATHS
            .iter()
            .find(|(p, _)| *p == file.path)
            .map_or(9, |(_, r)| *r);
        let text = std::str::from_utf8(file.bytes)
            .map_err(|_| AnalyzeError::malformed("os-release", "not UTF-8"))?;
        let release = match file.path {
            "/etc/os-release" | "/usr/lib/os-release" => parse_os_release(text),
            "/etc/alpine-release" => legacy("alpine", first_line(text)),
            "/etc/debian_version" => legacy("debian", first_line(text)),
            _ => parse_redhat_release(first_line(text)),
        };
        Ok(Output {
            os: release.map(|release| OsCandidate { rank, release }),
            ..Output::default()
        })
    }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("").trim()
}

fn legacy(id: &str, version: &str) -> Option<OsRelease> {
    if version.is_empty() {
        return None;
    }
    Some(OsRelease {
        family: OsFamily::from_os_release_id(id),
        id: id.to_string(),
        version_id: Some(version.to_string()),
        version_codename: None,
        pretty_name: None,
        distroless: false,
    })
}

/// `Rocky Linux release 9.3 (Blue Onyx)`, `CentOS Linux release 7.9.2009 (Core)`,
/// `Amazon Linux release 2 (Karoo)`.
fn parse_redhat_release(line: &str) -> Option<OsRelease> {
    let (name, rest) = line.split_once(" release ")?;
    let version = rest.split_whitespace().next()?;
    let id = match name.to_ascii_lowercase().as_str() {
        n if n.starts_with("red hat") => "rhel",
        n if n.starts_with("centos") => "centos",
        n if n.starts_with("rocky") => "rocky",
        n if n.starts_with("almalinux") => "almalinux",
        n if n.starts_with("fedora") => "fedora",
        n if n.starts_with("amazon") => "amzn",
        n if n.starts_with("oracle") => "ol",
        _ => return None,
    };
    let mut r = legacy(id, version)?;
    r.pretty_name = Some(line.to_string());
    Some(r)
}

/// Parses the `KEY=value` lines of os-release(5), with shell-style quoting.
pub fn parse_os_release(text: &str) -> Option<OsRelease> {
    let mut id = None;
    let mut version_id = None;
    let mut codename = None;
    let mut pretty = None;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let v = unquote(v.trim());
        if v.is_empty() {
            continue;
        }
        match k.trim() {
            "ID" => id = Some(v.to_ascii_lowercase()),
            "VERSION_ID" => version_id = Some(v),
            "VERSION_CODENAME" => codename = Some(v),
            "PRETTY_NAME" => pretty = Some(v),
            _ => {}
        }
    }
    let id = id?;
    let distroless = pretty.as_deref() == Some("Distroless");
    Some(OsRelease {
        family: OsFamily::from_os_release_id(&id),
        id,
        version_id,
        version_codename: codename,
        pretty_name: pretty,
        distroless,
    })
}

fn unquote(v: &str) -> String {
    let inner = v
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .or_else(|| v.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')))
        .unwrap_or(v);
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn analyze(path: &str, text: &str) -> Option<OsCandidate> {
        OsReleaseFile
            .analyze(&FileInput {
                path,
                bytes: text.as_bytes(),
            })
            .unwrap()
            .os
    }

    #[test]
    fn debian_os_release() {
        // Debian 12's /etc/os-release, verbatim.
        let text = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\nID=debian\nHOME_URL=\"https://www.debian.org/\"\n";
        let c = analyze("/etc/os-release", text).unwrap();
        assert_eq!(c.rank, 0);
        assert_eq!(c.release.family, OsFamily::Debian);
        assert_eq!(c.release.version_id.as_deref(), Some("12"));
        assert_eq!(c.release.version_codename.as_deref(), Some("bookworm"));
        assert_eq!(c.release.purl_distro().as_deref(), Some("debian-12"));
        assert!(!c.release.distroless);
    }

    #[test]
    fn distroless_is_recognised() {
        let text = "PRETTY_NAME=\"Distroless\"\nNAME=\"Debian GNU/Linux\"\nID=\"debian\"\nVERSION_ID=\"12\"\nVERSION=\"Debian GNU/Linux 12 (bookworm)\"\nVERSION_CODENAME=\"bookworm\"\n";
        let c = analyze("/etc/os-release", text).unwrap();
        assert!(c.release.distroless);
        assert_eq!(c.release.family, OsFamily::Debian);
    }

    #[test]
    fn families() {
        for (id, fam) in [
            ("alpine", OsFamily::Alpine),
            ("wolfi", OsFamily::Wolfi),
            ("chainguard", OsFamily::Chainguard),
            ("rhel", OsFamily::Rhel),
            ("rocky", OsFamily::Rocky),
            ("almalinux", OsFamily::Alma),
            ("amzn", OsFamily::Amazon),
            ("sles", OsFamily::Suse),
            ("opensuse-leap", OsFamily::Opensuse),
            ("ubuntu", OsFamily::Ubuntu),
        ] {
            let c = analyze(
                "/usr/lib/os-release",
                &format!("ID={id}\nVERSION_ID=\"1.2\"\n"),
            )
            .unwrap();
            assert_eq!(c.release.family, fam, "{id}");
            assert_eq!(c.rank, 1);
        }
    }

    #[test]
    fn legacy_files() {
        let c = analyze("/etc/alpine-release", "3.20.3\n").unwrap();
        assert_eq!(
            (c.release.id.as_str(), c.release.version_id.as_deref()),
            ("alpine", Some("3.20.3"))
        );
        let c = analyze(
            "/etc/redhat-release",
            "Rocky Linux release 9.3 (Blue Onyx)\n",
        )
        .unwrap();
        assert_eq!(c.release.family, OsFamily::Rocky);
        assert_eq!(c.release.version_id.as_deref(), Some("9.3"));
        assert!(analyze("/etc/redhat-release", "garbage").is_none());
        assert!(analyze("/etc/os-release", "NAME=x\n").is_none());
    }
}
