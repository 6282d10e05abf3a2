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
//! # Redaction ([`redact`])
//!
//! Like GA4's data redaction, free text never keeps an email address; on top
//! of it phone numbers and payment cards go too. In this order:
//!
//! - **`[email]`**: a local part (letters, digits and
//!   ``. _ % + ! # $ ' * ^ ` { | } ~ -``; not `/ = & ? :`, so `?to=` and
//!   `/users/` survive), then `@`, `%40` or `%2540`, then a domain of one or
//!   more dot-separated labels (letters, digits, hyphens after the first
//!   character) ending in a top-level label starting with two letters
//!   (`.org`, `.xn--p1ai`). Letters are Unicode's (`jörg@müller.de`).
//! - **`[card]`**: a maximal run of 13–19 ASCII digits, single spaces or
//!   hyphens allowed between digits, starting with 2–6 (the card networks'
//!   first digits; unix timestamps start with 1), passing the Luhn check, and
//!   not glued to a letter or digit, not after a `+` (a phone number), nor
//!   part of a decimal number (`0.4111…`).
//! - **`[phone]`**: a span `[+]group(sep group)*` where a group is digits or
//!   `(digits)`, `sep` one space, `-` or `.` (none needed around a
//!   parenthesised group), with 7–15 digits in all, not preceded by a letter,
//!   digit, `- . _ @ + %`, not followed by a letter, digit, `@`, or `:`, `-`,
//!   `.`, `,` before a digit; `%2B` counts as `+`. It is a phone number when
//!   it starts with `+` (international), or else when all of these hold:
//!   - at least two groups, and three or more unless the first starts with
//!     `0` or is parenthesised (a national trunk prefix: `030 1234567`);
//!   - no group but the first has a single digit (`978-3-16-148410-0`, an
//!     ISBN, and `10.0.19045.3803`, a version, are not numbers to call);
//!   - the separators between plain groups are all the same character;
//!   - it is not a date: the first three groups are neither year (1900–2099),
//!     month, day nor day/month, month/day, year (`2024-03-15 10:00`);
//!   - it is not an IPv4 address (four dotted groups of at most 255);
//!   - it is not a number with thousands separators (`1 234 567`,
//!     `12.345.678`: a first group of 1–3 digits not starting with `0`, then
//!     groups of exactly three).
//!
//!   So a bare digit run (`/orders/123456789`, a timestamp) is never a
//!   phone number without a `+`; neither are `A-1001`, `/docs/page-3`,
//!   `1.2.3`, ISO dates and times, UUIDs or hex ids.

use std::{borrow::Cow, fmt::Write, sync::LazyLock};

use regex::Regex;

/// Longest stored text in bytes (the interner's limit, so it never cuts one).
pub const MAX_TEXT_BYTES: usize = 2000;
/// What an email address is replaced by.
pub const EMAIL: &str = "[email]";
/// What a phone number is replaced by.
pub const PHONE: &str = "[phone]";
/// What a payment card number is replaced by.
pub const CARD: &str = "[card]";

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
/// (a longer digit run cut to a card's length), so it redacts again.
fn finish(s: String) -> String {
    let mut s = redact(&s).into_owned();
    while s.len() > MAX_TEXT_BYTES {
        let mut end = MAX_TEXT_BYTES;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
        s = redact(&s).into_owned();
    }
    s
}

static EMAIL_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"[\p{Alphabetic}\p{N}._%+!#$'*^`{|}~-]+",
        r"(?:@|%40|%2540)",
        r"(?:[\p{Alphabetic}\p{N}][\p{Alphabetic}\p{N}-]*\.)+",
        r"\p{Alphabetic}{2}[\p{Alphabetic}\p{N}-]*",
    ))
    .expect("the email pattern is valid")
});

/// Replaces email addresses, payment card numbers and phone numbers in `s`
/// by [`EMAIL`], [`CARD`] and [`PHONE`] (rules in the module doc). The one
/// scrubber every stored free text goes through.
#[must_use]
pub fn redact(s: &str) -> Cow<'_, str> {
    // Every address holds `@`, `%40` or `%2540`: most texts skip the regex.
    let mut out = if s.contains('@') || s.contains("%40") || s.contains("%2540") {
        EMAIL_RE.replace_all(s, EMAIL)
    } else {
        Cow::Borrowed(s)
    };
    if out.bytes().filter(u8::is_ascii_digit).count() >= 7 {
        if let Some(x) = scan(&out, card_at, CARD) {
            out = Cow::Owned(x);
        }
        if let Some(x) = scan(&out, phone_at, PHONE) {
            out = Cow::Owned(x);
        }
    }
    out
}

/// What a scanner found at a position: a match ending at `end` (chars), or
/// no match, skipping to `end` (a maximal run that is not one).
enum Hit {
    Match(usize),
    Skip(usize),
}

/// Runs `at` over `s`; `Some` with the replaced text when anything matched.
fn scan(s: &str, at: fn(&[char], usize) -> Option<Hit>, marker: &str) -> Option<String> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::new();
    let (mut i, mut copied, mut any) = (0, 0, false);
    while i < chars.len() {
        match at(&chars, i) {
            Some(Hit::Match(end)) => {
                out.extend(&chars[copied..i]);
                out.push_str(marker);
                (i, copied, any) = (end, end, true);
            }
            Some(Hit::Skip(end)) => i = end.max(i + 1),
            None => i += 1,
        }
    }
    any.then(|| {
        out.extend(&chars[copied..]);
        out
    })
}

fn digit(c: Option<&char>) -> bool {
    c.is_some_and(char::is_ascii_digit)
}

/// A card number starting at `i`.
fn card_at(c: &[char], i: usize) -> Option<Hit> {
    if !c[i].is_ascii_digit() {
        return None;
    }
    if let Some(&p) = i.checked_sub(1).map(|j| &c[j]) {
        let decimal = matches!(p, '.' | ',') && digit(i.checked_sub(2).and_then(|j| c.get(j)));
        // After a `+` it is an international phone number.
        if p.is_alphanumeric() || p == '+' || decimal {
            return None;
        }
    }
    let mut digits = Vec::new();
    let mut j = i;
    while j < c.len() {
        if c[j].is_ascii_digit() {
            digits.push(c[j].to_digit(10).unwrap_or(0));
            j += 1;
        } else if matches!(c[j], ' ' | '-') && digit(c.get(j + 1)) {
            j += 1;
        } else {
            break;
        }
    }
    let right_ok = c
        .get(j)
        .is_none_or(|&n| !(n.is_alphanumeric() || matches!(n, '.' | ',') && digit(c.get(j + 1))));
    let card = right_ok
        && (13..=19).contains(&digits.len())
        && (2..=6).contains(&digits[0])
        && luhn(&digits);
    Some(if card { Hit::Match(j) } else { Hit::Skip(j) })
}

/// The Luhn checksum holds.
fn luhn(digits: &[u32]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(k, &d)| {
            if k % 2 == 1 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// One group of a phone-like span.
struct Group {
    digits: String,
    paren: bool,
    /// Separator before it (`None` for the first and for glued groups).
    sep: Option<char>,
}

/// A group starting at `k`: digits, or digits in parentheses. Returns it and
/// where it ends.
fn group_at(c: &[char], k: usize) -> Option<(String, bool, usize)> {
    let paren = c.get(k) == Some(&'(');
    let start = k + usize::from(paren);
    let mut j = start;
    while digit(c.get(j)) {
        j += 1;
    }
    if j == start || (paren && c.get(j) != Some(&')')) {
        return None;
    }
    let digits: String = c[start..j].iter().collect();
    Some((digits, paren, j + usize::from(paren)))
}

/// A phone number starting at `i`.
fn phone_at(c: &[char], i: usize) -> Option<Hit> {
    let first = c[i];
    if !(first.is_ascii_digit() || matches!(first, '+' | '(' | '%')) {
        return None;
    }
    if let Some(&p) = i.checked_sub(1).map(|j| &c[j])
        && (p.is_alphanumeric() || matches!(p, '-' | '.' | '_' | '@' | '+' | '%'))
    {
        return None;
    }
    let mut k = i;
    let plus = if first == '+' {
        k += 1;
        true
    } else if first == '%' {
        let encoded: String = c[i..c.len().min(i + 3)].iter().collect();
        if !encoded.eq_ignore_ascii_case("%2B") {
            return None;
        }
        k += 3;
        true
    } else {
        false
    };
    let mut groups: Vec<Group> = Vec::new();
    let mut sep = None;
    while let Some((digits, paren, end)) = group_at(c, k) {
        groups.push(Group { digits, paren, sep });
        k = end;
        match c.get(k) {
            Some(&s @ (' ' | '-' | '.')) if group_at(c, k + 1).is_some() => {
                sep = Some(s);
                k += 1;
            }
            // Glued to a parenthesised group: `+44(0)20`, `(030)1234567`.
            _ => sep = None,
        }
    }
    if groups.is_empty() {
        return None;
    }
    let right_ok = c.get(k).is_none_or(|&n| {
        !n.is_alphanumeric()
            && n != '@'
            && !(matches!(n, ':' | '-' | '.' | ',') && digit(c.get(k + 1)))
    });
    let phone = right_ok && phone_shape(plus, &groups);
    Some(if phone { Hit::Match(k) } else { Hit::Skip(k) })
}

/// The phone rules of the module doc, on a parsed span.
fn phone_shape(plus: bool, groups: &[Group]) -> bool {
    let total: usize = groups.iter().map(|g| g.digits.len()).sum();
    if !(7..=15).contains(&total) {
        return false;
    }
    if plus {
        return true;
    }
    let first = &groups[0];
    let trunk = first.paren || first.digits.starts_with('0');
    if groups.len() < 2 || (groups.len() < 3 && !trunk) {
        return false;
    }
    if groups[1..].iter().any(|g| g.digits.len() == 1 && !g.paren) {
        return false;
    }
    // Separators between plain groups: all the same.
    let mut seps = groups
        .windows(2)
        .filter(|w| !w[0].paren && !w[1].paren)
        .filter_map(|w| w[1].sep);
    if let Some(s) = seps.next()
        && seps.any(|t| t != s)
    {
        return false;
    }
    let num = |g: &Group| g.digits.parse::<u32>().unwrap_or(u32::MAX);
    let lens: Vec<usize> = groups.iter().map(|g| g.digits.len()).collect();
    if groups.len() >= 3 && !groups[..3].iter().any(|g| g.paren) {
        let (a, b, y) = (num(&groups[0]), num(&groups[1]), num(&groups[2]));
        let month = |m: u32| (1..=12).contains(&m);
        let day = |d: u32| (1..=31).contains(&d);
        let year = |y: u32| (1900..=2099).contains(&y);
        let ymd = lens[0] == 4 && lens[1] <= 2 && lens[2] <= 2 && year(a) && month(b) && day(y);
        let dmy = lens[0] <= 2
            && lens[1] <= 2
            && lens[2] == 4
            && year(y)
            && ((day(a) && month(b)) || (month(a) && day(b)));
        if ymd || dmy {
            return false;
        }
    }
    let dotted = groups[1..].iter().all(|g| g.sep == Some('.'));
    if dotted && groups.len() == 4 && groups.iter().all(|g| g.digits.len() <= 3 && num(g) <= 255) {
        return false;
    }
    let thousands = !first.paren
        && (1..=3).contains(&lens[0])
        && !first.digits.starts_with('0')
        && groups[1..]
            .iter()
            .all(|g| !g.paren && g.digits.len() == 3 && matches!(g.sep, Some(' ' | '.')));
    !thousands
}

#[cfg(test)]
#[path = "text_tests.rs"]
mod tests;
