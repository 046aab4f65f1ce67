//! Maven's `pom.xml` (directory scans): the project's declared dependencies with the
//! versions Maven would use from this file alone: `${…}` properties (the file's
//! `<properties>`, `project.*` and `project.parent.*`), and versions managed in its own
//! `<dependencyManagement>`. What only a parent POM or a BOM from a repository could say
//! (an inherited or imported version) is not guessed, so such a dependency is left out, as
//! is a version range; `test`-scoped dependencies are development dependencies. Trivy draws
//! the same line when it cannot reach a repository (`--offline-scan`).
//!
//! `roxmltree` parses without DTDs, so entity expansion bombs are refused, not expanded.

use std::collections::{BTreeMap, HashMap};

use hull_types::PackageKind;
use roxmltree::{Document, Node, ParsingOptions};

use super::{base, finish, package};
use crate::{AnalyzeError, Analyzer, AnalyzerId, FileInput, Output};

pub struct Pom;

/// Properties referring to properties: deeper than this is a loop.
const MAX_EXPANSION: usize = 16;

fn child<'a, 'i>(n: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    n.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
}

fn text(n: Node<'_, '_>, name: &str) -> Option<String> {
    child(n, name)
        .and_then(|c| c.text())
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
}

/// Expands `${name}` references; `None` when one cannot be resolved.
fn interpolate(s: &str, props: &HashMap<String, String>) -> Option<String> {
    let mut cur = s.to_string();
    for _ in 0..MAX_EXPANSION {
        let Some(start) = cur.find("${") else {
            return Some(cur);
        };
        let end = start + cur[start..].find('}')?;
        let value = props.get(&cur[start + 2..end])?;
        cur = format!("{}{}{}", &cur[..start], value, &cur[end + 1..]);
    }
    None
}

struct Dep {
    group: String,
    artifact: String,
    version: Option<String>,
    scope: Option<String>,
}

fn deps(n: Option<Node<'_, '_>>) -> Vec<Dep> {
    let Some(list) = n.and_then(|n| child(n, "dependencies")) else {
        return vec![];
    };
    list.children()
        .filter(|c| c.is_element() && c.tag_name().name() == "dependency")
        .filter_map(|d| {
            Some(Dep {
                group: text(d, "groupId")?,
                artifact: text(d, "artifactId")?,
                version: text(d, "version"),
                scope: text(d, "scope"),
            })
        })
        .collect()
}

impl Analyzer for Pom {
    fn id(&self) -> AnalyzerId {
        AnalyzerId("maven-pom")
    }
    fn version(&self) -> u32 {
        1
    }
    fn wants(&self, path: &str) -> bool {
        base(path) == "pom.xml"
    }
    fn lock_file(&self) -> bool {
        true
    }
    fn max_size(&self) -> u64 {
        16 << 20
    }
    fn analyze(&self, file: &FileInput<'_>) -> Result<Output, AnalyzeError> {
        let text_in = std::str::from_utf8(file.bytes)
            .map_err(|e| AnalyzeError::malformed("pom.xml", format!("not UTF-8: {e}")))?;
        let doc = Document::parse_with_options(
            text_in,
            ParsingOptions {
                allow_dtd: false,
                ..ParsingOptions::default()
            },
        )
        .map_err(|e| AnalyzeError::malformed("pom.xml", e.to_string()))?;
        let project = doc.root_element();
        if project.tag_name().name() != "project" {
            return Err(AnalyzeError::malformed(
                "pom.xml",
                "the root element is not <project>",
            ));
        }
        let parent = child(project, "parent");
        let mut props: HashMap<String, String> = HashMap::new();
        if let Some(p) = child(project, "properties") {
            for c in p.children().filter(|c| c.is_element()) {
                props.insert(
                    c.tag_name().name().to_string(),
                    c.text().unwrap_or("").trim().to_string(),
                );
            }
        }
        let parent_group = parent.and_then(|p| text(p, "groupId"));
        let parent_version = parent.and_then(|p| text(p, "version"));
        let own = [
            ("groupId", text(project, "groupId").or(parent_group.clone())),
            ("artifactId", text(project, "artifactId")),
            (
                "version",
                text(project, "version").or(parent_version.clone()),
            ),
        ];
        for (k, v) in own {
            if let Some(v) = v {
                props.insert(format!("project.{k}"), v.clone());
                props.insert(format!("pom.{k}"), v);
            }
        }
        if let Some(v) = props.get("project.version").cloned() {
            props.insert("version".into(), v);
        }
        for (k, v) in [("groupId", parent_group), ("version", parent_version)] {
            if let Some(v) = v {
                props.insert(format!("project.parent.{k}"), v);
            }
        }
        // Managed versions: (group, artifact) -> version.
        let managed: BTreeMap<(String, String), String> =
            deps(child(project, "dependencyManagement"))
                .into_iter()
                .filter_map(|d| {
                    let g = interpolate(&d.group, &props)?;
                    let a = interpolate(&d.artifact, &props)?;
                    Some(((g, a), interpolate(d.version.as_deref()?, &props)?))
                })
                .collect();
        let mut out = Vec::new();
        for d in deps(Some(project)) {
            let (Some(g), Some(a)) = (
                interpolate(&d.group, &props),
                interpolate(&d.artifact, &props),
            ) else {
                continue;
            };
            let version = match &d.version {
                Some(v) => interpolate(v, &props),
                None => managed.get(&(g.clone(), a.clone())).cloned(),
            };
            // Unresolved, or a range (`[1.0,2.0)`): no single release to report.
            let Some(v) = version.filter(|v| !v.starts_with(['[', '('])) else {
                continue;
            };
            let mut p = package(PackageKind::Maven, &format!("{g}:{a}"), &v, file.path);
            p.direct = Some(true);
            p.dev = d.scope.as_deref() == Some("test");
            out.push(p);
        }
        Ok(Output {
            packages: finish(out),
            ..Output::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(xml: &str) -> Vec<(String, String, bool)> {
        Pom.analyze(&FileInput {
            path: "/src/pom.xml",
            bytes: xml.as_bytes(),
        })
        .unwrap()
        .packages
        .into_iter()
        .map(|p| (p.name, p.version, p.dev))
        .collect()
    }

    #[test]
    fn properties_management_scopes_and_what_is_left_out() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <parent><groupId>org.example</groupId><artifactId>parent</artifactId><version>3.1</version></parent>
  <artifactId>app</artifactId>
  <properties><jackson.version>2.9.8</jackson.version><alias>${jackson.version}</alias></properties>
  <dependencyManagement><dependencies>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><version>1.7.30</version></dependency>
  </dependencies></dependencyManagement>
  <dependencies>
    <dependency><groupId>com.fasterxml.jackson.core</groupId><artifactId>jackson-databind</artifactId><version>${alias}</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId></dependency>
    <dependency><groupId>${project.groupId}</groupId><artifactId>core</artifactId><version>${project.version}</version></dependency>
    <dependency><groupId>junit</groupId><artifactId>junit</artifactId><version>4.12</version><scope>test</scope></dependency>
    <dependency><groupId>org.inherited</groupId><artifactId>from-parent</artifactId></dependency>
    <dependency><groupId>org.x</groupId><artifactId>ranged</artifactId><version>[1.0,2.0)</version></dependency>
    <dependency><groupId>org.x</groupId><artifactId>unknown</artifactId><version>${nope}</version></dependency>
  </dependencies>
</project>"#;
        assert_eq!(
            run(xml),
            vec![
                (
                    "com.fasterxml.jackson.core:jackson-databind".into(),
                    "2.9.8".into(),
                    false
                ),
                ("junit:junit".into(), "4.12".into(), true),
                ("org.example:core".into(), "3.1".into(), false),
                ("org.slf4j:slf4j-api".into(), "1.7.30".into(), false),
            ]
        );
    }

    #[test]
    fn loops_dtds_and_garbage_are_errors_or_nothing() {
        let looped = r#"<project><properties><a>${b}</a><b>${a}</b></properties>
          <dependencies><dependency><groupId>g</groupId><artifactId>a</artifactId><version>${a}</version></dependency></dependencies></project>"#;
        assert!(run(looped).is_empty());
        let bomb =
            r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]><project>&lol;</project>"#;
        for bad in [bomb, "<notaproject/>", "<project>", "\u{0}"] {
            assert!(Pom
                .analyze(&FileInput {
                    path: "/pom.xml",
                    bytes: bad.as_bytes()
                })
                .is_err());
        }
    }
}
