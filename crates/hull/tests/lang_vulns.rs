//! Language packages matched end to end: `hull db import` of real OSV records for PyPI, npm,
//! crates.io, Go, Maven, RubyGems, NuGet and Packagist (`testdata/osv/lang`), then `hull
//! scan` of a project directory whose lock files pin known vulnerable versions, of the same
//! project pinned to the fixes, and of the real image npm and pip built
//! (`scripts/build-lang-image.py`).

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::*;

fn import_lang(dir: &Path) -> String {
    let db = dir.join("lang.db");
    let o = hull()
        .args(["db", "import", "--db"])
        .arg(&db)
        .arg(repo_root().join("testdata/osv/lang"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    db.display().to_string()
}

/// A project with one lock file per ecosystem; `v` picks each package's version.
fn project(dir: &Path, v: &dyn Fn(&str) -> &'static str) {
    std::fs::create_dir_all(dir).unwrap();
    let w = |name: &str, text: String| std::fs::write(dir.join(name), text).unwrap();
    w(
        "requirements.txt",
        format!("Requests=={}\nprotobuf=={}\n", v("requests"), v("protobuf")),
    );
    w(
        "package-lock.json",
        format!(
            r#"{{"name":"app","version":"1.0.0","lockfileVersion":3,"requires":true,
               "packages":{{"":{{"name":"app","version":"1.0.0","dependencies":{{"lodash":"{0}"}}}},
                            "node_modules/lodash":{{"version":"{0}"}}}}}}"#,
            v("lodash")
        ),
    );
    w(
        "Cargo.lock",
        format!(
            "version = 3\n\n[[package]]\nname = \"regex\"\nversion = \"{}\"\n\n[[package]]\nname = \"smallvec\"\nversion = \"{}\"\n",
            v("regex"),
            v("smallvec")
        ),
    );
    w(
        "go.mod",
        format!(
            "module example.com/app\n\ngo {}\n\nrequire golang.org/x/text v{}\n",
            v("go"),
            v("golang.org/x/text")
        ),
    );
    w(
        "composer.lock",
        format!(
            r#"{{"packages":[{{"name":"drupal/webform","version":"{}"}}],"packages-dev":[]}}"#,
            v("drupal/webform")
        ),
    );
    w(
        "Gemfile.lock",
        format!(
            "GEM\n  remote: https://rubygems.org/\n  specs:\n    google-protobuf ({})\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  google-protobuf\n\nBUNDLED WITH\n   2.3.7\n",
            v("google-protobuf")
        ),
    );
    // NuGet names compare case-insensitively: the lock file's `google.protobuf` is the
    // advisory's `Google.Protobuf`.
    w(
        "packages.lock.json",
        format!(
            r#"{{"version":1,"dependencies":{{"net6.0":{{
                "BouncyCastle":{{"type":"Direct","requested":"[{0}, )","resolved":"{0}"}},
                "google.protobuf":{{"type":"Transitive","resolved":"{1}"}}}}}}}}"#,
            v("BouncyCastle"),
            v("Google.Protobuf")
        ),
    );
    w(
        "gradle.lockfile",
        format!(
            "com.fasterxml.jackson.core:jackson-databind:{}=compileClasspath\nempty=\n",
            v("jackson-databind")
        ),
    );
}

fn vulnerable(p: &str) -> &'static str {
    match p {
        "requests" => "2.19.0",
        "protobuf" => "3.14.0",
        "lodash" => "4.17.15",
        "regex" => "1.5.4",
        "smallvec" => "1.6.1",
        "golang.org/x/text" => "0.3.6",
        "drupal/webform" => "5.10.0",
        "google-protobuf" => "3.21.2",
        "BouncyCastle" => "1.8.6",
        "Google.Protobuf" => "3.14.0",
        "jackson-databind" => "2.9.10.7",
        "go" => "1.16",
        _ => unreachable!("{p}"),
    }
}

fn fixed(p: &str) -> &'static str {
    match p {
        "requests" => "2.31.0",
        "protobuf" => "3.15.0",
        "lodash" => "4.17.19",
        "regex" => "1.5.5",
        "smallvec" => "1.6.1",
        "golang.org/x/text" => "0.3.8",
        "drupal/webform" => "5.11.0",
        "google-protobuf" => "3.21.7",
        "BouncyCastle" => "1.8.7",
        "Google.Protobuf" => "3.15.0",
        "jackson-databind" => "2.9.10.8",
        "go" => "1.21.0",
        _ => unreachable!("{p}"),
    }
}

fn scan(db: &str, target: &Path) -> serde_json::Value {
    scan_json(&[
        "scan",
        "--no-cache",
        "--scanners",
        "vuln",
        "--db",
        db,
        "-f",
        "json",
        target.to_str().unwrap(),
    ])
}

/// (package, id) -> (fixed, aliases)
fn findings(v: &serde_json::Value) -> BTreeMap<(String, String), (String, Vec<String>)> {
    v["vulnerabilities"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|x| {
                    (
                        (
                            x["package"].as_str().unwrap().to_string(),
                            x["id"].as_str().unwrap().to_string(),
                        ),
                        (
                            x["fixed"].as_str().unwrap_or("").to_string(),
                            x["aliases"]
                                .as_array()
                                .map(|a| {
                                    a.iter().map(|s| s.as_str().unwrap().to_string()).collect()
                                })
                                .unwrap_or_default(),
                        ),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn every_ecosystem_finds_the_advisories_and_their_fixes() {
    let dir = tempfile::tempdir().unwrap();
    let db = import_lang(dir.path());
    let app = dir.path().join("app");
    project(&app, &vulnerable);
    let v = scan(&db, &app);
    let got = findings(&v);
    let want: Vec<(&str, &str, &str)> = vec![
        // PyPI: both requests advisories above 2.19.0; PYSEC-2014-13/14 (fixed 2.3.0) and
        // PYSEC-2015-17 (2.1.0 to 2.6.0) are below it.
        ("requests", "CVE-2018-18074", "2.20.0"),
        ("requests", "CVE-2023-32681", "2.31.0"),
        // PYSEC-2022-48 and GHSA-77rm-9x9h-xj3g are one vulnerability: one finding.
        ("protobuf", "CVE-2021-22570", "3.15.0"),
        // npm: only NSWG-ECO-516 (>=4.17.15 <4.17.19); it has no CVE, so its own id.
        ("lodash", "NSWG-ECO-516", "4.17.19"),
        ("regex", "CVE-2022-24713", "1.5.5"),
        ("golang.org/x/text", "CVE-2021-38561", "0.3.7"),
        ("golang.org/x/text", "CVE-2022-32149", "0.3.8"),
        // The `go` line is the standard library's version, as osv-scanner reads it.
        ("stdlib", "CVE-2021-33195", "1.16.5"),
        // Drupal's composer repository is its own OSV ecosystem variant.
        ("drupal/webform", "DRUPAL-CONTRIB-2020-011", "5.11.0"),
        ("google-protobuf", "CVE-2022-3171", "3.21.7"),
        ("BouncyCastle", "CVE-2020-15522", "1.8.7"),
        ("google.protobuf", "CVE-2021-22570", "3.15.0"),
        // Maven order: 2.9.10.7 < 2.9.10.8, and `introduced: 2.7.00` reads as 2.7.
        (
            "com.fasterxml.jackson.core:jackson-databind",
            "CVE-2020-35728",
            "2.9.10.8",
        ),
        (
            "com.fasterxml.jackson.core:jackson-databind",
            "CVE-2020-36183",
            "2.9.10.8",
        ),
    ];
    let want_keys: Vec<(String, String)> = want
        .iter()
        .map(|(p, id, _)| (p.to_string(), id.to_string()))
        .collect();
    let got_keys: Vec<(String, String)> = got.keys().cloned().collect();
    let mut want_sorted = want_keys.clone();
    want_sorted.sort();
    assert_eq!(got_keys, want_sorted, "{}", v["vulnerabilities"]);
    for (p, id, fix) in &want {
        assert_eq!(got[&(p.to_string(), id.to_string())].0, *fix, "{p} {id}");
    }
    let protobuf = &got[&("protobuf".to_string(), "CVE-2021-22570".to_string())].1;
    assert_eq!(protobuf, &["GHSA-77rm-9x9h-xj3g", "PYSEC-2022-48"]);
    // Every finding says which range matched, and GHSA findings carry a CVSS-computed level.
    for f in v["vulnerabilities"].as_array().unwrap() {
        assert!(f["reason"].as_str().unwrap().contains("introduced"), "{f}");
    }
    let jackson = v["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "CVE-2020-35728")
        .unwrap();
    assert_eq!(jackson["severity"], "high");
    assert_eq!(jackson["score"], 8.1);
    assert!(jackson["severity_source"]
        .as_str()
        .unwrap()
        .starts_with("CVSS:3.1 of GHSA-5r5r-6hpj-8gg9"));
    assert_schema_valid("hull", "report-v1.schema.json", &v);
    // The CycloneDX form carries them too and still validates.
    let cdx = scan_json(&[
        "scan",
        "--no-cache",
        "--scanners",
        "vuln",
        "--db",
        &db,
        "-f",
        "cyclonedx",
        app.to_str().unwrap(),
    ]);
    assert_eq!(cdx["vulnerabilities"].as_array().unwrap().len(), want.len());
    assert_schema_valid("cyclonedx-1.6", "bom-1.6.schema.json", &cdx);
    // --explain prints the matched range under each finding.
    let o = run(&[
        "scan",
        "--no-cache",
        "--scanners",
        "vuln",
        "--db",
        &db,
        "--explain",
        app.to_str().unwrap(),
    ]);
    let table = String::from_utf8(o.stdout).unwrap();
    assert!(
        table.contains(
            "npm lodash 4.17.15: introduced 4.17.15, fixed 4.17.19 (SEMVER) in NSWG-ECO-516"
        ),
        "{table}"
    );
}

/// The project's SBOM, written by hull in both formats, is matched like the project itself.
#[test]
fn sboms_of_language_packages_are_matched_like_the_project() {
    let dir = tempfile::tempdir().unwrap();
    let db = import_lang(dir.path());
    let app = dir.path().join("app");
    project(&app, &vulnerable);
    let want = findings(&scan(&db, &app));
    for format in ["cyclonedx", "spdx"] {
        let sbom = dir.path().join(format!("app.{format}.json"));
        let o = run(&[
            "sbom",
            "--no-cache",
            "-f",
            format,
            "-o",
            sbom.to_str().unwrap(),
            app.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let got = findings(&scan(&db, &sbom));
        assert_eq!(got, want, "{format}");
    }
}

#[test]
fn the_fixed_versions_are_clean() {
    let dir = tempfile::tempdir().unwrap();
    let db = import_lang(dir.path());
    let app = dir.path().join("app");
    project(&app, &fixed);
    let v = scan(&db, &app);
    assert!(
        v.get("vulnerabilities").is_none(),
        "{}",
        v["vulnerabilities"]
    );
    // Every package was checked: nothing is left "not matched".
    assert!(v.get("not_matched").is_none(), "{}", v["not_matched"]);
    assert!(v["packages"].as_array().unwrap().len() >= 11);
}

#[test]
fn unparsable_versions_are_reported_not_passed() {
    let dir = tempfile::tempdir().unwrap();
    let db = import_lang(dir.path());
    let app = dir.path().join("app");
    std::fs::create_dir_all(&app).unwrap();
    std::fs::write(
        app.join("Gemfile.lock"),
        "GEM\n  remote: https://rubygems.org/\n  specs:\n    google-protobuf (not-a-version)\n\nDEPENDENCIES\n  google-protobuf\n",
    )
    .unwrap();
    let v = scan(&db, &app);
    let nm = v["not_matched"].as_array().unwrap();
    assert_eq!(nm.len(), 1, "{nm:?}");
    assert!(nm[0]["reason"]
        .as_str()
        .unwrap()
        .starts_with("unparsable version"));
}

/// The real image npm and pip built: requests 2.19.0 and lodash 4.17.15 as installed.
#[test]
fn real_image_installed_packages() {
    let Some(images) = test_images(&[]) else {
        return;
    };
    let image = images.join("lang-test.tar");
    if !image.exists() {
        assert!(
            std::env::var_os("HULL_SKIP_IMAGE_TESTS").is_some(),
            "need {} (python3 scripts/build-lang-image.py)",
            image.display()
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = import_lang(dir.path());
    let v = scan(&db, &image);
    let got = findings(&v);
    let requests = &got[&("requests".to_string(), "CVE-2018-18074".to_string())];
    assert_eq!(requests.0, "2.20.0");
    assert_eq!(
        got[&("lodash".to_string(), "NSWG-ECO-516".to_string())].0,
        "4.17.19"
    );
    // Installed packages say where they were found: the layer and the metadata path.
    let f = v["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["package"] == "requests")
        .unwrap();
    assert!(f["location"]["path"]
        .as_str()
        .unwrap()
        .contains("requests-2.19.0.dist-info"));
    assert!(f["location"]["layer"]
        .as_str()
        .unwrap()
        .starts_with("sha256:"));
}

/// A jar in memory: `(name, contents)` entries, stored.
fn jar(entries: &[(&str, &str)]) -> Vec<u8> {
    use std::io::Write;
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, body) in entries {
        z.start_file(*name, opts).unwrap();
        z.write_all(body.as_bytes()).unwrap();
    }
    z.finish().unwrap().into_inner()
}

/// A jar no `pom.properties` names gets a guessed group; matching then looks its artifact up
/// under the one group the database knows it by (Tomcat's `catalina.jar`, whose manifest
/// says `tomcat-catalina`, against GHSA-fccv-jmmp-qg76 for `org.apache.tomcat:tomcat-catalina`),
/// but never when the database knows the artifact under several groups (`snakeyaml`:
/// `org.yaml` and `be.cylab` in GHSA-c4r9-r8fh-9vj2), and never for a name a `pom.properties`
/// stated.
#[test]
fn inferred_maven_groups_are_matched_by_artifact_when_unambiguous() {
    let dir = tempfile::tempdir().unwrap();
    let db = import_lang(dir.path());
    // Tomcat's manifest (bnd): the group is not in it.
    let catalina = jar(&[(
        "META-INF/MANIFEST.MF",
        "Manifest-Version: 1.0\r\nBundle-Name: tomcat-catalina\r\n\
         Bundle-SymbolicName: org.apache.tomcat-catalina\r\nBundle-Version: 10.1.10\r\n\
         Implementation-Title: Apache Tomcat\r\nImplementation-Version: 10.1.10\r\n",
    )]);
    let snakeyaml = jar(&[(
        "META-INF/MANIFEST.MF",
        "Manifest-Version: 1.0\r\nImplementation-Title: snakeyaml\r\n\
         Implementation-Vendor-Id: com.example\r\nImplementation-Version: 1.30\r\n",
    )]);
    let stated = jar(&[(
        "META-INF/maven/com.example/tomcat-catalina/pom.properties",
        "groupId=com.example\nartifactId=tomcat-catalina\nversion=10.1.10\n",
    )]);
    let img = dir.path().join("tomcat.tar");
    docker_archive(
        &img,
        &[layer(&[
            E::File("usr/local/tomcat/lib/catalina.jar", &catalina),
            E::File("app/lib/snakeyaml.jar", &snakeyaml),
            E::File("app/lib/tomcat-catalina-10.1.10.jar", &stated),
        ])],
        None,
    );
    let v = scan(&db, &img);
    let vulns: Vec<&serde_json::Value> = v["vulnerabilities"]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let hits: Vec<(String, String, String)> = vulns
        .iter()
        .map(|x| {
            (
                x["package"].as_str().unwrap().to_string(),
                x["location"]["path"].as_str().unwrap().to_string(),
                x["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(hits.len(), 1, "{hits:#?}");
    let (package, path, reason) = &hits[0];
    assert_eq!(package, "org.apache:tomcat-catalina");
    assert_eq!(path, "/usr/local/tomcat/lib/catalina.jar");
    assert!(
        reason.contains("org.apache.tomcat:tomcat-catalina")
            && reason.contains("group was inferred")
            && reason.contains("GHSA-fccv-jmmp-qg76"),
        "{reason}"
    );
    let ids: Vec<&str> = std::iter::once(&vulns[0]["id"])
        .chain(vulns[0]["aliases"].as_array().unwrap())
        .filter_map(|x| x.as_str())
        .collect();
    assert!(ids.contains(&"GHSA-fccv-jmmp-qg76"), "{ids:?}");
    let inferred = v["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["group_inferred"] == true)
        .count();
    assert_eq!(inferred, 2, "catalina.jar and snakeyaml.jar");
    // hull's CycloneDX carries the mark (`hull:maven:group_inferred`), so the SBOM is
    // matched as the image was.
    let sbom = dir.path().join("tomcat.cdx.json");
    let o = run(&[
        "sbom",
        "--no-cache",
        "-f",
        "cyclonedx",
        "-o",
        sbom.to_str().unwrap(),
        img.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(findings(&scan(&db, &sbom)), findings(&v));
}
