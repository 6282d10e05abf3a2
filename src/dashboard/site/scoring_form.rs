//! The lead-scoring form of the settings page, read into [`Scoring`]: one
//! row per rule (`heading`, `kind`, `match`, `points`, `repeat`, each field
//! repeated once per row, in row order), then `threshold` and
//! `half_life_days`. A row whose match is empty is left out, so the blank
//! rows offered for new rules cost nothing. Pure, so it is tested here.

use crate::attribution::scoring::{Condition, Heading, Rule, Scoring};

/// Most scoring rules per site.
pub const MAX_RULES: usize = 50;

/// Every value of `key` in the form, in order.
fn all<'a>(pairs: &'a [(String, String)], key: &str) -> Vec<&'a str> {
    pairs
        .iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v.trim())
        .collect()
}

/// A whole number field; empty is 0.
fn number<T: std::str::FromStr + Default>(
    pairs: &[(String, String)],
    key: &str,
    what: &str,
) -> Result<T, String> {
    match all(pairs, key).first().copied().unwrap_or_default() {
        "" => Ok(T::default()),
        v => v
            .parse()
            .map_err(|_| format!("{what} must be a whole number, not {v:?}")),
    }
}

/// One row as a rule; `None` for a blank row.
fn rule(
    n: usize,
    heading: &str,
    kind: &str,
    matched: &str,
    points: &str,
    repeat: &str,
) -> Result<Option<Rule>, String> {
    if matched.is_empty() {
        return Ok(None);
    }
    let heading = match heading {
        "fit" => Heading::Fit,
        "engagement" => Heading::Engagement,
        other => return Err(format!("rule {n}: {other:?} is neither fit nor engagement")),
    };
    let when = match kind {
        "event" => Condition::Event(matched.to_owned()),
        "page" if matched.starts_with('/') || matched.starts_with('*') => {
            Condition::Page(matched.to_owned())
        }
        "page" => return Err(format!("rule {n}: a page starts with / (e.g. /pricing*)")),
        "prop" => match matched.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => Condition::Prop {
                key: k.trim().to_owned(),
                value: v.trim().to_owned(),
            },
            _ => {
                return Err(format!(
                    "rule {n}: a property is matched as key=value, e.g. plan=enterprise"
                ));
            }
        },
        other => return Err(format!("rule {n}: {other:?} is not an event, page or prop")),
    };
    let points = points.parse::<i64>().map_err(|_| {
        format!("rule {n}: points must be a whole number (negative to take points away)")
    })?;
    Ok(Some(Rule {
        heading,
        when,
        points,
        each_time: repeat == "each",
    }))
}

/// Reads the form.
///
/// # Errors
/// A message naming the rule (counted from 1) or field that is wrong.
pub fn parse(pairs: &[(String, String)]) -> Result<Scoring, String> {
    let (headings, kinds, matches, points, repeats) = (
        all(pairs, "heading"),
        all(pairs, "kind"),
        all(pairs, "match"),
        all(pairs, "points"),
        all(pairs, "repeat"),
    );
    let rows = matches.len();
    if [&headings, &kinds, &points, &repeats]
        .iter()
        .any(|f| f.len() != rows)
    {
        return Err("the rule rows are incomplete; reload the page and try again".into());
    }
    let mut rules = Vec::new();
    for i in 0..rows {
        if let Some(r) = rule(
            i + 1,
            headings[i],
            kinds[i],
            matches[i],
            points[i],
            repeats[i],
        )? {
            rules.push(r);
        }
    }
    if rules.len() > MAX_RULES {
        return Err(format!("at most {MAX_RULES} rules"));
    }
    Ok(Scoring {
        rules,
        threshold: number(pairs, "threshold", "the threshold")?,
        half_life_days: number(pairs, "half_life_days", "the half-life")?,
    })
}

/// A rule's kind and match as the form shows them (`prop`, `plan=enterprise`).
#[must_use]
pub fn shown(c: &Condition) -> (&'static str, String) {
    match c {
        Condition::Event(e) => ("event", e.clone()),
        Condition::Page(p) => ("page", p.clone()),
        Condition::Prop { key, value } => ("prop", format!("{key}={value}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(fields: &[(&str, &str)]) -> Vec<(String, String)> {
        fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn row<'a>(
        h: &'a str,
        k: &'a str,
        m: &'a str,
        p: &'a str,
        r: &'a str,
    ) -> [(&'a str, &'a str); 5] {
        [
            ("heading", h),
            ("kind", k),
            ("match", m),
            ("points", p),
            ("repeat", r),
        ]
    }

    #[test]
    fn rows_become_rules_and_blank_rows_are_left_out() {
        let mut f = Vec::new();
        f.extend(row("engagement", "page", "/pricing*", "10", "each"));
        f.extend(row("fit", "prop", "plan = enterprise", "40", "once"));
        f.extend(row("fit", "event", "", "0", "once"));
        f.extend(row("fit", "page", "/careers", "-20", "once"));
        f.extend([("threshold", "60"), ("half_life_days", "")]);
        let s = parse(&form(&f)).unwrap();
        assert_eq!(s.rules.len(), 3);
        assert!(s.rules[0].each_time && !s.rules[1].each_time);
        assert_eq!(
            s.rules[1].when,
            Condition::Prop {
                key: "plan".into(),
                value: "enterprise".into()
            }
        );
        assert_eq!(s.rules[2].points, -20);
        assert_eq!((s.threshold, s.half_life_days), (60, 0));
        assert_eq!(shown(&s.rules[1].when), ("prop", "plan=enterprise".into()));
    }

    #[test]
    fn a_wrong_row_is_named() {
        let bad = |r: [(&str, &str); 5], says: &str| {
            let e = parse(&form(&r)).unwrap_err();
            assert!(e.contains(says), "{e}");
        };
        bad(row("fit", "page", "pricing", "1", "once"), "starts with /");
        bad(row("fit", "prop", "plan", "1", "once"), "key=value");
        bad(row("fit", "event", "Signup", "ten", "once"), "whole number");
        bad(row("size", "event", "Signup", "1", "once"), "neither fit");
        let mut short = form(&row("fit", "event", "Signup", "1", "once"));
        short.pop();
        assert!(parse(&short).unwrap_err().contains("incomplete"));
        let e = parse(&form(&[("threshold", "lots")])).unwrap_err();
        assert!(e.contains("threshold"), "{e}");
    }
}
