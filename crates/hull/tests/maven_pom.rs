//! `pom.xml` against Maven itself: Debian's Maven with its dependency plugin resolves each
//! project offline from Debian's own repository (`/usr/share/maven-repo`), and
//! `dependency:list -DexcludeTransitive=true` is the reference for the project's direct
//! dependencies, their versions and scopes. hull reads the `pom.xml` alone (no repository),
//! so it must list the same dependencies with the same versions, `test` scope as dev, and
//! leave out exactly those whose version only a parent POM in a repository supplies.
//!
//! `scripts/setup.sh` installs maven, libmaven-dependency-plugin-java and the libraries the
//! projects use; the test fails when they are missing (unless `HULL_SKIP_IMAGE_TESTS` is
//! set), so it cannot pass by not running.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use common::*;

const REPO: &str = "/usr/share/maven-repo";
const PLUGIN: &str = "org.apache.maven.plugins:maven-dependency-plugin:3.5.0";

/// (group:artifact, version, test scope).
type Deps = BTreeSet<(String, String, bool)>;

fn maven_ready() -> bool {
    let mvn = Command::new("mvn")
        .arg("-v")
        .output()
        .is_ok_and(|o| o.status.success());
    let plugin = Path::new(REPO)
        .join("org/apache/maven/plugins/maven-dependency-plugin/3.5.0")
        .is_dir();
    if mvn && plugin {
        return true;
    }
    if std::env::var_os("HULL_SKIP_IMAGE_TESTS").is_some() {
        eprintln!("skipping: mvn {mvn}, dependency plugin {plugin} (HULL_SKIP_IMAGE_TESTS set)");
        return false;
    }
    panic!(
        "need Debian's maven and libmaven-dependency-plugin-java (scripts/setup.sh installs them)"
    );
}

/// Maven's direct dependencies of the project in `dir`.
fn maven(dir: &Path) -> Deps {
    let out = dir.join("maven-deps.txt");
    let o = Command::new("mvn")
        .args(["-o", "-q", "-B"])
        .arg(format!("-Dmaven.repo.local={REPO}"))
        .arg(format!("{PLUGIN}:list"))
        .arg("-DexcludeTransitive=true")
        .arg(format!("-DoutputFile={}", out.display()))
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "mvn failed: {}",
        String::from_utf8_lossy(&o.stdout)
    );
    std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .filter_map(|l| {
            // `group:artifact:type[:classifier]:version:scope -- module …`
            let coords = l.split(" -- ").next()?.trim();
            let f: Vec<&str> = coords.split(':').collect();
            (f.len() >= 5).then(|| {
                let (v, scope) = (f[f.len() - 2], f[f.len() - 1]);
                (format!("{}:{}", f[0], f[1]), v.to_string(), scope == "test")
            })
        })
        .collect()
}

fn hull_deps(dir: &Path) -> Deps {
    let v = json_of(&run(&[
        "sbom",
        "--no-cache",
        "--kind",
        "rootfs",
        "-f",
        "json",
        dir.to_str().unwrap(),
    ]));
    v["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["kind"] == "maven")
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["version"].as_str().unwrap().to_string(),
                p["dev"].as_bool().unwrap_or(false),
            )
        })
        .collect()
}

fn project(pom: &str) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("pom.xml"), pom).unwrap();
    d
}

/// Properties (one through another), `dependencyManagement`, `project.*`, scopes: every
/// version is in the file, so hull must list exactly what Maven lists.
#[test]
fn a_self_contained_pom_equals_maven() {
    if !maven_ready() {
        return;
    }
    let d = project(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.example</groupId>
  <artifactId>orders</artifactId>
  <version>1.0.0</version>
  <properties>
    <guava.version>31.1-jre</guava.version>
    <log4j2>2.19.0</log4j2>
    <log4j.version>${log4j2}</log4j.version>
    <slf4j.version>1.7.32</slf4j.version>
  </properties>
  <dependencyManagement>
    <dependencies>
      <dependency>
        <groupId>org.apache.commons</groupId>
        <artifactId>commons-lang3</artifactId>
        <version>3.12.0</version>
      </dependency>
      <dependency>
        <groupId>org.slf4j</groupId>
        <artifactId>slf4j-api</artifactId>
        <version>${slf4j.version}</version>
      </dependency>
    </dependencies>
  </dependencyManagement>
  <dependencies>
    <dependency>
      <groupId>com.google.guava</groupId>
      <artifactId>guava</artifactId>
      <version>${guava.version}</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-core</artifactId>
      <version>${log4j.version}</version>
    </dependency>
    <dependency>
      <groupId>org.apache.commons</groupId>
      <artifactId>commons-lang3</artifactId>
    </dependency>
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-api</artifactId>
    </dependency>
    <dependency>
      <groupId>org.yaml</groupId>
      <artifactId>snakeyaml</artifactId>
      <version>1.33</version>
      <scope>runtime</scope>
    </dependency>
    <dependency>
      <groupId>com.thoughtworks.xstream</groupId>
      <artifactId>xstream</artifactId>
      <version>1.4.20</version>
      <optional>true</optional>
    </dependency>
    <dependency>
      <groupId>junit</groupId>
      <artifactId>junit</artifactId>
      <version>4.13.2</version>
      <scope>test</scope>
    </dependency>
  </dependencies>
</project>
"#,
    );
    let want = maven(d.path());
    assert_eq!(want.len(), 7, "{want:?}");
    assert_eq!(hull_deps(d.path()), want);
}

/// A parent POM from the repository: `${project.version}` is the parent's, which hull reads
/// from the `<parent>` element; a version only the parent's `dependencyManagement` gives is
/// Maven's to know, and hull leaves that dependency out rather than guess.
#[test]
fn a_pom_with_a_repository_parent_agrees_with_maven_where_the_file_says() {
    if !maven_ready() {
        return;
    }
    let d = project(
        r#"<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <parent>
    <groupId>org.apache.logging.log4j</groupId>
    <artifactId>log4j</artifactId>
    <version>2.19.0</version>
  </parent>
  <artifactId>appender</artifactId>
  <properties>
    <jackson.version>2.14.0</jackson.version>
  </properties>
  <dependencies>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-api</artifactId>
    </dependency>
    <dependency>
      <groupId>${project.groupId}</groupId>
      <artifactId>log4j-core</artifactId>
      <version>${project.version}</version>
    </dependency>
    <dependency>
      <groupId>com.fasterxml.jackson.core</groupId>
      <artifactId>jackson-databind</artifactId>
      <version>${jackson.version}</version>
    </dependency>
    <dependency>
      <groupId>junit</groupId>
      <artifactId>junit</artifactId>
      <version>4.13.2</version>
      <scope>test</scope>
    </dependency>
  </dependencies>
</project>
"#,
    );
    let want = maven(d.path());
    let inherited = "org.apache.logging.log4j:log4j-api";
    assert!(
        want.iter().any(|(n, _, _)| n == inherited),
        "Maven lists {inherited} (its version from the parent): {want:?}"
    );
    let want: Deps = want
        .into_iter()
        .filter(|(n, _, _)| n != inherited)
        .collect();
    assert_eq!(want.len(), 3, "{want:?}");
    assert_eq!(hull_deps(d.path()), want);
}
