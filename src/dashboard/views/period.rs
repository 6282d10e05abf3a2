//! The period control of the report pages that use a form (attribution,
//! funnels): the Overview's periods, in the same words, plus a custom range.

use maud::{Markup, html};

use crate::dashboard::site::params::{PERIODS, ViewState};

/// A period select and the custom range's dates, for a GET form.
#[must_use]
pub fn period_fields(s: &ViewState) -> Markup {
    html! {
        select name="period" aria-label="Period" {
            @for (v, l) in PERIODS { option value=(v) selected[s.period == v] { (l) } }
            option value="custom" selected[s.period == "custom"] { "Custom range" }
        }
        span.muted { "custom:" }
        input type="date" name="from" value=[s.from] aria-label="Custom range from";
        input type="date" name="to" value=[s.to] aria-label="Custom range to";
    }
}

/// The period in words (`Last 30 days`, `2024-03-01 – 2024-03-15`).
#[must_use]
pub fn period_label(s: &ViewState) -> String {
    match (s.period.as_str(), s.from, s.to) {
        ("custom", Some(a), Some(b)) => format!("{a} – {b}"),
        (p, ..) => PERIODS
            .iter()
            .find(|(k, _)| *k == p)
            .map_or_else(|| p.to_owned(), |(_, l)| (*l).to_owned()),
    }
}
