//! The funnels page: steps typed one per line, visits completing them in order.

use maud::{Markup, html};

use super::{
    attribution::PERIODS,
    layout::{Chrome, UserBar, page},
    site_nav::{SitePage, site_nav, site_title},
};
use crate::{domain::Role, stats::funnel::FunnelCounts, store::Site};

/// The page's model.
pub struct FunnelsPage<'a> {
    /// The site.
    pub site: &'a Site,
    /// The caller's role there (for the site's navigation).
    pub role: Role,
    /// Steps as typed (one per line).
    pub steps_text: &'a str,
    /// Chosen period.
    pub period: &'a str,
    /// Step labels and the counts, or why there are none.
    pub result: Option<Result<(Vec<String>, FunnelCounts), String>>,
}

fn rate(n: u64, first: u64) -> String {
    #[allow(clippy::cast_precision_loss)]
    if first == 0 {
        "0%".into()
    } else {
        format!("{:.1}%", n as f64 / first as f64 * 100.0)
    }
}

/// `/sites/{d}/funnels`
#[must_use]
pub fn funnels(bar: UserBar<'_>, m: &FunnelsPage<'_>) -> Markup {
    page(
        &Chrome {
            title: &site_title(m.site, "Funnels"),
            user: Some(bar),
        },
        &html! {
            (site_nav(m.site, m.role, Some(SitePage::Funnels)))
            form.stack method="get" {
                label { "Steps, one per line: a page (" code { "/pricing" } ", " code { "*" } " matches anything) or " code { "event:Signup" }
                    textarea name="steps" rows="4" { (m.steps_text) } }
                select name="period" aria-label="Period" { @for (v, l) in PERIODS { option value=(v) selected[v == m.period] { (l) } } }
                button type="submit" { "Show" }
            }
            @match &m.result {
                None => p.muted { "Visits count for a step when they completed it and every step before it, in order (other pages and events may come between)." },
                Some(Err(e)) => p.error role="alert" { (e) },
                Some(Ok((labels, c))) => {
                    @let first = c.total.first().copied().unwrap_or(0);
                    table.data id="funnel" {
                        thead { tr { th { "Step" } th.num { "Visits" } th.num { "Conversion" } th.num { "Drop-off" } } }
                        tbody { @for (i, (l, n)) in labels.iter().zip(&c.total).enumerate() {
                            tr { td { (l) } td.num { (n) } td.num { (rate(*n, first)) } td.num { (if i == 0 { 0 } else { c.total[i - 1] - n }) } }
                        } }
                    }
                    h2 { "By source" }
                    table.data id="funnel-by-source" {
                        thead { tr { th { "Source" } @for l in labels { th.num { (l) } } } }
                        tbody { @for (src, counts) in &c.by {
                            tr { td { (src) } @for n in counts { td.num { (n) } } }
                        } }
                    }
                }
            }
        },
    )
}
