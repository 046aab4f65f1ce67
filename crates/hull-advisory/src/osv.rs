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
}

#[derive(Deserialize)]
struct RawAffected {
    package: Option<RawPackage>,
    #[serde(default)]
    ranges: Vec<RawRange>,
    #[serde(default)]
    versions: Vec<String>,
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
    pub kind: RangeKind,
    pub events: Vec<Event>,
}

/// One affected package of an advisory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Affected {
    pub ecosystem: String,
    pub name: String,
    pub ranges: Vec<Range>,
    /// Explicitly listed affected versions.
    pub versions: Vec<String>,
}

/// A validated advisory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Advisory {
    pub id: String,
    pub modified: String,
    pub withdrawn: bool,
    pub aliases: Vec<String>,
    pub summary: Option<String>,
    pub affected: Vec<Affected>,
    /// A severity word the source states (`database_specific.severity` or Debian's
    /// `urgency`), kept as written.
    pub severity: Option<String>,
}

/// Why an OSV document was skipped.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct OsvError(pub String);

impl Advisory {
    /// Parses and validates one OSV JSON document.
    pub fn from_json(bytes: &[u8]) -> Result<Self, OsvError> {
        let raw: RawAdvisory =
            serde_json::from_slice(bytes).map_err(|e| OsvError(format!("not OSV JSON: {e}")))?;
        if raw.id.trim().is_empty() {
            return Err(OsvError("empty id".into()));
        }
        let mut affected = Vec::new();
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
            affected.push(Affected {
                ecosystem: p.ecosystem,
                name: p.name,
                ranges,
                versions: a.versions,
            });
        }
        let severity = raw.database_specific.as_ref().and_then(|d| {
            d.get("severity")
                .or_else(|| d.get("urgency"))
                .and_then(|s| s.as_str())
                .map(str::to_string)
        });
        let _ = raw.details;
        Ok(Advisory {
            id: raw.id,
            modified: raw.modified,
            withdrawn: raw.withdrawn.is_some(),
            aliases: raw.aliases,
            summary: raw.summary,
            affected,
            severity,
        })
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
