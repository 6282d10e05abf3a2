//! The attribution page: the site's model (or a chosen one) for one
//! dimension, every model side by side on demand, and the revenue of the
//! period's new leads. Its controls are captioned, its cells say which number
//! is conversions and which revenue (in the report's currency), and an
//! Unassigned channel says how to tag links. The public page defining the
//! models is `attribution_docs`.

use maud::{Markup, html};

use super::{
    attribution_setup as setup, attribution_spend as spend,
    layout::{Chrome, UserBar, page},
    period::{period_fields, period_label},
    site_nav::{SitePage, site_nav, site_title},
    words::{count, noun},
};
use std::collections::BTreeMap;

use crate::{
    attribution::{
        Credit, Key, Model,
        report::{NO_VISIT, Report, ReportRow},
        revenue::{RevenueReport, TIME_BUCKET_LABELS},
    },
    dashboard::site::params::ViewState,
    domain::{ConsentMode, Role},
    store::Site,
};

/// ` (EUR)` after a money heading, when the report has a currency.
fn in_currency(currency: Option<&str>) -> String {
    currency.map_or_else(String::new, |c| format!(" ({c})"))
}

fn revenue_section(r: &RevenueReport, labels: &BTreeMap<Key, String>) -> Markup {
    let cur = in_currency(r.currency.as_deref());
    html! {
        section.card id="revenue" {
            h2 { "Revenue of the period's new leads" }
            p { "Average order value " strong { (format!("{:.2}", r.average_order_value())) " " (r.currency.as_deref().unwrap_or("")) } " over " (count(r.purchases, "purchase", "purchases")) "; revenue from new leads " strong { (format!("{:.2}", r.new_lead_revenue)) " " (r.currency.as_deref().unwrap_or("")) } "." }
            table.data id="ltv" {
                thead { tr { th { "First touch" } th.num { "Leads" } th.num { "Revenue" (cur) } th.num { "Per lead" (cur) } } }
                tbody { @for (k, l) in &r.ltv_by_first_touch {
                    tr {
                        td { (k.and_then(|k| labels.get(&k).cloned()).unwrap_or_else(|| NO_VISIT.into())) }
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
    /// The report (or why there is none), with a column per model of `models`.
    pub report: Result<Report, String>,
    /// The report's models, in column order.
    pub models: &'a [Model],
    /// The model the page leads with (the site's, unless another was chosen).
    pub model: Model,
    /// Every model is shown, for comparison.
    pub compare: bool,
    /// The period.
    pub view: &'a ViewState,
    /// Chosen values of the form: dimension, conversion kind, lookback days.
    pub chosen: (&'a str, &'a str, u64),
    /// Rows link to their leads (for roles that may see people).
    pub link_leads: bool,
    /// The revenue report of the period's new leads, by first touch of the
    /// chosen dimension, with each key's text.
    pub revenue: Result<(RevenueReport, BTreeMap<Key, String>), String>,
    /// The site's goals by display name (offered as conversions).
    pub goals: Vec<String>,
    /// The spend upload form's CSRF token (admins), and how many rows an
    /// upload just imported.
    pub spend_upload: Option<(&'a str, Option<usize>)>,
}

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

/// A model's name for people.
#[must_use]
pub fn model_label(m: Model) -> &'static str {
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

/// What a model credits, and what it needs from the data to say more than
/// a simpler one.
#[must_use]
pub fn model_needs(m: Model) -> &'static str {
    match m {
        Model::FirstTouch => {
            "Credits the visit that first brought the person. Works from a single visit."
        }
        Model::LastTouch => {
            "Credits the last visit before the conversion. Works from a single visit."
        }
        Model::LastNonDirect => {
            "Credits the last visit before the conversion that came from somewhere (a typed-in or bookmarked return doesn't take the credit). Works from a single visit."
        }
        Model::Linear => {
            "Shares each conversion equally among its visits. Differs from first and last touch only when journeys have several visits, which needs visitors who accepted the first-party id."
        }
        Model::TimeDecay { .. } => {
            "Shares each conversion among its visits, recent ones weighing more (7-day half-life). Needs journeys of several visits over several days (visitors who accepted the first-party id)."
        }
        Model::PositionBased => {
            "40% to the first visit, 40% to the last, 20% shared by those between. Needs journeys of several visits (visitors who accepted the first-party id)."
        }
        Model::Markov => {
            "Learns from the paths of converting and non-converting visitors how much each value adds. Needs several distinct multi-visit paths — dozens of conversions from visitors who accepted the first-party id; on a few it is unstable."
        }
        Model::Shapley => {
            "Shares each conversion equally among the different values in its journey. Needs several distinct paths that combine different values; otherwise it equals the single-visit models."
        }
    }
}

/// A credit: conversions, and revenue below it when there is some; its
/// title and accessible name say which number is which.
fn cell(c: &Credit, chosen: bool, currency: Option<&str>) -> Markup {
    let conversions = format!("{:.2}", c.conversions);
    let revenue = format!("{:.2}", c.value);
    let says = if c.value == 0.0 {
        format!("conversions {conversions}")
    } else {
        format!(
            "conversions {conversions} · revenue {revenue}{}",
            currency.map_or_else(String::new, |c| format!(" {c}"))
        )
    };
    html! {
        td.num.chosen[chosen] data-conversions=(format!("{:.4}", c.conversions)) title=(says) aria-label=(says) {
            (conversions)
            @if c.value != 0.0 { br; span.muted { (revenue) } }
        }
    }
}

/// The channel of tagged visits no rule recognises (a `utm_source` without
/// a `utm_medium`, say).
pub const UNASSIGNED: &str = "Unassigned";

/// Where a page with Unassigned visits says how to give them a channel.
#[must_use]
pub fn unassigned_note() -> Markup {
    html! {
        p.muted role="note" id="unassigned-note" {
            strong { (UNASSIGNED) } ": visits from links tagged with "
            code { "utm_source" } " but no " code { "utm_medium" }
            " (or a medium no rule knows) get no channel. Add " code { "utm_medium" }
            " to campaign links so they get a channel, e.g. " code { "utm_medium=email" } " for a newsletter. "
            a href="/docs/attribution#channels" { "How visits get a channel." }
        }
    }
}

/// The rows worth showing (a credit under a shown model), the leading
/// model's largest first.
fn shown_rows(r: &Report, lead: usize) -> Vec<&ReportRow> {
    let mut rows: Vec<&ReportRow> = r
        .rows
        .iter()
        .filter(|row| {
            row.spend.is_some_and(|s| s > 0.0)
                || row
                    .credits
                    .iter()
                    .any(|c| c.conversions.abs() > 1e-9 || c.value.abs() > 1e-9)
        })
        .collect();
    let of = |row: &ReportRow| row.credits.get(lead).map_or(0.0, |c| c.conversions);
    rows.sort_by(|a, b| of(b).total_cmp(&of(a)).then_with(|| a.label.cmp(&b.label)));
    rows
}

fn table(m: &AttributionPage<'_>, r: &Report) -> Markup {
    let (dim, ..) = m.chosen;
    let lead = m.models.iter().position(|x| *x == m.model).unwrap_or(0);
    let several = m.models.len() > 1;
    let rows = shown_rows(r, lead);
    let same = |a: f64, b: f64| (a - b).abs() < 1e-6;
    let agree = several
        && rows.iter().all(|row| {
            row.credits.iter().all(|c| {
                same(c.conversions, row.credits[0].conversions)
                    && same(c.value, row.credits[0].value)
            })
        });
    let currency = r.currency.as_deref();
    html! {
        table.data id="attribution" {
            caption.legend { "Each cell: " strong { "conversions" } " credited · " span.muted { "revenue" (in_currency(currency)) } " below" }
            thead { tr { th { (DIMENSIONS.iter().find(|(v, _)| *v == dim).map_or("", |(_, l)| *l)) } @for (i, md) in m.models.iter().enumerate() {
                th.num.chosen[several && i == lead] { (model_label(*md)) @if several && i == lead { br; span.muted { "(leading)" } } }
            } (spend::headings(r)) } }
            tbody { @for row in &rows {
                tr {
                    td {
                        @if m.link_leads && row.label != NO_VISIT {
                            a href=(format!("/sites/{}/leads?dimension={}&value={}", m.site.domain, dim,
                                url::form_urlencoded::byte_serialize(row.label.as_bytes()).collect::<String>())) { (row.label) }
                        } @else { (row.label) }
                    }
                    @for (i, c) in row.credits.iter().enumerate() { (cell(c, several && i == lead, currency)) }
                    (spend::cells(r, row, row.credits.get(lead)))
                }
            } }
        }
        @if dim == "visit:channel" && rows.iter().any(|row| row.label == UNASSIGNED) { (unassigned_note()) }
        @if rows.iter().any(|row| row.label == NO_VISIT) {
            p.muted id="no-visit-note" { (NO_VISIT) ": conversions with no visit in their lookback window — people never seen on the site (from the conversions API or Stripe), or a cookieless visitor who bought on another day. No model can credit them to a channel." }
        }
        @if agree {
            p.notice id="models-agree" { "Every model gives the same credit here: the journeys in this period have a single visit (or a single value), so there is nothing for the models to weigh differently. Multi-visit journeys need visitors who accepted the first-party id." }
        }
    }
}

/// Notes on what the leading model needs, when the data is thin for it.
fn caveats(m: &AttributionPage<'_>, r: &Report) -> Markup {
    let multi = !matches!(
        m.model,
        Model::FirstTouch | Model::LastTouch | Model::LastNonDirect
    );
    html! {
        @if multi && m.site.consent_mode == ConsentMode::Cookieless {
            p.muted role="note" { "This site is in cookieless mode: a journey is one day's visits, so " (model_label(m.model)) " has little to weigh and mostly matches last touch." }
        }
        @if m.model == Model::Markov && r.conversions < 30 {
            p.muted role="note" { "Only " (count(r.conversions, "conversion", "conversions")) ": Markov needs several distinct paths to learn from, and with so few its credits move a lot from one period to the next. Compare it with a simpler model." }
        }
    }
}

/// `/sites/{d}/attribution`
#[must_use]
pub fn attribution(bar: UserBar<'_>, m: &AttributionPage<'_>) -> Markup {
    let (dim, kind, lookback) = m.chosen;
    let site_model = m.site.attribution_model();
    page(
        &Chrome {
            title: &site_title(m.site, "Attribution"),
            user: Some(bar),
        },
        &html! {
            (site_nav(m.site, m.role, Some(SitePage::Attribution)))
            form.controls method="get" id="attribution-form" {
                (period_fields(m.view))
                label.control { span.caption { "Credit by" } select name="dimension" { @for (v, l) in DIMENSIONS { option value=(v) selected[v == dim] { (l) } } } }
                label.control { span.caption { "Conversions" } select name="conversion" {
                    @for (v, l) in KINDS { option value=(v) selected[v == kind] { (l) } }
                    @for g in &m.goals { @let v = format!("goal:{g}"); option value=(v) selected[v == kind] { "Goal: " (g) } }
                } }
                label.control { span.caption { "Model" } select name="model" {
                    @for md in Model::ALL { option value=(md.as_str()) selected[md == m.model] { (model_label(md)) @if md == site_model { " (site's model)" } } }
                } }
                label.control { span.caption { "Lookback" } span { input type="number" name="lookback" min="1" max="365" value=(lookback); " days" } }
                label.check { input type="checkbox" name="compare" value="1" checked[m.compare]; " Compare all models" }
                button.secondary type="submit" { "Show" }
            }
            p.muted id="model-note" {
                strong { (model_label(m.model)) }
                @if m.model == site_model { " (this site's model)" }
                ": " (model_needs(m.model)) " "
                a href="/docs/attribution" { "How each model credits." }
            }
            @match &m.report {
                Err(e) => p.error role="alert" { (e) },
                Ok(r) if shown_rows(r, 0).is_empty() => (setup::empty_state(m.site, m.role, kind, &m.goals, &period_label(m.view))),
                Ok(r) => {
                    p id="attribution-total" { strong { (r.conversions) } " " (noun(r.conversions, "conversion", "conversions")) ", revenue " strong { (format!("{:.2}", r.revenue)) " " (r.currency.as_deref().unwrap_or("")) } }
                    @for (cur, v, n) in &r.not_converted {
                        p.muted role="note" { (count(*n, "conversion", "conversions")) " in " (cur) " (" (format!("{v:.2}")) " " (cur) ") count above but their revenue is not in these values: no exchange rate to " (r.currency.as_deref().unwrap_or("")) " is set (site settings → Revenue)." }
                    }
                    (spend::summary(r))
                    (caveats(m, r))
                    (table(m, r))
                    @if m.compare {
                        dl id="model-needs" { @for md in m.models { dt { (model_label(*md)) } dd { (model_needs(*md)) } } }
                    }
                }
            }
            @match &m.revenue {
                Ok((r, _)) if r.ltv_by_first_touch.is_empty() => {},
                Ok((r, labels)) => (revenue_section(r, labels)),
                Err(e) => p.error role="alert" { (e) },
            }
            @if let Some((csrf, imported)) = m.spend_upload { (spend::upload(m.site, csrf, imported)) }
        },
    )
}
