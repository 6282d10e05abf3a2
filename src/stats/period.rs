//! Plausible's named periods (`day`, `7d`, `30d`, `month`, `12mo`...) as local date ranges.

use chrono::{Datelike, Months, NaiveDate};

use crate::domain::{
    Timezone,
    calendar::{date_of_day, local_day},
};

/// Today's local date.
#[must_use]
pub fn today(now_ms: u64, tz: Timezone) -> NaiveDate {
    date_of_day(local_day(now_ms, tz))
}

/// First and last local dates of a named period ending around `date`.
///
/// # Errors
/// A message for an unknown period name.
pub fn named_period(
    name: &str,
    date: NaiveDate,
    earliest: NaiveDate,
) -> Result<(NaiveDate, NaiveDate), String> {
    let month_start = date.with_day(1).unwrap_or(date);
    let month_end = |d: NaiveDate| {
        d.with_day(1)
            .and_then(|f| f.checked_add_months(Months::new(1)))
            .and_then(|n| n.pred_opt())
            .unwrap_or(d)
    };
    let back = |n: u64| date.checked_sub_days(chrono::Days::new(n)).unwrap_or(date);
    Ok(match name {
        "day" | "realtime" => (date, date),
        "7d" => (back(6), date),
        "28d" => (back(27), date),
        "30d" => (back(29), date),
        "91d" => (back(90), date),
        "month" => (month_start, month_end(date)),
        "6mo" => (
            month_start
                .checked_sub_months(Months::new(5))
                .unwrap_or(month_start),
            month_end(date),
        ),
        "12mo" => (
            month_start
                .checked_sub_months(Months::new(11))
                .unwrap_or(month_start),
            month_end(date),
        ),
        "year" => (
            NaiveDate::from_ymd_opt(date.year(), 1, 1).unwrap_or(date),
            NaiveDate::from_ymd_opt(date.year(), 12, 31).unwrap_or(date),
        ),
        "all" => (earliest.min(date), date),
        // Any number of days (1 to 5000) or months (1 to 100), as Plausible's
        // query parser takes them: `14d`, `3mo`.
        other if parse_count(other, "d", 5000).is_some() => {
            let n = parse_count(other, "d", 5000).unwrap_or(1);
            (back(n - 1), date)
        }
        other if parse_count(other, "mo", 100).is_some() => {
            let n = u32::try_from(parse_count(other, "mo", 100).unwrap_or(1)).unwrap_or(1);
            (
                month_start
                    .checked_sub_months(Months::new(n - 1))
                    .unwrap_or(month_start),
                month_end(date),
            )
        }
        other => {
            return Err(format!(
                "invalid date_range {other:?}: expected day, 7d, 28d, 30d, 91d, <n>d, month, 6mo, 12mo, <n>mo, year, all, or [from, to]"
            ));
        }
    })
}

/// `n` of `<n><unit>` when `1 <= n <= max`.
fn parse_count(name: &str, unit: &str, max: u64) -> Option<u64> {
    name.strip_suffix(unit)?
        .parse::<u64>()
        .ok()
        .filter(|n| (1..=max).contains(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn named_periods_match_plausible() {
        let today = d("2024-03-15");
        let e = d("2020-01-01");
        for (name, want) in [
            ("day", ("2024-03-15", "2024-03-15")),
            ("7d", ("2024-03-09", "2024-03-15")),
            ("30d", ("2024-02-15", "2024-03-15")),
            ("month", ("2024-03-01", "2024-03-31")),
            ("6mo", ("2023-10-01", "2024-03-31")),
            ("12mo", ("2023-04-01", "2024-03-31")),
            ("year", ("2024-01-01", "2024-12-31")),
            ("all", ("2020-01-01", "2024-03-15")),
            ("14d", ("2024-03-02", "2024-03-15")),
            ("1d", ("2024-03-15", "2024-03-15")),
            ("3mo", ("2024-01-01", "2024-03-31")),
        ] {
            assert_eq!(
                named_period(name, today, e).unwrap(),
                (d(want.0), d(want.1)),
                "{name}"
            );
        }
        for bad in ["fortnight", "0d", "5001d", "101mo", "d", "-3d"] {
            assert!(
                named_period(bad, today, e).unwrap_err().contains(bad),
                "{bad}"
            );
        }
    }
}
