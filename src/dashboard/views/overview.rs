//! The site overview: period picker, filter chips, KPI tiles, chart, ranked
//! lists and goals. Links carry the whole state in the URL, so every click
//! is a plain GET that works without JavaScript.

use maud::{Markup, html};

use super::{
    charts::{self, Point},
    components::{as_is, country_name, fmt_metric, fmt_number, ranked_list, tabs},
    layout::{Chrome, UserBar, page},
};
use crate::{
    dashboard::site::{
        params::{FILTER_KEYS, PERIODS, ViewState},
        {conversions::goal_name, report::Overview},
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

fn change_class(kpi_metric: Metric, now: Value, prev: Value) -> (&'static str, String) {
    let (a, b) = (now.number().unwrap_or(0.0), prev.number().unwrap_or(0.0));
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

fn toolbar(f: &Frame<'_>, s: &ViewState) -> Markup {
    html! {
        div.toolbar {
            nav.period aria-label="Period" {
                @for (key, label) in PERIODS {
                    a.active[s.period == key] href=(f.link(s, |x| { x.period = key.into(); x.from = None; x.to = None; })) { (label) }
                }
                form.custom method="get" action=(f.base) {
                    input type="hidden" name="period" value="custom";
                    @if let Some((k, v)) = &f.keep { input type="hidden" name=(k) value=(v); }
                    @for (k, v) in &s.filters { input type="hidden" name="f" value={ (k) ":" (v) }; }
                    input type="date" name="from" value=[s.from] aria-label="From" required;
                    input type="date" name="to" value=[s.to] aria-label="To" required;
                    button.secondary type="submit" { "Apply" }
                }
                a.active[!s.compare] href=(f.link(s, |x| x.compare = !x.compare)) {
                    @if s.compare { "Hide comparison" } @else { "Compare" }
                }
            }
            @if !s.filters.is_empty() {
                div.chips {
                    @for (i, (k, v)) in s.filters.iter().enumerate() {
                        span.chip {
                            (FILTER_KEYS.iter().find(|(x, _)| x == k).map_or(k.as_str(), |(x, _)| x)) " is " strong { (if k == "country" { country_name(v) } else { v.clone() }) }
                            " " a.chip-remove href=(f.link(s, |x| { x.filters.remove(i); })) aria-label="Remove filter" { "×" }
                        }
                    }
                }
            }
        }
    }
}

/// The overview page.
#[must_use]
pub fn overview(f: Frame<'_>, s: &ViewState, o: &Overview) -> Markup {
    let metric = s.chart_metric();
    let metric_label = o
        .kpis
        .iter()
        .find(|k| k.metric == metric)
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
        (toolbar(&f, s))
        p.muted { (o.range.0) " – " (o.range.1) " (" (f.site.timezone) ")" }
        div.kpis {
            @for k in &o.kpis {
                a.kpi.selected[k.metric == metric] href=(f.link(s, |x| x.metric = k.metric.as_str().into())) data-metric=(k.metric.as_str()) {
                    span.kpi-label { (k.label) }
                    span.kpi-value data-value=(value_text(k.value)) { (fmt_metric(k.metric, k.value)) }
                    @if let Some(p) = k.previous {
                        @let (cls, txt) = change_class(k.metric, k.value, p);
                        span class={ "kpi-change " (cls) } title={ "Previous period: " (fmt_metric(k.metric, p)) } { (txt) }
                    }
                }
            }
        }
        div.chart { (charts::timeseries(&points, o.chart_previous.as_deref(), metric_label)) }
        div.grid {
            @for p in &o.panels {
                section.card data-panel=(p.key) {
                    (tabs(p.tabs, &p.tab, |t| f.link(s, |x| { x.tabs.retain(|(k, _)| k != p.key); x.tabs.push((p.key.into(), t.into())); })))
                    (ranked_list("Visitors", p.rows.iter().map(|r| (r.label.as_str(), r.visitors)), |label| Some(f.link(s, |x| x.filters.push((p.tab.clone(), label.to_owned())))), if p.tab == "country" { country_name } else { as_is }))
                    @if p.total_rows > p.rows.len() { p.muted { (p.total_rows - p.rows.len()) " more" } }
                }
            }
            section.card data-panel="goals" {
                h2 { "Goals" }
                @if o.goals.is_empty() {
                    p.empty { "No goals yet." @if f.member { " " a href={ (f.base) "/goals" } { "Add one" } } }
                } @else {
                    table.ranked {
                        thead { tr { th { "Goal" } th.num { "Uniques" } th.num { "Total" } th.num { "CR" } } }
                        tbody { @for g in &o.goals {
                            tr {
                                td.label { (charts::bar(g.rate / 100.0)) span { (goal_name(&g.goal)) } }
                                td.num { (fmt_number(g.visitors)) } td.num { (fmt_number(g.events)) } td.num { (format!("{:.1}%", g.rate)) }
                            }
                        } }
                    }
                }
                h2 { "Custom events" }
                (ranked_list("Visitors", o.events.iter().map(|(n, v, _)| (n.as_str(), *v)), |name| Some(f.link(s, |x| x.filters.push(("event".into(), name.to_owned())))), as_is))
            }
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
