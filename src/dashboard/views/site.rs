//! A site's other pages: realtime, goals, settings.

use chrono::NaiveDate;
use maud::{Markup, html};

use super::{
    components::{as_is, country_name, ranked_list, rate_cell, shown_count, snippet_block},
    controls::period_toolbar,
    layout::{Chrome, UserBar, csrf_field, page},
    local_time::fmt_local,
    overview::Frame,
    site_nav::{SitePage, site_nav, site_title},
    site_settings as cards,
    timezone::{ZoneField, zone_field},
    words::{count, noun},
};
use crate::{
    dashboard::site::{
        conversions::{GoalRow, goal_name},
        params::ViewState,
    },
    domain::Role,
    domain::{ConsentMode, FormCapture, MinCount},
    privacy::retention::{PurgeReceipt, retention_months},
    stats::realtime::Realtime,
    store::{GoalKind, Site},
};

/// `/sites/{d}/realtime`
#[must_use]
pub fn realtime(bar: UserBar<'_>, site: &Site, role: Role, r: &Realtime, k: MinCount) -> Markup {
    page(
        &Chrome {
            title: &site_title(site, "Realtime"),
            user: Some(bar),
        },
        &html! {
            (site_nav(site, role, Some(SitePage::Realtime)))
            div.realtime data-refresh-seconds="30" {
                p { span.big id="current-visitors" { (shown_count(k, r.visitors as u64)) } " current " (noun(r.visitors, "visitor", "visitors")) " (active in the last 5 minutes)" }
                div.grid {
                    @for (title, rows, show) in [("Pages they are on", &r.pages, as_is as fn(&str) -> String), ("Sources", &r.sources, as_is), ("Countries", &r.countries, country_name)] {
                        section.card {
                            h2 { (title) }
                            (ranked_list(k, "Visitors", rows.iter().map(|(p, n)| (p.as_str(), *n as u64)), |_| None, show))
                        }
                    }
                }
            }
        },
    )
}

/// A goal's conversions from one source: (source, converted visitors,
/// visitors, conversion rate in percent).
pub type SourceRow = (String, u64, u64, f64);

/// The goals page's model.
pub struct GoalsPage<'a> {
    /// The site.
    pub site: &'a Site,
    /// Caller's role.
    pub role: Role,
    /// Conversions per goal over the period.
    pub rows: &'a [GoalRow],
    /// The period, comparison and filters, as the overview's.
    pub state: &'a ViewState,
    /// First and last local dates of the period.
    pub range: (NaiveDate, NaiveDate),
    /// The goal whose sources are shown, by id.
    pub chosen: Option<u32>,
    /// The goal whose sources are shown, by name, with its rows.
    pub by_source: Option<(String, Vec<SourceRow>)>,
    /// Error of the last action.
    pub error: Option<&'a str>,
    /// Counts below this read "fewer than k" (see `site::safe`).
    pub min_count: MinCount,
}

/// `/sites/{d}/goals`
#[must_use]
pub fn goals(bar: UserBar<'_>, m: &GoalsPage<'_>) -> Markup {
    let csrf = bar.csrf;
    let k = m.min_count;
    let base = format!("/sites/{}/goals", m.site.domain);
    // The period picker keeps the chosen goal.
    let frame = Frame {
        site: m.site,
        base: base.clone(),
        keep: m.chosen.map(|id| ("goal", id.to_string())),
        user: None,
        role: Some(m.role),
        imports: false,
        notices: Vec::new(),
    };
    page(
        &Chrome {
            title: &site_title(m.site, "Goals"),
            user: Some(bar),
        },
        &html! {
            (site_nav(m.site, m.role, Some(SitePage::Goals)))
            @if let Some(e) = m.error { p.error role="alert" { (e) } }
            (period_toolbar(&frame, m.state, m.range))
            p.muted { "Conversions from " (m.range.0) " to " (m.range.1) " (" (m.site.timezone) "). Choose a goal to see its sources." }
            table.data {
                @let with_revenue = m.rows.iter().any(|g| g.revenue.is_some());
                thead { tr { th { "Goal" } th.num { "Uniques" } th.num { "Total" } th.num { "Conversion rate" } @if with_revenue { th.num { "Revenue" } } th {} } }
                tbody { @for g in m.rows {
                    tr {
                        td { a href={ (base) (m.state.href(|_| {})) (if m.state.to_query().is_empty() { "" } else { "&" }) "goal=" (g.goal.id) } { (goal_name(&g.goal)) } }
                        td.num { (shown_count(k, g.visitors)) } td.num { (shown_count(k, g.events)) } (rate_cell(k.hides(g.visitors), g.rate))
                        @if with_revenue { td.num { (g.revenue.as_deref().unwrap_or("")) } }
                        td { @if m.role.can_manage() {
                            form.inline method="post" action={ (base) "/" (g.goal.id) "/delete" } data-confirm={ "Delete the goal " (goal_name(&g.goal)) "?" } {
                                (csrf_field(csrf)) button.secondary.small type="submit" aria-label={ "Delete " (goal_name(&g.goal)) } { "Delete" }
                            }
                        } }
                    }
                } }
            }
            @if m.rows.is_empty() { p.empty { "No goals yet." } }
            @if let Some((name, rows)) = &m.by_source {
                section.card {
                    h2 { (name) " by source" }
                    table.data {
                        thead { tr { th { "Source" } th.num { "Conversions" } th.num { "Visitors" } th.num { "Conversion rate" } } }
                        tbody { @for (src, conv, vis, rate) in rows {
                            tr { td { (src) } td.num { (shown_count(k, *conv)) } td.num { (shown_count(k, *vis)) } (rate_cell(k.hides(*conv) || k.hides(*vis), *rate)) }
                        } }
                    }
                }
            }
            @if m.role.can_manage() {
                section.card {
                    h2 { "Add a goal" }
                    form.inline method="post" action=(base) {
                        (csrf_field(csrf))
                        select name="kind" aria-label="Kind of goal" { option value="event" { "Custom event named" } option value="page" { "Pageview of path" } }
                        input type="text" name="value" required placeholder="Signup or /pricing*" maxlength="200" aria-label="Event name or page path";
                        button type="submit" { "Add goal" }
                    }
                    p.muted { "Paths may use * as a wildcard, e.g. /blog/*." }
                }
            }
        },
    )
}

/// The settings page's model.
pub struct SettingsPage<'a> {
    /// The site.
    pub site: &'a Site,
    /// Caller's role.
    pub role: Role,
    /// This server's origin, for the snippet and the shared link.
    pub origin: &'a str,
    /// Error of the last action.
    pub error: Option<&'a str>,
    /// Notice of the last action.
    pub notice: Option<&'a str>,
    /// The instance's retention, the most a site can keep.
    pub max_months: u32,
    /// The site's last purge.
    pub last_purge: Option<PurgeReceipt>,
    /// The snippet before the save that just changed it (the page then warns
    /// and shows the new one).
    pub snippet_was: Option<String>,
    /// The time zone typed in a save that was refused (shown back), else
    /// the site's zone is shown.
    pub typed_zone: Option<&'a str>,
    /// The site's imports of statistics.
    pub imports: &'a [crate::store::ImportRecord],
    /// The email reports and alerts card.
    pub mail: &'a super::mail_card::MailCard,
}

/// `/sites/{d}/settings`
#[must_use]
pub fn settings(bar: UserBar<'_>, m: &SettingsPage<'_>) -> Markup {
    let csrf = bar.csrf;
    let site = m.site;
    let base = format!("/sites/{}", site.domain);
    let snippet = snippet(site, m.origin);
    let zone = site.timezone.to_string();
    page(
        &Chrome {
            title: &site_title(site, "Settings"),
            user: Some(bar),
        },
        &html! {
            (site_nav(site, m.role, Some(SitePage::Settings)))
            @if let Some(e) = m.error { p.error role="alert" { (e) } }
            @if let Some(n) = m.notice { p.notice { (n) } }
            @if let Some(was) = m.snippet_was.as_deref().filter(|w| *w != snippet) { (cards::snippet_changed(was, &snippet)) }
            section.card {
                h2 { "Tracking snippet" }
                (snippet_block(site, m.origin))
            }
            section.card id="general" {
                h2 { "General" }
                form.stack method="post" action={ (base) "/settings" } {
                    (csrf_field(csrf))
                    (zone_field(&ZoneField {
                        label: "Time zone (reports' days start at midnight there)",
                        name: "timezone",
                        id: "settings-timezone",
                        value: m.typed_zone.unwrap_or(&zone),
                        fresh: false,
                    }))
                    label { "Allowed hostnames, one per line (empty = any; *.example.com allowed)"
                        textarea name="hostnames" rows="3" { (site.allowed_hostnames.join("\n")) } }
                    label { "Consent mode"
                        select name="consent_mode" {
                            @for c in ConsentMode::ALL { option value=(c.as_str()) selected[c == site.consent_mode] { (c.as_str()) } }
                        }
                    }
                    p.muted { "cookieless: no cookie or storage, visitors can't be followed across days. require: nothing is sent until the visitor decides. cookieless-until-consent: counted cookieless until they accept. Identifiers (a first-party id, hashed lead fields) are only ever kept after an accept. A different mode needs a different snippet: after saving, this page shows the new one." }
                    label { "Privacy policy version" input type="text" name="policy_version" value=(site.policy_version) required maxlength="32"; }
                    label { "Hash email and phone fields of"
                        select name="forms" {
                            @for c in FormCapture::ALL { option value=(c.as_str()) selected[c == site.forms] { (match c { FormCapture::Off => "no forms", FormCapture::Marked => "forms marked data-tp-form", FormCapture::All => "every form" }) } }
                        }
                    }
                    label { input type="checkbox" name="respect_dnt" value="1" checked[site.respect_dnt]; " Treat Do Not Track like Global Privacy Control (a decline)" }
                    label { "Minimum count shown (k)"
                        input type="number" name="min_count" min="0" max=(MinCount::MAX) step="1" value=(site.min_count) aria-describedby="min-count-help"; }
                    p.muted id="min-count-help" { "Safe sharing: on shared links, in email reports and for viewers, counts from 1 to k − 1 read \"fewer than k\", so small groups can't be singled out. 0 is off. Analysts, admins, owners and the Stats API see exact numbers." }
                    button type="submit" { "Save" }
                }
            }
            (retention_card(m, csrf, &base))
            (cards::scripts_card(site, m.origin))
            (cards::attribution_card(site, csrf, &base))
            section.card id="revenue" {
                h2 { "Revenue" }
                p.muted { "Revenue is kept in the currency it came in. Reports show it in the reporting currency (empty: the currency most purchases are in) and convert other currencies only at the rates given here — none are fetched; revenue without a rate is named beside the report, not summed." }
                form.stack method="post" action={ (base) "/currency" } {
                    (csrf_field(csrf))
                    label { "Reporting currency " input type="text" name="currency" maxlength="3" size="4" placeholder="EUR" value=(site.reporting_currency.as_deref().unwrap_or("")); }
                    label { span { "Exchange rates (units of the reporting currency per unit of each, e.g. " code { "USD=0.92, GBP=1.17" } ")" }
                        input type="text" name="rates" value=(site.exchange_rates.iter().map(|(c, r)| format!("{c}={r}")).collect::<Vec<_>>().join(", ")); }
                    button type="submit" { "Save" }
                }
            }
            (cards::scoring_card(site, csrf, &base))
            (cards::stripe_card(site, m.origin, csrf, &base))
            (cards::data_card(site, m.origin, m.imports, csrf, &base))
            (super::mail_card::mail_card(m.mail, csrf, &base))
            section.card id="webhooks-link" {
                h2 { "Webhooks" }
                p { "Send leads, conversions, refunds and erasures to a CRM as signed webhooks. "
                    a href=(format!("{base}/webhooks")) { "Manage webhooks" } }
            }
            section.card {
                h2 { "Shared link" }
                @if let Some(t) = &site.share_token {
                    p { "Anyone with this link can see this site's aggregate reports:" }
                    pre.secret id="share-link" { (m.origin) (base.replacen("/sites/", "/share/", 1)) "?auth=" (t) }
                    button.copy type="button" data-copy-target="share-link" { "Copy" }
                    form.inline method="post" action={ (base) "/share" } {
                        (csrf_field(csrf)) input type="hidden" name="enabled" value="false";
                        button.danger type="submit" { "Revoke link" }
                    }
                } @else {
                    p { "Off. A shared link shows aggregate reports to anyone who has it; it can be revoked." }
                    form.inline method="post" action={ (base) "/share" } {
                        (csrf_field(csrf)) input type="hidden" name="enabled" value="true";
                        button type="submit" { "Create shared link" }
                    }
                }
            }
            section.card {
                h2 { "Stats API keys" }
                p { "Keys are managed per workspace: " a href={ "/workspaces/" (site.workspace) } { "workspace settings" } "." }
            }
            @if m.role.is_owner() {
                section.card {
                    h2 { "Delete site" }
                    p { "The site disappears at once (events for it are no longer counted) and all of its data is deleted for good 14 days later. Until then the server's operator can bring it back with " code { "touchpoint site restore " (site.domain) } " (with the server stopped)." }
                    form.inline method="post" action={ (base) "/delete" } {
                        (csrf_field(csrf))
                        label { "Type " strong { (site.domain) } " to confirm " input type="text" name="confirm" required autocomplete="off"; }
                        button.danger type="submit" { "Delete site" }
                    }
                }
            }
        },
    )
}

/// The tracking snippet for a site: the core script for cookieless sites,
/// the consent-aware one (with its settings as attributes) otherwise.
#[must_use]
pub fn snippet(site: &Site, origin: &str) -> String {
    if site.consent_mode == ConsentMode::Cookieless {
        return format!(
            "<script defer data-domain=\"{}\" src=\"{origin}/js/tp.js\"></script>",
            site.domain
        );
    }
    let mut attrs = format!(
        " data-consent=\"{}\" data-policy=\"{}\"",
        site.consent_mode.as_str(),
        site.policy_version
    );
    if site.forms != FormCapture::Off {
        attrs.push_str(&format!(" data-forms=\"{}\"", site.forms.as_str()));
    }
    if site.respect_dnt {
        attrs.push_str(" data-dnt");
    }
    format!(
        "<script defer data-domain=\"{}\"{attrs} src=\"{origin}/js/tp.full.js\"></script>",
        site.domain
    )
}

/// Describes a goal kind for messages.
#[must_use]
pub fn goal_kind_label(k: &GoalKind) -> &'static str {
    match k {
        GoalKind::Event(_) => "custom event",
        GoalKind::Page(_) => "pageview",
    }
}

fn retention_card(m: &SettingsPage<'_>, csrf: &str, base: &str) -> Markup {
    let site = m.site;
    let months = retention_months(site, m.max_months);
    html! {
        section.card {
            h2 { "Data retention" }
            form.stack method="post" action={ (base) "/retention" } {
                (csrf_field(csrf))
                label { "Keep visits, consent records and lead identifiers for (months)"
                    input type="number" name="months" min="1" max=(m.max_months) value=(months) required; }
                label { input type="checkbox" name="keep_aggregates" value="1" checked[site.keep_aggregates];
                    " Keep anonymous daily totals of purged days (filtered views of them will be empty)" }
                button type="submit" { "Save retention" }
            }
            @match &m.last_purge {
                Some(r) => p.muted id="last-purge" {
                    "Last purge " (fmt_local(r.ran_at_ms, site.timezone)) ": kept from " (r.kept_from) ", "
                    (count(r.total(), "row", "rows")) " deleted ("
                    @for (i, (t, n)) in r.rows.iter().enumerate() { @if i > 0 { ", " } (super::privacy::person_table_label(*t)) " " (n) }
                    ", rollups " (r.rollups) ")."
                },
                None => p.muted id="last-purge" { "No purge has run yet; it runs nightly." },
            }
        }
    }
}
