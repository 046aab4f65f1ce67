//! OS package databases: dpkg, apk and the three rpm database formats.
//!
//! Each module has a pure `parse(&[u8])` (fuzzed, tested against other scanners' fixtures)
//! and a unit struct implementing [`crate::Analyzer`].

pub mod apk;
pub mod checksums;
pub mod dpkg;
pub mod dpkg_copyright;
pub mod dpkg_files;
pub mod rpm;

/// Splits RFC 822-style control data into paragraphs of `(field, value)` pairs; continuation
/// lines (leading space or tab) are appended to the previous value with a newline. dpkg status
/// files and apk's `installed` database differ only in the separator (`": "` vs `":"`).
pub(crate) fn paragraphs(text: &str, sep: char) -> Vec<Vec<(&str, String)>> {
    let mut out = Vec::new();
    let mut cur: Vec<(&str, String)> = Vec::new();
    for line in text.lines() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = cur.last_mut() {
                v.push('\n');
                v.push_str(line);
            }
            continue;
        }
        if let Some((k, v)) = line.split_once(sep) {
            cur.push((k.trim(), v.trim().to_string()));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

pub(crate) fn field<'a>(p: &'a [(&str, String)], name: &str) -> Option<&'a str> {
    p.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}
