use super::*;
use proptest::prelude::*;

fn event() -> impl Strategy<Value = EventRecord> {
    (
        0u32..100_000,
        any::<bool>(),
        1u32..5000,
        any::<u32>(),
        any::<bool>(),
        proptest::collection::vec((any::<u32>(), any::<u32>()), 0..4),
        proptest::option::of((any::<i64>(), proptest::array::uniform3(b'A'..=b'Z'))),
        proptest::option::of((any::<u32>(), proptest::option::of(0u8..=100))),
    )
        .prop_map(
            |(off, pageview, name, path, interactive, props, rev, eng)| EventRecord {
                offset_ms: off,
                name: if pageview { 0 } else { name },
                path,
                pageview,
                interactive,
                props,
                revenue: rev.map(|(amount_micros, currency)| Revenue {
                    amount_micros,
                    currency,
                }),
                engagement: eng.map(|(engaged_ms, scroll)| Engagement { engaged_ms, scroll }),
            },
        )
}

fn session() -> impl Strategy<Value = SessionRecord> {
    (
        any::<u64>(),
        proptest::array::uniform6(any::<u32>()),
        any::<[u8; 2]>(),
        any::<u8>(),
        any::<u32>(),
        proptest::collection::vec(event(), 0..12),
    )
        .prop_map(|(visitor, utm, country, channel, browser, mut events)| {
            events.sort_by_key(|e| e.offset_ms);
            SessionRecord {
                visitor,
                utm,
                country,
                channel,
                browser,
                hostname: browser / 3,
                city: browser ^ 7,
                events,
                ..SessionRecord::default()
            }
        })
}

proptest! {
    #[test]
    fn sessions_round_trip(s in session()) {
        prop_assert_eq!(SessionRecord::decode(&s.encode()).unwrap(), s);
    }

    #[test]
    fn truncated_records_are_errors_not_panics(s in session(), cut in 0usize..200) {
        let bytes = s.encode();
        let cut = cut.min(bytes.len().saturating_sub(1));
        prop_assert!(SessionRecord::decode(&bytes[..cut]).is_err());
    }

    #[test]
    fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..100)) {
        let _ = SessionRecord::decode(&bytes);
    }
}

#[test]
fn a_typical_pageview_costs_a_few_bytes() {
    let mut s = SessionRecord {
        visitor: u64::MAX / 3,
        channel: 2,
        country: *b"GB",
        device: 1,
        browser: 12,
        os: 14,
        ..SessionRecord::default()
    };
    let base = s.encode().len();
    s.events.push(EventRecord {
        offset_ms: 30_000,
        path: 300,
        pageview: true,
        interactive: true,
        ..EventRecord::default()
    });
    assert!(s.encode().len() - base <= 6, "{}", s.encode().len() - base);
}

#[test]
fn bounce_entry_exit_and_duration_follow_plausible() {
    let pv = |offset_ms, path| EventRecord {
        offset_ms,
        path,
        pageview: true,
        interactive: true,
        ..EventRecord::default()
    };
    let mut s = SessionRecord {
        events: vec![pv(0, 1)],
        ..SessionRecord::default()
    };
    assert!(s.is_bounce());
    s.events.push(EventRecord {
        offset_ms: 5000,
        name: 9,
        path: 1,
        interactive: false,
        ..EventRecord::default()
    });
    assert!(
        s.is_bounce(),
        "a non-interactive event does not end a bounce"
    );
    s.events.push(pv(60_000, 2));
    assert!(!s.is_bounce());
    assert_eq!((s.entry_path(), s.exit_path()), (1, 2));
    assert_eq!(s.duration_ms(), 60_000);
    assert_eq!(s.pageviews(), 2);
}
