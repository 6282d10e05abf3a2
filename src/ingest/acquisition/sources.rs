//! Source knowledge: the referrer database, category word lists and aliases,
//! and GA4's channel rules over them.

use std::{
    collections::{BTreeMap, HashMap},
    sync::LazyLock,
};

use serde::Deserialize;
use url::Url;

use super::{Channel, ClickKind};
use crate::domain::text::{self, Field};

/// Source category, the part of GA4's rules that depends on who the source is. Ordered by
/// precedence for names the db files under several media.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Cat {
    Search,
    Social,
    Email,
    Video,
    Shopping,
    Other,
}

impl Cat {
    /// Medium GA4 would record for an untagged referral from a site of this kind.
    pub(super) fn referral_medium(self) -> &'static str {
        match self {
            Cat::Search => "organic",
            Cat::Social => "social",
            Cat::Email => "email",
            _ => "referral",
        }
    }
}

/// The rule chain in GA4's order of evaluation, given the source's category.
pub(super) fn rules(
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
pub(super) fn shop_campaign(c: &str) -> bool {
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
pub(super) const LISTS: [(Cat, &[&str]); 5] = [
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
pub(super) const ALIASES: &[(&str, &str)] = &[
    ("fb", "facebook"),
    ("ig", "instagram"),
    ("yt", "youtube"),
    ("tw", "twitter"),
    ("x", "twitter"),
    ("li", "linkedin"),
];

/// Whether a host has a 4+ letter label (not the TLD) in `set`: "m.youtube.com", "amazon.co.uk".
pub(super) fn label_match(s: &str, set: &[&str]) -> bool {
    s.contains('.')
        && s.rsplit('.')
            .skip(1)
            .any(|l| l.len() >= 4 && set.contains(&l))
}

/// Category of a lowercase source value or host.
pub(super) fn category(s: &str) -> Cat {
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
pub(super) fn lookup(s: &str) -> Option<(&'static str, Cat)> {
    let s = ALIASES
        .iter()
        .find(|(a, _)| *a == s)
        .map_or(s, |(_, to)| to);
    let hit = DB.names.get(s).or_else(|| walk(s))?;
    Some((hit.0.as_str(), hit.1))
}

/// The db entry for `host` or its nearest listed parent (hosts under a listed site are that site).
pub(super) fn walk(host: &str) -> Option<&'static (String, Cat)> {
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
pub(super) fn norm_host(h: &str) -> String {
    let h = h.trim().trim_end_matches('.').to_lowercase();
    match h.strip_prefix("www.") {
        Some(rest) => rest.to_owned(),
        None => h,
    }
}

/// (referrer, host, is android app) for a usable, non-self referrer.
pub(super) fn parse_referrer(page: &Url, raw: &str) -> Option<(String, String, bool)> {
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
    // Decoded and redacted like a page path (see `domain::text`).
    let referrer = text::normalise(
        Field::Referrer,
        &format!("{host}{}", u.path().trim_end_matches('/')),
    );
    Some((referrer, text::normalise(Field::Hostname, &host), android))
}

/// The referrer db indexed both ways; names keep their original spelling for display.
#[derive(Default)]
pub(super) struct Db {
    pub(super) hosts: HashMap<String, (String, Cat)>,
    pub(super) names: HashMap<String, (String, Cat)>,
}

#[derive(Deserialize)]
pub(super) struct Entry {
    source: String,
    medium: String,
}

pub(super) static DB: LazyLock<Db> = LazyLock::new(|| {
    let raw: BTreeMap<String, Entry> =
        serde_json::from_str(include_str!("../../../assets/referrers/referrers.json"))
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
