//! The site overview: period picker, filter chips, KPI tiles, chart, ranked
//! lists and goals. Links carry the whole state in the URL, so every click
//! is a plain GET that works without JavaScript.

use maud::{Markup, html};

use super::{
    charts::{self, Point},
    components::{as_is, country_name, fmt_metric, ranked_list, tabs},
    controls,
    conversions::{goals_card, ranked_rates},
    layout::{Chrome, UserBar, page},
};
use crate::{
    dashboard::site::{
        params::ViewState,
        report::{Kpi, Overview, Panel},
    },
    stats::{Value, query::Metric},
    store::Site,
};

/// Where the overview lives and who is looking.
pub struct Frame<'a> {
    /// The site.
    pub site: &'a Site,
    /// `/sites/example.com` or `/share/example.com`.
    pub base: String,
    /// Extra query pair kept on every link (the share token).
    pub keep: Option<(&'static str, String)>,
    /// Logged-in user bar (none on shared links).
    pub user: Option<UserBar<'a>>,
    /// Show links to settings, goals, realtime (not on shared links).
    pub member: bool,
}

impl Frame<'_> {
    /// A link to the overview in a changed state.
    #[must_use]
    pub fn link(&self, state: &ViewState, change: impl FnOnce(&mut ViewState)) -> String {
        let mut href = format!("{}{}", self.base, state.href(change));
        if let Some((k, v)) = &self.keep {
            let pair = url::form_urlencoded::Serializer::new(String::new())
                .append_pair(k, v)
                .finish();
            if !href.ends_with('?') {
                href.push('&');
            }
            href.push_str(&pair);
        }
        href
    }
}

/// A KPI's change against the previous period, with its class: "new" when
/// that period had nothing to compare with (`prev_empty`, or a zero count).
fn change_class(
    kpi_metric: Metric,
    now: Value,
    prev: Value,
    prev_empty: bool,
) -> (&'static str, String) {
    let (a, b) = (now.number().unwrap_or(0.0), prev.number().unwrap_or(0.0));
    if prev_empty {
        return if a == 0.0 {
            ("flat", "0%".into())
        } else {
            ("up", "new".into())
        };
    }
    if kpi_metric == Metric::BounceRate {
        let d = a - b;
        let cls = if d.abs() < 0.5 {
            "flat"
        } else if d < 0.0 {
            "up"
        } else {
            "down"
        };
        return (
            cls,
            format!("{}{:.0} pts", if d > 0.0 { "+" } else { "" }, d),
        );
    }
    if b == 0.0 {
        return if a == 0.0 {
            ("flat", "0%".into())
        } else {
            ("up", "new".into())
        };
    }
    let pct = ((a - b) / b * 100.0).round();
    let cls = if pct == 0.0 {
        "flat"
    } else if pct > 0.0 {
        "up"
    } else {
        "down"
    };
    (
        cls,
        format!("{}{pct:.0}%", if pct > 0.0 { "+" } else { "" }),
    )
}

/// A KPI's value as read: rates in percent, other metrics as formatted.
fn kpi_text(k: &Kpi, v: Value) -> String {
    match (k.metric, v) {
        (Metric::Percentage, Value::Float(r)) => format!("{r:.1}%"),
        _ => fmt_metric(k.metric, v),
    }
}

/// A panel's rows: visitors, or under a conversion filter conversions and
/// their rate. A row links to filtering by it (instead of any other value of
/// its key), unless that filter is applied already.
fn panel_rows(f: &Frame<'_>, s: &ViewState, p: &Panel, converting: bool) -> Markup {
    let href = |label: &str| {
        (!s.has_filter(&p.tab, label)).then(|| f.link(s, |x| x.set_filter(&p.tab, label)))
    };
    let show = if p.tab == "country" {
        country_name
    } else {
        as_is
    };
    html! {
        @if converting {
            (ranked_rates(&p.rows, href, show))
        } @else {
            (ranked_list("Visitors", p.rows.iter().map(|r| (r.label.as_str(), r.visitors)), href, show))
        }
        @if p.total_rows > p.rows.len() { p.muted { (p.total_rows - p.rows.len()) " more" } }
    }
}

/// The overview page.
#[must_use]
pub fn overview(f: Frame<'_>, s: &ViewState, o: &Overview) -> Markup {
    let metric = s.chart_metric().as_str();
    let metric_label = o
        .kpis
        .iter()
        .find(|k| k.chartable && k.key == metric)
        .map_or("Visitors", |k| k.label);
    let points: Vec<Point> = o
        .chart
        .iter()
        .map(|(l, v)| Point {
            label: l.clone(),
            value: *v,
        })
        .collect();
    let title = f.site.domain.to_string();
    let body = html! {
        div.site-head {
            h1 { (f.site.domain) }
            @if f.member {
                nav.tabs {
                    a.active href=(f.base) { "Overview" }
                    a href={ (f.base) "/realtime" } { "Realtime" }
                    a href={ (f.base) "/goals" } { "Goals" }
                    a href={ (f.base) "/settings" } { "Settings" }
                }
            }
        }
        (controls::toolbar(&f, s, Some(o.range)))
        p.muted { (o.range.0) " – " (o.range.1) " (" (f.site.timezone) ")" }
        div.kpis {
            @for k in &o.kpis {
                @let body = html! {
                    span.kpi-label { (k.label) }
                    span.kpi-value data-value=(value_text(k.value)) { (kpi_text(k, k.value)) }
                    @if let Some(p) = k.previous {
                        @let (cls, txt) = change_class(k.metric, k.value, p, o.previous_empty);
                        span class={ "kpi-change " (cls) } title={ "Previous period: " (kpi_text(k, p)) } { (txt) }
                    }
                };
                @if k.chartable {
                    a.kpi.selected[k.key == metric] href=(f.link(s, |x| x.metric = k.key.into())) data-metric=(k.key) { (body) }
                } @else {
                    div.kpi data-metric=(k.key) { (body) }
                }
            }
        }
        div.chart {
            (charts::timeseries_until(&points, o.chart_previous.as_deref(), metric_label, o.chart_begun))
            @if o.chart_previous.is_some() { (charts::legend(metric_label, "Previous period")) }
        }
        div.grid {
            @for p in &o.panels {
                section.card data-panel=(p.key) id={ "panel-" (p.key) } {
                    // A tab keeps the page where it is: its link comes back to the card.
                    (tabs(p.tabs, &p.tab, |t| format!("{}#panel-{}", f.link(s, |x| { x.tabs.retain(|(k, _)| k != p.key); x.tabs.push((p.key.into(), t.into())); }), p.key)))
                    (panel_rows(&f, s, p, o.converting))
                }
            }
            (goals_card(&f, s, o))
        }
    };
    page(
        &Chrome {
            title: &title,
            user: f.user,
        },
        &body,
    )
}

/// A value as the Stats API would print it (for `data-value`).
fn value_text(v: Value) -> String {
    match v {
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::None => "null".to_owned(),
    }
}
