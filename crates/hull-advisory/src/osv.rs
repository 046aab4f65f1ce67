//! The OSV schema (<https://ossf.github.io/osv-schema/>), the parts matching needs.
//!
//! Deserialised into `Raw*` structs, then validated into [`Advisory`]: ids, ecosystems and
//! names are non-empty, range events carry exactly one kind. Any advisory id prefix is
//! accepted (derived data sets use prefixes the OSV registry does not list).

use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
struct RawAdvisory {
    id: String,
    #[serde(default)]
    modified: String,
    #[serde(default)]
    withdrawn: Option<String>,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    details: Option<String>,
    #[serde(default)]
    affected: Vec<RawAffected>,
    #[serde(default)]
    database_specific: Option<serde_json::Value>,
    #[serde(default)]
    severity: Vec<RawSeverity>,
    #[serde(default)]
    references: Vec<RawReference>,
}

#[derive(Deserialize)]
struct RawSeverity {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    score: String,
}

#[derive(Deserialize)]
struct RawReference {
    #[serde(default)]
    url: String,
}

#[derive(Deserialize)]
struct RawAffected {
    package: Option<RawPackage>,
    #[serde(default)]
    ranges: Vec<RawRange>,
    #[serde(default)]
    versions: Vec<String>,
    #[serde(default)]
    severity: Vec<RawSeverity>,
    #[serde(default)]
    ecosystem_specific: Option<serde_json::Value>,
    #[serde(default)]
    database_specific: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct RawPackage {
    #[serde(default)]
    ecosystem: String,
    #[serde(default)]
    name: String,
}

#[derive(Deserialize)]
struct RawRange {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    events: Vec<serde_json::Map<String, serde_json::Value>>,
}

/// What kind of versions a range's events hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RangeKind {
    /// The ecosystem's own version order.
    Ecosystem,
    /// SemVer 2.0 order.
    Semver,
    /// Commit hashes; hull does not match these (it has no commit graph) and says so.
    Git,
}

/// One range event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    /// Affected from this version on (`0`: from the beginning).
    Introduced(String),
    /// Not affected from this version on.
    Fixed(String),
    /// Affected up to and including this version.
    LastAffected(String),
    /// Nothing at or above this version is affected by this range.
    Limit(String),
}

/// One range of an affected package.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Range {
    /// `ECOSYSTEM`, `SEMVER` or `GIT`.
    pub kind: RangeKind,
    /// The events, as the advisory lists them.
    pub events: Vec<Event>,
}

/// One affected package of an advisory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Affected {
    /// The OSV ecosystem (`Debian:12`, `PyPI`).
    pub ecosystem: String,
    /// The package name, as the ecosystem spells it.
    pub name: String,
    /// The affected ranges.
    pub ranges: Vec<Range>,
    /// Explicitly listed affected versions.
    pub versions: Vec<String>,
}

/// A validated advisory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Advisory {
    /// The advisory's id, any prefix (`CVE-`, `GHSA-`, `DEBCL-`, …).
    pub id: String,
    /// When it was last modified (RFC 3339).
    pub modified: String,
    /// Withdrawn advisories are kept out of matching.
    pub withdrawn: bool,
    /// Other ids of the same vulnerability.
    pub aliases: Vec<String>,
    /// The one-line summary.
    pub summary: Option<String>,
    /// The packages and versions it affects.
    pub affected: Vec<Affected>,
    /// A severity word the source states (`database_specific.severity` or Debian's
    /// `urgency`, else an affected entry's `severity`/`priority`/`urgency`), kept as written.
    pub severity: Option<String>,
    /// CVSS vectors the advisory carries (`CVSS_V2`, `CVSS_V3`, `CVSS_V4` entries of
    /// `severity`, top level or per affected package), as written.
    #[serde(default)]
    pub cvss: Vec<String>,
    /// Reference URLs, in the advisory's order.
    #[serde(default)]
    pub references: Vec<String>,
}

/// Where a finding's severity came from, best first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum SeveritySource {
    /// Computed from a CVSS v3.x or v4.0 vector with the `cvss` crate.
    Cvss,
    /// The word the advisory database states (GHSA `MODERATE`, a distro `priority`).
    Database,
    /// Computed from a CVSS v2 vector (older advisories only carry these).
    CvssV2,
}

/// An advisory's severity: the level, the CVSS score where a vector gave it, and where it
/// came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Rating {
    /// The level.
    pub level: hull_types::Severity,
    /// The CVSS base score, where a vector gave the level.
    pub score: Option<f64>,
    /// The CVSS vector.
    pub vector: Option<String>,
    /// Where the level came from.
    pub source: SeveritySource,
}

/// The words severity fields are written in: GHSA's, Debian's urgency, Ubuntu's priority.
fn severity_word(v: &serde_json::Value) -> Option<String> {
    ["severity", "urgency", "priority"]
        .iter()
        .find_map(|k| v.get(k).and_then(|s| s.as_str()))
        .map(str::to_string)
}

/// Why an OSV document was skipped.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct OsvError(pub String);

fn level_of(s: cvss::Severity) -> hull_types::Severity {
    match s {
        cvss::Severity::None | cvss::Severity::Low => hull_types::Severity::Low,
        cvss::Severity::Medium => hull_types::Severity::Medium,
        cvss::Severity::High => hull_types::Severity::High,
        cvss::Severity::Critical => hull_types::Severity::Critical,
    }
}

/// The key a package name is stored and looked up under in an ecosystem (see
/// [`hull_types::OsvEcosystem::name_key`]); names of ecosystems hull does not match are kept
/// as they are.
pub fn package_key(ecosystem: &str, name: &str) -> String {
    match hull_types::OsvEcosystem::of(ecosystem) {
        Some(e) => e.name_key(name),
        None => name.to_string(),
    }
}

impl Advisory {
    /// Parses and validates one OSV JSON document.
    pub fn from_json(bytes: &[u8]) -> Result<Self, OsvError> {
        let raw: RawAdvisory =
            serde_json::from_slice(bytes).map_err(|e| OsvError(format!("not OSV JSON: {e}")))?;
        if raw.id.trim().is_empty() {
            return Err(OsvError("empty id".into()));
        }
        let mut affected = Vec::new();
        let mut cvss: Vec<String> = raw
            .severity
            .iter()
            .filter(|s| s.kind.starts_with("CVSS_V") && !s.score.is_empty())
            .map(|s| s.score.clone())
            .collect();
        let mut affected_word = raw
            .severity
            .iter()
            .find(|s| !s.kind.starts_with("CVSS_V") && !s.score.is_empty())
            .map(|s| s.score.clone());
        for a in raw.affected {
            let Some(p) = a.package else { continue };
            if p.ecosystem.is_empty() || p.name.is_empty() {
                return Err(OsvError(format!(
                    "{}: affected package without ecosystem or name",
                    raw.id
                )));
            }
            let mut ranges = Vec::new();
            for r in a.ranges {
                let kind = match r.kind.as_str() {
                    "ECOSYSTEM" => RangeKind::Ecosystem,
                    "SEMVER" => RangeKind::Semver,
                    "GIT" => RangeKind::Git,
                    k => return Err(OsvError(format!("{}: unknown range type {k:?}", raw.id))),
                };
                let mut events = Vec::new();
                for e in r.events {
                    if e.len() != 1 {
                        return Err(OsvError(format!(
                            "{}: an event must have exactly one key",
                            raw.id
                        )));
                    }
                    let (k, v) = e.into_iter().next().expect("one entry");
                    let v = v
                        .as_str()
                        .filter(|s| !s.is_empty())
                        .ok_or_else(|| {
                            OsvError(format!("{}: event {k} is not a version string", raw.id))
                        })?
                        .to_string();
                    events.push(match k.as_str() {
                        "introduced" => Event::Introduced(v),
                        "fixed" => Event::Fixed(v),
                        "last_affected" => Event::LastAffected(v),
                        "limit" => Event::Limit(v),
                        k => return Err(OsvError(format!("{}: unknown event {k:?}", raw.id))),
                    });
                }
                ranges.push(Range { kind, events });
            }
            for sv in &a.severity {
                if sv.kind.starts_with("CVSS_V") && !cvss.contains(&sv.score) {
                    cvss.push(sv.score.clone());
                } else if !sv.kind.starts_with("CVSS_V") && !sv.score.is_empty() {
                    // Ubuntu writes its priority as a severity of type "Ubuntu".
                    affected_word.get_or_insert_with(|| sv.score.clone());
                }
            }
            if let Some(w) = a
                .ecosystem_specific
                .as_ref()
                .and_then(severity_word)
                .or_else(|| a.database_specific.as_ref().and_then(severity_word))
            {
                affected_word.get_or_insert(w);
            }
            affected.push(Affected {
                ecosystem: p.ecosystem,
                name: p.name,
                ranges,
                versions: a.versions,
            });
        }
        let severity = raw
            .database_specific
            .as_ref()
            .and_then(severity_word)
            .or(affected_word);
        let references = raw
            .references
            .into_iter()
            .map(|r| r.url)
            .filter(|u| !u.is_empty())
            .collect();
        let _ = raw.details;
        Ok(Advisory {
            id: raw.id,
            modified: raw.modified,
            withdrawn: raw.withdrawn.is_some(),
            aliases: raw.aliases,
            summary: raw.summary,
            affected,
            severity,
            cvss,
            references,
        })
    }

    /// The advisory's severity: from a CVSS v3.x or v4.0 vector (v3 preferred, as most
    /// databases and tools show it), else the database's own word, else a CVSS v2 vector.
    /// `None` when it states nothing usable.
    pub fn rating(&self) -> Option<Rating> {
        let parsed: Vec<(String, cvss::Cvss)> = self
            .cvss
            .iter()
            .filter_map(|v| v.parse::<cvss::Cvss>().ok().map(|c| (v.clone(), c)))
            .collect();
        let pick = |prefix: &str| parsed.iter().find(|(v, _)| v.starts_with(prefix));
        let from = |(v, c): &(String, cvss::Cvss), source| Rating {
            level: level_of(c.severity()),
            score: Some(c.score()),
            vector: Some(v.clone()),
            source,
        };
        if let Some(x) = pick("CVSS:3").or_else(|| pick("CVSS:4")) {
            return Some(from(x, SeveritySource::Cvss));
        }
        if let Some(w) = &self.severity {
            let level = hull_types::Severity::from_word(w);
            if level != hull_types::Severity::Unknown {
                return Some(Rating {
                    level,
                    score: None,
                    vector: None,
                    source: SeveritySource::Database,
                });
            }
        }
        parsed.first().map(|x| from(x, SeveritySource::CvssV2))
    }

    /// The id a person should see first: the CVE where there is one, else the advisory's own.
    pub fn primary_id(&self) -> &str {
        if self.id.starts_with("CVE-") {
            return &self.id;
        }
        self.aliases
            .iter()
            .filter(|a| a.starts_with("CVE-"))
            .min()
            .map_or(&self.id, |s| s.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_debian_changelog_record() {
        let a = Advisory::from_json(br#"{"id":"DEBCL-CVE-2024-0727-openssl","modified":"2024-03-03T09:47:43Z","aliases":["CVE-2024-0727"],
            "affected":[{"package":{"ecosystem":"Debian:12","name":"openssl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.0.13-1~deb12u1"}]}]}],
            "database_specific":{"urgency":"medium"}}"#).unwrap();
        assert_eq!(a.primary_id(), "CVE-2024-0727");
        assert_eq!(
            a.affected[0].ranges[0].events[1],
            Event::Fixed("3.0.13-1~deb12u1".into())
        );
        assert_eq!(a.severity.as_deref(), Some("medium"));
        assert!(!a.withdrawn);
        let r = a.rating().unwrap();
        assert_eq!(
            (r.level, r.source),
            (hull_types::Severity::Medium, SeveritySource::Database)
        );
    }

    #[test]
    fn rating_prefers_cvss_v3_then_the_database_word() {
        let a = Advisory::from_json(br#"{"id":"GHSA-x84v-xcm2-53pg","aliases":["CVE-2018-18074"],
            "severity":[{"type":"CVSS_V4","score":"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N"},
                        {"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}],
            "references":[{"type":"WEB","url":"https://example.org/a"}],
            "affected":[{"package":{"ecosystem":"PyPI","name":"requests"}}],
            "database_specific":{"severity":"MODERATE"}}"#).unwrap();
        let r = a.rating().unwrap();
        assert_eq!(r.level, hull_types::Severity::High);
        assert_eq!(r.score, Some(7.5));
        assert_eq!(r.source, SeveritySource::Cvss);
        assert!(r.vector.unwrap().starts_with("CVSS:3.1/"));
        assert_eq!(a.references, vec!["https://example.org/a"]);
        // Without vectors the database word decides; an unknown word gives no rating.
        let b = Advisory::from_json(
            br#"{"id":"X-1","affected":[{"package":{"ecosystem":"Ubuntu:22.04:LTS","name":"a"}}],
            "severity":[{"type":"Ubuntu","score":"negligible"}]}"#,
        )
        .unwrap();
        assert_eq!(b.rating().unwrap().level, hull_types::Severity::Low);
        let c = Advisory::from_json(
            br#"{"id":"X-2","affected":[],"database_specific":{"severity":"whatever"}}"#,
        )
        .unwrap();
        assert_eq!(c.rating(), None);
        // A malformed vector is ignored, not an error.
        let d = Advisory::from_json(br#"{"id":"X-3","affected":[],"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:Q"}]}"#).unwrap();
        assert_eq!(d.rating(), None);
    }

    #[test]
    fn package_keys() {
        assert_eq!(package_key("PyPI", "Flask_SQLAlchemy"), "flask-sqlalchemy");
        assert_eq!(package_key("PyPI", "zope.interface"), "zope-interface");
        assert_eq!(package_key("NuGet", "Newtonsoft.Json"), "newtonsoft.json");
        assert_eq!(
            package_key("Packagist:https://packages.drupal.org/8", "Drupal/Core"),
            "drupal/core"
        );
        assert_eq!(package_key("npm", "Lodash"), "Lodash");
        assert_eq!(
            package_key("Maven", "org.apache.logging.log4j:log4j-core"),
            "org.apache.logging.log4j:log4j-core"
        );
    }

    #[test]
    fn rejects_malformed() {
        assert!(Advisory::from_json(b"{}").is_err());
        assert!(Advisory::from_json(br#"{"id":""}"#).is_err());
        assert!(Advisory::from_json(br#"{"id":"X","affected":[{"package":{"ecosystem":"npm","name":"a"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0","fixed":"1"}]}]}]}"#).is_err());
        assert!(Advisory::from_json(br#"{"id":"X","affected":[{"package":{"ecosystem":"npm","name":"a"},"ranges":[{"type":"WEIRD","events":[]}]}]}"#).is_err());
        assert!(Advisory::from_json(b"\xff").is_err());
    }
}
