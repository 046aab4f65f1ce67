//! Prometheus metrics, every name prefixed `hull_`, served at `/metrics` in the text
//! exposition format.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

/// A scan's or a notification's outcome.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Outcome {
    /// `passed`, `failed` (policy), `error`, `retry`; `sent`, `error` for notifications.
    pub outcome: String,
}

/// A finding change.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Change {
    /// `appeared` or `resolved`.
    pub change: String,
}

/// An admission answer's contribution.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct AdmissionLabel {
    /// `allow`, `deny` or `warn`.
    pub decision: String,
    /// `passed`, `exempt`, `registry`, `digest`, `pod-security`, `unscanned`, `verdict`,
    /// `resolve`, `kind`, `limits`, `reference`.
    pub reason: String,
}

/// An HTTP request's route.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Route {
    /// The route pattern (`/api/v1/images/{digest}`), never the raw path.
    pub route: String,
    /// The method.
    pub method: String,
    /// The status class answered (`2xx`, `4xx`, …).
    pub status: String,
}

/// Every metric the server keeps.
pub struct Metrics {
    registry: Registry,
    /// Jobs waiting.
    pub queue_depth: Gauge,
    /// Jobs running.
    pub jobs_running: Gauge,
    /// Scans finished, by outcome.
    pub scans: Family<Outcome, Counter>,
    /// How long scans took.
    pub scan_seconds: Histogram,
    /// Images re-matched after the advisory database changed.
    pub rematched_images: Counter,
    /// Findings that appeared or disappeared on a re-match.
    pub rematch_findings: Family<Change, Counter>,
    /// Notifications sent, by outcome.
    pub notifications: Family<Outcome, Counter>,
    /// HTTP latency by route.
    pub http_seconds: Family<Route, Histogram>,
    /// Admission answers by decision and reason.
    pub admission: Family<AdmissionLabel, Counter>,
    /// How long admission decisions took, in the server.
    pub admission_seconds: Histogram,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("hull");
        let m = Metrics {
            queue_depth: Gauge::default(),
            jobs_running: Gauge::default(),
            scans: Family::default(),
            scan_seconds: Histogram::new(exponential_buckets(0.05, 2.0, 14)),
            rematched_images: Counter::default(),
            rematch_findings: Family::default(),
            notifications: Family::default(),
            http_seconds: Family::new_with_constructor(|| {
                Histogram::new(exponential_buckets(0.0005, 2.0, 16))
            }),
            admission: Family::default(),
            admission_seconds: Histogram::new(exponential_buckets(0.0001, 2.0, 16)),
            registry: Registry::default(),
        };
        registry.register("queue_depth", "Scan jobs waiting", m.queue_depth.clone());
        registry.register("jobs_running", "Scan jobs running", m.jobs_running.clone());
        registry.register("scans", "Scans finished, by outcome", m.scans.clone());
        registry.register(
            "scan_duration_seconds",
            "How long a scan took",
            m.scan_seconds.clone(),
        );
        registry.register(
            "rematched_images",
            "Images matched again after an advisory database change",
            m.rematched_images.clone(),
        );
        registry.register(
            "rematch_findings",
            "Findings that appeared or were resolved by a re-match",
            m.rematch_findings.clone(),
        );
        registry.register(
            "notifications",
            "Notification webhooks called, by outcome",
            m.notifications.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by route",
            m.http_seconds.clone(),
        );
        registry.register(
            "admission_decisions",
            "Admission answers by decision and reason",
            m.admission.clone(),
        );
        registry.register(
            "admission_duration_seconds",
            "Server time of an admission decision",
            m.admission_seconds.clone(),
        );
        Metrics { registry, ..m }
    }
}

impl Metrics {
    /// The text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}
