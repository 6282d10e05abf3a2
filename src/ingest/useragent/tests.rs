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

/// `(pattern, instances)` of every entry of the embedded crawler list.
fn crawler_list() -> Vec<(String, Vec<String>)> {
    let list: Vec<serde_json::Value> = serde_json::from_str(crawlers::LIST_JSON).unwrap();
    list.iter()
        .map(|e| {
            let instances = e["instances"].as_array().map_or_else(Vec::new, |a| {
                a.iter().map(|i| i.as_str().unwrap().to_owned()).collect()
            });
            (e["pattern"].as_str().unwrap().to_owned(), instances)
        })
        .collect()
}

/// Real browser user agents: the Human rows of the table plus uap-core's.
fn real_browsers() -> Vec<String> {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ua/browsers.txt");
    let fixture = std::fs::read_to_string(path).unwrap();
    let mut all: Vec<String> = CASES
        .iter()
        .filter(|(_, _, want)| matches!(want, Human(..)))
        .map(|(_, ua, _)| (*ua).to_owned())
        .collect();
    all.extend(
        fixture
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_owned),
    );
    all
}

#[test]
fn the_crawler_lists_examples_are_bots() {
    let c = classifier();
    let isbot_alone = isbot::Bots::default();
    let list = crawler_list();
    let instances: Vec<(&str, &str)> = list
        .iter()
        .flat_map(|(p, i)| i.iter().map(move |ua| (p.as_str(), ua.as_str())))
        .collect();
    let caught_by_isbot = instances
        .iter()
        .filter(|(_, ua)| isbot_alone.is_bot(ua))
        .count();
    let misses: Vec<_> = instances
        .iter()
        .filter(|(_, ua)| !c.classify_uncached(ua).is_bot())
        .collect();
    let rate = |n: usize| 100.0 * n as f64 / instances.len() as f64;
    println!(
        "crawler-user-agents: {} patterns, {} examples; isbot alone catches {:.1}%, the classifier {:.1}%",
        list.len(),
        instances.len(),
        rate(caught_by_isbot),
        rate(instances.len() - misses.len())
    );
    for (pattern, ua) in &misses {
        println!("  missed ({pattern}): {ua}");
    }
    assert!(instances.len() > 1000);
    assert!(
        rate(instances.len() - misses.len()) >= 99.0,
        "{} of {} missed",
        misses.len(),
        instances.len()
    );
}

#[test]
fn no_real_browser_is_dropped() {
    let c = classifier();
    let browsers = real_browsers();
    assert!(browsers.len() > 10_000, "{}", browsers.len());
    let by_list: Vec<&str> = browsers
        .iter()
        .filter(|ua| c.crawlers.is_match(ua))
        .map(String::as_str)
        .collect();
    assert!(
        by_list.is_empty(),
        "the crawler list matches {} of {} real browsers (add the pattern to crawlers::EXCLUDED):\n{}",
        by_list.len(),
        browsers.len(),
        by_list.join("\n")
    );
    let dropped: Vec<String> = browsers
        .iter()
        .filter(|ua| c.classify_uncached(ua).is_bot())
        .map(|ua| {
            let rule = if c.is_isbot(ua) {
                "isbot"
            } else if c
                .parser
                .dev
                .extract(ua)
                .is_some_and(|d| d.device == "Spider")
            {
                "uap-core's Spider rule"
            } else {
                "shape or automation marker"
            };
            format!("  {rule}: {ua}")
        })
        .collect();
    assert!(
        dropped.is_empty(),
        "{} of {} real browsers dropped as bots:\n{}",
        dropped.len(),
        browsers.len(),
        dropped.join("\n")
    );
}

#[test]
fn each_isbot_exception_is_needed_and_narrow() {
    let c = classifier();
    let isbot_alone = isbot::Bots::default();
    let browsers = real_browsers();
    for (token, why) in ISBOT_EXCEPTIONS {
        let with_token: Vec<&String> = browsers.iter().filter(|b| b.contains(token)).collect();
        assert!(
            !with_token.is_empty(),
            "{token:?} ({why}) is in no browser of the fixture"
        );
        assert!(
            with_token.iter().any(|b| isbot_alone.is_bot(b)),
            "isbot no longer matches {token:?}: drop it from ISBOT_EXCEPTIONS"
        );
        // The token excuses only itself: other bot markers still count.
        for ua in [
            format!("Mozilla/5.0 (compatible; Examplebot/1.0; {token})"),
            format!("curl/8.5.0 {token}"),
            format!("{token} https://example.com/crawler.html"),
        ] {
            assert!(c.classify_uncached(&ua).is_bot(), "{ua}");
        }
    }
}

#[test]
fn uap_spider_rule_keeps_its_order() {
    let c = classifier();
    // Brand rules come before uap-core's catch-all "Spider" rule: its "vortex"
    // and "yahoo" don't make these phones crawlers.
    for ua in [
        "Mozilla/5.0 (Linux; U; Android 2.2; en-us; LG Vortex Build/FRF91) AppleWebKit/533.1 (KHTML, like Gecko) Version/4.0 Mobile Safari/533.1",
        "YahooMobile/1.0 (mail; 1.4.5.12736); (Linux; U; Android 2.2.1; htc_buzz Build/FROYO);",
    ] {
        assert_eq!(
            c.classify_uncached(ua).info().map(|i| i.device),
            Some(Device::Mobile),
            "{ua}"
        );
    }
    // Where no brand rule comes first, the "Spider" rules still drop what
    // neither list names (made-up user agents).
    for ua in [
        "Mozilla/5.0 (Windows NT 10.0) Examplevortex/1.0",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) ZooShot/1.0",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Riddler/2.0",
    ] {
        assert!(!c.is_isbot(ua) && !c.crawlers.is_match(ua), "{ua}");
        assert!(c.classify_uncached(ua).is_bot(), "{ua}");
    }
}

#[test]
fn each_excluded_crawler_pattern_is_in_the_list_and_matches_a_browser() {
    let patterns: Vec<String> = crawler_list().into_iter().map(|(p, _)| p).collect();
    let browsers = real_browsers();
    for (pattern, why) in crawlers::EXCLUDED {
        assert!(
            patterns.iter().any(|p| p == pattern),
            "{pattern:?} is no longer in the list: drop it from EXCLUDED"
        );
        let re = regex::Regex::new(pattern).unwrap();
        assert!(
            browsers.iter().any(|b| re.is_match(b)),
            "{pattern:?} ({why}) matches no browser of the fixture"
        );
    }
}

#[test]
fn the_crawler_list_adds_ai_agents_monitors_scanners_and_clients() {
    let c = classifier();
    for ua in [
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Claude-User/1.0; +Claude-User@anthropic.com)",
        "anthropic-ai",
        "meta-externalagent/1.1 (+https://developers.facebook.com/docs/sharing/webmasters/crawler)",
        "cohere-ai",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 DatadogSynthetics",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/99.0.4844.84 Safari/537.36 RuxitSynthetic/1.0 v1090987875435353284",
        "Mozilla/5.00 (Nikto/2.1.6) (Evasions:None) (Test:000001)",
        "Mozilla/5.0 (Windows NT 6.1; WOW64) acunetix-product/wvs (Acunetix Web Vulnerability Scanner - Free Edition)",
        "HTTPie/3.2.2",
        "colly - https://github.com/gocolly/colly/v2",
    ] {
        assert!(c.classify_uncached(ua).is_bot(), "{ua}");
    }
}
