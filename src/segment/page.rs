//! What a Segment message says about the page it was sent from: its URL
//! (with `context.campaign` as `utm_*`) and its custom properties.

use serde_json::{Map, Value};
use url::Url;

use super::message::{Kind, Message};

/// Page fields of a `page` call's properties: they make the page, not props.
const PAGE_FIELDS: &[&str] = &[
    "url", "path", "referrer", "search", "title", "name", "category", "keywords",
];

/// The page an event happened on: its URL, else one made from its path and
/// query on the site's domain (a screen's path is `/` and its name); the
/// campaign's values are added as `utm_*` where the URL has none.
pub(crate) fn page_url(m: &Message, domain: &str) -> Url {
    let given = m
        .page
        .url
        .as_deref()
        .and_then(|u| Url::parse(u).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
    let mut url = given.unwrap_or_else(|| {
        let mut u = Url::parse(&format!("https://{domain}/")).expect("a domain makes a URL");
        match (&m.page.path, m.kind, &m.name) {
            (Some(p), _, _) => u.set_path(p),
            (None, Kind::Screen, Some(name)) => u.set_path(&format!("/{name}")),
            _ => {}
        }
        if let Some(s) = &m.page.search {
            u.set_query(Some(s.trim_start_matches('?')).filter(|q| !q.is_empty()));
        }
        u
    });
    let c = &m.campaign;
    let missing: Vec<(&str, &str)> = [
        ("utm_source", &c.source),
        ("utm_medium", &c.medium),
        ("utm_campaign", &c.name),
        ("utm_term", &c.term),
        ("utm_content", &c.content),
    ]
    .into_iter()
    .filter_map(|(k, v)| Some((k, v.as_deref()?)))
    .filter(|(k, _)| !url.query_pairs().any(|(q, _)| q == *k))
    .collect();
    if !missing.is_empty() {
        url.query_pairs_mut().extend_pairs(missing);
    }
    url
}

/// A message's custom properties: the scalar `properties` (a page's own
/// fields left out), at most [`crate::ingest::payload::MAX_PROPS`].
pub(crate) fn props(m: &Message) -> Vec<(String, String)> {
    let skip = |k: &str| matches!(m.kind, Kind::Page | Kind::Screen) && PAGE_FIELDS.contains(&k);
    scalars(&m.properties)
        .filter(|(k, _)| !skip(k))
        .take(crate::ingest::payload::MAX_PROPS)
        .collect()
}

fn scalars(o: &Map<String, Value>) -> impl Iterator<Item = (String, String)> + '_ {
    o.iter().filter_map(|(k, v)| {
        let v = match v {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => return None,
        };
        Some((k.clone(), v))
    })
}
