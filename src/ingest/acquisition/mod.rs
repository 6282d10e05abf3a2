//! How a visit arrived: referrer, named source, UTM tags, ad click id and the
//! GA4 default channel group, all derived from the landing URL and the
//! browser's referrer alone (pure, so it can run anywhere in the pipeline).

mod sources;

use sources::{Cat, category, lookup, norm_host, parse_referrer, rules, walk};
use url::Url;

/// The channel group and click id kinds (domain types: their codes are stored in visit rows).
pub use crate::domain::channel::{Channel, ClickKind};
use crate::domain::text;

// An inherent impl of the domain type, private to classification.
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

/// UTM values from the landing URL, normalised and redacted (see
/// [`crate::domain::text`]; empty → `None`).
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
    // Values decoded, normalised and redacted before anything derives from them.
    let query = page.query().unwrap_or_default();
    let param = |name: &str| text::query_param(query, name);
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

/// The `visit:source` of a visit tagged `utm_source=tag`: its named source
/// ("google" → "Google") or the tag as given, as [`classify`] decides.
#[must_use]
pub fn source_of_tag(tag: &str) -> String {
    lookup(&tag.to_lowercase()).map_or_else(|| tag.to_owned(), |(name, _)| name.to_owned())
}

/// Named source for a host ("www.google.co.uk" → Some("Google")); walks up subdomains
/// ("m.facebook.com" → "Facebook").
#[must_use]
pub fn source_name(host: &str) -> Option<&'static str> {
    walk(&norm_host(host)).map(|(name, _)| name.as_str())
}

#[cfg(test)]
mod tests;
