//! Ignore files: `.hullignore`, and Trivy's plain `.trivyignore` as it is. One finding id a
//! line (a vulnerability id or alias, a check id, a secret or YARA rule), optionally
//! followed by `exp:YYYY-MM-DD` (the last day it applies); `#` starts a comment, and the
//! comment lines right above an id are its reason.
//!
//! ```text
//! # openssl is only used as a client here
//! CVE-2023-5678 exp:2027-01-31
//! image-healthcheck-missing
//! ```

use crate::ignores::Ignore;
use crate::PolicyError;

/// Ignore files larger than this are refused.
const MAX_IGNOREFILE: u64 = 4 << 20;

/// Reads and parses an ignore file.
pub fn load(path: &std::path::Path) -> Result<Vec<Ignore>, PolicyError> {
    let (shown, text) = crate::error::read_text(path, MAX_IGNOREFILE)?;
    parse(&shown, &text)
}

/// Parses an ignore file's text (`file` names it in sources and errors).
pub fn parse(file: &str, text: &str) -> Result<Vec<Ignore>, PolicyError> {
    let mut out = Vec::new();
    let mut comment: Vec<String> = Vec::new();
    let mut offset = 0;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let start = offset;
        offset += line.len();
        let body = line.trim();
        if body.is_empty() {
            comment.clear();
            continue;
        }
        if let Some(c) = body.strip_prefix('#') {
            comment.push(c.trim().to_string());
            continue;
        }
        let body = body.split(" #").next().unwrap_or(body).trim();
        let mut words = body.split_whitespace();
        let id = words.next().unwrap_or_default().to_string();
        let mut expires = None;
        for w in words {
            let at = start + line.find(w).unwrap_or(0);
            match w.strip_prefix("exp:") {
                Some(d) => {
                    expires = Some(hull_types::time::parse_date(d).ok_or_else(|| {
                        PolicyError::at(
                            file,
                            text,
                            at..at + w.len(),
                            Some("exp"),
                            format!("{d:?} is not a date (YYYY-MM-DD)"),
                        )
                    })?);
                }
                None => {
                    return Err(PolicyError::at(
                        file,
                        text,
                        at..at + w.len(),
                        None,
                        format!("unexpected {w:?}: one id a line, optionally `exp:YYYY-MM-DD`"),
                    ))
                }
            }
        }
        let reason = if comment.is_empty() {
            format!("listed in {file}")
        } else {
            comment.join(" ")
        };
        comment.clear();
        let ig = Ignore::new(
            format!("{file}:{}", i + 1),
            Some(id),
            None,
            None,
            None,
            None,
            None,
            reason,
            expires,
        )
        .map_err(|m| PolicyError::at(file, text, start..start + line.len(), None, m))?;
        out.push(ig);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn trivyignore_lines_with_expiry_and_reasons() {
        let text = "# accepted: client only\nCVE-2023-5678 exp:2027-01-31\n\nGHSA-xxxx-yyyy-zzzz # inline\n";
        let ig = parse(".hullignore", text).unwrap();
        assert_eq!(ig.len(), 2);
        assert_eq!(ig[0].id.as_deref(), Some("CVE-2023-5678"));
        assert_eq!(ig[0].reason, "accepted: client only");
        assert_eq!(ig[0].expires_text().as_deref(), Some("2027-01-31"));
        assert_eq!(ig[0].source, ".hullignore:2");
        assert_eq!(ig[1].reason, "listed in .hullignore");
        let e = parse(".trivyignore", "CVE-1 exp:2027-02-30\n").unwrap_err();
        assert_eq!((e.line, e.column), (1, 7));
        assert!(parse("x", "CVE-1 CVE-2\n").is_err());
    }
}
