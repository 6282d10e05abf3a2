//! How a visit arrived: referrer, named source, UTM tags, ad click id and the
//! GA4 default channel group, all derived from the landing URL and the
//! browser's referrer alone (pure, so it can run anywhere in the pipeline).

use std::{
    collections::{BTreeMap, HashMap},
    sync::LazyLock,
};

use serde::Deserialize;
use url::Url;

/// Longest value kept from user-controlled input, so one visitor can't bloat the string store.
const MAX_LEN: usize = 2000;

/// Declares a fieldless enum whose discriminant is its on-disk code.
macro_rules! coded_enum {
    ($(#[$m:meta])* $name:ident { $($v:ident = $code:literal, $s:literal, $doc:literal;)+ }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u8)]
        pub enum $name { $(#[doc = $doc] $v = $code,)+ }

        impl $name {
            /// Every variant in code order, for pickers and exhaustive tests.
            pub const ALL: [Self; [$($code),+].len()] = [$(Self::$v),+];

            /// The name users see and filter on (for click ids, the query parameter itself).
            #[must_use]
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$v => $s,)+ }
            }

            /// Stable code stored in session rows: never reuse or renumber, only append.
            #[must_use]
            pub fn code(self) -> u8 {
                self as u8
            }

            /// Inverse of [`Self::code`]; `None` for 0 ("none") and codes from a newer build.
            #[must_use]
            pub fn from_code(c: u8) -> Option<Self> {
                Self::ALL.into_iter().find(|v| v.code() == c)
            }

            /// Case-insensitive inverse of [`Self::as_str`], for API filters typed by people.
            #[must_use]
            pub fn parse(s: &str) -> Option<Self> {
                let s = s.trim();
                Self::ALL.into_iter().find(|v| v.as_str().eq_ignore_ascii_case(s))
            }
        }
    };
}

coded_enum! {
    /// GA4 default channel group.
    Channel {
        Direct = 1, "Direct", "No source, medium, campaign, click id or referrer.";
        OrganicSearch = 2, "Organic Search", "Unpaid search engine results.";
        PaidSearch = 3, "Paid Search", "Search ads.";
        OrganicSocial = 4, "Organic Social", "Unpaid social networks.";
        PaidSocial = 5, "Paid Social", "Social ads.";
        Email = 6, "Email", "Newsletters and webmail.";
        Referral = 7, "Referral", "Links from other sites.";
        Display = 8, "Display", "Banner-style ads.";
        Affiliates = 9, "Affiliates", "Affiliate programmes.";
        PaidOther = 10, "Paid Other", "Paid, but no known search/social/video/shopping source.";
        OrganicVideo = 11, "Organic Video", "Unpaid video platforms.";
        PaidVideo = 12, "Paid Video", "Video ads.";
        OrganicShopping = 13, "Organic Shopping", "Unpaid shopping sites and shop campaigns.";
        PaidShopping = 14, "Paid Shopping", "Shopping ads.";
        Sms = 15, "SMS", "Text messages.";
        Audio = 16, "Audio", "Podcast and radio ads.";
        MobilePushNotifications = 17, "Mobile Push Notifications", "App push notifications.";
        CrossNetwork = 18, "Cross-network", "Campaigns across networks (Performance Max).";
        Unassigned = 19, "Unassigned", "Tagged traffic no rule recognises.";
    }
}

coded_enum! {
    /// Which ad click id a landing URL carried.
    ClickKind {
        Gclid = 1, "gclid", "Google Ads.";
        Gbraid = 2, "gbraid", "Google Ads, aggregated iOS measurement.";
        Wbraid = 3, "wbraid", "Google Ads, aggregated iOS measurement.";
        Dclid = 4, "dclid", "Google Display & Video 360 / Campaign Manager.";
        Fbclid = 5, "fbclid", "Meta (Facebook, Instagram).";
        Msclkid = 6, "msclkid", "Microsoft Advertising.";
        Ttclid = 7, "ttclid", "TikTok Ads.";
        LiFatId = 8, "li_fat_id", "LinkedIn Ads.";
        Twclid = 9, "twclid", "X (Twitter) Ads.";
        Epik = 10, "epik", "Pinterest Ads.";
        RdtCid = 11, "rdt_cid", "Reddit Ads.";
        ScCid = 12, "ScCid", "Snapchat Ads.";
        Yclid = 13, "yclid", "Yandex Direct.";
    }
}

impl ClickKind {
    /// The medium and source category the ad platform implies when the URL carries no utm_medium.
    fn hint(self, cat: Cat) -> (Cat, String) {
        use ClickKind as K;
        let (cat, medium) = match self {
            K::Dclid => (cat, "display"),
            // Search ads also run on YouTube and shopping surfaces; keep those categories.
            K::Gclid | K::Gbraid | K::Wbraid | K::Msclkid | K::Yclid => match cat {
                Cat::Video | Cat::Shopping => (cat, "cpc"),
                _ => (Cat::Search, "cpc"),
            },
            _ => (Cat::Social, "cpc"),
        };
        (cat, medium.to_owned())
    }
}

/// UTM values from the landing URL (trimmed, empty → None, max 2000 chars each truncated).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Utm {
    /// `utm_source`.
    pub source: Option<String>,
    /// `utm_medium`.
    pub medium: Option<String>,
    /// `utm_campaign`.
    pub campaign: Option<String>,
    /// `utm_term`.
    pub term: Option<String>,
    /// `utm_content`.
    pub content: Option<String>,
    /// `utm_id`.
    pub id: Option<String>,
}

/// How a visit arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acquisition {
    /// Host and path without scheme, query or fragment (e.g. `news.ycombinator.com/item`),
    /// like Plausible's `visit:referrer`; `None` when absent, invalid or a self-referral.
    pub referrer: Option<String>,
    /// Lowercase referrer host without a leading `www.` (the package for `android-app://`).
    pub referrer_host: Option<String>,
    /// Plausible's `visit:source`: a named source ("Google", "Hacker News") or the raw value.
    pub source: Option<String>,
    /// Campaign tags.
    pub utm: Utm,
    /// First ad click id found, in [`ClickKind::ALL`] order.
    pub click: Option<ClickKind>,
    /// GA4 default channel group.
    pub channel: Channel,
}

/// Classify from the page URL and the raw referrer string sent by the browser.
#[must_use]
pub fn classify(page: &Url, referrer: Option<&str>) -> Acquisition {
    let pairs: Vec<_> = page.query_pairs().collect();
    let param = |name: &str| {
        let v = pairs.iter().find(|(k, _)| k == name)?.1.trim();
        (!v.is_empty()).then(|| clip(v))
    };
    let utm = Utm {
        source: param("utm_source"),
        medium: param("utm_medium"),
        campaign: param("utm_campaign"),
        term: param("utm_term"),
        content: param("utm_content"),
        id: param("utm_id"),
    };
    let click = ClickKind::ALL.into_iter().find(|k| {
        param(k.as_str()).is_some() || (*k == ClickKind::ScCid && param("sccid").is_some())
    });
    let (referrer, referrer_host, android) = referrer
        .and_then(|r| parse_referrer(page, r))
        .map_or((None, None, false), |(r, h, a)| (Some(r), Some(h), a));
    // Plausible's precedence: an explicit tag beats whatever the browser reported.
    let tagged = utm.source.clone().or(param("source")).or(param("ref"));
    let (source, cat) = match (tagged, &referrer_host) {
        (Some(t), _) => {
            let lower = t.to_lowercase();
            let name = lookup(&lower).map(|(name, _)| name.to_owned());
            (Some(name.unwrap_or(t)), category(&lower))
        }
        // The host, not the name, decides: mail.yandex.ru is webmail though "Yandex" is a search
        // engine.
        (None, Some(h)) => {
            let name = source_name(h).map(str::to_owned);
            let raw = format!("{}{h}", if android { "android-app://" } else { "" });
            (Some(name.unwrap_or(raw)), category(h))
        }
        (None, None) => (None, Cat::Other),
    };
    let (medium, campaign) = (utm.medium.as_deref(), utm.campaign.as_deref());
    let has_referrer = referrer_host.is_some();
    let channel = rules(
        cat,
        source.as_deref(),
        medium,
        campaign,
        click,
        has_referrer,
    );
    Acquisition {
        referrer,
        referrer_host,
        source,
        utm,
        click,
        channel,
    }
}

/// GA4's rules on already-extracted values; pure and table-testable. `source`/`medium`/`campaign`
/// as in GA4 (lowercased inside).
#[must_use]
pub fn channel_for(
    source: Option<&str>,
    medium: Option<&str>,
    campaign: Option<&str>,
    click: Option<ClickKind>,
    has_referrer: bool,
) -> Channel {
    let cat = source.map_or(Cat::Other, |s| category(&s.trim().to_lowercase()));
    rules(cat, source, medium, campaign, click, has_referrer)
}

/// Named source for a host ("www.google.co.uk" → Some("Google")); walks up subdomains
/// ("m.facebook.com" → "Facebook").
#[must_use]
pub fn source_name(host: &str) -> Option<&'static str> {
    walk(&norm_host(host)).map(|(name, _)| name.as_str())
}

/// Source category, the part of GA4's rules that depends on who the source is. Ordered by
/// precedence for names the db files under several media.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Cat {
    Search,
    Social,
    Email,
    Video,
    Shopping,
    Other,
}

impl Cat {
    /// Medium GA4 would record for an untagged referral from a site of this kind.
    fn referral_medium(self) -> &'static str {
        match self {
            Cat::Search => "organic",
            Cat::Social => "social",
            Cat::Email => "email",
            _ => "referral",
        }
    }
}

/// The rule chain in GA4's order of evaluation, given the source's category.
fn rules(
    cat: Cat,
    source: Option<&str>,
    medium: Option<&str>,
    campaign: Option<&str>,
    click: Option<ClickKind>,
    has_referrer: bool,
) -> Channel {
    use Channel as C;
    let norm = |v: Option<&str>| v.map(|v| v.trim().to_lowercase()).filter(|v| !v.is_empty());
    let (s, m, c) = (norm(source), norm(medium), norm(campaign));
    if s.is_none() && m.is_none() && c.is_none() && click.is_none() && !has_referrer {
        return C::Direct;
    }
    let (cat, m) = match (m, click) {
        (Some(m), _) => (cat, m),
        (None, Some(k)) => k.hint(cat),
        (None, None) if has_referrer => (cat, cat.referral_medium().to_owned()),
        (None, None) => (cat, String::new()),
    };
    let (s, c, m) = (s.unwrap_or_default(), c.unwrap_or_default(), m.as_str());
    let paid = m.contains("cp") || matches!(m, "ppc" | "retargeting") || m.starts_with("paid");
    let shop = cat == Cat::Shopping || shop_campaign(&c);
    let email = |v: &str| matches!(v, "email" | "e-mail" | "e_mail" | "e mail");
    #[rustfmt::skip]
    let social = ["social", "social-network", "social-media", "sm", "social network",
        "social media"];
    let push = m.ends_with("push") || m.contains("mobile") || m.contains("notification");
    #[rustfmt::skip]
    let chain = [
        (C::CrossNetwork, c.contains("cross-network")),
        (C::PaidShopping, paid && shop),
        (C::PaidSearch, paid && cat == Cat::Search),
        (C::PaidSocial, paid && cat == Cat::Social),
        (C::PaidVideo, paid && cat == Cat::Video),
        (C::Display, matches!(m, "display" | "banner" | "expandable" | "interstitial" | "cpm")),
        (C::PaidOther, paid),
        (C::OrganicShopping, shop),
        (C::OrganicSocial, cat == Cat::Social || social.contains(&m)),
        (C::OrganicVideo, cat == Cat::Video || m.contains("video")),
        (C::OrganicSearch, cat == Cat::Search || m == "organic"),
        (C::Referral, matches!(m, "referral" | "app" | "link")),
        // Webmail sources count too (as in Plausible), not only the literal tags.
        (C::Email, email(&s) || email(m) || cat == Cat::Email),
        (C::Affiliates, m == "affiliate"),
        (C::Audio, m == "audio"),
        (C::Sms, s == "sms" || m == "sms"),
        (C::MobilePushNotifications, push || s == "firebase"),
    ];
    chain
        .into_iter()
        .find(|(_, hit)| *hit)
        .map_or(C::Unassigned, |(channel, _)| channel)
}

/// GA4's `^(.*(([^a-df-z]|^)shop|shopping).*)$` without a regex engine: "shop" must not follow
/// a letter other than "e" ("eshop" and "e-shop" count, "workshop" doesn't).
fn shop_campaign(c: &str) -> bool {
    c.contains("shopping")
        || c.match_indices("shop").any(|(i, _)| {
            c[..i]
                .chars()
                .next_back()
                .is_none_or(|p| p == 'e' || !p.is_ascii_lowercase())
        })
}

/// Sources GA4's category lists name but the referrer db lacks or files elsewhere (it calls
/// YouTube "social" and Amazon "search"). Video and shopping come first, as in `category`.
#[rustfmt::skip]
const LISTS: [(Cat, &[&str]); 5] = [
    (Cat::Video, &["youtube", "youtu", "yt", "vimeo", "twitch", "dailymotion", "wistia", "youku",
        "iqiyi", "netflix", "hulu", "disneyplus"]),
    (Cat::Shopping, &["amazon", "ebay", "etsy", "shopify", "walmart", "alibaba", "aliexpress",
        "mercadolibre", "shopping", "igshopping", "google shopping", "shop.app"]),
    (Cat::Search, &["google", "bing", "baidu", "yahoo", "duckduckgo", "yandex", "ecosia", "naver",
        "qwant", "startpage", "seznam"]),
    (Cat::Social, &["facebook", "fb", "instagram", "ig", "linkedin", "lnkd", "twitter", "t.co", "x",
        "tiktok", "pinterest", "reddit", "snapchat", "whatsapp", "threads", "bluesky", "bsky",
        "mastodon", "discord", "quora", "tumblr", "meta"]),
    (Cat::Email, &["gmail", "outlook", "hotmail"]),
];
/// Short utm_source spellings people actually use, mapped to db names (lowercase).
const ALIASES: &[(&str, &str)] = &[
    ("fb", "facebook"),
    ("ig", "instagram"),
    ("yt", "youtube"),
    ("tw", "twitter"),
    ("x", "twitter"),
    ("li", "linkedin"),
];

/// Whether a host has a 4+ letter label (not the TLD) in `set`: "m.youtube.com", "amazon.co.uk".
fn label_match(s: &str, set: &[&str]) -> bool {
    s.contains('.')
        && s.rsplit('.')
            .skip(1)
            .any(|l| l.len() >= 4 && set.contains(&l))
}

/// Category of a lowercase source value or host.
fn category(s: &str) -> Cat {
    let s = norm_host(s.strip_prefix("android-app://").unwrap_or(s));
    let s = s.as_str();
    // Exact hand-written tokens beat the db, whose names include generic words ("Meta" is a
    // search engine there).
    if let Some(&(cat, _)) = LISTS.iter().find(|(_, set)| set.contains(&s)) {
        return cat;
    }
    // As host labels only video and shopping go first: the db knows mail.google.com is not search.
    if let Some(&(cat, _)) = LISTS[..2].iter().find(|(_, set)| label_match(s, set)) {
        return cat;
    }
    if let Some((_, cat)) = lookup(s) {
        return cat;
    }
    LISTS[2..]
        .iter()
        .find(|(_, set)| label_match(s, set))
        .map_or(Cat::Other, |&(cat, _)| cat)
}

/// Named source and category of a lowercase value: alias, then db name, then db domain.
fn lookup(s: &str) -> Option<(&'static str, Cat)> {
    let s = ALIASES
        .iter()
        .find(|(a, _)| *a == s)
        .map_or(s, |(_, to)| to);
    let hit = DB.names.get(s).or_else(|| walk(s))?;
    Some((hit.0.as_str(), hit.1))
}

/// The db entry for `host` or its nearest listed parent (hosts under a listed site are that site).
fn walk(host: &str) -> Option<&'static (String, Cat)> {
    let db: &'static Db = &DB;
    let mut h = host;
    loop {
        if let Some(hit) = db.hosts.get(h) {
            return Some(hit);
        }
        h = h.split_once('.')?.1;
    }
}

/// Hosts compare equal however the browser or the db spelled them ("WWW.Example.com.").
fn norm_host(h: &str) -> String {
    let h = h.trim().trim_end_matches('.').to_lowercase();
    match h.strip_prefix("www.") {
        Some(rest) => rest.to_owned(),
        None => h,
    }
}

/// Truncates on a char boundary, so multi-byte input can't panic.
fn clip(s: &str) -> String {
    s.char_indices()
        .nth(MAX_LEN)
        .map_or(s, |(i, _)| &s[..i])
        .to_owned()
}

/// (referrer, host, is android app) for a usable, non-self referrer.
fn parse_referrer(page: &Url, raw: &str) -> Option<(String, String, bool)> {
    let u = Url::parse(raw.trim()).ok()?;
    let android = match u.scheme() {
        "http" | "https" => false,
        "android-app" => true,
        _ => return None,
    };
    let host = norm_host(u.host_str()?);
    // Plausible drops localhost too: it is the developer, not a traffic source.
    if host.is_empty()
        || host == "localhost"
        || page.host_str().map(norm_host).as_ref() == Some(&host)
    {
        return None;
    }
    let referrer = clip(&format!("{host}{}", u.path().trim_end_matches('/')));
    Some((referrer, clip(&host), android))
}

/// The referrer db indexed both ways; names keep their original spelling for display.
#[derive(Default)]
struct Db {
    hosts: HashMap<String, (String, Cat)>,
    names: HashMap<String, (String, Cat)>,
}

#[derive(Deserialize)]
struct Entry {
    source: String,
    medium: String,
}

static DB: LazyLock<Db> = LazyLock::new(|| {
    let raw: BTreeMap<String, Entry> =
        serde_json::from_str(include_str!("../../assets/referrers/referrers.json"))
            .unwrap_or_default();
    let mut db = Db::default();
    for (domain, e) in raw {
        let cat = match e.medium.as_str() {
            "search" => Cat::Search,
            "social" => Cat::Social,
            "email" => Cat::Email,
            _ => Cat::Other,
        };
        let name = db
            .names
            .entry(e.source.to_lowercase())
            .or_insert_with(|| (e.source.clone(), cat));
        // A name listed under several media (Google: search, paid, unknown) takes the most telling.
        name.1 = name.1.min(cat);
        // Path-specific entries (google.com/imgres) add nothing: referrers are matched by host.
        if !domain.contains('/') {
            db.hosts
                .entry(norm_host(&domain))
                .or_insert((e.source, cat));
        }
    }
    db
});

#[cfg(test)]
#[path = "acquisition_tests.rs"]
mod tests;
