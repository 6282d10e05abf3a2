//! A report's text and HTML parts. Both show the same numbers, every count
//! through [`Counts`] (see [`super::numbers`]); the HTML shows the chart
//! from the inline attachment [`CHART_CID`].

use maud::{DOCTYPE, Markup, html};

use super::{
    numbers::{self, Counts},
    report::{Kpi, Ranked, Report},
};
use crate::stats::Value;

/// Content id of the chart image in a report mail.
pub const CHART_CID: &str = "chart";

/// `Mar 11, 2024 – Mar 17, 2024`.
#[must_use]
pub fn dates(r: &Report) -> String {
    format!(
        "{} – {}",
        r.period.first.format("%b %-d, %Y"),
        r.period.last.format("%b %-d, %Y")
    )
}

/// The subject line: `Weekly report for example.com: Mar 11, 2024 – Mar 17, 2024`.
#[must_use]
pub fn subject(r: &Report) -> String {
    let kind = match r.period.kind {
        super::report::Kind::Weekly => "Weekly",
        super::report::Kind::Monthly => "Monthly",
    };
    format!("{kind} report for {}: {}", r.domain, dates(r))
}

fn whole(v: Value) -> u64 {
    v.number().map_or(0, |n| {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let n = n.max(0.0).round() as u64;
        n
    })
}

/// Whether a period's rates, durations and revenue are withheld: they are
/// when any of its counts is hidden (they would be made from that small
/// group), as (this period, the previous one).
fn withheld(r: &Report, counts: Counts) -> (bool, bool) {
    let hidden = |v: Value| !counts.shown(whole(v));
    let counted = || r.kpis.iter().filter(|k| !is_rate(k.key));
    (
        counted().any(|k| hidden(k.now)),
        counted().any(|k| hidden(k.before)),
    )
}

fn is_rate(key: &str) -> bool {
    matches!(key, "bounce_rate" | "visit_duration" | "revenue")
}

/// A KPI's value as shown (`—` when `withheld`).
fn value(k: &Kpi, v: Value, counts: Counts, currency: Option<&str>, withheld: bool) -> String {
    if withheld && is_rate(k.key) {
        return "—".to_owned();
    }
    match k.key {
        "bounce_rate" => format!("{}%", whole(v)),
        "visit_duration" => numbers::duration(whole(v)),
        "revenue" => numbers::money(v.number().unwrap_or(0.0), currency.unwrap_or("")),
        _ => counts.count(whole(v)),
    }
}

/// A KPI's change from the previous period as shown (empty when hidden).
fn change(k: &Kpi, counts: Counts, withheld: (bool, bool)) -> String {
    if is_rate(k.key) && (withheld.0 || withheld.1) {
        return String::new();
    }
    match k.key {
        "bounce_rate" | "visit_duration" | "revenue" => numbers::change(
            k.now.number().unwrap_or(0.0),
            k.before.number().unwrap_or(0.0),
        ),
        _ => counts.change(whole(k.now), whole(k.before)),
    }
}

/// The plain-text part.
#[must_use]
pub fn text(r: &Report, counts: Counts, unsubscribe: &str) -> String {
    let word = r.period.kind.period_word();
    let cur = r.currency.as_deref();
    let mut out = format!(
        "{}\n{}\n\n",
        subject(r),
        "=".repeat(subject(r).chars().count())
    );
    let w = withheld(r, counts);
    for k in &r.kpis {
        let ch = change(k, counts, w);
        out += &format!(
            "{}: {} (previous {word}: {}{})\n",
            k.label,
            value(k, k.now, counts, cur, w.0),
            value(k, k.before, counts, cur, w.1),
            if ch.is_empty() {
                String::new()
            } else {
                format!(", {ch}")
            }
        );
    }
    let list = |title: &str, rows: &[Ranked], out: &mut String| {
        *out += &format!("\n{title} (unique visitors)\n");
        if rows.is_empty() {
            *out += "  none\n";
        }
        for row in rows {
            *out += &format!("  {}: {}\n", row.label, counts.count(row.visitors));
        }
    };
    list("Top sources", &r.sources, &mut out);
    list("Top pages", &r.pages, &mut out);
    if !r.goals.is_empty() {
        out += "\nGoals\n";
        for g in &r.goals {
            out += &format!(
                "  {}: {} unique visitors, {} conversions\n",
                g.name,
                counts.count(g.visitors),
                counts.count(g.conversions)
            );
        }
    }
    out += &format!(
        "\nYou get this because an admin of {} added your address to its reports.\nStop these mails: {unsubscribe}\n",
        r.domain
    );
    out
}

const CELL: &str = "padding:4px 8px;border-bottom:1px solid #e5e7eb;text-align:left";
const NUM: &str = "padding:4px 8px;border-bottom:1px solid #e5e7eb;text-align:right";

fn ranked_table(title: &str, rows: &[Ranked], counts: Counts) -> Markup {
    html! {
        h2 style="font-size:16px;margin:24px 0 8px" { (title) }
        @if rows.is_empty() {
            p style="color:#6b7280" { "None in this period." }
        } @else {
            table style="border-collapse:collapse;width:100%" {
                tr { th style=(CELL) { "" } th style=(NUM) { "Unique visitors" } }
                @for row in rows {
                    tr { td style=(CELL) { (row.label) } td style=(NUM) { (counts.count(row.visitors)) } }
                }
            }
        }
    }
}

/// The HTML part (inline styles: mail clients drop style sheets).
#[must_use]
pub fn html(r: &Report, counts: Counts, unsubscribe: &str) -> String {
    let word = r.period.kind.period_word();
    let cur = r.currency.as_deref();
    let w = withheld(r, counts);
    html! {
        (DOCTYPE)
        html lang="en" {
            head { meta charset="utf-8"; title { (subject(r)) } }
            body style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#111827;max-width:640px;margin:0 auto;padding:16px" {
                h1 style="font-size:20px;margin:0 0 4px" { (r.domain) }
                p style="color:#6b7280;margin:0 0 16px" { (subject(r).split(':').next().unwrap_or_default()) ", " (dates(r)) }
                table style="border-collapse:collapse;width:100%" {
                    tr { th style=(CELL) { "" } th style=(NUM) { "This " (word) } th style=(NUM) { "Previous " (word) } th style=(NUM) { "Change" } }
                    @for k in &r.kpis {
                        tr {
                            td style=(CELL) { (k.label) }
                            td style=(NUM) { strong { (value(k, k.now, counts, cur, w.0)) } }
                            td style=(NUM) { (value(k, k.before, counts, cur, w.1)) }
                            td style=(NUM) { (change(k, counts, w)) }
                        }
                    }
                }
                h2 style="font-size:16px;margin:24px 0 8px" { "Unique visitors per day" }
                img src={ "cid:" (CHART_CID) } width="600" style="width:100%;max-width:600px;height:auto" alt={ "Unique visitors per day, " (dates(r)) ", with the previous " (word) " dashed" };
                (ranked_table("Top sources", &r.sources, counts))
                (ranked_table("Top pages", &r.pages, counts))
                @if !r.goals.is_empty() {
                    h2 style="font-size:16px;margin:24px 0 8px" { "Goals" }
                    table style="border-collapse:collapse;width:100%" {
                        tr { th style=(CELL) { "Goal" } th style=(NUM) { "Unique visitors" } th style=(NUM) { "Conversions" } }
                        @for g in &r.goals {
                            tr { td style=(CELL) { (g.name) } td style=(NUM) { (counts.count(g.visitors)) } td style=(NUM) { (counts.count(g.conversions)) } }
                        }
                    }
                }
                p style="color:#6b7280;font-size:12px;margin-top:32px" {
                    "You get this because an admin of " (r.domain) " added your address to its reports. "
                    a href=(unsubscribe) { "Stop these mails" } "."
                }
            }
        }
    }
    .into_string()
}
