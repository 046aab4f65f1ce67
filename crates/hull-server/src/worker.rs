//! The server's background work: scan workers taking jobs from the store's queue, the
//! maintenance tick (expired leases, queue gauges, a database changed on disk), the
//! re-match of every stored inventory when the advisory database changes, and the
//! scheduled `hull db update`.
//!
//! Scans are `hull_scan::run`, the CLI's own call, on a blocking thread; a worker renews its
//! job's lease while the scan runs, so a replica that dies leaves a job that another (or
//! the next start) takes again. Results are written by image digest in one transaction, so
//! a job run twice writes the same row twice, never two rows.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hull_scan::options::{OpenOptions, Reference, SourceKind};
use hull_scan::{ScanError, ScanPlan, Target};
use hull_types::ScanReport;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::evidence;
use crate::metrics::{Change, Outcome};
use crate::store::{FindingEvent, ImageRow, ImageWrite, Job, JobEnd, StoreError};
use crate::{now, App};

/// The `meta` key holding the advisory database every stored image was last matched with.
const MATCHED_DB: &str = "advisory_db";
/// Reports re-matched per blocking call.
const REMATCH_BATCH: usize = 64;

/// Starts every background task.
pub fn spawn(app: Arc<App>, stop: watch::Receiver<bool>) -> Vec<JoinHandle<()>> {
    let mut tasks: Vec<JoinHandle<()>> = (0..app.config.concurrency.max(1))
        .map(|_| tokio::spawn(scan_worker(app.clone(), stop.clone())))
        .collect();
    tasks.push(tokio::spawn(maintenance(app.clone(), stop.clone())));
    tasks.push(tokio::spawn(rematch_loop(app.clone(), stop.clone())));
    if app.config.db_update.is_some() {
        tasks.push(tokio::spawn(update_loop(app, stop)));
    }
    tasks
}

/// Waits `d`, or less when the server stops; true when it stopped.
async fn pause(d: Duration, stop: &mut watch::Receiver<bool>) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(d) => *stop.borrow(),
        _ = stop.changed() => true,
    }
}

async fn scan_worker(app: Arc<App>, mut stop: watch::Receiver<bool>) {
    let lease = app.config.lease.as_secs() as i64;
    while !*stop.borrow() {
        match app.store.claim(now(), now() + lease).await {
            Ok(Some(job)) => run_job(&app, job).await,
            Ok(None) => {
                tokio::select! {
                    _ = app.wake.notified() => {}
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = stop.changed() => return,
                }
            }
            Err(_) => {
                if pause(Duration::from_secs(1), &mut stop).await {
                    return;
                }
            }
        }
    }
}

/// Only a registry that refused or failed is worth asking again; a malformed or missing
/// image stays so.
fn retryable(e: &ScanError) -> bool {
    matches!(
        e,
        ScanError::Image(hull_scan::options::ImageError::Registry { .. })
    )
}

async fn run_job(app: &Arc<App>, job: Job) {
    let started = Instant::now();
    let lease = app.config.lease;
    let heartbeat = {
        let app = app.clone();
        let id = job.id.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(lease / 3).await;
                let _ = app.store.renew(&id, now() + lease.as_secs() as i64).await;
            }
        })
    };
    let plan = scan_plan(app, &job.image);
    let result = tokio::task::spawn_blocking(move || hull_scan::run(&plan, None)).await;
    heartbeat.abort();
    app.metrics
        .scan_seconds
        .observe(started.elapsed().as_secs_f64());
    let end = match result {
        Ok(Ok(outcome)) => match store_scan(app, &job.image, outcome.report).await {
            Ok((digest, passed)) => {
                count(app, if passed { "passed" } else { "failed" });
                JobEnd::Done(digest)
            }
            Err(e) => {
                count(app, "error");
                JobEnd::Failed(e.to_string())
            }
        },
        Ok(Err(e)) if retryable(&e) && job.attempts < app.config.max_attempts => {
            count(app, "retry");
            let delay = app.config.retry_delay.as_secs() as i64 * (1 << (job.attempts - 1).min(16));
            JobEnd::Retry {
                error: e.to_string(),
                retry_at: now() + delay,
            }
        }
        Ok(Err(e)) => {
            count(app, "error");
            JobEnd::Failed(e.to_string())
        }
        Err(panic) => {
            count(app, "error");
            JobEnd::Failed(format!("the scan stopped: {panic}"))
        }
    };
    // If this fails the lease runs out and the job is taken again.
    let _ = app.store.finish(&job.id, end, now()).await;
}

fn count(app: &App, outcome: &str) {
    app.metrics
        .scans
        .get_or_create(&Outcome {
            outcome: outcome.into(),
        })
        .inc();
}

/// A registry scan with the server's scanners, database, cache and registry options. The
/// kind is fixed to `registry`: a client never makes the server read its own files.
fn scan_plan(app: &App, image: &str) -> ScanPlan {
    let c = &app.config;
    let mut plan = ScanPlan::new(Target::Image {
        target: image.to_string(),
        open: OpenOptions {
            kind: Some(SourceKind::Registry),
            registry: c.registry.clone(),
            ..OpenOptions::default()
        },
    });
    plan.scanners = c.scanners.clone();
    plan.advisory_db = Some(c.advisory_db.clone());
    plan.cache_dir = c.cache_dir.clone();
    plan.now = now();
    plan
}

/// The advisory database's identity: when it was built (`none` when there is none).
pub(crate) fn db_identity(path: &Path) -> String {
    hull_scan::db::Database::open(path)
        .and_then(|d| d.built_at())
        .map_or_else(|_| "none".to_string(), |t| t.to_string())
}

/// `host/repository` of a reference.
pub(crate) fn repository(reference: &str) -> String {
    Reference::parse(reference)
        .map(|r| format!("{}/{}", r.registry, r.repository))
        .unwrap_or_default()
}

/// Stores a finished scan of `reference` under its digest; returns the digest and the
/// verdict.
pub(crate) async fn store_scan(
    app: &App,
    reference: &str,
    report: ScanReport,
) -> Result<(String, bool), StoreError> {
    let digest = report
        .image
        .manifest_digest
        .as_ref()
        .or(report.image.image_id.as_ref())
        .map(|d| d.to_string())
        .unwrap_or_else(|| format!("sbom:{}", content_digest(&report)));
    let repository = if report.image.source == SourceKind::Registry {
        repository(reference)
    } else {
        String::new()
    };
    let t = now();
    let old = stored_report(app, &digest).await?;
    let old_judged = old.map(|r| evidence::judge(&r, &app.config.policy, t).0);
    let (judged, verdict) = evidence::judge(&report, &app.config.policy, t);
    let passed = verdict.passed;
    let events = evidence::diff(old_judged.as_ref(), &judged, &digest, "scan", t);
    let db_path = app.config.advisory_db.clone();
    let advisory_db = tokio::task::spawn_blocking(move || db_identity(&db_path))
        .await
        .unwrap_or_default();
    let write = ImageWrite {
        row: ImageRow {
            digest: digest.clone(),
            repository,
            source: serde_json::to_value(report.image.source)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default(),
            passed,
            verdict: verdict.summary,
            failures: verdict.failures,
            counts: evidence::counts(&judged),
            scanned_at: t,
            matched_at: t,
            judged_at: t,
            references: [reference]
                .into_iter()
                .filter(|r| !r.is_empty())
                .map(String::from)
                .collect(),
        },
        report: serde_json::to_string(&report).map_err(|e| StoreError::Corrupt {
            op: "write image",
            message: e.to_string(),
        })?,
        advisory_db,
        events,
    };
    app.store.put_image(write).await?;
    Ok((digest, passed))
}

/// A report's identity when it names no digest (an SBOM): the SHA-256 of its inventory.
fn content_digest(report: &ScanReport) -> String {
    use sha2::{Digest, Sha256};
    let packages = serde_json::to_vec(&report.packages).unwrap_or_default();
    format!("sha256:{}", hex::encode(Sha256::digest(&packages)))
}

async fn stored_report(app: &App, digest: &str) -> Result<Option<ScanReport>, StoreError> {
    let Some(json) = app.store.report(digest).await? else {
        return Ok(None);
    };
    serde_json::from_str(&json)
        .map(Some)
        .map_err(|e| StoreError::Corrupt {
            op: "read report",
            message: e.to_string(),
        })
}

/// Every few seconds: leases that ran out, the queue gauges, and a database that another
/// process (`hull db import`) changed.
async fn maintenance(app: Arc<App>, mut stop: watch::Receiver<bool>) {
    let mut last_poll: Option<Instant> = None;
    loop {
        let _ = app.store.requeue_expired(now()).await;
        if let Ok((queued, running)) = app.store.queue_depth().await {
            app.metrics.queue_depth.set(queued);
            app.metrics.jobs_running.set(running);
        }
        if last_poll.is_none_or(|t| t.elapsed() >= app.config.db_poll) {
            last_poll = Some(Instant::now());
            let path = app.config.advisory_db.clone();
            let current = tokio::task::spawn_blocking(move || db_identity(&path))
                .await
                .unwrap_or_default();
            let matched = app.store.meta(MATCHED_DB).await.ok().flatten();
            if current != "none" && matched.as_deref() != Some(current.as_str()) {
                app.rematch.notify_one();
            }
        }
        if pause(Duration::from_secs(2), &mut stop).await {
            return;
        }
    }
}

async fn rematch_loop(app: Arc<App>, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = app.rematch.notified() => {}
            _ = stop.changed() => return,
        }
        let _ = rematch_all(&app).await;
    }
}

/// What one re-match did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Rematched {
    /// Images matched again.
    pub images: u64,
    /// Findings that appeared.
    pub appeared: u64,
    /// Findings resolved.
    pub resolved: u64,
}

/// Matches every stored inventory against the current advisory database, records what
/// changed and announces it. Images are never read again.
pub(crate) async fn rematch_all(app: &Arc<App>) -> Result<Rematched, StoreError> {
    let path = app.config.advisory_db.clone();
    let identity = {
        let p = path.clone();
        tokio::task::spawn_blocking(move || db_identity(&p))
            .await
            .unwrap_or_default()
    };
    if identity == "none" {
        return Ok(Rematched::default());
    }
    let mut done = Rematched::default();
    let digests = app.store.digests().await?;
    for chunk in digests.chunks(REMATCH_BATCH) {
        let mut batch = Vec::with_capacity(chunk.len());
        for d in chunk {
            let (Some(row), Some(json)) = (app.store.image(d).await?, app.store.report(d).await?)
            else {
                continue;
            };
            if let Ok(report) = serde_json::from_str::<ScanReport>(&json) {
                batch.push((row, report));
            }
        }
        let p = path.clone();
        let matched = tokio::task::spawn_blocking(move || {
            let db = hull_scan::db::Database::open(&p).ok()?;
            Some(
                batch
                    .into_iter()
                    .map(|(row, old)| {
                        let new = hull_scan::rematch(old.clone(), &db);
                        (row, old, new)
                    })
                    .collect::<Vec<_>>(),
            )
        })
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
        for (row, old, new) in matched {
            let Ok(new) = new else { continue };
            let t = now();
            let policy = &app.config.policy;
            let (old_judged, _) = evidence::judge(&old, policy, t);
            let (judged, verdict) = evidence::judge(&new, policy, t);
            let events = evidence::diff(Some(&old_judged), &judged, &row.digest, "rematch", t);
            let report = serde_json::to_string(&new).map_err(|e| StoreError::Corrupt {
                op: "write image",
                message: e.to_string(),
            })?;
            let references = row.references.clone();
            let row = ImageRow {
                passed: verdict.passed,
                verdict: verdict.summary,
                failures: verdict.failures,
                counts: evidence::counts(&judged),
                matched_at: t,
                judged_at: t,
                references: vec![],
                ..row
            };
            app.store
                .put_image(ImageWrite {
                    row: row.clone(),
                    report,
                    advisory_db: identity.clone(),
                    events: events.clone(),
                })
                .await?;
            done.images += 1;
            app.metrics.rematched_images.inc();
            for e in &events {
                if e.change == "appeared" {
                    done.appeared += 1;
                } else {
                    done.resolved += 1;
                }
                app.metrics
                    .rematch_findings
                    .get_or_create(&Change {
                        change: e.change.clone(),
                    })
                    .inc();
            }
            if !events.is_empty() && !app.config.notify.is_empty() {
                announce(app, &row.digest, references, events).await;
            }
        }
    }
    app.store.set_meta(MATCHED_DB, &identity).await?;
    Ok(done)
}

async fn announce(
    app: &Arc<App>,
    digest: &str,
    references: Vec<String>,
    events: Vec<FindingEvent>,
) {
    let targets = app.config.notify.clone();
    let digest = digest.to_string();
    let sent = tokio::task::spawn_blocking(move || {
        crate::notify::send(
            &targets,
            &crate::notify::Body {
                event: "findings.changed",
                digest: &digest,
                references: &references,
                cause: "rematch",
                findings: &events,
            },
        )
    })
    .await
    .unwrap_or((0, 0));
    for (outcome, n) in [("sent", sent.0), ("error", sent.1)] {
        app.metrics
            .notifications
            .get_or_create(&Outcome {
                outcome: outcome.into(),
            })
            .inc_by(n);
    }
}

/// `hull db update` on a schedule; a changed database is then re-matched.
async fn update_loop(app: Arc<App>, mut stop: watch::Receiver<bool>) {
    let Some((every, opts)) = app.config.db_update.clone() else {
        return;
    };
    loop {
        if pause(every, &mut stop).await {
            return;
        }
        let path = app.config.advisory_db.clone();
        let opts = opts.clone();
        let updated = tokio::task::spawn_blocking(move || {
            hull_scan::db::fetch(&opts)?;
            let sources = hull_scan::db::downloaded(&opts.download_dir);
            hull_scan::db::Database::import(&path, &sources, now())
        })
        .await;
        if matches!(updated, Ok(Ok(_))) {
            app.rematch.notify_one();
        }
    }
}
