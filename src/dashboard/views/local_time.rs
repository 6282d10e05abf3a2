//! Times in a site's own time zone, as its reports count days: the leads,
//! privacy and settings pages show `2024-03-15 11:00 CET` (the zone's
//! abbreviation, or its offset where the zone has none, such as `+04`).
//! Pages that are no site's (account, workspace) keep UTC (`fmt_time`).

use crate::domain::{Timezone, calendar::local_datetime};

/// A unix-ms time in `tz`, with the zone's abbreviation or offset:
/// `2024-03-15 11:00 CET`, `2024-07-01 06:00 EDT`, `2024-03-15 10:00 UTC`.
#[must_use]
pub fn fmt_local(ms: u64, tz: Timezone) -> String {
    local_datetime(ms, tz)
        .format("%Y-%m-%d %H:%M %Z")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2024-03-15 10:00 UTC.
    const T: u64 = 1_710_496_800_000;

    #[test]
    fn a_time_reads_in_the_sites_zone_with_its_abbreviation_or_offset() {
        let zone = |n: &str| Timezone::parse(n).unwrap();
        assert_eq!(fmt_local(T, zone("UTC")), "2024-03-15 10:00 UTC");
        assert_eq!(fmt_local(T, zone("Europe/Berlin")), "2024-03-15 11:00 CET");
        assert_eq!(
            fmt_local(T, zone("America/New_York")),
            "2024-03-15 06:00 EDT"
        );
        assert_eq!(fmt_local(T, zone("Asia/Dubai")), "2024-03-15 14:00 +04");
        // Past midnight there: the local date.
        assert_eq!(
            fmt_local(T, zone("Pacific/Auckland")),
            "2024-03-15 23:00 NZDT"
        );
    }
}
