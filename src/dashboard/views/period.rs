//! The period control of the report pages that use a form (attribution,
//! funnels): the Overview's periods, in the same words, plus a custom range
//! whose dates show only when the custom period is chosen (a `<details>`,
//! open for a custom range; the dashboard's script opens it when "Custom
//! range" is picked and picks it when a date is set).

use maud::{Markup, html};

use super::date_field::date_field;
use crate::dashboard::site::params::{PERIODS, ViewState};

/// A labelled period select and the custom range's dates, for a GET form.
#[must_use]
pub fn period_fields(s: &ViewState) -> Markup {
    let custom = s.period == "custom";
    html! {
        label.control {
            span.caption { "Period" }
            select name="period" {
                @for (v, l) in PERIODS { option value=(v) selected[s.period == v] { (l) } }
                option value="custom" selected[custom] { "Custom range" }
            }
        }
        details.custom-range open[custom] {
            summary {
                "Custom range"
                @if let (true, Some(a), Some(b)) = (custom, s.from, s.to) { ": " (a) " – " (b) }
            }
            div.range-dates {
                (date_field("From", "from", s.from, false))
                (date_field("To", "to", s.to, false))
            }
        }
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
