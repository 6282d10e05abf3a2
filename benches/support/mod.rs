//! Self-seeded benchmark data: a store of N events for one site over 30 days,
//! written through the real writer (sessionizer, interner, group commit), with
//! a realistic spread of pages, sources, countries and devices. The store is
//! cached under `target/bench-data/` and rebuilt when missing.

#![allow(
    dead_code,
    clippy::cast_possible_truncation,
    clippy::cast_precision_loss
)]

use std::{
    path::{Path, PathBuf},
    sync::Arc,
    time::{Duration, Instant},
};

use touchpoint::{
    domain::{Domain, SiteId, Timezone},
    geo::GeoInfo,
    ingest::{
        acquisition::{Acquisition, Channel, ClickKind, Utm},
        enrich::Enriched,
        useragent::{Device, UaInfo},
        visitor::{DAY_MS, VisitorHashes},
        writer::{self, WriterConfig},
    },
    metrics::Metrics,
    stats::{
        query::{Dimension, Filter, Metric, Op, Query},
        rollup,
    },
    store::Store,
};

/// Bump when the generator changes so cached stores are rebuilt.
const SEED_VERSION: u32 = 8;
/// First seeded day: 2024-01-01 00:00 UTC.
pub const START_MS: u64 = 1_704_067_200_000;
/// Days seeded.
pub const DAYS: u64 = 30;

/// A small, fast, deterministic PRNG (xorshift64*), so every run seeds the same data.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    /// Roughly Zipf-distributed index in `0..n`: a few values dominate, like real pages.
    pub fn zipf(&mut self, n: u64) -> u64 {
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        ((n as f64).powf(u) - 1.0) as u64 % n
    }
}

const SOURCES: &[(&str, Option<&str>, Channel)] = &[
    ("Google", Some("google.com"), Channel::OrganicSearch),
    ("", None, Channel::Direct),
    ("Bing", Some("bing.com"), Channel::OrganicSearch),
    ("Facebook", Some("facebook.com"), Channel::OrganicSocial),
    ("Twitter", Some("t.co"), Channel::OrganicSocial),
    ("DuckDuckGo", Some("duckduckgo.com"), Channel::OrganicSearch),
    (
        "Hacker News",
        Some("news.ycombinator.com"),
        Channel::OrganicSocial,
    ),
    ("newsletter", None, Channel::Email),
    ("Reddit", Some("reddit.com"), Channel::OrganicSocial),
    (
        "blog.example.org",
        Some("blog.example.org"),
        Channel::Referral,
    ),
];
const COUNTRIES: &[&[u8; 2]] = &[
    b"US", b"GB", b"DE", b"FR", b"IN", b"CA", b"NL", b"BR", b"JP", b"ES", b"IT", b"AU", b"SE",
    b"PL",
];
const BROWSERS: &[(&str, &str, &str, Device)] = &[
    ("Chrome", "120", "Windows", Device::Desktop),
    ("Safari", "17", "iOS", Device::Mobile),
    ("Chrome", "120", "Android", Device::Mobile),
    ("Firefox", "121", "Windows", Device::Desktop),
    ("Safari", "17", "Mac", Device::Desktop),
    ("Microsoft Edge", "120", "Windows", Device::Desktop),
    ("Safari", "17", "iOS", Device::Tablet),
];

fn event(rng: &mut Rng, ts_ms: u64, visitor: u64, path: u64, first: &SessionTraits) -> Enriched {
    let (name, props) = if rng.below(20) == 0 {
        (
            Some("Signup".to_owned()),
            vec![(
                "plan".to_owned(),
                ["free", "pro", "team"][rng.below(3) as usize].to_owned(),
            )],
        )
    } else {
        (None, Vec::new())
    };
    let (src, host, channel) = SOURCES[first.source];
    let (browser, bv, os, device) = BROWSERS[first.browser];
    Enriched {
        site: SiteId(1),
        timezone: Timezone::default(),
        ts_ms,
        timed: false,
        message_id: None,
        source: "tracker",
        visitor: VisitorHashes {
            current: visitor,
            previous: None,
        },
        cookieless: None,
        lead: None,
        name,
        hostname: "example.com".into(),
        path: if path == 0 {
            "/".into()
        } else {
            format!("/docs/page-{path}")
        },
        props,
        revenue: None,
        engagement: None,
        interactive: true,
        acquisition: Acquisition {
            referrer: host.map(|h| format!("{h}/")),
            referrer_host: host.map(str::to_owned),
            source: (!src.is_empty()).then(|| src.to_owned()),
            utm: Utm {
                source: (channel == Channel::Email).then(|| "newsletter".to_owned()),
                medium: (channel == Channel::Email).then(|| "email".to_owned()),
                campaign: (channel == Channel::Email).then(|| format!("issue-{}", first.campaign)),
                ..Utm::default()
            },
            click: (first.source == 0 && first.campaign.is_multiple_of(10))
                .then_some(ClickKind::Gclid),
            channel,
        },
        geo: GeoInfo {
            country: Some(*COUNTRIES[first.country]),
            region: None,
            region_name: None,
            city: None,
        },
        ua: UaInfo {
            browser: browser.into(),
            browser_version: bv.into(),
            os: os.into(),
            os_version: String::new(),
            device,
        },
    }
}

struct SessionTraits {
    source: usize,
    country: usize,
    browser: usize,
    campaign: u64,
}

/// Seeds `events` events into a fresh store at `dir`; returns (seconds, bytes on disk).
pub fn seed(dir: &Path, events: u64) -> (f64, u64) {
    let _ = std::fs::remove_dir_all(dir);
    let store = Store::open(dir).expect("open store");
    let ws = store.create_workspace("Bench", START_MS).unwrap().id;
    store
        .add_site(
            ws,
            &Domain::parse("example.com").unwrap(),
            Timezone::default(),
            START_MS,
        )
        .unwrap();
    let metrics = Arc::new(Metrics::default());
    let cfg = WriterConfig {
        batch_size: 8192,
        flush_interval: Duration::from_millis(50),
        queue_capacity: 65_536,
        queue_bytes: 1 << 30,
        max_open_visits: touchpoint::ingest::session::DEFAULT_MAX_OPEN_VISITS,
    };
    let (handle, join) = writer::spawn(&store, cfg, metrics, START_MS).unwrap();
    let started = Instant::now();
    let mut rng = Rng::new(42);
    let per_day = events / DAYS;
    let mut sent = 0u64;
    let mut pending = std::collections::VecDeque::new();
    for day in 0..DAYS {
        let day_start = START_MS + day * DAY_MS;
        // Build the day's events, then send them in time order.
        let mut day_events = Vec::with_capacity(per_day as usize + 16);
        let mut n = 0;
        while n < per_day {
            let traits = SessionTraits {
                source: rng.zipf(SOURCES.len() as u64) as usize,
                country: rng.zipf(COUNTRIES.len() as u64) as usize,
                browser: rng.zipf(BROWSERS.len() as u64) as usize,
                campaign: rng.below(12),
            };
            let visitor = rng.next();
            let len = 1 + rng.zipf(8);
            let mut t = day_start + rng.below(DAY_MS - 3_600_000);
            for _ in 0..len {
                let page = rng.zipf(500);
                day_events.push(event(&mut rng, t, visitor, page, &traits));
                t += 5_000 + rng.below(120_000);
                n += 1;
            }
        }
        day_events.sort_by_key(|e| e.ts_ms);
        for e in day_events {
            loop {
                match handle.enqueue(e.clone()) {
                    Ok(rx) => {
                        pending.push_back(rx);
                        break;
                    }
                    Err(_) => {
                        // Queue full: wait for the oldest acknowledgement.
                        if let Some(rx) = pending.pop_front() {
                            rx.blocking_recv().unwrap().unwrap();
                        }
                    }
                }
            }
            sent += 1;
            while pending.len() > 60_000 {
                pending
                    .pop_front()
                    .unwrap()
                    .blocking_recv()
                    .unwrap()
                    .unwrap();
            }
        }
    }
    for rx in pending {
        rx.blocking_recv().unwrap().unwrap();
    }
    handle.close();
    join.join().unwrap();
    let days = rollup::roll_up_all(
        &store,
        START_MS + (DAYS - 1) * DAY_MS + rollup::ROLLUP_DELAY_MS,
    )
    .unwrap();
    assert_eq!(days as u64, DAYS - 1);
    let secs = started.elapsed().as_secs_f64();
    let bytes = store.file_size();
    eprintln!(
        "seeded {sent} events in {secs:.1} s ({:.0} events/s); store {bytes} bytes = {:.1} bytes/event",
        sent as f64 / secs,
        bytes as f64 / sent as f64
    );
    (secs, bytes)
}

/// Events in the benchmark store: `TOUCHPOINT_BENCH_EVENTS`, else 10 million.
pub fn bench_events() -> u64 {
    std::env::var("TOUCHPOINT_BENCH_EVENTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000_000)
}

/// The cached store for `events` events, seeding it first if needed.
pub fn cached_store(events: u64) -> (PathBuf, Store) {
    let base = std::env::var_os("TOUCHPOINT_BENCH_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data"),
        PathBuf::from,
    );
    let dir = base.join(format!("v{SEED_VERSION}-{events}"));
    let marker = dir.join("seeded");
    if !marker.exists() {
        let (_, bytes) = seed(&dir, events);
        let mut store = Store::open(&dir).expect("open seeded store");
        store.compact().expect("compact");
        let after = store.file_size();
        let note = format!(
            "events={events} bytes_after_seeding={bytes} ({:.1}/event) bytes_after_compaction={after} ({:.1}/event)\n",
            bytes as f64 / events as f64,
            after as f64 / events as f64
        );
        eprint!("{note}");
        std::fs::write(&marker, note).unwrap();
    }
    // Queries run with the server's default cache unless TOUCHPOINT_BENCH_CACHE_MB says otherwise.
    let cache_mb: usize = std::env::var("TOUCHPOINT_BENCH_CACHE_MB")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(touchpoint::store::DEFAULT_CACHE_BYTES >> 20);
    let store = Store::open_with_cache(&dir, cache_mb << 20).expect("open seeded store");
    // As on a live server, every day but the last ("today") is rolled up.
    // Idempotent; after a schema migration dropped rollups this rebuilds them.
    rollup::roll_up_all(
        &store,
        START_MS + (DAYS - 1) * DAY_MS + rollup::ROLLUP_DELAY_MS,
    )
    .expect("roll up");
    (dir, store)
}

/// A scratch copy of the cached store for benches that write to it, in a
/// temporary directory (on `/dev/shm` when there is one, so their writes
/// aren't disk flushes). The directory goes when the first value is dropped.
pub fn scratch_copy(events: u64) -> (tempfile::TempDir, Store) {
    let (dir, store) = cached_store(events);
    drop(store);
    let base = if Path::new("/dev/shm").is_dir() {
        PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    let copy = tempfile::tempdir_in(base).unwrap();
    std::fs::copy(
        dir.join(touchpoint::store::FILE_NAME),
        copy.path().join(touchpoint::store::FILE_NAME),
    )
    .unwrap();
    let store = Store::open(copy.path()).unwrap();
    (copy, store)
}

/// A report query over the whole seeded month.
pub fn query(dims: Vec<Dimension>, filter: Option<Filter>) -> Query {
    Query {
        site: SiteId(1),
        timezone: Timezone::default(),
        from_ms: START_MS,
        to_ms: START_MS + DAYS * DAY_MS,
        metrics: vec![
            Metric::Visitors,
            Metric::Visits,
            Metric::Pageviews,
            Metric::BounceRate,
            Metric::VisitDuration,
        ],
        dimensions: dims,
        filter,
        order_by: Vec::new(),
        limit: 100,
        offset: 0,
        money: Default::default(),
    }
}

/// The report table both engines are measured on: unfiltered aggregate,
/// timeseries and breakdowns, and filtered views.
pub fn query_table() -> Vec<(&'static str, Query)> {
    let us = Filter::Leaf {
        op: Op::Is,
        dim: Dimension::Country,
        values: vec!["US".into()],
        case_sensitive: true,
    };
    vec![
        ("aggregate_30d", query(vec![], None)),
        ("timeseries_30d_by_day", query(vec![Dimension::Day], None)),
        ("breakdown_pages_30d", query(vec![Dimension::Page], None)),
        (
            "breakdown_sources_30d",
            query(vec![Dimension::Source], None),
        ),
        (
            "breakdown_pages_30d_filtered_country",
            query(vec![Dimension::Page], Some(us.clone())),
        ),
        (
            "breakdown_sources_30d_filtered_page",
            query(
                vec![Dimension::Source],
                Some(Filter::Leaf {
                    op: Op::Is,
                    dim: Dimension::Page,
                    values: vec!["/docs/page-3".into()],
                    case_sensitive: true,
                }),
            ),
        ),
        ("aggregate_30d_filtered_country", query(vec![], Some(us))),
    ]
}
