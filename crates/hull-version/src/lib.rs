//! Version ordering for the OS package managers hull reads: dpkg, rpm and apk.
//!
//! No maintained crate implements these orders exactly, so each module is written from the
//! package manager's own algorithm (dpkg's `verrevcmp`, rpm's `rpmvercmp`, apk-tools'
//! tokenizer) and tested against the upstream projects' own vectors. The traps, up front:
//!
//! - dpkg: `~` sorts before everything, even the end of the string (`1.0~rc1 < 1.0`); letters
//!   sort before other symbols; a missing revision equals `0`; the epoch wins over all.
//! - rpm: `~` sorts before the end of the string, `^` after it but before anything else;
//!   numeric segments beat alphabetic ones; separators only separate (`1.0 = 1_0`).
//! - apk: Gentoo-style `1.2.3a_rc1-r2`; `_alpha`, `_beta`, `_pre`, `_rc` sort before the
//!   release and `_cvs`, `_svn`, `_git`, `_hg`, `_p` after it; `8.2.0 < 8.2.001`, since a
//!   leading zero makes a component a decimal fraction.
//!
//! ```
//! use hull_version::{DpkgVersion, RpmVersion, ApkVersion};
//! let a: DpkgVersion = "1:2.36-9+deb12u4".parse().unwrap();
//! let b: DpkgVersion = "1:2.36-9+deb12u10".parse().unwrap();
//! assert!(a < b);
//! assert!("1.0~rc1".parse::<DpkgVersion>().unwrap() < "1.0".parse().unwrap());
//! assert!("3.0.7-27.el9".parse::<RpmVersion>().unwrap() < "1:3.0.1-1.el9".parse().unwrap());
//! assert!("1.2.5_rc1-r0".parse::<ApkVersion>().unwrap() < "1.2.5-r0".parse().unwrap());
//! ```

mod apk;
mod dpkg;
mod rpm;

pub use apk::ApkVersion;
pub use dpkg::DpkgVersion;
pub use rpm::{rpmvercmp, RpmVersion};

/// Why a string is not a version of a scheme. Matching reports such packages as "not
/// matched: unparsable version" rather than treating them as safe.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{scheme} version {version:?}: {reason}")]
pub struct VersionError {
    pub scheme: &'static str,
    pub version: String,
    pub reason: &'static str,
}
