//! Settings: embedded defaults, an optional TOML file, then `TOUCHPOINT__SECTION__KEY`
//! environment overrides — in that order, so the environment always wins.

use std::{net::SocketAddr, path::PathBuf};

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

/// The documented example config; it is also the set of embedded defaults.
pub const EXAMPLE_TOML: &str = include_str!("../config.example.toml");

/// Prefix of environment overrides.
pub const ENV_PREFIX: &str = "TOUCHPOINT__";

/// Everything configurable.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// HTTP server.
    pub server: ServerSettings,
    /// Where data lives.
    pub storage: StorageSettings,
    /// Geolocation database.
    pub geoip: GeoSettings,
    /// Ingestion queue and group commit.
    pub ingest: IngestSettings,
    /// Scheduled jobs.
    pub jobs: JobSettings,
    /// Accounts, login sessions and their protections.
    pub auth: AuthSettings,
    /// Encryption keys.
    pub privacy: PrivacySettings,
}

/// `[server]`
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    /// Listen address; port 0 picks a free one.
    pub listen: SocketAddr,
    /// Proxies whose forwarding headers are believed.
    pub trusted_proxies: Vec<IpNet>,
}

/// `[storage]`
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StorageSettings {
    /// Directory holding the redb file.
    pub data_dir: PathBuf,
    /// Page cache size in MiB.
    pub cache_mb: usize,
}

/// `[geoip]`
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct GeoSettings {
    /// Optional MaxMind database; empty means the embedded country database.
    pub database: String,
}

/// `[ingest]`
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct IngestSettings {
    /// Most events per write transaction.
    pub batch_size: usize,
    /// Longest wait, in ms, before a partial batch is committed.
    pub flush_interval_ms: u64,
    /// Bounded queue length in front of the writer.
    pub queue_capacity: usize,
    /// Largest request body accepted by `POST /api/event`.
    pub max_body_bytes: usize,
}

/// `[jobs]` — cron expressions; blank disables.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct JobSettings {
    /// When a new visitor-hash salt is made.
    pub salt_rotation_schedule: String,
    /// When the previous salt is destroyed.
    pub salt_destroy_schedule: String,
    /// When completed days are rolled up.
    pub rollup_schedule: String,
    /// When expired login sessions are deleted.
    pub login_cleanup_schedule: String,
    /// When data older than each site's retention is purged.
    pub purge_schedule: String,
}

/// `[auth]`
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    /// Owners and admins must enrol TOTP before using the dashboard.
    pub require_mfa_for_admins: bool,
    /// A login session unused this long is over.
    pub session_idle_minutes: u64,
    /// A login session ends this long after login, used or not.
    pub session_max_days: u64,
    /// Failed logins for one account before it is locked out (with backoff).
    pub max_failures_per_account: u32,
    /// Failed logins from one network before it is locked out (with backoff).
    pub max_failures_per_ip: u32,
    /// First lockout length in seconds; it doubles with each further failure.
    pub lockout_seconds: u64,
}

/// `[privacy]`
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PrivacySettings {
    /// The master key, base64 (32 bytes); when set, the key file is not used.
    /// Never printed by `check-config`.
    pub master_key: String,
    /// File holding the master key; empty = `touchpoint.key` in the data dir.
    pub key_file: String,
    /// Visitor data older than this many months is purged (1–24; sites may
    /// keep less).
    pub retention_months: u32,
    /// Rows one purge transaction deletes at most.
    pub purge_batch_rows: usize,
}

/// Longest retention of visitor data, in months.
pub const MAX_RETENTION_MONTHS: u32 = 24;

impl Settings {
    /// Where the master key lives.
    #[must_use]
    pub fn key_file(&self) -> PathBuf {
        if self.privacy.key_file.trim().is_empty() {
            self.storage.data_dir.join("touchpoint.key")
        } else {
            PathBuf::from(self.privacy.key_file.trim())
        }
    }
}

/// Why settings could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// TOML syntax or a value of the wrong type.
    #[error("invalid configuration: {0}")]
    Invalid(String),
    /// An environment override names no known key.
    #[error("unknown setting in environment variable {0}")]
    UnknownEnv(String),
}

impl Settings {
    /// Loads defaults, then `path` if given, then overrides from `env`
    /// (pass `std::env::vars()`; tests pass their own list).
    ///
    /// # Errors
    /// A clear [`ConfigError`] for unreadable files, bad TOML, wrong types,
    /// unknown keys and unknown environment overrides.
    pub fn load(
        path: Option<&std::path::Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let mut merged: toml::Table = EXAMPLE_TOML
            .parse()
            .map_err(|e| ConfigError::Invalid(format!("embedded defaults: {e}")))?;
        if let Some(path) = path {
            let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                path: path.to_owned(),
                source,
            })?;
            let file: toml::Table = text
                .parse()
                .map_err(|e| ConfigError::Invalid(format!("{}: {e}", path.display())))?;
            merge(&mut merged, file);
        }
        for (name, value) in env {
            let Some(rest) = name.strip_prefix(ENV_PREFIX) else {
                continue;
            };
            let parts: Vec<String> = rest.split("__").map(str::to_ascii_lowercase).collect();
            let [section, key] = parts.as_slice() else {
                return Err(ConfigError::UnknownEnv(name));
            };
            let Some(toml::Value::Table(table)) = merged.get_mut(section.as_str()) else {
                return Err(ConfigError::UnknownEnv(name));
            };
            let Some(current) = table.get(key.as_str()) else {
                return Err(ConfigError::UnknownEnv(name));
            };
            let parsed = env_value(current, &value)
                .map_err(|e| ConfigError::Invalid(format!("{name}: {e}")))?;
            table.insert(key.clone(), parsed);
        }
        let s: Self = toml::Value::Table(merged)
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError::Invalid(e.to_string()))?;
        if !(1..=MAX_RETENTION_MONTHS).contains(&s.privacy.retention_months) {
            return Err(ConfigError::Invalid(format!(
                "privacy.retention_months must be from 1 to {MAX_RETENTION_MONTHS}"
            )));
        }
        if s.privacy.purge_batch_rows == 0 {
            return Err(ConfigError::Invalid(
                "privacy.purge_batch_rows must be at least 1".into(),
            ));
        }
        Ok(s)
    }
}

fn merge(base: &mut toml::Table, over: toml::Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

/// Interprets an environment string with the type of the default it replaces,
/// so `TOUCHPOINT__INGEST__BATCH_SIZE=64` is a number and lists are comma-separated.
fn env_value(current: &toml::Value, raw: &str) -> Result<toml::Value, String> {
    Ok(match current {
        toml::Value::Integer(_) => toml::Value::Integer(
            raw.trim()
                .parse()
                .map_err(|_| format!("expected an integer, got {raw:?}"))?,
        ),
        toml::Value::Boolean(_) => toml::Value::Boolean(
            raw.trim()
                .parse()
                .map_err(|_| format!("expected true or false, got {raw:?}"))?,
        ),
        toml::Value::Array(_) => toml::Value::Array(
            raw.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| toml::Value::String(s.to_owned()))
                .collect(),
        ),
        _ => toml::Value::String(raw.to_owned()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn embedded_example_parses_to_the_documented_defaults() {
        let s = Settings::load(None, []).unwrap();
        assert_eq!(s.server.listen, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(s.storage.data_dir, PathBuf::from("./data"));
        assert_eq!(s.ingest.batch_size, 1024);
        assert!(s.server.trusted_proxies.is_empty());
    }

    #[test]
    fn environment_overrides_every_kind_of_value() {
        let s = Settings::load(
            None,
            env(&[
                ("TOUCHPOINT__SERVER__LISTEN", "0.0.0.0:9000"),
                (
                    "TOUCHPOINT__SERVER__TRUSTED_PROXIES",
                    "10.0.0.0/8, 127.0.0.1/32",
                ),
                ("TOUCHPOINT__STORAGE__DATA_DIR", "/data"),
                ("TOUCHPOINT__INGEST__BATCH_SIZE", "64"),
                ("TOUCHPOINT__JOBS__ROLLUP_SCHEDULE", ""),
                ("UNRELATED", "x"),
            ]),
        )
        .unwrap();
        assert_eq!(s.server.listen.port(), 9000);
        assert_eq!(s.server.trusted_proxies.len(), 2);
        assert_eq!(s.storage.data_dir, PathBuf::from("/data"));
        assert_eq!(s.ingest.batch_size, 64);
        assert_eq!(s.jobs.rollup_schedule, "");
    }

    #[test]
    fn invalid_settings_are_reported_clearly() {
        let cases = [
            ("TOUCHPOINT__SERVER__NOPE", "1", "unknown setting"),
            (
                "TOUCHPOINT__INGEST__BATCH_SIZE",
                "many",
                "expected an integer",
            ),
            (
                "TOUCHPOINT__SERVER__LISTEN",
                "not an address",
                "invalid configuration",
            ),
            (
                "TOUCHPOINT__SERVER__TRUSTED_PROXIES",
                "10.0.0.0/99",
                "invalid configuration",
            ),
        ];
        for (k, v, want) in cases {
            let err = Settings::load(None, env(&[(k, v)]))
                .unwrap_err()
                .to_string();
            assert!(err.contains(want), "{k}={v}: got {err:?}, wanted {want:?}");
        }
    }

    #[test]
    fn file_values_sit_between_defaults_and_environment() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(
            &path,
            "[server]\nlisten = \"127.0.0.1:7000\"\n[ingest]\nbatch_size = 3\n",
        )
        .unwrap();
        let s =
            Settings::load(Some(&path), env(&[("TOUCHPOINT__INGEST__BATCH_SIZE", "9")])).unwrap();
        assert_eq!(s.server.listen.port(), 7000);
        assert_eq!(s.ingest.batch_size, 9);
        assert_eq!(s.ingest.flush_interval_ms, 2);
        std::fs::write(&path, "[server]\nlisten = 5\n").unwrap();
        assert!(Settings::load(Some(&path), []).is_err());
    }
}
