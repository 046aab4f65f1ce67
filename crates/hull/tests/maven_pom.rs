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

/// Runs `dependency:list` on the project (or reactor) in `dir`; each module writes its direct
/// dependencies to `maven-deps.txt` in its own directory.
fn run_maven(dir: &Path) {
    let o = Command::new("mvn")
        .args(["-o", "-q", "-B"])
        .arg(format!("-Dmaven.repo.local={REPO}"))
        .arg(format!("{PLUGIN}:list"))
        .arg("-DexcludeTransitive=true")
        .arg("-DoutputFile=maven-deps.txt")
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "mvn failed: {}",
        String::from_utf8_lossy(&o.stdout)
    );
}

/// Maven's direct dependencies of the project in `dir`.
fn maven(dir: &Path) -> Deps {
    run_maven(dir);
    module_deps(dir)
}

/// What `run_maven` wrote for the module in `dir`.
fn module_deps(dir: &Path) -> Deps {
    std::fs::read_to_string(dir.join("maven-deps.txt"))
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
    hull_by_pom(dir).remove("/pom.xml").unwrap_or_default()
}

/// hull's Maven packages of a directory scan, by the `pom.xml` they were read from.
fn hull_by_pom(dir: &Path) -> std::collections::BTreeMap<String, Deps> {
    let v = scan_json(&[
        "sbom",
        "--no-cache",
        "--kind",
        "rootfs",
        "-f",
        "json",
        dir.to_str().unwrap(),
    ]);
    v["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["kind"] == "maven")
        .fold(Default::default(), |mut m, p| {
            m.entry(p["location"]["path"].as_str().unwrap().to_string())
                .or_insert_with(Deps::new)
                .insert((
                    p["name"].as_str().unwrap().to_string(),
                    p["version"].as_str().unwrap().to_string(),
                    p["dev"].as_bool().unwrap_or(false),
                ));
            m
        })
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

/// A multi-module project: modules two levels deep take properties and managed versions from
/// their parents in the tree (default and explicit `relativePath`), a nearer POM overriding a
/// farther one. Maven builds the reactor offline; every module's list must equal hull's
/// packages for that module's `pom.xml`.
#[test]
fn a_reactor_equals_maven_module_by_module() {
    if !maven_ready() {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let write = |rel: &str, xml: &str| {
        let p = d.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, xml).unwrap();
    };
    write(
        "pom.xml",
        r#"<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.example</groupId>
  <artifactId>reactor</artifactId>
  <version>2.1.0</version>
  <packaging>pom</packaging>
  <modules><module>core</module><module>web</module><module>tools/admin</module></modules>
  <properties>
    <guava.version>31.1-jre</guava.version>
    <log4j.version>2.19.0</log4j.version>
    <slf4j.version>1.7.32</slf4j.version>
    <snakeyaml.version>1.33</snakeyaml.version>
    <jackson.version>2.0.0-overridden-below</jackson.version>
  </properties>
  <dependencyManagement>
    <dependencies>
      <dependency><groupId>com.google.guava</groupId><artifactId>guava</artifactId><version>${guava.version}</version></dependency>
      <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>${log4j.version}</version></dependency>
      <dependency><groupId>org.apache.commons</groupId><artifactId>commons-lang3</artifactId><version>3.12.0</version></dependency>
      <dependency><groupId>junit</groupId><artifactId>junit</artifactId><version>4.13.2</version></dependency>
      <dependency><groupId>com.thoughtworks.xstream</groupId><artifactId>xstream</artifactId><version>1.4.20</version></dependency>
    </dependencies>
  </dependencyManagement>
</project>
"#,
    );
    write(
        "core/pom.xml",
        r#"<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <parent><groupId>com.example</groupId><artifactId>reactor</artifactId><version>2.1.0</version></parent>
  <artifactId>core</artifactId>
  <dependencies>
    <dependency><groupId>com.google.guava</groupId><artifactId>guava</artifactId></dependency>
    <dependency><groupId>org.apache.commons</groupId><artifactId>commons-lang3</artifactId></dependency>
    <dependency><groupId>junit</groupId><artifactId>junit</artifactId><scope>test</scope></dependency>
  </dependencies>
</project>
"#,
    );
    write(
        "web/pom.xml",
        r#"<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <parent><groupId>com.example</groupId><artifactId>reactor</artifactId><version>2.1.0</version></parent>
  <artifactId>web</artifactId>
  <packaging>pom</packaging>
  <properties><jackson.version>2.14.0</jackson.version></properties>
  <dependencies>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId></dependency>
    <dependency><groupId>com.fasterxml.jackson.core</groupId><artifactId>jackson-databind</artifactId><version>${jackson.version}</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><version>${slf4j.version}</version></dependency>
  </dependencies>
</project>
"#,
    );
    write(
        "tools/admin/pom.xml",
        r#"<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <parent>
    <groupId>com.example</groupId><artifactId>web</artifactId><version>2.1.0</version>
    <relativePath>../../web</relativePath>
  </parent>
  <artifactId>admin</artifactId>
  <dependencies>
    <dependency><groupId>org.yaml</groupId><artifactId>snakeyaml</artifactId><version>${snakeyaml.version}</version></dependency>
    <dependency><groupId>com.thoughtworks.xstream</groupId><artifactId>xstream</artifactId></dependency>
    <dependency><groupId>com.fasterxml.jackson.core</groupId><artifactId>jackson-databind</artifactId><version>${jackson.version}</version></dependency>
  </dependencies>
</project>
"#,
    );
    run_maven(d.path());
    let hull = hull_by_pom(d.path());
    let mut compared = 0;
    for module in ["core", "web", "tools/admin"] {
        let want = module_deps(&d.path().join(module));
        assert!(!want.is_empty(), "{module}");
        compared += want.len();
        assert_eq!(
            hull.get(&format!("/{module}/pom.xml"))
                .cloned()
                .unwrap_or_default(),
            want,
            "{module}"
        );
    }
    assert_eq!(compared, 11);
}
