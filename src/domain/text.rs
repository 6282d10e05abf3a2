//! Free text: how every text a browser or a server sends is normalised and
//! scrubbed before it is stored, logged or compared — the one place that
//! decides it, used by ingestion (paths, hostnames, referrers, UTM values,
//! event names, property keys and values, order ids) and by report filters,
//! so a value typed in a filter means what the stored text means.
//!
//! It lives among the domain values because it defines what a stored text
//! *is* (like [`super::Domain`]): a pure function of its input, with no store
//! or key behind it, that ingestion, the report APIs and the conversions API
//! all depend on. The privacy module holds the store-bound privacy machinery
//! (keys, purges, people's requests).
//!
//! # Normalisation ([`normalise`], in this order)
//!
//! 1. **Percent-decoding**: paths (and the fragment in hash mode) and
//!    referrers are decoded as Plausible decodes paths (`URI.decode`): every
//!    `%XX`, including `%2F` (`/`), `%3F` (`?`) and `%23` (`#`), which then
//!    are part of the path; `+` stays `+`. Query values (`utm_*`, `ref`,
//!    `source`) are decoded as forms are, `+` meaning a space. Decoded bytes
//!    that are not valid UTF-8 keep their escape (`%FF%FE` stays `%FF%FE`),
//!    so nothing vanishes or turns into U+FFFD, and a `%` not followed by two
//!    hex digits is a literal `%`. Event names, properties and order ids are
//!    not URLs and are not decoded.
//! 2. **Control characters** (Unicode `Cc`: U+0000–U+001F, U+007F–U+009F,
//!    decoded ones included) become a space.
//! 3. **Whitespace** is trimmed at both ends; inside it is kept.
//! 4. **Case**: hostnames are lower-cased (and lose a leading `www.` and a
//!    trailing `.`); everything else keeps its case (paths are
//!    case-sensitive, UTM values are kept as sent).
//! 5. **Trailing slashes** are kept (`/blog` and `/blog/` are two pages, as
//!    in Plausible); only the referrer drops its trailing `/`, as before.
//! 6. **Redaction** ([`redact`]), after decoding, so `mary%40example.org` in
//!    a path is caught.
//! 7. **Length**: at most [`MAX_TEXT_BYTES`] bytes, cut on a character
//!    boundary and redacted again, so a cut can't leave a partial address.
//!
//! A text that is empty after this counts as absent (no UTM, no property).
//!
//! Filters ([`filter_value`]) apply the same steps to the values of `is` and
//! `contains` filters, except that `+` in a filter is a `+` (people type
//! spaces as spaces) and a hostname keeps a `www.` the user typed. Regular
//! expressions are compared as typed.
//!
//! # Redaction
//!
//! [`redact`] (in `domain::redact`, re-exported here) runs last: see there
//! for what it replaces.

use std::{borrow::Cow, fmt::Write};

pub use super::redact::{CARD, EMAIL, PHONE, redact};

/// Longest stored text in bytes (the interner's limit, so it never cuts one).
pub const MAX_TEXT_BYTES: usize = 2000;

/// Which field a text is, which decides how it is normalised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// A page path (with the `#fragment` in hash mode): percent-decoded.
    Path,
    /// The page's host: lower case, without `www.`.
    Hostname,
    /// A referrer, host and path: percent-decoded.
    Referrer,
    /// A query parameter's value (`utm_*`, `ref`, `source`): form-decoded.
    Query,
    /// A custom event name.
    Name,
    /// A property key.
    PropKey,
    /// A property value.
    PropValue,
    /// An order id (tracker, conversions API, Stripe); see [`order_id`].
    OrderId,
}

/// Normalises and redacts a text for storage (see the module doc for the
/// rules). Pure; the same input always gives the same output.
#[must_use]
pub fn normalise(field: Field, raw: &str) -> String {
    let decoded = match field {
        Field::Path | Field::Referrer => percent_decode(raw, false),
        Field::Query => percent_decode(raw, true),
        _ => Cow::Borrowed(raw),
    };
    let mut s = clean(&decoded);
    if field == Field::Hostname {
        s = s.to_lowercase();
        let host = s.trim_end_matches('.');
        let host = host.strip_prefix("www.").unwrap_or(host);
        s = host.to_owned();
    }
    finish(s)
}

/// Normalises the value of an `is` or `contains` filter on a text of `field`
/// the way stored texts were, so `/de/zehn-jahre-überdauern` and
/// `/de/zehn-jahre-%C3%BCberdauern` find the same page.
#[must_use]
pub fn filter_value(field: Field, value: &str) -> String {
    let decoded = match field {
        Field::Path | Field::Referrer | Field::Query => percent_decode(value, false),
        _ => Cow::Borrowed(value),
    };
    let mut s = clean(&decoded);
    if field == Field::Hostname {
        s = s.to_lowercase();
    }
    finish(s)
}

/// The path of a page: its URL path, plus `#` and the fragment in hash mode.
#[must_use]
pub fn path(raw_path: &str, fragment: Option<&str>) -> String {
    match fragment {
        Some(f) => normalise(Field::Path, &format!("{raw_path}#{f}")),
        None => normalise(Field::Path, raw_path),
    }
}

/// An order id as stored (tracker, conversions API, Stripe): trimmed,
/// control characters spaced; `None` when empty or when it holds an email,
/// phone or card number — order ids de-duplicate conversions, so such an id
/// is no order id rather than one shared `[email]` order.
#[must_use]
pub fn order_id(raw: &str) -> Option<String> {
    let s = clean(raw);
    let personal = redact(&s) != s.as_str();
    (!s.is_empty() && !personal && s.len() <= MAX_TEXT_BYTES).then_some(s)
}

/// The normalised value of the first parameter `name` in a raw query string
/// (keys are compared decoded); `None` when absent or empty.
#[must_use]
pub fn query_param(query: &str, name: &str) -> Option<String> {
    query
        .split('&')
        .filter_map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k, true) == name).then_some(v)
        })
        .map(|v| normalise(Field::Query, v))
        .find(|v| !v.is_empty())
}

/// Percent-decodes `s` (`+` as a space when `plus_as_space`); bytes that
/// don't form UTF-8 keep their escape, upper-cased.
#[must_use]
pub fn percent_decode(s: &str, plus_as_space: bool) -> Cow<'_, str> {
    if !(s.contains('%') || plus_as_space && s.contains('+')) {
        return Cow::Borrowed(s);
    }
    let hex = |b: u8| char::from(b).to_digit(16);
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%'
            && let (Some(h), Some(l)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
            i += 3;
            continue;
        }
        out.push(if plus_as_space && b == b'+' { b' ' } else { b });
        i += 1;
    }
    let mut text = String::with_capacity(out.len());
    for chunk in out.utf8_chunks() {
        text.push_str(chunk.valid());
        for b in chunk.invalid() {
            // Only decoded bytes can be invalid: the input was UTF-8.
            let _ = write!(text, "%{b:02X}");
        }
    }
    Cow::Owned(text)
}

/// Control characters to spaces, then trimmed.
fn clean(s: &str) -> String {
    let s = if s.chars().any(char::is_control) {
        Cow::Owned(
            s.chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect(),
        )
    } else {
        Cow::Borrowed(s)
    };
    s.trim().to_owned()
}

/// Redacts, then bounds the length; a cut can make a new match at the end
/// (a longer digit run cut to a card's length), so it redacts again, and
/// can end the text in white space, which goes as at any text's end.
fn finish(s: String) -> String {
    let mut s = redact(&s).into_owned();
    while s.len() > MAX_TEXT_BYTES {
        let mut end = MAX_TEXT_BYTES;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
        s.truncate(s.trim_end().len());
        s = redact(&s).into_owned();
    }
    s
}

#[cfg(test)]
#[path = "text_tests.rs"]
mod tests;
