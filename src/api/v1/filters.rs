//! Plausible's v1 filter syntax: `visit:country==US|DE;event:page==/blog/**`,
//! with `==`, `!=`, `~` (contains) and `!~`, `|` between alternatives, and page
//! wildcards (`**` spans slashes, `*` does not).

use super::{ApiError, bad};
use crate::stats::query::{Dimension, Filter, Op};

/// Parses v1 filters: `visit:country==US|DE;event:page==/blog/**;visit:browser!=Safari;event:page~pricing`.
pub(super) fn parse_filters(s: &str) -> Result<Filter, ApiError> {
    let mut all = Vec::new();
    for part in s.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let (dim, op, value) = if let Some((d, v)) = part.split_once("!=") {
            (d, Op::IsNot, v)
        } else if let Some((d, v)) = part.split_once("==") {
            (d, Op::Is, v)
        } else if let Some((d, v)) = part.split_once("!~") {
            (d, Op::ContainsNot, v)
        } else if let Some((d, v)) = part.split_once('~') {
            (d, Op::Contains, v)
        } else {
            return Err(bad(format!("Invalid filter expression {part:?}")));
        };
        let dim = Dimension::parse(dim.trim())
            .filter(|d| !d.is_time())
            .ok_or_else(|| bad(format!("Invalid filter property {:?}", dim.trim())))?;
        let values: Vec<String> = value.split('|').map(|v| v.trim().to_owned()).collect();
        let wildcard = values.iter().any(|v| v.contains('*'));
        let (op, values) = if wildcard && matches!(op, Op::Is | Op::IsNot) {
            let op = if op == Op::Is {
                Op::Matches
            } else {
                Op::MatchesNot
            };
            (op, values.iter().map(|v| wildcard_regex(v)).collect())
        } else {
            (op, values)
        };
        all.push(Filter::Leaf {
            op,
            dim,
            values,
            case_sensitive: !matches!(op, Op::Contains | Op::ContainsNot),
        });
    }
    Ok(Filter::And(all))
}

/// Plausible's page wildcards: `**` spans slashes, `*` does not.
fn wildcard_regex(v: &str) -> String {
    let mut out = String::from("^");
    let mut chars = v.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '*' {
            if chars.peek() == Some(&'*') {
                chars.next();
                out.push_str(".*");
            } else {
                out.push_str("[^/]*");
            }
        } else {
            out.push_str(&regex::escape(&c.to_string()));
        }
    }
    out.push('$');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_become_anchored_regexes() {
        let r = regex::Regex::new(&wildcard_regex("/blog/**")).unwrap();
        assert!(r.is_match("/blog/a/b"));
        assert!(!r.is_match("/blogs"));
        let r = regex::Regex::new(&wildcard_regex("/p/*/edit")).unwrap();
        assert!(r.is_match("/p/1/edit") && !r.is_match("/p/1/2/edit"));
    }

    #[test]
    fn v1_filter_syntax_parses() {
        let f = parse_filters("visit:country==US|DE;event:page!=/x;visit:source~goo").unwrap();
        let Filter::And(v) = f else { panic!() };
        assert_eq!(v.len(), 3);
        assert!(parse_filters("visit:nope==1").is_err());
        assert!(parse_filters("visit:country").is_err());
    }
}
