//! The per-event pure functions on the ingest path: payload parsing, user-agent
//! classification, acquisition classification, geolocation and the visit codec.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use touchpoint::{
    geo::GeoLookup,
    ingest::{acquisition, payload, useragent::UaClassifier},
    store::record::{EventRecord, SessionRecord},
};

const BODY: &[u8] = br#"{"n":"pageview","u":"https://example.com/docs/page-3?utm_source=newsletter&utm_medium=email&utm_campaign=spring","d":"example.com","r":"https://www.google.com/search?q=touchpoint","p":{"plan":"pro"}}"#;
const UA: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";

fn bench(c: &mut Criterion) {
    c.bench_function("payload_parse", |b| {
        b.iter(|| payload::parse(black_box(BODY)).unwrap())
    });
    let ua = UaClassifier::new();
    c.bench_function("ua_classify_cached", |b| {
        b.iter(|| ua.classify(black_box(UA)))
    });
    c.bench_function("ua_classify_uncached", |b| {
        b.iter(|| ua.classify_uncached(black_box(UA)))
    });
    let raw = payload::parse(BODY).unwrap();
    c.bench_function("acquisition_classify", |b| {
        b.iter(|| acquisition::classify(black_box(&raw.url), raw.referrer.as_deref()));
    });
    let geo = GeoLookup::embedded();
    let ip = "81.2.69.142".parse().unwrap();
    c.bench_function("geo_lookup_embedded", |b| {
        b.iter(|| geo.lookup(black_box(ip)))
    });
    let rec = SessionRecord {
        visitor: 0x1234_5678_9abc_def0,
        channel: 2,
        country: *b"GB",
        browser: 12,
        os: 14,
        events: (0..4)
            .map(|i| EventRecord {
                offset_ms: i * 30_000,
                path: 300 + i,
                pageview: true,
                interactive: true,
                ..EventRecord::default()
            })
            .collect(),
        ..SessionRecord::default()
    };
    let bytes = rec.encode();
    c.bench_function("session_encode_4_events", |b| {
        b.iter(|| black_box(&rec).encode())
    });
    let mut out = SessionRecord::default();
    c.bench_function("session_decode_4_events", |b| {
        b.iter(|| out.decode_into(black_box(&bytes)).unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
