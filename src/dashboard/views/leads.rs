//! The leads list and a lead's profile.

use maud::{Markup, html};

use super::{
    fmt_time,
    layout::{Chrome, UserBar, page},
    site_nav::{SitePage, site_nav, site_title},
};
use crate::{
    attribution::scoring::Score,
    domain::Role,
    store::{Conversion, Site},
};

/// One row of the list.
pub struct LeadRow {
    /// Lead id (hex).
    pub id: String,
    /// Email, when held and the caller may see it.
    pub email: Option<String>,
    /// First seen.
    pub first_ms: u64,
    /// Last seen.
    pub last_ms: u64,
    /// Conversions.
    pub conversions: usize,
    /// Revenue net of refunds.
    pub revenue: String,
    /// Linked to a consenting visitor (has a journey).
    pub identified: bool,
    /// Score, when the site has scoring rules.
    pub score: Option<Score>,
}

/// A visit of the journey.
pub struct Touchpoint {
    /// When.
    pub at_ms: u64,
    /// Channel.
    pub channel: String,
    /// Source.
    pub source: String,
    /// Campaign.
    pub campaign: String,
    /// Landing page.
    pub landing: String,
    /// Pageviews.
    pub pageviews: u64,
}

/// A lead's profile.
pub struct LeadProfile<'a> {
    /// The site.
    pub site: &'a Site,
    /// The caller's role there (for the site's navigation).
    pub role: Role,
    /// Lead id.
    pub id: &'a str,
    /// Email, when held and visible.
    pub email: Option<&'a str>,
    /// Whether the caller may see personal data.
    pub may_see_pii: bool,
    /// First seen.
    pub first_ms: u64,
    /// Visits, oldest first.
    pub journey: &'a [Touchpoint],
    /// Conversions.
    pub conversions: &'a [&'a Conversion],
    /// Revenue net of refunds.
    pub revenue: String,
    /// Score, when the site has scoring rules.
    pub score: Option<Score>,
}

fn score_text(s: &Score) -> String {
    let q = s
        .qualified_at_ms
        .map_or(String::new(), |t| format!(", qualified {}", fmt_time(t)));
    format!(
        "{:.0} (fit {:.0}, engagement {:.0}{q})",
        s.total(),
        s.fit,
        s.engagement
    )
}

fn who(id: &str, email: Option<&str>, may_see: bool) -> String {
    match email {
        Some(e) => e.to_owned(),
        None if may_see => format!("lead {}", &id[..12.min(id.len())]),
        None => format!(
            "lead {} (details hidden for your role)",
            &id[..12.min(id.len())]
        ),
    }
}

/// `/sites/{d}/leads`
#[must_use]
pub fn list(
    bar: UserBar<'_>,
    site: &Site,
    role: Role,
    rows: &[LeadRow],
    touching: Option<&str>,
) -> Markup {
    page(
        &Chrome {
            title: &site_title(site, "Leads"),
            user: Some(bar),
        },
        &html! {
            (site_nav(site, role, Some(SitePage::Leads)))
            @if let Some(v) = touching { p.notice { "Leads with a visit from " strong { (v) } ". " a href={ "/sites/" (site.domain) "/leads" } { "All leads" } } }
            @if rows.is_empty() { p.empty { "No leads yet. A lead appears when a visitor who accepted sends a form, or through the conversions API or Stripe." } }
            @else {
                table.data id="leads" {
                    thead { tr { th { "Lead" } th { "First seen" } th { "Last seen" } th.num { "Conversions" } th.num { "Revenue" } th { "Score" } th { "Journey" } } }
                    tbody { @for r in rows {
                        tr {
                            td { a href={ "/sites/" (site.domain) "/leads/" (r.id) } { (who(&r.id, r.email.as_deref(), true)) } }
                            td { (fmt_time(r.first_ms)) } td { (fmt_time(r.last_ms)) }
                            td.num { (r.conversions) } td.num { (r.revenue) }
                            td.score { (r.score.as_ref().map(score_text).unwrap_or_default()) }
                            td { (if r.identified { "across visits" } else { "none (not seen on the site)" }) }
                        }
                    } }
                }
            }
        },
    )
}

/// `/sites/{d}/leads/{id}`
#[must_use]
pub fn profile(bar: UserBar<'_>, m: &LeadProfile<'_>) -> Markup {
    page(
        &Chrome {
            title: &site_title(m.site, "Lead"),
            user: Some(bar),
        },
        &html! {
            (site_nav(m.site, m.role, Some(SitePage::Leads)))
            section.card {
                h2 { (who(m.id, m.email, m.may_see_pii)) }
                p.muted { "First seen " (fmt_time(m.first_ms)) ". " (m.conversions.len()) " conversions" @if !m.revenue.is_empty() { ", revenue " (m.revenue) } "." }
                @if let Some(s) = &m.score { p id="score" { "Score " (score_text(s)) } }
            }
            section.card {
                h2 { "Journey" }
                @if m.journey.is_empty() { p.empty { "No visits linked (the person never accepted the first-party id on this site)." } }
                @else {
                    table.data id="journey" {
                        thead { tr { th { "Visit" } th { "Channel" } th { "Source" } th { "Campaign" } th { "Landing page" } th.num { "Pageviews" } } }
                        tbody { @for t in m.journey {
                            tr { td { (fmt_time(t.at_ms)) } td { (t.channel) } td { (t.source) } td { (t.campaign) } td { (t.landing) } td.num { (t.pageviews) } }
                        } }
                    }
                }
            }
            section.card {
                h2 { "Conversions" }
                table.data id="conversions" {
                    thead { tr { th { "When" } th { "Kind" } th.num { "Value" } th { "Order" } th { "From" } } }
                    tbody { @for c in m.conversions {
                        tr {
                            td { (fmt_time(c.at_ms)) } td { (format!("{:?}", c.kind).to_lowercase()) }
                            td.num { @if c.value_micros != 0 { (format!("{:.2} {}", c.net_micros() as f64 / 1e6, c.currency.as_deref().unwrap_or(""))) } }
                            td { (c.order_id.as_deref().unwrap_or("")) } td { (c.source) }
                        }
                    } }
                }
            }
        },
    )
}
