//! Errors in policy, ignore and VEX files, with the place in the file: the front-end shows
//! the file, line, column and field, and the offending line under it.

use std::ops::Range;

/// A policy, ignore or VEX file that cannot be used (boxed: errors are rare, results common).
#[derive(Debug, thiserror::Error)]
#[error("{}:{}:{}: {}", .0.file, .0.line, .0.column, .0.message)]
pub struct PolicyError(Box<PolicyErrorDetail>);

impl std::ops::Deref for PolicyError {
    type Target = PolicyErrorDetail;
    fn deref(&self) -> &PolicyErrorDetail {
        &self.0
    }
}

/// Where and what: see [`PolicyError`].
#[derive(Debug)]
pub struct PolicyErrorDetail {
    /// The file, as given.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
    /// The field or key at fault, when there is one.
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
    /// The file's text, for rendering the offending line (empty when it could not be read).
    pub text: String,
    /// The byte range at fault in `text`.
    pub span: Range<usize>,
}

impl PolicyError {
    /// An error at byte `span` of `text`.
    pub(crate) fn at(
        file: &str,
        text: &str,
        span: Range<usize>,
        field: Option<&str>,
        message: impl Into<String>,
    ) -> Self {
        let start = span.start.min(text.len());
        let before = &text[..floor_char_boundary(text, start)];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        let message = message.into();
        let message = match field {
            Some(f) if !message.contains(f) => format!("`{f}`: {message}"),
            _ => message,
        };
        PolicyError(Box::new(PolicyErrorDetail {
            file: file.to_string(),
            line,
            column,
            field: field.map(str::to_string),
            message,
            text: text.to_string(),
            span: start..span.end.clamp(start, text.len()),
        }))
    }

    /// An error about the whole file (it could not be read).
    pub(crate) fn file(file: &str, message: impl Into<String>) -> Self {
        PolicyError(Box::new(PolicyErrorDetail {
            file: file.to_string(),
            line: 1,
            column: 1,
            field: None,
            message: message.into(),
            text: String::new(),
            span: 0..0,
        }))
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Byte offset of 1-based `line`, `column` (characters) in `text`.
pub(crate) fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let mut off = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            return off
                + l.char_indices()
                    .nth(column.saturating_sub(1))
                    .map_or(l.len(), |(b, _)| b);
        }
        off += l.len();
    }
    text.len()
}

/// Reads a policy, ignore or VEX file as text, within `max` bytes (read through a bound, not
/// checked beforehand, so a file that grows meanwhile is still cut).
pub(crate) fn read_text(path: &std::path::Path, max: u64) -> Result<(String, String), PolicyError> {
    use std::io::Read;
    let shown = path.display().to_string();
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(max + 1).read_to_end(&mut bytes))
        .map_err(|e| PolicyError::file(&shown, e.to_string()))?;
    if bytes.len() as u64 > max {
        return Err(PolicyError::file(
            &shown,
            format!("larger than {max} bytes"),
        ));
    }
    let text = String::from_utf8(bytes).map_err(|_| PolicyError::file(&shown, "not UTF-8"))?;
    Ok((shown, text))
}
