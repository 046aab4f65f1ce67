//! The OS file checksum readers behind `--skip-verified-os-files`: dpkg md5sums, apk's
//! `installed`, and the rpm header's file list and digests. Any bytes give Ok or Err, and
//! every file that comes out has an absolute path.
#![no_main]
use hull_analyzer::pkgdb::checksums::ChecksumDb;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = hull_analyzer::pkgdb::rpm::header::parse_files(data);
    for path in [
        "/var/lib/dpkg/info/pkg:amd64.md5sums",
        "/lib/apk/db/installed",
    ] {
        let db = ChecksumDb::at(path).expect("a checksum database path");
        if let Ok(packages) = db.read(path, data) {
            for p in packages {
                for (file, _) in p.files {
                    assert!(file.starts_with('/'));
                }
            }
        }
    }
});
