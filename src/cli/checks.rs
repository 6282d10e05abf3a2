//! `check-config`'s ClickHouse check and `healthcheck`: asking a server
//! whether it is there, changing nothing.

use std::io::Write as _;

use anyhow::Context;

use crate::config::Settings;

/// With `events.engine = "clickhouse"`: connects, and reads the server's
/// version and the applied schema version (changing nothing).
pub(super) fn check_clickhouse(settings: &Settings) -> anyhow::Result<Option<String>> {
    use crate::store::clickhouse::{ClickHouse, SCHEMA_VERSION};
    if settings.events.engine != crate::config::EventsEngine::Clickhouse {
        return Ok(None);
    }
    let cfg = settings.clickhouse.to_config();
    let state = ClickHouse::new(cfg.clone())
        .schema_state()
        .with_context(|| format!("clickhouse: database {} at {}", cfg.database, cfg.url))?;
    anyhow::ensure!(
        state.applied <= SCHEMA_VERSION,
        "clickhouse: schema version {} is newer than this build's {SCHEMA_VERSION}; upgrade Touchpoint",
        state.applied
    );
    let schema = if state.applied == SCHEMA_VERSION {
        format!("schema version {SCHEMA_VERSION}, current")
    } else {
        format!(
            "schema version {} of {SCHEMA_VERSION}: migrated at the next start",
            state.applied
        )
    };
    Ok(Some(format!(
        "ClickHouse {} at {}, database {}, {schema}",
        state.server_version, cfg.url, cfg.database
    )))
}

/// A plain HTTP/1.0 GET of `/healthz`, so the image needs no curl.
pub(super) fn healthcheck(settings: &Settings) -> anyhow::Result<()> {
    use std::{io::Read, net::TcpStream, time::Duration};
    let mut addr = settings.server.listen;
    if addr.ip().is_unspecified() {
        addr.set_ip(if addr.is_ipv4() {
            std::net::Ipv4Addr::LOCALHOST.into()
        } else {
            std::net::Ipv6Addr::LOCALHOST.into()
        });
    }
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(3))
        .with_context(|| format!("cannot connect to {addr}"))?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(s, "GET /healthz HTTP/1.0\r\nHost: {addr}\r\n\r\n")?;
    let mut resp = String::new();
    s.read_to_string(&mut resp)?;
    let status = resp.lines().next().unwrap_or_default();
    anyhow::ensure!(status.contains(" 200"), "unhealthy: {status}");
    println!("healthy");
    Ok(())
}
