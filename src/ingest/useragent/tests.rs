use super::*;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

/// One classifier for all tests: building it is the slow part.
fn classifier() -> &'static UaClassifier {
    static C: OnceLock<UaClassifier> = OnceLock::new();
    C.get_or_init(UaClassifier::new)
}

mod cases;

use cases::{
    CASES,
    Want::{Bot, Human},
};

#[test]
fn table_of_real_user_agents() {
    let c = classifier();
    let mut failures = Vec::new();
    for (what, ua, want) in CASES {
        let got = c.classify(ua);
        let expected = match want {
            Bot => UaVerdict::Bot,
            Human(b, bv, o, ov, d) => UaVerdict::Human(UaInfo {
                browser: (*b).into(),
                browser_version: (*bv).into(),
                os: (*o).into(),
                os_version: (*ov).into(),
                device: *d,
            }),
        };
        if got != expected {
            failures.push(format!(
                "{what}:\n  ua:   {ua}\n  got:  {got:?}\n  want: {expected:?}"
            ));
        }
    }
    assert!(CASES.len() >= 25);
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn over_long_ua_is_a_bot() {
    let base = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
    let long = format!("{base}{}", " x".repeat(MAX_UA_LEN));
    assert!(
        classifier().classify(&long).is_bot(),
        "UA over {MAX_UA_LEN} bytes must be rejected"
    );
    let exact = format!("{base}{}", "x".repeat(MAX_UA_LEN - base.len()));
    assert!(
        !classifier().classify(&exact).is_bot(),
        "UA of exactly {MAX_UA_LEN} bytes is allowed"
    );
}

#[test]
fn automation_markers_are_bots() {
    let base = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
    for marker in [
        "Puppeteer",
        "Playwright/1.40",
        "Selenium",
        "WebDriver",
        "HeadlessChrome/120",
    ] {
        let ua = format!("{base} {marker}");
        assert!(
            classifier().classify_uncached(&ua).is_bot(),
            "marker {marker} must make a bot"
        );
    }
    assert!(
        !classifier().classify_uncached(base).is_bot(),
        "plain Chrome is human"
    );
}

#[test]
fn garbage_does_not_panic() {
    // Deterministic xorshift so failures reproduce; no rand dependency.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let alphabet: Vec<char> =
        "abcXYZ019 ()/;.,_-+=:[]{}\\\"'\t\n\0éü日本🙂Mozilla Android iPhone Mobile Windows NT bot"
            .chars()
            .collect();
    let c = classifier();
    for i in 0..2000 {
        let len = (next() % 400) as usize;
        let s: String = if i % 2 == 0 {
            (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect()
        } else {
            // Arbitrary Unicode scalar values, including control characters.
            (0..len)
                .filter_map(|_| char::from_u32((next() % 0x11_0000) as u32))
                .collect()
        };
        let v = c.classify(&s);
        if let UaVerdict::Human(info) = v {
            assert!(info.browser.len() <= MAX_NAME_LEN && info.os.len() <= MAX_NAME_LEN);
            assert!(info.browser_version.len() <= MAX_VERSION_LEN);
            assert!(info.os_version.len() <= MAX_VERSION_LEN);
        }
    }
}

#[test]
fn cache_is_bounded_and_consistent() {
    let c = UaClassifier::new();
    let ua = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0";
    let first = c.classify(ua);
    assert_eq!(c.cache_len(), 1, "a classified UA is cached");
    assert_eq!(
        c.classify(ua),
        first,
        "a cache hit returns the same verdict"
    );
    assert_eq!(c.classify_uncached(ua), first, "cached and uncached agree");
    assert_eq!(c.classify(""), UaVerdict::Bot);
    assert_eq!(c.cache_len(), 1, "rejected-by-length UAs are not cached");
    for i in 0..CACHE_MAX + 5 {
        let _ = c.classify(&format!("Mozilla/5.0 test-{i}"));
    }
    assert!(
        c.cache_len() <= CACHE_MAX,
        "cache exceeded its bound: {}",
        c.cache_len()
    );
}

#[test]
fn device_codes_and_names_round_trip() {
    for d in Device::ALL {
        assert_eq!(Device::from_code(d.code()), Some(d));
        assert_eq!(Device::parse(d.as_str()), Some(d));
        assert_eq!(Device::parse(&d.as_str().to_uppercase()), Some(d));
        assert_eq!(d.to_string(), d.as_str());
    }
    assert_eq!(
        Device::ALL.map(Device::code),
        [1, 2, 3],
        "codes are stored on disk and must stay stable"
    );
    assert_eq!(Device::from_code(0), None);
    assert_eq!(Device::from_code(4), None);
    assert_eq!(Device::parse(" mobile "), Some(Device::Mobile));
    assert_eq!(Device::parse("phone"), None);
}

#[test]
fn classifier_is_shareable() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<UaClassifier>();
    let c = Arc::new(UaClassifier::new());
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let c = Arc::clone(&c);
            std::thread::spawn(move || {
                c.classify("Mozilla/5.0 (Android 14; Mobile; rv:121.0) Gecko/121.0 Firefox/121.0")
            })
        })
        .collect();
    for h in handles {
        assert_eq!(
            h.join().expect("thread panicked").info().map(|i| i.device),
            Some(Device::Mobile)
        );
    }
}

/// Timing, for information only: `cargo test timing -- --nocapture`.
/// Numbers depend on the profile (debug builds are ~10x slower).
#[test]
fn timing() {
    let t = Instant::now();
    let c = UaClassifier::new();
    let build = t.elapsed();
    let uas: Vec<&str> = CASES
        .iter()
        .map(|(_, ua, _)| *ua)
        .filter(|u| u.len() >= MIN_UA_LEN)
        .collect();
    let rounds = 20;
    let t = Instant::now();
    for _ in 0..rounds {
        for ua in &uas {
            std::hint::black_box(c.classify_uncached(ua));
        }
    }
    let uncached = t.elapsed() / (rounds * uas.len() as u32);
    for ua in &uas {
        let _ = c.classify(ua);
    }
    let t = Instant::now();
    for _ in 0..rounds * 10 {
        for ua in &uas {
            std::hint::black_box(c.classify(ua));
        }
    }
    let cached = t.elapsed() / (rounds * 10 * uas.len() as u32);
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    println!(
        "[{profile}] build {build:?}, classify uncached {uncached:?}/UA, cached {cached:?}/UA"
    );
}
