use super::*;
use crate::stats::values::time_bucket;

/// The per-hour cache answers what `time_bucket` answers, through
/// whole-hour and half-hour transitions, for instants in start order.
#[test]
fn bucket_cache_agrees_with_time_bucket_through_transitions() {
    for (zone, around) in [
        ("Europe/Stockholm", 1_603_587_600_000u64), // 2020-10-25T01:00Z, fall back
        ("Europe/Stockholm", 1_585_443_600_000),    // 2020-03-29T01:00Z, spring forward
        ("Australia/Lord_Howe", 1_586_014_200_000), // 2020-04-04T15:30Z, fall back 30 min
        ("Australia/Lord_Howe", 1_601_739_000_000), // 2020-10-03T15:30Z, spring forward 30 min
    ] {
        let tz = Timezone::parse(zone).unwrap();
        let mut cache = Buckets::new(tz);
        let mut t = around - 3 * 3_600_000;
        while t < around + 3 * 3_600_000 {
            for d in [
                Dimension::Hour,
                Dimension::Day,
                Dimension::Week,
                Dimension::Month,
            ] {
                assert_eq!(cache.get(&d, t), time_bucket(&d, t, tz), "{zone} {t} {d}");
            }
            t += 7 * 60_000;
        }
    }
}
