//! Local time in SQL: the zone's UTC offset at a visit's start, from the
//! offset changes over the range, and the hour, day, week and month keys.

use std::fmt::Write as _;

use chrono::Offset;

use super::Scope;
use crate::{
    domain::{Timezone, calendar::local_datetime},
    stats::query::Dimension,
};

impl Scope<'_> {
    /// The zone's UTC offset at `a_vs`, in ms, from its changes over the range.
    pub(super) fn offset_sql(&self) -> String {
        let steps = offsets(self.q.timezone, self.q.from_ms, self.q.to_ms);
        let last = steps.last().map_or(0, |(_, o)| *o);
        if steps.len() <= 1 {
            return format!("toInt64({last})");
        }
        let mut s = String::from("multiIf(");
        for w in steps.windows(2) {
            let _ = write!(s, "a_vs < {}, toInt64({}), ", w[1].0, w[0].1);
        }
        let _ = write!(s, "toInt64({last}))");
        s
    }

    pub(super) fn time_key(&self, dim: &Dimension) -> String {
        let off = self.offset_sql();
        let local = format!("(toInt64(a_vs) + {off})");
        match dim {
            // A local hour at one offset: a repeated hour is two keys.
            Dimension::Hour => {
                format!("intDiv({local}, 3600000) * 4096 + intDiv({off} + 86400000, 900000)")
            }
            Dimension::Week => format!("intDiv(intDiv({local}, 86400000) + 3, 7)"),
            Dimension::Month => format!("toYYYYMM(toDateTime(intDiv({local}, 1000), 'UTC'))"),
            _ => format!("intDiv({local}, 86400000)"),
        }
    }
}

/// The zone's UTC offset (ms) from `from_ms`, and each change of it before
/// `to_ms`: `[(from_ms, offset), (change_at, new_offset)...]`.
fn offsets(tz: Timezone, from_ms: u64, to_ms: u64) -> Vec<(u64, i64)> {
    let off = |t: u64| i64::from(local_datetime(t, tz).offset().fix().local_minus_utc()) * 1000;
    let mut out = vec![(from_ms, off(from_ms))];
    // Offsets change at most a few times a year: step six hours, then find
    // the exact millisecond of a change by bisection.
    const STEP: u64 = 6 * 3_600_000;
    let mut t = from_ms;
    while t < to_ms {
        let next = (t + STEP).min(to_ms);
        let (a, b) = (off(t), off(next));
        if a != b {
            let (mut lo, mut hi) = (t, next);
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if off(mid) == a {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            out.push((hi, b));
        }
        t = next;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    pub(super) fn offsets_find_each_change_to_the_millisecond() {
        let berlin = Timezone::parse("Europe/Berlin").unwrap();
        // 2024: CET → CEST on 31 March 01:00 UTC, back on 27 October 01:00 UTC.
        let from = 1_704_067_200_000; // 2024-01-01
        let to = 1_735_689_600_000; // 2025-01-01
        assert_eq!(
            offsets(berlin, from, to),
            vec![
                (from, 3_600_000),
                (1_711_846_800_000, 7_200_000),
                (1_729_990_800_000, 3_600_000)
            ]
        );
        let utc = Timezone::parse("UTC").unwrap();
        assert_eq!(offsets(utc, from, to), vec![(from, 0)]);
    }
}
