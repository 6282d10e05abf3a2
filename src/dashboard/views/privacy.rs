//! A site's privacy page: look a person up, export or erase their data, the
//! request log with due dates, and the consent log; times in the site's zone.

use maud::{Markup, html};

use super::{
    date_field::date_field,
    layout::{Chrome, UserBar, csrf_field, page},
    local_time::fmt_local,
    site_nav::{SitePage, site_nav, site_title},
    words::count,
};
use crate::{
    domain::Timezone,
    privacy::subject::Identifier,
    store::{ConsentEntry, PersonTable, RequestKind, Site, SubjectRequest},
};

/// What a person-data table holds, in words (receipts, request rows, purges).
#[must_use]
pub fn person_table_label(t: PersonTable) -> &'static str {
    match t {
        PersonTable::Sessions => "visits",
        PersonTable::Consents => "consent records",
        PersonTable::Consented => "consent in force",
        PersonTable::Identities => "lead identifiers",
        PersonTable::Leads => "leads",
        PersonTable::Conversions => "conversions",
        PersonTable::OrderIds => "order ids",
    }
}

/// A stored table name (`sessions_v1`) in words (`visits`); an unknown
/// name as it is.
#[must_use]
pub fn table_label(name: &str) -> &str {
    PersonTable::ALL
        .into_iter()
        .find(|t| t.table_name() == name)
        .map_or(name, |t| person_table_label(t))
}

/// Rows per table, as stored by a request, in words and in the registry's
/// order: `visits 1, consent records 1, …`.
#[must_use]
pub fn receipt_rows(rows: &std::collections::BTreeMap<String, u64>) -> String {
    let rank = |name: &str| {
        PersonTable::ALL
            .iter()
            .position(|t| t.table_name() == name)
            .unwrap_or(usize::MAX)
    };
    let mut sorted: Vec<(&String, &u64)> = rows.iter().collect();
    sorted.sort_by_key(|(t, _)| rank(t));
    sorted
        .iter()
        .map(|(t, n)| format!("{} {n}", table_label(t)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A person found by a lookup.
pub struct Found<'a> {
    /// Identifier kind and value as typed (shown back to the operator only).
    pub kind: &'a str,
    /// The value.
    pub value: &'a str,
    /// Counts per kind of row.
    pub counts: Vec<(&'static str, usize)>,
    /// Their visits: start time and pages.
    pub visits: Vec<(String, Vec<String>)>,
}

/// The page's model.
pub struct PrivacyPage<'a> {
    /// The site.
    pub site: &'a Site,
    /// The caller's role there (for the site's navigation).
    pub role: crate::domain::Role,
    /// Error of the last action.
    pub error: Option<&'a str>,
    /// Notice (an erasure receipt).
    pub notice: Option<&'a str>,
    /// The last lookup's result.
    pub found: Option<Found<'a>>,
    /// Logged requests, newest first.
    pub requests: &'a [SubjectRequest],
    /// Consent records shown, newest first.
    pub consents: &'a [ConsentEntry],
    /// Consent records in all (before the filter and the cap).
    pub consents_total: usize,
    /// The consent filter's values (decision, mechanism).
    pub consent_filter: (&'a str, &'a str),
    /// Now, unix ms (for due dates).
    pub now_ms: u64,
}

fn id_fields(f: &Found<'_>) -> Markup {
    html! {
        input type="hidden" name="kind" value=(f.kind);
        input type="hidden" name="value" value=(f.value);
    }
}

/// Open requests of `kind` the form's action may complete (received times in `tz`).
fn request_select(requests: &[SubjectRequest], kind: RequestKind, tz: Timezone) -> Markup {
    // Only the actions are requests by themselves; a lookup is one if asked.
    let none = if kind == RequestKind::Access {
        "(none)"
    } else {
        "(log a new one)"
    };
    html! {
        label { "Completes request"
            select name="request" {
                option value="" { (none) }
                @for r in requests.iter().filter(|r| r.completed_ms.is_none() && r.kind == kind) {
                    option value=(r.id) { "#" (r.id) " " (r.kind.as_str()) " received " (fmt_local(r.received_ms, tz)) }
                }
            }
        }
    }
}

/// `/sites/{d}/privacy`
#[must_use]
pub fn privacy(bar: UserBar<'_>, m: &PrivacyPage<'_>) -> Markup {
    let csrf = bar.csrf;
    let base = format!("/sites/{}/privacy", m.site.domain);
    let tz = m.site.timezone;
    page(
        &Chrome {
            title: &site_title(m.site, "Privacy"),
            user: Some(bar),
        },
        &html! {
            (site_nav(m.site, m.role, Some(SitePage::Privacy)))
            @if let Some(e) = m.error { p.error role="alert" { (e) } }
            @if let Some(n) = m.notice { p.notice id="notice" { (n) } }
            section.card {
                h2 { "Find a person" }
                p.muted { "Emails and phones are matched through the same keyed hashes the tracker stores; nothing typed here is kept." }
                form.stack method="post" action={ (base) "/lookup" } {
                    (csrf_field(csrf))
                    label { "Identified by"
                        select name="kind" { @for k in Identifier::KINDS { option value=(k) { (k) } } }
                    }
                    label { "Value" input type="text" name="value" required maxlength="320" autocomplete="off"; }
                    p.muted { "A lookup is written to the audit log but is not a data-subject request. To answer someone's access request, choose it below or tick the box." }
                    (request_select(m.requests, RequestKind::Access, tz))
                    label { input type="checkbox" name="log" value="1"; " Log this lookup as an access request" }
                    button type="submit" { "Look up" }
                }
            }
            @if let Some(f) = &m.found {
                section.card id="found" {
                    h2 { "Held about this person" }
                    table.ranked { tbody {
                        @for (what, n) in &f.counts { tr { td.label { (what) } td.num { (n) } } }
                    } }
                    @for (start, pages) in &f.visits {
                        p { (start) ": " (pages.join(" → ")) }
                    }
                    form.inline method="post" action={ (base) "/export" } {
                        (csrf_field(csrf)) (id_fields(f)) (request_select(m.requests, RequestKind::Export, tz))
                        button type="submit" { "Export as JSON" }
                    }
                    form.stack method="post" action={ (base) "/rectify" } {
                        (csrf_field(csrf)) (id_fields(f)) (request_select(m.requests, RequestKind::Rectification, tz))
                        label { "Corrected email" input type="email" name="new_email" autocomplete="off"; }
                        label { "Corrected phone" input type="tel" name="new_phone" autocomplete="off"; }
                        button.secondary type="submit" { "Correct their details" }
                    }
                    form.stack method="post" action={ (base) "/erase" } {
                        (csrf_field(csrf)) (id_fields(f)) (request_select(m.requests, RequestKind::Erasure, tz))
                        label { span { "Type " code { "erase" } " to delete every row above, for good" }
                            input type="text" name="confirm" required autocomplete="off"; }
                        button.danger type="submit" { "Erase" }
                    }
                }
            }
            section.card {
                h2 { "Requests" }
                form.inline method="post" action={ (base) "/requests" } {
                    (csrf_field(csrf))
                    label { "Kind " select name="kind" { @for k in RequestKind::ALL { option value=(k.as_str()) { (k.as_str()) } } } }
                    (date_field("Received on", "received", None, true))
                    button.secondary type="submit" { "Log a received request" }
                }
                @if m.requests.is_empty() { p.empty { "No requests yet." } } @else {
                    table.list id="requests" {
                        thead { tr { th { "#" } th { "kind" } th { "by" } th { "received" } th { "due" } th { "completed" } th { "rows" } } }
                        tbody { @for r in m.requests {
                            tr {
                                td { (r.id) } td { (r.kind.as_str()) } td { (r.identified_by) }
                                td { (fmt_local(r.received_ms, tz)) }
                                td.overdue[r.completed_ms.is_none() && r.due_ms() < m.now_ms] { (fmt_local(r.due_ms(), tz)) }
                                td { @match r.completed_ms { Some(c) => (fmt_local(c, tz)), None => "open" } }
                                td { (receipt_rows(&r.rows)) }
                            }
                        } }
                    }
                }
            }
            section.card {
                h2 { "Consent log" }
                form.inline method="get" action=(base) {
                    select name="decision" aria-label="Decision" { @for d in ["", "accept", "decline"] { option value=(d) selected[d == m.consent_filter.0] { (if d.is_empty() { "any decision" } else { d }) } } }
                    select name="mechanism" aria-label="Mechanism" { @for d in ["", "banner", "api", "gpc", "dnt", "optout"] { option value=(d) selected[d == m.consent_filter.1] { (if d.is_empty() { "any mechanism" } else { d }) } } }
                    button.secondary type="submit" { "Filter" }
                    a href={ "/sites/" (m.site.domain) "/consents.csv" } { "Export all as CSV" }
                }
                p.muted { (m.consent_filter_shown(m.consents.len())) }
                table.list id="consents" {
                    thead { tr { th { "time" } th { "decision" } th { "mechanism" } th { "policy" } th { "subject" } } }
                    tbody { @for c in m.consents {
                        tr { td { (fmt_local(c.at_ms, tz)) } td { (c.decision.as_str()) } td { (c.mechanism.as_str()) } td { (c.policy) } td { code { (c.subject.get(..12).unwrap_or_default()) "…" } } }
                    } }
                }
            }
        },
    )
}

impl PrivacyPage<'_> {
    fn consent_filter_shown(&self, shown: usize) -> String {
        format!(
            "{shown} shown of {}.",
            count(self.consents_total, "record", "records")
        )
    }
}
