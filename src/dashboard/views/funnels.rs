//! The funnels page: the site's saved funnels, steps typed one per line,
//! visits completing them in order (a bar per step) and by source; admins
//! save the steps under a name and delete saved funnels.

use maud::{Markup, html};

use super::{
    layout::{Chrome, UserBar, csrf_field, page},
    period::{period_fields, period_label},
    site_nav::{SitePage, site_nav, site_title},
    words::count,
};
use crate::{
    dashboard::site::params::ViewState,
    domain::Role,
    stats::funnel::{FunnelCounts, MAX_STEPS},
    store::{SavedFunnel, Site},
};

/// The page's model.
pub struct FunnelsPage<'a> {
    /// The site.
    pub site: &'a Site,
    /// The caller's role there (for the site's navigation).
    pub role: Role,
    /// Steps as typed (one per line).
    pub steps_text: &'a str,
    /// The period.
    pub view: &'a ViewState,
    /// The site's saved funnels.
    pub saved: &'a [SavedFunnel],
    /// The saved funnel shown, when its steps are the ones shown.
    pub opened: Option<&'a SavedFunnel>,
    /// The name typed into the save form (after a refused save).
    pub name: &'a str,
    /// Why the last save was refused.
    pub error: Option<&'a str>,
    /// Step labels and the counts, or why there are none.
    pub result: Option<Result<(Vec<String>, FunnelCounts), String>>,
}

#[allow(clippy::cast_precision_loss)]
fn share(n: u64, first: u64) -> f64 {
    if first == 0 {
        0.0
    } else {
        n as f64 / first as f64
    }
}

fn rate(n: u64, first: u64) -> String {
    if first == 0 {
        "0%".into()
    } else {
        format!("{:.1}%", share(n, first) * 100.0)
    }
}

/// A step's bar: its visits as a share of the first step's.
fn bar(frac: f64) -> Markup {
    let f = if frac.is_finite() {
        frac.clamp(0.0, 1.0)
    } else {
        0.0
    };
    html! {
        svg.funnel-bar width="160" height="14" viewBox="0 0 100 10" preserveAspectRatio="none"
            role="img" aria-label=(format!("{:.0}% of the first step", f * 100.0)) {
            rect x="0" y="0" width="100" height="10" fill="none" stroke="currentColor" stroke-opacity="0.25" {}
            rect.bar-fill x="0" y="0" height="10" width=(format!("{:.1}", f * 100.0)) {}
        }
    }
}

fn saved_list(m: &FunnelsPage<'_>, csrf: &str, base: &str) -> Markup {
    html! {
        section.card id="saved-funnels" {
            h2 { "Saved funnels" }
            @if m.saved.is_empty() {
                p.muted { "None yet." @if m.role.can_manage() { " Show a funnel below, then save it under a name." } @else { " Admins can save funnels for everyone here." } }
            } @else {
                ul { @for f in m.saved {
                    li {
                        a href={ (base) "?funnel=" (f.id) } aria-current=[m.opened.filter(|o| o.id == f.id).map(|_| "true")] { (f.name) }
                        " " span.muted { "(" (count(f.steps.lines().count(), "step", "steps")) ")" }
                        @if m.role.can_manage() {
                            " "
                            form.inline method="post" action={ (base) "/" (f.id) "/delete" } data-confirm="Delete this saved funnel?" {
                                (csrf_field(csrf)) button.secondary type="submit" { "Delete" }
                            }
                        }
                    }
                } }
            }
        }
    }
}

fn results(labels: &[String], c: &FunnelCounts) -> Markup {
    let first = c.total.first().copied().unwrap_or(0);
    html! {
        table.data id="funnel" {
            thead { tr { th { "Step" } th.num { "Visits" } th.num { "Conversion" } th.num { "Drop-off" } th { span.muted { "of the first step" } } } }
            tbody { @for (i, (l, n)) in labels.iter().zip(&c.total).enumerate() {
                tr { td { (l) } td.num { (n) } td.num { (rate(*n, first)) } td.num { (if i == 0 { 0 } else { c.total[i - 1] - n }) } td { (bar(share(*n, first))) } }
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

/// `/sites/{d}/funnels`
#[must_use]
pub fn funnels(bar: UserBar<'_>, m: &FunnelsPage<'_>) -> Markup {
    let csrf = bar.csrf;
    let base = format!("/sites/{}/funnels", m.site.domain);
    page(
        &Chrome {
            title: &site_title(m.site, "Funnels"),
            user: Some(bar),
        },
        &html! {
            (site_nav(m.site, m.role, Some(SitePage::Funnels)))
            @if let Some(e) = m.error { p.error role="alert" { (e) } }
            (saved_list(m, csrf, &base))
            p id="funnel-help" { "A funnel counts the visits that complete its steps in order — other pages and events may come between — and how many drop off at each. Write one step per line, 2 to " (MAX_STEPS) " steps: a page path such as " code { "/pricing" } " (" code { "*" } " matches anything, as in " code { "/blog/*" } ") or a custom event as " code { "event:Signup" } "." }
            form.stack method="get" action=(base) {
                label { "Steps" textarea name="steps" rows="4" placeholder="/pricing\n/signup*\nevent:Signup" { (m.steps_text) } }
                div.period-fields { (period_fields(m.view)) }
                button type="submit" { "Show" }
            }
            @if let Some(f) = m.opened { h2 id="funnel-name" { (f.name) " — " (period_label(m.view)) } }
            @match &m.result {
                None => {},
                Some(Err(e)) => p.error role="alert" { (e) },
                Some(Ok((labels, c))) => {
                    (results(labels, c))
                    @if m.role.can_manage() && m.opened.is_none() {
                        form.inline method="post" action=(base) id="save-funnel" {
                            (csrf_field(csrf))
                            input type="hidden" name="steps" value=(m.steps_text);
                            label { "Save these steps as " input type="text" name="name" required maxlength="80" value=(m.name) placeholder="Signup funnel"; }
                            button type="submit" { "Save funnel" }
                        }
                    }
                }
            }
        },
    )
}
