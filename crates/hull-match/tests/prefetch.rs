//! Lookups done ahead (while layers are read) must not change what matching finds: hints
//! arrive in any order, OS packages before the OS release, packages that a later layer
//! removes, and a language package; the result equals matching without a prefetch.

use std::path::Path;

use hull_advisory::Database;
use hull_types::{Location, OsFamily, OsRelease, Package, PackageKind, SourcePackage};

fn pkg(kind: PackageKind, name: &str, version: &str, source: Option<&str>) -> Package {
    Package {
        kind,
        name: name.into(),
        version: version.into(),
        arch: None,
        source: source.map(|s| SourcePackage {
            name: s.into(),
            version: version.into(),
        }),
        licenses: vec![],
        location: Location {
            path: "/var/lib/dpkg/status".into(),
            layer: None,
        },
        epoch: None,
        dev: false,
        direct: None,
        group_inferred: false,
    }
}

#[test]
fn prefetched_lookups_give_the_same_findings() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/osv");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.db");
    Database::import(&path, &[root.join("debian"), root.join("lang")], 1).unwrap();
    let db = Database::open(&path).unwrap();
    let os = OsRelease {
        family: OsFamily::Debian,
        id: "debian".into(),
        version_id: Some("12".into()),
        version_codename: None,
        pretty_name: None,
        distroless: false,
    };
    let packages = vec![
        pkg(
            PackageKind::Deb,
            "libssl3",
            "3.0.11-1~deb12u2",
            Some("openssl"),
        ),
        pkg(PackageKind::Deb, "libexpat1", "2.5.0-1", Some("expat")),
        pkg(PackageKind::Python, "requests", "2.19.0", None),
        pkg(PackageKind::Npm, "lodash", "4.17.15", None),
    ];
    let plain = hull_match::match_packages(&db, Some(&os), &packages).unwrap();
    assert!(plain.vulnerabilities.len() > 20);

    let p = hull_match::Prefetch::start(&db);
    // A layer with OS packages but no os-release yet, and one the final image drops.
    p.hint(
        None,
        &[
            packages[0].clone(),
            pkg(PackageKind::Deb, "gone", "1.0", Some("expat")),
        ],
    );
    // A language package needs no OS.
    p.hint(None, &packages[2..3]);
    // The layer with os-release.
    p.hint(Some(&os), &[]);
    // Nothing hinted for libexpat1 and lodash: matching looks them up itself.
    let ahead = hull_match::match_prefetched(&db, Some(&os), &packages, Some(p)).unwrap();
    assert_eq!(ahead, plain);
}
