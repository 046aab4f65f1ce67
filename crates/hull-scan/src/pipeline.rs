//! The whole scan, from a [`ScanPlan`] to a finished [`Outcome`]: open the target (an SBOM
//! or an image), load the rules the scanners need, read the layers (cached ones from the
//! layer cache, advisory lookups overlapping the reads), match, add what the image config
//! and history reveal, run the configuration checks, and build the report through its one
//! sorting constructor. Policy is a separate step on the finished report (`hull-policy`).

use std::path::Path;
use std::sync::Arc;

use hull_image::{Image, SourceKind};
use hull_types::{ImageSummary, ReportParts, ScanReport, Scanner, Warning};

use crate::config::{check_image_config, collect_config_files, config_detections, config_secrets};
use crate::dispatch::SecretOptions;
use crate::layers::{self, LayerHook, LayerOptions};
use crate::plan::{ConfigChecked, ConfigInput, Outcome, Progress, ScanPlan, Target};
use crate::{Cache, ScanError};

/// Runs a plan to its report. `progress` sees the layer reads.
///
/// ```no_run
/// use hull_scan::{run, ScanPlan, Target};
/// let mut plan = ScanPlan::new(Target::Image {
///     target: "app.tar".into(),
///     open: Default::default(),
/// });
/// plan.scanners.insert(hull_types::Scanner::Secret);
/// let outcome = run(&plan, None)?;
/// println!("{} secrets", outcome.report.secrets.len());
/// # Ok::<(), hull_scan::ScanError>(())
/// ```
pub fn run(plan: &ScanPlan, progress: Option<Arc<dyn Progress>>) -> Result<Outcome, ScanError> {
    match &plan.target {
        Target::Image { target, open } => scan(plan, target, open, progress),
        Target::Config(inputs) => check_config(plan, inputs),
    }
}

/// Matches a finished report's inventory again against `db`, without its image: what the
/// server does to every stored report when the advisory database changes. The
/// vulnerabilities (and the packages that could not be checked) are replaced; every other
/// finding stays as the scan left it, and the policy's decision is dropped (judge again).
pub fn rematch(report: ScanReport, db: &hull_advisory::Database) -> Result<ScanReport, ScanError> {
    let (image, mut parts) = report.into_parts();
    let m = hull_match::match_prefetched(db, image.os.as_ref(), &parts.packages, None)
        .map_err(ScanError::Match)?;
    parts.vulnerabilities = m.vulnerabilities;
    parts.not_matched = m.not_matched;
    Ok(ScanReport::new(image, parts))
}

/// What the target turned out to be.
enum Opened {
    Sbom(ImageSummary, ReportParts),
    Image(Image),
}

fn open_target(target: &str, open: &hull_image::OpenOptions) -> Result<Opened, ScanError> {
    let path = Path::new(target);
    // An SBOM file is matched as it is; anything else is an image.
    if matches!(open.kind, None | Some(SourceKind::Sbom)) && path.is_file() {
        if let Some((image, parts)) = crate::sbom::read_sbom(path)? {
            return Ok(Opened::Sbom(image, parts));
        }
    }
    if open.kind == Some(SourceKind::Sbom) {
        return Err(ScanError::NotSbom {
            path: target.to_string(),
        });
    }
    Ok(Opened::Image(hull_image::open(target, open)?))
}

fn scan(
    plan: &ScanPlan,
    target: &str,
    open: &hull_image::OpenOptions,
    progress: Option<Arc<dyn Progress>>,
) -> Result<Outcome, ScanError> {
    let (image, sbom) = match open_target(target, open)? {
        Opened::Image(i) => (Some(i), None),
        Opened::Sbom(summary, parts) => (None, Some((summary, parts))),
    };
    let image = image.as_ref();
    let mut notices = Vec::new();
    let scanners = effective_scanners(plan)?;
    let detector = load_detector(plan, &scanners, &mut notices)?;
    let secrets = load_secrets(plan, &scanners, image, &mut notices)?;
    let cache = open_cache(plan, detector.as_deref(), secrets.as_ref())?;

    let advisories = if scanners.contains(&Scanner::Vuln) {
        open_advisories(plan, &mut notices)?
    } else {
        None
    };
    // Advisory lookups start while the layers are still being read: each layer's packages
    // are looked up as soon as that layer is done.
    let prefetch = match (&advisories, image) {
        (Some(db), Some(_)) => Some(Arc::new(hull_match::Prefetch::start(db))),
        _ => None,
    };
    let on_layer: Option<Arc<LayerHook>> = prefetch.clone().map(|p| {
        Arc::new(move |r: &crate::LayerResult| {
            let (packages, os) = r.packages_and_os();
            p.hint(os.as_ref(), &packages);
        }) as Arc<LayerHook>
    });

    let (summary, mut parts) = match (sbom, image) {
        (Some(read), _) => read,
        (None, None) => unreachable!("open_target gives an SBOM or an image"),
        (None, Some(image)) => {
            let opts = LayerOptions {
                cache,
                limits: plan.limits,
                progress,
                secrets: secrets.clone(),
                on_layer,
                malware: detector.clone(),
            };
            let scanned = layers::scan_image(image, &opts)?;
            let mut parts = scanned.parts;
            if scanners.contains(&Scanner::Misconfig) {
                misconfig(plan, image, &scanned.modes, &mut parts);
            }
            (scanned.image, parts)
        }
    };

    if let Some(db) = &advisories {
        let prefetch = prefetch.and_then(Arc::into_inner);
        let m = hull_match::match_prefetched(db, summary.os.as_ref(), &parts.packages, prefetch)
            .map_err(ScanError::Match)?;
        // Every finding is kept: what is shown and what fails is the policy's to decide.
        parts.vulnerabilities = m.vulnerabilities;
        parts.not_matched = m.not_matched;
    }
    if let Some(image) = image {
        if let Some(d) = &detector {
            parts.detections.extend(config_detections(image, d));
        }
        if let Some(s) = &secrets {
            parts.secrets.extend(config_secrets(image, s));
        }
    }
    Ok(Outcome {
        report: ScanReport::new(summary, parts),
        notices,
        vulnerabilities_checked: advisories.is_some(),
        config_checked: None,
    })
}

/// The scanners that run: the plan's, plus those its rule files imply.
fn effective_scanners(plan: &ScanPlan) -> Result<std::collections::BTreeSet<Scanner>, ScanError> {
    let mut scanners = plan.scanners.clone();
    let m = &plan.malware;
    // Rules, hash lists and indicator sets given on the command line turn their scanner on.
    if !m.yara.is_empty() || !m.hashes.is_empty() || m.clamd.is_some() {
        scanners.insert(Scanner::Malware);
    }
    if !m.iocs.is_empty() {
        scanners.insert(Scanner::Ioc);
    }
    if scanners.contains(&Scanner::Ioc) && m.iocs.is_empty() {
        return Err(ScanError::NoIndicators);
    }
    Ok(scanners)
}

fn load_detector(
    plan: &ScanPlan,
    scanners: &std::collections::BTreeSet<Scanner>,
    notices: &mut Vec<String>,
) -> Result<Option<Arc<hull_malware::Detector>>, ScanError> {
    let malware = scanners.contains(&Scanner::Malware);
    let ioc = scanners.contains(&Scanner::Ioc);
    if !malware && !ioc {
        return Ok(None);
    }
    let opts = hull_malware::Options {
        malware,
        ioc,
        now: plan.now,
        ..plan.malware.clone()
    };
    let (d, warnings) = hull_malware::Detector::load(&opts)?;
    notices.extend(warnings);
    Ok(Some(Arc::new(d)))
}

fn load_secrets(
    plan: &ScanPlan,
    scanners: &std::collections::BTreeSet<Scanner>,
    image: Option<&Image>,
    notices: &mut Vec<String>,
) -> Result<Option<SecretOptions>, ScanError> {
    if !scanners.contains(&Scanner::Secret) {
        return Ok(None);
    }
    // A source tree's own gitleaks file is used when the user names none.
    let dir_config = image
        .and_then(|i| i.rootfs.as_ref())
        .map(|d| d.join(".gitleaks.toml"))
        .filter(|p| p.is_file());
    let source = match plan.secret.config.clone().or(dir_config) {
        Some(p) => hull_secret::Source::File(p),
        None => hull_secret::Source::Builtin,
    };
    let (rules, warnings) = hull_secret::load_with(&source, &plan.secret.allow_paths)?;
    notices.extend(warnings);
    Ok(Some(SecretOptions {
        rules: Arc::new(rules),
        max_file: plan.secret.max_file,
        show: plan.secret.show,
    }))
}

/// The layer cache, keyed by everything that decides a layer's result: the analyzers and,
/// when secrets or malware are scanned, the rules. `--show-secrets` keeps secrets in the
/// clear: such results are never cached, and never served from entries that hold only
/// redactions. A ClamAV daemon's signatures change under hull, so it gets no cache at all.
fn open_cache(
    plan: &ScanPlan,
    detector: Option<&hull_malware::Detector>,
    secrets: Option<&SecretOptions>,
) -> Result<Option<Cache>, ScanError> {
    let Some(dir) = &plan.cache_dir else {
        return Ok(None);
    };
    if detector.is_some_and(|d| d.uses_clamd()) {
        return Ok(None);
    }
    // `verify:2`: the OS-file skip vouches only for first writes (a rule change that alters
    // cached layers' detections and counts).
    let key = format!(
        "{}|secrets:{}{}|malware:{}{}",
        hull_analyzer::registry::fingerprint(),
        secrets.map_or("off", |s| s.rules.fingerprint()),
        if plan.secret.show { "|shown" } else { "" },
        detector.map_or("off", |d| d.fingerprint()),
        if detector.is_some_and(|d| d.verifies_os_files()) {
            "|verify:2"
        } else {
            ""
        }
    );
    Ok(Some(Cache::open(dir, &key)?))
}

/// Opens the advisory database. Missing, unreadable or empty fails the scan unless the plan
/// accepts it (then a notice, and no vulnerability is checked); a stale one is a notice.
fn open_advisories(
    plan: &ScanPlan,
    notices: &mut Vec<String>,
) -> Result<Option<hull_advisory::Database>, ScanError> {
    let opened = match &plan.advisory_db {
        None => Err("no advisory database (no user cache directory; pass --db)".to_string()),
        Some(path) => hull_advisory::Database::open(path)
            .map_err(|e| e.to_string())
            .and_then(|db| match db.ecosystems() {
                Ok(e) if e.is_empty() => Err(format!(
                    "the advisory database {} holds no advisories",
                    path.display()
                )),
                Ok(_) => Ok(db),
                Err(e) => Err(e.to_string()),
            }),
    };
    let db = match opened {
        Ok(db) => db,
        Err(reason) if plan.require_advisories => return Err(ScanError::NoAdvisoryDb { reason }),
        Err(reason) => {
            notices.push(format!("{reason}; vulnerabilities not checked"));
            return Ok(None);
        }
    };
    if let Ok(built_at) = db.built_at() {
        let age_days = (plan.now - built_at).max(0) as u64 / 86_400;
        if age_days > plan.db_max_age_days {
            notices.push(format!(
                "the advisory database is {age_days} days old (built {}); run `hull db update`",
                hull_types::time::rfc3339(built_at)
            ));
        }
    }
    Ok(Some(db))
}

/// The configuration checks of a scan: a directory's Dockerfiles and manifests, or an
/// image's config, history and surviving file modes.
fn misconfig(
    plan: &ScanPlan,
    image: &Image,
    modes: &[(usize, crate::model::ModeRecord)],
    parts: &mut ReportParts,
) {
    match (&image.rootfs, image.kind) {
        (Some(dir), SourceKind::Rootfs) => {
            let (files, warnings) = collect_config_files(dir);
            let r = hull_config::check_files(&files, &plan.config);
            parts.misconfigurations.extend(r.findings);
            parts.warnings.extend(warnings);
            parts
                .warnings
                .extend(r.warnings.into_iter().map(file_warning));
        }
        _ => parts
            .misconfigurations
            .extend(check_image_config(image, modes)),
    }
}

fn file_warning(w: hull_config::FileWarning) -> Warning {
    Warning {
        layer: None,
        path: w.path,
        message: w.message,
    }
}

/// `hull k8s`: manifests and Dockerfiles, no image.
fn check_config(plan: &ScanPlan, inputs: &[ConfigInput]) -> Result<Outcome, ScanError> {
    let mut files = Vec::new();
    let mut warnings = Vec::new();
    let mut names = Vec::new();
    for input in inputs {
        match input {
            ConfigInput::Bytes { name, bytes } => {
                names.push(name.clone());
                files.push(hull_config::InputFile {
                    path: name.clone(),
                    bytes: bytes.clone(),
                });
            }
            ConfigInput::Path(p) => {
                names.push(p.display().to_string());
                if !p.exists() {
                    return Err(ScanError::Missing {
                        path: p.display().to_string(),
                    });
                }
                let (f, w) = collect_config_files(p);
                files.extend(f);
                warnings.extend(w);
            }
        }
    }
    let r = hull_config::check_files(&files, &plan.config);
    warnings.extend(r.warnings.into_iter().map(file_warning));
    let report = ScanReport::new(
        ImageSummary::named(names.join(" "), SourceKind::Config),
        ReportParts {
            warnings,
            misconfigurations: r.findings,
            ..ReportParts::default()
        },
    );
    Ok(Outcome {
        report,
        notices: vec![],
        vulnerabilities_checked: false,
        config_checked: Some(ConfigChecked {
            objects: r.objects,
            dockerfiles: r.dockerfiles,
        }),
    })
}
