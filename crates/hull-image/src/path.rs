//! Tar entry names made into absolute paths inside the image root: `..` resolved without
//! ever climbing above `/`, so no name escapes the image.

/// Normalises a tar entry name into an absolute path inside the image root.
///
/// `./a//b/../c` becomes `/a/c`. A `..` at the root stays at the root, so no entry can name a
/// path outside the image; the second value says whether that happened, so the walker can
/// record the attempt. Returns `None` for the root itself.
pub fn normalize(name: &str) -> Option<(String, bool)> {
    let mut parts: Vec<&str> = Vec::new();
    let mut escaped = false;
    for part in name.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    escaped = true;
                }
            }
            p => parts.push(p),
        }
    }
    if parts.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(name.len() + 1);
    for p in parts {
        out.push('/');
        out.push_str(p);
    }
    Some((out, escaped))
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn normalises() {
        assert_eq!(
            normalize("./var/lib/dpkg/status"),
            Some(("/var/lib/dpkg/status".into(), false))
        );
        assert_eq!(
            normalize("/etc//os-release"),
            Some(("/etc/os-release".into(), false))
        );
        assert_eq!(normalize("a/b/../c"), Some(("/a/c".into(), false)));
        assert_eq!(
            normalize("../../etc/passwd"),
            Some(("/etc/passwd".into(), true))
        );
        assert_eq!(normalize("a/../../b"), Some(("/b".into(), true)));
        assert_eq!(normalize("./"), None);
    }
}
