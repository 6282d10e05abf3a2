//! Calendar arithmetic in a site's timezone. A *day number* counts local days
//! since 1970-01-01; rollups, visitor-distinct counting and reports all use it.

use chrono::{DateTime, Datelike, NaiveDate, TimeZone};

use super::Timezone;

/// `NaiveDate::num_days_from_ce` of 1970-01-01.
const EPOCH_DAYS_FROM_CE: i32 = 719_163;

/// A unix-ms instant as local time in `tz`.
#[must_use]
pub fn local_datetime(ms: u64, tz: Timezone) -> DateTime<chrono_tz::Tz> {
    let t = i64::try_from(ms).unwrap_or(i64::MAX);
    DateTime::from_timestamp_millis(t)
        .unwrap_or_default()
        .with_timezone(&tz.tz())
}

/// Day number of a local date (0 before 1970).
#[must_use]
pub fn day_number(date: NaiveDate) -> u32 {
    u32::try_from(date.num_days_from_ce() - EPOCH_DAYS_FROM_CE).unwrap_or(0)
}

/// Local date of a day number.
#[must_use]
pub fn date_of_day(day: u32) -> NaiveDate {
    i32::try_from(day)
        .ok()
        .and_then(|d| d.checked_add(EPOCH_DAYS_FROM_CE))
        .and_then(NaiveDate::from_num_days_from_ce_opt)
        .unwrap_or_default()
}

/// Local day number of a unix-ms instant in `tz`.
#[must_use]
pub fn local_day(ms: u64, tz: Timezone) -> u32 {
    day_number(local_datetime(ms, tz).date_naive())
}

/// Unix ms at which local `date` begins in `tz` (the earliest instant, across DST gaps).
#[must_use]
pub fn date_start_ms(date: NaiveDate, tz: Timezone) -> u64 {
    let naive = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    let t = tz
        .tz()
        .from_local_datetime(&naive)
        .earliest()
        .or_else(|| {
            tz.tz()
                .from_local_datetime(&(naive + chrono::Duration::hours(1)))
                .earliest()
        })
        .map_or(0, |d| d.timestamp_millis());
    u64::try_from(t).unwrap_or(0)
}

/// Unix-ms bounds `[from, to)` of local dates `first..=last`.
#[must_use]
pub fn dates_to_ms(first: NaiveDate, last: NaiveDate, tz: Timezone) -> (u64, u64) {
    let after = last.succ_opt().unwrap_or(last);
    (date_start_ms(first, tz), date_start_ms(after, tz))
}

/// Unix-ms bounds `[from, to)` of local day numbers `first..=last`.
#[must_use]
pub fn days_to_ms(first: u32, last: u32, tz: Timezone) -> (u64, u64) {
    dates_to_ms(date_of_day(first), date_of_day(last), tz)
}

/// A unix-ms time as `2024-03-15 10:00 UTC`.
#[must_use]
pub fn fmt_utc(ms: u64) -> String {
    i64::try_from(ms)
        .ok()
        .and_then(chrono::DateTime::from_timestamp_millis)
        .map_or_else(String::new, |t| t.format("%Y-%m-%d %H:%M UTC").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_days_follow_the_timezone_and_dst() {
        let ny = Timezone::parse("America/New_York").unwrap();
        let d: NaiveDate = "2024-03-10".parse().unwrap();
        let (from, to) = dates_to_ms(d, d, ny);
        assert_eq!(to - from, 23 * 3_600_000, "spring-forward day is 23 hours");
        assert_eq!(from, 1_710_046_800_000);
        assert_eq!(day_number(date_of_day(19_800)), 19_800);
        assert_eq!(local_day(from, ny), day_number(d));
        assert_eq!(local_day(from - 1, ny), day_number(d) - 1);
    }
}
