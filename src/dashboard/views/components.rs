//! Small pieces shared by pages: number formats, ranked lists, report
//! cards with tabs, the tracking snippet.

use maud::{Markup, html};

use super::charts;
use crate::{
    domain::MinCount,
    stats::{Value, query::Metric},
    store::Site,
};

/// A count for people: exact with separators below 100,000, then compact.
#[must_use]
pub fn fmt_number(n: u64) -> String {
    #[allow(clippy::cast_precision_loss)]
    let f = n as f64;
    match n {
        0..100_000 => {
            let s = n.to_string();
            let mut out = String::new();
            for (i, c) in s.chars().enumerate() {
                if i > 0 && (s.len() - i).is_multiple_of(3) {
                    out.push(',');
                }
                out.push(c);
            }
            out
        }
        100_000..1_000_000 => format!("{:.1}k", f / 1e3),
        1_000_000..1_000_000_000 => format!("{:.1}M", f / 1e6),
        _ => format!("{:.1}B", f / 1e9),
    }
}

/// A count as shown under a site's minimum `k`: the number, or `< k` read
/// as "fewer than k" (see [`crate::dashboard::site::safe`]).
#[must_use]
pub fn shown_count(k: MinCount, n: u64) -> Markup {
    html! {
        @if k.hides(n) {
            span.fewer title=(k.words()) { span aria-hidden="true" { (k.short()) } span.visually-hidden { (k.words()) } }
        } @else { (fmt_number(n)) }
    }
}

/// A table cell of a count under `k` (its `data-value` only when shown).
#[must_use]
pub fn count_cell(k: MinCount, n: u64) -> Markup {
    html! { td.num data-value=[(!k.hides(n)).then_some(n)] { (shown_count(k, n)) } }
}

/// A table cell of a rate in percent; `—` when `withheld` (its count is
/// hidden by the site's minimum).
#[must_use]
pub fn rate_cell(withheld: bool, rate: f64) -> Markup {
    html! { td.num { @if withheld { "—" } @else { (format!("{rate:.1}%")) } } }
}

fn fmt_seconds(s: u64) -> String {
    if s >= 3600 {
        format!("{}h {:02}m", s / 3600, s % 3600 / 60)
    } else if s >= 60 {
        format!("{}m {:02}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    }
}

/// A metric value for a KPI tile.
#[must_use]
pub fn fmt_metric(m: Metric, v: Value) -> String {
    match (m, v) {
        (Metric::BounceRate, Value::Int(i)) => format!("{i}%"),
        (Metric::ScrollDepth, Value::Int(i)) => format!("{i}%"),
        (Metric::VisitDuration | Metric::TimeOnPage, Value::Int(s)) => fmt_seconds(s),
        (_, Value::Int(i)) => fmt_number(i),
        (_, Value::Float(f)) => format!("{f:.2}"),
        (_, Value::None) => "—".to_owned(),
    }
}

/// A ranked list with bars; `href` gives each row's filter link (from the
/// row's value), `show` its text; counts under the site's minimum `k`.
pub fn ranked_list<'a>(
    k: MinCount,
    metric_label: &str,
    rows: impl Iterator<Item = (&'a str, u64)>,
    href: impl Fn(&str) -> Option<String>,
    show: impl Fn(&str) -> String,
) -> Markup {
    let rows: Vec<(&str, u64)> = rows.collect();
    let max = rows.iter().map(|r| r.1).max().unwrap_or(0).max(1);
    html! {
        @if rows.is_empty() {
            p.empty { "No data for this period." }
        } @else {
            table.ranked {
                thead { tr { th { "" } th.num { (metric_label) } } }
                tbody {
                    @for (label, n) in &rows {
                        @let frac = fraction(*n, max);
                        tr {
                            td.label {
                                (charts::bar(frac))
                                @let text = show(label);
                                @if let Some(h) = href(label) { a href=(h) title=(text) { (text) } } @else { span title=(text) { (text) } }
                            }
                            (count_cell(k, *n))
                        }
                    }
                }
            }
        }
    }
}

/// A row's text as is.
#[must_use]
pub fn as_is(s: &str) -> String {
    s.to_owned()
}

/// A country code's English name in common use (`DE` → Germany, `GB` →
/// United Kingdom); unknown codes stay codes.
#[must_use]
pub fn country_name(code: &str) -> String {
    crate::domain::places::country_name(code)
}

#[allow(clippy::cast_precision_loss)]
fn fraction(n: u64, max: u64) -> f64 {
    n as f64 / max as f64
}

/// Tabs as links; `href` gives each tab's link; the `active` one is marked
/// `aria-current="true"`.
pub fn tabs(tabs: &[(&str, &str)], active: &str, href: impl Fn(&str) -> String) -> Markup {
    tab_nav(None, tabs, active, href)
}

fn tab_nav(
    name: Option<&str>,
    tabs: &[(&str, &str)],
    active: &str,
    href: impl Fn(&str) -> String,
) -> Markup {
    html! {
        nav.tabs aria-label=[name] {
            @for (key, label) in tabs {
                @if *key == active {
                    a.active href=(href(key)) aria-current="true" { (label) }
                } @else {
                    a href=(href(key)) { (label) }
                }
            }
        }
    }
}

/// A report card: a heading (`h2`, so the page's cards can be jumped
/// between), its [`tabs`] in a `<nav>` named after it, then `body`.
/// `tabs` are (key, label); `key` is the card's `data-panel`.
pub fn report_card(
    key: &str,
    heading: &str,
    tabs: &[(&str, &str)],
    active: &str,
    href: impl Fn(&str) -> String,
    body: &Markup,
) -> Markup {
    let name = format!("{heading} views");
    html! {
        section.card data-panel=(key) aria-labelledby={ "panel-" (key) } {
            h2.card-title id={ "panel-" (key) } { (heading) }
            (tab_nav(Some(&name), tabs, active, href))
            (body)
        }
    }
}

/// Where the tracking snippet goes, the snippet matching the site's consent
/// mode ([`super::site::snippet`], with this server's `origin` such as
/// `https://analytics.example.com`) as `pre#snippet`, and a copy button.
/// The settings page and a new site's overview show the same one.
#[must_use]
pub fn snippet_block(site: &Site, origin: &str) -> Markup {
    html! {
        p { "Add this to the " code { "<head>" } " of every page of " strong { (site.domain) } ":" }
        pre.snippet id="snippet" { (super::site::snippet(site, origin)) }
        button.copy type="button" data-copy-target="snippet" { "Copy" }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_like_plausibles() {
        assert_eq!(fmt_number(0), "0");
        assert_eq!(fmt_number(1234), "1,234");
        assert_eq!(fmt_number(99_999), "99,999");
        assert_eq!(fmt_number(123_456), "123.5k");
        assert_eq!(fmt_number(3_400_000), "3.4M");
        assert_eq!(fmt_metric(Metric::VisitDuration, Value::Int(65)), "1m 05s");
        assert_eq!(
            fmt_metric(Metric::VisitDuration, Value::Int(3700)),
            "1h 01m"
        );
        assert_eq!(fmt_metric(Metric::BounceRate, Value::Int(45)), "45%");
        assert_eq!(fmt_metric(Metric::ViewsPerVisit, Value::Float(1.5)), "1.50");
        assert_eq!(country_name("DE"), "Germany");
        assert_eq!(country_name("(none)"), "(none)");
    }
}
