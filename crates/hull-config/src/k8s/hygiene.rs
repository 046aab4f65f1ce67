//! Workload hygiene: image references that are not pinned, containers without resource
//! limits or health probes, images from registries outside an allowlist.

use hull_types::{Misconfiguration, Severity};

use super::{Options, PodTemplate};
use crate::yaml::Node;
use crate::Check;

/// `k8s-image-tag-latest`: Image uses the latest tag or no tag.
pub static IMAGE_LATEST: Check = Check {
    id: "k8s-image-tag-latest",
    title: "Image uses the latest tag or no tag",
    severity: Severity::Medium,
    remediation:
        "Pin the image to a version tag and, better, a digest (`image: app:1.4@sha256:…`).",
};

/// `k8s-image-no-digest`: Image not pinned by digest.
pub static IMAGE_NO_DIGEST: Check = Check {
    id: "k8s-image-no-digest",
    title: "Image not pinned by digest",
    severity: Severity::Low,
    remediation: "Reference the image by digest so every node runs the same bytes.",
};

/// `k8s-resource-limits-missing`: Container without CPU or memory limits.
pub static NO_LIMITS: Check = Check {
    id: "k8s-resource-limits-missing",
    title: "Container without CPU or memory limits",
    severity: Severity::Low,
    remediation: "Set resources.limits.cpu and resources.limits.memory.",
};

/// `k8s-probes-missing`: Container without liveness or readiness probe.
pub static NO_PROBES: Check = Check {
    id: "k8s-probes-missing",
    title: "Container without liveness or readiness probe",
    severity: Severity::Low,
    remediation:
        "Add livenessProbe and readinessProbe so failures are noticed and traffic is held back.",
};

/// `k8s-image-registry-not-allowed`: Image from a registry outside the allowlist.
pub static REGISTRY_NOT_ALLOWED: Check = Check {
    id: "k8s-image-registry-not-allowed",
    title: "Image from a registry outside the allowlist",
    severity: Severity::High,
    remediation: "Pull the image from an allowed registry (mirror it there first).",
};

/// Every workload hygiene check.
pub static CHECKS: &[&Check] = &[
    &IMAGE_NO_DIGEST,
    &REGISTRY_NOT_ALLOWED,
    &IMAGE_LATEST,
    &NO_PROBES,
    &NO_LIMITS,
];

/// An image reference split as the container runtime reads it.
#[derive(Debug, PartialEq, Eq)]
pub struct ImageRef<'a> {
    /// The registry host; `docker.io` for short names.
    pub registry: &'a str,
    /// The repository path without the registry.
    pub repository: &'a str,
    /// The tag, if any.
    pub tag: Option<&'a str>,
    /// The digest, if any.
    pub digest: Option<&'a str>,
}

impl<'a> ImageRef<'a> {
    /// Splits an image reference into name, tag and digest.
    pub fn parse(s: &'a str) -> Self {
        let (name, digest) = match s.split_once('@') {
            Some((n, d)) => (n, Some(d)),
            None => (s, None),
        };
        let slash = name.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match name[slash..].rfind(':') {
            Some(i) => (&name[..slash + i], Some(&name[slash + i + 1..])),
            None => (name, None),
        };
        let (registry, repository) = match name.split_once('/') {
            Some((first, rest))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (first, rest)
            }
            _ => ("docker.io", name),
        };
        Self {
            registry,
            repository,
            tag,
            digest,
        }
    }

    /// `registry/repository`, for allowlist prefix matching.
    fn full_name(&self) -> String {
        let repo = if self.registry == "docker.io" && !self.repository.contains('/') {
            format!("library/{}", self.repository)
        } else {
            self.repository.to_string()
        };
        format!("{}/{repo}", self.registry)
    }
}

/// Whether `image` is allowed by an entry: a registry host (`ghcr.io`) or a host and path
/// prefix (`registry.example/team`), matched at path boundaries.
fn allowed(image: &ImageRef<'_>, entry: &str) -> bool {
    let full = image.full_name();
    let entry = entry.trim_end_matches('/');
    full == entry || full.starts_with(&format!("{entry}/"))
}

/// Checks one pod template's hygiene.
pub fn check(t: &PodTemplate<'_>, opts: &Options, out: &mut Vec<Misconfiguration>) {
    let o = t.object;
    let all = t
        .spec
        .get("initContainers")
        .items()
        .iter()
        .chain(t.spec.get("containers").items())
        .chain(t.spec.get("ephemeralContainers").items());
    for c in all {
        let name = c.get("name").text().unwrap_or_default();
        let img_node = c.get("image");
        let Some(image) = img_node.as_str() else {
            continue;
        };
        let r = ImageRef::parse(image);
        if r.digest.is_none() {
            if matches!(r.tag, None | Some("latest")) {
                out.push(o.finding(
                    &IMAGE_LATEST,
                    img_node.line,
                    format!("container {name:?} runs {image:?}"),
                ));
            }
            out.push(o.finding(
                &IMAGE_NO_DIGEST,
                img_node.line,
                format!("container {name:?} runs {image:?}"),
            ));
        }
        if !opts.allowed_registries.is_empty()
            && !opts.allowed_registries.iter().any(|e| allowed(&r, e))
        {
            out.push(o.finding(
                &REGISTRY_NOT_ALLOWED,
                img_node.line,
                format!("container {name:?} pulls from {}", r.registry),
            ));
        }
    }
    for c in t.spec.get("containers").items() {
        let name = c.get("name").text().unwrap_or_default();
        let limits = c.at("resources.limits");
        let missing: Vec<&str> = ["cpu", "memory"]
            .into_iter()
            .filter(|k| limits.get(k).is_null())
            .collect();
        if !missing.is_empty() {
            out.push(o.finding(
                &NO_LIMITS,
                line(c.get("resources"), c),
                format!("container {name:?} has no {} limit", missing.join(" or ")),
            ));
        }
        if o.long_running() {
            let missing: Vec<&str> = ["livenessProbe", "readinessProbe"]
                .into_iter()
                .filter(|k| c.get(k).is_null())
                .collect();
            if !missing.is_empty() {
                out.push(o.finding(
                    &NO_PROBES,
                    c.line,
                    format!("container {name:?} has no {}", missing.join(" or ")),
                ));
            }
        }
    }
}

fn line(n: &Node, fallback: &Node) -> u32 {
    if n.line > 0 {
        n.line
    } else {
        fallback.line
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::k8s::load;
    use crate::yaml::Bounds;

    #[test]
    fn image_refs() {
        let r = ImageRef::parse("nginx");
        assert_eq!(
            (r.registry, r.repository, r.tag, r.digest),
            ("docker.io", "nginx", None, None)
        );
        let r = ImageRef::parse("localhost:5000/team/app:1.2@sha256:abc");
        assert_eq!(
            (r.registry, r.repository, r.tag, r.digest),
            (
                "localhost:5000",
                "team/app",
                Some("1.2"),
                Some("sha256:abc")
            )
        );
        let r = ImageRef::parse("bitnami/redis:latest");
        assert_eq!((r.registry, r.tag), ("docker.io", Some("latest")));
        assert!(allowed(&ImageRef::parse("nginx:1"), "docker.io/library"));
        assert!(allowed(&ImageRef::parse("ghcr.io/org/app:1"), "ghcr.io"));
        assert!(!allowed(
            &ImageRef::parse("ghcr.io.evil/org/app:1"),
            "ghcr.io"
        ));
        assert!(!allowed(
            &ImageRef::parse("registry.example/teamx/app"),
            "registry.example/team"
        ));
    }

    fn run(y: &str, allowed: &[&str]) -> Vec<String> {
        let (objs, _) = load("t.yaml", y.as_bytes(), &Bounds::default());
        let opts = Options {
            allowed_registries: allowed.iter().map(|s| s.to_string()).collect(),
            ..Options::default()
        };
        let mut out = Vec::new();
        for o in &objs {
            check(&o.pod_template().unwrap(), &opts, &mut out);
        }
        let mut ids: Vec<String> = out.iter().map(|f| f.check.clone()).collect();
        ids.sort();
        ids
    }

    #[test]
    fn hygiene_positive_and_negative() {
        let bad = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    spec:\n      containers: [{name: c, image: nginx}]\n";
        assert_eq!(
            run(bad, &["ghcr.io"]),
            [
                "k8s-image-no-digest",
                "k8s-image-registry-not-allowed",
                "k8s-image-tag-latest",
                "k8s-probes-missing",
                "k8s-resource-limits-missing",
            ]
        );
        let good = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    spec:\n      containers:\n      - name: c\n        image: ghcr.io/org/app:1.0@sha256:0123\n        resources: {limits: {cpu: 1, memory: 1Gi}}\n        livenessProbe: {httpGet: {port: 8080}}\n        readinessProbe: {httpGet: {port: 8080}}\n";
        assert!(run(good, &["ghcr.io"]).is_empty());
        // Jobs finish: no probes expected.
        let job = "apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nspec:\n  template:\n    spec:\n      containers:\n      - {name: c, image: 'busybox:1.36@sha256:1', resources: {limits: {cpu: 1, memory: 1Gi}}}\n";
        assert!(run(job, &[]).is_empty());
    }
}
