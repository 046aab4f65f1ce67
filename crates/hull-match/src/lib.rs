//! Matching OS packages against OSV advisories.
//!
//! Each package is looked up under the OSV ecosystem of the image's OS release
//! (`Debian:12`, `Alpine:v3.20`, `Rocky Linux:9`, …) by its source package (distro
//! advisories are keyed by source: dpkg `Source:`, apk origin, rpm source RPM), and its
//! version is placed in each range with the package manager's own order. Advisories for the
//! same vulnerability (a CVE and the distro's own id) are merged into one finding.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use hull_advisory::{Advisory, Affected, Database, DbError, Event, RangeKind};
use hull_types::{NotMatched, OsFamily, OsRelease, Package, PackageKind, Vulnerability};
use hull_version::{ApkVersion, DpkgVersion, RpmVersion, VersionError};

/// What matching found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MatchReport {
    pub vulnerabilities: Vec<Vulnerability>,
    pub not_matched: Vec<NotMatched>,
}

/// The OSV ecosystem names advisories for this OS use, most specific first.
pub fn ecosystems(os: &OsRelease) -> Vec<String> {
    let v = os.version_id.as_deref().unwrap_or("");
    let major = v.split('.').next().unwrap_or("");
    let major_minor: String = v.split('.').take(2).collect::<Vec<_>>().join(".");
    match os.family {
        OsFamily::Debian if !major.is_empty() => vec![format!("Debian:{major}")],
        OsFamily::Ubuntu if !v.is_empty() => vec![format!("Ubuntu:{v}:LTS"), format!("Ubuntu:{v}")],
        OsFamily::Alpine if !major_minor.is_empty() => vec![format!("Alpine:v{major_minor}")],
        OsFamily::Wolfi => vec!["Wolfi".into()],
        OsFamily::Chainguard => vec!["Chainguard".into()],
        OsFamily::Rocky if !major.is_empty() => vec![format!("Rocky Linux:{major}")],
        OsFamily::Alma if !major.is_empty() => vec![format!("AlmaLinux:{major}")],
        _ => vec![],
    }
}

/// A version parsed in its package manager's scheme.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Ver {
    Deb(DpkgVersion),
    Rpm(RpmVersion),
    Apk(ApkVersion),
}

impl Ver {
    fn parse(kind: PackageKind, s: &str) -> Result<Ver, VersionError> {
        Ok(match kind {
            PackageKind::Deb => Ver::Deb(s.parse()?),
            PackageKind::Rpm => Ver::Rpm(s.parse()?),
            PackageKind::Apk => Ver::Apk(s.parse()?),
            // Language ecosystems' orders are not written yet; callers check `is_os` first.
            PackageKind::Python
            | PackageKind::Npm
            | PackageKind::Cargo
            | PackageKind::Gem
            | PackageKind::Composer
            | PackageKind::Go
            | PackageKind::NuGet
            | PackageKind::Maven => {
                return Err(VersionError {
                    scheme: "language",
                    version: s.to_string(),
                    reason: "this ecosystem's version order is not implemented yet",
                })
            }
        })
    }
}

/// One affected entry with its versions parsed and its events sorted, once per package
/// name rather than once per installed package.
struct Compiled {
    versions: Vec<Ver>,
    /// Events of each non-GIT range, sorted by version (`introduced: 0` first).
    ranges: Vec<Vec<(Option<Ver>, Event)>>,
    notes: Vec<String>,
}

fn compile(kind: PackageKind, affected: &Affected) -> Compiled {
    let mut notes = Vec::new();
    let versions = affected
        .versions
        .iter()
        .filter_map(|v| Ver::parse(kind, v).ok())
        .collect();
    let mut ranges = Vec::new();
    for range in &affected.ranges {
        if range.kind == RangeKind::Git {
            notes.push("GIT range ignored".into());
            continue;
        }
        let mut events: Vec<(Option<Ver>, Event)> = Vec::new();
        for e in &range.events {
            let v = match e {
                Event::Introduced(v) if v == "0" => None,
                Event::Introduced(v)
                | Event::Fixed(v)
                | Event::LastAffected(v)
                | Event::Limit(v) => match Ver::parse(kind, v) {
                    Ok(p) => Some(p),
                    Err(_) => {
                        notes.push(format!("event version {v:?} unparsable; skipped"));
                        continue;
                    }
                },
            };
            events.push((v, e.clone()));
        }
        // None (introduced 0) sorts first, as the lowest version.
        events.sort_by(|a, b| a.0.cmp(&b.0));
        ranges.push(events);
    }
    Compiled {
        versions,
        ranges,
        notes,
    }
}

fn affected_by(version: &Ver, c: &Compiled) -> Option<Option<String>> {
    if c.versions.iter().any(|v| v == version) {
        return Some(None);
    }
    let mut hit: Option<Option<String>> = None;
    for events in &c.ranges {
        let mut on = false;
        let mut fix = None;
        for (ev_version, e) in events {
            let ord = match ev_version {
                None => Ordering::Less,
                Some(x) => x.cmp(version),
            };
            match e {
                Event::LastAffected(_) => {
                    if ord == Ordering::Less {
                        on = false;
                    } else {
                        break;
                    }
                }
                _ if ord == Ordering::Greater => {
                    if on {
                        if let Event::Fixed(f) = e {
                            fix = Some(f.clone());
                        }
                    }
                    break;
                }
                Event::Introduced(_) => on = true,
                Event::Fixed(_) | Event::Limit(_) => on = false,
            }
        }
        if on && hit.as_ref().is_none_or(|h| h.is_none()) {
            // Of several ranges, keep the one that names a fix.
            hit = Some(fix);
        }
    }
    hit
}

/// Whether `version` is affected by `affected`, and the fix above it. Ranges follow the OSV
/// specification: events sorted by version; `introduced` turns the range on, `fixed` and
/// `limit` off at their version, `last_affected` off above its version. GIT ranges are
/// skipped (hull has no commit graph), with a note. Events whose version does not parse in
/// the ecosystem's scheme are skipped, with a note.
pub fn is_affected(
    kind: PackageKind,
    version: &str,
    affected: &Affected,
    notes: &mut Vec<String>,
) -> Result<Option<Option<String>>, VersionError> {
    let v = Ver::parse(kind, version)?;
    let c = compile(kind, affected);
    notes.extend(c.notes.iter().cloned());
    Ok(affected_by(&v, &c))
}

/// The source name and version a distro advisory is keyed by.
fn key_of(p: &Package) -> (String, String) {
    match &p.source {
        Some(s) if p.kind != PackageKind::Rpm => (s.name.clone(), s.version.clone()),
        Some(s) => (s.name.clone(), p.version.clone()),
        None => (p.name.clone(), p.version.clone()),
    }
}

/// Matches every package against the database.
pub fn match_packages(
    db: &Database,
    os: Option<&OsRelease>,
    packages: &[Package],
) -> Result<MatchReport, DbError> {
    let mut report = MatchReport::default();
    let ecos = os.map(ecosystems).unwrap_or_default();
    if ecos.is_empty() {
        for p in packages {
            report.not_matched.push(NotMatched {
                package: p.name.clone(),
                version: p.version.clone(),
                reason: match os {
                    Some(o) => format!("no OSV ecosystem known for {o}"),
                    None => "operating system not detected".into(),
                },
            });
        }
        return Ok(report);
    }
    // (package index, primary id) -> finding
    let mut found: BTreeMap<(usize, String), Vulnerability> = BTreeMap::new();
    // (kind, ecosystem, name) -> advisories with their affected entries compiled
    type Entry = Vec<(Advisory, Vec<Compiled>)>;
    let mut cache: BTreeMap<(PackageKind, String, String), Entry> = BTreeMap::new();
    for (i, p) in packages.iter().enumerate() {
        if !p.kind.is_os() {
            report.not_matched.push(NotMatched {
                package: p.name.clone(),
                version: p.version.clone(),
                reason: format!("{} packages are not matched against advisories yet", p.kind),
            });
            continue;
        }
        let (name, version) = key_of(p);
        let installed = match Ver::parse(p.kind, &version) {
            Ok(v) => v,
            Err(e) => {
                report.not_matched.push(NotMatched {
                    package: p.name.clone(),
                    version: p.version.clone(),
                    reason: format!("unparsable version: {e}"),
                });
                continue;
            }
        };
        let mut names = vec![name.clone()];
        if p.kind == PackageKind::Rpm && p.name != name {
            names.push(p.name.clone());
        }
        for eco in &ecos {
            for n in &names {
                let key = (p.kind, eco.clone(), n.clone());
                if !cache.contains_key(&key) {
                    let advisories = db.affecting(eco, n)?;
                    let compiled = advisories
                        .into_iter()
                        .map(|adv| {
                            let c = adv
                                .affected
                                .iter()
                                .filter(|a| &a.ecosystem == eco && &a.name == n)
                                .map(|a| compile(p.kind, a))
                                .collect();
                            (adv, c)
                        })
                        .collect();
                    cache.insert(key.clone(), compiled);
                }
                for (adv, compiled) in &cache[&key] {
                    for c in compiled {
                        let Some(fixed) = affected_by(&installed, c) else {
                            continue;
                        };
                        let primary = adv.primary_id().to_string();
                        let v =
                            found
                                .entry((i, primary.clone()))
                                .or_insert_with(|| Vulnerability {
                                    package: p.name.clone(),
                                    kind: p.kind,
                                    version: p.version.clone(),
                                    id: primary.clone(),
                                    aliases: vec![],
                                    advisories: vec![],
                                    fixed: None,
                                    severity: None,
                                    summary: None,
                                    reason: String::new(),
                                });
                        for a in std::iter::once(&adv.id).chain(&adv.aliases) {
                            if *a != v.id && !v.aliases.contains(a) {
                                v.aliases.push(a.clone());
                            }
                        }
                        v.aliases.sort();
                        if !v.advisories.contains(&adv.id) {
                            v.advisories.push(adv.id.clone());
                            v.advisories.sort();
                        }
                        if let Some(f) = fixed {
                            let lower = match &v.fixed {
                                None => true,
                                Some(cur) => {
                                    match (Ver::parse(p.kind, &f), Ver::parse(p.kind, cur)) {
                                        (Ok(a), Ok(b)) => a < b,
                                        _ => false,
                                    }
                                }
                            };
                            if lower {
                                v.reason = format!("{eco} {n} {version} < fixed {f}");
                                v.fixed = Some(f);
                            }
                        } else if v.reason.is_empty() {
                            v.reason =
                                format!("{eco} {n} {version} is in an affected range with no fix");
                        }
                        if v.severity.is_none() {
                            v.severity.clone_from(&adv.severity);
                        }
                        if v.summary.is_none() {
                            v.summary.clone_from(&adv.summary);
                        }
                    }
                }
            }
        }
    }
    report.vulnerabilities = found.into_values().collect();
    report.vulnerabilities.sort();
    report.not_matched.sort();
    report.not_matched.dedup();
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn af(events: Vec<Event>) -> Affected {
        Affected {
            ecosystem: "Debian:12".into(),
            name: "openssl".into(),
            ranges: vec![hull_advisory::Range {
                kind: RangeKind::Ecosystem,
                events,
            }],
            versions: vec![],
        }
    }

    fn check(v: &str, a: &Affected) -> Option<Option<String>> {
        is_affected(PackageKind::Deb, v, a, &mut vec![]).unwrap()
    }

    #[test]
    fn introduced_fixed() {
        let a = af(vec![
            Event::Introduced("0".into()),
            Event::Fixed("3.0.13-1~deb12u1".into()),
        ]);
        assert_eq!(
            check("3.0.11-1~deb12u2", &a),
            Some(Some("3.0.13-1~deb12u1".into()))
        );
        assert_eq!(check("3.0.13-1~deb12u1", &a), None);
        assert_eq!(check("3.0.15-1~deb12u1", &a), None);
        // ~ sorts before the release: 3.0.13-1~deb12u1 < 3.0.13-1.
        assert_eq!(
            check("3.0.13-1~deb11u1", &a),
            Some(Some("3.0.13-1~deb12u1".into()))
        );
    }

    #[test]
    fn last_affected_limit_and_several_ranges() {
        let a = af(vec![
            Event::Introduced("1.0".into()),
            Event::LastAffected("1.4".into()),
        ]);
        assert_eq!(check("0.9", &a), None);
        assert_eq!(check("1.0", &a), Some(None));
        assert_eq!(check("1.4", &a), Some(None));
        assert_eq!(check("1.4.1", &a), None);
        let a = af(vec![
            Event::Introduced("0".into()),
            Event::Limit("2.0".into()),
        ]);
        assert_eq!(check("1.9", &a), Some(None));
        assert_eq!(check("2.0", &a), None);
        // Two intervals in one range: [1.0, 1.2) and [2.0, 2.3).
        let a = af(vec![
            Event::Introduced("2.0".into()),
            Event::Fixed("2.3".into()),
            Event::Introduced("1.0".into()),
            Event::Fixed("1.2".into()),
        ]);
        assert_eq!(check("1.1", &a), Some(Some("1.2".into())));
        assert_eq!(check("1.5", &a), None);
        assert_eq!(check("2.2", &a), Some(Some("2.3".into())));
        assert_eq!(check("2.3", &a), None);
    }

    #[test]
    fn versions_list_and_git_ranges() {
        let mut a = af(vec![]);
        a.versions = vec!["1.0-1".into()];
        a.ranges = vec![hull_advisory::Range {
            kind: RangeKind::Git,
            events: vec![Event::Introduced("0".into())],
        }];
        let mut notes = vec![];
        assert_eq!(
            is_affected(PackageKind::Deb, "1.0-1", &a, &mut notes).unwrap(),
            Some(None)
        );
        assert_eq!(
            is_affected(PackageKind::Deb, "1.0-2", &a, &mut notes).unwrap(),
            None
        );
        assert!(notes.iter().any(|n| n.contains("GIT")));
    }

    #[test]
    fn ecosystem_names() {
        let os = |id: &str, v: &str| OsRelease {
            family: OsFamily::from_os_release_id(id),
            id: id.into(),
            version_id: Some(v.into()),
            version_codename: None,
            pretty_name: None,
            distroless: false,
        };
        assert_eq!(ecosystems(&os("debian", "12")), vec!["Debian:12"]);
        assert_eq!(ecosystems(&os("alpine", "3.20.3")), vec!["Alpine:v3.20"]);
        assert_eq!(ecosystems(&os("rocky", "9.3")), vec!["Rocky Linux:9"]);
        assert_eq!(
            ecosystems(&os("ubuntu", "22.04")),
            vec!["Ubuntu:22.04:LTS", "Ubuntu:22.04"]
        );
    }
}
