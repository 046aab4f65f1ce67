//! The file digests hull reads from package databases (for `--skip-verified-os-files`),
//! checked against upstream: apk's against the file digests syft's apk cataloger tests
//! expect for the same fixtures (`Files[].Digest`, `'Q1'+base64(sha1)`); rpm's against what
//! librpm itself decodes from the same fixtures: Debian's `rpm` with
//! `--qf '[%{FILENAMES}\t%{FILEDIGESTS}\t%{FILEFLAGS}\n]'`. Files with an empty digest
//! (directories, symlinks) and `%config`/`%ghost` files are left out on both sides, as hull
//! does on purpose. The NDB fixture is not compared: Debian's rpm has no NDB backend.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use base64::Engine as _;
use hull_analyzer::pkgdb::checksums::ChecksumDb;

fn librpm_files(fixture: &str, db_name: &str) -> BTreeSet<(String, String)> {
    let dir = tempfile::tempdir().unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/rpm")
        .join(fixture);
    std::fs::copy(&src, dir.path().join(db_name)).unwrap();
    let out = Command::new("rpm")
        .arg("--dbpath")
        .arg(dir.path())
        .args([
            "-qa",
            "--qf",
            "[%{FILENAMES}\t%{FILEDIGESTS}\t%{FILEFLAGS}\n]",
        ])
        .output()
        .expect("the rpm command (apt-get install rpm; scripts/setup.sh installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| {
            let mut f = l.split('\t');
            let (path, digest, flags) = (f.next()?, f.next()?, f.next()?.parse::<u32>().ok()?);
            (!digest.is_empty() && flags & (1 | 64) == 0)
                .then(|| (path.to_string(), digest.to_string()))
        })
        .collect()
}

fn hull_files(fixture: &str, db_path: &str) -> BTreeSet<(String, String)> {
    let bytes = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/rpm")
            .join(fixture),
    )
    .unwrap();
    let db = ChecksumDb::at(db_path).unwrap();
    db.read(db_path, &bytes)
        .unwrap()
        .into_iter()
        .flat_map(|p| p.files)
        .map(|(path, d)| (path, hex::encode(d.bytes())))
        .collect()
}

#[test]
fn sqlite_file_digests_match_librpm() {
    let theirs = librpm_files("go-rpmdb-cbl-mariner-2.0_rpmdb.sqlite", "rpmdb.sqlite");
    let ours = hull_files(
        "go-rpmdb-cbl-mariner-2.0_rpmdb.sqlite",
        "/var/lib/rpm/rpmdb.sqlite",
    );
    assert!(theirs.len() > 1000, "{}", theirs.len());
    assert_eq!(ours, theirs);
}

#[test]
fn berkeley_db_file_digests_match_librpm() {
    for fixture in [
        "go-rpmdb-libuuid_Packages",
        "syft-Packages",
        "scalibr-Packages_epoch",
    ] {
        let theirs = librpm_files(fixture, "Packages");
        let ours = hull_files(fixture, "/var/lib/rpm/Packages");
        assert_eq!(ours, theirs, "{fixture}");
    }
}

/// The `Files` entries syft's apk cataloger tests expect for `fixture`.
fn syft_apk_files(dir: &Path, fixture: &str) -> Vec<serde_json::Value> {
    let expected: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.join(format!("{fixture}.expected.json"))).unwrap(),
    )
    .unwrap();
    expected["cases"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["packages"].as_array().unwrap().iter())
        .flat_map(|p| {
            p["upstream.Metadata"]["Files"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .collect()
}

#[test]
fn apk_file_digests_match_syft() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/apk");
    let mut compared = 0;
    for fixture in ["syft-single", "syft-base", "syft-empty-deps-and-provides"] {
        let theirs: BTreeSet<(String, String)> = syft_apk_files(&dir, fixture)
            .into_iter()
            .filter_map(|f| {
                let d = f["Digest"]["Value"].as_str()?;
                Some((f["Path"].as_str()?.to_string(), d.to_string()))
            })
            .collect();
        let bytes = std::fs::read(dir.join(fixture)).unwrap();
        let ours: BTreeSet<(String, String)> = ChecksumDb::ApkInstalled
            .read("/lib/apk/db/installed", &bytes)
            .unwrap()
            .into_iter()
            .flat_map(|p| p.files)
            .map(|(path, d)| {
                let b64 = base64::engine::general_purpose::STANDARD.encode(d.bytes());
                (path, format!("Q1{b64}"))
            })
            .collect();
        assert_eq!(ours, theirs, "{fixture}");
        compared += ours.len();
    }
    assert!(compared >= 30, "{compared}");
}

/// The file lists apk records (`F:` directory, `R:` file), which decide which language
/// packages an apk owns: every file syft's tests list with a digest is in hull's list, and
/// every path in hull's list is one syft lists.
#[test]
fn apk_file_lists_match_syft() {
    use hull_analyzer::pkgdb::apk;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/apk");
    let mut compared = 0;
    for fixture in ["syft-single", "syft-base", "syft-empty-deps-and-provides"] {
        let files = syft_apk_files(&dir, fixture);
        let all: BTreeSet<&str> = files.iter().filter_map(|f| f["Path"].as_str()).collect();
        let with_digest: BTreeSet<&str> = files
            .iter()
            .filter(|f| f.get("Digest").is_some())
            .filter_map(|f| f["Path"].as_str())
            .collect();
        let bytes = std::fs::read(dir.join(fixture)).unwrap();
        let ours: BTreeSet<String> = apk::parse(&bytes)
            .unwrap()
            .into_iter()
            .flat_map(|r| r.files)
            .collect();
        let ours: BTreeSet<&str> = ours.iter().map(String::as_str).collect();
        assert!(
            with_digest.is_subset(&ours),
            "{fixture}: {:?}",
            with_digest.difference(&ours)
        );
        assert!(
            ours.is_subset(&all),
            "{fixture}: {:?}",
            ours.difference(&all)
        );
        compared += ours.len();
    }
    assert!(compared >= 30, "{compared}");
}
