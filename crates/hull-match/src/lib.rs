//! Matching an inventory against OSV advisories.
//!
//! Each package is looked up under its OSV ecosystems: OS packages under the image's OS
//! release (`Debian:12`, `Alpine:v3.20`, `Rocky Linux:9`, …) by their source package
//! (distro advisories are keyed by source: dpkg `Source:`, apk origin, rpm source RPM);
//! language packages under their registry (`PyPI`, `npm`, `crates.io`, `Go`, `Maven`,
//! `RubyGems`, `Packagist`, `NuGet`) by name, folded as the registry folds names. The
//! installed version is placed in each range with the ecosystem's own order
//! ([`hull_version::Scheme`]); advisories for the same vulnerability (a CVE, a GHSA, the
//! distro's own id) are merged into one finding, which says which range matched and why.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};

use hull_advisory::{Advisory, Affected, Database, DbError, Event, RangeKind, SeveritySource};
use hull_types::{
    NotMatched, OsFamily, OsRelease, Package, PackageKind, Score, Severity, Vulnerability,
};
use hull_version::{Scheme, Version, VersionError};

/// What matching found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MatchReport {
    /// The findings, one per package and vulnerability (aliases merged).
    pub vulnerabilities: Vec<Vulnerability>,
    /// Packages that could not be checked, with the reason.
    pub not_matched: Vec<NotMatched>,
}

/// The version order of a package kind.
pub fn scheme(kind: PackageKind) -> Scheme {
    match kind {
        PackageKind::Deb => Scheme::Dpkg,
        PackageKind::Rpm => Scheme::Rpm,
        PackageKind::Apk => Scheme::Apk,
        PackageKind::Python => Scheme::Pep440,
        PackageKind::Npm | PackageKind::Cargo => Scheme::SemVer,
        PackageKind::Go => Scheme::Go,
        PackageKind::Maven => Scheme::Maven,
        PackageKind::Gem => Scheme::RubyGems,
        PackageKind::NuGet => Scheme::NuGet,
        PackageKind::Composer => Scheme::Composer,
    }
}

/// The OSV ecosystems advisories for this OS use, most specific first. Some families'
/// ecosystem names carry more than the OS release says (Red Hat's repository streams,
/// SUSE's product names), so those are picked from the ecosystems the database holds.
pub fn ecosystems(os: &OsRelease, available: &[String]) -> Vec<String> {
    let v = os.version_id.as_deref().unwrap_or("");
    let major = v.split('.').next().unwrap_or("");
    let major_minor: String = v.split('.').take(2).collect::<Vec<_>>().join(".");
    let pick = |f: &dyn Fn(&str) -> bool| -> Vec<String> {
        available.iter().filter(|e| f(e)).cloned().collect()
    };
    match os.family {
        OsFamily::Debian if !major.is_empty() => vec![format!("Debian:{major}")],
        OsFamily::Ubuntu if !v.is_empty() => vec![format!("Ubuntu:{v}:LTS"), format!("Ubuntu:{v}")],
        OsFamily::Alpine if !major_minor.is_empty() => vec![format!("Alpine:v{major_minor}")],
        OsFamily::Wolfi => vec!["Wolfi".into()],
        OsFamily::Chainguard => vec!["Chainguard".into()],
        OsFamily::Rocky if !major.is_empty() => vec![format!("Rocky Linux:{major}")],
        OsFamily::Alma if !major.is_empty() => vec![format!("AlmaLinux:{major}")],
        // `Red Hat:enterprise_linux:9::appstream`, `…:9::baseos`, …
        OsFamily::Rhel if !major.is_empty() => {
            let exact = format!("Red Hat:enterprise_linux:{major}");
            let stream = format!("{exact}::");
            pick(&|e| e == exact || e.starts_with(&stream))
        }
        // `SUSE:Linux Enterprise Server 15 SP5`, `SUSE:Linux Enterprise Module for Basesystem 15 SP5`.
        OsFamily::Suse if !major.is_empty() => {
            let sp = v.split('.').nth(1).filter(|m| *m != "0");
            let tail = match sp {
                Some(m) => format!(" {major} SP{m}"),
                None => format!(" {major}"),
            };
            pick(&|e| e.starts_with("SUSE:") && e.ends_with(&tail))
        }
        OsFamily::Opensuse if os.id == "opensuse-tumbleweed" => vec!["openSUSE:Tumbleweed".into()],
        OsFamily::Opensuse if !v.is_empty() => vec![format!("openSUSE:Leap {v}")],
        _ => vec![],
    }
}

/// The registry a language package is published in, as OSV names it (Packagist with its
/// repository variants, `Packagist:https://packages.drupal.org/8`).
fn language_ecosystems(kind: PackageKind, available: &[String]) -> Vec<String> {
    let Some(e) = hull_types::OsvEcosystem::of_language(kind) else {
        return vec![];
    };
    let mut v = vec![e.name().to_string()];
    if e == hull_types::OsvEcosystem::Packagist {
        let variant = format!("{}:", e.name());
        v.extend(
            available
                .iter()
                .filter(|a| a.starts_with(&variant))
                .cloned(),
        );
    }
    v
}

/// The scheme a range's events are read in: the package's own, except that a `SEMVER`
/// range of an ecosystem with another order is read as SemVer on both sides.
fn range_scheme(package: Scheme, kind: RangeKind) -> Scheme {
    match (kind, package) {
        (RangeKind::Semver, Scheme::SemVer | Scheme::Go) => package,
        (RangeKind::Semver, _) => Scheme::SemVer,
        _ => package,
    }
}

struct CompiledRange {
    scheme: Scheme,
    kind: RangeKind,
    /// Events sorted by version, `introduced: 0` (None) first.
    events: Vec<(Option<Version>, Event)>,
}

/// One affected entry with its versions parsed and its events sorted, once per package
/// name rather than once per installed package.
struct Compiled {
    /// Which of the advisory's affected entries this is (its `versions` list is read there).
    index: usize,
    ranges: Vec<CompiledRange>,
    notes: Vec<String>,
}

fn compile(package: Scheme, index: usize, affected: &Affected) -> Compiled {
    let mut notes = Vec::new();
    let mut ranges = Vec::new();
    for range in &affected.ranges {
        if range.kind == RangeKind::Git {
            notes.push("GIT range ignored (hull has no commit graph)".into());
            continue;
        }
        let scheme = range_scheme(package, range.kind);
        let mut events: Vec<(Option<Version>, Event)> = Vec::new();
        for e in &range.events {
            let v = match e {
                Event::Introduced(v) if v == "0" => None,
                Event::Introduced(v)
                | Event::Fixed(v)
                | Event::LastAffected(v)
                | Event::Limit(v) => match scheme.parse(v) {
                    Ok(p) => Some(p),
                    Err(_) => {
                        notes.push(format!("event version {v:?} unparsable; skipped"));
                        continue;
                    }
                },
            };
            events.push((v, e.clone()));
        }
        events.sort_by(|a, b| a.0.cmp(&b.0));
        ranges.push(CompiledRange {
            scheme,
            kind: range.kind,
            events,
        });
    }
    Compiled {
        index,
        ranges,
        notes,
    }
}

/// An installed version, parsed lazily in each scheme a range asks for.
struct Installed<'a> {
    text: &'a str,
    parsed: HashMap<Scheme, Result<Version, VersionError>>,
}

impl<'a> Installed<'a> {
    fn new(text: &'a str) -> Self {
        Installed {
            text,
            parsed: HashMap::new(),
        }
    }
    fn get(&mut self, scheme: Scheme) -> Result<&Version, &VersionError> {
        self.parsed
            .entry(scheme)
            .or_insert_with(|| scheme.parse(self.text))
            .as_ref()
    }
}

/// Why a version is affected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hit {
    /// The version that ends the matching interval, if it is a fix.
    pub fixed: Option<String>,
    /// The interval, as the events wrote it (`introduced 0, fixed 2.20.0 (ECOSYSTEM)`).
    pub range: String,
}

fn event_text(e: &Event) -> String {
    match e {
        Event::Introduced(v) => format!("introduced {v}"),
        Event::Fixed(v) => format!("fixed {v}"),
        Event::LastAffected(v) => format!("last_affected {v}"),
        Event::Limit(v) => format!("limit {v}"),
    }
}

/// A hit as matching finds it, described in words only when a finding keeps it.
struct RawHit<'c> {
    fixed: Option<&'c str>,
    /// The interval's opening event, its closing event and the range's kind; `None` when
    /// the version is in the explicit list.
    range: Option<(&'c Event, Option<&'c Event>, RangeKind)>,
}

impl RawHit<'_> {
    fn describe(&self) -> String {
        match self.range {
            None => "listed in the advisory's affected versions".into(),
            Some((start, end, kind)) => {
                let kind = match kind {
                    RangeKind::Semver => "SEMVER",
                    _ => "ECOSYSTEM",
                };
                match end {
                    Some(e) => format!("{}, {} ({kind})", event_text(start), event_text(e)),
                    None => format!("{}, no upper bound ({kind})", event_text(start)),
                }
            }
        }
    }
}

fn affected_by<'c>(
    installed: &mut Installed<'_>,
    package: Scheme,
    c: &'c Compiled,
    versions: &[String],
) -> Option<RawHit<'c>> {
    let mut hit: Option<RawHit<'c>> = None;
    for r in &c.ranges {
        let Ok(version) = installed.get(r.scheme) else {
            continue;
        };
        let mut on: Option<&Event> = None;
        let mut end: Option<&Event> = None;
        for (ev_version, e) in &r.events {
            let ord = match ev_version {
                None => Ordering::Less,
                Some(x) => x.cmp(version),
            };
            match e {
                Event::LastAffected(_) => {
                    if ord == Ordering::Less {
                        on = None;
                    } else {
                        if on.is_some() {
                            end = Some(e);
                        }
                        break;
                    }
                }
                _ if ord == Ordering::Greater => {
                    if on.is_some() {
                        end = Some(e);
                    }
                    break;
                }
                Event::Introduced(_) => on = Some(e),
                Event::Fixed(_) | Event::Limit(_) => on = None,
            }
        }
        let Some(start) = on else { continue };
        let fixed = match end {
            Some(Event::Fixed(f)) => Some(f.as_str()),
            _ => None,
        };
        // Of several ranges, keep one that names a fix.
        if hit.as_ref().is_none_or(|h| h.fixed.is_none()) {
            hit = Some(RawHit {
                fixed,
                range: Some((start, end, r.kind)),
            });
        }
    }
    if hit.is_some() || versions.is_empty() {
        return hit;
    }
    // The explicit list, for versions no range covers (the ranges, where present, also say
    // what fixes it).
    let own = installed.get(package).ok().cloned();
    let listed = versions.iter().any(|v| {
        v == installed.text
            || own
                .as_ref()
                .is_some_and(|o| package.parse(v).is_ok_and(|p| &p == o))
    });
    listed.then_some(RawHit {
        fixed: None,
        range: None,
    })
}

/// Whether `version` of a package of `kind` is affected by `affected`, and why. Ranges
/// follow the OSV specification: events sorted by version; `introduced` turns the range on,
/// `fixed` and `limit` off at their version, `last_affected` off above its version; the
/// `versions` list matches exactly. GIT ranges are skipped (hull has no commit graph), with
/// a note; events whose version does not parse in the scheme are skipped, with a note.
pub fn is_affected(
    kind: PackageKind,
    version: &str,
    affected: &Affected,
    notes: &mut Vec<String>,
) -> Result<Option<Hit>, VersionError> {
    let s = scheme(kind);
    let mut installed = Installed::new(version);
    installed.get(s).map_err(Clone::clone)?;
    let c = compile(s, 0, affected);
    notes.extend(c.notes.iter().cloned());
    Ok(
        affected_by(&mut installed, s, &c, &affected.versions).map(|h| Hit {
            fixed: h.fixed.map(str::to_string),
            range: h.describe(),
        }),
    )
}

/// The name and version an advisory is keyed by: the source package for distro packages.
fn key_of(p: &Package) -> (String, String) {
    match &p.source {
        Some(s) if p.kind == PackageKind::Rpm => (s.name.clone(), p.version.clone()),
        Some(s) if p.kind.is_os() => (s.name.clone(), s.version.clone()),
        _ => (p.name.clone(), p.version.clone()),
    }
}

/// A lookup: the scheme versions are read in, the ecosystem, the package name.
type Key = (Scheme, String, String);
/// The advisories of one lookup, each with its matching affected entries compiled.
type Entry = Vec<(Advisory, Option<hull_advisory::Rating>, Vec<Compiled>)>;

fn lookup(db: &Database, (scheme, eco, name): &Key) -> Result<Entry, DbError> {
    let want = hull_advisory::package_key(eco, name);
    Ok(db
        .affecting(eco, name)?
        .into_iter()
        .map(|adv| {
            let c = adv
                .affected
                .iter()
                .enumerate()
                .filter(|(_, a)| {
                    &a.ecosystem == eco && hull_advisory::package_key(eco, &a.name) == want
                })
                .map(|(i, a)| compile(*scheme, i, a))
                .collect();
            let rating = adv.rating();
            (adv, rating, c)
        })
        .collect())
}

/// How good a finding's severity is: the rank of its source (lower is better), then level.
type SeverityRank = (u8, Severity);

fn source_rank(s: SeveritySource) -> u8 {
    match s {
        SeveritySource::Cvss => 0,
        SeveritySource::Database => 1,
        SeveritySource::CvssV2 => 2,
    }
}

/// The lookups a package needs: its scheme, each of its ecosystems, each name it is known by.
fn keys_for(db: &Database, p: &Package, os_ecos: &[String], available: &[String]) -> Vec<Key> {
    let ecos = if p.kind.is_os() {
        os_ecos.to_vec()
    } else {
        language_ecosystems(p.kind, available)
    };
    let (name, _) = key_of(p);
    let mut names = vec![name.clone()];
    if p.kind == PackageKind::Rpm && p.name != name {
        names.push(p.name.clone());
    }
    let s = scheme(p.kind);
    ecos.iter()
        .flat_map(|e| {
            let inferred = inferred_group_name(db, e, p);
            names
                .iter()
                .chain(&inferred)
                .map(move |n| (s, e.clone(), n.clone()))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// A Maven archive whose group hull inferred (no `pom.properties` named it) is also looked up
/// under the one group the database knows its artifact by, as Trivy does with its Maven
/// index: Tomcat's `catalina.jar` names itself `tomcat-catalina`, and the advisories say
/// `org.apache.tomcat:tomcat-catalina`. An artifact the database knows under several groups
/// (`snakeyaml`: `org.yaml`, and forks) is not guessed at.
fn inferred_group_name(db: &Database, eco: &str, p: &Package) -> Option<String> {
    if p.kind != PackageKind::Maven || !p.group_inferred {
        return None;
    }
    let (_, artifact) = p.name.split_once(':')?;
    let names = db.names_ending(eco, &format!(":{artifact}")).ok()?;
    match names.as_slice() {
        [one] if *one != p.name => Some(one.clone()),
        _ => None,
    }
}

/// Looks advisories up on a thread of its own while the image is still being read, from
/// the packages each layer reports ([`Prefetch::hint`]); matching then finds most lookups
/// done. A layer's packages may not survive the merge (a later layer may delete them):
/// such lookups are wasted, never wrong, and any lookup not prefetched is done at the end.
pub struct Prefetch {
    tx: Option<std::sync::mpsc::Sender<(Option<OsRelease>, Vec<Package>)>>,
    handle: Option<std::thread::JoinHandle<BTreeMap<Key, Entry>>>,
}

impl Prefetch {
    /// Starts the lookup thread with a connection of its own.
    pub fn start(db: &Database) -> Self {
        let path = db.path().to_path_buf();
        let (tx, rx) = std::sync::mpsc::channel::<(Option<OsRelease>, Vec<Package>)>();
        let handle = std::thread::spawn(move || {
            let mut cache: BTreeMap<Key, Entry> = BTreeMap::new();
            let Ok(conn) = Database::open(&path) else {
                return cache;
            };
            let available = conn.ecosystems().unwrap_or_default();
            let mut os_ecos: Option<Vec<String>> = None;
            let mut waiting: Vec<Package> = Vec::new();
            for (os, packages) in rx {
                if let (None, Some(os)) = (&os_ecos, os) {
                    os_ecos = Some(ecosystems(&os, &available));
                }
                let mut todo = packages;
                if os_ecos.is_some() {
                    todo.append(&mut waiting);
                }
                for p in todo {
                    // OS packages wait for the layer that says which OS this is.
                    if p.kind.is_os() && os_ecos.is_none() {
                        waiting.push(p);
                        continue;
                    }
                    for key in keys_for(&conn, &p, os_ecos.as_deref().unwrap_or(&[]), &available) {
                        if let std::collections::btree_map::Entry::Vacant(slot) = cache.entry(key) {
                            if let Ok(e) = lookup(&conn, slot.key()) {
                                slot.insert(e);
                            }
                        }
                    }
                }
            }
            cache
        });
        Prefetch {
            tx: Some(tx),
            handle: Some(handle),
        }
    }

    /// Packages (and the OS release, if this layer says it) one layer reported.
    pub fn hint(&self, os: Option<&OsRelease>, packages: &[Package]) {
        if let Some(tx) = &self.tx {
            let _ = tx.send((os.cloned(), packages.to_vec()));
        }
    }

    fn finish(mut self) -> BTreeMap<Key, Entry> {
        drop(self.tx.take());
        self.handle
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default()
    }
}

/// Matches every package against the database.
pub fn match_packages(
    db: &Database,
    os: Option<&OsRelease>,
    packages: &[Package],
) -> Result<MatchReport, DbError> {
    match_prefetched(db, os, packages, None)
}

/// [`match_packages`], with the lookups a [`Prefetch`] already did.
pub fn match_prefetched(
    db: &Database,
    os: Option<&OsRelease>,
    packages: &[Package],
    prefetch: Option<Prefetch>,
) -> Result<MatchReport, DbError> {
    let mut report = MatchReport::default();
    let available = db.ecosystems()?;
    let os_ecos = os.map(|o| ecosystems(o, &available)).unwrap_or_default();
    // (package index, primary id) -> finding, with the rank of its severity's source
    let mut found: BTreeMap<(usize, String), (Vulnerability, Option<SeverityRank>)> =
        BTreeMap::new();
    let mut cache: BTreeMap<Key, Entry> = prefetch.map(Prefetch::finish).unwrap_or_default();
    // What each package looks up, decided first so the lookups not prefetched (SQLite
    // reads, decoding, compiling ranges: most of matching's time) run in parallel, once
    // per distinct key.
    let plans: Vec<Vec<Key>> = packages
        .iter()
        .map(|p| keys_for(db, p, &os_ecos, &available))
        .collect();
    let mut keys: Vec<&Key> = plans
        .iter()
        .flatten()
        .filter(|k| !cache.contains_key(*k))
        .collect();
    keys.sort();
    keys.dedup();
    // One chunk per core; this thread uses the open connection, the others open their own
    // (a SQLite connection is not shared between threads).
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(keys.len().div_ceil(16))
        .max(1);
    let chunks: Vec<&[&Key]> = keys.chunks(keys.len().div_ceil(threads).max(1)).collect();
    let fetch = |conn: &Database, chunk: &[&Key]| -> Result<Vec<(Key, Entry)>, DbError> {
        chunk
            .iter()
            .map(|k| Ok(((*k).clone(), lookup(conn, k)?)))
            .collect()
    };
    let path = db.path();
    let fetched: Vec<Result<Vec<(Key, Entry)>, DbError>> = std::thread::scope(|scope| {
        let others: Vec<_> = chunks
            .iter()
            .skip(1)
            .map(|chunk| {
                scope.spawn(move || {
                    let conn = Database::open(path)?;
                    fetch(&conn, chunk)
                })
            })
            .collect();
        let mut all = vec![chunks.first().map_or(Ok(Vec::new()), |c| fetch(db, c))];
        all.extend(others.into_iter().map(|h| {
            h.join()
                .unwrap_or_else(|_| Err(DbError::Missing("a matching thread panicked".into())))
        }));
        all
    });
    for f in fetched {
        cache.extend(f?);
    }
    for (i, p) in packages.iter().enumerate() {
        if p.kind.is_os() && os_ecos.is_empty() {
            report.not_matched.push(NotMatched {
                package: p.name.clone(),
                version: p.version.clone(),
                reason: match os {
                    Some(o) => format!("no OSV ecosystem known for {o}"),
                    None => "operating system not detected".into(),
                },
            });
            continue;
        }
        let pkg_scheme = scheme(p.kind);
        let (_, version) = key_of(p);
        let mut installed = Installed::new(&version);
        if let Err(e) = installed.get(pkg_scheme) {
            report.not_matched.push(NotMatched {
                package: p.name.clone(),
                version: p.version.clone(),
                reason: format!("unparsable version: {e}"),
            });
            continue;
        }
        // Each ecosystem, each name the package is known by (`keys_for`).
        for key in &plans[i] {
            let (_, eco, n) = key;
            for (adv, rating, compiled) in &cache[key] {
                for c in compiled {
                    let versions = &adv.affected[c.index].versions;
                    let Some(hit) = affected_by(&mut installed, pkg_scheme, c, versions) else {
                        continue;
                    };
                    let primary = adv.primary_id().to_string();
                    let (v, rank) = found.entry((i, primary.clone())).or_insert_with(|| {
                        (
                            Vulnerability {
                                package: p.name.clone(),
                                kind: p.kind,
                                version: p.version.clone(),
                                id: primary.clone(),
                                aliases: vec![],
                                advisories: vec![],
                                fixed: None,
                                severity: Severity::Unknown,
                                severity_source: None,
                                score: None,
                                cvss: None,
                                summary: None,
                                references: vec![],
                                location: Some(p.location.clone()),
                                reason: String::new(),
                            },
                            None,
                        )
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
                    let why = || {
                        let inferred = if p.kind == PackageKind::Maven && *n != p.name {
                            format!(" (as {}'s group was inferred)", p.name)
                        } else {
                            String::new()
                        };
                        format!(
                            "{eco} {n} {version}{inferred}: {} in {}",
                            hit.describe(),
                            adv.id
                        )
                    };
                    if let Some(f) = hit.fixed {
                        let lower = match &v.fixed {
                            None => true,
                            Some(cur) => match (pkg_scheme.parse(f), pkg_scheme.parse(cur)) {
                                (Ok(a), Ok(b)) => a < b,
                                _ => false,
                            },
                        };
                        if lower {
                            v.reason = why();
                            v.fixed = Some(f.to_string());
                        }
                    } else if v.reason.is_empty() {
                        v.reason = why();
                    }
                    if let Some(r) = rating {
                        let this = (source_rank(r.source), r.level);
                        let better = match rank {
                            None => true,
                            Some((best_src, best_level)) => {
                                this.0 < *best_src || (this.0 == *best_src && this.1 > *best_level)
                            }
                        };
                        if better {
                            *rank = Some(this);
                            v.severity = r.level;
                            v.score = r.score.and_then(Score::new);
                            v.cvss = r.vector.clone();
                            v.severity_source = Some(match r.source {
                                SeveritySource::Cvss | SeveritySource::CvssV2 => format!(
                                    "{} of {}",
                                    r.vector
                                        .as_deref()
                                        .and_then(|x| x.split('/').next())
                                        .unwrap_or("CVSS"),
                                    adv.id
                                ),
                                SeveritySource::Database => format!(
                                    "{} stated by {}",
                                    adv.severity.as_deref().unwrap_or(""),
                                    adv.id
                                ),
                            });
                        }
                    }
                    if v.summary.is_none() {
                        v.summary.clone_from(&adv.summary);
                    }
                    for r in &adv.references {
                        if !v.references.contains(r) {
                            v.references.push(r.clone());
                        }
                    }
                }
            }
        }
    }
    // Freeing thousands of decoded advisories is a measurable share of a scan; the caller
    // does not wait for it.
    std::thread::spawn(move || drop(cache));
    report.vulnerabilities = found.into_values().map(|(v, _)| v).collect();
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
        is_affected(PackageKind::Deb, v, a, &mut vec![])
            .unwrap()
            .map(|h| h.fixed)
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
        let hit = is_affected(PackageKind::Deb, "1.0-1", &a, &mut notes)
            .unwrap()
            .unwrap();
        assert_eq!(hit.fixed, None);
        assert!(hit.range.contains("listed"));
        assert_eq!(
            is_affected(PackageKind::Deb, "1.0-2", &a, &mut notes).unwrap(),
            None
        );
        assert!(notes.iter().any(|n| n.contains("GIT")));
    }

    #[test]
    fn language_schemes_and_semver_ranges() {
        let npm = |events| Affected {
            ecosystem: "npm".into(),
            name: "lodash".into(),
            ranges: vec![hull_advisory::Range {
                kind: RangeKind::Semver,
                events,
            }],
            versions: vec![],
        };
        let a = npm(vec![
            Event::Introduced("0".into()),
            Event::Fixed("4.17.12".into()),
        ]);
        let hit = is_affected(PackageKind::Npm, "4.17.11", &a, &mut vec![])
            .unwrap()
            .unwrap();
        assert_eq!(hit.fixed.as_deref(), Some("4.17.12"));
        assert_eq!(hit.range, "introduced 0, fixed 4.17.12 (SEMVER)");
        assert_eq!(
            is_affected(PackageKind::Npm, "4.17.12", &a, &mut vec![]).unwrap(),
            None
        );
        // A SEMVER range on an ecosystem with its own order reads both sides as SemVer.
        assert!(is_affected(PackageKind::Python, "1.2.0", &a, &mut vec![])
            .unwrap()
            .is_some());
        assert!(is_affected(PackageKind::Python, "5.0.0", &a, &mut vec![])
            .unwrap()
            .is_none());
        // PEP 440: 2.19.0 < 2.20.0; pre-releases below the release.
        let mut py = npm(vec![
            Event::Introduced("0".into()),
            Event::Fixed("2.20.0".into()),
        ]);
        py.ranges[0].kind = RangeKind::Ecosystem;
        for (v, affected) in [
            ("2.19.0", true),
            ("2.20.0rc1", true),
            ("2.20.0", false),
            ("2.20.0.post1", false),
        ] {
            assert_eq!(
                is_affected(PackageKind::Python, v, &py, &mut vec![])
                    .unwrap()
                    .is_some(),
                affected,
                "{v}"
            );
        }
        // An unparsable installed version is an error, never "not affected".
        assert!(is_affected(PackageKind::Python, "not a version", &py, &mut vec![]).is_err());
        // Maven: 2.14.1 < 2.15.0; the `-rc1` of the fix is below the fix.
        let mut mv = py.clone();
        mv.ranges[0].events = vec![
            Event::Introduced("2.0-beta9".into()),
            Event::Fixed("2.15.0".into()),
        ];
        for (v, affected) in [
            ("2.14.1", true),
            ("2.15.0-rc1", true),
            ("2.15.0", false),
            ("2.0-alpha1", false),
        ] {
            assert_eq!(
                is_affected(PackageKind::Maven, v, &mv, &mut vec![])
                    .unwrap()
                    .is_some(),
                affected,
                "{v}"
            );
        }
        // Go: the `v` and `+incompatible` are ignored.
        let mut go = npm(vec![
            Event::Introduced("0".into()),
            Event::Fixed("1.5.2".into()),
        ]);
        go.ecosystem = "Go".into();
        assert!(
            is_affected(PackageKind::Go, "1.5.1+incompatible", &go, &mut vec![])
                .unwrap()
                .is_some()
        );
        assert!(is_affected(PackageKind::Go, "v1.5.2", &go, &mut vec![])
            .unwrap()
            .is_none());
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
        let none: Vec<String> = vec![];
        assert_eq!(ecosystems(&os("debian", "12"), &none), vec!["Debian:12"]);
        assert_eq!(
            ecosystems(&os("alpine", "3.20.3"), &none),
            vec!["Alpine:v3.20"]
        );
        assert_eq!(
            ecosystems(&os("rocky", "9.3"), &none),
            vec!["Rocky Linux:9"]
        );
        assert_eq!(
            ecosystems(&os("ubuntu", "22.04"), &none),
            vec!["Ubuntu:22.04:LTS", "Ubuntu:22.04"]
        );
        assert_eq!(
            ecosystems(&os("opensuse-leap", "15.5"), &none),
            vec!["openSUSE:Leap 15.5"]
        );
        let available: Vec<String> = [
            "Red Hat:enterprise_linux:9::appstream",
            "Red Hat:enterprise_linux:9::baseos",
            "Red Hat:enterprise_linux:8::appstream",
            "SUSE:Linux Enterprise Server 15 SP5",
            "SUSE:Linux Enterprise Module for Basesystem 15 SP5",
            "SUSE:Linux Enterprise Server 15 SP4",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            ecosystems(&os("rhel", "9.4"), &available),
            vec![
                "Red Hat:enterprise_linux:9::appstream",
                "Red Hat:enterprise_linux:9::baseos"
            ]
        );
        assert_eq!(
            ecosystems(&os("sles", "15.5"), &available),
            vec![
                "SUSE:Linux Enterprise Server 15 SP5",
                "SUSE:Linux Enterprise Module for Basesystem 15 SP5"
            ]
        );
    }
}
