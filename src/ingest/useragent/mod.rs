//! User-agent classification: bot filtering plus the browser / OS / device
//! dimensions Plausible reports.
//!
//! The raw user-agent string is only ever held in memory while an event is
//! classified (and as a key of the in-memory cache below); what is stored is
//! the reduced [`UaInfo`], never the string itself.
//!
//! Parsing uses uap-core's regexes (embedded at build time from
//! `assets/uap/regexes.json`) through the `ua-parser` crate, and bot detection
//! uses the `isbot` crate's list, the `crawler-user-agents` list (embedded
//! from `assets/crawlers/`, see [`crawlers`]), uap-core's "Spider" device
//! rules and a few extra markers (see [`UaClassifier::classify`] for the full
//! rule).

mod crawlers;
mod names;

use names::{
    CLASS_FAMILIES, browser_name, device_class, implausible_shape, is_numeric, os_name, os_version,
};

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, OnceLock};

/// The device class (a domain type: its code is stored in visit rows).
pub use crate::domain::device::Device;

/// uap-core's `regexes.yaml` converted to JSON. Embedded so the binary needs no
/// data files at run time; `'static` because `ua_parser::Regexes` borrows from it.
static RAW_REGEXES: &str = include_str!("../../../assets/uap/regexes.json");

/// Shortest user agent accepted as a browser. Every real browser UA is far
/// longer ("Mozilla/5.0 ..."); tiny strings are scripts or probes.
pub const MIN_UA_LEN: usize = 6;

/// Longest user agent accepted as a browser. Real browser UAs are a few hundred
/// bytes; anything longer is padding, an attack or a broken client, and
/// truncating it would only make us guess about a string we already distrust.
pub const MAX_UA_LEN: usize = 1000;

/// Cache capacity. When an insert would pass it the whole cache is cleared:
/// simpler than an LRU, and the hot set (a site's few hundred distinct UAs)
/// refills within seconds.
const CACHE_MAX: usize = 10_000;

/// Extra case-insensitive substrings that mark automation. `isbot` catches
/// some of these already; listing them here makes the rule independent of the
/// crate's list. "Electron" is deliberately absent: desktop apps built on it
/// are real people.
const AUTOMATION_MARKERS: [&str; 7] = [
    "headlesschrome",
    "phantomjs",
    "lighthouse", // also covers "Chrome-Lighthouse"
    "puppeteer",
    "playwright",
    "selenium",
    "webdriver",
];

/// Tokens of real browsers' user agents that a pattern of the `isbot` list
/// mistakes for a bot, each with the browser and the pattern. A user agent
/// holding one is checked against `isbot` with the token removed, so any other
/// bot marker in it still counts. Found by the test against uap-core's browser
/// user agents (`tests/fixtures/ua/`); keep each one an exact token.
const ISBOT_EXCEPTIONS: &[(&str, &str)] = &[(
    "GT-S5830 - Forum: http://forumgalaxyace.fora24.pl",
    "a Samsung Galaxy Ace custom ROM (\"WP7 by maniaczek1111\") names its forum in the \
     device model of its stock Android browser's user agent: \"Linux; U; Android WP7; \
     de-de; GT-S5830 - Forum: http://forumgalaxyace.fora24.pl Build/GRWK74\"; isbot's \
     `http[s]?://` (crawlers link their info page) matches the address",
)];

/// Longest family / version string kept. Some uap parsers capture product
/// tokens from the UA itself; capping them bounds what one request can make us
/// store.
const MAX_NAME_LEN: usize = 64;
const MAX_VERSION_LEN: usize = 16;

/// What is kept of a user agent: never the string itself.
///
/// Empty strings mean "unknown", as Plausible shows them ("(not set)").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UaInfo {
    /// Browser name as Plausible shows it, e.g. "Chrome", "Microsoft Edge".
    pub browser: String,
    /// Browser major version only, e.g. "120"; "" if unknown.
    pub browser_version: String,
    /// Operating system as Plausible shows it, e.g. "Windows", "Mac",
    /// "GNU/Linux", "iOS", "Android".
    pub os: String,
    /// OS major version, e.g. "10" for Windows 10, "17" for iOS 17; "" if
    /// unknown. Exceptions, because the major alone says nothing there:
    /// Mac OS X 10.x keeps the minor ("10.15"), Windows 8.1 is "8.1" and
    /// uap's named Windows releases stay named ("XP", "Vista").
    pub os_version: String,
    /// Device class.
    pub device: Device,
}

/// Why an event is (not) counted: either a human visit with its reduced UA
/// data, or a bot whose event must be dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UaVerdict {
    /// Counted: a person using a browser.
    Human(UaInfo),
    /// Not counted: a crawler, script, headless browser or implausible UA.
    Bot,
}

impl UaVerdict {
    /// True for [`UaVerdict::Bot`].
    #[must_use]
    pub fn is_bot(&self) -> bool {
        matches!(self, UaVerdict::Bot)
    }

    /// The UA data of a human visit; `None` for a bot.
    #[must_use]
    pub fn info(&self) -> Option<&UaInfo> {
        match self {
            UaVerdict::Human(info) => Some(info),
            UaVerdict::Bot => None,
        }
    }
}

/// Compiled parser + bot list; build once (it takes ~100 ms), share via Arc;
/// Send + Sync.
pub struct UaClassifier {
    /// uap-core's browser and OS rules, and the few device rules that decide
    /// the device class or a crawler ([`CLASS_FAMILIES`]).
    parser: ua_parser::Extractor<'static>,
    /// uap-core's device rules in uap-core's order, up to its last "Spider"
    /// rule; compiled on first use (see [`UaClassifier::is_spider`]).
    spider_rules: OnceLock<ua_parser::device::Extractor<'static>>,
    bots: isbot::Bots,
    /// The `crawler-user-agents` patterns, one set.
    crawlers: regex::RegexSet,
    /// Recent verdicts keyed by the full UA string. Lives only in memory and is
    /// never persisted or logged: the full UA must never reach disk.
    cache: Mutex<HashMap<String, UaVerdict>>,
}

impl fmt::Debug for UaClassifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Only the size: the cache keys are raw UAs and must not end up in logs.
        f.debug_struct("UaClassifier")
            .field("cached", &self.cache_len())
            .finish_non_exhaustive()
    }
}

impl Default for UaClassifier {
    fn default() -> Self {
        Self::new()
    }
}

impl UaClassifier {
    /// Compiles the embedded uap-core regexes, the isbot list and the
    /// crawler list.
    ///
    /// Takes on the order of 100 ms (more in debug builds), so build one at
    /// start-up and share it.
    ///
    /// # Panics
    ///
    /// Only if the embedded `regexes.json` or crawler list is corrupt or
    /// contains a regex the parser rejects. That data is fixed at build time, so this is a build
    /// defect, caught by this module's tests, not a run-time condition.
    #[must_use]
    pub fn new() -> Self {
        let mut regexes: ua_parser::Regexes<'static> = serde_json::from_str(RAW_REGEXES)
            .expect("embedded assets/uap/regexes.json is not valid uap-core JSON");
        // Only device families that decide bot or device class are kept: the
        // brand/model rules are two thirds of uap-core and ~20 MB compiled, and
        // Touchpoint never reports a device model. Without the brand rules
        // before it, uap-core's catch-all "Spider" rule claims phones and TVs
        // those rules name first ("CUBOT ONE", "LG Vortex", "YahooMobile/1.0
        // (...; htc_bliss ...)"), so its verdict is confirmed in uap-core's
        // full order ([`UaClassifier::is_spider`]).
        regexes.device_parsers.retain(|p| {
            p.device_replacement
                .as_deref()
                .is_some_and(|d| CLASS_FAMILIES.contains(&d) || d.starts_with("Kindle"))
        });
        let parser = ua_parser::Extractor::try_from(regexes)
            .expect("embedded assets/uap/regexes.json does not compile");
        UaClassifier {
            parser,
            spider_rules: OnceLock::new(),
            bots: isbot::Bots::default(),
            crawlers: crawlers::compile(),
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Classifies one user agent.
    ///
    /// Bot rule, first match wins:
    /// 1. empty or whitespace-only;
    /// 2. shorter than [`MIN_UA_LEN`] or longer than [`MAX_UA_LEN`] bytes
    ///    (over-long UAs are treated as suspicious, not truncated);
    /// 3. contains an automation marker (`HeadlessChrome`, `PhantomJS`,
    ///    Lighthouse, puppeteer, Playwright, Selenium, webdriver;
    ///    case-insensitive);
    /// 4. matches the `isbot` list (crawlers, curl, python-requests, ...),
    ///    but for the browser tokens of [`ISBOT_EXCEPTIONS`];
    /// 5. matches a pattern of the `crawler-user-agents` list (AI agents,
    ///    uptime monitors, scanners, HTTP clients `isbot` misses);
    /// 6. uap-core classifies the device as "Spider" (its device rules in its
    ///    order, first match wins).
    ///
    /// Everything else is a human; browser / OS names it cannot identify are
    /// "" rather than a reason to drop the visit.
    ///
    /// Results are cached in memory by UA string, so repeated UAs cost a hash
    /// lookup.
    #[must_use]
    pub fn classify(&self, ua: &str) -> UaVerdict {
        // Cheap rejections first, and outside the cache so junk never fills it.
        if implausible_shape(ua) {
            return UaVerdict::Bot;
        }
        if let Some(v) = self.lock_cache().get(ua) {
            return v.clone();
        }
        // Parse without holding the lock so concurrent requests don't serialise
        // on the ~10 µs regex work; a duplicate insert by a racing thread is
        // harmless since both compute the same verdict.
        let verdict = self.classify_uncached(ua);
        let mut cache = self.lock_cache();
        if cache.len() >= CACHE_MAX {
            cache.clear();
        }
        cache.insert(ua.to_owned(), verdict.clone());
        verdict
    }

    /// Number of cached verdicts, for metrics and tests.
    #[must_use]
    pub fn cache_len(&self) -> usize {
        self.lock_cache().len()
    }

    fn lock_cache(&self) -> std::sync::MutexGuard<'_, HashMap<String, UaVerdict>> {
        // A panic while holding the lock cannot leave the map inconsistent
        // (every operation on it is a single std call), so recover rather than
        // propagate the poison into every later request.
        self.cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The full classification, bypassing the cache (but applying the same
    /// length rules). Public so benchmarks can measure the parse itself.
    #[must_use]
    pub fn classify_uncached(&self, ua: &str) -> UaVerdict {
        if implausible_shape(ua) {
            return UaVerdict::Bot;
        }
        let lower = ua.to_ascii_lowercase();
        if AUTOMATION_MARKERS.iter().any(|m| lower.contains(m)) {
            return UaVerdict::Bot;
        }
        if self.is_isbot(ua) || self.crawlers.is_match(ua) {
            return UaVerdict::Bot;
        }
        let dev = self.parser.dev.extract(ua);
        let mut dev_family = dev.as_ref().map_or("", |d| d.device.as_ref());
        if dev_family == "Spider" {
            if self.is_spider(ua) {
                return UaVerdict::Bot;
            }
            // A brand rule names the device first: none of the families
            // `device_class` looks at (those rules are all kept), so the
            // class comes from the UA's tokens.
            dev_family = "";
        }
        let (browser, browser_version) = match self.parser.ua.extract(ua) {
            Some(v) => {
                let name = browser_name(&v.family);
                let version = if name.is_empty() {
                    ""
                } else {
                    v.major.filter(|m| is_numeric(m)).unwrap_or("")
                };
                (name, version.to_owned())
            }
            None => (String::new(), String::new()),
        };
        let (os, os_version) = match self.parser.os.extract(ua) {
            Some(v) => {
                let name = os_name(&v.os);
                let version = os_version(&name, v.major.as_deref(), v.minor.as_deref());
                (name, version)
            }
            None => (String::new(), String::new()),
        };
        let device = device_class(ua, dev_family, &os);
        UaVerdict::Human(UaInfo {
            browser,
            browser_version,
            os,
            os_version,
            device,
        })
    }

    /// Rule 4: the `isbot` list, where what matches is not only the token of
    /// an [`ISBOT_EXCEPTIONS`] browser.
    fn is_isbot(&self, ua: &str) -> bool {
        if !self.bots.is_bot(ua) {
            return false;
        }
        match ISBOT_EXCEPTIONS
            .iter()
            .find(|(token, _)| ua.contains(token))
        {
            Some((token, _)) => self.bots.is_bot(&ua.replace(token, " ")),
            None => true,
        }
    }

    /// Rule 6, asked once the kept device rules named a "Spider": whether
    /// uap-core's own first match is a "Spider" rule. The kept rules include
    /// every "Spider" rule, so when they name none, uap-core names none either;
    /// when they do, a brand rule before it in uap-core's order may still win
    /// (its catch-all "Spider" rule comes after almost all brand rules, and
    /// matches "vortex", "yahoo", "Daum" within a UA's first hundred
    /// characters).
    ///
    /// Those rules are compiled on the first such user agent (~17 MB, ~0.7 s
    /// in a debug build): most crawlers are dropped by the lists before this
    /// rule, so a server may never need them.
    fn is_spider(&self, ua: &str) -> bool {
        self.spider_rules
            .get_or_init(compile_spider_rules)
            .extract(ua)
            .is_some_and(|d| d.device == "Spider")
    }
}

/// uap-core's device rules from the first through its last "Spider" rule, in
/// its order (see [`UaClassifier::is_spider`]).
///
/// # Panics
/// Only if the embedded `regexes.json` is corrupt or holds a regex the parser
/// rejects: a build defect, caught by this module's tests.
fn compile_spider_rules() -> ua_parser::device::Extractor<'static> {
    #[derive(serde::Deserialize)]
    struct DeviceRules {
        device_parsers: Vec<ua_parser::device::Parser<'static>>,
    }
    let mut rules: DeviceRules = serde_json::from_str(RAW_REGEXES)
        .expect("embedded assets/uap/regexes.json is not valid uap-core JSON");
    let last_spider = rules
        .device_parsers
        .iter()
        .rposition(|p| p.device_replacement.as_deref() == Some("Spider"))
        .map_or(0, |i| i + 1);
    rules.device_parsers.truncate(last_spider);
    ua_parser::device::Builder::new()
        .push_all(rules.device_parsers)
        .expect("embedded assets/uap/regexes.json does not compile")
        .build()
        .expect("embedded assets/uap/regexes.json does not compile")
}

#[cfg(test)]
mod tests;
