//! Language packages an rpm or apk installed belong to it, as those a `.deb` installed do
//! (debian_jars.rs, language_image.rs): reported as the OS package only, with the rule.
//!
//! The rpm case is real: `rpmbuild` builds a package holding a Python distribution and an
//! npm module, Debian's `rpm` installs it into a root (its own SQLite database), and
//! `rpm -qf` is the reference for who owns each file. The apk case uses a database in the
//! format apk-tools writes (`F:` directory, `R:` file, `Z:` checksum), since no apk tool is
//! packaged for Debian; the file-list reading itself is checked against syft's fixtures
//! (hull-analyzer's os_file_digests.rs).

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use common::*;

const METADATA: &str = "usr/lib/python3.11/site-packages/six-1.16.0.dist-info/METADATA";
const PACKAGE_JSON: &str = "usr/lib/node_modules/semver/package.json";

fn language_packages(v: &serde_json::Value) -> Vec<String> {
    v["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| !matches!(p["kind"].as_str(), Some("rpm" | "apk" | "deb")))
        .map(|p| p.to_string())
        .collect()
}

/// Every regular file under `root`, as (path inside the image, bytes).
fn files_of(root: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            let t = std::fs::symlink_metadata(&p).unwrap().file_type();
            if t.is_dir() {
                walk(root, &p, out);
            } else if t.is_file() {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}

fn scan(dir: &Path, files: &[(String, Vec<u8>)]) -> serde_json::Value {
    let entries: Vec<E> = files.iter().map(|(p, b)| E::File(p, b)).collect();
    let img = dir.join("image.tar");
    docker_archive(&img, &[layer(&entries)], None);
    scan_json(&["sbom", "--no-cache", "-f", "json", img.to_str().unwrap()])
}

#[test]
fn rpm_installed_language_packages_are_the_rpms() {
    let Some(_) = test_images(&["rpmbuild", "rpm"]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let spec = format!(
        "Name: python3-six\nVersion: 1.16.0\nRelease: 1\nSummary: six\nLicense: MIT\n\
         BuildArch: noarch\n%description\nsix\n%install\n\
         mkdir -p %{{buildroot}}/$(dirname {METADATA}) %{{buildroot}}/$(dirname {PACKAGE_JSON})\n\
         printf 'Metadata-Version: 2.1\\nName: six\\nVersion: 1.16.0\\n' > %{{buildroot}}/{METADATA}\n\
         printf '{{\"name\": \"semver\", \"version\": \"7.5.4\"}}\\n' > %{{buildroot}}/{PACKAGE_JSON}\n\
         %files\n/{METADATA}\n/{PACKAGE_JSON}\n"
    );
    std::fs::write(d.join("six.spec"), spec).unwrap();
    let built = Command::new("rpmbuild")
        .args(["-bb", "--quiet", "--define"])
        .arg(format!("_topdir {}", d.join("top").display()))
        .arg(d.join("six.spec"))
        .output()
        .unwrap();
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let rpm_file = d.join("top/RPMS/noarch/python3-six-1.16.0-1.noarch.rpm");
    let root = d.join("root");
    std::fs::create_dir_all(root.join("etc")).unwrap();
    let rpm = |args: &[&str]| {
        let o = Command::new("rpm")
            .arg("--root")
            .arg(&root)
            .args(["--dbpath", "/var/lib/rpm"])
            .args(args)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8(o.stdout).unwrap()
    };
    rpm(&["--initdb"]);
    rpm(&["--nodeps", "--noscripts", "-i", rpm_file.to_str().unwrap()]);
    std::fs::write(
        root.join("etc/os-release"),
        "NAME=\"Rocky Linux\"\nID=\"rocky\"\nVERSION_ID=\"9.4\"\n",
    )
    .unwrap();

    let v = scan(d, &files_of(&root));
    assert!(
        v["packages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["kind"] == "rpm" && p["name"] == "python3-six"),
        "{v}"
    );
    assert_eq!(language_packages(&v), Vec::<String>::new());
    let owned = os_owned(&v);
    for f in [METADATA, PACKAGE_JSON] {
        // rpm's own answer: `rpm -qf --qf '%{NAME}'`.
        let owner = rpm(&["-qf", "--qf", "%{NAME}", &format!("/{f}")]);
        assert_eq!(
            owned.get(&format!("/{f}")).map(String::as_str),
            Some(format!("owned by rpm {owner} (rpm database)").as_str()),
            "{owned:?}"
        );
    }
}

#[test]
fn apk_installed_language_packages_are_the_apks() {
    let dir = tempfile::tempdir().unwrap();
    let installed = "C:Q1abc=\nP:py3-six\nV:1.16.0-r9\nA:noarch\no:py3-six\nL:MIT\n\
                     F:usr\nF:usr/lib\nF:usr/lib/python3.12\nF:usr/lib/python3.12/site-packages\n\
                     R:six.py\nZ:Q1oIi8iOJ53ZsS/1DZwRmxvgtUPGQ=\n\
                     F:usr/lib/python3.12/site-packages/six-1.16.0.dist-info\n\
                     R:METADATA\nZ:Q1zbJ8Jz0Ff8ZhsFz4K0Tz0vCXRj0=\n\n";
    let files = vec![
        (
            "etc/os-release".to_string(),
            b"NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.20.3\n".to_vec(),
        ),
        (
            "lib/apk/db/installed".to_string(),
            installed.as_bytes().to_vec(),
        ),
        (
            "usr/lib/python3.12/site-packages/six-1.16.0.dist-info/METADATA".to_string(),
            b"Metadata-Version: 2.1\nName: six\nVersion: 1.16.0\n".to_vec(),
        ),
        // Installed by pip, not by apk: stays a Python package.
        (
            "usr/lib/python3.12/site-packages/idna-3.7.dist-info/METADATA".to_string(),
            b"Metadata-Version: 2.1\nName: idna\nVersion: 3.7\n".to_vec(),
        ),
    ];
    let v = scan(dir.path(), &files);
    assert_eq!(
        names(&v),
        vec![
            ("idna".to_string(), "3.7".to_string()),
            ("py3-six".to_string(), "1.16.0-r9".to_string())
        ]
    );
    assert_eq!(
        os_owned(&v),
        BTreeMap::from([(
            "/usr/lib/python3.12/site-packages/six-1.16.0.dist-info/METADATA".to_string(),
            "owned by apk py3-six (apk database)".to_string()
        )])
    );
}
