//! Differential test of the two engines: the same seeded visits committed to
//! an embedded store and to one on ClickHouse (Debian's 18.16), then a
//! generated table of queries — every metric, every dimension, every filter
//! operator (case-sensitive or not, negated, combined), aligned and unaligned
//! ranges, four time zones with DST and odd offsets — must answer identically.

use std::{collections::BTreeMap, sync::Arc};

use rand::{Rng, SeedableRng, rngs::StdRng};
use touchpoint::{
    domain::{SiteId, Timezone, money::Money},
    stats::{
        self,
        query::{Dimension, Filter, Metric, Op, Query},
    },
    store::{
        Batch, EngagementPing, SessionAppend, SessionKey, Store, VisitorUpgrade,
        clickhouse::{ClickHouse, ClickHouseConfig},
        record::{Engagement, EventRecord, Revenue, SessionRecord},
    },
};

use crate::clickhouse_server::ClickHouseServer;

const SITE: SiteId = SiteId(1);
/// 2024-03-01T00:00Z: the data spans Europe's and America's spring DST change.
const START: u64 = 1_709_251_200_000;
const DAY: u64 = 86_400_000;
const DAYS: u64 = 40;

const PATHS: &[&str] = &[
    "/",
    "/pricing",
    "/docs/start",
    "/docs/install",
    "/docs/page-3",
    "/blog/über-uns",
    "/blog/Launch",
    "/checkout",
];
const NAMES: &[&str] = &["Signup", "Purchase", "Download", "Outbound Link: Click"];
const SOURCES: &[&str] = &["Google", "Bing", "news", "Newsletter", "github.com"];
const CAMPAIGNS: &[&str] = &["winter", "Spring sale", "launch"];
const BROWSERS: &[&str] = &["Chrome", "Firefox", "Safari"];
const CITIES: &[&str] = &["Berlin", "München", "Paris"];
const PLANS: &[&str] = &["pro", "free", "Team"];

/// Texts interned with ids from 1, as the writer does.
struct Texts(Vec<String>);

impl Texts {
    fn id(&mut self, s: &str) -> u32 {
        match self.0.iter().position(|t| t == s) {
            Some(i) => u32::try_from(i + 1).unwrap(),
            None => {
                self.0.push(s.to_owned());
                u32::try_from(self.0.len()).unwrap()
            }
        }
    }
}

/// Batches of seeded visits: ~1,500 visits over 40 days, some continued in
/// a later batch, some with engagement pings, a few consent upgrades.
fn batches() -> Vec<Batch> {
    let mut rng = StdRng::seed_from_u64(13);
    let mut texts = Texts(Vec::new());
    let mut out = Vec::new();
    let mut next_id = 1u64;
    let mut last_strings = 0usize;
    for day in 0..DAYS {
        let mut batch = Batch::default();
        let mut second = Batch::default();
        let visits = rng.random_range(20..60);
        for _ in 0..visits {
            // Visitors repeat within a day (daily-salted ids) and a few
            // consenting ones across days.
            let visitor = if rng.random_bool(0.1) {
                1_000 + rng.random_range(0..20)
            } else {
                day * 10_000 + rng.random_range(0..40)
            };
            let start = START + day * DAY + rng.random_range(0..DAY - 3_600_000);
            let pick = |rng: &mut StdRng, v: &[&str]| v[rng.random_range(0..v.len())].to_owned();
            let mut h = SessionRecord {
                visitor,
                hostname: texts.id(if rng.random_bool(0.9) {
                    "example.com"
                } else {
                    "shop.example.com"
                }),
                channel: rng.random_range(0..6),
                click: if rng.random_bool(0.1) { 1 } else { 0 },
                country: if rng.random_bool(0.8) {
                    *[b"DE", b"US", b"FR"][rng.random_range(0..3)]
                } else {
                    [0, 0]
                },
                device: rng.random_range(0..4),
                ..SessionRecord::default()
            };
            if rng.random_bool(0.7) {
                let s = pick(&mut rng, SOURCES);
                h.source = texts.id(&s);
                h.referrer = texts.id(&format!("{}/", s.to_lowercase()));
            }
            if rng.random_bool(0.4) {
                let s = pick(&mut rng, SOURCES);
                h.utm[0] = texts.id(&s);
                h.utm[1] = texts.id(if rng.random_bool(0.5) { "cpc" } else { "email" });
                let c = pick(&mut rng, CAMPAIGNS);
                h.utm[2] = texts.id(&c);
            }
            if h.country != [0, 0] {
                let c = pick(&mut rng, CITIES);
                h.city = texts.id(&c);
                h.region = texts.id(&format!("{}-X", std::str::from_utf8(&h.country).unwrap()));
            }
            let b = pick(&mut rng, BROWSERS);
            h.browser = texts.id(&b);
            h.browser_version = texts.id(&format!("{}", rng.random_range(100..103)));
            h.os = texts.id(if rng.random_bool(0.5) {
                "Windows"
            } else {
                "iOS"
            });
            h.os_version = texts.id("10");
            let n = rng.random_range(1..7);
            let mut events = Vec::new();
            let mut offset = 0u32;
            for i in 0..n {
                let pageview = i == 0 || rng.random_bool(0.6);
                let path = texts.id(&pick(&mut rng, PATHS));
                let mut e = EventRecord {
                    offset_ms: offset,
                    path,
                    pageview,
                    interactive: pageview || rng.random_bool(0.7),
                    ..EventRecord::default()
                };
                if !pageview {
                    let name = pick(&mut rng, NAMES);
                    e.name = texts.id(&name);
                    if rng.random_bool(0.6) {
                        let plan = pick(&mut rng, PLANS);
                        e.props = vec![(texts.id("plan"), texts.id(&plan))];
                        if rng.random_bool(0.5) {
                            let seats = rng.random_range(1..4).to_string();
                            e.props.push((texts.id("seats"), texts.id(&seats)));
                        }
                    }
                    if name == "Purchase" {
                        e.revenue = Some(Revenue {
                            // Refunds and free orders too: sums of 0 must
                            // keep their event counts.
                            amount_micros: match rng.random_range(0..10) {
                                0 => 0,
                                1 => -rng.random_range(1..50) * 10_000,
                                _ => rng.random_range(1..500) * 10_000,
                            },
                            currency: if rng.random_bool(0.8) {
                                *b"EUR"
                            } else {
                                *b"USD"
                            },
                        });
                    }
                }
                events.push(e);
                offset += rng.random_range(0..400_000);
            }
            let id = next_id;
            next_id += 1;
            let key = SessionKey {
                site: SITE,
                start_ms: start,
                id,
            };
            // Some visits get their later events in the next batch.
            let split = if n > 2 && rng.random_bool(0.3) {
                n / 2
            } else {
                n
            };
            let ping = |events: &[EventRecord], rng: &mut StdRng| {
                let upto = u32::try_from(events.len()).unwrap();
                events
                    .iter()
                    .rev()
                    .find(|e| e.pageview)
                    .map(|e| EngagementPing {
                        path: e.path,
                        upto,
                        engagement: Engagement {
                            engaged_ms: rng.random_range(1_000..60_000),
                            scroll: if rng.random_bool(0.7) {
                                Some(rng.random_range(0..=100))
                            } else {
                                None
                            },
                        },
                    })
            };
            let mut first = SessionAppend {
                key,
                day: 0,
                header: Some(h),
                events: events[..split].to_vec(),
                engagements: Vec::new(),
            };
            if rng.random_bool(0.4) {
                first.engagements.extend(ping(&events[..split], &mut rng));
                first.engagements.extend(ping(&events[..split], &mut rng));
            }
            batch.sessions.push(first);
            if split < n {
                let mut rest = SessionAppend {
                    key,
                    day: 0,
                    header: None,
                    events: events[split..].to_vec(),
                    engagements: Vec::new(),
                };
                if rng.random_bool(0.5) {
                    rest.engagements.extend(ping(&events, &mut rng));
                }
                second.sessions.push(rest);
            }
        }
        // A consenting visitor takes over a cookieless one's visits that day.
        if day % 5 == 2 {
            second.upgrades.push(VisitorUpgrade {
                site: SITE,
                from: vec![day * 10_000 + 3, day * 10_000 + 4],
                to: 1_000 + day % 20,
                since_ms: START + day * DAY,
                days: 0..=0,
            });
        }
        for b in [&mut batch, &mut second] {
            b.strings = texts.0[last_strings..]
                .iter()
                .enumerate()
                .map(|(i, t)| (u32::try_from(last_strings + i + 1).unwrap(), t.clone()))
                .collect();
            last_strings = texts.0.len();
            b.next_session_id = next_id;
            b.next_string_id = u32::try_from(texts.0.len() + 1).unwrap();
        }
        out.push(batch);
        out.push(second);
    }
    out
}

fn dims() -> Vec<Vec<Dimension>> {
    let one = [
        "event:page",
        "event:name",
        "event:hostname",
        "event:props:plan",
        "event:props:seats",
        "event:currency",
        "visit:entry_page",
        "visit:exit_page",
        "visit:source",
        "visit:referrer",
        "visit:channel",
        "visit:utm_source",
        "visit:utm_medium",
        "visit:utm_campaign",
        "visit:click_id",
        "visit:device",
        "visit:browser",
        "visit:browser_version",
        "visit:os",
        "visit:os_version",
        "visit:country",
        "visit:region",
        "visit:city",
        "time:hour",
        "time:day",
        "time:week",
        "time:month",
    ];
    let mut out: Vec<Vec<Dimension>> = vec![Vec::new()];
    out.extend(one.iter().map(|d| vec![Dimension::parse(d).unwrap()]));
    for pair in [
        ["visit:source", "event:page"],
        ["time:day", "visit:device"],
        ["event:name", "event:props:plan"],
        ["visit:country", "visit:city"],
    ] {
        out.push(pair.iter().map(|d| Dimension::parse(d).unwrap()).collect());
    }
    out
}

fn leaf(op: Op, dim: &str, values: &[&str], case_sensitive: bool) -> Filter {
    Filter::Leaf {
        op,
        dim: Dimension::parse(dim).unwrap(),
        values: values.iter().map(|v| (*v).to_owned()).collect(),
        case_sensitive,
    }
}

fn filters() -> Vec<Option<Filter>> {
    use Op::*;
    vec![
        None,
        Some(leaf(Is, "event:page", &["/pricing", "/docs/start"], true)),
        Some(leaf(IsNot, "event:page", &["/"], true)),
        Some(leaf(Contains, "event:page", &["docs"], true)),
        Some(leaf(Contains, "event:page", &["ÜBER"], false)),
        Some(leaf(ContainsNot, "event:page", &["blog"], true)),
        Some(leaf(
            Matches,
            "event:page",
            &["^/docs/(start|page-\\d)$"],
            true,
        )),
        Some(leaf(MatchesNot, "event:page", &["^/blog"], true)),
        Some(leaf(Is, "event:name", &["Purchase"], true)),
        Some(leaf(Is, "event:name", &["signup"], false)),
        Some(leaf(Is, "event:props:plan", &["pro", "Team"], true)),
        Some(leaf(IsNot, "event:props:plan", &["free"], true)),
        Some(leaf(Is, "visit:source", &["Google"], true)),
        Some(leaf(Is, "visit:source", &["Direct / None"], true)),
        Some(leaf(IsNot, "visit:source", &["Bing"], true)),
        Some(leaf(Contains, "visit:utm_campaign", &["SALE"], false)),
        Some(leaf(Matches, "visit:city", &["^M"], true)),
        Some(leaf(Is, "visit:country", &["DE"], true)),
        Some(leaf(Is, "visit:entry_page", &["/"], true)),
        Some(leaf(IsNot, "visit:exit_page", &["/checkout"], true)),
        Some(leaf(Is, "visit:device", &["Mobile", "Desktop"], true)),
        Some(leaf(Is, "event:currency", &["EUR"], true)),
        Some(Filter::And(vec![
            leaf(Is, "visit:country", &["DE", "US"], true),
            leaf(Contains, "event:page", &["docs"], true),
        ])),
        Some(Filter::Or(vec![
            leaf(Is, "event:name", &["Download"], true),
            leaf(Is, "visit:browser", &["Firefox"], true),
        ])),
        Some(Filter::Not(Box::new(Filter::And(vec![
            leaf(Is, "event:page", &["/"], true),
            leaf(Is, "visit:source", &["news"], true),
        ])))),
    ]
}

fn query(tz: Timezone, range: (u64, u64), dims: Vec<Dimension>, filter: Option<Filter>) -> Query {
    let page = dims.contains(&Dimension::Page)
        || filter
            .as_ref()
            .is_some_and(|f| f.mentions(&Dimension::Page));
    let mut metrics = vec![
        Metric::Visitors,
        Metric::Visits,
        Metric::Pageviews,
        Metric::ViewsPerVisit,
        Metric::BounceRate,
        Metric::VisitDuration,
        Metric::Events,
        Metric::TotalRevenue,
        Metric::AverageRevenue,
    ];
    if !dims.is_empty() {
        metrics.push(Metric::Percentage);
    }
    if page {
        metrics.extend([Metric::TimeOnPage, Metric::ScrollDepth]);
    }
    Query {
        site: SITE,
        timezone: tz,
        from_ms: range.0,
        to_ms: range.1,
        metrics,
        dimensions: dims,
        filter,
        order_by: Vec::new(),
        limit: 10_000,
        offset: 0,
        money: Money::default(),
    }
}

#[test]
fn both_engines_answer_a_generated_table_of_queries_identically() {
    let server = ClickHouseServer::start().expect("a ClickHouse server starts");
    let dir_a = tempfile::tempdir().unwrap();
    let dir_b = tempfile::tempdir().unwrap();
    let embedded = Store::open(dir_a.path()).unwrap();
    let mut on_ch = Store::open(dir_b.path()).unwrap();
    let ch = ClickHouse::connect(ClickHouseConfig {
        url: server.url(),
        database: "differential".into(),
        user: "default".into(),
        password: String::new(),
        cluster: String::new(),
        timeout: std::time::Duration::from_secs(60),
        query_timeout: std::time::Duration::from_secs(600),
    })
    .unwrap();
    let ch = Arc::new(ch);
    on_ch.use_clickhouse(ch.clone());
    for b in batches() {
        embedded.commit_batch(&b).unwrap();
        on_ch.commit_batch(&b).unwrap();
    }
    let (va, vb) = (embedded.read().unwrap(), on_ch.read().unwrap());
    ch.record(true);
    let zones = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kathmandu"];
    let ranges = [
        (START, START + DAYS * DAY),                                // everything
        (START + 20 * DAY, START + 27 * DAY),                       // a week around the DST change
        (START + 3 * DAY + 5_400_000, START + 9 * DAY + 1_800_000), // not day-aligned
    ];
    let mut rng = StdRng::seed_from_u64(7);
    let all_dims = dims();
    let all_filters = filters();
    let mut compared = 0;
    let mut rows = 0;
    let mut by_dim: BTreeMap<String, usize> = BTreeMap::new();
    for (zi, zone) in zones.iter().enumerate() {
        let tz = Timezone::parse(zone).unwrap();
        for (ri, range) in ranges.iter().enumerate() {
            let mut cases: Vec<(Vec<Dimension>, Option<Filter>)> = Vec::new();
            // Every dimension unfiltered, in the first two zones and ranges
            // in full; elsewhere a sample.
            for d in &all_dims {
                if zi < 2 && ri < 2 || rng.random_bool(0.3) {
                    cases.push((d.clone(), None));
                }
            }
            // Every filter, each with three dimensions drawn at random.
            for f in all_filters.iter().flatten() {
                for _ in 0..3 {
                    let d = all_dims[rng.random_range(0..all_dims.len())].clone();
                    cases.push((d, Some(f.clone())));
                }
            }
            for (d, f) in cases {
                let q = query(tz, *range, d.clone(), f.clone());
                let a = stats::run(&va, &q);
                let b = stats::run(&vb, &q);
                match (a, b) {
                    (Ok(a), Ok(b)) => {
                        assert_eq!(a.rows, b.rows, "{zone} {range:?} {d:?} {f:?}");
                        assert_eq!(a.total_rows, b.total_rows);
                        assert_eq!(a.currency, b.currency);
                        assert_eq!(a.not_converted, b.not_converted);
                        rows += a.rows.len();
                    }
                    (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
                    (a, b) => panic!("{zone} {range:?} {d:?} {f:?}: {a:?} vs {b:?}"),
                }
                *by_dim
                    .entry(
                        d.iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join("+"),
                    )
                    .or_default() += 1;
                compared += 1;
            }
        }
    }
    eprintln!("{compared} queries, {rows} rows compared; per dimension list: {by_dim:?}");
    assert!(compared > 500, "{compared}");
    assert!(rows > 10_000, "{rows}");
    assert_eq!(
        by_dim.len(),
        all_dims.len(),
        "every dimension list was asked"
    );
    same_on_a_current_engine(&server, &ch.recorded());
}

/// Runs a sample of the statements the reports sent on a current ClickHouse
/// (chdb 26.x, in process, from the pinned venv `.ci/run` makes) over the
/// same rows: each must run there and answer as 18.16 did.
fn same_on_a_current_engine(server: &ClickHouseServer, statements: &[String]) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let python = root.join("target/py/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run the README's test command (.ci/run), which installs chdb-core",
        python.display()
    );
    let mut distinct: Vec<&String> = Vec::new();
    for s in statements {
        if !distinct.contains(&s) {
            distinct.push(s);
        }
    }
    // Every kind of statement is among the first (filter values, each
    // dimension, revenue, engagement); then an even sample.
    let step = (distinct.len() / 300).max(1);
    let sample: Vec<&String> = distinct
        .iter()
        .enumerate()
        .filter(|(i, _)| *i < 150 || i % step == 0)
        .map(|(_, s)| *s)
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let mut data = serde_json::Map::new();
    let mut ddl = vec!["CREATE DATABASE IF NOT EXISTS differential".to_owned()];
    for table in ["events", "visitor_aliases"] {
        let create = server.sql(&format!(
            "SHOW CREATE TABLE differential.{table} FORMAT TSVRaw"
        ));
        ddl.push(create.trim().to_owned());
        let path = dir.path().join(format!("{table}.tsv"));
        std::fs::write(
            &path,
            server.sql(&format!(
                "SELECT * FROM differential.{table} FORMAT TabSeparated"
            )),
        )
        .unwrap();
        data.insert(
            format!("differential.{table}"),
            serde_json::Value::String(path.display().to_string()),
        );
    }
    let spec = serde_json::json!({"ddl": ddl, "data": data, "queries": sample});
    let spec_path = dir.path().join("spec.json");
    let out_path = dir.path().join("out.json");
    std::fs::write(&spec_path, spec.to_string()).unwrap();
    let status = std::process::Command::new(&python)
        .arg(root.join("tests/scripts/chdb_run.py"))
        .arg(&spec_path)
        .arg(&out_path)
        .status()
        .unwrap();
    assert!(status.success(), "chdb_run.py failed");
    let out: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out_path).unwrap()).unwrap();
    let version = out["version"].as_str().unwrap_or("").to_owned();
    assert!(version.starts_with("26."), "chdb runs ClickHouse {version}");
    let sorted = |t: &str| {
        let mut l: Vec<String> = t.lines().map(str::to_owned).collect();
        l.sort();
        l
    };
    let results = out["results"].as_array().unwrap();
    assert_eq!(results.len(), sample.len());
    for (q, r) in sample.iter().zip(results) {
        let current = r["ok"]
            .as_str()
            .unwrap_or_else(|| panic!("ClickHouse {version} refused {q}: {}", r["error"]));
        assert_eq!(sorted(current), sorted(&server.sql(q)), "{q}");
    }
    eprintln!(
        "{} statements also answer the same on ClickHouse {version}",
        sample.len()
    );
    assert!(sample.len() >= 100, "{} statements checked", sample.len());
}
