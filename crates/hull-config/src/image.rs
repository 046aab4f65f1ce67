//! Checks over an image's config and build history (what `docker inspect` shows), and over
//! the file modes its layers add.

use std::collections::BTreeMap;

use hull_types::{Misconfiguration, Severity};

use crate::shell;
use crate::Check;

/// `image-user-root`: Image runs as root.
pub static ROOT_USER: Check = Check {
    id: "image-user-root",
    title: "Image runs as root",
    severity: Severity::High,
    remediation:
        "Set a non-root USER in the Dockerfile (a numeric UID lets Kubernetes verify runAsNonRoot).",
};
/// `image-no-healthcheck`: No HEALTHCHECK.
pub static NO_HEALTHCHECK: Check = Check {
    id: "image-no-healthcheck",
    title: "No HEALTHCHECK",
    severity: Severity::Low,
    remediation: "Add a HEALTHCHECK (or rely on orchestrator probes and ignore this check).",
};
/// `image-sensitive-port`: Sensitive port exposed.
pub static SENSITIVE_PORT: Check = Check {
    id: "image-sensitive-port",
    title: "Sensitive port exposed",
    severity: Severity::Medium,
    remediation: "Do not expose remote shells (SSH, Telnet, RDP) or the Docker daemon from an application image.",
};
/// `image-secret-in-env`: Secret in the image environment.
pub static SECRET_ENV: Check = Check {
    id: "image-secret-in-env",
    title: "Secret in the image environment",
    severity: Severity::High,
    remediation:
        "Inject secrets at run time; anything in Env is readable by whoever can pull the image.",
};
/// `image-secret-in-label`: Secret in an image label.
pub static SECRET_LABEL: Check = Check {
    id: "image-secret-in-label",
    title: "Secret in an image label",
    severity: Severity::High,
    remediation: "Remove the credential from the labels and rotate it.",
};
/// `image-history-add-remote-url`: A layer was added from a remote URL.
pub static ADD_URL: Check = Check {
    id: "image-history-add-remote-url",
    title: "A layer was added from a remote URL",
    severity: Severity::Medium,
    remediation: "Download with a verified checksum (`ADD --checksum=` or RUN curl and sha256sum).",
};
/// `image-history-curl-pipe-shell`: A build step piped a download into a shell.
pub static PIPE_SHELL: Check = Check {
    id: "image-history-curl-pipe-shell",
    title: "A build step piped a download into a shell",
    severity: Severity::High,
    remediation: "Download to a file, verify it, then run it.",
};
/// `image-setuid-file`: setuid or setgid file added by the image's own layers.
pub static SETUID: Check = Check {
    id: "image-setuid-file",
    title: "setuid or setgid file added by the image's own layers",
    severity: Severity::Medium,
    remediation:
        "Remove the setuid/setgid bit (`chmod u-s,g-s`) unless the program must change identity.",
};
/// `image-world-writable-system-path`: World-writable file in a system path.
pub static WORLD_WRITABLE: Check = Check {
    id: "image-world-writable-system-path",
    title: "World-writable file in a system path",
    severity: Severity::Medium,
    remediation: "Remove write permission for others (`chmod o-w`).",
};

/// Every image config check.
pub static CHECKS: &[&Check] = &[
    &ADD_URL,
    &PIPE_SHELL,
    &NO_HEALTHCHECK,
    &SECRET_ENV,
    &SECRET_LABEL,
    &SENSITIVE_PORT,
    &SETUID,
    &ROOT_USER,
    &WORLD_WRITABLE,
];

/// Ports that give a remote shell or control of the host.
const SENSITIVE_PORTS: &[(u16, &str)] = &[
    (22, "SSH"),
    (23, "Telnet"),
    (2375, "Docker daemon (plain)"),
    (2376, "Docker daemon (TLS)"),
    (3389, "RDP"),
];

/// The parts of an image config the checks read.
#[derive(Clone, Debug, Default)]
pub struct ImageView {
    /// The config's `User`.
    pub user: Option<String>,
    /// The config's `Env`.
    pub env: Vec<String>,
    /// The config's `Labels`.
    pub labels: BTreeMap<String, String>,
    /// `80/tcp`, `53/udp`.
    pub exposed_ports: Vec<String>,
    /// `Some(test)` when the config has a healthcheck; `["NONE"]` disables it.
    pub healthcheck: Option<Vec<String>>,
    /// History lines with the index of the layer they made (`None`: an empty layer).
    pub history: Vec<(Option<usize>, String)>,
}

/// A file whose mode a check cares about, from a layer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModeEntry {
    /// The layer (0-based) holding the path.
    pub layer: usize,
    /// The path.
    pub path: String,
    /// Its mode bits.
    pub mode: u32,
    /// Whether it is a directory.
    pub is_dir: bool,
}

/// Setuid/setgid files are reported from layers at or above this index: the layers the
/// image's own build added on top of its base (see [`own_layers_start`]).
pub fn check(view: &ImageView, modes: &[ModeEntry], own_from: usize) -> Vec<Misconfiguration> {
    let target = "image config";
    let mut out = Vec::new();
    let mut f = |c: &Check, msg: String| out.push(c.finding(target, None, None, msg));

    let user = view.user.as_deref().unwrap_or("").trim();
    let name = user.split(':').next().unwrap_or("");
    if name.is_empty() || name == "root" || name == "0" {
        f(
            &ROOT_USER,
            if user.is_empty() {
                "no USER is set".into()
            } else {
                format!("USER {user}")
            },
        );
    }
    match &view.healthcheck {
        Some(t) if t.first().map(String::as_str) != Some("NONE") => {}
        _ => f(&NO_HEALTHCHECK, "the config has no healthcheck".into()),
    }
    for p in &view.exposed_ports {
        let (num, proto) = p.split_once('/').unwrap_or((p, "tcp"));
        if proto != "tcp" {
            continue;
        }
        if let Some((_, what)) = SENSITIVE_PORTS
            .iter()
            .find(|(n, _)| num.parse::<u16>().ok() == Some(*n))
        {
            f(&SENSITIVE_PORT, format!("exposes {p} ({what})"));
        }
    }
    for e in &view.env {
        let (k, v) = e.split_once('=').unwrap_or((e, ""));
        if shell::secret_assignment(k, v) {
            f(&SECRET_ENV, format!("Env {k}=…"));
        }
    }
    for (k, v) in &view.labels {
        if shell::secret_assignment(k, v) {
            f(&SECRET_LABEL, format!("label {k}=…"));
        }
    }
    for (layer, line) in &view.history {
        let at = match layer {
            Some(n) => format!("layer {}", n + 1),
            None => "an empty layer".into(),
        };
        let cmd = line
            .trim()
            .trim_start_matches("/bin/sh -c ")
            .trim_start_matches("#(nop) ")
            .trim();
        if let Some(rest) = cmd.strip_prefix("ADD ") {
            if rest
                .split_whitespace()
                .any(|w| w.starts_with("http://") || w.starts_with("https://"))
                && !rest.contains("--checksum")
            {
                f(&ADD_URL, format!("{at}: {}", short(cmd)));
            }
        }
        if shell::pipes_download_to_shell(cmd) {
            f(&PIPE_SHELL, format!("{at}: {}", short(cmd)));
        }
    }
    for m in modes {
        let layer = m.layer + 1;
        if !m.is_dir && m.mode & 0o6000 != 0 && m.layer >= own_from {
            let what = match (m.mode & 0o4000 != 0, m.mode & 0o2000 != 0) {
                (true, true) => "setuid and setgid",
                (true, false) => "setuid",
                _ => "setgid",
            };
            f(
                &SETUID,
                format!(
                    "{} is {what} (mode {:o}, layer {layer})",
                    m.path,
                    m.mode & 0o7777
                ),
            );
        }
        let sticky_dir = m.is_dir && m.mode & 0o1000 != 0;
        if m.mode & 0o002 != 0 && !sticky_dir && system_path(&m.path) {
            f(
                &WORLD_WRITABLE,
                format!(
                    "{} is world-writable (mode {:o}, layer {layer})",
                    m.path,
                    m.mode & 0o7777
                ),
            );
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Paths where a world-writable file lets any user change what others run.
pub fn system_path(path: &str) -> bool {
    let p = path.trim_start_matches('/');
    [
        "bin/", "sbin/", "usr/", "lib/", "lib64/", "lib32/", "etc/", "opt/", "boot/",
    ]
    .iter()
    .any(|d| p.starts_with(d))
        && !p.starts_with("usr/tmp/")
        && !p.starts_with("var/")
}

/// Which paths [`check`] needs modes for: setuid/setgid anywhere, world-writable in
/// system paths. Cheap, called for every tar entry.
pub fn wants_mode(path: &str, mode: u32, is_dir: bool) -> bool {
    (!is_dir && mode & 0o6000 != 0) || (mode & 0o002 != 0 && system_path(path))
}

/// The index of the first layer the image's own build added: the layer after the last
/// history step of the base image. Build tools write no marker for that boundary; hull uses
/// the last `CMD`/`ENTRYPOINT` step that comes before a later layer-making step (a base image
/// ends with its `CMD`), and otherwise the second layer: the first is the base system's
/// root filesystem in practice (`debootstrap`, `ADD rootfs.tar`), whose setuid programs
/// (`passwd`, `su`, `mount`) are the distribution's, not the image's doing.
pub fn own_layers_start(history: &[(Option<usize>, String)]) -> usize {
    let mut start = 1;
    for (i, (_, line)) in history.iter().enumerate() {
        let l = line
            .trim_start_matches("/bin/sh -c ")
            .trim_start_matches("#(nop) ")
            .trim_start();
        if l.starts_with("CMD") || l.starts_with("ENTRYPOINT") {
            if let Some(next) = history[i + 1..].iter().find_map(|(layer, _)| *layer) {
                start = next;
            }
        }
    }
    start
}

fn short(s: &str) -> String {
    if s.len() <= 160 {
        return s.to_string();
    }
    let mut end = 160;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(v: &ImageView, modes: &[ModeEntry], own: usize) -> Vec<String> {
        check(v, modes, own).into_iter().map(|f| f.check).collect()
    }

    #[test]
    fn config_checks() {
        let good = ImageView {
            user: Some("10001:10001".into()),
            env: vec![
                "PATH=/usr/bin".into(),
                "DB_PASSWORD_FILE=/run/secrets/db".into(),
            ],
            healthcheck: Some(vec!["CMD".into(), "true".into()]),
            exposed_ports: vec!["8080/tcp".into(), "22/udp".into()],
            history: vec![(Some(0), "/bin/sh -c #(nop) ADD file:abc in / ".into())],
            ..Default::default()
        };
        assert!(ids(&good, &[], 0).is_empty(), "{:?}", ids(&good, &[], 0));
        let bad = ImageView {
            user: None,
            env: vec!["API_TOKEN=abc123".into()],
            labels: BTreeMap::from([("registry.password".into(), "x9".into())]),
            exposed_ports: vec!["22/tcp".into(), "2375".into()],
            healthcheck: Some(vec!["NONE".into()]),
            history: vec![
                (
                    Some(0),
                    "ADD https://example.com/app.tgz /app # buildkit".into(),
                ),
                (
                    Some(1),
                    "RUN /bin/sh -c curl -sSL https://get.example | sh # buildkit".into(),
                ),
            ],
        };
        assert_eq!(
            ids(&bad, &[], 0),
            [
                "image-history-add-remote-url",
                "image-history-curl-pipe-shell",
                "image-no-healthcheck",
                "image-secret-in-env",
                "image-secret-in-label",
                "image-sensitive-port",
                "image-sensitive-port",
                "image-user-root",
            ]
        );
    }

    #[test]
    fn modes() {
        let m = |layer, path: &str, mode, is_dir| ModeEntry {
            layer,
            path: path.into(),
            mode,
            is_dir,
        };
        let entries = [
            m(0, "usr/bin/passwd", 0o4755, false),
            m(1, "usr/local/bin/tool", 0o4755, false),
            m(1, "usr/local/bin/open", 0o777, false),
            m(1, "tmp", 0o1777, true),
            m(1, "var/cache/app", 0o777, true),
            m(1, "etc/shared", 0o1777, true),
        ];
        let got = ids(
            &ImageView {
                user: Some("1".into()),
                healthcheck: Some(vec!["CMD".into()]),
                ..Default::default()
            },
            &entries,
            1,
        );
        assert_eq!(
            got,
            ["image-setuid-file", "image-world-writable-system-path"]
        );
        assert!(wants_mode("usr/bin/su", 0o4755, false));
        assert!(!wants_mode("var/tmp", 0o1777, true) || system_path("var/tmp"));
    }

    #[test]
    fn base_boundary() {
        let h = vec![
            (Some(0), "ADD file:x in /".to_string()),
            (None, "CMD [\"bash\"]".to_string()),
            (Some(1), "RUN apt-get install -y x".to_string()),
            (None, "USER app".to_string()),
        ];
        assert_eq!(own_layers_start(&h), 1);
        // No marker: every layer but the first (the base root filesystem).
        assert_eq!(own_layers_start(&h[..2]), 1);
        let h2 = vec![
            (Some(0), "ADD rootfs.tar /".to_string()),
            (Some(1), "RUN a".to_string()),
            (None, "CMD [\"a\"]".to_string()),
            (Some(2), "RUN b".to_string()),
        ];
        assert_eq!(own_layers_start(&h2), 2);
    }
}
