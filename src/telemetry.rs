//! Logging. Structured, to stderr; nothing logged carries an IP, a user agent
//! or any other visitor data.

use tracing_subscriber::{EnvFilter, fmt};

/// Installs the global subscriber; `RUST_LOG` overrides the default level.
pub fn init(default_level: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_level));
    let _ = fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}
