//! The body of `POST /api/event`, accepted exactly as Plausible's Events API
//! accepts it: long or short field names, props as an object or a JSON string,
//! any Content-Type. Parsing is pure and reports every bad field at once.
//!
//! Limits (Plausible's, where it has them): event name ≤ 120 characters;
//! ≤ 30 custom properties, keys ≤ 300 and values ≤ 2,000 characters; URL and
//! referrer ≤ 2,000 characters; at most 10 domains; the body itself is capped
//! by `ingest.max_body_bytes` (8 KiB by default) before parsing.

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use url::Url;

use crate::{
    domain::{Domain, text},
    store::record::Engagement,
};

/// Longest event name.
pub const MAX_NAME_CHARS: usize = 120;
/// Most custom properties per event.
pub const MAX_PROPS: usize = 30;
/// Longest property key.
pub const MAX_PROP_KEY_CHARS: usize = 300;
/// Longest property value.
pub const MAX_PROP_VALUE_CHARS: usize = 2000;
/// Longest URL or referrer.
pub const MAX_URL_CHARS: usize = 2000;
/// Most domains in one `domain` field.
pub const MAX_DOMAINS: usize = 10;
/// Most engaged time one engagement ping may report (a day).
pub const MAX_ENGAGED_MS: u64 = 86_400_000;

/// A valid event as the browser described it, before enrichment.
#[derive(Debug, Clone, PartialEq)]
pub struct RawEvent {
    /// `pageview` or a custom name.
    pub name: String,
    /// Page URL.
    pub url: Url,
    /// Sites to record it for (from `domain`, else the URL's host).
    pub domains: Vec<Domain>,
    /// Referrer as sent.
    pub referrer: Option<String>,
    /// Custom properties, values as text.
    pub props: Vec<(String, String)>,
    /// Revenue amount (decimal text) and currency.
    pub revenue: Option<(String, String)>,
    /// False when sent with `interactive: false`.
    pub interactive: bool,
    /// Hash-based routing: the fragment is part of the path.
    pub hash_mode: bool,
    /// First-party id, lead digests, consent decision (see [`super::identity`]).
    pub identity: super::identity::Identity,
    /// For an `engagement` ping: time visible and scroll depth.
    pub engagement: Option<Engagement>,
}

impl RawEvent {
    /// True for an engagement ping (Plausible's name): it updates the
    /// pageview it follows rather than counting as an event.
    #[must_use]
    pub fn is_engagement(&self) -> bool {
        self.name == "engagement"
    }

    /// True for a pageview.
    #[must_use]
    pub fn is_pageview(&self) -> bool {
        self.name == "pageview"
    }

    /// Path as stored: the URL path, plus the fragment in hash mode,
    /// percent-decoded and redacted (see [`crate::domain::text`]).
    #[must_use]
    pub fn path(&self) -> String {
        let fragment = self.url.fragment().filter(|_| self.hash_mode);
        text::path(self.url.path(), fragment)
    }
}

/// Field → message, serialised as Plausible's `{"errors": {...}}`.
pub type FieldErrors = BTreeMap<&'static str, String>;

fn field<'a>(obj: &'a Map<String, Value>, long: &str, short: &[&str]) -> Option<&'a Value> {
    std::iter::once(long)
        .chain(short.iter().copied())
        .find_map(|k| obj.get(k))
        .filter(|v| !v.is_null())
}

/// Parses and validates a request body.
///
/// # Errors
/// Every invalid field with a message.
pub fn parse(body: &[u8]) -> Result<RawEvent, FieldErrors> {
    let mut errors = FieldErrors::new();
    let value: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            errors.insert("request", format!("body is not valid JSON: {e}"));
            return Err(errors);
        }
    };
    let Value::Object(obj) = value else {
        errors.insert("request", "body must be a JSON object".into());
        return Err(errors);
    };

    let name = match field(&obj, "name", &["n"]) {
        Some(Value::String(s)) if text::normalise(text::Field::Name, s).is_empty() => {
            errors.insert("name", "can't be blank".into());
            String::new()
        }
        Some(Value::String(s)) if s.chars().count() > MAX_NAME_CHARS => {
            errors.insert(
                "name",
                format!("should be at most {MAX_NAME_CHARS} characters"),
            );
            String::new()
        }
        Some(Value::String(s)) => s.trim().to_owned(),
        Some(_) => {
            errors.insert("name", "must be a string".into());
            String::new()
        }
        None => {
            errors.insert("name", "is required".into());
            String::new()
        }
    };

    let url = match field(&obj, "url", &["u"]) {
        Some(Value::String(s)) => parse_url(s).map_err(|m| errors.insert("url", m)).ok(),
        Some(_) => {
            errors.insert("url", "must be a string".into());
            None
        }
        None => {
            errors.insert("url", "is required".into());
            None
        }
    };

    let mut domains = Vec::new();
    match field(&obj, "domain", &["d"]) {
        Some(Value::String(s)) => {
            for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                match Domain::parse(part) {
                    Ok(d) if !domains.contains(&d) => domains.push(d),
                    Ok(_) => {}
                    Err(e) => {
                        errors.insert("domain", e.to_string());
                    }
                }
            }
            if domains.len() > MAX_DOMAINS {
                errors.insert("domain", format!("at most {MAX_DOMAINS} domains"));
            }
        }
        Some(_) => {
            errors.insert("domain", "must be a string".into());
        }
        None => {}
    }
    if domains.is_empty() && !errors.contains_key("domain") {
        match url.as_ref().and_then(Url::host_str).map(Domain::parse) {
            Some(Ok(d)) => domains.push(d),
            _ if url.is_some() => {
                errors.insert("domain", "is required (the URL has no usable host)".into());
            }
            _ => {}
        }
    }

    let referrer = match field(&obj, "referrer", &["r"]) {
        Some(Value::String(s)) if s.chars().count() > MAX_URL_CHARS => {
            errors.insert(
                "referrer",
                format!("should be at most {MAX_URL_CHARS} characters"),
            );
            None
        }
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => Some(s.trim().to_owned()),
        Some(_) => {
            errors.insert("referrer", "must be a string".into());
            None
        }
        None => None,
    };

    let props = match field(&obj, "props", &["p", "meta", "m"]) {
        None => Vec::new(),
        Some(v) => parse_props(v).unwrap_or_else(|m| {
            errors.insert("props", m);
            Vec::new()
        }),
    };

    let revenue = match field(&obj, "revenue", &["$"]) {
        None => None,
        Some(v) => parse_revenue(v)
            .map_err(|m| errors.insert("revenue", m))
            .ok(),
    };

    let interactive = match field(&obj, "interactive", &["i"]) {
        None => true,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            errors.insert("interactive", "must be true or false".into());
            true
        }
    };
    let hash_mode = matches!(field(&obj, "hashMode", &["h"]), Some(Value::Bool(true)))
        || matches!(field(&obj, "hashMode", &["h"]), Some(Value::Number(n)) if n.as_u64() == Some(1));

    let identity = super::identity::parse(&obj, &mut errors);
    if name == "consent" && identity.consent.is_none() && !errors.contains_key("c") {
        errors.insert("c", "a consent event needs its decision in c".into());
    }

    let engagement =
        (name == "engagement").then(|| parse_engagement(&obj, &mut errors).unwrap_or_default());

    match url {
        Some(url) if errors.is_empty() => Ok(RawEvent {
            name,
            url,
            domains,
            referrer,
            props,
            revenue,
            interactive,
            hash_mode,
            identity,
            engagement,
        }),
        _ => Err(errors),
    }
}

/// `sd`: deepest scroll, percent (0–100; -1 or absent: not measured);
/// `e`: milliseconds the page was visible since the last ping.
fn parse_engagement(obj: &Map<String, Value>, errors: &mut FieldErrors) -> Option<Engagement> {
    let scroll = match field(obj, "scroll_depth", &["sd"]) {
        None => None,
        Some(v) => match v.as_i64() {
            Some(-1) => None,
            Some(n @ 0..=100) => u8::try_from(n).ok(),
            _ => {
                errors.insert("sd", "must be a whole percent from 0 to 100".into());
                return None;
            }
        },
    };
    let engaged_ms = match field(obj, "engagement_time", &["e"]) {
        None => 0,
        Some(v) => match v.as_u64() {
            Some(n) if n <= MAX_ENGAGED_MS => u32::try_from(n).ok()?,
            _ => {
                errors.insert(
                    "e",
                    format!("must be whole milliseconds from 0 to {MAX_ENGAGED_MS}"),
                );
                return None;
            }
        },
    };
    Some(Engagement { engaged_ms, scroll })
}

fn parse_url(s: &str) -> Result<Url, String> {
    if s.chars().count() > MAX_URL_CHARS {
        return Err(format!("should be at most {MAX_URL_CHARS} characters"));
    }
    let url = Url::parse(s.trim()).map_err(|e| format!("is not a valid URL: {e}"))?;
    match url.scheme() {
        "http" | "https" => {}
        "data" => return Err("data: URLs are not accepted".into()),
        other => return Err(format!("scheme {other}: is not http or https")),
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("has no host".into());
    }
    Ok(url)
}

fn parse_props(v: &Value) -> Result<Vec<(String, String)>, String> {
    let parsed;
    let obj = match v {
        Value::Object(o) => o,
        Value::String(s) => {
            parsed = serde_json::from_str::<Value>(s)
                .map_err(|_| "must be an object or a JSON string of an object".to_owned())?;
            match &parsed {
                Value::Object(o) => o,
                Value::Null => return Ok(Vec::new()),
                _ => return Err("must be an object".into()),
            }
        }
        _ => return Err("must be an object".into()),
    };
    let mut out = Vec::new();
    for (k, v) in obj {
        let value = match v {
            Value::Null => continue,
            Value::String(s) if s.is_empty() => continue,
            Value::String(s) => s.clone(),
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => n.to_string(),
            Value::Array(_) | Value::Object(_) => {
                return Err(format!(
                    "value of {k:?} must be a string, number or boolean"
                ));
            }
        };
        if k.trim().is_empty() {
            return Err("keys can't be blank".into());
        }
        if k.chars().count() > MAX_PROP_KEY_CHARS {
            return Err(format!(
                "keys should be at most {MAX_PROP_KEY_CHARS} characters"
            ));
        }
        if value.chars().count() > MAX_PROP_VALUE_CHARS {
            return Err(format!(
                "value of {k:?} should be at most {MAX_PROP_VALUE_CHARS} characters"
            ));
        }
        out.push((k.clone(), value));
    }
    if out.len() > MAX_PROPS {
        return Err(format!("at most {MAX_PROPS} properties per event"));
    }
    Ok(out)
}

fn parse_revenue(v: &Value) -> Result<(String, String), String> {
    let Value::Object(o) = v else {
        return Err("must be an object with amount and currency".into());
    };
    let amount = match o.get("amount") {
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => s.trim().to_owned(),
        _ => return Err("amount is required (a number or decimal string)".into()),
    };
    if parse_decimal_micros(&amount).is_none() {
        return Err(format!("amount {amount:?} is not a decimal number"));
    }
    let currency = match o.get("currency") {
        Some(Value::String(s)) if s.len() == 3 && s.chars().all(|c| c.is_ascii_alphabetic()) => {
            s.to_ascii_uppercase()
        }
        _ => return Err("currency must be a 3-letter ISO 4217 code".into()),
    };
    Ok((amount, currency))
}

/// Decimal amounts (a domain value, shared with spend imports).
pub use crate::domain::money::parse_decimal_micros;

#[cfg(test)]
#[path = "payload_tests.rs"]
mod tests;
