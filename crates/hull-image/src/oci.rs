//! The JSON documents of an image: OCI/Docker manifests and indexes, the image config, and
//! `docker save`'s `manifest.json`. Deserialised into raw structs here and validated into
//! digests at the edge (`source.rs`), so nothing inward handles an unchecked digest string.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

pub const MT_OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const MT_OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const MT_DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const MT_DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";

/// Upper bound for any JSON document of an image (manifest, index, config).
pub const MAX_JSON: u64 = 16 << 20;

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RawDescriptor {
    pub digest: String,
    #[serde(default)]
    pub size: i64,
    #[serde(default)]
    pub platform: Option<Platform>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
}

/// An OCI index, a Docker manifest list, or a manifest: which one is decided by `mediaType`
/// or, when absent, by which of `manifests`/`layers` is present.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RawManifestOrIndex {
    #[serde(default)]
    pub manifests: Option<Vec<RawDescriptor>>,
    #[serde(default)]
    pub config: Option<RawDescriptor>,
    #[serde(default)]
    pub layers: Option<Vec<RawDescriptor>>,
}

/// One entry of `docker save`'s `manifest.json`.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DockerArchiveEntry {
    pub config: String,
    #[serde(default)]
    pub repo_tags: Option<Vec<String>>,
    pub layers: Vec<String>,
}

/// The platform an image runs on, `os/arch[/variant]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Platform {
    #[serde(default)]
    /// `linux`, …
    pub os: String,
    #[serde(default)]
    /// `amd64`, `arm64`, …
    pub architecture: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// `v7`, `v8`, …
    pub variant: Option<String>,
}

impl Platform {
    /// The platform of the machine hull runs on, in OCI's names.
    pub fn host() -> Self {
        let architecture = match std::env::consts::ARCH {
            "x86_64" => "amd64",
            "aarch64" => "arm64",
            "x86" => "386",
            "powerpc64" => "ppc64le",
            a => a,
        };
        Platform {
            os: "linux".into(),
            architecture: architecture.into(),
            variant: None,
        }
    }

    /// Parses `linux/arm64`, `linux/arm/v7`.
    pub fn parse(s: &str) -> Option<Self> {
        let mut it = s.split('/');
        let os = it.next().filter(|x| !x.is_empty())?;
        let architecture = it.next().filter(|x| !x.is_empty())?;
        let variant = it.next().map(str::to_string);
        if it.next().is_some() {
            return None;
        }
        Some(Platform {
            os: os.into(),
            architecture: architecture.into(),
            variant,
        })
    }

    /// Whether an index entry's platform satisfies this wanted platform. A wanted platform
    /// without a variant accepts any variant (as `docker pull --platform linux/arm64` does).
    pub fn matches(&self, other: &Platform) -> bool {
        self.os == other.os
            && self.architecture == other.architecture
            && (self.variant.is_none() || self.variant == other.variant)
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

/// The parts of the image config hull reports and analyses.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageConfig {
    #[serde(default)]
    /// The image's architecture.
    pub architecture: String,
    #[serde(default)]
    /// The image's OS.
    pub os: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// The architecture variant.
    pub variant: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// When it was built, as written.
    pub created: Option<String>,
    #[serde(default)]
    /// The run configuration.
    pub config: RunConfig,
    #[serde(default)]
    /// The layers' diff_ids.
    pub rootfs: RootFs,
    #[serde(default)]
    /// The build steps.
    pub history: Vec<HistoryEntry>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RunConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entrypoint: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cmd: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exposed_ports: Option<BTreeMap<String, serde_json::Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<Healthcheck>,
}

/// The config's `Healthcheck` (Docker's extension; OCI configs do not have it).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Healthcheck {
    /// `["CMD", …]`, `["CMD-SHELL", "…"]`, or `["NONE"]` (disabled).
    #[serde(default, rename = "Test")]
    pub test: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RootFs {
    #[serde(default, rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub diff_ids: Vec<String>,
}

/// One build step; steps with `empty_layer` made no layer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// When, as written.
    pub created: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// The build step.
    pub created_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// A comment.
    pub comment: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    /// Whether the step made no layer.
    pub empty_layer: bool,
}

impl ImageConfig {
    /// The history line that created each layer, in layer order (`None` where the config's
    /// history does not say).
    pub fn layer_history(&self) -> Vec<Option<String>> {
        let lines: Vec<Option<String>> = self
            .history
            .iter()
            .filter(|h| !h.empty_layer)
            .map(|h| h.created_by.clone())
            .collect();
        (0..self.rootfs.diff_ids.len())
            .map(|i| lines.get(i).cloned().flatten())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platform_parse_and_match() {
        let p = Platform::parse("linux/arm64").unwrap();
        assert!(p.matches(&Platform::parse("linux/arm64/v8").unwrap()));
        assert!(!Platform::parse("linux/arm64/v8")
            .unwrap()
            .matches(&Platform::parse("linux/arm64/v7").unwrap()));
        assert!(Platform::parse("linux").is_none());
        assert!(Platform::parse("a/b/c/d").is_none());
        assert_eq!(p.to_string(), "linux/arm64");
    }

    #[test]
    fn history_skips_empty_layers() {
        let c: ImageConfig = serde_json::from_str(r#"{"rootfs":{"type":"layers","diff_ids":["a","b"]},"history":[{"created_by":"ADD x"},{"created_by":"ENV a=b","empty_layer":true},{"created_by":"RUN y"}]}"#).unwrap();
        assert_eq!(
            c.layer_history(),
            vec![Some("ADD x".into()), Some("RUN y".into())]
        );
    }
}
