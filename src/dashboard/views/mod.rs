//! maud templates. Pages take view-model structs; components are functions.
//! Every value from visitors (paths, referrers, UTM values, event names) is
//! rendered through maud's escaping: nothing here uses `PreEscaped` on them.

pub mod account;
pub mod auth;
pub mod charts;
pub mod layout;

/// A unix-ms time as `2024-03-15 10:00 UTC`.
#[must_use]
pub fn fmt_time(ms: u64) -> String {
    i64::try_from(ms)
        .ok()
        .and_then(chrono::DateTime::from_timestamp_millis)
        .map_or_else(String::new, |t| t.format("%Y-%m-%d %H:%M UTC").to_string())
}
pub mod components;
pub mod overview;
pub mod site;
pub mod workspace;
