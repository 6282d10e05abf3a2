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
fn parse(s: &str) -> Result<Vec<Filter>, String> {
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
mod tests {
    use super::*;

    /// A leaf as (property, operator, values, case sensitive).
    type Leaf = (String, Op, Vec<String>, bool);

    fn leaves(s: &str) -> Result<Vec<Leaf>, String> {
        Ok(parse(s)?
            .into_iter()
            .map(|f| match f {
                Filter::Leaf {
                    op,
                    dim,
                    values,
                    case_sensitive,
                } => (dim.to_string(), op, values, case_sensitive),
                other => panic!("not a leaf: {other:?}"),
            })
            .collect())
    }

    enum Want {
        Leaves(&'static [(&'static str, Op, &'static [&'static str])]),
        /// The error message contains this.
        Error(&'static str),
    }
    use Want::{Error, Leaves};

    #[test]
    fn the_v1_grammar_parses_as_documented() {
        let cases: &[(&str, &str, Want)] = &[
            (
                "the v1 docs' example: a list and an AND",
                "visit:country==US|DE;event:page!=/x;visit:source~goo",
                Leaves(&[
                    ("visit:country", Op::Is, &["US", "DE"]),
                    ("event:page", Op::IsNot, &["/x"]),
                    ("visit:source", Op::Contains, &["goo"]),
                ]),
            ),
            (
                "an escaped pipe is part of the value",
                r"event:page==/a\|b",
                Leaves(&[("event:page", Op::Is, &["/a|b"])]),
            ),
            (
                "an unescaped pipe separates alternatives",
                "event:page==/a|b",
                Leaves(&[("event:page", Op::Is, &["/a", "b"])]),
            ),
            (
                "the campaign of issue #11, with spaces around the escaped pipe",
                r"visit:utm_campaign==NL - SH \| Smart Shopping",
                Leaves(&[("visit:utm_campaign", Op::Is, &["NL - SH | Smart Shopping"])]),
            ),
            (
                "an escaped backslash before a pipe: the pipe separates",
                r"event:page==a\\|b",
                Leaves(&[("event:page", Op::Is, &[r"a\", "b"])]),
            ),
            (
                "a backslash before anything else is literal",
                r"event:props:path==C:\dir\x",
                Leaves(&[("event:props:path", Op::Is, &[r"C:\dir\x"])]),
            ),
            (
                "a trailing backslash is literal",
                r"event:page==/a\",
                Leaves(&[("event:page", Op::Is, &[r"/a\"])]),
            ),
            (
                "`==` inside a value belongs to the value",
                "event:page==/a==b",
                Leaves(&[("event:page", Op::Is, &["/a==b"])]),
            ),
            (
                "`=` inside a value belongs to the value",
                "event:props:query==x=1",
                Leaves(&[("event:props:query", Op::Is, &["x=1"])]),
            ),
            (
                "`!=` and `~` after the operator belong to the value",
                "event:page==/a!=b~c",
                Leaves(&[("event:page", Op::Is, &["/a!=b~c"])]),
            ),
            (
                "the leftmost operator wins: `!=` then `==` in the value",
                "event:page!=/x==y",
                Leaves(&[("event:page", Op::IsNot, &["/x==y"])]),
            ),
            (
                "an escaped `;` stays in the value",
                r"event:page==/a\;b;visit:country==SE",
                Leaves(&[
                    ("event:page", Op::Is, &["/a;b"]),
                    ("visit:country", Op::Is, &["SE"]),
                ]),
            ),
            (
                "an escaped pipe does not end a filter either",
                r"visit:utm_campaign==a\|b;visit:source==x|y",
                Leaves(&[
                    ("visit:utm_campaign", Op::Is, &["a|b"]),
                    ("visit:source", Op::Is, &["x", "y"]),
                ]),
            ),
            (
                "empty filters (a trailing `;`) are skipped, spaces trimmed",
                " visit:country == SE ; ;",
                Leaves(&[("visit:country", Op::Is, &["SE"])]),
            ),
            (
                "values are trimmed around `|`",
                "visit:source==Github | Twitter",
                Leaves(&[("visit:source", Op::Is, &["Github", "Twitter"])]),
            ),
            (
                "not-contains, with a list",
                "visit:source!~goo|bing",
                Leaves(&[("visit:source", Op::ContainsNot, &["goo", "bing"])]),
            ),
            (
                "`*` is a wildcard spanning slashes, anchored",
                "event:page==/blog/*",
                Leaves(&[("event:page", Op::Matches, &["^/blog/.*$"])]),
            ),
            (
                "`**` is the same wildcard",
                "event:page==/p**",
                Leaves(&[("event:page", Op::Matches, &["^/p.*$"])]),
            ),
            (
                "negated wildcard; regex characters of the value are literal",
                "event:page!=/a.b(c)/*",
                Leaves(&[("event:page", Op::MatchesNot, &[r"^/a\.b\(c\)/.*$"])]),
            ),
            (
                "a list mixing wildcard and plain values matches either",
                "event:page==/blog/*|/",
                Leaves(&[("event:page", Op::Matches, &["^/blog/.*$", "^/$"])]),
            ),
            (
                "an escaped star is a literal star",
                r"event:page==/a\*b",
                Leaves(&[("event:page", Op::Is, &["/a*b"])]),
            ),
            (
                "a star in a contains value is literal",
                "event:page~a*b",
                Leaves(&[("event:page", Op::Contains, &["a*b"])]),
            ),
            (
                "goals are event names",
                "event:goal==Signup",
                Leaves(&[("event:name", Op::Is, &["Signup"])]),
            ),
            ("no filters at all", "", Leaves(&[])),
            (
                "an empty value is an error",
                "event:page==",
                Error("empty value"),
            ),
            (
                "a blank value is an error",
                "visit:country==  ;event:page==/",
                Error("empty value"),
            ),
            (
                "an empty alternative is an error",
                "visit:source==a||b",
                Error("empty value"),
            ),
            (
                "a trailing pipe is an error",
                "visit:source==a|",
                Error("empty value"),
            ),
            (
                "an unknown property is an error naming it",
                "visit:nope==1",
                Error("Invalid filter property \"visit:nope\""),
            ),
            (
                "a time property can't filter",
                "time:day==2024-01-01",
                Error("Invalid filter property \"time:day\""),
            ),
            (
                "a single `=` is no operator",
                "visit:country=US",
                Error("expected an operator"),
            ),
            (
                "no operator at all",
                "visit:country",
                Error("expected an operator"),
            ),
            (
                "an operator without a property",
                "==US",
                Error("missing property"),
            ),
            (
                "an error in a later filter fails the whole parameter",
                "visit:country==SE;event:page",
                Error("\"event:page\""),
            ),
        ];
        for (why, input, want) in cases {
            let got = leaves(input);
            match want {
                Leaves(want) => {
                    let want: Vec<Leaf> = want
                        .iter()
                        .map(|(p, op, vs)| {
                            let cs = !matches!(op, Op::Contains | Op::ContainsNot);
                            (
                                (*p).to_owned(),
                                *op,
                                vs.iter().map(|v| (*v).to_owned()).collect(),
                                cs,
                            )
                        })
                        .collect();
                    assert_eq!(got, Ok(want), "{why}: {input:?}");
                }
                Error(needle) => {
                    let e = got.expect_err(&format!("{why}: {input:?} should fail"));
                    assert!(e.contains(needle), "{why}: {input:?} gave {e:?}");
                }
            }
        }
    }

    #[test]
    fn wildcard_regexes_match_as_plausible_does() {
        let re = |s: &str| {
            let Ok(v) = leaves(s) else { panic!("{s}") };
            regex::Regex::new(&v[0].2[0]).unwrap()
        };
        let r = re("event:page==/blog/*");
        assert!(r.is_match("/blog/a/b") && r.is_match("/blog/"));
        assert!(!r.is_match("/blogs") && !r.is_match("/x/blog/a"));
        let r = re("event:page==/p/*/edit");
        assert!(r.is_match("/p/1/edit") && r.is_match("/p/1/2/edit"));
        let r = re(r"event:page==/a\|b*");
        assert!(r.is_match("/a|b/c") && !r.is_match("/a"));
    }

    #[test]
    fn errors_become_bad_requests() {
        assert!(matches!(
            parse_filters("visit:country"),
            Err(ApiError::BadRequest(m)) if m.contains("operator")
        ));
        assert!(matches!(parse_filters("visit:country==SE"), Ok(Filter::And(v)) if v.len() == 1));
    }
}
