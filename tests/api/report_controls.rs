//! The report controls over HTTP (issue #12): tabs that keep the page's
//! place, row links that don't repeat an applied filter, the custom range
//! prefilled and keeping the comparison choice, the Compare toggle, the
//! chart's legend, and today's chart stopping at the current hour.

use reqwest::StatusCode;

use crate::reports_ui::{row, rows, section, seeded};

#[tokio::test]
async fn tabs_come_back_to_their_card_and_an_applied_filter_is_not_added_twice() {
    let (_app, mut c) = seeded().await;
    let (_, _, page) = c.get("/sites/example.com?period=day").await;
    for (tab, card) in [
        ("sources=source", "sources"),
        ("pages=entry_page", "pages"),
        ("locations=city", "locations"),
        ("devices=os", "devices"),
    ] {
        let href = format!("href=\"/sites/example.com?period=day&amp;{tab}#panel-{card}\"");
        assert!(page.contains(&href), "{href} in {page}");
        assert!(page.contains(&format!("id=\"panel-{card}\"")));
    }
    let (_, _, page) = c
        .get("/sites/example.com?period=day&sources=source&f=source:Google")
        .await;
    let sources = rows(section(&page, r#"data-panel="sources""#));
    assert_eq!(
        sources,
        [("Google".to_owned(), false, vec!["2".to_owned()])]
    );
    assert!(!page.contains("f=source%3AGoogle&amp;f=source%3AGoogle"));
    // Under another key's filter a row adds its own.
    let (_, _, page) = c
        .get("/sites/example.com?period=day&sources=source&f=page:/blog")
        .await;
    let sources = rows(section(&page, r#"data-panel="sources""#));
    assert!(row(&sources, "Google").1, "{sources:?}");
    assert!(
        page.contains("f=page%3A%2Fblog&amp;f=source%3AGoogle"),
        "{page}"
    );
}

#[tokio::test]
async fn the_custom_range_is_prefilled_and_keeps_the_comparison_choice() {
    let (_app, mut c) = seeded().await;
    let (_, _, page) = c
        .get("/sites/example.com?period=7d&compare=off&metric=pageviews&f=source:Google")
        .await;
    let form = &page[page.find("<form class=\"custom\"").unwrap()..];
    let form = &form[..form.find("</form>").unwrap()];
    for field in [
        r#"<input type="hidden" name="compare" value="off">"#,
        r#"<input type="hidden" name="metric" value="pageviews">"#,
        r#"<input type="hidden" name="f" value="source:Google">"#,
        r#"<input type="date" name="from" value="2024-03-09""#,
        r#"<input type="date" name="to" value="2024-03-15""#,
    ] {
        assert!(form.contains(field), "{field} in {form}");
    }
    assert!(
        page.contains(r#"class="compare" role="button" aria-pressed="false""#),
        "{page}"
    );
    assert!(!page.contains("chart-legend") && !page.contains("kpi-change"));
    // Applying a range (the form's GET) keeps comparison off.
    let (s, _, page) = c
        .get("/sites/example.com?period=custom&compare=off&metric=pageviews&f=source%3AGoogle&from=2024-03-14&to=2024-03-15")
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains(r#"aria-pressed="false""#) && !page.contains("kpi-change"));
    assert!(page.contains(r#"<input type="date" name="from" value="2024-03-14""#));
    // With comparison on the button is pressed, and the dashed line has a legend.
    let (_, _, page) = c.get("/sites/example.com?period=day").await;
    assert!(page.contains(r#"class="compare active" role="button" aria-pressed="true""#));
    assert!(
        page.contains(r#"<span class="legend-current">Unique visitors</span><span class="legend-previous">Previous period</span>"#),
        "{page}"
    );
}

#[tokio::test]
async fn todays_chart_stops_at_the_current_hour() {
    let (_app, mut c) = seeded().await;
    // 10:12: the hours 00:00 to 10:00 have begun, 11:00 to 23:00 have not.
    let (_, _, page) = c.get("/sites/example.com?period=day").await;
    let chart = &page[page.find("<svg class=\"timeseries\"").unwrap()..];
    let chart = &chart[..chart.find("</svg>").unwrap()];
    assert_eq!(chart.matches("class=\"ts-hit\"").count(), 11, "{chart}");
    assert!(chart.contains("<title>10:00: 4</title>"), "{chart}");
    assert!(!chart.contains("<title>11:00"), "no future hour: {chart}");
    assert!(chart.contains(">23:00<"), "the axis still ends the day");
    // A past day is drawn whole.
    let (_, _, page) = c.get("/sites/example.com?period=yesterday").await;
    assert_eq!(page.matches("class=\"ts-hit\"").count(), 24);
}
