//! The ClickHouse engine for visits and events (`[events] engine = "clickhouse"`).
//!
//! Accounts, sites, keys, goals, consent, leads, conversions and the interned
//! texts stay in redb; the events of visits go to ClickHouse, one row per
//! event, each carrying its visit's attributes (see `schema`). Rows hold only
//! numbers: texts are the store's interned ids, so the server never holds a
//! path, a referrer or a property value, and reports resolve texts exactly as
//! the embedded engine does.
//!
//! The client speaks ClickHouse's HTTP interface with `TabSeparated` rows of
//! numbers and arrays of numbers, which every server since 2018 (Debian's
//! 18.16) and today's read and write alike.

mod lifecycle;
mod rows;
mod schema;
mod tsv;
mod visits;

use std::{
    io::{BufRead, BufReader},
    sync::Mutex,
    time::Duration,
};

pub use schema::{SCHEMA_VERSION, SchemaState};
pub use tsv::{array_field, field, quote_ident, quote_str};
pub use visits::{AliasRow, VisitCache};

/// Where and how to reach ClickHouse (`[clickhouse]` in the config).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClickHouseConfig {
    /// HTTP interface, e.g. `http://127.0.0.1:8123`.
    pub url: String,
    /// Database, created if missing.
    pub database: String,
    /// User.
    pub user: String,
    /// Password (best from `TOUCHPOINT__CLICKHOUSE__PASSWORD`).
    pub password: String,
    /// Cluster name from the server's `remote_servers`; empty for one server.
    /// With a name, tables are `ReplicatedMergeTree` created `ON CLUSTER`,
    /// with `Distributed` tables over them.
    pub cluster: String,
    /// Longest wait to connect, and for each read or write of an insert
    /// (its acknowledgement).
    pub timeout: Duration,
    /// Longest a query, DDL statement or mutation may run: the wait for
    /// each read of its answer, and the server's `max_execution_time`.
    pub query_timeout: Duration,
}

/// What went wrong talking to ClickHouse.
#[derive(Debug, thiserror::Error)]
pub enum ClickHouseError {
    /// No answer: refused, reset, timed out.
    #[error("cannot reach ClickHouse at {url}")]
    Unreachable {
        /// The configured URL.
        url: String,
        /// Cause.
        #[source]
        source: ureq::Error,
    },
    /// The server answered with an error (SQL, authentication, too many parts...).
    #[error("ClickHouse answered HTTP {status}: {message}")]
    Server {
        /// HTTP status.
        status: u16,
        /// The server's message, first line.
        message: String,
    },
    /// An answer this build can't read.
    #[error("unexpected answer from ClickHouse: {0}")]
    Decode(String),
    /// The database was migrated by a newer Touchpoint.
    #[error(
        "the ClickHouse schema has version {found}, newer than this build's {SCHEMA_VERSION}; upgrade Touchpoint"
    )]
    TooNew {
        /// Version found in `schema_migrations`.
        found: u32,
    },
    /// A mutation (erasure, purge) did not finish in time.
    #[error("ClickHouse mutation on {table} not finished after {seconds} s")]
    MutationTimeout {
        /// Table.
        table: String,
        /// Seconds waited.
        seconds: u64,
    },
}

/// A connection to ClickHouse: cheap to share (one pooled HTTP agent).
pub struct ClickHouse {
    cfg: ClickHouseConfig,
    agent: ureq::Agent,
    /// Open visits' attributes, so appends need no read-back.
    cache: Mutex<VisitCache>,
    /// `SELECT` statements sent, while recording (see [`ClickHouse::record`]).
    recorded: Mutex<Option<Vec<String>>>,
}

impl std::fmt::Debug for ClickHouse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClickHouse")
            .field("url", &self.cfg.url)
            .field("database", &self.cfg.database)
            .field("cluster", &self.cfg.cluster)
            .finish_non_exhaustive()
    }
}

impl ClickHouse {
    /// A client for `cfg`; nothing is sent until the first request.
    #[must_use]
    pub fn new(cfg: ClickHouseConfig) -> Self {
        // Timeouts per step and per read, not for a whole answer: a long
        // streamed read is fine as long as bytes keep coming.
        let agent = ureq::Agent::config_builder()
            .timeout_connect(Some(cfg.timeout))
            .timeout_per_read(Some(cfg.timeout))
            .timeout_per_write(Some(cfg.timeout))
            // ClickHouse closes an idle connection after `keep_alive_timeout`
            // (3 s on old servers): reusing one it is closing fails the
            // request, so idle connections are dropped well before that.
            .max_idle_age(Duration::from_secs(1))
            .http_status_as_error(false)
            .build()
            .into();
        Self {
            cfg,
            agent,
            cache: Mutex::new(VisitCache::default()),
            recorded: Mutex::new(None),
        }
    }

    /// Starts (or stops) keeping every `SELECT` statement sent, so a test can
    /// run the same statements on another ClickHouse version.
    pub fn record(&self, on: bool) {
        *self
            .recorded
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = on.then(Vec::new);
    }

    /// The statements kept since [`ClickHouse::record`] was turned on.
    #[must_use]
    pub fn recorded(&self) -> Vec<String> {
        self.recorded
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
            .unwrap_or_default()
    }

    /// Connects, creates the database if missing and applies pending migrations.
    ///
    /// # Errors
    /// Unreachable server, SQL errors, or a schema newer than this build.
    pub fn connect(cfg: ClickHouseConfig) -> Result<Self, ClickHouseError> {
        let ch = Self::new(cfg);
        schema::migrate(&ch)?;
        Ok(ch)
    }

    /// The settings it was made with.
    #[must_use]
    pub fn config(&self) -> &ClickHouseConfig {
        &self.cfg
    }

    /// The database name, quoted for SQL.
    pub(crate) fn db(&self) -> String {
        quote_ident(&self.cfg.database)
    }

    /// `ON CLUSTER name` when a cluster is configured, else empty.
    pub(crate) fn on_cluster(&self) -> String {
        if self.cfg.cluster.is_empty() {
            String::new()
        } else {
            format!(" ON CLUSTER {}", quote_ident(&self.cfg.cluster))
        }
    }

    /// Whether tables are distributed over a cluster.
    pub(crate) fn clustered(&self) -> bool {
        !self.cfg.cluster.is_empty()
    }

    fn request(
        &self,
        query: Option<&str>,
        body: &[u8],
    ) -> Result<ureq::http::Response<ureq::Body>, ClickHouseError> {
        if query.is_none()
            && body.starts_with(b"SELECT")
            && let Some(v) = self
                .recorded
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .as_mut()
        {
            v.push(String::from_utf8_lossy(body).into_owned());
        }
        let mut url = self.cfg.url.trim_end_matches('/').to_owned();
        url.push('/');
        let mut req = self.agent.post(&url);
        if let Some(q) = query {
            req = req.query("query", q);
        } else {
            // A report may take a while before its first byte; the server
            // stops it at the same limit. Filters send lists of ids, which
            // can be longer than the default 256 KiB query.
            let secs = self.cfg.query_timeout.as_secs().max(1);
            req = req
                .query("max_execution_time", secs.to_string())
                .query("max_query_size", "104857600")
                .config()
                .timeout_per_read(Some(self.cfg.query_timeout.max(self.cfg.timeout)))
                .build();
        }
        for (k, v) in self.settings() {
            req = req.query(*k, *v);
        }
        let resp = req
            .header("X-ClickHouse-User", &self.cfg.user)
            .header("X-ClickHouse-Key", &self.cfg.password)
            .send(body)
            .map_err(|source| ClickHouseError::Unreachable {
                url: self.cfg.url.clone(),
                source,
            })?;
        let status = resp.status().as_u16();
        if status == 200 {
            return Ok(resp);
        }
        let mut resp = resp;
        let text = resp
            .body_mut()
            .with_config()
            .limit(64 * 1024)
            .read_to_string()
            .unwrap_or_default();
        Err(ClickHouseError::Server {
            status,
            message: text.lines().next().unwrap_or("").trim().to_owned(),
        })
    }

    /// Runs a statement that returns nothing (DDL, ALTER).
    ///
    /// # Errors
    /// As [`ClickHouse::query`].
    pub fn exec(&self, sql: &str) -> Result<(), ClickHouseError> {
        self.request(None, sql.as_bytes()).map(drop)
    }

    /// Runs a query and returns its whole answer as text.
    ///
    /// # Errors
    /// Unreachable server or an error answer.
    pub fn query(&self, sql: &str) -> Result<String, ClickHouseError> {
        let mut resp = self.request(None, sql.as_bytes())?;
        resp.body_mut()
            .with_config()
            .limit(1 << 30)
            .read_to_string()
            .map_err(|e| ClickHouseError::Decode(format!("reading the answer: {e}")))
    }

    /// Runs a query with `FORMAT TabSeparated` appended and calls `f` with
    /// each row's fields, streaming.
    ///
    /// # Errors
    /// As [`ClickHouse::query`], or the error `f` returns.
    pub fn for_each_row<E: From<ClickHouseError>>(
        &self,
        sql: &str,
        mut f: impl FnMut(&[&str]) -> Result<(), E>,
    ) -> Result<(), E> {
        let sql = format!("{sql} FORMAT TabSeparated");
        let mut resp = self.request(None, sql.as_bytes())?;
        let reader = BufReader::new(resp.body_mut().as_reader());
        for line in reader.lines() {
            let line =
                line.map_err(|e| ClickHouseError::Decode(format!("reading the answer: {e}")))?;
            // An error after the first rows arrives as text at the end of a
            // 200 answer; rows here are only numbers, so it can't be a row.
            if line.starts_with("Code: ") {
                return Err(ClickHouseError::Server {
                    status: 200,
                    message: line,
                }
                .into());
            }
            let fields: Vec<&str> = line.split('\t').collect();
            f(&fields)?;
        }
        Ok(())
    }

    /// The first field of a query's one-row answer.
    ///
    /// # Errors
    /// As [`ClickHouse::query`], or [`ClickHouseError::Decode`] for no row.
    pub fn scalar<T: std::str::FromStr>(&self, sql: &str) -> Result<T, ClickHouseError> {
        let mut out = None;
        self.for_each_row::<ClickHouseError>(sql, |f| {
            if out.is_none() {
                out = Some(field(f, 0)?);
            }
            Ok(())
        })?;
        out.ok_or_else(|| ClickHouseError::Decode(format!("no row answers {sql}")))
    }

    /// Inserts TabSeparated rows into `table` (a name inside the database).
    ///
    /// # Errors
    /// As [`ClickHouse::query`].
    pub fn insert_tsv(
        &self,
        table: &str,
        columns: &str,
        rows: &[u8],
    ) -> Result<(), ClickHouseError> {
        if rows.is_empty() {
            return Ok(());
        }
        let q = format!(
            "INSERT INTO {}.{} ({columns}) FORMAT TabSeparated",
            self.db(),
            quote_ident(table)
        );
        self.request(Some(&q), rows).map(drop)
    }

    /// Extra URL settings of every request: a distributed insert is only
    /// acknowledged once every shard holds its rows.
    fn settings(&self) -> &'static [(&'static str, &'static str)] {
        if self.clustered() {
            &[("insert_distributed_sync", "1")]
        } else {
            &[]
        }
    }

    /// The server's version string (`SELECT version()`).
    ///
    /// # Errors
    /// As [`ClickHouse::query`].
    pub fn version(&self) -> Result<String, ClickHouseError> {
        Ok(self.query("SELECT version()")?.trim().to_owned())
    }

    /// Whether the server answers and the schema is this build's.
    ///
    /// # Errors
    /// As [`ClickHouse::query`].
    pub fn schema_state(&self) -> Result<SchemaState, ClickHouseError> {
        schema::state(self)
    }
}
