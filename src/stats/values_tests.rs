use chrono::NaiveDateTime;
use proptest::prelude::*;

use super::*;

const ZONES: [&str; 5] = [
    "Europe/Stockholm",
    "America/New_York",
    "Australia/Lord_Howe",
    "America/Santiago",
    "Asia/Kolkata",
];
const YEARS: [i32; 4] = [2016, 2020, 2022, 2024];
const MIN_MS: u64 = 60_000;

fn zone(name: &str) -> Timezone {
    Timezone::parse(name).unwrap()
}

fn ms(t: DateTime<chrono_tz::Tz>) -> u64 {
    u64::try_from(t.timestamp_millis()).unwrap()
}

/// Where a local date begins, straight from chrono-tz: the earliest
/// instant of its first minute that exists (Santiago skips midnight).
fn day_start(date: NaiveDate, tz: Timezone) -> u64 {
    let midnight = date.and_hms_opt(0, 0, 0).unwrap();
    (0..24 * 60)
        .find_map(|m| {
            tz.tz()
                .from_local_datetime(&(midnight + chrono::Duration::minutes(m)))
                .earliest()
        })
        .map(ms)
        .unwrap()
}

/// The instant a label names: its local time, at its offset if it has one.
/// `None` when that local time doesn't exist or the offset doesn't fit.
fn instant_of_label(label: &str, tz: Timezone) -> Option<u64> {
    let (local, offset) = label.split_at(19.min(label.len()));
    let local = NaiveDateTime::parse_from_str(local, "%Y-%m-%d %H:%M:%S").ok()?;
    let candidates: Vec<DateTime<chrono_tz::Tz>> = match tz.tz().from_local_datetime(&local) {
        LocalResult::Single(t) => vec![t],
        LocalResult::Ambiguous(a, b) => vec![a, b],
        LocalResult::None => Vec::new(),
    };
    let pick = if offset.is_empty() {
        // A label without an offset must name one instant.
        match candidates.as_slice() {
            [one] => Some(*one),
            _ => None,
        }
    } else {
        candidates
            .into_iter()
            .find(|t| t.format("%:z").to_string() == offset)
    };
    pick.map(ms)
}

/// The buckets of one local day, walked with [`hour_bucket`].
fn walk(from: u64, to: u64, tz: Timezone) -> Vec<HourBucket> {
    let mut out = Vec::new();
    let mut t = from;
    while t < to {
        let b = hour_bucket(t, tz);
        out.push(b);
        t = b.end_ms;
    }
    out
}

/// For every local day of several years in zones with whole-hour,
/// half-hour, midnight and no transitions: as many hour buckets as the day
/// has hours (rounded up), as many as chrono-tz has distinct (local hour,
/// offset) pairs that day, every label a real local time naming its
/// bucket's start, and every instant in the bucket that contains it.
#[test]
fn hour_buckets_follow_every_transition() {
    for name in ZONES {
        let tz = zone(name);
        for year in YEARS {
            // (day length in half hours → days) seen, so the test can't
            // pass by meeting no transition.
            let mut lengths: HashMap<u64, usize> = HashMap::new();
            let first = NaiveDate::from_ymd_opt(year, 1, 1).unwrap();
            let mut date = first;
            while date.year() == year {
                let next = date.succ_opt().unwrap();
                let (from, to) = (day_start(date, tz), day_start(next, tz));
                let why = format!("{name} {date}");
                let half_hours = (to - from) / (HOUR_MS / 2);
                assert_eq!((to - from) % (HOUR_MS / 2), 0, "{why}");
                *lengths.entry(half_hours).or_default() += 1;
                let buckets = walk(from, to, tz);
                // 1. As many buckets as the day has hours, rounded up.
                assert_eq!(
                    buckets.len() as u64,
                    half_hours.div_ceil(2),
                    "{why}: {} hours",
                    half_hours as f64 / 2.0
                );
                // ...which is the number of (local hour, offset) pairs
                // chrono-tz gives the day's instants (sampled every 15
                // minutes: every offset here is whole half hours).
                let mut pairs = std::collections::BTreeSet::new();
                let mut t = from;
                while t < to {
                    let dt = local_datetime(t, tz);
                    pairs.insert((dt.hour(), dt.offset().fix().local_minus_utc()));
                    // 2. Every instant is in the bucket that contains it.
                    for at in [t, t + 7 * MIN_MS, t + 15 * MIN_MS - 1] {
                        let b = hour_bucket(at, tz);
                        assert!(b.start_ms <= at && at < b.end_ms, "{why}: {at}");
                        assert!(
                            buckets.contains(&b),
                            "{why}: {at} outside the day's buckets"
                        );
                        let local = local_datetime(at, tz);
                        assert_eq!(
                            b.value & !FOLD,
                            time_bucket(&Dimension::Day, at, tz) * 24 + u64::from(local.hour()),
                            "{why}"
                        );
                    }
                    t += 15 * MIN_MS;
                }
                assert_eq!(buckets.len(), pairs.len(), "{why}");
                // 3. The buckets tile the day, in order, each of one date.
                assert_eq!(buckets[0].start_ms, from, "{why}");
                assert_eq!(buckets.last().unwrap().end_ms, to, "{why}");
                for w in buckets.windows(2) {
                    assert_eq!(w[0].end_ms, w[1].start_ms, "{why}");
                    assert!(bucket_order(w[0].value) < bucket_order(w[1].value), "{why}");
                }
                let listed = time_buckets(&Dimension::Hour, from, to, tz);
                assert_eq!(
                    listed,
                    buckets.iter().map(|b| b.value).collect::<Vec<_>>(),
                    "{why}"
                );
                // 4. Every label is a real local time, naming its start.
                for b in &buckets {
                    assert!(b.end_ms - b.start_ms <= HOUR_MS, "{why}");
                    assert_eq!(hour_start(b.value, tz), Some(b.start_ms), "{why}");
                    let label = time_label(&Dimension::Hour, b.value, tz);
                    assert!(label.starts_with(&date.to_string()), "{why}: {label}");
                    assert_eq!(
                        instant_of_label(&label, tz),
                        Some(b.start_ms),
                        "{why}: {label}"
                    );
                }
                date = next;
            }
            let want: &[(u64, usize)] = match name {
                "Asia/Kolkata" => &[(48, 366)],
                "Australia/Lord_Howe" => &[(47, 1), (48, 364), (49, 1)],
                _ => &[(46, 1), (48, 364), (50, 1)],
            };
            let mut got: Vec<(u64, usize)> = lengths.into_iter().collect();
            got.sort_unstable();
            let days = if NaiveDate::from_ymd_opt(year, 2, 29).is_some() {
                366
            } else {
                365
            };
            let want: Vec<(u64, usize)> = want
                .iter()
                .map(|&(h, n)| (h, if h == 48 { n + days - 366 } else { n }))
                .collect();
            assert_eq!(got, want, "{name} {year}: day lengths in half hours");
        }
    }
}

#[test]
fn transition_days_are_labelled_as_documented() {
    let labels = |name: &str, date: &str| -> Vec<String> {
        let tz = zone(name);
        let d: NaiveDate = date.parse().unwrap();
        let (from, to) = (day_start(d, tz), day_start(d.succ_opt().unwrap(), tz));
        time_buckets(&Dimension::Hour, from, to, tz)
            .into_iter()
            .map(|raw| time_label(&Dimension::Hour, raw, tz)[11..].to_owned())
            .collect()
    };
    for (why, name, date, len, has, lacks) in [
        (
            "spring forward skips 02:00",
            "Europe/Stockholm",
            "2020-03-29",
            23,
            &["01:00:00", "03:00:00"][..],
            &["02:00:00"][..],
        ),
        (
            "fall back repeats 02:00, both with their offset",
            "Europe/Stockholm",
            "2020-10-25",
            25,
            &["01:00:00", "02:00:00+02:00", "02:00:00+01:00", "03:00:00"][..],
            &["02:00:00"][..],
        ),
        (
            "New York springs forward at 02:00",
            "America/New_York",
            "2024-03-10",
            23,
            &["01:00:00", "03:00:00"][..],
            &["02:00:00"][..],
        ),
        (
            "New York falls back at 02:00 to 01:00",
            "America/New_York",
            "2024-11-03",
            25,
            &["01:00:00-04:00", "01:00:00-05:00", "02:00:00"][..],
            &["01:00:00"][..],
        ),
        (
            "Lord Howe skips half an hour: the 02 bucket starts at 02:30",
            "Australia/Lord_Howe",
            "2020-10-04",
            24,
            &["01:00:00", "02:30:00", "03:00:00"][..],
            &["02:00:00"][..],
        ),
        (
            "Lord Howe repeats 01:30-02:00: a half-hour bucket at the later offset",
            "Australia/Lord_Howe",
            "2020-04-05",
            25,
            &["01:00:00", "01:30:00+10:30", "02:00:00"][..],
            &[][..],
        ),
        (
            "Santiago falls back at midnight: Saturday's 23:00 twice",
            "America/Santiago",
            "2020-04-04",
            25,
            &["23:00:00-03:00", "23:00:00-04:00"][..],
            &["23:00:00"][..],
        ),
        (
            "Santiago springs forward at midnight: the day starts at 01:00",
            "America/Santiago",
            "2020-09-06",
            23,
            &["01:00:00", "23:00:00"][..],
            &["00:00:00"][..],
        ),
        (
            "Kolkata has no transitions",
            "Asia/Kolkata",
            "2020-03-29",
            24,
            &["00:00:00", "02:00:00", "23:00:00"][..],
            &[][..],
        ),
    ] {
        let got = labels(name, date);
        assert_eq!(got.len(), len, "{why}: {got:?}");
        for h in has {
            assert!(got.iter().any(|g| g == h), "{why}: no {h} in {got:?}");
        }
        for l in lacks {
            assert!(!got.iter().any(|g| g == l), "{why}: {l} in {got:?}");
        }
    }
}

#[test]
fn days_weeks_and_months_follow_the_zone() {
    let tz = zone("America/New_York");
    // 2024-03-10T04:30Z is still 2024-03-09 (a Saturday) in New York.
    let t = 1_710_045_000_000;
    assert_eq!(
        time_label(&Dimension::Day, time_bucket(&Dimension::Day, t, tz), tz),
        "2024-03-09"
    );
    assert_eq!(
        time_label(&Dimension::Week, time_bucket(&Dimension::Week, t, tz), tz),
        "2024-03-04"
    );
    assert_eq!(
        time_label(&Dimension::Month, time_bucket(&Dimension::Month, t, tz), tz),
        "2024-03-01"
    );
    let (from, to) = (
        day_start("2024-02-26".parse().unwrap(), tz),
        day_start("2024-03-12".parse().unwrap(), tz),
    );
    let weeks: Vec<String> = time_buckets(&Dimension::Week, from, to, tz)
        .into_iter()
        .map(|w| time_label(&Dimension::Week, w, tz))
        .collect();
    assert_eq!(weeks, ["2024-02-26", "2024-03-04", "2024-03-11"]);
    assert_eq!(time_buckets(&Dimension::Day, from, to, tz).len(), 15);
    assert_eq!(time_buckets(&Dimension::Month, from, to, tz).len(), 2);
    // The week of 1970-01-01 (a Thursday) starts at day 0, not before.
    assert_eq!(time_bucket(&Dimension::Week, 0, Timezone::default()), 0);
}

proptest! {
    #[test]
    fn any_instant_is_in_the_bucket_that_contains_it(
        zone_index in 0..ZONES.len(),
        t in 946_684_800_000u64..1_893_456_000_000,
    ) {
        let tz = zone(ZONES[zone_index]);
        let b = hour_bucket(t, tz);
        prop_assert!(b.start_ms <= t && t < b.end_ms);
        prop_assert!(b.end_ms - b.start_ms <= HOUR_MS);
        prop_assert_eq!(hour_bucket(b.start_ms, tz), b);
        prop_assert_eq!(hour_bucket(b.end_ms - 1, tz), b);
        prop_assert_ne!(hour_bucket(b.end_ms, tz).value, b.value);
        prop_assert_eq!(hour_start(b.value, tz), Some(b.start_ms));
    }
}
