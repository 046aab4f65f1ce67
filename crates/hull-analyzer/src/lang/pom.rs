//! Maven's `pom.xml` (directory scans): the project's declared dependencies with the
//! versions Maven would use: `${…}` properties (`<properties>`, `project.*` and
//! `project.parent.*`), and versions managed in `<dependencyManagement>`, from the file and
//! from its parents found in the same tree (the `<parent>`'s `relativePath`, by default
//! `../pom.xml`, when that file has the coordinates the child names): a multi-module
//! project's modules take versions, properties and dependencies from their parents as Maven
//! does. What
//! only a POM in a repository could say (a parent outside the tree, an imported BOM) is not
//! guessed, so such a dependency is left out, as is a version range; `test`-scoped
//! dependencies are development dependencies. Trivy draws the same line when it cannot
//! reach a repository (`--offline-scan`).
//!
//! The analyzer reads one file, so it reports what that file settles alone and hands its
//! [`PomModel`] on; hull-scan, which sees every file of the tree, rebuilds a module's
//! packages with its parents ([`effective_packages`]).
//!
//! `roxmltree` parses without DTDs, so entity expansion bombs are refused, not expanded.

use std::collections::{BTreeMap, HashMap};

use hull_types::{Package, PackageKind};
use roxmltree::{Document, Node, ParsingOptions};
use serde::{Deserialize, Serialize};

use super::{base, finish, package};
use crate::{AnalyzeError, Analyzer, AnalyzerId, FileInput, Output};

/// Maven `pom.xml` (directory scans).
pub struct Pom;

/// Properties referring to properties: deeper than this is a loop.
const MAX_EXPANSION: usize = 16;
/// Parents followed from one module (Maven itself has no limit; real projects have a few).
pub const MAX_PARENTS: usize = 16;

/// What a `pom.xml` says, uninterpreted: enough to build its own effective dependencies and
/// those of the modules that name it as their parent.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PomModel {
    /// `groupId`, as written (properties not yet resolved).
    pub group: Option<String>,
    /// `artifactId`.
    pub artifact: Option<String>,
    /// `version`.
    pub version: Option<String>,
    /// The `<parent>` it names.
    pub parent: Option<ParentRef>,
    /// Its own `<properties>`.
    pub properties: BTreeMap<String, String>,
    /// `<dependencyManagement>` entries.
    pub managed: Vec<RawDep>,
    /// `<dependencies>` entries.
    pub dependencies: Vec<RawDep>,
}

/// The `<parent>` element.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParentRef {
    /// The parent's `groupId`.
    pub group: Option<String>,
    /// The parent's `artifactId`.
    pub artifact: Option<String>,
    /// The parent's `version`.
    pub version: Option<String>,
    /// `None`: Maven's default, `../pom.xml`; an empty `<relativePath/>` turns the lookup off.
    pub relative_path: Option<String>,
}

/// One `<dependency>`, its fields as written.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RawDep {
    /// `groupId`.
    pub group: String,
    /// `artifactId`.
    pub artifact: String,
    /// `version`, as written (a property reference until resolved).
    pub version: Option<String>,
    /// `scope` (`test` makes it a development dependency).
    pub scope: Option<String>,
}

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

fn deps(n: Option<Node<'_, '_>>) -> Vec<RawDep> {
    let Some(list) = n.and_then(|n| child(n, "dependencies")) else {
        return vec![];
    };
    list.children()
        .filter(|c| c.is_element() && c.tag_name().name() == "dependency")
        .filter_map(|d| {
            Some(RawDep {
                group: text(d, "groupId")?,
                artifact: text(d, "artifactId")?,
                version: text(d, "version"),
                scope: text(d, "scope"),
            })
        })
        .collect()
}

/// Parses a `pom.xml` into its model.
pub fn read_model(bytes: &[u8]) -> Result<PomModel, AnalyzeError> {
    let text_in = std::str::from_utf8(bytes)
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
    let parent = child(project, "parent").map(|p| ParentRef {
        group: text(p, "groupId"),
        artifact: text(p, "artifactId"),
        version: text(p, "version"),
        relative_path: child(p, "relativePath").map(|r| r.text().unwrap_or("").trim().to_string()),
    });
    let properties = child(project, "properties")
        .map(|p| {
            p.children()
                .filter(|c| c.is_element())
                .map(|c| {
                    (
                        c.tag_name().name().to_string(),
                        c.text().unwrap_or("").trim().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(PomModel {
        group: text(project, "groupId"),
        artifact: text(project, "artifactId"),
        version: text(project, "version"),
        parent,
        properties,
        managed: deps(child(project, "dependencyManagement")),
        dependencies: deps(Some(project)),
    })
}

/// Where, in the same tree, the parent of the POM at `path` would be.
pub fn parent_path(path: &str, model: &PomModel) -> Option<String> {
    let rel = match model.parent.as_ref()?.relative_path.as_deref() {
        None => "../pom.xml",
        Some("") => return None,
        Some(r) => r,
    };
    let rel = if rel.ends_with(".xml") {
        rel.to_string()
    } else {
        format!("{}/pom.xml", rel.trim_end_matches('/'))
    };
    let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for seg in rel.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    Some(format!("/{}", parts.join("/")))
}

/// Whether `candidate` is the POM `child`'s `<parent>` names (group and artifact, and the
/// version where both state one). Maven reads a parent from the tree only then.
pub fn is_parent(child: &PomModel, candidate: &PomModel) -> bool {
    let Some(p) = &child.parent else {
        return false;
    };
    let group = candidate
        .group
        .as_ref()
        .or(candidate.parent.as_ref().and_then(|pp| pp.group.as_ref()));
    let version = candidate
        .version
        .as_ref()
        .or(candidate.parent.as_ref().and_then(|pp| pp.version.as_ref()));
    p.artifact.is_some()
        && p.artifact == candidate.artifact
        && p.group.as_ref() == group
        && (p.version.is_none() || version.is_none() || p.version.as_ref() == version)
}

/// The dependencies of `chain[0]`, the POM at `path`, whose parents are `chain[1..]` (nearest
/// first): properties, managed versions and dependencies inherited, the nearer POM winning.
pub fn effective_packages(chain: &[&PomModel], path: &str) -> Vec<Package> {
    let Some(&this) = chain.first() else {
        return vec![];
    };
    let mut props: HashMap<String, String> = HashMap::new();
    for m in chain.iter().rev() {
        props.extend(m.properties.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    let parent = this.parent.as_ref();
    let parent_group = parent.and_then(|p| p.group.clone());
    let parent_version = parent.and_then(|p| p.version.clone());
    let own = [
        ("groupId", this.group.clone().or(parent_group.clone())),
        ("artifactId", this.artifact.clone()),
        ("version", this.version.clone().or(parent_version.clone())),
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
    // Managed versions, (group, artifact) -> version; a nearer POM overrides. Imported BOMs
    // (`<scope>import</scope>`) live in a repository and are not followed.
    let mut managed: BTreeMap<(String, String), String> = BTreeMap::new();
    for m in chain.iter().rev() {
        for d in m
            .managed
            .iter()
            .filter(|d| d.scope.as_deref() != Some("import"))
        {
            let resolved = (|| {
                let g = interpolate(&d.group, &props)?;
                let a = interpolate(&d.artifact, &props)?;
                Some(((g, a), interpolate(d.version.as_deref()?, &props)?))
            })();
            if let Some((k, v)) = resolved {
                managed.insert(k, v);
            }
        }
    }
    // A module inherits its parents' `<dependencies>` too; its own declaration of the same
    // artifact wins.
    let mut out = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for d in chain.iter().flat_map(|m| &m.dependencies) {
        let (Some(g), Some(a)) = (
            interpolate(&d.group, &props),
            interpolate(&d.artifact, &props),
        ) else {
            continue;
        };
        if !seen.insert((g.clone(), a.clone())) {
            continue;
        }
        let version = match &d.version {
            Some(v) => interpolate(v, &props),
            None => managed.get(&(g.clone(), a.clone())).cloned(),
        };
        // Unresolved, or a range (`[1.0,2.0)`): no single release to report.
        let Some(v) = version.filter(|v| !v.starts_with(['[', '('])) else {
            continue;
        };
        let mut p = package(PackageKind::Maven, &format!("{g}:{a}"), &v, path);
        p.direct = Some(true);
        p.dev = d.scope.as_deref() == Some("test");
        out.push(p);
    }
    finish(out)
}

impl Analyzer for Pom {
    fn id(&self) -> AnalyzerId {
        AnalyzerId("maven-pom")
    }
    fn version(&self) -> u32 {
        2
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
        let model = read_model(file.bytes)?;
        Ok(Output {
            packages: effective_packages(&[&model], file.path),
            pom: Some(Box::new(model)),
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
    fn parent_paths_stay_in_the_tree() {
        let with = |rel: Option<&str>| PomModel {
            parent: Some(ParentRef {
                relative_path: rel.map(str::to_string),
                ..ParentRef::default()
            }),
            ..PomModel::default()
        };
        assert_eq!(
            parent_path("/a/b/pom.xml", &with(None)).as_deref(),
            Some("/a/pom.xml")
        );
        assert_eq!(
            parent_path("/a/b/pom.xml", &with(Some("../../web"))).as_deref(),
            Some("/web/pom.xml")
        );
        assert_eq!(
            parent_path("/a/pom.xml", &with(Some("./parent/pom.xml"))).as_deref(),
            Some("/a/parent/pom.xml")
        );
        assert_eq!(parent_path("/a/pom.xml", &with(Some(""))), None);
        assert_eq!(parent_path("/pom.xml", &with(None)), None, "above the root");
        assert_eq!(parent_path("/pom.xml", &PomModel::default()), None);
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
