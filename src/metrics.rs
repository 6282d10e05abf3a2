//! Process metrics in Prometheus text format. A handful of atomics: nothing here
//! is on a hot path's critical section.

use std::{
    collections::BTreeMap,
    fmt::Write,
    sync::{
        Mutex,
        atomic::{AtomicU64, Ordering::Relaxed},
    },
};

/// A fixed-bucket histogram.
pub struct Histogram {
    bounds: &'static [f64],
    counts: Vec<AtomicU64>,
    sum_micros: AtomicU64,
    count: AtomicU64,
}

impl Histogram {
    fn new(bounds: &'static [f64]) -> Self {
        Self {
            bounds,
            counts: bounds.iter().map(|_| AtomicU64::new(0)).collect(),
            sum_micros: AtomicU64::new(0),
            count: AtomicU64::new(0),
        }
    }

    /// Records one observation.
    pub fn observe(&self, v: f64) {
        for (b, c) in self.bounds.iter().zip(&self.counts) {
            if v <= *b {
                c.fetch_add(1, Relaxed);
            }
        }
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        self.sum_micros.fetch_add((v * 1e6) as u64, Relaxed);
        self.count.fetch_add(1, Relaxed);
    }

    fn render(&self, name: &str, help: &str, out: &mut String) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        for (b, c) in self.bounds.iter().zip(&self.counts) {
            let _ = writeln!(out, "{name}_bucket{{le=\"{b}\"}} {}", c.load(Relaxed));
        }
        let n = self.count.load(Relaxed);
        #[allow(clippy::cast_precision_loss)]
        let sum = self.sum_micros.load(Relaxed) as f64 / 1e6;
        let _ = writeln!(
            out,
            "{name}_bucket{{le=\"+Inf\"}} {n}\n{name}_sum {sum}\n{name}_count {n}"
        );
    }
}

/// Every metric Touchpoint exports.
pub struct Metrics {
    /// Events committed.
    pub events_accepted: AtomicU64,
    /// Requests refused as invalid (400).
    pub events_rejected: AtomicU64,
    /// Requests refused because the queue was full (503).
    pub events_overloaded: AtomicU64,
    /// Writer batches that failed to commit (full disk, ClickHouse down).
    pub commit_failures: AtomicU64,
    dropped: Mutex<BTreeMap<&'static str, u64>>,
    /// Events per committed batch.
    pub batch_size: Histogram,
    /// Seconds per commit.
    pub commit_seconds: Histogram,
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            events_accepted: AtomicU64::new(0),
            events_rejected: AtomicU64::new(0),
            events_overloaded: AtomicU64::new(0),
            commit_failures: AtomicU64::new(0),
            dropped: Mutex::new(BTreeMap::new()),
            batch_size: Histogram::new(&[
                1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0,
            ]),
            commit_seconds: Histogram::new(&[
                0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1.0,
            ]),
        }
    }
}

impl Metrics {
    /// Counts an event that was valid but not recorded.
    pub fn dropped(&self, reason: &'static str) {
        *self
            .dropped
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(reason)
            .or_default() += 1;
    }

    /// Renders everything; gauges are passed in as read at scrape time.
    #[must_use]
    pub fn render(&self, queue_depth: usize, store_bytes: u64) -> String {
        let mut out = String::with_capacity(2048);
        let counter = |out: &mut String, name: &str, help: &str, v: u64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}"
            );
        };
        counter(
            &mut out,
            "touchpoint_events_accepted_total",
            "Events durably stored.",
            self.events_accepted.load(Relaxed),
        );
        counter(
            &mut out,
            "touchpoint_events_rejected_total",
            "Event requests refused as invalid.",
            self.events_rejected.load(Relaxed),
        );
        counter(
            &mut out,
            "touchpoint_events_overloaded_total",
            "Event requests refused with 503 because the queue was full.",
            self.events_overloaded.load(Relaxed),
        );
        counter(
            &mut out,
            "touchpoint_commit_failures_total",
            "Writer batches not stored (full disk, events engine unreachable): their requests got 503.",
            self.commit_failures.load(Relaxed),
        );
        let _ = writeln!(
            out,
            "# HELP touchpoint_events_dropped_total Valid events not counted, by reason.\n# TYPE touchpoint_events_dropped_total counter"
        );
        for (reason, n) in self
            .dropped
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
        {
            let _ = writeln!(
                out,
                "touchpoint_events_dropped_total{{reason=\"{reason}\"}} {n}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP touchpoint_queue_depth Events waiting for the writer.\n# TYPE touchpoint_queue_depth gauge\ntouchpoint_queue_depth {queue_depth}"
        );
        let _ = writeln!(
            out,
            "# HELP touchpoint_store_bytes Size of the store file.\n# TYPE touchpoint_store_bytes gauge\ntouchpoint_store_bytes {store_bytes}"
        );
        self.batch_size.render(
            "touchpoint_batch_events",
            "Events per committed write transaction.",
            &mut out,
        );
        self.commit_seconds.render(
            "touchpoint_commit_seconds",
            "Duration of a write transaction commit.",
            &mut out,
        );
        out
    }
}
