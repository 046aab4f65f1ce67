//! Dockerfile checks.
//!
//! Which stages a check looks at matters for precision: only the final stage ships, so
//! checks about the running image (the user, `sudo`, world-writable modes, package pins,
//! apt lists) look at the final stage alone; checks about the build itself (unpinned base
//! images, remote `ADD`, piping downloads into a shell, secrets in `ENV`/`ARG`, which stay
//! in the build cache and history) look at every stage.

mod parse;

pub use parse::{parse, Args, Dockerfile, DockerfileError, Heredoc, Instruction, MAX_BYTES};

use std::collections::BTreeMap;

use hull_types::{Misconfiguration, Severity};

use crate::shell;
use crate::Check;

/// `dockerfile-base-image-unpinned`: Base image not pinned (latest or no tag, no digest).
pub static BASE_UNPINNED: Check = Check {
    id: "dockerfile-base-image-unpinned",
    title: "Base image not pinned (latest or no tag, no digest)",
    severity: Severity::Medium,
    remediation: "Pin FROM to a version tag and a digest (`FROM debian:12.8@sha256:…`).",
};
/// `dockerfile-no-user`: No USER: the container runs as root.
pub static NO_USER: Check = Check {
    id: "dockerfile-no-user",
    title: "No USER: the container runs as root",
    severity: Severity::High,
    remediation: "Add `USER <non-root uid>` to the final stage.",
};
/// `dockerfile-user-root`: Last USER is root.
pub static USER_ROOT: Check = Check {
    id: "dockerfile-user-root",
    title: "Last USER is root",
    severity: Severity::High,
    remediation: "Switch to a non-root user after the steps that need root.",
};
/// `dockerfile-secret-in-env`: Secret set with ENV.
pub static SECRET_ENV: Check = Check {
    id: "dockerfile-secret-in-env",
    title: "Secret set with ENV",
    severity: Severity::High,
    remediation: "Pass secrets at run time (a mounted secret file or the orchestrator's secret store), never in ENV.",
};
/// `dockerfile-secret-in-arg`: Secret passed as a build argument.
pub static SECRET_ARG: Check = Check {
    id: "dockerfile-secret-in-arg",
    title: "Secret passed as a build argument",
    severity: Severity::Medium,
    remediation:
        "Use `RUN --mount=type=secret`; build arguments are recorded in the image history.",
};
/// `dockerfile-add-remote-url`: ADD fetches a remote URL.
pub static ADD_URL: Check = Check {
    id: "dockerfile-add-remote-url",
    title: "ADD fetches a remote URL",
    severity: Severity::Medium,
    remediation: "Download with RUN curl and verify a checksum, or use `ADD --checksum=sha256:…`.",
};
/// `dockerfile-curl-pipe-shell`: Download piped into a shell.
pub static PIPE_SHELL: Check = Check {
    id: "dockerfile-curl-pipe-shell",
    title: "Download piped into a shell",
    severity: Severity::High,
    remediation: "Download to a file, verify its checksum or signature, then run it.",
};
/// `dockerfile-sudo`: RUN uses sudo.
pub static SUDO: Check = Check {
    id: "dockerfile-sudo",
    title: "RUN uses sudo",
    severity: Severity::Medium,
    remediation: "Run the step as root with USER root and switch back; do not ship sudo.",
};
/// `dockerfile-chmod-world-writable`: chmod makes files world-writable.
pub static CHMOD_777: Check = Check {
    id: "dockerfile-chmod-world-writable",
    title: "chmod makes files world-writable",
    severity: Severity::Medium,
    remediation: "Grant write access to the owning user or group only.",
};
/// `dockerfile-package-unpinned`: Packages installed without version pins.
pub static UNPINNED_PACKAGES: Check = Check {
    id: "dockerfile-package-unpinned",
    title: "Packages installed without version pins",
    severity: Severity::Low,
    remediation:
        "Pin versions (`apt-get install pkg=1.2-3`, `apk add pkg=1.2-r0`, `pip install pkg==1.2`).",
};
/// `dockerfile-apt-lists-kept`: apt-get install without removing the package lists.
pub static APT_LISTS: Check = Check {
    id: "dockerfile-apt-lists-kept",
    title: "apt-get install without removing the package lists",
    severity: Severity::Low,
    remediation: "End the same RUN with `rm -rf /var/lib/apt/lists/*`.",
};

/// `dockerfile-sensitive-port`: EXPOSE of a remote-shell or Docker daemon port.
pub static SENSITIVE_PORT: Check = Check {
    id: "dockerfile-sensitive-port",
    title: "EXPOSE of a remote-shell or Docker daemon port",
    severity: Severity::Medium,
    remediation:
        "Do not expose SSH (22), Telnet (23), RDP (3389) or the Docker daemon (2375/2376).",
};
/// `dockerfile-no-healthcheck`: No HEALTHCHECK in the final stage.
pub static NO_HEALTHCHECK: Check = Check {
    id: "dockerfile-no-healthcheck",
    title: "No HEALTHCHECK in the final stage",
    severity: Severity::Low,
    remediation: "Add a HEALTHCHECK (or rely on orchestrator probes and ignore this check).",
};

/// Every Dockerfile check.
pub static CHECKS: &[&Check] = &[
    &ADD_URL,
    &APT_LISTS,
    &BASE_UNPINNED,
    &CHMOD_777,
    &PIPE_SHELL,
    &NO_HEALTHCHECK,
    &NO_USER,
    &UNPINNED_PACKAGES,
    &SECRET_ARG,
    &SECRET_ENV,
    &SENSITIVE_PORT,
    &SUDO,
    &USER_ROOT,
];

/// Runs every check over a parsed Dockerfile.
pub fn check(path: &str, df: &Dockerfile) -> Vec<Misconfiguration> {
    let mut out = Vec::new();
    let mut f =
        |c: &Check, line: u32, msg: String| out.push(c.finding(path, Some(line), None, msg));

    // Global ARG defaults, to resolve `FROM image:${TAG}`.
    let mut args: BTreeMap<String, String> = BTreeMap::new();
    let mut stage_names: Vec<String> = Vec::new();
    let stages = df.stages();

    for ins in &df.instructions {
        let text = ins.args.text();
        match ins.keyword.as_str() {
            "ARG" => {
                for (k, v) in assignments(&text, true) {
                    if stage_names.is_empty() {
                        if let Some(v) = &v {
                            args.insert(k.clone(), v.clone());
                        }
                    }
                    if shell::secret_name(&k) {
                        f(&SECRET_ARG, ins.line, format!("ARG {k}"));
                    }
                }
            }
            "ENV" => {
                for (k, v) in assignments(&text, false) {
                    if shell::secret_assignment(&k, v.as_deref().unwrap_or("")) {
                        f(&SECRET_ENV, ins.line, format!("ENV {k}=…"));
                    }
                }
            }
            "FROM" => {
                let mut words = text.split_whitespace();
                let image = words.next().unwrap_or("");
                let alias = match (words.next(), words.next()) {
                    (Some(as_), Some(name)) if as_.eq_ignore_ascii_case("as") => Some(name),
                    _ => None,
                };
                let resolved = substitute(image, &args);
                if let Some(img) = resolved {
                    let earlier = stage_names.iter().any(|s| s.eq_ignore_ascii_case(&img));
                    if !earlier && img != "scratch" && unpinned(&img) {
                        f(&BASE_UNPINNED, ins.line, format!("FROM {img}"));
                    }
                }
                stage_names.push(alias.unwrap_or("").to_string());
            }
            "ADD" => {
                let has_checksum = ins.flags.iter().any(|fl| fl.starts_with("--checksum"));
                let parts: Vec<String> = match &ins.args {
                    Args::Exec(v) => v.clone(),
                    Args::Shell(s) => s.split_whitespace().map(str::to_string).collect(),
                };
                let sources = &parts[..parts.len().saturating_sub(1)];
                if !has_checksum
                    && sources
                        .iter()
                        .any(|s| s.starts_with("http://") || s.starts_with("https://"))
                {
                    f(&ADD_URL, ins.line, format!("ADD {text}"));
                }
            }
            "RUN"
                if run_scripts(ins)
                    .iter()
                    .any(|s| shell::pipes_download_to_shell(s)) =>
            {
                f(&PIPE_SHELL, ins.line, first_line(&text));
            }
            _ => {}
        }
    }

    if let Some(last) = stages.last() {
        let user = last
            .iter()
            .rev()
            .find(|i| i.keyword == "USER")
            .map(|i| (i.line, i.args.text()));
        match user {
            None => f(
                &NO_USER,
                last[0].line,
                "the final stage never sets USER".into(),
            ),
            Some((line, u)) => {
                let name = u.trim().split(':').next().unwrap_or("");
                if name == "root" || name == "0" {
                    f(&USER_ROOT, line, format!("USER {}", u.trim()));
                }
            }
        }
        match last.iter().rev().find(|i| i.keyword == "HEALTHCHECK") {
            Some(h) if !h.args.text().trim().eq_ignore_ascii_case("none") => {}
            _ => f(
                &NO_HEALTHCHECK,
                last[0].line,
                "the final stage has no HEALTHCHECK".into(),
            ),
        }
        for ins in last.iter().filter(|i| i.keyword == "EXPOSE") {
            for p in ins.args.text().split_whitespace() {
                let (num, proto) = p.split_once('/').unwrap_or((p, "tcp"));
                let sensitive = matches!(num, "22" | "23" | "2375" | "2376" | "3389");
                if sensitive && proto.eq_ignore_ascii_case("tcp") {
                    f(&SENSITIVE_PORT, ins.line, format!("EXPOSE {p}"));
                }
            }
        }
        for ins in last.iter().filter(|i| i.keyword == "RUN") {
            let cache_lists = ins
                .flags
                .iter()
                .any(|fl| fl.starts_with("--mount") && fl.contains("/var/lib/apt"));
            for script in run_scripts(ins) {
                let cmds = commands(&script);
                if cmds
                    .iter()
                    .any(|c| c.first().map(String::as_str) == Some("sudo"))
                {
                    f(&SUDO, ins.line, first_line(&script));
                }
                if shell::chmod_world_writable(&script) {
                    f(&CHMOD_777, ins.line, first_line(&script));
                }
                let unpinned: Vec<String> =
                    cmds.iter().flat_map(|c| unpinned_packages(c)).collect();
                if !unpinned.is_empty() {
                    f(
                        &UNPINNED_PACKAGES,
                        ins.line,
                        format!("unpinned: {}", unpinned.join(" ")),
                    );
                }
                let apt_install = cmds.iter().any(|c| {
                    let c = strip_sudo(c);
                    matches!(c.first().map(String::as_str), Some("apt-get") | Some("apt"))
                        && c.iter().any(|w| w == "install")
                });
                if apt_install && !cache_lists && !script.contains("/var/lib/apt/lists") {
                    f(
                        &APT_LISTS,
                        ins.line,
                        "apt-get install leaves /var/lib/apt/lists in the layer".into(),
                    );
                }
            }
        }
    }
    out.sort();
    out
}

/// The shell text a RUN executes: its arguments, and its heredoc bodies when the command
/// feeds them to a shell.
fn run_scripts(ins: &Instruction) -> Vec<String> {
    let mut v = vec![ins.args.text()];
    v.extend(ins.heredocs.iter().map(|h| h.body.clone()));
    v
}

fn first_line(s: &str) -> String {
    let l = s.lines().next().unwrap_or("").trim();
    if l.len() > 160 {
        let mut end = 160;
        while !l.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}…", &l[..end])
    } else {
        l.to_string()
    }
}

/// `KEY=value` pairs of ENV/ARG (also the legacy `ENV KEY value` form). ARG may name a
/// key without a default.
fn assignments(text: &str, arg: bool) -> Vec<(String, Option<String>)> {
    let words = split_words(text);
    if !arg && words.len() >= 2 && !words[0].contains('=') {
        // Legacy form: `ENV KEY the rest is the value`.
        // The key is the first word as written (quotes and escapes make the unquoted word
        // a different length, so split the raw text, not by the word's length).
        let rest = text
            .trim_start()
            .split_once(char::is_whitespace)
            .map_or("", |(_, r)| r.trim())
            .to_string();
        return vec![(words[0].clone(), Some(rest))];
    }
    words
        .into_iter()
        .map(|w| match w.split_once('=') {
            Some((k, v)) => (k.to_string(), Some(v.to_string())),
            None => (w, None),
        })
        .collect()
}

/// Splits on whitespace outside quotes, removing the quotes.
fn split_words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut any = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (None, '"' | '\'') => {
                quote = Some(c);
                any = true;
            }
            (Some(q), c) if c == q => quote = None,
            (_, '\\') => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                    any = true;
                }
            }
            (None, c) if c.is_whitespace() => {
                if any {
                    out.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            (_, c) => {
                cur.push(c);
                any = true;
            }
        }
    }
    if any {
        out.push(cur);
    }
    out
}

/// Simple commands of a shell script: split on `&&`, `||`, `;`, `|` and newlines, then
/// into words.
fn commands(script: &str) -> Vec<Vec<String>> {
    script
        .split(['\n', ';', '|', '&'])
        .map(split_words)
        .filter(|w| !w.is_empty())
        .collect()
}

fn strip_sudo(c: &[String]) -> &[String] {
    match c.first().map(String::as_str) {
        Some("sudo") => {
            let n = c.iter().skip(1).take_while(|w| w.starts_with('-')).count();
            &c[1 + n..]
        }
        _ => c,
    }
}

/// Packages named without a version by `apt-get install`, `apk add` or `pip install`.
fn unpinned_packages(cmd: &[String]) -> Vec<String> {
    let cmd = strip_sudo(cmd);
    let Some(tool) = cmd.first().map(|t| t.rsplit('/').next().unwrap_or(t)) else {
        return vec![];
    };
    let (verb, takes_value, pinned): (&str, &[&str], fn(&str) -> bool) = match tool {
        "apt-get" | "apt" => ("install", &["-o", "-t", "--target-release", "-c"], |p| {
            p.contains('=') || p.ends_with(".deb") || p.contains('/')
        }),
        "apk" => (
            "add",
            &["-t", "--virtual", "-X", "--repository", "-p", "--root"],
            |p| p.contains('=') || p.contains('~') || p.contains('<') || p.contains('>'),
        ),
        "pip" | "pip3" => (
            "install",
            &[
                "-r",
                "--requirement",
                "-c",
                "--constraint",
                "-i",
                "--index-url",
                "--extra-index-url",
                "-t",
                "--target",
                "--prefix",
                "-f",
                "--find-links",
                "--root",
                "-e",
                "--editable",
            ],
            |p| {
                p.contains("==")
                    || p.contains("===")
                    || p.contains('@')
                    || p.contains('/')
                    || p.starts_with('.')
                    || p.ends_with(".whl")
                    || p.ends_with(".tar.gz")
            },
        ),
        _ => return vec![],
    };
    let Some(pos) = cmd.iter().position(|w| w == verb) else {
        return vec![];
    };
    let mut out = Vec::new();
    let mut skip = false;
    for w in &cmd[pos + 1..] {
        if skip {
            skip = false;
            continue;
        }
        if w.starts_with('-') {
            skip = takes_value.contains(&w.as_str());
            continue;
        }
        if w.contains('$') || w.starts_with('>') || pinned(w) {
            continue;
        }
        out.push(w.clone());
    }
    out
}

/// Substitutes `$VAR`/`${VAR}` from global ARG defaults; `None` if a variable has no
/// default (the base image is decided at build time and cannot be judged).
fn substitute(s: &str, args: &BTreeMap<String, String>) -> Option<String> {
    if !s.contains('$') {
        return Some(s.to_string());
    }
    let mut out = String::new();
    let mut rest = s;
    while let Some(p) = rest.find('$') {
        out.push_str(&rest[..p]);
        let after = &rest[p + 1..];
        let (name, len) = if let Some(inner) = after.strip_prefix('{') {
            let end = inner.find('}')?;
            let name = inner[..end].split([':', '-']).next().unwrap_or("");
            (name, end + 2)
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..end], end)
        };
        out.push_str(args.get(name)?);
        rest = &after[len..];
    }
    out.push_str(rest);
    Some(out)
}

/// `latest` or no tag, and no digest.
fn unpinned(image: &str) -> bool {
    let r = crate::k8s::hygiene::ImageRef::parse(image);
    r.digest.is_none() && matches!(r.tag, None | Some("latest"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(src: &str) -> Vec<(String, u32)> {
        let df = parse(src.as_bytes()).unwrap();
        check("Dockerfile", &df)
            .into_iter()
            .map(|f| (f.check, f.line.unwrap()))
            .collect()
    }

    fn has(src: &str, id: &str) -> bool {
        ids(src).iter().any(|(i, _)| i == id)
    }

    const GOOD_TAIL: &str = "USER 10001\nHEALTHCHECK CMD [\"/app\", \"health\"]\n";

    #[test]
    fn base_image_pinning() {
        assert!(has(
            "FROM debian\nUSER 1\n",
            "dockerfile-base-image-unpinned"
        ));
        assert!(has(
            "FROM debian:latest\nUSER 1\n",
            "dockerfile-base-image-unpinned"
        ));
        assert!(has(
            "ARG T=latest\nFROM debian:${T}\nUSER 1\n",
            "dockerfile-base-image-unpinned"
        ));
        assert!(!has(
            "FROM debian:12\nUSER 1\n",
            "dockerfile-base-image-unpinned"
        ));
        assert!(!has(
            "FROM debian@sha256:abcd\nUSER 1\n",
            "dockerfile-base-image-unpinned"
        ));
        assert!(!has(
            "FROM golang:1.23 AS build\nFROM build\nUSER 1\n",
            "dockerfile-base-image-unpinned"
        ));
        assert!(!has(
            "FROM scratch\nUSER 1\n",
            "dockerfile-base-image-unpinned"
        ));
        assert!(!has(
            "ARG BASE\nFROM ${BASE}\nUSER 1\n",
            "dockerfile-base-image-unpinned"
        ));
    }

    #[test]
    fn user() {
        assert_eq!(
            ids("FROM a:1\nRUN true\nHEALTHCHECK NONE\n"),
            [
                ("dockerfile-no-healthcheck".into(), 1),
                ("dockerfile-no-user".into(), 1)
            ]
        );
        assert_eq!(
            ids("FROM a:1\nUSER app\nUSER root:root\nHEALTHCHECK CMD true\n"),
            [("dockerfile-user-root".into(), 3)]
        );
        assert!(ids("FROM a:1\nUSER root\nRUN x\nUSER 1000\nHEALTHCHECK CMD true\n").is_empty());
        // Only the final stage's user matters.
        assert!(
            ids("FROM a:1 AS b\nUSER root\nFROM c:2\nUSER app\nHEALTHCHECK CMD true\n").is_empty()
        );
        assert!(has(
            "FROM a:1 AS b\nUSER app\nFROM c:2\n",
            "dockerfile-no-user"
        ));
    }

    #[test]
    fn secrets_in_env_and_arg() {
        assert!(has(
            &format!("FROM a:1\nENV DB_PASSWORD=s3cr3t-value\n{GOOD_TAIL}"),
            "dockerfile-secret-in-env"
        ));
        assert!(has(
            &format!("FROM a:1\nENV API_TOKEN abc def\n{GOOD_TAIL}"),
            "dockerfile-secret-in-env"
        ));
        assert!(!has(
            &format!("FROM a:1\nENV DB_PASSWORD_FILE=/run/secrets/db\n{GOOD_TAIL}"),
            "dockerfile-secret-in-env"
        ));
        assert!(!has(
            &format!("FROM a:1\nENV GPG_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D\n{GOOD_TAIL}"),
            "dockerfile-secret-in-env"
        ));
        assert!(has(
            &format!("FROM a:1\nARG NPM_TOKEN\n{GOOD_TAIL}"),
            "dockerfile-secret-in-arg"
        ));
        assert!(!has(
            &format!("FROM a:1\nARG VERSION=1\n{GOOD_TAIL}"),
            "dockerfile-secret-in-arg"
        ));
    }

    /// Found by the `dockerfile` fuzz target: a quoted legacy-form ENV key followed by a
    /// multi-byte character made the value slice start inside it.
    #[test]
    fn regression_legacy_env_with_quotes_and_multibyte() {
        let df = parse(b"FROM a:1\nENV 'NV'\xef\xbb\xbf< | x\n").unwrap();
        let _ = check("Dockerfile", &df);
        let a = assignments("'KEY' \u{feff}value", false);
        assert_eq!(a, [("KEY".to_string(), Some("\u{feff}value".to_string()))]);
    }

    #[test]
    fn exposed_ports() {
        assert!(has(
            &format!("FROM a:1\nEXPOSE 8080 22/tcp\n{GOOD_TAIL}"),
            "dockerfile-sensitive-port"
        ));
        assert!(!has(
            &format!("FROM a:1\nEXPOSE 8080 53/udp 2222\n{GOOD_TAIL}"),
            "dockerfile-sensitive-port"
        ));
    }

    #[test]
    fn add_url() {
        assert!(has(
            &format!("FROM a:1\nADD https://x.example/a.tgz /a\n{GOOD_TAIL}"),
            "dockerfile-add-remote-url"
        ));
        assert!(has(
            &format!("FROM a:1\nADD [\"http://x/a\", \"/a\"]\n{GOOD_TAIL}"),
            "dockerfile-add-remote-url"
        ));
        assert!(!has(
            &format!("FROM a:1\nADD --checksum=sha256:24454f https://x/a /a\n{GOOD_TAIL}"),
            "dockerfile-add-remote-url"
        ));
        assert!(!has(
            &format!("FROM a:1\nADD app.tgz /a\n{GOOD_TAIL}"),
            "dockerfile-add-remote-url"
        ));
    }

    #[test]
    fn run_checks() {
        let df = format!("FROM a:1\nRUN curl -fsSL https://x/i.sh | bash\nRUN <<EOF\nwget -qO- https://y | sh\nEOF\n{GOOD_TAIL}");
        let pipes: Vec<u32> = ids(&df)
            .into_iter()
            .filter(|(i, _)| i == "dockerfile-curl-pipe-shell")
            .map(|(_, l)| l)
            .collect();
        assert_eq!(pipes, [2, 3]);
        assert!(has(
            &format!("FROM a:1\nRUN sudo apt-get update\n{GOOD_TAIL}"),
            "dockerfile-sudo"
        ));
        assert!(!has(
            &format!("FROM a:1\nRUN echo sudo is not used\n{GOOD_TAIL}"),
            "dockerfile-sudo"
        ));
        assert!(has(
            &format!("FROM a:1\nRUN chmod -R 777 /app\n{GOOD_TAIL}"),
            "dockerfile-chmod-world-writable"
        ));
        assert!(!has(
            &format!("FROM a:1\nRUN chmod 755 /app\n{GOOD_TAIL}"),
            "dockerfile-chmod-world-writable"
        ));
    }

    #[test]
    fn packages() {
        let bad = format!("FROM a:1\nRUN apt-get update && apt-get install -y --no-install-recommends curl ca-certificates=20230311\n{GOOD_TAIL}");
        let f = check("Dockerfile", &parse(bad.as_bytes()).unwrap());
        let unp = f
            .iter()
            .find(|x| x.check == "dockerfile-package-unpinned")
            .unwrap();
        assert_eq!(unp.message, "unpinned: curl");
        assert!(f.iter().any(|x| x.check == "dockerfile-apt-lists-kept"));
        let good = format!("FROM a:1\nRUN apt-get update && apt-get install -y curl=7.88.1-10 \\\n && rm -rf /var/lib/apt/lists/*\nRUN apk add --no-cache --virtual .deps musl=1.2.5-r0\nRUN pip install -r requirements.txt flask==3.0.0 ./local\n{GOOD_TAIL}");
        assert!(ids(&good).is_empty(), "{:?}", ids(&good));
        assert!(has(
            &format!("FROM a:1\nRUN pip3 install requests\n{GOOD_TAIL}"),
            "dockerfile-package-unpinned"
        ));
        assert!(has(
            &format!("FROM a:1\nRUN apk add curl\n{GOOD_TAIL}"),
            "dockerfile-package-unpinned"
        ));
        // Build stages do not ship: package hygiene there is not reported.
        assert!(!has(
            &format!("FROM a:1 AS b\nRUN apt-get install -y gcc\nFROM c:2\n{GOOD_TAIL}"),
            "dockerfile-package-unpinned"
        ));
        // A cache mount keeps lists out of the layer.
        assert!(!has(&format!("FROM a:1\nRUN --mount=type=cache,target=/var/lib/apt/lists apt-get install -y x=1\n{GOOD_TAIL}"), "dockerfile-apt-lists-kept"));
    }
}
