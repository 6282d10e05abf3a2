//! The ClickHouse schema as numbered migrations, applied in order at start
//! and recorded in `schema_migrations`.
//!
//! `events` holds one row per event (`kind` 0) and one per engagement ping
//! (`kind` 1, crediting the pageview with the same `seq`), each with its
//! visit's attributes. Partitioned by the month the visit started, ordered
//! by site, visit start and visit, so a report reads one site's range and a
//! visit's rows are adjacent. `visitor_aliases` maps the cookieless ids of a
//! visitor who accepted consent to their consenting id (see `visits`).
//!
//! With a cluster, `events_local` and `visitor_aliases_local` are
//! `ReplicatedMergeTree` tables created `ON CLUSTER`, and `events` and
//! `visitor_aliases` are `Distributed` tables over them, sharded by visit
//! (a visit's rows stay on one shard).

use super::{ClickHouse, ClickHouseError, quote_str};

/// Schema version this build reads and writes.
pub const SCHEMA_VERSION: u32 = 1;

/// Columns of `events`, in insert order.
pub(super) const EVENT_COLUMNS: &str = "site, visit_start_ms, visit_id, seq, kind, visitor, \
    offset_ms, name, path, pageview, interactive, prop_keys, prop_values, revenue_currency, \
    revenue_micros, engaged_ms, scroll, hostname, referrer, source, channel, utm_source, \
    utm_medium, utm_campaign, utm_term, utm_content, utm_id, click, country, region, city, \
    device, browser, browser_version, os, os_version";

const EVENT_TYPES: &str = "site UInt32, visit_start_ms UInt64, visit_id UInt64, seq UInt32, \
    kind UInt8, visitor UInt64, offset_ms UInt32, name UInt32, path UInt32, pageview UInt8, \
    interactive UInt8, prop_keys Array(UInt32), prop_values Array(UInt32), \
    revenue_currency UInt32, revenue_micros Int64, engaged_ms UInt32, scroll Int16, \
    hostname UInt32, referrer UInt32, source UInt32, channel UInt8, utm_source UInt32, \
    utm_medium UInt32, utm_campaign UInt32, utm_term UInt32, utm_content UInt32, \
    utm_id UInt32, click UInt8, country UInt16, region UInt32, city UInt32, device UInt8, \
    browser UInt32, browser_version UInt32, os UInt32, os_version UInt32";

const ALIAS_TYPES: &str = "site UInt32, visitor UInt64, to_visitor UInt64";

/// What `check-config` reports about the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaState {
    /// `SELECT version()`.
    pub server_version: String,
    /// Highest applied migration (0: none).
    pub applied: u32,
}

/// The statements of one migration for this server layout.
fn migration(ch: &ClickHouse, version: u32) -> Vec<String> {
    let db = ch.db();
    let on = ch.on_cluster();
    let tables = [
        (
            "events",
            EVENT_TYPES,
            "PARTITION BY toYYYYMM(toDateTime(intDiv(visit_start_ms, 1000))) \
             ORDER BY (site, visit_start_ms, visit_id, seq, kind)",
            "sipHash64(visit_id)",
        ),
        (
            "visitor_aliases",
            ALIAS_TYPES,
            "ORDER BY (site, visitor)",
            "sipHash64(visitor)",
        ),
    ];
    match version {
        1 => tables
            .iter()
            .flat_map(|(name, types, layout, shard_by)| {
                if ch.clustered() {
                    let cluster = quote_str(&ch.config().cluster);
                    let zk = quote_str(&format!(
                        "/clickhouse/tables/{{shard}}/{}/{name}_local",
                        ch.config().database
                    ));
                    vec![
                        format!(
                            "CREATE TABLE IF NOT EXISTS {db}.{name}_local{on} ({types}) \
                             ENGINE = ReplicatedMergeTree({zk}, '{{replica}}') {layout}"
                        ),
                        format!(
                            "CREATE TABLE IF NOT EXISTS {db}.{name}{on} ({types}) \
                             ENGINE = Distributed({cluster}, {}, {}, {shard_by})",
                            quote_str(&ch.config().database),
                            quote_str(&format!("{name}_local")),
                        ),
                    ]
                } else {
                    vec![format!(
                        "CREATE TABLE IF NOT EXISTS {db}.{name} ({types}) ENGINE = MergeTree {layout}"
                    )]
                }
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Highest applied migration, 0 when the table is missing or empty.
fn applied(ch: &ClickHouse) -> Result<u32, ClickHouseError> {
    let exists = ch.query(&format!(
        "SELECT count() FROM system.tables WHERE database = {} AND name = 'schema_migrations'",
        quote_str(&ch.config().database)
    ))?;
    if exists.trim() == "0" {
        return Ok(0);
    }
    ch.scalar(&format!(
        "SELECT max(version) FROM {}.schema_migrations",
        ch.db()
    ))
}

/// Creates the database if missing and applies migrations above the applied one.
///
/// # Errors
/// SQL errors, or [`ClickHouseError::TooNew`].
pub(super) fn migrate(ch: &ClickHouse) -> Result<(), ClickHouseError> {
    let db = ch.db();
    let on = ch.on_cluster();
    ch.exec(&format!("CREATE DATABASE IF NOT EXISTS {db}{on}"))?;
    ch.exec(&format!(
        "CREATE TABLE IF NOT EXISTS {db}.schema_migrations (version UInt32, applied_ms UInt64) \
         ENGINE = MergeTree ORDER BY version"
    ))?;
    let found = applied(ch)?;
    if found > SCHEMA_VERSION {
        return Err(ClickHouseError::TooNew { found });
    }
    for version in found + 1..=SCHEMA_VERSION {
        for sql in migration(ch, version) {
            ch.exec(&sql)?;
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        ch.insert_tsv(
            "schema_migrations",
            "version, applied_ms",
            format!("{version}\t{now}\n").as_bytes(),
        )?;
        tracing::info!(version, "ClickHouse migration applied");
    }
    Ok(())
}

/// Server version and applied migration, without changing anything.
///
/// # Errors
/// Unreachable server or SQL errors.
pub(super) fn state(ch: &ClickHouse) -> Result<SchemaState, ClickHouseError> {
    Ok(SchemaState {
        server_version: ch.version()?,
        applied: applied(ch)?,
    })
}
