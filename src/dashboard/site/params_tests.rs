//! URL state: round trips, defaults, bad ranges, periods, filters.

use super::*;
use crate::stats::query::Filter;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

#[test]
fn a_view_survives_a_round_trip_through_its_url() {
    let q = "period=custom&from=2024-03-01&to=2024-03-10&compare=off&metric=pageviews&f=source%3AGoogle&f=page%3A%2Fa%3Fb%26c&sources=utm_campaign";
    let s = ViewState::parse(q).unwrap();
    assert_eq!(
        s.filters,
        vec![
            ("source".into(), "Google".into()),
            ("page".into(), "/a?b&c".into())
        ]
    );
    assert_eq!(s.tab("sources"), "utm_campaign");
    assert_eq!(s.tab("pages"), "page");
    assert!(!s.compare);
    assert_eq!(ViewState::parse(&s.to_query()).unwrap(), s);
    assert_eq!(ViewState::default().to_query(), "");
}

#[test]
fn junk_falls_back_to_defaults_but_bad_ranges_are_reported() {
    let s = ViewState::parse("period=forever&metric=x&f=nokey:1&f=novalue&pages=bogus").unwrap();
    assert_eq!(s, ViewState::default());
    assert!(
        ViewState::parse("period=custom&from=2024-03-10&to=2024-03-01")
            .unwrap_err()
            .contains("before")
    );
    assert!(
        ViewState::parse("period=custom&from=2024-03-10")
            .unwrap_err()
            .contains("both")
    );
    assert!(
        ViewState::parse("from=yesterday")
            .unwrap_err()
            .contains("2024-03-15")
    );
    let err = |q: &str| ViewState::parse(q).unwrap_err();
    assert!(err("period=custom&from=1970-01-01&to=2024-01-01").contains("at most"));
    assert!(err("period=custom&from=0001-01-01&to=0001-01-02").contains("1970"));
}

#[test]
fn periods_resolve_to_local_dates() {
    let today = d("2024-03-15");
    let r = |p: &str| {
        ViewState {
            period: p.into(),
            ..Default::default()
        }
        .range(today)
    };
    assert_eq!(r("day"), (today, today));
    assert_eq!(r("yesterday"), (d("2024-03-14"), d("2024-03-14")));
    assert_eq!(r("7d"), (d("2024-03-09"), today));
    assert_eq!(r("30d"), (d("2024-02-15"), today));
    assert_eq!(r("month"), (d("2024-03-01"), today));
    assert_eq!(r("lastmonth"), (d("2024-02-01"), d("2024-02-29")));
    assert_eq!(r("12mo"), (d("2023-04-01"), today));
    assert_eq!(
        previous(d("2024-03-09"), today),
        (d("2024-03-02"), d("2024-03-08"))
    );
    assert_eq!(previous(today, today), (d("2024-03-14"), d("2024-03-14")));
}

#[test]
fn filters_become_an_and_of_exact_matches() {
    let s = ViewState::parse("f=country:DE&f=event:Signup").unwrap();
    let Some(Filter::And(leaves)) = s.stats_filter() else {
        panic!()
    };
    assert_eq!(leaves.len(), 2);
    assert!(ViewState::default().stats_filter().is_none());
}

#[test]
fn a_goal_filter_resolves_to_its_goal_and_is_left_out_of_the_base() {
    use crate::store::{Goal, GoalKind};
    let page = Goal {
        id: 2,
        site: crate::domain::SiteId(1),
        kind: GoalKind::Page("/pricing*".into()),
    };
    let s =
        ViewState::parse("f=goal:Visit%20/pricing*&f=country:DE&metric=events&prop=plan").unwrap();
    assert!(s.converting());
    assert_eq!(s.chart_metric(), Metric::Events, "a conversion metric");
    assert_eq!(s.prop.as_deref(), Some("plan"));
    assert_eq!(ViewState::parse(&s.to_query()).unwrap(), s);
    let Some(Filter::And(leaves)) = s.stats_filter_with(std::slice::from_ref(&page)) else {
        panic!()
    };
    assert!(
        matches!(&leaves[0], Filter::And(g) if g.len() == 2 && g[0].mentions(&Dimension::Page)),
        "the page goal's pattern and pageviews: {leaves:?}"
    );
    let Some(Filter::And(base)) = s.base_filter(&[page]) else {
        panic!()
    };
    assert_eq!(base.len(), 1, "only the country: {base:?}");
    assert!(base[0].mentions(&Dimension::Country));
    let plain = ViewState::parse("f=source:Google&metric=events").unwrap();
    assert!(!plain.converting());
    assert_eq!(plain.chart_metric(), Metric::Visitors, "events is no KPI");
}
