//! The overview's conversion pieces: ranked lists with conversion rates (a
//! panel under a goal filter), the goals and custom events card, and the
//! breakdown of the conversions' custom properties.

use maud::{Markup, html};

use super::{
    charts,
    components::{as_is, count_cell, ranked_list, rate_cell, shown_count},
    overview::Frame,
};
use crate::dashboard::site::{
    conversions::goal_name,
    converting::PropReport,
    params::{CONVERSION_KEYS, GOAL_KEY, ViewState},
    report::{ListRow, Overview},
};
use crate::domain::MinCount;

/// The id of the goals card, the fragment its links come back to.
pub const GOALS_CARD: &str = "panel-goals";

/// The view filtered by conversions of `key:value` instead of any other goal
/// or event (two would have to be the same event), its property choice reset.
fn converting_on(s: &mut ViewState, key: &str, value: &str) {
    s.filters
        .retain(|(k, _)| !CONVERSION_KEYS.contains(&k.as_str()));
    s.filters.push((key.to_owned(), value.to_owned()));
    s.prop = None;
}

/// A panel's rows under a conversion filter: converted visitors and their
/// conversion rate, bars by converted visitors; `href` links a row (or not).
pub fn ranked_rates(
    k: MinCount,
    rows: &[ListRow],
    href: impl Fn(&str) -> Option<String>,
    show: impl Fn(&str) -> String,
) -> Markup {
    let max = rows.iter().map(|r| r.visitors).max().unwrap_or(0).max(1);
    html! {
        @if rows.is_empty() {
            p.empty { "No conversions in this period." }
        } @else {
            table.ranked {
                thead { tr { th { "" } th.num { "Conversions" } th.num { "CR" } } }
                tbody {
                    @for r in rows {
                        tr {
                            td.label {
                                (charts::bar(fraction(r.visitors, max)))
                                @let text = show(&r.label);
                                @if let Some(h) = href(&r.label) { a href=(h) title=(text) { (text) } } @else { span title=(text) { (text) } }
                            }
                            (count_cell(k, r.visitors))
                            (rate_cell(r.rate.is_none(), r.rate.unwrap_or(0.0)))
                        }
                    }
                }
            }
        }
    }
}

#[allow(clippy::cast_precision_loss)]
fn fraction(n: u64, max: u64) -> f64 {
    n as f64 / max as f64
}

/// The goals and custom events card: each goal or event filters the view
/// by its conversions (unless it already does); under such a filter, the
/// conversions' properties.
#[must_use]
pub fn goals_card(f: &Frame<'_>, s: &ViewState, o: &Overview) -> Markup {
    let k = o.min_count;
    let back = |href: String| format!("{href}#{GOALS_CARD}");
    html! {
        section.card data-panel="goals" id=(GOALS_CARD) {
            h2 { "Goals" }
            @if o.goals.is_empty() {
                p.empty {
                    @if o.converting { "No goal matches this filter." } @else { "No goals yet." }
                    @if f.role.is_some() && !o.converting { " " a href={ (f.base) "/goals" } { "Add one" } }
                }
            } @else {
                table.ranked {
                    thead { tr { th { "Goal" } th.num { "Uniques" } th.num { "Total" } th.num { "CR" } } }
                    tbody { @for g in &o.goals {
                        @let name = goal_name(&g.goal);
                        tr {
                            td.label {
                                (charts::bar(g.rate / 100.0))
                                @if s.has_filter(GOAL_KEY, &name) { span { (name) } }
                                @else { a href=(f.link(s, |x| converting_on(x, GOAL_KEY, &name))) { (name) } }
                            }
                            td.num { (shown_count(k, g.visitors)) } td.num { (shown_count(k, g.events)) } (rate_cell(k.hides(g.visitors), g.rate))
                        }
                    } }
                }
            }
            h2 { "Custom events" }
            (ranked_list(k, "Visitors", o.events.iter().map(|(n, v, _)| (n.as_str(), *v)),
                |name| (!s.has_filter("event", name)).then(|| f.link(s, |x| converting_on(x, "event", name))), as_is))
            h2 { "Properties" }
            @match &o.props {
                Some(p) => (properties(k, p, |key| back(f.link(s, |x| x.prop = Some(key.to_owned()))))),
                None => p.muted { "Choose a goal or a custom event to break its conversions down by their custom properties." },
            }
        }
    }
}

/// The conversions' property keys as tabs (`href` links each) and the chosen
/// key's values.
fn properties(k: MinCount, p: &PropReport, href: impl Fn(&str) -> String) -> Markup {
    html! {
        @match &p.key {
            None => p.empty { "These conversions have no custom properties." },
            Some(key) => {
                nav.tabs aria-label="Properties" {
                    @for k in &p.keys {
                        @if k == key { a.active href=(href(k)) aria-current="true" { (k) } }
                        @else { a href=(href(k)) { (k) } }
                    }
                }
                table.ranked data-prop=(key) {
                    thead { tr { th { (key) } th.num { "Visitors" } th.num { "Events" } th.num { "CR" } } }
                    tbody {
                        @let max = p.rows.iter().map(|r| r.visitors).max().unwrap_or(0).max(1);
                        @for r in &p.rows {
                            tr {
                                td.label { (charts::bar(fraction(r.visitors, max))) span title=(r.value) { (r.value) } }
                                (count_cell(k, r.visitors))
                                (count_cell(k, r.events))
                                (rate_cell(k.hides(r.visitors), r.rate))
                            }
                        }
                    }
                }
            }
        }
    }
}
