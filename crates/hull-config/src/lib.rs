//! Configuration checks: how an image, its Dockerfile and the Kubernetes objects that run it
//! are set up.
//!
//! - [`k8s`]: manifests (YAML or JSON, multi-document, `List` kinds) checked against the Pod
//!   Security Standards exactly as the admission controller enforces them, NetworkPolicy
//!   coverage, RBAC and workload hygiene.
//! - [`dockerfile`]: a Dockerfile parser (directives, continuations, heredocs, exec and
//!   shell forms) and checks over the instructions.
//! - [`image`]: checks over an image's config and history.
//!
//! Nothing here reads an image or the file system: callers hand in paths and bytes (a
//! manifest directory, stdin, the files of a source tree) and get [`Misconfiguration`]s
//! back, sorted. Every input is bounded ([`yaml::Bounds`]) and no byte sequence panics.
//!
//! ```
//! let pod = b"apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: nginx:1.27\n    securityContext: {privileged: true}\n";
//! let report = hull_config::check_files(
//!     &[hull_config::InputFile { path: "pod.yaml".into(), bytes: pod.to_vec() }],
//!     &hull_config::Options::default(),
//! );
//! assert!(report.findings.iter().any(|f| f.check == "pss-baseline-privileged" && f.line == Some(8)));
//! ```

pub mod dockerfile;
pub mod image;
pub mod k8s;
mod shell;
pub use hull_yaml as yaml;

use hull_types::{Misconfiguration, ResourceRef, Severity};

/// A check's identity and advice. Findings copy these into [`Misconfiguration`].
#[derive(Debug)]
pub struct Check {
    /// Stable id, kebab-case, prefixed by what it checks (`pss-`, `k8s-`, `dockerfile-`,
    /// `image-`).
    pub id: &'static str,
    /// One line for people.
    pub title: &'static str,
    /// How bad a failure is.
    pub severity: Severity,
    /// What to do about it.
    pub remediation: &'static str,
}

impl Check {
    /// A finding of this check.
    pub fn finding(
        &self,
        target: &str,
        line: Option<u32>,
        resource: Option<ResourceRef>,
        message: String,
    ) -> Misconfiguration {
        Misconfiguration {
            target: target.to_string(),
            line,
            check: self.id.to_string(),
            severity: self.severity,
            title: self.title.to_string(),
            resource,
            message,
            remediation: self.remediation.to_string(),
        }
    }
}

/// Every check hull-config can report, sorted by id (the list the docs print; a test keeps
/// ids unique).
pub fn checks() -> Vec<&'static Check> {
    let mut v = k8s::checks();
    v.extend(dockerfile::CHECKS);
    v.extend(image::CHECKS);
    v.sort_by_key(|c| c.id);
    v
}

/// A file that could not be read completely.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct FileWarning {
    /// The file.
    pub path: String,
    /// What went wrong.
    pub message: String,
}

/// One input: a path (for reports and to tell Dockerfiles from manifests) and its bytes.
#[derive(Clone, Debug)]
pub struct InputFile {
    /// Its path (for reports, and to tell Dockerfiles from manifests).
    pub path: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// What to check and how strictly.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Kubernetes checks' options.
    pub k8s: k8s::Options,
    /// Bounds on YAML input.
    pub yaml: yaml::Bounds,
}

/// Findings over a set of files.
#[derive(Clone, Debug, Default)]
pub struct ConfigReport {
    /// Failed checks.
    pub findings: Vec<Misconfiguration>,
    /// Files that could not be read completely.
    pub warnings: Vec<FileWarning>,
    /// Kubernetes objects read.
    pub objects: usize,
    /// Dockerfiles read.
    pub dockerfiles: usize,
}

/// What kind of configuration a path holds, by its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// A Dockerfile or Containerfile.
    Dockerfile,
    /// YAML or JSON that may hold Kubernetes objects.
    Manifest,
}

impl FileKind {
    /// The kind a file name says, if any.
    pub fn of(path: &str) -> Option<Self> {
        let name = path.rsplit('/').next().unwrap_or(path);
        let lower = name.to_ascii_lowercase();
        if lower == "dockerfile"
            || lower == "containerfile"
            || lower.starts_with("dockerfile.")
            || lower.ends_with(".dockerfile")
            || lower.starts_with("containerfile.")
        {
            return Some(Self::Dockerfile);
        }
        if lower.ends_with(".yaml") || lower.ends_with(".yml") || lower.ends_with(".json") {
            return Some(Self::Manifest);
        }
        None
    }
}

/// Checks a set of files together: each Dockerfile on its own, all Kubernetes objects as
/// one set (NetworkPolicies and service accounts apply across files). Files that are
/// neither are ignored; `-` or any other path whose name says nothing is read as a
/// manifest stream.
pub fn check_files(files: &[InputFile], opts: &Options) -> ConfigReport {
    let mut report = ConfigReport::default();
    let mut objects = Vec::new();
    for f in files {
        match FileKind::of(&f.path).unwrap_or(FileKind::Manifest) {
            FileKind::Dockerfile => {
                report.dockerfiles += 1;
                match dockerfile::parse(&f.bytes) {
                    Ok(df) => report.findings.extend(dockerfile::check(&f.path, &df)),
                    Err(e) => report.warnings.push(FileWarning {
                        path: f.path.clone(),
                        message: e.to_string(),
                    }),
                }
            }
            FileKind::Manifest => {
                let (objs, unreadable) = k8s::load(&f.path, &f.bytes, &opts.yaml);
                objects.extend(objs);
                report.findings.extend(unreadable);
            }
        }
    }
    report.objects = objects.len();
    report.findings.extend(k8s::check(&objects, &opts.k8s));
    report.findings.sort();
    report.findings.dedup();
    report.warnings.sort();
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_ids_are_unique_and_well_formed() {
        let all = checks();
        let mut ids: Vec<&str> = all.iter().map(|c| c.id).collect();
        ids.dedup();
        assert_eq!(ids.len(), all.len(), "duplicate check id");
        for id in ids {
            assert!(
                ["pss-", "k8s-", "dockerfile-", "image-"]
                    .iter()
                    .any(|p| id.starts_with(p)),
                "{id}"
            );
            assert!(
                id.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{id}"
            );
        }
    }

    #[test]
    fn file_kinds() {
        assert_eq!(FileKind::of("a/Dockerfile"), Some(FileKind::Dockerfile));
        assert_eq!(
            FileKind::of("build/api.Dockerfile"),
            Some(FileKind::Dockerfile)
        );
        assert_eq!(FileKind::of("Containerfile"), Some(FileKind::Dockerfile));
        assert_eq!(FileKind::of("k/deploy.yml"), Some(FileKind::Manifest));
        assert_eq!(FileKind::of("main.rs"), None);
    }
}

#[cfg(test)]
mod doc_tests {
    /// The user documentation lists every check, and nothing that is not one.
    #[test]
    fn docs_list_every_check() {
        let doc = include_str!("../../../docs/misconfig.md");
        for c in super::checks() {
            assert!(
                doc.contains(&format!("| `{}` | {} | {} |", c.id, c.title, c.severity)),
                "docs/misconfig.md does not list {} as it is",
                c.id
            );
        }
        let listed = doc.lines().filter(|l| l.starts_with("| `")).count();
        assert_eq!(listed, super::checks().len());
    }
}
