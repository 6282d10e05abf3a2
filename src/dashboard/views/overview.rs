//! The site overview: period picker, filter chips, KPI tiles, chart, ranked
//! lists and goals. Links carry the whole state in the URL, so every click
//! is a plain GET that works without JavaScript.

use maud::{Markup, html};

use super::{
    charts::{self, Point},
    components::{
        as_is, country_name, fmt_metric, ranked_list, report_card, shown_count, snippet_block,
    },
    controls,
    conversions::{goals_card, ranked_rates},
    layout::{Chrome, UserBar, page, sentence},
    site_nav::{SitePage, site_nav, site_title},
};
use crate::{
    dashboard::site::{
        params::ViewState,
        report::{Kpi, Overview, Panel},
    },
    domain::{MinCount, Role},
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
    /// The member's role on the site, for the site's navigation and links to
    /// its other pages; none on shared links, which show neither.
    pub role: Option<Role>,
    /// The site has imported statistics (the toolbar offers to leave them out).
    pub imports: bool,
    /// Notices for the member under the navigation (a disabled webhook, to
    /// admins).
    pub notices: Vec<Markup>,
}

impl Frame<'_> {
    /// The site's heading, with its navigation for a member.
    fn head(&self) -> Markup {
        html! {
            @match self.role {
                Some(role) => (site_nav(self.site, role, Some(SitePage::Overview))),
                None => div.site-head { h1 { (self.site.domain) } },
            }
            @for n in &self.notices { (n) }
        }
    }

    /// The page around `body`, titled `Overview · example.com`.
    fn page(self, body: &Markup) -> Markup {
        let title = site_title(self.site, SitePage::Overview.label());
        page(
            &Chrome {
                title: &title,
                user: self.user,
            },
            body,
        )
    }

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
/// that period had nothing to compare with (`prev_empty`, or a zero count),
/// neutral: neither good nor bad news (a first day's 100% bounce rate isn't
/// green).
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
            ("flat", "new".into())
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
            ("flat", "new".into())
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

/// The toolbar of a view without a report (its custom dates as typed).
fn toolbar(f: &Frame<'_>, s: &ViewState) -> Markup {
    controls::toolbar(f, s, None)
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
fn panel_rows(f: &Frame<'_>, s: &ViewState, p: &Panel, o: &Overview) -> Markup {
    let (k, converting) = (o.min_count, o.converting);
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
            (ranked_rates(k, &p.rows, href, show))
        } @else {
            (ranked_list(k, "Visitors", p.rows.iter().map(|r| (r.label.as_str(), r.visitors)), href, show))
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
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            text: o.min_count.hides(*v as u64).then(|| o.min_count.words()),
        })
        .collect();
    // Counts the site's minimum hides (see `site::safe`).
    let hidden = |v: Value| matches!(v, Value::Int(n) if o.min_count.hides(n));
    let body = html! {
        (f.head())
        (controls::toolbar(&f, s, Some(o.range)))
        p.muted { (o.range.0) " – " (o.range.1) " (" (f.site.timezone) ")" }
        div.kpis {
            @for k in &o.kpis {
                @let body = html! {
                    span.kpi-label { (k.label) }
                    @if hidden(k.value) {
                        span.kpi-value { (shown_count(o.min_count, MinCount::STAND_IN)) }
                    } @else {
                        span.kpi-value data-value=(value_text(k.value)) { (kpi_text(k, k.value)) }
                    }
                    @if let Some(p) = k.previous {
                        @let (cls, txt) = change_class(k.metric, k.value, p, o.previous_empty);
                        span class={ "kpi-change " (cls) } title={ "Previous period: " (if hidden(p) { o.min_count.words() } else { kpi_text(k, p) }) } { (txt) }
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
            @if o.chart_withheld {
                p.muted.chart-withheld { "A rate per day or hour is not shown here: it would come from groups smaller than " (o.min_count) "." }
            } @else {
            (charts::timeseries_until(&points, o.chart_previous.as_deref(), metric_label, o.chart_begun))
            @if o.chart_previous.is_some() { (charts::legend(metric_label, "Previous period")) }
            }
        }
        div.grid {
            @for p in &o.panels {
                @let body = panel_rows(&f, s, p, o);
                // A tab keeps the page where it is: its link comes back to the card.
                (report_card(p.key, panel_heading(p.key), p.tabs, &p.tab, |t| format!("{}#panel-{}", f.link(s, |x| { x.tabs.retain(|(k, _)| k != p.key); x.tabs.push((p.key.into(), t.into())); }), p.key), &body))
            }
            (goals_card(&f, s, o))
        }
    };
    f.page(&body)
}

/// A report card's heading from its panel's key.
fn panel_heading(key: &str) -> &'static str {
    match key {
        "sources" => "Sources",
        "pages" => "Pages",
        "locations" => "Locations",
        "devices" => "Devices",
        _ => "Report",
    }
}

/// The overview when its URL's period can't be shown (a custom range that
/// ends before it starts, a malformed date): the site's navigation, the
/// period picker filled in with `s` (the rest of the URL's state) and
/// `message`, in place of the report.
#[must_use]
pub fn bad_period(f: Frame<'_>, s: &ViewState, message: &str) -> Markup {
    let body = html! {
        (f.head())
        (toolbar(&f, s))
        p.error role="alert" id="period-error" { (sentence(message)) " Choose another period above." }
    };
    f.page(&body)
}

/// A site without any data yet: the tracking snippet matching its consent
/// mode (with this server's `origin`) and a "Waiting for the first
/// pageview…" status that `app.js` polls at `status_url` (JSON
/// `{"has_data": bool}`), reloading into the overview when data arrives.
#[must_use]
pub fn first_visit(f: Frame<'_>, origin: &str, status_url: &str) -> Markup {
    let manage = f.role.is_some_and(Role::can_manage);
    let body = html! {
        (f.head())
        section.card.first-visit aria-labelledby="first-visit-title" {
            h2 id="first-visit-title" { "Start tracking " (f.site.domain) }
            (snippet_block(f.site, origin))
            p.muted {
                "The snippet matches the site's consent mode, " code { (f.site.consent_mode.as_str()) } "."
                @if manage { " " a href={ (f.base) "/settings" } { "Change it in Settings" } "." }
            }
            div.waiting role="status" aria-live="polite" data-waiting-url=(status_url) data-waiting-seconds="3" {
                span.pulse aria-hidden="true" {}
                span {
                    strong.waiting-text { "Waiting for the first pageview…" }
                    " Visit your site once the snippet is in place: this page turns into the dashboard as soon as it arrives."
                    noscript { " (Reload this page to check.)" }
                }
            }
        }
    };
    f.page(&body)
}

/// A value as the Stats API would print it (for `data-value`).
fn value_text(v: Value) -> String {
    match v {
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::None => "null".to_owned(),
    }
}
