//! Settings: embedded defaults, an optional TOML file, then `TOUCHPOINT__SECTION__KEY`
//! environment overrides — in that order, so the environment always wins.

use std::{
    net::{IpAddr, SocketAddr},
    path::PathBuf,
};

use ipnet::IpNet;
use serde::{Deserialize, Deserializer, Serialize};

/// The documented example config; it is also the set of embedded defaults.
pub const EXAMPLE_TOML: &str = include_str!("../config.example.toml");

/// Prefix of environment overrides.
pub const ENV_PREFIX: &str = "TOUCHPOINT__";

#[path = "config_events.rs"]
mod events;
pub use events::{ClickHouseSettings, EventsEngine, EventsSettings};
#[path = "config_webhooks.rs"]
mod webhooks;
pub use webhooks::WebhookSettings;

#[path = "config_storage.rs"]
mod storage;
pub use storage::StorageSettings;

#[path = "config_mail.rs"]
mod mail;
pub use mail::{MailSettings, SMTP_PASSWORD_ENV, TlsMode};

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
    /// Which engine holds visits and events.
    pub events: EventsSettings,
    /// The ClickHouse engine's server (used with `events.engine = "clickhouse"`).
    pub clickhouse: ClickHouseSettings,
    /// Webhook delivery.
    pub webhooks: WebhookSettings,
    /// The SMTP server of email reports and traffic alerts.
    pub mail: MailSettings,
}

/// `[server]`
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    /// Listen address; port 0 picks a free one.
    pub listen: SocketAddr,
    /// Proxies whose forwarding headers are believed: bare IPs (held as /32
    /// or /128) or CIDR ranges.
    #[serde(deserialize_with = "proxies")]
    pub trusted_proxies: Vec<IpNet>,
    /// The address people reach this server at (`https://analytics.example.com`),
    /// used for links given out (invitations) and as the passkeys' relying
    /// party (its host name); empty = taken from each request.
    /// Checked at load: http(s), a host, no path, query or fragment.
    pub public_url: String,
    /// Bearer token `/metrics` asks for; empty = `/metrics` is open (it shows
    /// event counts, queue depth and store size, no personal data).
    #[serde(default)]
    pub metrics_token: String,
    /// A request's body must have arrived this long after its headers, in
    /// seconds; a slower one is answered 408 and its connection closed.
    pub body_timeout_seconds: u64,
    /// Most connections open at once (all workers): beyond it requests are
    /// answered 503 with `Retry-After` and their connections closed.
    pub max_connections: usize,
}

impl ServerSettings {
    /// `public_url` without a trailing slash, when set.
    #[must_use]
    pub fn public_origin(&self) -> Option<&str> {
        let u = self.public_url.trim().trim_end_matches('/');
        (!u.is_empty()).then_some(u)
    }
}

/// Checks a `server.public_url` value (empty is allowed: not set).
///
/// # Errors
/// A message naming the value when it is not an http(s) origin.
pub fn check_public_url(value: &str) -> Result<(), String> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(());
    }
    let bad = || {
        format!(
            "{value:?} is not an http(s) address like https://analytics.example.com (no path, query or fragment)"
        )
    };
    let u = url::Url::parse(v).map_err(|_| bad())?;
    let origin_only = matches!(u.scheme(), "http" | "https")
        && u.host_str().is_some_and(|h| !h.is_empty())
        && u.username().is_empty()
        && u.password().is_none()
        && u.path() == "/"
        && u.query().is_none()
        && u.fragment().is_none();
    if origin_only { Ok(()) } else { Err(bad()) }
}

/// One `server.trusted_proxies` entry: a CIDR range (`10.0.0.0/8`,
/// `fd00::/8`) or a bare IP (`127.0.0.1`, `::1`), which stands for itself
/// alone (/32 or /128).
///
/// # Errors
/// A message naming the entry when it is neither.
pub fn parse_proxy(entry: &str) -> Result<IpNet, String> {
    let s = entry.trim();
    if let Ok(net) = s.parse::<IpNet>() {
        return Ok(net);
    }
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Ok(IpNet::from(ip));
    }
    Err(format!(
        "{entry:?} is neither an IP address (127.0.0.1, ::1) nor a CIDR range (10.0.0.0/8, fd00::/8)"
    ))
}

fn proxies<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<IpNet>, D::Error> {
    Vec::<String>::deserialize(d)?
        .iter()
        .map(|e| parse_proxy(e).map_err(serde::de::Error::custom))
        .collect()
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
    /// Most MiB the queued events may hold (beyond it: 503).
    pub queue_mb: u64,
    /// Most open visits held in memory (past it they are parked in the store).
    pub max_open_visits: usize,
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
    /// When due weekly and monthly email reports are sent (each site's
    /// finished week or month, once per recipient).
    pub mail_report_schedule: String,
    /// When traffic spikes and drops are checked (alert mails).
    pub traffic_alert_schedule: String,
    /// When a backup of the store is written to `storage.backup_dir`
    /// (blank: none).
    pub backup_schedule: String,
}

/// `[auth]`
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    /// Owners and admins must enrol TOTP or a passkey before using the dashboard.
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
        let mut smtp_password = String::new();
        for (name, value) in env {
            if name == SMTP_PASSWORD_ENV {
                smtp_password = value;
                continue;
            }
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
        let mut s: Self = toml::Value::Table(merged)
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError::Invalid(keyed_message(&e)))?;
        if !(1..=MAX_RETENTION_MONTHS).contains(&s.privacy.retention_months) {
            return Err(ConfigError::Invalid(format!(
                "privacy.retention_months must be from 1 to {MAX_RETENTION_MONTHS}"
            )));
        }
        check_public_url(&s.server.public_url)
            .map_err(|e| ConfigError::Invalid(format!("server.public_url: {e}")))?;
        events::check(&s)?;
        mail::check(&s.mail)?;
        s.mail.password = smtp_password;
        if s.storage.backup_keep == 0 {
            return Err(ConfigError::Invalid(
                "storage.backup_keep must be at least 1".into(),
            ));
        }
        if s.ingest.max_open_visits < 1_000 {
            return Err(ConfigError::Invalid(
                "ingest.max_open_visits must be at least 1000".into(),
            ));
        }
        if s.privacy.purge_batch_rows == 0 {
            return Err(ConfigError::Invalid(
                "privacy.purge_batch_rows must be at least 1".into(),
            ));
        }
        Ok(s)
    }
}

/// A value error as `section.key: what is wrong` on one line. (toml puts the
/// key path on a line of its own after the message: "…\nin `server.listen`".)
fn keyed_message(e: &toml::de::Error) -> String {
    let text = e.to_string();
    let text = text.trim_end();
    match text.rsplit_once("\nin `") {
        Some((message, key)) => format!("{}: {}", key.trim_end_matches('`'), message.trim()),
        None => text.to_owned(),
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
#[path = "config_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "config_docs_tests.rs"]
mod docs_tests;
