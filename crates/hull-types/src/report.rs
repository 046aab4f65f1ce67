//! The report model: what one scan found, as every renderer, the policy step and (later) the
//! server read it. A [`ScanReport`] is built only through [`ScanReport::new`], which sorts and
//! de-duplicates every list, so two scans of the same input render byte-identical reports
//! whichever front-end or source built them.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{
    Detection, Digest, Misconfiguration, NotMatched, OsRelease, Package, PackageKind, Secret,
    Vulnerability,
};

/// Where an image came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    /// `docker save` / `podman save` output (classic `manifest.json`, or the OCI-in-tar
    /// layout of Docker 25+, which also carries a `manifest.json`).
    DockerArchive,
    /// An OCI image layout directory.
    OciLayout,
    /// An OCI image layout in a tar file.
    OciArchive,
    /// A registry, over the OCI distribution API.
    Registry,
    /// A root filesystem directory (no layers).
    Rootfs,
    /// A CycloneDX or SPDX SBOM: packages to match, no image.
    Sbom,
    /// Kubernetes manifests and Dockerfiles checked by `hull k8s`: configuration, no image.
    Config,
}

impl SourceKind {
    /// Parses the `--kind` flag's values (`config` is not one: `hull k8s` says it).
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "docker-archive" => Self::DockerArchive,
            "oci" | "oci-layout" => Self::OciLayout,
            "oci-archive" => Self::OciArchive,
            "registry" => Self::Registry,
            "rootfs" | "dir" => Self::Rootfs,
            "sbom" => Self::Sbom,
            _ => return None,
        })
    }
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::DockerArchive => "docker-archive",
            Self::OciLayout => "oci-layout",
            Self::OciArchive => "oci-archive",
            Self::Registry => "registry",
            Self::Rootfs => "rootfs",
            Self::Sbom => "sbom",
            Self::Config => "config",
        })
    }
}

/// A problem with one file that did not stop the scan.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Warning {
    /// The layer the file is in (none for a directory, the config or a manifest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<Digest>,
    /// The file, as the image or directory names it.
    pub path: String,
    /// What went wrong, naming the analyzer or reader that said so.
    pub message: String,
}

/// One layer in the summary.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerInfo {
    /// 0-based, bottom to top.
    pub index: usize,
    /// The diff_id (the digest of the uncompressed tar), verified on the bytes read.
    pub diff_id: Digest,
    /// The blob digest the manifest names (none for classic `docker save` layers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<Digest>,
    /// Uncompressed size in bytes.
    pub size: u64,
    /// The blob's size as stored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compressed_size: Option<u64>,
    /// The history line that made the layer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    /// Whether the result came from the layer cache.
    pub cached: bool,
}

/// What the image is, from its manifest and config.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageSummary {
    /// The target as the user named it.
    pub name: String,
    /// What kind of source it was read from.
    pub source: SourceKind,
    /// The manifest's digest, where there is a manifest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manifest_digest: Option<Digest>,
    /// The config digest: the image ID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_id: Option<Digest>,
    /// The tags an archive records.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub repo_tags: Vec<String>,
    /// The operating system, from `/etc/os-release` and friends.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub os: Option<OsRelease>,
    /// The config's architecture.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub architecture: String,
    /// The config's creation time, as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// The config's `User` (none when unset: root).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// The config's `Entrypoint`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entrypoint: Option<Vec<String>>,
    /// The config's `Cmd`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cmd: Option<Vec<String>>,
    /// The config's exposed ports, sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exposed_ports: Vec<String>,
    /// The layers, bottom to top.
    pub layers: Vec<LayerInfo>,
}

impl ImageSummary {
    /// A summary that names a target and nothing else: an SBOM or a set of manifests.
    pub fn named(name: impl Into<String>, source: SourceKind) -> Self {
        ImageSummary {
            name: name.into(),
            source,
            manifest_digest: None,
            image_id: None,
            repo_tags: vec![],
            os: None,
            architecture: String::new(),
            created: None,
            user: None,
            entrypoint: None,
            cmd: None,
            exposed_ports: vec![],
            layers: vec![],
        }
    }
}

/// A language package left out because an OS package installed its files.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct OsOwned {
    /// The language package's kind.
    pub kind: PackageKind,
    /// Its name.
    pub name: String,
    /// Its version.
    pub version: String,
    /// The metadata file or archive it was read from.
    pub path: String,
    /// The rule that dropped it: `owned by deb python3-requests (dpkg file list)`,
    /// `owned by apk py3-six (apk database)`, `owned by rpm python3-six (rpm database)`.
    pub reason: String,
}

/// Everything a scan found, before it is put in order: the parts [`ScanReport::new`] takes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReportParts {
    /// The inventory of the final filesystem (or the SBOM).
    pub packages: Vec<Package>,
    /// Problems with single files that did not stop the scan.
    pub warnings: Vec<Warning>,
    /// Known vulnerabilities of the packages.
    pub vulnerabilities: Vec<Vulnerability>,
    /// Packages that could not be checked, with the reason.
    pub not_matched: Vec<NotMatched>,
    /// Failed configuration checks.
    pub misconfigurations: Vec<Misconfiguration>,
    /// Language packages an OS package owns.
    pub os_owned: Vec<OsOwned>,
    /// Exposed secrets.
    pub secrets: Vec<Secret>,
    /// Malware and indicators of compromise.
    pub detections: Vec<Detection>,
    /// Files the malware scanner skipped because they match their OS package's digest.
    pub os_files_verified: u64,
}

/// The result of a scan: the image summary, its packages, every scanner's findings and the
/// per-file warnings, each list sorted and without duplicates.
///
/// `#[non_exhaustive]`: other crates read the fields but build a report only through
/// [`ScanReport::new`], so no report escapes the ordering that makes output deterministic.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ScanReport {
    /// What was scanned.
    pub image: ImageSummary,
    /// The inventory.
    pub packages: Vec<Package>,
    /// Problems with single files that did not stop the scan.
    pub warnings: Vec<Warning>,
    /// Known vulnerabilities of the packages (filled by matching, when it runs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vulnerabilities: Vec<Vulnerability>,
    /// Packages that could not be checked, with the reason.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_matched: Vec<NotMatched>,
    /// Failed configuration checks (image config, Dockerfiles, Kubernetes manifests).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub misconfigurations: Vec<Misconfiguration>,
    /// Language packages left out because an OS package installed them, with the rule.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub os_owned: Vec<OsOwned>,
    /// Exposed secrets: in files (also files a later layer deleted), the config, the history.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<Secret>,
    /// Malware and indicators of compromise: in files (also deleted ones and inside
    /// archives), the config, the history.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub detections: Vec<Detection>,
    /// Files the malware scanner did not scan because their bytes match the digest their OS
    /// package recorded (`--skip-verified-os-files`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub os_files_verified: u64,
    /// The policy's decision, once `hull-policy` has evaluated the report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<crate::PolicyResult>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Sorts and removes exact duplicates.
fn normalized<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v.dedup();
    v
}

impl ScanReport {
    /// The one way to build a report: every list sorted, exact duplicates removed.
    ///
    /// ```
    /// use hull_types::{ImageSummary, ReportParts, ScanReport, SourceKind, Warning};
    /// let w = Warning { layer: None, path: "/b".into(), message: "odd".into() };
    /// let a = Warning { path: "/a".into(), ..w.clone() };
    /// let r = ScanReport::new(
    ///     ImageSummary::named("app.tar", SourceKind::DockerArchive),
    ///     ReportParts { warnings: vec![w.clone(), a.clone(), w.clone()], ..Default::default() },
    /// );
    /// assert_eq!(r.warnings, vec![a, w]);
    /// ```
    pub fn new(image: ImageSummary, parts: ReportParts) -> Self {
        ScanReport {
            image,
            packages: normalized(parts.packages),
            warnings: normalized(parts.warnings),
            vulnerabilities: normalized(parts.vulnerabilities),
            not_matched: normalized(parts.not_matched),
            misconfigurations: normalized(parts.misconfigurations),
            os_owned: normalized(parts.os_owned),
            secrets: normalized(parts.secrets),
            detections: normalized(parts.detections),
            os_files_verified: parts.os_files_verified,
            policy: None,
        }
    }

    /// The report with the policy's decision attached (its lists sorted).
    pub fn with_policy(mut self, mut policy: crate::PolicyResult) -> Self {
        policy.failures.sort();
        policy.suppressed.sort();
        policy.annotations.sort();
        policy.ignores.sort();
        self.policy = Some(policy);
        self
    }

    /// The report's parts, to change and rebuild it through [`ScanReport::new`].
    pub fn into_parts(self) -> (ImageSummary, ReportParts) {
        (
            self.image,
            ReportParts {
                packages: self.packages,
                warnings: self.warnings,
                vulnerabilities: self.vulnerabilities,
                not_matched: self.not_matched,
                misconfigurations: self.misconfigurations,
                os_owned: self.os_owned,
                secrets: self.secrets,
                detections: self.detections,
                os_files_verified: self.os_files_verified,
            },
        )
    }
}
