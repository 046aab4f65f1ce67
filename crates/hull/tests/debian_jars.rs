//! Jars from Debian's Java packages, against two records that are not hull's:
//!
//! - Debian's own Maven repository, `/usr/share/maven-repo/<group>/<artifact>/<version>/`,
//!   where maven-repo-helper links each jar under the coordinates the package's POM gives:
//!   in an image without a package database, hull must name every jar with its version, and
//!   with its exact coordinates where the jar carries its own `pom.properties`;
//! - `dpkg-query -S`: in an image with the packages' dpkg records, every jar is the OS
//!   package's (attributed to the owner dpkg names) and none is reported as a Maven package.
//!
//! `scripts/setup.sh` installs the packages below; the test fails when they are missing
//! (unless `HULL_SKIP_IMAGE_TESTS` is set), so it cannot pass by not running.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::Path;
use std::process::Command;

use common::*;

/// Chosen for what their jars exercise: `pom.properties` written by Maven (guava, log4j,
/// jackson, snakeyaml, slf4j, commons-lang3, xstream), none at all (tomcat, built with Ant
/// and renamed by Debian; commons-collections3), and only a shaded dependency's (guice).
const PACKAGES: &[&str] = &[
    "libguava-java",
    "libguice-java",
    "libtomcat10-java",
    "liblog4j2-java",
    "libjackson2-databind-java",
    "libcommons-collections3-java",
    "libxstream-java",
    "libyaml-snake-java",
    "libcommons-lang3-java",
    "libslf4j-java",
];

fn dpkg_query(args: &[&str]) -> Option<String> {
    let o = Command::new("dpkg-query").args(args).output().ok()?;
    o.status
        .success()
        .then(|| String::from_utf8_lossy(&o.stdout).into_owned())
}

/// The packages' file lists, or `None` (after saying why) when the test is to be skipped.
fn installed() -> Option<BTreeMap<&'static str, Vec<String>>> {
    let lists: BTreeMap<_, _> = PACKAGES
        .iter()
        .filter_map(|p| {
            let status = dpkg_query(&["-W", "-f", "${Status}", p])?;
            status
                .contains("ok installed")
                .then(|| dpkg_query(&["-L", p]))
                .flatten()
                .map(|l| (*p, l.lines().map(str::to_string).collect::<Vec<_>>()))
        })
        .collect();
    if lists.len() == PACKAGES.len() {
        return Some(lists);
    }
    let missing: Vec<_> = PACKAGES
        .iter()
        .filter(|p| !lists.contains_key(*p))
        .collect();
    if std::env::var_os("HULL_SKIP_IMAGE_TESTS").is_some() {
        eprintln!("skipping: Debian packages missing: {missing:?} (HULL_SKIP_IMAGE_TESTS set)");
        return None;
    }
    panic!("install {missing:?} (scripts/setup.sh does), or set HULL_SKIP_IMAGE_TESTS=1");
}

/// Regular-file jars under `/usr/share/java` a package installed.
fn jars(files: &[String]) -> Vec<String> {
    files
        .iter()
        .filter(|f| f.starts_with("/usr/share/java/") && f.ends_with(".jar"))
        .filter(|f| {
            std::fs::symlink_metadata(f)
                .map(|m| m.file_type().is_file())
                .unwrap_or(false)
        })
        .cloned()
        .collect()
}

/// Debian's maven-repo links, resolved: jar path -> the (group:artifact, version) Debian
/// records for it. `debian` and `N.x` directories are aliases Debian adds, not versions.
fn maven_repo(files: &[String]) -> BTreeMap<String, BTreeSet<(String, String)>> {
    let mut truth: BTreeMap<String, BTreeSet<(String, String)>> = BTreeMap::new();
    for f in files {
        let Some(rel) = f.strip_prefix("/usr/share/maven-repo/") else {
            continue;
        };
        let parts: Vec<&str> = rel.split('/').collect();
        if parts.len() < 4 || !rel.ends_with(".jar") {
            continue;
        }
        let (file, version, artifact) = (
            parts[parts.len() - 1],
            parts[parts.len() - 2],
            parts[parts.len() - 3],
        );
        if version == "debian" || version.ends_with(".x") {
            continue;
        }
        if !file.starts_with(&format!("{artifact}-{version}")) {
            continue;
        }
        let group = parts[..parts.len() - 3].join(".");
        let Ok(real) = std::fs::canonicalize(f) else {
            continue;
        };
        truth
            .entry(real.to_string_lossy().into_owned())
            .or_default()
            .insert((format!("{group}:{artifact}"), version.to_string()));
    }
    truth
}

/// The artifacts a jar's own top-level `pom.properties` files name.
fn pom_properties(path: &str) -> BTreeSet<String> {
    let f = std::fs::File::open(path).unwrap();
    let mut z = zip::ZipArchive::new(f).unwrap();
    let mut out = BTreeSet::new();
    for i in 0..z.len() {
        let mut e = z.by_index(i).unwrap();
        if !e.name().ends_with("/pom.properties") {
            continue;
        }
        let mut s = String::new();
        e.read_to_string(&mut s).unwrap();
        let get = |k: &str| {
            s.lines()
                .find_map(|l| l.strip_prefix(k)?.strip_prefix('='))
                .map(|v| v.trim().to_string())
        };
        if let (Some(g), Some(a)) = (get("groupId"), get("artifactId")) {
            out.insert(format!("{g}:{a}"));
        }
    }
    out
}

fn image(dir: &Path, name: &str, files: &[(String, Vec<u8>)]) -> String {
    let entries: Vec<E> = files
        .iter()
        .map(|(p, b)| E::File(p.trim_start_matches('/'), b))
        .collect();
    let img = dir.join(name);
    docker_archive(&img, &[layer(&entries)], None);
    img.to_string_lossy().into_owned()
}

#[test]
fn debian_jars_match_debian_maven_repo_and_dpkg() {
    let Some(lists) = installed() else {
        return;
    };
    let all: Vec<String> = lists.values().flatten().cloned().collect();
    let truth = maven_repo(&all);
    let jar_owner: BTreeMap<String, &str> = lists
        .iter()
        .flat_map(|(p, files)| jars(files).into_iter().map(move |j| (j, *p)))
        .collect();
    assert!(jar_owner.len() > 40, "{} jars", jar_owner.len());
    let contents: Vec<(String, Vec<u8>)> = jar_owner
        .keys()
        .map(|j| (j.clone(), std::fs::read(j).unwrap()))
        .collect();
    let dir = tempfile::tempdir().unwrap();

    // Without a package database: hull names the jars; Debian's maven-repo is the reference.
    let bare = scan_json(&[
        "sbom",
        "--no-cache",
        "-f",
        "json",
        &image(dir.path(), "bare.tar", &contents),
    ]);
    let mut found: BTreeMap<String, BTreeSet<(String, String)>> = BTreeMap::new();
    for p in bare["packages"].as_array().unwrap() {
        assert_eq!(p["kind"], "maven", "{p}");
        found
            .entry(p["location"]["path"].as_str().unwrap().to_string())
            .or_default()
            .insert((
                p["name"].as_str().unwrap().to_string(),
                p["version"].as_str().unwrap().to_string(),
            ));
    }
    let (mut exact, mut compared) = (0, 0);
    let mut wrong = Vec::new();
    for (jar, want) in truth.iter().filter(|(j, _)| jar_owner.contains_key(*j)) {
        compared += 1;
        let got = found.get(jar).cloned().unwrap_or_default();
        let own = pom_properties(jar);
        for (coord, version) in want {
            let named = got.contains(&(coord.clone(), version.clone()));
            exact += usize::from(named);
            if !named {
                eprintln!("not exact: {jar}: Debian {coord} {version}, hull {got:?}");
            }
            // Its own pom.properties: exactly Debian's coordinates. Otherwise (manifest and
            // file name only) the version at least; the group and a Debian-renamed artifact
            // cannot be known from the jar alone.
            if own.contains(coord) && !named {
                wrong.push(format!("{jar}: {coord} {version} not in {got:?}"));
            }
            if !got.iter().any(|(_, v)| v == version) {
                wrong.push(format!("{jar}: version {version} not in {got:?}"));
            }
        }
    }
    eprintln!(
        "{compared} jars in Debian's maven-repo, {exact} named with Debian's exact coordinates"
    );
    assert!(compared > 40, "{compared} jars compared");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));

    // With the packages' dpkg records: every jar is its Debian package's.
    let mut status = Vec::new();
    let mut files = vec![("/etc/os-release".to_string(), OS_RELEASE.to_vec())];
    for p in PACKAGES {
        status.extend(dpkg_query(&["-s", p]).unwrap().into_bytes());
        status.push(b'\n');
        let list = lists[p].join("\n") + "\n";
        files.push((format!("/var/lib/dpkg/info/{p}.list"), list.into_bytes()));
    }
    files.push(("/var/lib/dpkg/status".into(), status));
    files.extend(contents);
    let v = scan_json(&[
        "sbom",
        "--no-cache",
        "-f",
        "json",
        &image(dir.path(), "dpkg.tar", &files),
    ]);
    let maven: Vec<_> = v["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["kind"] == "maven")
        .collect();
    assert!(
        maven.is_empty(),
        "jars reported beside their .deb: {maven:?}"
    );
    let owned = os_owned(&v);
    for jar in jar_owner.keys() {
        // dpkg's own answer for the owner, not the list the image was built from.
        let s = dpkg_query(&["-S", jar]).unwrap();
        let owner = s.split(':').next().unwrap().trim();
        assert_eq!(
            owned.get(jar).map(String::as_str),
            Some(format!("owned by deb {owner} (dpkg file list)").as_str()),
            "{jar}"
        );
    }
}
