//! Heuristics shared by the Dockerfile and image-history checks: shell commands that pipe a
//! download into a shell, world-writable modes, names of variables that hold secrets.

use std::sync::LazyLock;

use regex::Regex;

/// `curl … | sh`, `wget -O- … | sudo bash`, and the same through `bash -c "$(curl …)"`.
static PIPE_TO_SHELL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
        \b(?:curl|wget)\b[^|;&\n]*\|\s*(?:sudo\s+(?:-\S+\s+)*)?(?:/usr)?(?:/bin/)?(?:ba|z|da|k)?sh\b
        | \b(?:ba|z|da)?sh\s+-c\s+[\x22']?\$\(\s*(?:curl|wget)\b
        | \b(?:ba|z|da)?sh\s+<\(\s*(?:curl|wget)\b",
    )
    .expect("static regex")
});

/// `chmod` and its arguments up to the end of the command.
static CHMOD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\bchmod\s+((?:-[A-Za-z]+\s+)*)(\S+)").expect("static regex"));

/// Variable names that hold secrets: a segment naming a password, token, key or
/// credential (`DB_PASSWORD`, `GITHUB_TOKEN`, `AWS_SECRET_ACCESS_KEY`).
static SECRET_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:^|[_.-])(?:PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|SECRET_?KEY|CREDENTIALS?|AUTH_?KEY|CLIENT_?SECRET)(?:$|[_.-])")
        .expect("static regex")
});

/// Name endings that say the variable holds a reference to a secret, not the secret.
static SECRET_REFERENCE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)[_.-](?:FILE|PATH|DIR|NAME|LENGTH|LEN|TTL|URL|URI|ENDPOINT|TYPE|HEADER|VERSION|ENABLED|EXPIRY|EXPIRES|EXPIRATION|ID|REF|ARN)$")
        .expect("static regex")
});

pub fn pipes_download_to_shell(cmd: &str) -> bool {
    PIPE_TO_SHELL.is_match(cmd)
}

/// `chmod 777`, `chmod -R 0777`, `chmod a+rwx`, `chmod o+w`: a mode that lets everyone
/// write. Sticky directories (`1777`, like `/tmp`) are the normal way to share a directory
/// and are not reported.
pub fn chmod_world_writable(cmd: &str) -> bool {
    CHMOD.captures_iter(cmd).any(|c| {
        let mode = &c[2];
        if mode.bytes().all(|b| (b'0'..=b'7').contains(&b)) && (3..=4).contains(&mode.len()) {
            let sticky = mode.len() == 4 && (mode.as_bytes()[0] - b'0') & 1 == 1;
            let others = mode.as_bytes()[mode.len() - 1] - b'0';
            return others & 2 != 0 && !sticky;
        }
        mode.split(',').any(|clause| {
            let Some((who, perms)) = clause.split_once(['+', '=']) else {
                return false;
            };
            (who.is_empty() && clause.contains('=') || who.contains('a') || who.contains('o'))
                && perms.contains('w')
        })
    })
}

/// Whether `name=value` looks like a secret set in the clear: a secret-like name, a
/// non-empty literal value (not a `$VAR` reference, not a boolean or placeholder).
pub fn secret_assignment(name: &str, value: &str) -> bool {
    let v = value.trim().trim_matches(['"', '\'']);
    SECRET_NAME.is_match(name)
        && !SECRET_REFERENCE.is_match(name)
        && !v.is_empty()
        && !v.starts_with('$')
        && !v.starts_with('/')
        && !matches!(
            v.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "0" | "1" | "none" | "null" | "changeme-at-runtime"
        )
}

pub fn secret_name(name: &str) -> bool {
    SECRET_NAME.is_match(name) && !SECRET_REFERENCE.is_match(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipe_to_shell() {
        for yes in [
            "curl -fsSL https://get.example/install.sh | sh",
            "wget -qO- https://x | sudo -E bash -",
            "curl https://x|/bin/bash",
            "bash -c \"$(curl -fsSL https://x)\"",
            "sh <(curl -s https://x)",
        ] {
            assert!(pipes_download_to_shell(yes), "{yes}");
        }
        for no in [
            "curl -o /tmp/x https://x && sha256sum -c x.sha256",
            "curl https://x | tar xz",
            "wget https://x; sh ./install.sh",
            "echo curl | shasum",
        ] {
            assert!(!pipes_download_to_shell(no), "{no}");
        }
    }

    #[test]
    fn chmod() {
        for yes in [
            "chmod 777 /app",
            "chmod -R 0777 /data",
            "chmod a+rwx /x",
            "chmod o+w /etc/x",
        ] {
            assert!(chmod_world_writable(yes), "{yes}");
        }
        for no in [
            "chmod 755 /app",
            "chmod +x run.sh",
            "chmod u+w f",
            "chmod 0775 d",
            "chmod 7770 d",
            "chmod 1777 /tmp",
        ] {
            assert!(!chmod_world_writable(no), "{no}");
        }
    }

    #[test]
    fn secret_assignments() {
        assert!(secret_assignment("DB_PASSWORD", "hunter2-long"));
        assert!(secret_assignment("GITHUB_TOKEN", "ghp_x"));
        assert!(secret_assignment("aws_secret_access_key", "abc"));
        assert!(!secret_assignment("DB_PASSWORD_FILE", "/run/secrets/db"));
        assert!(!secret_assignment("DB_PASSWORD", ""));
        assert!(!secret_assignment("DB_PASSWORD", "${DB_PASSWORD}"));
        assert!(!secret_assignment(
            "GPG_KEY",
            "A035C8C19219BA821ECEA86B64E628F8D684696D"
        ));
        assert!(!secret_assignment("TOKENIZERS_PARALLELISM", "false"));
        assert!(!secret_assignment("PATH", "/usr/bin"));
        assert!(!secret_assignment("AUTH_TOKEN_URL", "https://x"));
    }
}
