//! End-to-end tests of `hull` on crafted images: layering, whiteouts, hostile input, the
//! layer cache and exit codes.

mod common;

use common::*;

fn base_layers() -> Vec<Vec<u8>> {
    vec![
        layer(&[
            E::Dir("etc"),
            E::File("etc/os-release", OS_RELEASE),
            E::File(
                "var/lib/dpkg/status",
                &status(&[("libc6", "2.36-9+deb12u4"), ("bash", "5.2.15-2+b2")]),
            ),
        ]),
        layer(&[E::File(
            "var/lib/dpkg/status",
            &status(&[
                ("libc6", "2.36-9+deb12u4"),
                ("bash", "5.2.15-2+b2"),
                ("curl", "7.88.1-10+deb12u5"),
            ]),
        )]),
    ]
}

#[test]
fn docker_archive_inventory_and_layer_attribution() {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("img.tar");
    let layers = base_layers();
    docker_archive(&img, &layers, None);
    let v = scan_json(&["scan", "--no-cache", "-f", "json", img.to_str().unwrap()]);
    assert_eq!(
        names(&v),
        vec![
            ("bash".into(), "5.2.15-2+b2".into()),
            ("curl".into(), "7.88.1-10+deb12u5".into()),
            ("libc6".into(), "2.36-9+deb12u4".into())
        ]
    );
    let (l1, l2) = (
        format!("sha256:{}", sha(&layers[0])),
        format!("sha256:{}", sha(&layers[1])),
    );
    for p in v["packages"].as_array().unwrap() {
        // curl was added by layer 2; the others were already in layer 1's database.
        let want = if p["name"] == "curl" { &l2 } else { &l1 };
        assert_eq!(p["location"]["layer"], want.as_str(), "{}", p["name"]);
        assert_eq!(p["location"]["path"], "/var/lib/dpkg/status");
    }
    assert_eq!(v["image"]["os"]["id"], "debian");
    assert_eq!(v["image"]["source"], "docker-archive");
    assert_eq!(v["image"]["user"], "app");
    assert_eq!(v["image"]["exposed_ports"][0], "8080/tcp");
    assert_eq!(v["image"]["layers"][1]["created_by"], "RUN step 2");
    assert_eq!(
        v["packages"][2]["purl"],
        "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12"
    );
    assert_eq!(v["schemaVersion"], 1);
}

#[test]
fn whiteouts_and_opaque_directories_apply() {
    let dir = tempfile::tempdir().unwrap();
    let mut layers = base_layers();
    layers.push(layer(&[
        E::File("var/lib/dpkg/.wh.status", b""),
        E::File(
            "lib/apk/db/installed",
            b"P:musl\nV:1.2.4-r2\nA:x86_64\no:musl\n\n",
        ),
    ]));
    layers.push(layer(&[
        E::File("lib/apk/db/.wh..wh..opq", b""),
        E::File("etc/.wh.os-release", b""),
    ]));
    let img = dir.path().join("img.tar");
    docker_archive(&img, &layers, None);
    let v = scan_json(&["scan", "--no-cache", "-f", "json", img.to_str().unwrap()]);
    assert!(v["packages"].as_array().unwrap().is_empty(), "{v}");
    assert!(v["image"]["os"].is_null());
}

#[test]
fn digest_mismatch_is_exit_3_naming_the_layer() {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("img.tar");
    let layers = base_layers();
    let mut claimed: Vec<String> = layers
        .iter()
        .map(|l| format!("sha256:{}", sha(l)))
        .collect();
    claimed[1] = format!("sha256:{}", sha(b"something else"));
    docker_archive(&img, &layers, Some(claimed.clone()));
    let o = run(&["scan", "--no-cache", "-f", "json", img.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("digest mismatch") && err.contains(&claimed[1]),
        "{err}"
    );
    assert!(err.contains("layer1/layer.tar"), "{err}");
}

#[test]
fn truncated_gzip_layer_is_exit_3() {
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("oci");
    std::fs::create_dir_all(&layout).unwrap();
    let big = vec![b'x'; 200_000];
    let m = oci_manifest(
        &layout,
        &[layer(&[
            E::File("etc/os-release", OS_RELEASE),
            E::File("data", &big),
        ])],
        "amd64",
    );
    oci_layout(&layout, vec![m]);
    // Truncate the layer blob in place: now its digest is wrong *and* the gzip stream ends early.
    let blobs = layout.join("blobs/sha256");
    let biggest = std::fs::read_dir(&blobs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .max_by_key(|p| p.metadata().unwrap().len())
        .unwrap();
    let bytes = std::fs::read(&biggest).unwrap();
    std::fs::write(&biggest, &bytes[..bytes.len() / 2]).unwrap();
    let o = run(&["scan", "--no-cache", "-f", "json", layout.to_str().unwrap()]);
    assert_eq!(
        o.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("layer sha256:"), "{err}");
}

#[test]
fn hostile_paths_stay_inside_the_image() {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("img.tar");
    let layers = vec![layer(&[
        E::File("/etc/os-release", OS_RELEASE),
        E::File(
            "../../../var/lib/dpkg/status",
            &status(&[("escaped", "1.0")]),
        ),
        // A symlink out of the root where the apk database would be, and a loop.
        E::Symlink("lib/apk/db/installed", "/../../../../etc/shadow"),
        E::Symlink("loop/a", "b"),
        E::Symlink("loop/b", "a"),
    ])];
    docker_archive(&img, &layers, None);
    let v = scan_json(&["scan", "--no-cache", "-f", "json", img.to_str().unwrap()]);
    assert_eq!(names(&v), vec![("escaped".into(), "1.0".into())]);
    assert_eq!(v["packages"][0]["location"]["path"], "/var/lib/dpkg/status");
    let w = v["warnings"].to_string();
    assert!(w.contains("outside the image root"), "{w}");
    assert_eq!(v["image"]["os"]["id"], "debian");
}

#[test]
fn symlink_hides_lower_database_and_is_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("img.tar");
    let mut layers = base_layers();
    layers.push(layer(&[E::Symlink("var/lib/dpkg/status", "/etc/passwd")]));
    docker_archive(&img, &layers, None);
    let v = scan_json(&["scan", "--no-cache", "-f", "json", img.to_str().unwrap()]);
    assert!(v["packages"].as_array().unwrap().is_empty());
}

#[test]
fn cache_is_used_and_cannot_be_poisoned() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let clean = dir.path().join("clean.tar");
    let layers = base_layers();
    docker_archive(&clean, &layers, None);
    let args = |img: &str| -> Vec<String> {
        [
            "scan",
            "-f",
            "json",
            "--cache-dir",
            cache.to_str().unwrap(),
            img,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let cold = json_of(&hull().args(args(clean.to_str().unwrap())).output().unwrap());
    let warm = json_of(&hull().args(args(clean.to_str().unwrap())).output().unwrap());
    assert_eq!(cold["image"]["layers"][0]["cached"], false);
    assert_eq!(warm["image"]["layers"][0]["cached"], true);
    assert_eq!(warm["image"]["layers"][1]["cached"], true);
    assert_eq!(cold["packages"], warm["packages"]);

    // Same claimed diff_ids as the clean image, other bytes in layer 2.
    let evil = dir.path().join("evil.tar");
    let mut bad = layers.clone();
    bad[1] = layer(&[E::File(
        "var/lib/dpkg/status",
        &status(&[("backdoor", "6.6.6")]),
    )]);
    let claimed: Vec<String> = layers
        .iter()
        .map(|l| format!("sha256:{}", sha(l)))
        .collect();
    docker_archive(&evil, &bad, Some(claimed));
    let o = hull().args(args(evil.to_str().unwrap())).output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(3),
        "a poisoned image must not be served cached results"
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("digest mismatch"));

    // Rewriting the clean archive in place (new ctime) must not reuse its stamp either.
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::copy(&evil, &clean).unwrap();
    let o = hull().args(args(clean.to_str().unwrap())).output().unwrap();
    assert_eq!(o.status.code(), Some(3));
}

#[test]
fn corrupt_cache_entries_are_misses() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let img = dir.path().join("img.tar");
    docker_archive(&img, &base_layers(), None);
    let a = [
        "scan",
        "-f",
        "json",
        "--cache-dir",
        cache.to_str().unwrap(),
        img.to_str().unwrap(),
    ];
    let first = json_of(&run(&a));
    for sub in ["v1/layers", "v1/verified"] {
        for e in std::fs::read_dir(cache.join(sub)).unwrap() {
            std::fs::write(e.unwrap().path(), b"{not json").unwrap();
        }
    }
    let second = json_of(&run(&a));
    assert_eq!(first["packages"], second["packages"]);
    assert_eq!(second["image"]["layers"][0]["cached"], false);
}

#[test]
fn parallel_processes_share_one_cache() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let img = dir.path().join("img.tar");
    docker_archive(&img, &base_layers(), None);
    let children: Vec<_> = (0..8)
        .map(|_| {
            hull()
                .args([
                    "scan",
                    "-f",
                    "json",
                    "--cache-dir",
                    cache.to_str().unwrap(),
                    img.to_str().unwrap(),
                ])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outs: Vec<_> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    let first = json_of(&outs[0]);
    for o in &outs {
        assert_eq!(json_of(o)["packages"], first["packages"]);
    }
    // And the cache they left behind is whole.
    let warm = scan_json(&[
        "scan",
        "-f",
        "json",
        "--cache-dir",
        cache.to_str().unwrap(),
        img.to_str().unwrap(),
    ]);
    assert_eq!(warm["image"]["layers"][1]["cached"], true);
    assert_eq!(warm["packages"], first["packages"]);
}

#[test]
fn multi_platform_index_picks_platform() {
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("oci");
    std::fs::create_dir_all(&layout).unwrap();
    let amd = oci_manifest(
        &layout,
        &[layer(&[E::File(
            "var/lib/dpkg/status",
            &status(&[("amd-only", "1")]),
        )])],
        "amd64",
    );
    let arm = oci_manifest(
        &layout,
        &[layer(&[E::File(
            "var/lib/dpkg/status",
            &status(&[("arm-only", "1")]),
        )])],
        "arm64",
    );
    oci_layout(&layout, vec![amd, arm]);
    let p = layout.to_str().unwrap();
    let v = scan_json(&[
        "scan",
        "--no-cache",
        "-f",
        "json",
        "--platform",
        "linux/amd64",
        p,
    ]);
    assert_eq!(names(&v), vec![("amd-only".into(), "1".into())]);
    let v = scan_json(&[
        "scan",
        "--no-cache",
        "-f",
        "json",
        "--platform",
        "linux/arm64",
        p,
    ]);
    assert_eq!(names(&v), vec![("arm-only".into(), "1".into())]);
    assert_eq!(v["image"]["architecture"], "arm64");
    let o = run(&[
        "scan",
        "--no-cache",
        "-f",
        "json",
        "--platform",
        "linux/s390x",
        p,
    ]);
    assert_eq!(o.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&o.stderr).contains("linux/amd64, linux/arm64"));
}

#[test]
fn usage_errors_are_exit_2() {
    assert_eq!(
        run(&["scan", "-f", "yaml", "alpine"]).status.code(),
        Some(2)
    );
    assert_eq!(
        run(&["scan", "--kind", "floppy", "x"]).status.code(),
        Some(2)
    );
    assert_eq!(run(&["scan", "./does/not/exist"]).status.code(), Some(2));
    assert_eq!(run(&["frobnicate"]).status.code(), Some(2));
}

#[test]
fn unreadable_input_is_exit_3() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("not-an-image.tar");
    std::fs::write(&f, b"hello, not a tar").unwrap();
    let o = run(&["scan", "--no-cache", f.to_str().unwrap()]);
    assert_eq!(
        o.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn rootfs_directory() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::create_dir_all(root.join("var/lib/dpkg")).unwrap();
    std::fs::write(root.join("etc/os-release"), OS_RELEASE).unwrap();
    std::fs::write(
        root.join("var/lib/dpkg/status"),
        status(&[("zlib1g", "1:1.2.13.dfsg-1")]),
    )
    .unwrap();
    // A symlink pointing out of the directory is not followed.
    std::fs::create_dir_all(root.join("lib/apk/db")).unwrap();
    std::os::unix::fs::symlink("/etc/hostname", root.join("lib/apk/db/installed")).unwrap();
    let v = scan_json(&["scan", "--no-cache", "-f", "json", root.to_str().unwrap()]);
    assert_eq!(names(&v), vec![("zlib1g".into(), "1:1.2.13.dfsg-1".into())]);
    assert_eq!(v["image"]["source"], "rootfs");
    assert!(v["packages"][0]["location"].get("layer").is_none());
}

#[test]
fn reports_are_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("img.tar");
    docker_archive(&img, &base_layers(), None);
    for f in ["json", "cyclonedx", "spdx", "table"] {
        let a = run(&["sbom", "--no-cache", "-f", f, img.to_str().unwrap()]);
        let b = run(&["sbom", "--no-cache", "-f", f, img.to_str().unwrap()]);
        assert!(a.status.success());
        assert_eq!(a.stdout, b.stdout, "{f}");
    }
}

/// Docker 25+ `docker save` writes an OCI layout inside the tar *and* a `manifest.json` whose
/// layers are `blobs/sha256/<hex>` members (gzip here, as `containerd` stores them).
#[test]
fn docker25_oci_in_tar_archive() {
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("oci");
    std::fs::create_dir_all(&layout).unwrap();
    let layers = base_layers();
    let desc = oci_manifest(&layout, &layers, "amd64");
    oci_layout(&layout, vec![desc.clone()]);
    let mbytes = std::fs::read(
        layout
            .join("blobs/sha256")
            .join(&desc["digest"].as_str().unwrap()[7..]),
    )
    .unwrap();
    let m: serde_json::Value = serde_json::from_slice(&mbytes).unwrap();
    let blob =
        |d: &serde_json::Value| format!("blobs/sha256/{}", &d["digest"].as_str().unwrap()[7..]);
    let manifest_json = serde_json::json!([{
        "Config": blob(&m["config"]),
        "RepoTags": ["crafted:25"],
        "Layers": m["layers"].as_array().unwrap().iter().map(blob).collect::<Vec<_>>(),
    }]);
    std::fs::write(
        layout.join("manifest.json"),
        serde_json::to_vec(&manifest_json).unwrap(),
    )
    .unwrap();
    let img = dir.path().join("docker25.tar");
    let f = std::fs::File::create(&img).unwrap();
    let mut b = tar::Builder::new(f);
    b.append_dir_all(".", &layout).unwrap();
    b.finish().unwrap();
    let v = scan_json(&["scan", "--no-cache", "-f", "json", img.to_str().unwrap()]);
    assert_eq!(v["image"]["source"], "docker-archive");
    assert_eq!(v["image"]["repo_tags"][0], "crafted:25");
    assert_eq!(names(&v).len(), 3);
    // The same tar read as an OCI archive gives the same packages.
    let o = scan_json(&[
        "scan",
        "--no-cache",
        "-f",
        "json",
        "--kind",
        "oci-archive",
        img.to_str().unwrap(),
    ]);
    assert_eq!(o["packages"], v["packages"]);
    assert_eq!(o["image"]["source"], "oci-archive");
}

#[test]
fn distroless_status_d() {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("img.tar");
    let one = |n: &str, v: &str| {
        format!("Package: {n}\nVersion: {v}\nArchitecture: amd64\nSource: {n}-src\n").into_bytes()
    };
    let (a, b) = (
        one("base-files", "12.4+deb12u5"),
        one("tzdata", "2024a-0+deb12u1"),
    );
    docker_archive(
        &img,
        &[layer(&[
            E::File("etc/os-release", b"PRETTY_NAME=\"Distroless\"\nNAME=\"Debian GNU/Linux\"\nID=\"debian\"\nVERSION_ID=\"12\"\n"),
            E::File("var/lib/dpkg/status.d/base-files", &a),
            E::File("var/lib/dpkg/status.d/base-files.md5sums", b"d41d8cd98f00b204e9800998ecf8427e  etc/x\n"),
            E::File("var/lib/dpkg/status.d/tzdata", &b),
        ])],
        None,
    );
    let v = scan_json(&["scan", "--no-cache", "-f", "json", img.to_str().unwrap()]);
    assert_eq!(
        names(&v),
        vec![
            ("base-files".into(), "12.4+deb12u5".into()),
            ("tzdata".into(), "2024a-0+deb12u1".into())
        ]
    );
    assert_eq!(v["image"]["os"]["distroless"], true);
    assert_eq!(
        v["packages"][1]["location"]["path"],
        "/var/lib/dpkg/status.d/tzdata"
    );
    assert_eq!(v["packages"][1]["source"]["name"], "tzdata-src");
}

/// rpm databases inside images: the upstream fixtures (SQLite, Berkeley DB, NDB) placed where
/// each distribution keeps them; the package counts are the fixtures' own (gpg-pubkey
/// entries, which are keys and not software, excluded).
#[test]
fn rpm_databases_in_images() {
    let fx = repo_root().join("crates/hull-analyzer/tests/fixtures/rpm");
    let cases = [
        (
            "var/lib/rpm/rpmdb.sqlite",
            "go-rpmdb-cbl-mariner-2.0_rpmdb.sqlite",
            "ID=mariner\nVERSION_ID=\"2.0\"\n",
            "curl",
            "7.76.0-6.cm2",
        ),
        (
            "usr/lib/sysimage/rpm/Packages.db",
            "go-rpmdb-sle15-bci_Packages.db",
            "ID=\"sles\"\nVERSION_ID=\"15.3\"\n",
            "bash",
            "4.4-19.6.1",
        ),
        (
            "var/lib/rpm/Packages",
            "go-rpmdb-libuuid_Packages",
            "ID=\"centos\"\nVERSION_ID=\"8\"\n",
            "libuuid",
            "2.32.1-42.el8_8",
        ),
    ];
    for (path, file, osr, name, version) in cases {
        let dir = tempfile::tempdir().unwrap();
        let img = dir.path().join("img.tar");
        let db = std::fs::read(fx.join(file)).unwrap();
        docker_archive(
            &img,
            &[layer(&[
                E::File("etc/os-release", osr.as_bytes()),
                E::File(path, &db),
            ])],
            None,
        );
        let v = scan_json(&["scan", "--no-cache", "-f", "json", img.to_str().unwrap()]);
        let p = v["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{file}: no {name}"));
        assert_eq!(p["version"], version, "{file}");
        assert_eq!(p["kind"], "rpm");
        assert!(
            p["purl"].as_str().unwrap().starts_with("pkg:rpm/"),
            "{}",
            p["purl"]
        );
        assert!(
            v["warnings"].as_array().unwrap().is_empty(),
            "{file}: {}",
            v["warnings"]
        );
    }
}

#[test]
fn corrupted_rpm_database_is_a_warning_naming_layer_and_path() {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("img.tar");
    let fx =
        repo_root().join("crates/hull-analyzer/tests/fixtures/rpm/go-rpmdb-sle15-bci_Packages.db");
    let mut db = std::fs::read(fx).unwrap();
    // Corrupt the first slot's magic.
    db[32..36].copy_from_slice(b"XXXX");
    let l = layer(&[
        E::File("usr/lib/sysimage/rpm/Packages.db", &db),
        E::File("var/lib/dpkg/status", &status(&[("ok", "1")])),
    ]);
    let diff = format!("sha256:{}", sha(&l));
    docker_archive(&img, &[l], None);
    let v = scan_json(&["scan", "--no-cache", "-f", "json", img.to_str().unwrap()]);
    assert_eq!(names(&v), vec![("ok".into(), "1".into())]);
    let w = &v["warnings"][0];
    assert_eq!(w["path"], "/usr/lib/sysimage/rpm/Packages.db");
    assert_eq!(w["layer"], diff.as_str());
    assert!(w["message"].as_str().unwrap().contains("rpm-ndb"), "{w}");
}

#[test]
fn oci_layout_blob_symlinks_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("oci");
    std::fs::create_dir_all(&layout).unwrap();
    let m = oci_manifest(
        &layout,
        &[layer(&[E::File("etc/os-release", OS_RELEASE)])],
        "amd64",
    );
    oci_layout(&layout, vec![m]);
    // Replace the layer blob (the largest file) with a symlink to an endless device.
    let blobs = layout.join("blobs/sha256");
    let biggest = std::fs::read_dir(&blobs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .max_by_key(|p| p.metadata().unwrap().len())
        .unwrap();
    std::fs::remove_file(&biggest).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &biggest).unwrap();
    let o = run(&["scan", "--no-cache", "-f", "json", layout.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("not a regular file"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// A Python distribution that a `.deb` installed is the OS package's: it is left out of the
/// language packages, and the report says by which rule; one pip installed stays.
#[test]
fn language_packages_owned_by_os_packages_are_not_reported_twice() {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("img.tar");
    let l = layer(&[
        E::File("etc/os-release", OS_RELEASE),
        E::File("var/lib/dpkg/status", &status(&[("python3-six", "1.16.0-4")])),
        E::File(
            "var/lib/dpkg/info/python3-six.list",
            b"/.\n/usr\n/usr/lib/python3/dist-packages/six-1.16.0.egg-info\n/usr/lib/python3/dist-packages/six.py\n",
        ),
        E::File(
            "usr/lib/python3/dist-packages/six-1.16.0.egg-info",
            b"Metadata-Version: 2.1\nName: six\nVersion: 1.16.0\n",
        ),
        E::File(
            "usr/local/lib/python3.11/dist-packages/requests-2.31.0.dist-info/METADATA",
            b"Metadata-Version: 2.1\nName: requests\nVersion: 2.31.0\nLicense: Apache 2.0\n",
        ),
    ]);
    docker_archive(&img, &[l], None);
    let v = scan_json(&["sbom", "--no-cache", "-f", "json", img.to_str().unwrap()]);
    assert_schema_valid("hull", "report-v1.schema.json", &v);
    let got: Vec<(String, String)> = v["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["kind"].as_str().unwrap().into(),
                p["name"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("deb".to_string(), "python3-six".to_string()),
            ("python".into(), "requests".into())
        ]
    );
    assert_eq!(v["os_owned"][0]["name"], "six");
    assert_eq!(
        v["os_owned"][0]["reason"],
        "owned by deb python3-six (dpkg file list)"
    );
    assert_eq!(v["packages"][1]["purl"], "pkg:pypi/requests@2.31.0");
    assert_eq!(v["packages"][1]["licenses"][0], "Apache 2.0");
}

/// A Go binary that a later layer replaces with a symlink is gone from the image: its
/// modules are not reported (the symlink is a tombstone, and is not followed).
#[test]
fn symlink_over_a_go_binary_hides_its_modules() {
    let gz = std::fs::read(
        repo_root().join("crates/hull-analyzer/tests/fixtures/go-binary/trivy-test.elf.gz"),
    )
    .unwrap();
    let mut bin = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut bin).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let scan = |layers: &[Vec<u8>]| {
        let img = dir.path().join("img.tar");
        docker_archive(&img, layers, None);
        scan_json(&["sbom", "--no-cache", "-f", "json", img.to_str().unwrap()])
    };
    let l1 = layer(&[E::Mode("usr/local/bin/app", &bin, 0o755)]);
    let with = scan(std::slice::from_ref(&l1));
    assert!(
        names(&with).iter().any(|(n, _)| n == "stdlib"),
        "{:?}",
        names(&with)
    );
    let l2 = layer(&[E::Symlink("usr/local/bin/app", "/bin/true")]);
    let without = scan(&[l1, l2]);
    assert!(names(&without).is_empty(), "{:?}", names(&without));
}
