//! Ad spend on the attribution page: the period's total and return, a
//! spend, ROAS, CAC and cost-per-conversion column for the leading model,
//! and (for admins) the CSV upload. Definitions: `attribution::spend`.

use maud::{Markup, html};

use crate::{
    attribution::{
        Credit,
        report::{Report, ReportRow},
        spend::ratio,
    },
    store::Site,
};

fn money(v: f64) -> String {
    format!("{v:.2}")
}

fn maybe(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_owned(), |v| format!("{v:.2}"))
}

/// The period's spend and overall return, when there is spend.
#[must_use]
pub fn summary(r: &Report) -> Markup {
    html! {
        @if let Some(s) = &r.spend {
            @let cur = crate::domain::money::code_str(s.currency);
            p id="spend-total" {
                "Ad spend " strong { (money(s.total)) " " (cur) }
                @if let Some(roas) = ratio(r.revenue, s.total) { " · return on ad spend " strong { (format!("{roas:.2}")) } }
                @if s.unmatched > 0.0 { span.muted { " (" (money(s.unmatched)) " " (cur) " of it on campaigns without a value for this dimension)" } }
            }
            @if !has_leads(r) { p.muted role="note" { "CAC (spend per new lead) shows when the report counts new leads: choose New leads or All conversions." } }
            @for (c, v) in &s.not_converted {
                p.muted role="note" { "Spend of " (money(*v)) " " (c) " is not in these values: no exchange rate to " (cur) " is set (site settings → Revenue)." }
            }
        }
    }
}

/// Whether the report credits new leads (CAC needs them: with purchases
/// only, there are none to divide by).
fn has_leads(r: &Report) -> bool {
    r.rows
        .iter()
        .any(|row| row.credits.iter().any(|c| c.leads > 0.0))
}

/// The spend columns' headings, when the report has spend.
#[must_use]
pub fn headings(r: &Report) -> Markup {
    html! {
        @if r.spend.is_some() {
            th.num { "Spend" } th.num { abbr title="Return on ad spend: attributed revenue ÷ spend" { "ROAS" } }
            @if has_leads(r) { th.num { abbr title="Customer acquisition cost: spend ÷ new leads credited" { "CAC" } } }
            th.num { "Cost per conversion" }
        }
    }
}

/// A row's spend columns under the leading model's credit `c`.
#[must_use]
pub fn cells(r: &Report, row: &ReportRow, c: Option<&Credit>) -> Markup {
    let c = c.copied().unwrap_or_default();
    html! {
        @if r.spend.is_some() {
            @let spend = row.spend.unwrap_or(0.0);
            td.num.spend { (money(spend)) }
            td.num.roas { (maybe(ratio(c.value, spend))) }
            @if has_leads(r) { td.num.cac { (maybe(ratio(spend, c.leads))) } }
            td.num { (maybe(ratio(spend, c.conversions))) }
        }
    }
}

/// The upload form (admins).
#[must_use]
pub fn upload(site: &Site, csrf: &str, imported: Option<usize>) -> Markup {
    html! {
        section.card id="spend" {
            h2 { "Ad spend" }
            @if let Some(n) = imported { p.notice role="status" { "Imported " (n) " spend rows." } }
            p.muted { "A CSV of spend per day and campaign, as ad platforms export it: columns "
                code { "date, source, medium, campaign, spend, currency" } " (optional "
                code { "clicks, impressions" } "). Source, medium and campaign are the "
                code { "utm_*" } " values of the ads' links. A day's row for the same campaign replaces the one uploaded before. Also "
                code { "touchpoint spend import" } " and " code { "POST /api/v1/spend" } "." }
            form method="post" enctype="multipart/form-data" action=(format!("/sites/{}/spend", site.domain)) {
                input type="hidden" name="csrf" value=(csrf);
                label.control { span.caption { "Spend CSV" } input type="file" name="file" accept=".csv,text/csv" required; }
                button type="submit" { "Import spend" }
            }
        }
    }
}
