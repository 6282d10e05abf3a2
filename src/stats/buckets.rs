//! Caches of the time buckets of visit starts: visits come in start order,
//! so a timezone conversion is done once per hour or day, not per visit.

use super::{
    query::Dimension,
    values::{hour_bucket, time_bucket},
};
use crate::domain::{Timezone, calendar, calendar::local_day};

/// Time buckets of visit starts, computed once per hour bucket: visits come
/// in start order, and a timezone conversion per visit and grouping was a
/// tenth of a day's scan.
pub(super) struct Buckets {
    tz: Timezone,
    /// The hour bucket `[from, to)` last computed...
    from: u64,
    to: u64,
    /// ...and its hour, day, week and month buckets.
    values: [u64; 4],
}

impl Buckets {
    pub(super) fn new(tz: Timezone) -> Self {
        Self {
            tz,
            from: 1,
            to: 0,
            values: [0; 4],
        }
    }

    pub(super) fn get(&mut self, dim: &Dimension, ms: u64) -> u64 {
        if ms < self.from || ms >= self.to {
            // An hour bucket lies within one local date, so the date's
            // buckets hold for all of it.
            let hour = hour_bucket(ms, self.tz);
            (self.from, self.to) = (hour.start_ms, hour.end_ms);
            self.values = [
                hour.value,
                time_bucket(&Dimension::Day, ms, self.tz),
                time_bucket(&Dimension::Week, ms, self.tz),
                time_bucket(&Dimension::Month, ms, self.tz),
            ];
        }
        match dim {
            Dimension::Hour => self.values[0],
            Dimension::Week => self.values[2],
            Dimension::Month => self.values[3],
            _ => self.values[1],
        }
    }
}

/// Local day of visit starts; visits come in start order, so the day's bounds
/// are computed once per day instead of a timezone conversion per visit.
pub(super) struct DayCache {
    tz: Timezone,
    from: u64,
    to: u64,
    day: u64,
}

impl DayCache {
    pub(super) fn new(tz: Timezone) -> Self {
        Self {
            tz,
            from: 1,
            to: 0,
            day: 0,
        }
    }

    pub(super) fn day(&mut self, ms: u64) -> u64 {
        if ms < self.from || ms >= self.to {
            let day = local_day(ms, self.tz);
            let (from, to) = calendar::days_to_ms(day, day, self.tz);
            self.day = u64::from(day);
            (self.from, self.to) = if (from..to).contains(&ms) {
                (from, to)
            } else {
                (ms, ms + 1)
            };
        }
        self.day
    }
}

#[cfg(test)]
#[path = "buckets_tests.rs"]
mod tests;
