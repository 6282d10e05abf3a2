//! Redaction of personal data in free text, the last step of
//! [`super::text::normalise`].
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

use std::{borrow::Cow, sync::LazyLock};

use regex::Regex;

/// What an email address is replaced by.
pub const EMAIL: &str = "[email]";
/// What a phone number is replaced by.
pub const PHONE: &str = "[phone]";
/// What a payment card number is replaced by.
pub const CARD: &str = "[card]";

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
///
/// A replaced number can uncover its neighbour: in `+4930123456 7+4917612345`
/// the second number follows a digit and is no phone number, but after
/// `[phone]` it is. So the rules run again until nothing changes, and a
/// redacted text is one the rules find nothing in. It ends: every pass
/// that changes the text takes away an `@` (or `%40`) or at least seven
/// digits, and the markers hold neither.
#[must_use]
pub fn redact(s: &str) -> Cow<'_, str> {
    let Cow::Owned(mut text) = redact_once(s) else {
        return Cow::Borrowed(s);
    };
    while let Cow::Owned(again) = redact_once(&text) {
        text = again;
    }
    Cow::Owned(text)
}

/// One pass of the rules; `Cow::Owned` only when something was replaced.
fn redact_once(s: &str) -> Cow<'_, str> {
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
