//! A Dockerfile parser following the BuildKit frontend's rules: parser directives only at
//! the very top (`# syntax=`, `# escape=`, `# check=`), line continuations with the escape
//! character (comment and empty lines inside a continuation dropped), heredocs
//! (`<<EOF`, `<<-EOF`, quoted delimiters, several per instruction), and the exec (JSON
//! array) and shell forms. No crate parses Dockerfiles in Rust with line numbers and
//! heredocs, hence this module.

/// Bytes of Dockerfile read.
pub const MAX_BYTES: usize = 4 << 20;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
/// Why a Dockerfile cannot be read.
pub enum DockerfileError {
    #[error("larger than {MAX_BYTES} bytes")]
    /// Larger than the bound.
    TooLarge,
    #[error("not UTF-8")]
    /// Not UTF-8.
    NotUtf8,
    #[error("line {0}: heredoc <<{1} is never closed")]
    /// A heredoc that never ends (line, delimiter).
    UnclosedHeredoc(u32, String),
}

/// The arguments of an instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Args {
    /// `["executable", "arg"]`.
    Exec(Vec<String>),
    /// Anything else, as written (continuations joined).
    Shell(String),
}

impl Args {
    /// The arguments as one line of text (exec form joined with spaces).
    pub fn text(&self) -> String {
        match self {
            Args::Exec(v) => v.join(" "),
            Args::Shell(s) => s.clone(),
        }
    }
}

/// A heredoc attached to an instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heredoc {
    /// The delimiter.
    pub name: String,
    /// The content.
    pub body: String,
}

/// One instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    /// 1-based line where the instruction starts.
    pub line: u32,
    /// Upper-cased keyword (`RUN`, `FROM`, …).
    pub keyword: String,
    /// `--name=value` flags before the arguments (`--from=build`, `--chown=1000`).
    pub flags: Vec<String>,
    /// The instruction's arguments.
    pub args: Args,
    /// Its heredocs.
    pub heredocs: Vec<Heredoc>,
}

/// A parsed Dockerfile.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dockerfile {
    /// Parser directives, lower-cased names.
    pub directives: Vec<(String, String)>,
    /// The instructions, in order.
    pub instructions: Vec<Instruction>,
}

impl Dockerfile {
    /// Instructions grouped by build stage (each starting at a `FROM`); instructions before
    /// the first `FROM` (global `ARG`s) form no stage.
    pub fn stages(&self) -> Vec<&[Instruction]> {
        let starts: Vec<usize> = self
            .instructions
            .iter()
            .enumerate()
            .filter(|(_, i)| i.keyword == "FROM")
            .map(|(n, _)| n)
            .collect();
        starts
            .iter()
            .enumerate()
            .map(|(k, &s)| {
                let end = starts
                    .get(k + 1)
                    .copied()
                    .unwrap_or(self.instructions.len());
                &self.instructions[s..end]
            })
            .collect()
    }
}

/// Parses a Dockerfile as BuildKit does.
pub fn parse(bytes: &[u8]) -> Result<Dockerfile, DockerfileError> {
    if bytes.len() > MAX_BYTES {
        return Err(DockerfileError::TooLarge);
    }
    let text = std::str::from_utf8(bytes).map_err(|_| DockerfileError::NotUtf8)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines: Vec<&str> = text.lines().collect();
    let mut df = Dockerfile::default();
    let mut escape = '\\';
    let mut i = 0;

    // Directives: `# key=value` lines at the very top; the first other line ends them.
    while i < lines.len() {
        let Some(rest) = lines[i].trim_start().strip_prefix('#') else {
            break;
        };
        let Some((k, v)) = rest.split_once('=') else {
            break;
        };
        let k = k.trim().to_ascii_lowercase();
        if k.is_empty() || !k.bytes().all(|b| b.is_ascii_alphanumeric()) {
            break;
        }
        let v = v.trim().to_string();
        if k == "escape" && (v == "`" || v == "\\") {
            escape = v.chars().next().unwrap_or('\\');
        }
        df.directives.push((k, v));
        i += 1;
    }

    while i < lines.len() {
        let start = i;
        let first = lines[i].trim();
        i += 1;
        if first.is_empty() || first.starts_with('#') {
            continue;
        }
        // Join continuation lines.
        let mut logical = String::new();
        let mut cur = lines[start].trim_end().to_string();
        loop {
            match cur.strip_suffix(escape) {
                Some(head) => {
                    logical.push_str(head);
                    // The next line that is neither empty nor a comment continues it.
                    let mut next = None;
                    while i < lines.len() {
                        let l = lines[i];
                        i += 1;
                        let t = l.trim_start();
                        if t.is_empty() || t.starts_with('#') {
                            continue;
                        }
                        next = Some(l.trim_end().to_string());
                        break;
                    }
                    match next {
                        Some(n) => cur = n,
                        None => break,
                    }
                }
                None => {
                    logical.push_str(&cur);
                    break;
                }
            }
        }
        let line = u32::try_from(start + 1).unwrap_or(u32::MAX);
        let logical = logical.trim();
        let (keyword, rest) = match logical.find(char::is_whitespace) {
            Some(p) => (&logical[..p], logical[p..].trim_start()),
            None => (logical, ""),
        };
        let keyword = keyword.to_ascii_uppercase();
        let mut rest = rest;
        let mut flags = Vec::new();
        while rest.starts_with("--") {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            flags.push(rest[..end].to_string());
            rest = rest[end..].trim_start();
        }
        let args = if rest.starts_with('[') {
            match serde_json::from_str::<Vec<String>>(rest) {
                Ok(v) => Args::Exec(v),
                Err(_) => Args::Shell(rest.to_string()),
            }
        } else {
            Args::Shell(rest.to_string())
        };
        // Heredocs: only where BuildKit allows them, in shell-form arguments.
        let mut heredocs = Vec::new();
        if matches!(keyword.as_str(), "RUN" | "COPY" | "ADD") {
            if let Args::Shell(s) = &args {
                for (name, strip_tabs) in heredoc_names(s) {
                    let mut body = String::new();
                    let mut closed = false;
                    while i < lines.len() {
                        let l = lines[i];
                        i += 1;
                        let cmp = if strip_tabs {
                            l.trim_start_matches('\t')
                        } else {
                            l
                        };
                        if cmp == name {
                            closed = true;
                            break;
                        }
                        body.push_str(cmp);
                        body.push('\n');
                    }
                    if !closed {
                        return Err(DockerfileError::UnclosedHeredoc(line, name));
                    }
                    heredocs.push(Heredoc { name, body });
                }
            }
        }
        df.instructions.push(Instruction {
            line,
            keyword,
            flags,
            args,
            heredocs,
        });
    }
    Ok(df)
}

/// Heredoc delimiters in an instruction's arguments: `<<EOF`, `<<-EOF`, `<<"EOF"`,
/// `<<'EOF'`. (`<<<` here-strings are not heredocs.)
fn heredoc_names(s: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut p = 0;
    while let Some(off) = s[p..].find("<<") {
        let mut q = p + off + 2;
        if b.get(q) == Some(&b'<') {
            p = q + 1;
            continue;
        }
        let strip = b.get(q) == Some(&b'-');
        if strip {
            q += 1;
        }
        let quote = match b.get(q) {
            Some(&c @ (b'"' | b'\'')) => {
                q += 1;
                Some(c)
            }
            _ => None,
        };
        let start = q;
        while q < b.len() && (b[q].is_ascii_alphanumeric() || b[q] == b'_') {
            q += 1;
        }
        if q > start {
            if let Some(c) = quote {
                if b.get(q) != Some(&c) {
                    p = q;
                    continue;
                }
            }
            out.push((s[start..q].to_string(), strip));
        }
        p = q.max(p + off + 2);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continuations_comments_and_forms() {
        let df = parse(
            b"# syntax=docker/dockerfile:1\n# escape=\\\nFROM debian:12 AS base\n\nRUN apt-get update && \\\n# a comment inside\n    apt-get install -y curl\nCMD [\"nginx\", \"-g\", \"daemon off;\"]\nCOPY --from=base --chown=1:1 /a /b\n",
        )
        .unwrap();
        assert_eq!(
            df.directives[0],
            ("syntax".into(), "docker/dockerfile:1".into())
        );
        let k: Vec<(&str, u32)> = df
            .instructions
            .iter()
            .map(|i| (i.keyword.as_str(), i.line))
            .collect();
        assert_eq!(k, [("FROM", 3), ("RUN", 5), ("CMD", 8), ("COPY", 9)]);
        assert_eq!(
            df.instructions[1].args,
            Args::Shell("apt-get update &&     apt-get install -y curl".into())
        );
        assert_eq!(
            df.instructions[2].args,
            Args::Exec(vec!["nginx".into(), "-g".into(), "daemon off;".into()])
        );
        assert_eq!(df.instructions[3].flags, ["--from=base", "--chown=1:1"]);
    }

    #[test]
    fn backtick_escape() {
        let df =
            parse(b"# escape=`\nFROM mcr.microsoft.com/windows\nRUN dir c:\\ `\n  && echo hi\n")
                .unwrap();
        assert_eq!(
            df.instructions[1].args,
            Args::Shell("dir c:\\   && echo hi".into())
        );
    }

    #[test]
    fn directives_stop_at_first_other_line() {
        let df = parse(b"FROM x\n# escape=`\nRUN a \\\n b\n").unwrap();
        assert!(df.directives.is_empty());
        assert_eq!(df.instructions[1].args, Args::Shell("a  b".into()));
    }

    #[test]
    fn heredocs() {
        let df = parse(b"FROM x\nRUN <<EOF bash\ncurl https://x | sh\nEOF\nCOPY <<-'A' /a <<B /b\n\tone\n\tA\ntwo\nB\nUSER app\n").unwrap();
        assert_eq!(df.instructions.len(), 4);
        assert_eq!(df.instructions[1].heredocs[0].body, "curl https://x | sh\n");
        assert_eq!(df.instructions[2].heredocs[0].body, "one\n");
        assert_eq!(df.instructions[2].heredocs[1].body, "two\n");
        assert_eq!(df.instructions[3].line, 10);
        assert!(matches!(
            parse(b"FROM x\nRUN <<EOF\nnever closed\n"),
            Err(DockerfileError::UnclosedHeredoc(2, _))
        ));
        // A here-string is not a heredoc.
        assert!(parse(b"FROM x\nRUN cat <<<hello\nUSER a\n")
            .unwrap()
            .instructions[1]
            .heredocs
            .is_empty());
    }

    #[test]
    fn stages() {
        let df = parse(b"ARG V=1\nFROM a AS b\nRUN x\nFROM c\nUSER u\n").unwrap();
        let s = df.stages();
        assert_eq!(s.len(), 2);
        assert_eq!(s[1][1].keyword, "USER");
    }
}
