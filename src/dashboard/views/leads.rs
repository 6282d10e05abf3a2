//! The leads list and a lead's profile. A lead identified in the browser is
//! known only by a keyed hash of their address: the pages say so, show what
//! can be shown, and let admins attach a name and email they know. Times
//! are in the site's zone; a visit without a channel (Unassigned) says how
//! to tag links so they get one.

use maud::{Markup, html};

use super::{
    attribution::{UNASSIGNED, unassigned_note},
    layout::{Chrome, UserBar, csrf_field, page},
    local_time::fmt_local,
    site_nav::{SitePage, site_nav, site_title},
};
use crate::{
    attribution::scoring::Score,
    domain::{Role, Timezone},
    store::{Conversion, Site},
};

/// One row of the list.
pub struct LeadRow {
    /// Lead id (hex).
    pub id: String,
    /// Email, when held and the caller may see it.
    pub email: Option<String>,
    /// Name an admin attached, when the caller may see it.
    pub name: Option<String>,
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

/// How a lead's address reached Touchpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identified {
    /// In plain text (conversions API, Stripe, or attached by an admin):
    /// kept sealed.
    Plain,
    /// Hashed in the visitor's browser (a form or `tp('identify')`).
    Browser,
    /// As a SHA-256 digest from a server (`email_sha256`).
    Digest,
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
    /// Name an admin attached, when visible.
    pub name: Option<&'a str>,
    /// How the address arrived.
    pub identified: Identified,
    /// Whether the caller may see personal data.
    pub may_see_pii: bool,
    /// First seen.
    pub first_ms: u64,
    /// The form the lead came from (the lead event's `form` property).
    pub form: Option<String>,
    /// Visits, oldest first.
    pub journey: &'a [Touchpoint],
    /// Conversions.
    pub conversions: &'a [&'a Conversion],
    /// Revenue net of refunds.
    pub revenue: String,
    /// Score, when the site has scoring rules.
    pub score: Option<Score>,
    /// Why the last attach was refused.
    pub error: Option<&'a str>,
}

fn score_text(s: &Score, tz: Timezone) -> String {
    let q = s.qualified_at_ms.map_or(String::new(), |t| {
        format!(", qualified {}", fmt_local(t, tz))
    });
    format!(
        "{:.0} (fit {:.0}, engagement {:.0}{q})",
        s.total(),
        s.fit,
        s.engagement
    )
}

/// The first 12 digits of a lead id.
fn short(id: &str) -> &str {
    &id[..12.min(id.len())]
}

fn who(id: &str, name: Option<&str>, email: Option<&str>) -> String {
    match (name, email) {
        (Some(n), Some(e)) => format!("{n} ({e})"),
        (Some(n), None) => n.to_owned(),
        (None, Some(e)) => e.to_owned(),
        (None, None) => format!("Hashed lead {}", short(id)),
    }
}

/// Which page of the leads list is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    /// From 1.
    pub page: usize,
    /// At least 1.
    pub pages: usize,
    /// Leads on every page together.
    pub total: usize,
}

impl Paging {
    /// Page `asked` (0 reads as 1; past the last, the last) of `total` rows, `per` a page.
    #[must_use]
    pub fn new(asked: usize, total: usize, per: usize) -> Self {
        let pages = total.div_ceil(per.max(1)).max(1);
        Self {
            page: asked.clamp(1, pages),
            pages,
            total,
        }
    }
}

/// The list's link to page `n`, keeping the narrowing to a report row.
fn page_link(site: &Site, touching: Option<(&str, &str)>, n: usize) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    if let Some((d, v)) = touching {
        q.append_pair("dimension", d).append_pair("value", v);
    }
    q.append_pair("page", &n.to_string());
    format!("/sites/{}/leads?{}", site.domain, q.finish())
}

/// `/sites/{d}/leads`: the leads list, most recently seen first, one page of it; `touching`:
/// (dimension, value) when narrowed to the leads behind a report row.
#[must_use]
pub fn list(
    bar: UserBar<'_>,
    site: &Site,
    role: Role,
    rows: &[LeadRow],
    touching: Option<(&str, &str)>,
    paging: &Paging,
    missing: bool,
) -> Markup {
    let tz = site.timezone;
    page(
        &Chrome {
            title: &site_title(site, "Leads"),
            user: Some(bar),
        },
        &html! {
            (site_nav(site, role, Some(SitePage::Leads)))
            form.inline id="find-lead" method="get" action={ "/sites/" (site.domain) "/leads/find" } {
                label { "Find a lead by email " input type="email" name="email" required autocomplete="off"; }
                " " button type="submit" { "Find" }
            }
            @if missing { p.notice id="no-such-lead" { "No lead has that email address." } }
            @if let Some((_, v)) = touching { p.notice { "Leads with a visit from " strong { (v) } ". " a href={ "/sites/" (site.domain) "/leads" } { "All leads" } } }
            @if rows.is_empty() { p.empty { "No leads yet. A lead appears when a visitor who accepted sends a form, or through the conversions API or Stripe." } }
            @else {
                table.data id="leads" {
                    thead { tr { th { "Lead" } th { "First seen" } th { "Last seen" } th.num { "Conversions" } th.num { "Revenue" } th { "Score" } th { "Journey" } } }
                    tbody { @for r in rows {
                        tr {
                            td { a href={ "/sites/" (site.domain) "/leads/" (r.id) } { (who(&r.id, r.name.as_deref(), r.email.as_deref())) } }
                            td { (fmt_local(r.first_ms, tz)) } td { (fmt_local(r.last_ms, tz)) }
                            td.num { (r.conversions) } td.num { (r.revenue) }
                            td.score { (r.score.as_ref().map(|s| score_text(s, tz)).unwrap_or_default()) }
                            td { (if r.identified { "across visits" } else { "none (not seen on the site)" }) }
                        }
                    } }
                }
                @if paging.pages > 1 {
                    nav.pages id="lead-pages" aria-label="Pages of leads" {
                        @if paging.page > 1 { a rel="prev" href=(page_link(site, touching, paging.page - 1)) { "Newer" } " " }
                        span { "Page " (paging.page) " of " (paging.pages) " (" (paging.total) " leads)" }
                        @if paging.page < paging.pages { " " a rel="next" href=(page_link(site, touching, paging.page + 1)) { "Older" } }
                    }
                }
                @if rows.iter().any(|r| r.email.is_none() && r.name.is_none()) {
                    p.muted id="hashed-note" { "A “hashed lead” was identified in the visitor's browser, which hashed their email or phone before sending it: Touchpoint never saw the address and keeps only a keyed hash of it, so the lead is shown by the start of its id. Open one to see what is known about it" @if role.can_manage() { " and to attach a name and email you know" } "." }
                }
            }
        },
    )
}

fn identified_text(m: &LeadProfile<'_>) -> &'static str {
    match m.identified {
        Identified::Plain => {
            "By an email address that arrived in plain text (conversions API, Stripe) or was attached here; it is kept sealed."
        }
        Identified::Browser => {
            "In the visitor's browser: their email or phone was hashed there (SHA-256) before it was sent, so Touchpoint never saw the address and keeps only a keyed hash of it."
        }
        Identified::Digest => {
            "By a SHA-256 hash of the address sent from a server (email_sha256): Touchpoint never saw the address."
        }
    }
}

fn facts(m: &LeadProfile<'_>) -> Markup {
    let tz = m.site.timezone;
    html! {
        dl id="lead-facts" {
            dt { "Identified" } dd id="identified" { (identified_text(m)) }
            dt { "First seen" } dd { (fmt_local(m.first_ms, tz)) }
            dt { "First visit" } dd id="first-visit" {
                @match m.journey.first() {
                    Some(t) => {
                        (if t.source.is_empty() { t.channel.as_str() } else { t.source.as_str() })
                        @if !t.source.is_empty() && t.channel != t.source { " (" (t.channel) ")" }
                        @if !t.campaign.is_empty() { ", campaign " (t.campaign) }
                        ", " (fmt_local(t.at_ms, tz))
                    },
                    None => "no visit linked",
                }
            }
            @if let Some(f) = &m.form { dt { "Form" } dd id="form" { (f) } }
            @if let Some(s) = &m.score { dt { "Score" } dd id="score" { (score_text(s, tz)) } }
            dt { "Conversions" } dd { (m.conversions.len()) @if !m.revenue.is_empty() { ", revenue " (m.revenue) } }
        }
    }
}

fn attach_form(m: &LeadProfile<'_>, csrf: &str) -> Markup {
    html! {
        section.card id="attach" {
            h2 { "Attach what you know" }
            p.muted { "If you know who this is — from your CRM, an email thread — attach their name and email. The email is checked: it must hash to this lead's id, so it can't be attached to someone else. Both are sealed at rest, shown only to analysts and up (audited), and exported and erased with the lead." }
            form.stack method="post" action={ "/sites/" (m.site.domain) "/leads/" (m.id) "/contact" } {
                (csrf_field(csrf))
                label { "Name" input type="text" name="name" maxlength="200" autocomplete="off" value=(m.name.unwrap_or("")); }
                label { "Email" input type="email" name="email" maxlength="320" autocomplete="off" value=(m.email.unwrap_or("")); }
                button type="submit" { "Attach" }
            }
        }
    }
}

/// `/sites/{d}/leads/{id}`
#[must_use]
pub fn profile(bar: UserBar<'_>, m: &LeadProfile<'_>) -> Markup {
    let csrf = bar.csrf;
    let tz = m.site.timezone;
    page(
        &Chrome {
            title: &site_title(m.site, "Lead"),
            user: Some(bar),
        },
        &html! {
            (site_nav(m.site, m.role, Some(SitePage::Leads)))
            @if let Some(e) = m.error { p.error role="alert" { (e) } }
            section.card {
                h2 { (who(m.id, m.name, m.email)) @if !m.may_see_pii { " (details hidden for your role)" } }
                (facts(m))
                @if m.journey.iter().any(|t| t.channel == UNASSIGNED) { (unassigned_note()) }
            }
            @if m.role.can_manage() { (attach_form(m, csrf)) }
            section.card {
                h2 { "Journey" }
                @if m.journey.is_empty() { p.empty { "No visits linked (the person never accepted the first-party id on this site)." } }
                @else {
                    table.data id="journey" {
                        thead { tr { th { "Visit" } th { "Channel" } th { "Source" } th { "Campaign" } th { "Landing page" } th.num { "Pageviews" } } }
                        tbody { @for t in m.journey {
                            tr { td { (fmt_local(t.at_ms, tz)) } td { (t.channel) } td { (t.source) } td { (t.campaign) } td { (t.landing) } td.num { (t.pageviews) } }
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
                            td { (fmt_local(c.at_ms, tz)) } td { (format!("{:?}", c.kind).to_lowercase()) }
                            td.num { @if c.value_micros != 0 { (format!("{:.2} {}", c.net_micros() as f64 / 1e6, c.currency.as_deref().unwrap_or(""))) } }
                            td { (c.order_id.as_deref().unwrap_or("")) } td { (c.source) }
                        }
                    } }
                }
            }
        },
    )
}
