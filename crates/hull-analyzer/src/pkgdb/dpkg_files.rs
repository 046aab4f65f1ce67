//! dpkg's per-package file lists, `/var/lib/dpkg/info/<package>[:<arch>].list`: which
//! language-package metadata files and Java archives a `.deb` installed. A Python
//! distribution, npm module or jar shipped by a Debian package (`python3-requests`,
//! `libguava-java`) is the OS package's, and is reported as that, not a second time as a
//! language package.

use hull_types::PackageKind;

use crate::{AnalyzeError, Analyzer, AnalyzerId, FileInput, Output, OwnedFiles};

/// dpkg's `info/*.list` file lists: which language packages a `.deb` installed.
pub struct DpkgFiles;

const DIR: &str = "/var/lib/dpkg/info/";

impl Analyzer for DpkgFiles {
    fn id(&self) -> AnalyzerId {
        AnalyzerId("dpkg-files")
    }
    fn version(&self) -> u32 {
        3
    }
    fn wants(&self, path: &str) -> bool {
        path.starts_with(DIR) && path.ends_with(".list") && !path[DIR.len()..].contains('/')
    }
    fn max_size(&self) -> u64 {
        32 << 20
    }
    fn analyze(&self, file: &FileInput<'_>) -> Result<Output, AnalyzeError> {
        let name = &file.path[DIR.len()..file.path.len() - ".list".len()];
        let owner = name.split(':').next().unwrap_or(name);
        let text = String::from_utf8_lossy(file.bytes);
        Ok(Output {
            owned: OwnedFiles::of(PackageKind::Deb, owner, text.lines())
                .into_iter()
                .collect(),
            ..Output::default()
        })
    }
}
