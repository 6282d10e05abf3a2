//! The report controls shared by the overview and the goals page: the period
//! picker (with a custom range prefilled with the period shown, its dates
//! also written in ISO form), the comparison toggle and the filter chips.
//! Every control is a link or a GET form that keeps the rest of the view's
//! state.

use chrono::NaiveDate;
use maud::{Markup, html};

use super::{components::country_name, date_field::date_field, overview::Frame};
use crate::dashboard::site::params::{PERIODS, ViewState};

/// Query pairs the custom-range form keeps as hidden fields: the whole
/// state but its period (comparison, chart metric, filters, tabs...).
fn kept_pairs(s: &ViewState) -> Vec<(String, String)> {
    url::form_urlencoded::parse(s.to_query().as_bytes())
        .into_owned()
        .filter(|(k, _)| !["period", "from", "to"].contains(&k.as_str()))
        .collect()
}

/// A filter's value as shown (a country's name rather than its code).
#[must_use]
pub fn filter_text(key: &str, value: &str) -> String {
    if key == "country" {
        country_name(value)
    } else {
        value.to_owned()
    }
}

/// The toolbar: periods, a custom range (showing `range`, the dates on
/// screen, else the state's own custom dates), comparison on or off, and
/// the filters as removable chips.
#[must_use]
pub fn toolbar(f: &Frame<'_>, s: &ViewState, range: Option<(NaiveDate, NaiveDate)>) -> Markup {
    bar(f, s, range, true)
}

/// The toolbar of a report without a comparison (the goals page): as
/// [`toolbar`], without the Compare toggle.
#[must_use]
pub fn period_toolbar(f: &Frame<'_>, s: &ViewState, range: (NaiveDate, NaiveDate)) -> Markup {
    bar(f, s, Some(range), false)
}

fn bar(
    f: &Frame<'_>,
    s: &ViewState,
    range: Option<(NaiveDate, NaiveDate)>,
    compare: bool,
) -> Markup {
    let (from, to) = range.map_or((s.from, s.to), |(a, b)| (Some(a), Some(b)));
    html! {
        div.toolbar {
            nav.period aria-label="Period" {
                @for (key, label) in PERIODS {
                    a.active[s.period == key] href=(f.link(s, |x| { x.period = key.into(); x.from = None; x.to = None; })) { (label) }
                }
                form.custom method="get" action=(f.base) {
                    input type="hidden" name="period" value="custom";
                    @if let Some((k, v)) = &f.keep { input type="hidden" name=(k) value=(v); }
                    @for (k, v) in kept_pairs(s) { input type="hidden" name=(k) value=(v); }
                    (date_field("From", "from", from, true))
                    (date_field("To", "to", to, true))
                    button.secondary type="submit" { "Apply" }
                }
                @if f.imports {
                    a.imports.active[s.imports] role="button" aria-pressed=(s.imports)
                        href=(f.link(s, |x| x.imports = !x.imports))
                        title=(if s.imports { "Including imported statistics (days before this site's own data): click to leave them out" } else { "Include imported statistics" }) {
                        "Imported data"
                    }
                }
                @if compare {
                    a.compare.active[s.compare] role="button" aria-pressed=(s.compare)
                        href=(f.link(s, |x| x.compare = !x.compare))
                        title=(if s.compare { "Comparing with the previous period: click to stop" } else { "Compare with the previous period" }) {
                        "Compare"
                    }
                }
            }
            @if !s.filters.is_empty() {
                div.chips {
                    @for (i, (k, v)) in s.filters.iter().enumerate() {
                        span.chip {
                            (k) " is " strong { (filter_text(k, v)) }
                            " " a.chip-remove href=(f.link(s, |x| { x.filters.remove(i); })) aria-label="Remove filter" { "×" }
                        }
                    }
                }
            }
        }
    }
}
