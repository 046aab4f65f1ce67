//! Malware scanning off the layer walk's thread.
//!
//! A layer's tar is read by one thread, and one large layer often holds most of an image's
//! bytes, so scanning its files on that thread would leave the other cores idle. The walk
//! hands each file to a few workers, each with its own YARA scanner, and goes on reading;
//! the bytes in flight are bounded so a run of large files cannot pile up in memory.

use std::panic::AssertUnwindSafe;
use std::sync::mpsc;
use std::sync::{Condvar, Mutex};

use hull_types::Detection;

use crate::verify::{self, OsFileIndex};

/// Bytes handed to the workers and not yet scanned, at most.
const IN_FLIGHT: u64 = 32 << 20;

/// A counting semaphore over bytes.
struct Budget {
    left: Mutex<u64>,
    freed: Condvar,
}

impl Budget {
    fn take(&self, n: u64) {
        let n = n.min(IN_FLIGHT);
        let mut left = self.left.lock().unwrap_or_else(|e| e.into_inner());
        while *left < n {
            left = self.freed.wait(left).unwrap_or_else(|e| e.into_inner());
        }
        *left -= n;
    }

    fn give(&self, n: u64) {
        let n = n.min(IN_FLIGHT);
        *self.left.lock().unwrap_or_else(|e| e.into_inner()) += n;
        self.freed.notify_all();
    }
}

/// What the workers found in one layer.
#[derive(Default)]
pub(crate) struct PoolResult {
    pub detections: Vec<Detection>,
    /// `(path, message)`.
    pub warnings: Vec<(String, String)>,
    /// Files skipped as verified OS files.
    pub verified: u64,
}

/// Files at least this large are scanned on the walk's own thread, from the walk's buffer,
/// rather than copied to a worker: one JDK `modules` file (123 MiB) copied while the walk
/// still holds it cost as much memory as all the rest of a full scan.
pub(crate) const INLINE_FROM: u64 = 8 << 20;

/// The sending side, held by the layer walk.
pub(crate) struct Feeder<'a> {
    tx: mpsc::SyncSender<(String, Vec<u8>)>,
    budget: &'a Budget,
    pub max_file: u64,
    /// A scanner of the walk's own, for large files, and what it found.
    inline: Mutex<(hull_malware::Session<'a>, PoolResult)>,
    verify: Option<(&'a OsFileIndex, usize)>,
}

impl Feeder<'_> {
    /// Hands one file to the scanner: large files are scanned here, in place; others are
    /// copied to a worker.
    pub fn scan(&self, path: &str, bytes: &[u8]) {
        if (bytes.len() as u64) < INLINE_FROM {
            self.send(path, bytes.to_vec());
            return;
        }
        let mut guard = self.inline.lock().unwrap_or_else(|e| e.into_inner());
        let (session, out) = &mut *guard;
        let scanned = std::panic::catch_unwind(AssertUnwindSafe(|| {
            verify::scan_file(session, self.verify, path, bytes)
        }));
        match scanned {
            Ok(Some(r)) => {
                out.detections.extend(r.detections);
                out.warnings
                    .extend(r.warnings.into_iter().map(|w| (path.to_string(), w)));
            }
            Ok(None) => out.verified += 1,
            Err(_) => out
                .warnings
                .push((path.to_string(), "malware scan failed on this file".into())),
        }
    }

    /// Queues one file (blocks while too many bytes are in flight).
    fn send(&self, path: &str, bytes: Vec<u8>) {
        self.budget.take(bytes.len() as u64);
        let n = bytes.len() as u64;
        if self.tx.send((path.to_string(), bytes)).is_err() {
            // Every worker is gone (one panicked): give the bytes back so nothing waits.
            self.budget.give(n);
        }
    }
}

/// Malware workers per walk: every core, since layers are walked side by side and one
/// large layer usually holds most of the bytes.
pub(crate) fn workers() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// Runs `walk` with a [`Feeder`] while `workers` threads scan what it sends.
pub(crate) fn with_workers<T>(
    detector: &hull_malware::Detector,
    verify: Option<(&OsFileIndex, usize)>,
    workers: usize,
    walk: impl FnOnce(&Feeder<'_>) -> T,
) -> (T, PoolResult) {
    let budget = Budget {
        left: Mutex::new(IN_FLIGHT),
        freed: Condvar::new(),
    };
    let (tx, rx) = mpsc::sync_channel::<(String, Vec<u8>)>(64);
    let rx = Mutex::new(rx);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers.max(1))
            .map(|_| {
                let (rx, budget) = (&rx, &budget);
                s.spawn(move || {
                    let mut session = detector.session();
                    let mut out = PoolResult::default();
                    loop {
                        let next = rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
                        let Ok((path, bytes)) = next else { break };
                        // A panic on one hostile file costs that file, not the layer: the
                        // worker goes on, and the bytes are always given back (else the walk
                        // would wait for them forever).
                        let scanned = std::panic::catch_unwind(AssertUnwindSafe(|| {
                            verify::scan_file(&mut session, verify, &path, &bytes)
                        }));
                        match scanned {
                            Ok(Some(r)) => {
                                out.detections.extend(r.detections);
                                out.warnings
                                    .extend(r.warnings.into_iter().map(|w| (path.clone(), w)));
                            }
                            Ok(None) => out.verified += 1,
                            Err(_) => {
                                out.warnings.push((
                                    path.clone(),
                                    "malware scan failed on this file".into(),
                                ));
                                session = detector.session();
                            }
                        }
                        budget.give(bytes.len() as u64);
                    }
                    out
                })
            })
            .collect();
        let feeder = Feeder {
            tx,
            budget: &budget,
            max_file: detector.max_file(),
            inline: Mutex::new((detector.session(), PoolResult::default())),
            verify,
        };
        let walked = walk(&feeder);
        let (_, inline) = feeder
            .inline
            .into_inner()
            .unwrap_or_else(|e| e.into_inner());
        drop(feeder.tx);
        let mut all = inline;
        for h in handles {
            // A worker that panicked lost its files' results; the others' stand, and the
            // report says the layer was not fully scanned.
            match h.join() {
                Ok(r) => {
                    all.detections.extend(r.detections);
                    all.warnings.extend(r.warnings);
                    all.verified += r.verified;
                }
                Err(_) => all.warnings.push((
                    String::new(),
                    "a malware scanning worker stopped; some files of this layer were not scanned"
                        .into(),
                )),
            }
        }
        all.detections.sort();
        all.warnings.sort();
        (walked, all)
    })
}
