//! Image references as `docker pull` reads them: `alpine`, `alpine:3.20`,
//! `ghcr.io/org/app:1.2`, `127.0.0.1:5000/app@sha256:…`.

use std::fmt;

use hull_types::Digest;

use crate::ImageError;

/// A parsed, normalised image reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reference {
    /// The host (and port) given, `docker.io` for Docker Hub.
    pub registry: String,
    /// The repository path; Docker Hub's one-component names get `library/`.
    pub repository: String,
    /// The tag, if given.
    pub tag: Option<String>,
    /// The digest, if given.
    pub digest: Option<Digest>,
}

impl Reference {
    /// Parses a reference. A first component with a `.` or `:`, or `localhost`, is a
    /// registry host; otherwise the image is on Docker Hub.
    pub fn parse(s: &str) -> Result<Self, ImageError> {
        let bad = |r: &str| ImageError::malformed(format!("image reference {s:?}"), r.to_string());
        if s.is_empty() || s.len() > 4096 || s.chars().any(|c| c.is_whitespace()) {
            return Err(bad("empty, too long or contains whitespace"));
        }
        let (rest, digest) = match s.split_once('@') {
            Some((r, d)) => (
                r,
                Some(d.parse::<Digest>().map_err(|e| bad(&e.to_string()))?),
            ),
            None => (s, None),
        };
        let (registry, path) = match rest.split_once('/') {
            Some((first, p))
                if first.contains('.')
                    || first == "localhost"
                    || first.split_once(':').is_some_and(|(_, port)| {
                        !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit())
                    }) =>
            {
                (first.to_string(), p.to_string())
            }
            _ => ("docker.io".to_string(), rest.to_string()),
        };
        // A tag is after the last ':' that follows the last '/'.
        let (repository, tag) = match path.rsplit_once(':') {
            Some((r, t)) if !t.contains('/') => (r.to_string(), Some(t.to_string())),
            _ => (path, None),
        };
        if repository.is_empty()
            || !repository.split('/').all(|c| {
                !c.is_empty()
                    && c.bytes()
                        .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'.' | b'_' | b'-'))
            })
        {
            return Err(bad("repository must be lowercase path components"));
        }
        if let Some(t) = &tag {
            if t.is_empty()
                || t.len() > 128
                || !t
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
            {
                return Err(bad("invalid tag"));
            }
        }
        let repository = if registry == "docker.io" && !repository.contains('/') {
            format!("library/{repository}")
        } else {
            repository
        };
        let tag = if tag.is_none() && digest.is_none() {
            Some("latest".to_string())
        } else {
            tag
        };
        Ok(Reference {
            registry,
            repository,
            tag,
            digest,
        })
    }

    /// The host the distribution API is served from.
    pub fn api_host(&self) -> &str {
        if self.registry == "docker.io" {
            "registry-1.docker.io"
        } else {
            &self.registry
        }
    }

    /// What to ask the manifest endpoint for: the digest if given, else the tag.
    pub fn manifest_ref(&self) -> String {
        match (&self.digest, &self.tag) {
            (Some(d), _) => d.to_string(),
            (None, Some(t)) => t.clone(),
            (None, None) => "latest".into(),
        }
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_hub_short_names() {
        let r = Reference::parse("alpine").unwrap();
        assert_eq!(r.to_string(), "docker.io/library/alpine:latest");
        assert_eq!(r.api_host(), "registry-1.docker.io");
        let r = Reference::parse("bitnami/redis:7.2").unwrap();
        assert_eq!(r.to_string(), "docker.io/bitnami/redis:7.2");
    }

    #[test]
    fn registries_ports_and_digests() {
        let d = format!("sha256:{}", "a".repeat(64));
        let r = Reference::parse(&format!("127.0.0.1:5000/team/app@{d}")).unwrap();
        assert_eq!(r.registry, "127.0.0.1:5000");
        assert_eq!(r.repository, "team/app");
        assert_eq!(r.tag, None);
        assert_eq!(r.manifest_ref(), d);
        let r = Reference::parse("localhost/app:1.2").unwrap();
        assert_eq!(
            (r.registry.as_str(), r.tag.as_deref()),
            ("localhost", Some("1.2"))
        );
        let r = Reference::parse("registry.example/app:1.2").unwrap();
        assert_eq!(r.api_host(), "registry.example");
    }

    #[test]
    fn rejects_bad() {
        for s in [
            "",
            "UPPER/case",
            "a b",
            "app@sha256:zz",
            "app:",
            "x//y",
            "app:bad/tag",
        ] {
            assert!(Reference::parse(s).is_err(), "{s}");
        }
    }
}
