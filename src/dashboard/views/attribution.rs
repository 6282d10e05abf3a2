//! The attribution page: every model side by side for one dimension.

use maud::{Markup, html};

use super::{
    layout::{Chrome, UserBar, page},
    site_nav::{SitePage, site_nav, site_title},
};
use std::collections::BTreeMap;

use crate::{
    attribution::{
        Key, Model,
        report::Report,
        revenue::{RevenueReport, TIME_BUCKET_LABELS},
    },
    domain::Role,
    store::Site,
};

fn revenue_section(r: &RevenueReport, labels: &BTreeMap<Key, String>) -> Markup {
    html! {
        section.card id="revenue" {
            h2 { "Revenue of the period's new leads" }
            p { "Average order value " strong { (format!("{:.2}", r.average_order_value())) } " over " (r.purchases) " purchases; revenue from new leads " strong { (format!("{:.2}", r.new_lead_revenue)) } "." }
            table.data id="ltv" {
                thead { tr { th { "First touch" } th.num { "Leads" } th.num { "Revenue" } th.num { "Per lead" } } }
                tbody { @for (k, l) in &r.ltv_by_first_touch {
                    tr {
                        td { (k.and_then(|k| labels.get(&k).cloned()).unwrap_or_else(|| "(no visit)".into())) }
                        td.num { (l.leads) } td.num { (format!("{:.2}", l.revenue)) } td.num { (format!("{:.2}", l.per_lead())) }
                    }
                } }
            }
            table.data id="time-to" {
                thead { tr { th { "From first visit" } @for b in TIME_BUCKET_LABELS { th.num { (b) } } } }
                tbody {
                    tr { td { "to lead" } @for n in &r.time_to_lead { td.num { (n) } } }
                    tr { td { "to first purchase" } @for n in &r.time_to_first_purchase { td.num { (n) } } }
                }
            }
            table.data id="cohorts" {
                thead { tr { th { "Cohort" } th.num { "Leads" } th { "Cumulative revenue by month" } } }
                tbody { @for (m, (n, cum)) in &r.cohorts {
                    tr { td { (m) } td.num { (n) } td { (cum.iter().map(|v| format!("{v:.2}")).collect::<Vec<_>>().join(" → ")) } }
                } }
            }
        }
    }
}

/// The page's model.
pub struct AttributionPage<'a> {
    /// The site.
    pub site: &'a Site,
    /// The caller's role there (for the site's navigation).
    pub role: Role,
    /// The report (or why there is none).
    pub report: Result<Report, String>,
    /// Models, in column order.
    pub models: &'a [Model],
    /// Chosen values of the form: period, dimension, conversion kind, lookback days.
    pub chosen: (&'a str, &'a str, &'a str, u64),
    /// Rows link to their leads (for roles that may see people).
    pub link_leads: bool,
    /// The revenue report of the period's new leads, by first touch of the
    /// chosen dimension, with each key's text.
    pub revenue: Result<(RevenueReport, BTreeMap<Key, String>), String>,
    /// The site's goals by display name (offered as conversions).
    pub goals: Vec<String>,
}

/// Periods offered.
pub const PERIODS: [(&str, &str); 5] = [
    ("7d", "Last 7 days"),
    ("30d", "Last 30 days"),
    ("month", "This month"),
    ("6mo", "Last 6 months"),
    ("12mo", "Last 12 months"),
];
/// Dimensions offered.
pub const DIMENSIONS: [(&str, &str); 6] = [
    ("visit:channel", "Channel"),
    ("visit:source", "Source"),
    ("visit:utm_campaign", "Campaign"),
    ("visit:utm_medium", "Medium"),
    ("visit:utm_source", "UTM source"),
    ("visit:entry_page", "Landing page"),
];
/// Conversion kinds offered.
pub const KINDS: [(&str, &str); 3] = [
    ("purchase", "Purchases"),
    ("lead", "New leads"),
    ("", "All conversions"),
];

fn label(m: Model) -> &'static str {
    match m {
        Model::FirstTouch => "First touch",
        Model::LastTouch => "Last touch",
        Model::LastNonDirect => "Last non-direct",
        Model::Linear => "Linear",
        Model::TimeDecay { .. } => "Time decay",
        Model::PositionBased => "Position-based",
        Model::Markov => "Markov",
        Model::Shapley => "Shapley",
    }
}

/// `/sites/{d}/attribution`
#[must_use]
pub fn attribution(bar: UserBar<'_>, m: &AttributionPage<'_>) -> Markup {
    let (period, dim, kind, lookback) = m.chosen;
    page(
        &Chrome {
            title: &site_title(m.site, "Attribution"),
            user: Some(bar),
        },
        &html! {
            (site_nav(m.site, m.role, Some(SitePage::Attribution)))
            form.inline method="get" {
                select name="period" aria-label="Period" { @for (v, l) in PERIODS { option value=(v) selected[v == period] { (l) } } }
                select name="dimension" aria-label="Credit by" { @for (v, l) in DIMENSIONS { option value=(v) selected[v == dim] { (l) } } }
                select name="conversion" aria-label="Conversions" {
                    @for (v, l) in KINDS { option value=(v) selected[v == kind] { (l) } }
                    @for g in &m.goals { @let v = format!("goal:{g}"); option value=(v) selected[v == kind] { "Goal: " (g) } }
                }
                label { "Lookback " input type="number" name="lookback" min="1" max="365" value=(lookback); " days" }
                button.secondary type="submit" { "Show" }
            }
            p.muted { "Journeys span several days only for visitors who accepted the first-party id; others are credited to the visits of the day they converted on. Conversions without any visit (e.g. from the API for someone never seen) go to Direct. "
                a href="/docs/attribution" { "How each model credits." } }
            @match &m.report {
                Err(e) => p.error role="alert" { (e) },
                Ok(r) if r.rows.is_empty() => p.empty { "No conversions in this period." },
                Ok(r) => {
                    p { strong { (r.conversions) } " conversions, revenue " strong { (format!("{:.2}", r.revenue)) " " (r.currency.as_deref().unwrap_or("")) } }
                    @for (cur, v, n) in &r.not_converted {
                        p.muted role="note" { (n) " conversions in " (cur) " (" (format!("{v:.2}")) " " (cur) ") count above but their revenue is not in these values: no exchange rate to " (r.currency.as_deref().unwrap_or("")) " is set (site settings → Revenue)." }
                    }
                    table.data id="attribution" {
                        thead { tr { th { "" } @for md in m.models { th.num { (label(*md)) } } } }
                        tbody { @for row in &r.rows {
                            tr {
                                td {
                                    @if m.link_leads {
                                        a href=(format!("/sites/{}/leads?dimension={}&value={}", m.site.domain, dim,
                                            url::form_urlencoded::byte_serialize(row.label.as_bytes()).collect::<String>())) { (row.label) }
                                    } @else { (row.label) }
                                }
                                @for c in &row.credits {
                                    td.num data-conversions=(format!("{:.4}", c.conversions)) {
                                        (format!("{:.2}", c.conversions))
                                        @if c.value != 0.0 { br; span.muted { (format!("{:.2}", c.value)) } }
                                    }
                                }
                            }
                        } }
                    }
                }
            }
            @match &m.revenue {
                Ok((r, labels)) => (revenue_section(r, labels)),
                Err(e) => p.error role="alert" { (e) },
            }
        },
    )
}

/// `/docs/attribution`: what each model does, exactly.
#[must_use]
pub fn docs() -> Markup {
    page(
        &Chrome {
            title: "How attribution credits",
            user: None,
        },
        &html! {
            section.card {
                h1 { "How attribution credits conversions" }
                p { "A conversion's " strong { "journey" } " is the visits of its lead — the visits of every first-party id linked to the lead — that started within the lookback window (90 days by default) before it, oldest first. Each visit is a touchpoint, keyed by its channel, source, campaign or other acquisition value. Every model below credits each conversion and its revenue in full: the credits of all rows add up to the conversions and the revenue." }
                p { "Shared rules: a conversion with no visit in its window is credited to Direct. A value that appears in several visits counts once per visit in the position models (first, last, linear, time decay, position-based) and once per journey in Shapley." }
                dl {
                    dt { "First touch" } dd { "Everything to the first touchpoint." }
                    dt { "Last touch" } dd { "Everything to the last touchpoint." }
                    dt { "Last non-direct" } dd { "Everything to the last touchpoint that isn't Direct; a journey of Direct visits only is credited to Direct." }
                    dt { "Linear" } dd { "Equal shares to every touchpoint." }
                    dt { "Time decay" } dd { "A touchpoint Δt before the conversion weighs 2^(−Δt / 7 days), so a visit a week earlier counts half as much; weights are scaled to add up to 1. A touchpoint at (or after) the conversion weighs 1." }
                    dt { "Position-based" } dd { "40% to the first touchpoint, 40% to the last, the remaining 20% shared equally by those between. One touchpoint gets 100%, two get 50% each." }
                    dt { "Markov chain" } dd { "Journeys — including the paths of visitors who did not convert — are read as a first-order Markov chain from start through the touchpoints to conversion or no conversion, with transition probabilities as observed. A value's removal effect is the share of conversion probability lost when its visits lead nowhere; it is computed exactly by solving the chain (no simulation). Conversions and revenue are shared in proportion to the removal effects." }
                    dt { "Shapley value" } dd { "The game's worth of a set of values S is the conversions (or revenue) of journeys all of whose touchpoints lie in S. Its exact Shapley value gives each journey's conversion and revenue in equal parts to the distinct values in it (the game is a sum of unanimity games), so no coalition has to be enumerated." }
                }
            }
        },
    )
}
