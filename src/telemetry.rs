//! Logging. Structured, to stderr; nothing logged carries an IP, a user agent
//! or any other visitor data.
//!
//! Without `RUST_LOG`, Touchpoint's own lines (target `touchpoint`) show at the
//! level the caller asks for and every other crate's only from WARN up: the
//! libraries' INFO chatter (the job scheduler's "Uninited" and "Job creator
//! created" at each start, the HTTP server's worker lines) is not news to an
//! operator. `RUST_LOG` replaces the whole filter, e.g. `RUST_LOG=debug` or
//! `RUST_LOG=warn,touchpoint=debug,tokio_cron_scheduler=info`.

use tracing_subscriber::{EnvFilter, fmt};

/// Target prefix of every log line Touchpoint itself emits (the crate name).
const OWN_TARGET: &str = "touchpoint";

/// The filter used when `RUST_LOG` is not set: other crates at `warn`,
/// Touchpoint at `level`.
#[must_use]
pub fn default_directives(level: &str) -> String {
    format!("warn,{OWN_TARGET}={level}")
}

/// Installs the global subscriber; `RUST_LOG`, when set, replaces the default
/// filter ([`default_directives`]).
pub fn init(default_level: &str) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(default_directives(default_level)));
    let _ = fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    #[test]
    fn default_filter_keeps_touchpoint_at_the_level_and_others_at_warn() {
        assert_eq!(default_directives("info"), "warn,touchpoint=info");
        assert_eq!(default_directives("debug"), "warn,touchpoint=debug");
    }

    /// Collects what a subscriber writes.
    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn default_filter_hides_other_crates_info_lines() {
        let sink = Sink::default();
        let writer = sink.clone();
        let subscriber = fmt()
            .with_env_filter(EnvFilter::new(default_directives("info")))
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(target: "tokio_cron_scheduler::job_scheduler", "Uninited");
            tracing::info!(target: "actix_server::builder", "starting 2 workers");
            tracing::warn!(target: "tokio_cron_scheduler::job_scheduler", "scheduler warning");
            tracing::info!(target: "touchpoint::startup", "listening");
            tracing::debug!(target: "touchpoint::startup", "detail");
            tracing::info!("from this module");
        });
        let out = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        assert!(!out.contains("Uninited"), "{out}");
        assert!(!out.contains("starting 2 workers"), "{out}");
        assert!(out.contains("scheduler warning"), "{out}");
        assert!(out.contains("listening"), "{out}");
        assert!(!out.contains("detail"), "{out}");
        assert!(out.contains("from this module"), "{out}");
    }
}

/// An error with its causes, outermost first, as one line for the log:
/// `storage error: … : No space left on device (os error 28)`.
#[must_use]
pub fn causes(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut next = e.source();
    while let Some(c) = next {
        let text = c.to_string();
        if !out.ends_with(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        next = c.source();
    }
    out
}

/// At most one log line a second for a repeated failure (every refused
/// event of a full disk would otherwise be a line): [`Throttle::pass`] says
/// whether to log now, and how many were held back since the last line.
pub struct Throttle {
    last_s: std::sync::atomic::AtomicU64,
    held: std::sync::atomic::AtomicU64,
}

impl Throttle {
    /// A throttle that lets the first line through.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            last_s: std::sync::atomic::AtomicU64::new(0),
            held: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// `Some(held back since the last line)` when a line may be logged at
    /// `now_s` (unix seconds), else `None` (and this one is held back).
    pub fn pass(&self, now_s: u64) -> Option<u64> {
        use std::sync::atomic::Ordering::Relaxed;
        let last = self.last_s.load(Relaxed);
        if now_s > last
            && self
                .last_s
                .compare_exchange(last, now_s, Relaxed, Relaxed)
                .is_ok()
        {
            Some(self.held.swap(0, Relaxed))
        } else {
            self.held.fetch_add(1, Relaxed);
            None
        }
    }
}

impl Default for Throttle {
    fn default() -> Self {
        Self::new()
    }
}

/// Logs a failure to store what a request sent, at most once a second,
/// with its causes and how many like it were not logged.
/// A store failure the store logs itself when it begins (a full disk, a
/// file being reopened) is not logged again.
pub fn not_stored(what: &'static str, e: &(dyn std::error::Error + 'static)) {
    static THROTTLE: Throttle = Throttle::new();
    let mut cause = Some(e);
    while let Some(c) = cause {
        if c.downcast_ref::<crate::store::StoreError>()
            .is_some_and(crate::store::StoreError::logged_by_store)
        {
            return;
        }
        cause = c.source();
    }
    let now_s = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    if let Some(held) = THROTTLE.pass(now_s) {
        tracing::error!(error = %causes(e), also_failed_since_last_line = held, "{what} not stored");
    }
}

#[cfg(test)]
mod throttle_tests {
    use super::*;

    #[test]
    fn a_repeated_failure_is_logged_once_a_second_with_the_count_held_back() {
        let t = Throttle::new();
        assert_eq!(t.pass(100), Some(0));
        assert_eq!(t.pass(100), None);
        assert_eq!(t.pass(100), None);
        assert_eq!(t.pass(101), Some(2));
        assert_eq!(t.pass(101), None);
        assert_eq!(t.pass(105), Some(1));
    }

    #[test]
    fn causes_are_listed_outermost_first() {
        let io = std::io::Error::other("No space left on device");
        let e = crate::store::StoreError::Thread {
            what: "writer",
            source: io,
        };
        assert_eq!(
            causes(&e),
            "cannot start the writer thread: No space left on device"
        );
    }
}
