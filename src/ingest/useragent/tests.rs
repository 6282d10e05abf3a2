use super::*;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

/// One classifier for all tests: building it is the slow part.
fn classifier() -> &'static UaClassifier {
    static C: OnceLock<UaClassifier> = OnceLock::new();
    C.get_or_init(UaClassifier::new)
}

/// Expected outcome of one table row.
enum Want {
    Human(
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        Device,
    ),
    Bot,
}
use Want::{Bot, Human};

/// (what it is, UA, expected). Real UAs as sent by current browsers/bots.
const CASES: &[(&str, &str, Want)] = &[
    (
        "Chrome on Windows 10",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
        Human("Chrome", "120", "Windows", "10", Device::Desktop),
    ),
    (
        "Firefox on Windows 10",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0",
        Human("Firefox", "121", "Windows", "10", Device::Desktop),
    ),
    (
        "Edge on Windows 10",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91",
        Human("Microsoft Edge", "120", "Windows", "10", Device::Desktop),
    ),
    (
        "Chrome on Windows 7",
        "Mozilla/5.0 (Windows NT 6.1; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 Safari/537.36",
        Human("Chrome", "109", "Windows", "7", Device::Desktop),
    ),
    (
        "IE 11 on Windows 8.1",
        "Mozilla/5.0 (Windows NT 6.3; Trident/7.0; rv:11.0) like Gecko",
        Human("Internet Explorer", "11", "Windows", "8.1", Device::Desktop),
    ),
    (
        "Safari on macOS",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15",
        Human("Safari", "17", "Mac", "10.15", Device::Desktop),
    ),
    (
        "Chrome on macOS",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
        Human("Chrome", "120", "Mac", "10.15", Device::Desktop),
    ),
    (
        "Firefox on macOS 14",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.2; rv:121.0) Gecko/20100101 Firefox/121.0",
        Human("Firefox", "121", "Mac", "14", Device::Desktop),
    ),
    (
        "Firefox on Ubuntu",
        "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
        Human("Firefox", "121", "GNU/Linux", "", Device::Desktop),
    ),
    (
        "Chrome on Linux",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
        Human("Chrome", "120", "GNU/Linux", "", Device::Desktop),
    ),
    (
        "Chrome on ChromeOS",
        "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
        // uap reports the ChromeOS platform build major, not the Chrome version.
        Human("Chrome", "120", "Chrome OS", "14541", Device::Desktop),
    ),
    (
        "Opera on Windows",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 OPR/106.0.0.0",
        Human("Opera", "106", "Windows", "10", Device::Desktop),
    ),
    (
        "Electron app is a person, not a bot",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Slack/4.36.140 Chrome/120.0.6099.56 Electron/28.0.0 Safari/537.36",
        Human("Electron", "28", "Windows", "10", Device::Desktop),
    ),
    (
        "Safari on iPhone",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1",
        Human("Safari", "17", "iOS", "17", Device::Mobile),
    ),
    (
        "Chrome on iPhone",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/120.0.6099.119 Mobile/15E148 Safari/604.1",
        Human("Chrome", "120", "iOS", "17", Device::Mobile),
    ),
    (
        "Firefox on iPhone",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/121.0 Mobile/15E148 Safari/605.1.15",
        Human("Firefox", "121", "iOS", "17", Device::Mobile),
    ),
    (
        "Safari on iPad",
        "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1",
        Human("Safari", "16", "iOS", "16", Device::Tablet),
    ),
    (
        "Chrome on Android phone",
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
        Human("Chrome", "120", "Android", "10", Device::Mobile),
    ),
    (
        "Chrome on Android tablet (no 'Mobile')",
        "Mozilla/5.0 (Linux; Android 13; SM-X200) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
        Human("Chrome", "120", "Android", "13", Device::Tablet),
    ),
    (
        "Firefox on Android phone",
        "Mozilla/5.0 (Android 14; Mobile; rv:121.0) Gecko/121.0 Firefox/121.0",
        Human("Firefox", "121", "Android", "14", Device::Mobile),
    ),
    (
        "Firefox on Android tablet",
        "Mozilla/5.0 (Android 14; Tablet; rv:121.0) Gecko/121.0 Firefox/121.0",
        Human("Firefox", "121", "Android", "14", Device::Tablet),
    ),
    (
        "Samsung Internet on Android phone",
        "Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36",
        Human("Samsung Internet", "23", "Android", "13", Device::Mobile),
    ),
    (
        "Opera Mobile on Android",
        "Mozilla/5.0 (Linux; Android 10; VOG-L29) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36 OPR/79.0.4195.76167",
        Human("Opera", "79", "Android", "10", Device::Mobile),
    ),
    (
        "Edge on Android",
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36 EdgA/120.0.2210.115",
        Human("Microsoft Edge", "120", "Android", "10", Device::Mobile),
    ),
    (
        "Android WebView in an app",
        "Mozilla/5.0 (Linux; Android 13; Pixel 7 Build/TQ3A.230901.001; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/120.0.6099.144 Mobile Safari/537.36",
        Human("Chrome Webview", "120", "Android", "13", Device::Mobile),
    ),
    (
        "Kindle Fire Silk",
        "Mozilla/5.0 (Linux; U; Android 4.0.3; en-us; KFTT Build/IML74K) AppleWebKit/535.19 (KHTML, like Gecko) Silk/3.4 Mobile Safari/535.19 Silk-Accelerated=true",
        Human("Silk", "3", "Android", "4", Device::Tablet),
    ),
    (
        "Windows Phone",
        "Mozilla/5.0 (compatible; MSIE 10.0; Windows Phone 8.0; Trident/6.0; IEMobile/10.0; ARM; Touch; NOKIA; Lumia 920)",
        Human("IE Mobile", "10", "Windows Phone", "8", Device::Mobile),
    ),
    (
        "Googlebot",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        Bot,
    ),
    (
        "Googlebot smartphone",
        "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.129 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        Bot,
    ),
    (
        "Bingbot",
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        Bot,
    ),
    ("curl", "curl/8.5.0", Bot),
    ("python-requests", "python-requests/2.31.0", Bot),
    ("wget", "Wget/1.21.4", Bot),
    (
        "HeadlessChrome",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.6099.71 Safari/537.36",
        Bot,
    ),
    (
        "Lighthouse",
        "Mozilla/5.0 (Linux; Android 11; moto g power (2022)) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Mobile Safari/537.36 Chrome-Lighthouse",
        Bot,
    ),
    (
        "PhantomJS",
        "Mozilla/5.0 (Unknown; Linux x86_64) AppleWebKit/538.1 (KHTML, like Gecko) PhantomJS/2.1.1 Safari/538.1",
        Bot,
    ),
    ("empty UA", "", Bot),
    ("whitespace UA", "   \t ", Bot),
    ("too short", "Moz/5", Bot),
];

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
