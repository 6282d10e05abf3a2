//! Plausible's v1 filter syntax (`filters=visit:country==US|DE;event:page==/blog/*`),
//! as a small explicit grammar:
//!
//! ```text
//! filters  = [filter] *( ";" [filter] )       ; empty filters (a trailing ";") are skipped
//! filter   = property op values
//! property = text up to the first operator, trimmed: a property of the v1
//!            docs (`visit:country`, `event:page`, `event:props:KEY`...)
//! op       = "==" / "!=" / "~" / "!~"          ; the leftmost one in the filter
//! values   = value *( "|" value )               ; any of (`==`, `~`) / none of (`!=`, `!~`)
//! value    = 1*( char / escape ), trimmed, never empty
//! escape   = "\|" / "\\" / "\;" / "\*"         ; the character itself, literally
//! ```
//!
//! - `==` is exact and case-sensitive; `!=` matches when no value is equal.
//!   Plausible documents these two, plus `|` and `;`.
//! - `~` (contains, case-insensitive) and `!~` (contains none) are Touchpoint
//!   extensions taken from the `~` prefix of Plausible's dashboard filters.
//! - The operator is the *leftmost* one, so everything after it is value:
//!   `event:page==/a==b` is the page `/a==b`, `event:props:q==x=1` the value `x=1`,
//!   `event:page==/a!=b` the page `/a!=b`. A property can't contain `=`, `!=` or `~`.
//! - `\` escapes `|`, `\`, `;` and `*` (Plausible's docs escape `|`; the others
//!   make every value expressible). A backslash before anything else, or at the
//!   end, is an ordinary character, so `C:\dir` needs no escaping.
//! - Wildcards, as Plausible defines them: an unescaped `*` in a `==`/`!=` value
//!   matches any run of characters, slashes included (`**` is the same), and
//!   the value must then match whole (`/blog/*` matches `/blog/a/b`, not
//!   `/blogs`). Plausible allows wildcards on every property, so does this. In
//!   `~`/`!~` values `*` is literal. A list may mix wildcard and plain values.
//! - Errors (400) name the offending filter: no operator (`visit:country=US`
//!   has only one `=`), no property, an empty value (`event:page==`,
//!   `a||b`), an unknown or time property.
//!
//! Unlike Plausible, which splits on every `==`/`!=` and silently drops a
//! filter it can't parse, a filter here either means what it says or is an error.

use super::{ApiError, bad};
use crate::stats::query::{Dimension, Filter, Op};

/// Parses v1 filters: `visit:country==US|DE;event:page==/blog/*;visit:browser!=Safari;event:page~pricing`.
pub(super) fn parse_filters(s: &str) -> Result<Filter, ApiError> {
    parse(s).map(Filter::And).map_err(bad)
}

/// The operators (no one is a prefix of another).
const OPERATORS: [(&str, Op); 4] = [
    ("==", Op::Is),
    ("!=", Op::IsNot),
    ("!~", Op::ContainsNot),
    ("~", Op::Contains),
];

/// One filter's leaves, in order.
pub(crate) fn parse(s: &str) -> Result<Vec<Filter>, String> {
    split_unescaped(s, ';')
        .into_iter()
        .filter(|f| !f.trim().is_empty())
        .map(parse_one)
        .collect()
}

/// Splits on `sep` where it isn't escaped; the parts keep their escapes.
fn split_unescaped(s: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        if c == '\\' {
            chars.next();
        } else if c == sep {
            parts.push(&s[start..i]);
            start = i + c.len_utf8();
        }
    }
    parts.push(&s[start..]);
    parts
}

/// The leftmost operator of a filter: its byte position, text and meaning.
fn find_operator(f: &str) -> Option<(usize, &'static str, Op)> {
    f.char_indices().find_map(|(i, _)| {
        OPERATORS
            .iter()
            .find(|(text, _)| f[i..].starts_with(text))
            .map(|(text, op)| (i, *text, *op))
    })
}

/// A value: literal text with wildcards (`None`) between.
type Pieces = Vec<Option<String>>;

fn parse_one(f: &str) -> Result<Filter, String> {
    let shown = f.trim();
    let (at, op_text, op) = find_operator(f).ok_or_else(|| {
        format!(
            "Invalid filter {shown:?}: expected an operator (==, !=, ~ or !~) after the property"
        )
    })?;
    let property = f[..at].trim();
    if property.is_empty() {
        return Err(format!(
            "Invalid filter {shown:?}: missing property before {op_text:?}"
        ));
    }
    let dim = Dimension::parse(property)
        .filter(|d| !d.is_time())
        .ok_or_else(|| format!("Invalid filter property {property:?} in {shown:?}"))?;
    let values: Vec<Pieces> = split_unescaped(&f[at + op_text.len()..], '|')
        .into_iter()
        .map(|v| {
            let v = v.trim();
            if v.is_empty() {
                Err(format!(
                    "Invalid filter {shown:?}: empty value (a filter needs a value after {op_text:?}, and none between two `|`)"
                ))
            } else {
                Ok(unescape(v))
            }
        })
        .collect::<Result<_, _>>()?;
    let wildcard = values.iter().flatten().any(Option::is_none);
    Ok(match op {
        Op::Is | Op::IsNot if wildcard => Filter::Leaf {
            op: if op == Op::Is {
                Op::Matches
            } else {
                Op::MatchesNot
            },
            dim,
            values: values.iter().map(wildcard_regex).collect(),
            case_sensitive: true,
        },
        _ => Filter::Leaf {
            op,
            dim,
            values: values.iter().map(literal).collect(),
            case_sensitive: matches!(op, Op::Is | Op::IsNot),
        },
    })
}

/// Resolves escapes and marks unescaped `*` as wildcards.
fn unescape(v: &str) -> Pieces {
    let mut out: Pieces = vec![Some(String::new())];
    let mut chars = v.chars().peekable();
    while let Some(c) = chars.next() {
        let literal = match c {
            '\\' => match chars.peek() {
                Some(&n @ ('|' | '\\' | ';' | '*')) => {
                    chars.next();
                    n
                }
                _ => '\\',
            },
            '*' => {
                if out.last() != Some(&None) {
                    out.push(None);
                }
                continue;
            }
            c => c,
        };
        match out.last_mut() {
            Some(Some(s)) => s.push(literal),
            _ => out.push(Some(literal.to_string())),
        }
    }
    out
}

/// A value as plain text (its wildcards as literal `*`).
fn literal(v: &Pieces) -> String {
    v.iter().map(|p| p.as_deref().unwrap_or("*")).collect()
}

/// A value with wildcards as an anchored regex: `*` matches any run of characters.
fn wildcard_regex(v: &Pieces) -> String {
    let body: String = v
        .iter()
        .map(|p| p.as_deref().map_or_else(|| ".*".to_owned(), regex::escape))
        .collect();
    format!("^{body}$")
}

#[cfg(test)]
#[path = "filters_tests.rs"]
mod tests;
