//! The operating system an image runs, as its `os-release` (or a legacy release file) says.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The distributions hull knows how to name in purls and, later, in OSV ecosystems.
///
/// Exhaustive on purpose: a new family fails to compile until every table that maps families
/// (purl namespace, OSV ecosystem) handles it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OsFamily {
    /// Debian and derivatives that keep its os-release, distroless included.
    Debian,
    /// Ubuntu.
    Ubuntu,
    /// Alpine Linux.
    Alpine,
    /// Wolfi (Chainguard's undistro).
    Wolfi,
    /// Chainguard OS images.
    Chainguard,
    /// Red Hat Enterprise Linux (and UBI).
    Rhel,
    /// CentOS.
    Centos,
    /// Rocky Linux.
    Rocky,
    /// AlmaLinux.
    Alma,
    /// Fedora.
    Fedora,
    /// Oracle Linux.
    Oracle,
    /// Amazon Linux.
    Amazon,
    /// SUSE Linux Enterprise.
    Suse,
    /// openSUSE Leap and Tumbleweed.
    Opensuse,
    /// CBL-Mariner.
    Mariner,
    /// Azure Linux (Mariner's successor).
    Azurelinux,
    /// VMware Photon OS.
    Photon,
    /// An `os-release` hull does not recognise; the raw `ID` is kept in [`OsRelease::id`].
    Unknown,
}

impl OsFamily {
    /// Maps an os-release `ID` to a family.
    pub fn from_os_release_id(id: &str) -> Self {
        match id {
            "debian" => Self::Debian,
            "ubuntu" => Self::Ubuntu,
            "alpine" => Self::Alpine,
            "wolfi" => Self::Wolfi,
            "chainguard" => Self::Chainguard,
            "rhel" => Self::Rhel,
            "centos" => Self::Centos,
            "rocky" => Self::Rocky,
            "almalinux" => Self::Alma,
            "fedora" => Self::Fedora,
            "ol" => Self::Oracle,
            "amzn" => Self::Amazon,
            "sles" | "sled" | "sle-micro" | "sle_hpc" => Self::Suse,
            "opensuse" | "opensuse-leap" | "opensuse-tumbleweed" | "opensuse-microos" => {
                Self::Opensuse
            }
            "mariner" => Self::Mariner,
            "azurelinux" => Self::Azurelinux,
            "photon" => Self::Photon,
            _ => Self::Unknown,
        }
    }

    /// The purl namespace (vendor) for packages of this family, as the purl-spec type
    /// definitions and the major SBOM tools write it.
    pub fn purl_namespace(self) -> &'static str {
        match self {
            Self::Debian => "debian",
            Self::Ubuntu => "ubuntu",
            Self::Alpine => "alpine",
            Self::Wolfi => "wolfi",
            Self::Chainguard => "chainguard",
            Self::Rhel => "redhat",
            Self::Centos => "centos",
            Self::Rocky => "rocky",
            Self::Alma => "almalinux",
            Self::Fedora => "fedora",
            Self::Oracle => "oracle",
            Self::Amazon => "amazon",
            Self::Suse => "suse",
            Self::Opensuse => "opensuse",
            Self::Mariner => "mariner",
            Self::Azurelinux => "azurelinux",
            Self::Photon => "photon",
            Self::Unknown => "unknown",
        }
    }
}

/// What the image says it is, read from `/etc/os-release` and friends.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct OsRelease {
    /// The family, which decides the purl namespace and the OSV ecosystem.
    pub family: OsFamily,
    /// The raw `ID` (or the name hull inferred from a legacy release file).
    pub id: String,
    /// `VERSION_ID`, or the content of a legacy release file such as `/etc/alpine-release`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// `VERSION_CODENAME` (`bookworm`).
    pub version_codename: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// `PRETTY_NAME`, for people.
    pub pretty_name: Option<String>,
    /// Google's distroless images keep Debian's os-release but no `dpkg` and a `status.d`
    /// directory instead of a status file.
    #[serde(default)]
    pub distroless: bool,
}

impl OsRelease {
    /// The purl `distro` qualifier: `debian-12`, `alpine-3.20.3`, `rhel-9.4`.
    pub fn purl_distro(&self) -> Option<String> {
        let v = self.version_id.as_deref()?;
        Some(format!("{}-{}", self.id, v))
    }
}

impl fmt::Display for OsRelease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.pretty_name, &self.version_id) {
            (Some(p), _) if self.distroless => write!(f, "{p} ({} based)", self.id),
            (Some(p), _) => f.write_str(p),
            (None, Some(v)) => write!(f, "{} {v}", self.id),
            (None, None) => f.write_str(&self.id),
        }
    }
}
