//! `[events]` and `[clickhouse]`: which engine holds visits and events, and
//! how to reach ClickHouse.

use serde::{Deserialize, Serialize};

use super::{ConfigError, Settings};

/// `[events]`
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct EventsSettings {
    /// Where visits and events live.
    pub engine: EventsEngine,
}

/// `events.engine`
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum EventsEngine {
    /// In the redb file with everything else.
    Embedded,
    /// On a ClickHouse server or cluster (`[clickhouse]`).
    Clickhouse,
}

/// `[clickhouse]`
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ClickHouseSettings {
    /// HTTP interface URL.
    pub url: String,
    /// Database, created if missing.
    pub database: String,
    /// User.
    pub user: String,
    /// Password; never printed by `check-config`.
    pub password: String,
    /// Cluster name (`remote_servers`); empty for one server.
    pub cluster: String,
    /// Longest wait to connect and for an insert's acknowledgement, in milliseconds.
    pub timeout_ms: u64,
    /// Longest a report query or a mutation may run, in milliseconds.
    pub query_timeout_ms: u64,
    /// Least time a writer batch gathers events before it is inserted, in
    /// milliseconds (ClickHouse prefers a few large inserts to many small).
    pub flush_interval_ms: u64,
}

impl ClickHouseSettings {
    /// The store's view of these settings.
    #[must_use]
    pub fn to_config(&self) -> crate::store::clickhouse::ClickHouseConfig {
        crate::store::clickhouse::ClickHouseConfig {
            url: self.url.trim().to_owned(),
            database: self.database.trim().to_owned(),
            user: self.user.clone(),
            password: self.password.clone(),
            cluster: self.cluster.trim().to_owned(),
            timeout: std::time::Duration::from_millis(self.timeout_ms.max(1)),
            query_timeout: std::time::Duration::from_millis(self.query_timeout_ms.max(1)),
        }
    }
}

/// Checks the ClickHouse settings when that engine is chosen.
pub(super) fn check(s: &Settings) -> Result<(), ConfigError> {
    if s.events.engine == EventsEngine::Clickhouse {
        let u = url::Url::parse(s.clickhouse.url.trim()).map_err(|_| {
            ConfigError::Invalid(format!(
                "clickhouse.url: {:?} is not an http(s) URL like http://127.0.0.1:8123",
                s.clickhouse.url
            ))
        })?;
        if !u.username().is_empty() || u.password().is_some() {
            return Err(ConfigError::Invalid(
                "clickhouse.url: give the user and password as clickhouse.user and clickhouse.password, not in the URL".into(),
            ));
        }
        if !matches!(u.scheme(), "http" | "https") {
            return Err(ConfigError::Invalid(format!(
                "clickhouse.url: {:?} is not an http(s) URL like http://127.0.0.1:8123",
                s.clickhouse.url
            )));
        }
        if s.clickhouse.database.trim().is_empty() {
            return Err(ConfigError::Invalid(
                "clickhouse.database must not be empty".into(),
            ));
        }
    }
    Ok(())
}
