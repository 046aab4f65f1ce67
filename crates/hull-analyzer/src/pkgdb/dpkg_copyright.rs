//! Licences of Debian packages, from `/usr/share/doc/<package>/copyright`: dpkg's database
//! states none, so this is where Debian records them.
//!
//! Machine-readable files (DEP-5, `Format:` header) list `License:` short names; each is
//! reported as its SPDX identifier where DEP-5 defines one (`GPL-2+` → `GPL-2.0-or-later`)
//! and as written otherwise (`public-domain`), in order of first appearance. Older
//! free-text files are read for references to `/usr/share/common-licenses/<name>`, which is
//! how Debian policy asks them to name the common licences.

use crate::{AnalyzeError, Analyzer, AnalyzerId, FileInput, Output, PackageLicenses};

/// `/usr/share/doc/<package>/copyright`.
pub struct DpkgCopyright;

const PREFIX: &str = "/usr/share/doc/";
const SUFFIX: &str = "/copyright";

fn package_of(path: &str) -> Option<&str> {
    let name = path.strip_prefix(PREFIX)?.strip_suffix(SUFFIX)?;
    (!name.is_empty() && !name.contains('/')).then_some(name)
}

impl Analyzer for DpkgCopyright {
    fn id(&self) -> AnalyzerId {
        AnalyzerId("dpkg-copyright")
    }
    fn version(&self) -> u32 {
        // 2: free text's "or (at your option) any later version" grants the `+` licence.
        2
    }
    fn wants(&self, path: &str) -> bool {
        package_of(path).is_some()
    }
    fn max_size(&self) -> u64 {
        4 << 20
    }
    fn analyze(&self, file: &FileInput<'_>) -> Result<Output, AnalyzeError> {
        let Some(package) = package_of(file.path) else {
            return Ok(Output::default());
        };
        let licenses = parse(file.bytes);
        Ok(Output {
            licenses: if licenses.is_empty() {
                vec![]
            } else {
                vec![PackageLicenses {
                    package: package.to_string(),
                    licenses,
                }]
            },
            ..Output::default()
        })
    }
}

/// The licence names a copyright file states, deduplicated, in order of first appearance.
pub fn parse(bytes: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(bytes);
    let mut out: Vec<String> = Vec::new();
    let mut push = |s: &str| {
        let s = s.trim().trim_end_matches(['.', ',', '\'', '"', '`']).trim();
        let s = hull_types::spdx_from_debian(s).unwrap_or(s);
        if !s.is_empty() && s.len() <= 200 && !out.iter().any(|x| x == s) {
            out.push(s.to_string());
        }
    };
    let dep5 = text
        .lines()
        .next()
        .is_some_and(|l| l.to_ascii_lowercase().starts_with("format:"));
    let mut fields = 0;
    if dep5 {
        for line in text.lines() {
            if let Some(v) = line.strip_prefix("License:") {
                push(v);
                fields += 1;
            }
        }
    }
    // A DEP-5 file says what it grants in its `License:` fields; its pointers to
    // `/usr/share/common-licenses/GPL-2` are where the text of a `GPL-2+` grant lives, not a
    // second, `-only` licence (which a policy refusing GPL-2.0-only would wrongly trip on).
    // A DEP-5 paragraph's `License: GPL-2+` usually points at `GPL-2`, the text that ships:
    // both are listed, as Trivy does. In free text, "or (at your option) any later version"
    // shortly before the pointer grants the later versions too.
    let free_text = !(dep5 && fields > 0);
    // Free text names the full texts Debian ships; "or (at your option) any later version"
    // shortly before the pointer grants the later versions too.
    for (i, _) in text.match_indices("/usr/share/common-licenses/") {
        let rest = &text[i + "/usr/share/common-licenses/".len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '+' | '_'))
            .collect();
        let mut start = i.saturating_sub(600);
        while !text.is_char_boundary(start) {
            start -= 1;
        }
        // Only the pointer's own paragraph: another licence's "any later version" a
        // paragraph above is not this one's.
        let before = &text[start..i];
        let before = before.rsplit("\n\n").next().unwrap_or(before);
        let before = before.to_ascii_lowercase().replace(['\n', '\r'], " ");
        let later = free_text
            && (before.contains("any later version") || before.contains("or later version"));
        let name = name.trim_end_matches('.');
        let versioned = name.chars().last().is_some_and(|c| c.is_ascii_digit());
        if later && versioned && !name.ends_with('+') {
            push(&format!("{name}+"));
        } else {
            push(name);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dep5_short_names() {
        let f = b"Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\nUpstream-Name: zlib\n\nFiles: *\nCopyright: 1995-2013 Jean-loup Gailly and Mark Adler\nLicense: Zlib\n\nFiles: debian/*\nLicense: Zlib\n\nFiles: contrib/*\nLicense: GPL-2+ or Artistic\n\nLicense: Zlib\n This software is provided 'as-is'\n";
        assert_eq!(parse(f), vec!["Zlib", "GPL-2+ or Artistic"]);
        let f = b"Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nLicense: GPL-2+\n On Debian systems see /usr/share/common-licenses/GPL-2.\n";
        assert_eq!(parse(f), vec!["GPL-2.0-or-later", "GPL-2.0-only"]);
        let f = b"Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nLicense: GPL-2+\n\nFiles: x\nLicense: public-domain\n";
        assert_eq!(parse(f), vec!["GPL-2.0-or-later", "public-domain"]);
    }

    #[test]
    fn free_text_common_licenses() {
        let f = b"This is Debian's prepackaged version of bash.\n\nOn Debian systems, the complete text of the GNU General Public License\nversion 3 can be found in `/usr/share/common-licenses/GPL-3'.\nSee also /usr/share/common-licenses/GPL-3.\n";
        assert_eq!(parse(f), vec!["GPL-3.0-only"]);
        let f = b"This program is free software; you can redistribute it under the terms of the GNU\nGeneral Public License as published by the Free Software Foundation; either version 2, or\n(at your option) any later version.\nOn Debian systems, see /usr/share/common-licenses/GPL-2.\n";
        assert_eq!(parse(f), vec!["GPL-2.0-or-later"]);
        assert!(parse(b"no licence here").is_empty());
    }

    #[test]
    fn wants_only_package_doc_dirs() {
        assert!(DpkgCopyright.wants("/usr/share/doc/bash/copyright"));
        assert!(!DpkgCopyright.wants("/usr/share/doc/bash/x/copyright"));
        assert!(!DpkgCopyright.wants("/usr/share/doc//copyright"));
        assert!(!DpkgCopyright.wants("/usr/share/doc/bash/changelog.gz"));
    }
}
