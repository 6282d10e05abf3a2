//! The JSON APIs' inputs: the Stats API's v1 filter grammar and v2 query
//! body, and Stripe's webhook.

use std::{collections::HashMap, sync::LazyLock};

use chrono::NaiveDate;
use serde_json::Value as Json;

use super::{NOW_MS, assert_stored, first_line};
use crate::{
    api::{json_object, v1::filters, v2_input::date_range, v2_names::Names, v2_request::Request},
    domain::Timezone,
    hooks::{Effect, effect},
    privacy::{ids::email_digest, stripe},
    stats::{
        filter::{filter_values, regexes},
        query::{Dimension, Filter, MAX_DIMENSIONS, Op},
    },
};

/// Region names as a store would hold them, so names in filters resolve.
static NAMES: LazyLock<Names> = LazyLock::new(|| {
    Names::of_regions(HashMap::from([
        ("DE-BE".to_owned(), "Berlin".to_owned()),
        ("GB-ENG".to_owned(), "England".to_owned()),
        ("US-CA".to_owned(), "California".to_owned()),
    ]))
});

/// Checks a parsed filter tree as the engine will use it: dimensions that
/// print as they parse, values to compare, patterns that compile. `escaped`:
/// every pattern was made by escaping (v1 wildcards), so only the size limit
/// may refuse one.
fn check_filter(f: &Filter, escaped: bool) {
    match f {
        Filter::Leaf {
            op,
            dim,
            values,
            case_sensitive,
        } => {
            assert!(!values.is_empty(), "a leaf without values");
            assert!(!dim.is_time(), "a filter on time");
            assert_eq!(Dimension::parse(&dim.to_string()).as_ref(), Some(dim));
            let _ = filter_values(*op, dim, values);
            if matches!(op, Op::Matches | Op::MatchesNot)
                && let Err(e) = regexes(values, *case_sensitive)
            {
                assert!(!escaped || e.contains("size limit"), "{e}");
            }
        }
        Filter::And(v) | Filter::Or(v) => v.iter().for_each(|f| check_filter(f, escaped)),
        Filter::Not(f) | Filter::HasDone(f) => check_filter(f, escaped),
    }
}

/// The Stats API v1 `filters` parameter (`visit:country==US|DE;event:page==/blog/*`).
pub fn stats_v1_filters(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(parsed) = filters::parse(s) else {
        return;
    };
    for f in &parsed {
        if let Filter::Leaf { values, .. } = f {
            assert!(values.iter().all(|v| !v.is_empty()), "an empty value");
        }
        check_filter(f, true);
    }
}

/// The body of `POST /api/v2/query`, for a site in Europe/Berlin whose data
/// starts on 2023-01-01.
pub fn stats_v2_query(body: &[u8]) {
    let Ok(obj) = json_object(body) else {
        return;
    };
    let tz = Timezone::parse("Europe/Berlin").expect("a zone");
    let earliest = || Ok(NaiveDate::from_ymd_opt(2023, 1, 1).expect("a date"));
    let Ok(r) = Request::parse(&obj, &NAMES, |range| {
        date_range(range, tz, NOW_MS, earliest)
    }) else {
        return;
    };
    assert!((1..=10_000).contains(&r.limit));
    assert!(r.dimensions.len() <= MAX_DIMENSIONS);
    assert_eq!(r.places.len(), r.dimensions.len());
    assert!(
        r.from_ms < r.to_ms,
        "an empty range {}..{}",
        r.from_ms,
        r.to_ms
    );
    for d in &r.dimensions {
        assert_eq!(Dimension::parse(&d.to_string()).as_ref(), Some(d));
    }
    if let Some(f) = &r.filter {
        check_filter(f, false);
    }
    r.denominator_filter()
        .expect("filters that parsed once parse again");
}

/// `POST /hooks/stripe/{site}`: the `Stripe-Signature` header on the first
/// line, the event after it.
pub fn stripe_webhook(data: &[u8]) {
    const SECRET: &[u8] = b"whsec_fuzzing";
    let now_s = i64::try_from(NOW_MS / 1000).expect("a time");
    let (header, body) = first_line(data);
    if let Ok(header) = std::str::from_utf8(header) {
        let _ = stripe::verify(SECRET, header, body, now_s);
    }
    let signed = stripe::sign(SECRET, body, now_s);
    assert!(stripe::verify(SECRET, &signed, body, now_s).is_ok());
    assert!(stripe::verify(b"whsec_other", &signed, body, now_s).is_err());
    let Ok(event) = serde_json::from_slice::<Json>(body) else {
        return;
    };
    match effect(&event) {
        Effect::Purchase {
            email,
            order,
            aliases,
            micros,
            ..
        } => {
            assert!(micros > 0, "a purchase of {micros}");
            assert_eq!(email_digest(&email).len(), 64, "a SHA-256 digest in hex");
            for id in std::iter::once(&order).chain(&aliases) {
                assert_stored("order id", id);
            }
        }
        Effect::Refund { orders, .. } => {
            assert!(!orders.is_empty());
            orders.iter().for_each(|o| assert_stored("order id", o));
        }
        Effect::Ignored => {}
    }
}
