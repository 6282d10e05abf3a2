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
