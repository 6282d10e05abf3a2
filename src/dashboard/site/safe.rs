//! Safe sharing on the dashboard: who sees counts below the site's minimum
//! ([`crate::domain::MinCount`]) as "fewer than k" — shared links and the
//! viewer role — and the one pass per report that replaces those counts
//! with a stand-in before any view sees them, so no number, bar width,
//! chart point or `data-value` can tell what was hidden. Rates and
//! averages made from a hidden count are withheld with it, and so is a
//! change against the previous period when either side is hidden. The
//! Attribution and Funnels pages, whose every row is a small group, are
//! not shown at all to those who would see a minimum.

use super::{
    conversions::GoalRow,
    report::{Kpi, Overview},
};
use crate::{
    dashboard::views::site::SourceRow,
    domain::{MinCount, Role},
    stats::{Value, query::Metric, realtime::Realtime},
    store::Site,
};

/// The minimum `site`'s numbers are shown with to `role` (`None`: a shared
/// link): the site's for shared links and viewers; analysts and up see
/// exact numbers.
#[must_use]
pub fn min_count_for(site: &Site, role: Option<Role>) -> MinCount {
    match role {
        Some(r) if r > Role::Viewer => MinCount::OFF,
        _ => site.min_count,
    }
}

/// Whether a metric is a count of people or things (else a rate or an
/// average made from counts).
fn is_count(m: Metric) -> bool {
    matches!(
        m,
        Metric::Visitors | Metric::Visits | Metric::Pageviews | Metric::Events
    )
}

fn whole(v: Value) -> Option<u64> {
    match v {
        Value::Int(i) => Some(i),
        _ => None,
    }
}

/// The overview's numbers for `k` (`chart` is the charted metric); it
/// keeps `k` so its view can say "fewer than k".
pub fn overview(o: &mut Overview, chart: Metric, k: MinCount) {
    o.min_count = k;
    if !k.is_on() {
        return;
    }
    kpis(&mut o.kpis, k);
    if is_count(chart) {
        for p in &mut o.chart {
            p.1 = k.mask_f64(p.1);
        }
        for v in o.chart_previous.iter_mut().flatten() {
            *v = k.mask_f64(*v);
        }
    } else {
        // A rate per hour or day comes from that bucket's few visits.
        o.chart_withheld = true;
        o.chart.iter_mut().for_each(|p| p.1 = 0.0);
        o.chart_previous = None;
    }
    for row in o.panels.iter_mut().flat_map(|p| &mut p.rows) {
        if k.hides(row.visitors) {
            row.visitors = MinCount::STAND_IN;
            row.rate = None;
        }
    }
    for (_, visitors, events) in &mut o.events {
        *visitors = k.mask(*visitors);
        *events = k.mask(*events);
    }
    goal_rows(&mut o.goals, k);
    if let Some(props) = &mut o.props {
        for r in &mut props.rows {
            if k.hides(r.visitors) {
                r.rate = 0.0;
            }
            r.visitors = k.mask(r.visitors);
            r.events = k.mask(r.events);
        }
    }
}

/// KPI tiles: counts masked; when any count of a period is hidden, that
/// period's rates and averages are withheld; a change is shown only when
/// both of its sides are.
fn kpis(kpis: &mut [Kpi], k: MinCount) {
    let hidden = |v: Value| whole(v).is_some_and(|n| k.hides(n));
    let counts = || kpis.iter().filter(|x| is_count(x.metric));
    let now_hidden = counts().any(|x| hidden(x.value));
    let before_hidden = counts().any(|x| x.previous.is_some_and(hidden));
    for x in kpis.iter_mut() {
        if is_count(x.metric) {
            if hidden(x.value) || x.previous.is_some_and(hidden) {
                x.previous = None;
            }
            x.value = whole(x.value).map_or(x.value, |n| Value::Int(k.mask(n)));
        } else {
            if now_hidden {
                x.value = Value::None;
            }
            if now_hidden || before_hidden {
                x.previous = None;
            }
        }
    }
}

/// Goal conversions: counts masked; the rate and revenue of a goal whose
/// converted visitors are hidden are withheld.
pub fn goal_rows(rows: &mut [GoalRow], k: MinCount) {
    for g in rows {
        if k.hides(g.visitors) {
            g.rate = 0.0;
            g.revenue = None;
        }
        g.visitors = k.mask(g.visitors);
        g.events = k.mask(g.events);
    }
}

/// A goal's sources: (source, conversions, visitors, rate) masked.
pub fn source_rows(rows: &mut [SourceRow], k: MinCount) {
    for (_, conversions, visitors, rate) in rows {
        if k.hides(*conversions) || k.hides(*visitors) {
            *rate = 0.0;
        }
        *conversions = k.mask(*conversions);
        *visitors = k.mask(*visitors);
    }
}

/// The realtime counts masked.
pub fn realtime(r: &mut Realtime, k: MinCount) {
    let mask = |n: usize| usize::try_from(k.mask(n as u64)).unwrap_or(n);
    r.visitors = mask(r.visitors);
    for (_, n) in r
        .pages
        .iter_mut()
        .chain(&mut r.sources)
        .chain(&mut r.countries)
    {
        *n = mask(*n);
    }
}
