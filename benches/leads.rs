//! Leads at scale: the attribution report, the revenue report, the leads
//! list's scoring and a lead profile on the 10-million-event bench store
//! plus 100,000 leads (target: each ≤ 1 s). The store is copied to a
//! temporary directory (on `/dev/shm` when there is one, so seeding a
//! hundred thousand leads isn't a hundred thousand disk flushes); each lead
//! gets a first-party id, 1–5 visits of its own over the month with a
//! source and campaign, a `lead` conversion, and a purchase for 30 % of them.
//! Set `TOUCHPOINT_BENCH_LEADS` for another count.

mod support;

use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use touchpoint::{
    attribution::{
        Model,
        lead_facts::{lead_occurrences, revenue},
        report::{ReportQuery, report},
        scoring::Scorer,
    },
    domain::{
        SiteId,
        attribution::DEFAULT_LOOKBACK_DAYS,
        scoring::{Condition, Heading, Rule, Scoring},
    },
    ingest::visitor::DAY_MS,
    privacy::{Keys, ids::uid_visitor, subject, subject::Identifier},
    stats::query::Dimension,
    store::{
        Batch, Conversion, ConversionKind, SessionAppend, SessionKey, Store,
        record::{EventRecord, SessionRecord},
    },
};

fn leads_count() -> u64 {
    std::env::var("TOUCHPOINT_BENCH_LEADS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000)
}

fn bytes32(i: u64, salt: u8) -> [u8; 32] {
    let mut b = [salt; 32];
    b[..8].copy_from_slice(&i.to_be_bytes());
    b
}

/// Adds `n` leads with their visits and conversions; returns the keys.
fn seed_leads(store: &Store, n: u64) -> Keys {
    let keys = Keys::from_master(&[7; 32]);
    let site = SiteId(1);
    let mut rng = support::Rng::new(42);
    let (mut next_string_id, mut next_session_id) = store.writer_counters().unwrap();
    // Texts the leads' visits use: 10 sources, 30 campaigns, 5 pages.
    let mut strings = Vec::new();
    let mut intern = |t: String| {
        strings.push((next_string_id, t));
        next_string_id += 1;
        next_string_id - 1
    };
    let sources: Vec<u32> = (0..10)
        .map(|i| intern(format!("lead-source-{i}")))
        .collect();
    let campaigns: Vec<u32> = (0..30).map(|i| intern(format!("campaign-{i}"))).collect();
    let pages: Vec<u32> = (0..5).map(|i| intern(format!("/lead-page-{i}"))).collect();
    let mut batch = Batch {
        strings,
        ..Batch::default()
    };
    let started = Instant::now();
    for i in 0..n {
        let subject = bytes32(i, 1);
        let id = bytes32(i, 2);
        let visitor = uid_visitor(&keys, &subject);
        let first_ms = support::START_MS + rng.below(support::DAYS * DAY_MS);
        for v in 0..1 + rng.below(5) {
            let start_ms = (first_ms + v * rng.below(3 * DAY_MS))
                .min(support::START_MS + support::DAYS * DAY_MS - 3_600_000);
            let mut header = SessionRecord {
                visitor,
                source: sources[rng.zipf(10) as usize % 10],
                ..SessionRecord::default()
            };
            header.utm[2] = campaigns[rng.zipf(30) as usize % 30];
            batch.sessions.push(SessionAppend {
                key: SessionKey {
                    site,
                    start_ms,
                    id: next_session_id,
                },
                day: touchpoint::domain::calendar::local_day(start_ms, Default::default()),
                header: Some(header),
                events: (0..1 + rng.below(4))
                    .map(|k| EventRecord {
                        offset_ms: u32::try_from(k * 20_000).unwrap(),
                        path: pages[rng.below(5) as usize],
                        pageview: true,
                        interactive: true,
                        ..EventRecord::default()
                    })
                    .collect(),
                engagements: Vec::new(),
            });
            next_session_id += 1;
        }
        let at_ms = first_ms + 3_600_000;
        store
            .upsert_lead(site, &id, Some(&subject), None, None, at_ms)
            .unwrap();
        let lead = hex::encode(id);
        let conversion = |kind, value_micros, order: Option<String>| Conversion {
            lead: lead.clone(),
            kind,
            at_ms,
            value_micros,
            currency: order.as_ref().map(|_| "EUR".to_owned()),
            order_id: order,
            source: "bench".into(),
            refunded_micros: 0,
            visitor: None,
        };
        store
            .record_conversion(site, &conversion(ConversionKind::Lead, 0, None))
            .unwrap();
        if rng.below(10) < 3 {
            let c = conversion(
                ConversionKind::Purchase,
                i64::try_from(1_000_000 + rng.below(99_000_000)).unwrap(),
                Some(format!("order-{i}")),
            );
            store.record_conversion(site, &c).unwrap();
        }
        if batch.sessions.len() >= 20_000 || i + 1 == n {
            batch.next_string_id = next_string_id;
            batch.next_session_id = next_session_id;
            store.commit_batch(&batch).unwrap();
            batch = Batch::default();
        }
    }
    eprintln!(
        "seeded {n} leads with their visits in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    keys
}

fn bench(c: &mut Criterion) {
    let events = support::bench_events();
    let (_copy, store) = support::scratch_copy(events);
    let n = leads_count();
    let keys = seed_leads(&store, n);
    // The leads' visits changed the completed days: the rollup job rebuilds
    // them (rollups and segments), as it would on a live server.
    let rebuilt = touchpoint::stats::rollup::roll_up_all(
        &store,
        support::START_MS
            + (support::DAYS - 1) * DAY_MS
            + touchpoint::stats::rollup::ROLLUP_DELAY_MS,
    )
    .unwrap();
    eprintln!("rolled up {rebuilt} days again");
    let mut site = store.read().unwrap().site(SiteId(1)).unwrap().unwrap();
    site.scoring = Scoring {
        rules: vec![
            Rule {
                heading: Heading::Engagement,
                when: Condition::Page("/lead-page-1".into()),
                points: 5,
                each_time: true,
            },
            Rule {
                heading: Heading::Engagement,
                when: Condition::Page("/pricing*".into()),
                points: 10,
                each_time: false,
            },
        ],
        threshold: 20,
        half_life_days: 0,
    };
    store.update_site(&site).unwrap();
    let (from_ms, to_ms) = (
        support::START_MS,
        support::START_MS + support::DAYS * DAY_MS,
    );
    let mut g = c.benchmark_group(format!("leads_{n}_{events}"));
    g.sample_size(10);
    g.bench_function("attribution_report_8_models_by_source", |b| {
        let q = ReportQuery {
            from_ms,
            to_ms,
            dimension: Dimension::Source,
            lookback_ms: DEFAULT_LOOKBACK_DAYS * DAY_MS,
            models: Model::ALL.to_vec(),
            kind: None,
            goal: None,
        };
        b.iter(|| report(&store, &keys, &site, &q).unwrap());
    });
    g.bench_function("revenue_report_by_campaign", |b| {
        b.iter(|| revenue(&store, &keys, &site, &Dimension::Utm(2), from_ms, to_ms).unwrap());
    });
    g.bench_function("leads_list_scores", |b| {
        b.iter(|| {
            let leads = store.leads(site.id).unwrap();
            let occ = lead_occurrences(&store, &keys, &site, &leads).unwrap();
            let conversions = store.conversions(site.id, 0, u64::MAX).unwrap();
            let scorer = Scorer::new(&site.scoring);
            let scores: Vec<_> = occ.iter().map(|o| scorer.score(o, to_ms)).collect();
            assert_eq!(scores.len(), leads.len());
            (scores, conversions.len())
        });
    });
    g.bench_function("lead_profile_data", |b| {
        let id = bytes32(n / 2, 2);
        b.iter(|| {
            let k = subject::resolve(&store, &keys, &site, &Identifier::Lead(id)).unwrap();
            let data = store.person_data(site.id, &k).unwrap();
            assert!(!data.sessions.is_empty());
            data
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
