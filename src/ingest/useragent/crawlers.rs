//! The maintained crawler list `crawler-user-agents`
//! (<https://github.com/monperrus/crawler-user-agents>, MIT, Martin Monperrus),
//! embedded from `assets/crawlers/` (version in `assets/crawlers/VERSION`;
//! `scripts/update-crawler-list.sh` refreshes it). It names what the `isbot`
//! crate's list misses: AI agents (`anthropic-ai`, `Claude-User`,
//! `meta-externalagent`), uptime monitors (`DatadogSynthetics`,
//! `RuxitSynthetic`), scanners (`Nikto`, `Acunetix`), HTTP clients (`HTTPie/`,
//! `colly`).
//!
//! Its patterns are regexes, matched case-sensitively: that is how the list
//! checks each pattern against its own examples and how its Python and Go
//! packages match by default. Matching them case-insensitively would drop
//! real people (`NING/` in Thunderbird's `Lightning/`, `Sonic` in Panasonic
//! TVs, `Fluid` in Windows Phones).

use regex::{RegexSet, RegexSetBuilder};
use serde::Deserialize;

/// The list as published.
pub(super) static LIST_JSON: &str =
    include_str!("../../../assets/crawlers/crawler-user-agents.json");

/// Patterns of the list left out, each because it matches real browsers (found
/// by the test against uap-core's browser user agents). What they were meant
/// for is mostly still caught by `isbot` or another pattern.
pub(super) const EXCLUDED: &[(&str, &str)] = &[
    (
        "Butterfly",
        "HTC Butterfly phones: \"Android 4.2.2; HTC Butterfly s Build/JDQ39\"",
    ),
    (
        "Sonic",
        "ViewSonic and other devices: \"ViewSonic-ViewPad4 Build/FRG83G\", \"Lucky Ultra Sonic U8650\"",
    ),
    (
        "008\\/",
        "any version or model ending in 008: \"Opera Mini/4.4.39008/37.9178\", \"sprd-L008/1.0\"",
    ),
    (
        "AP3A\\.240617\\.008",
        "an Android 15 build id, in every browser's user agent on such phones (the list's \
         own example is Instagram's in-app browser)",
    ),
];

/// One entry of the list; only the pattern is used at run time (the tests
/// also read its example user agents, `instances`).
#[derive(Deserialize)]
struct Entry {
    pattern: String,
}

/// The list's patterns (minus [`EXCLUDED`]) compiled into one set.
///
/// # Panics
/// Only if a pattern of the embedded list does not compile: a build defect,
/// caught by the tests.
pub(super) fn compile() -> RegexSet {
    let entries: Vec<Entry> =
        serde_json::from_str(LIST_JSON).expect("embedded assets/crawlers list is valid JSON");
    let patterns = entries
        .into_iter()
        .map(|e| e.pattern)
        .filter(|p| !EXCLUDED.iter().any(|(x, _)| x == p));
    RegexSetBuilder::new(patterns)
        .build()
        .expect("every pattern of assets/crawlers compiles")
}
