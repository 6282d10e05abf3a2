//! Cards of the site settings page: the warning after a change of the
//! tracking snippet, the optional scripts, attribution, lead scoring (a form,
//! with the JSON as the advanced alternative) and Stripe.

use maud::{Markup, html};

use super::{
    attribution::{model_label, model_needs},
    layout::csrf_field,
};
use crate::{
    attribution::{
        Model,
        report::DEFAULT_MODEL,
        scoring::{Heading, Rule},
    },
    dashboard::site::scoring_form::shown,
    store::Site,
};

/// Blank rule rows offered below a site's rules.
pub const BLANK_RULES: usize = 3;

/// The Stripe events the webhook handles (the README lists the same four).
pub const STRIPE_EVENTS: [&str; 4] = [
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "invoice.paid",
    "charge.refunded",
];

/// After a save that changed the tracking snippet: what pages still carrying
/// `was` do, and the new snippet `now` to copy.
#[must_use]
pub fn snippet_changed(was: &str, now: &str) -> Markup {
    let was_core = was.contains("/js/tp.js\"");
    let now_core = now.contains("/js/tp.js\"");
    let effect = match (was_core, now_core) {
        (true, false) => {
            "the core script they load never asks for consent, so no visitor gets a first-party id and no lead can be identified"
        }
        (false, true) => {
            "they keep asking for consent the old way (in require mode nobody who hasn't decided is counted), and the identifiers they send are now refused"
        }
        _ => {
            "they keep the old consent settings (consent mode, policy version, forms or Do Not Track)"
        }
    };
    html! {
        div.error role="alert" id="snippet-changed" {
            p { strong { "The tracking snippet changed." } " Replace it on every page of the site: until then pages with the old one behave as before — " (effect) "." }
            pre.snippet id="snippet-new" { (now) }
            button.copy type="button" data-copy-target="snippet-new" { "Copy the new snippet" }
            @if !now_core {
                // Without something that asks, nobody accepts: no first-party id, no lead.
                p id="snippet-asks" { "This snippet doesn't ask visitors by itself: add the " a href="#scripts" { "consent banner" } " beside it, or call " code { "tp('consent', 'accept' | 'decline')" } " from your own consent platform." }
            }
        }
    }
}

/// The optional scripts, ready to copy: the consent banner and the extras.
#[must_use]
pub fn scripts_card(site: &Site, origin: &str) -> Markup {
    let banner = format!(
        "<script defer src=\"{origin}/js/tp-consent.js\"\n        data-text=\"May we count your visits with a cookie?\" data-policy-url=\"/privacy\"></script>"
    );
    let extras = format!(
        "<script defer src=\"{origin}/js/tp-extras.js\"\n        data-outbound data-downloads=\"pdf,zip,dmg\" data-engagement></script>"
    );
    let asks = site.consent_mode != crate::domain::ConsentMode::Cookieless;
    html! {
        section.card id="scripts" {
            h2 { "Optional scripts" }
            h3 { "Consent banner" }
            @if asks {
                p { "An accessible banner that asks for consent and tells the tracker the answer. Add it after the tracking snippet, or call " code { "tp('consent', 'accept' | 'decline')" } " from your own consent platform instead. " code { "data-text" } ", " code { "data-policy-url" } ", " code { "data-policy-label" } ", " code { "data-accept" } " and " code { "data-decline" } " change its words." }
            } @else {
                p.muted { "Only for a site that asks for consent: choose the consent mode require or cookieless-until-consent above first. In cookieless mode nothing needs consent and the banner is not needed." }
            }
            pre.snippet id="snippet-consent" { (banner) }
            button.copy type="button" data-copy-target="snippet-consent" { "Copy" }
            h3 { "Outbound links, downloads and engagement" }
            p { "Counts clicks on links to other sites (" code { "Outbound Link: Click" } "), file downloads (" code { "File Download" } ", by extension; an empty " code { "data-downloads" } " uses a default list) and time on page and scroll depth (" code { "data-engagement" } "). Leave out what you don't want. Add it beside the tracking snippet." }
            pre.snippet id="snippet-extras" { (extras) }
            button.copy type="button" data-copy-target="snippet-extras" { "Copy" }
        }
    }
}

/// The lookback window and the model reports lead with.
#[must_use]
pub fn attribution_card(site: &Site, csrf: &str, base: &str) -> Markup {
    let chosen = site.attribution_model();
    html! {
        section.card id="attribution" {
            h2 { "Attribution" }
            form.stack method="post" action={ (base) "/lookback" } {
                (csrf_field(csrf))
                label { "Attribution model (the Attribution page leads with it; the others can be compared there)"
                    select name="model" {
                        @for md in Model::ALL {
                            option value=(md.as_str()) selected[md == chosen] {
                                (model_label(md)) @if md == DEFAULT_MODEL { " (default)" }
                            }
                        }
                    }
                }
                p.muted { (model_needs(chosen)) }
                label { "Lookback window: visits up to this many days before a conversion are its touchpoints"
                    input type="number" name="days" min="1" max="365" value=(site.lookback_days()); }
                button type="submit" { "Save" }
            }
        }
    }
}

fn rule_row(r: Option<&Rule>) -> Markup {
    let heading = r.map_or(Heading::Engagement, |r| r.heading);
    let (kind, matched) = r.map_or(("page", String::new()), |r| shown(&r.when));
    let each = r.is_some_and(|r| r.each_time);
    html! {
        tr {
            td { select name="heading" aria-label="Heading" {
                option value="fit" selected[heading == Heading::Fit] { "fit" }
                option value="engagement" selected[heading == Heading::Engagement] { "engagement" }
            } }
            td { select name="kind" aria-label="Looks for" {
                @for (v, l) in [("event", "custom event"), ("page", "page"), ("prop", "event property")] {
                    option value=(v) selected[v == kind] { (l) }
                }
            } }
            td { input type="text" name="match" value=(matched) maxlength="200" aria-label="Match" placeholder="/pricing*, Signup or plan=enterprise"; }
            td { input type="number" name="points" value=(r.map_or(0, |r| r.points)) size="5" aria-label="Points"; }
            td { select name="repeat" aria-label="Counts" {
                option value="once" selected[!each] { "once" }
                option value="each" selected[each] { "each time" }
            } }
        }
    }
}

/// Lead scoring: a row per rule (and blank rows for new ones), the
/// threshold and the half-life; the same as JSON under "advanced".
#[must_use]
pub fn scoring_card(site: &Site, csrf: &str, base: &str) -> Markup {
    let s = &site.scoring;
    html! {
        section.card id="scoring" {
            h2 { "Lead scoring" }
            p.muted { "Each rule looks for a custom event, a page (" code { "*" } " matches anything, e.g. " code { "/pricing*" } ") or an event property (" code { "key=value" } ") in a lead's visits and adds its points (negative to take some away) to the lead's fit or engagement score, once or each time. A lead is qualified when its score first reaches the threshold (0: no threshold); with a half-life, points fade by half every that many days (0: never). Rows left empty are ignored." }
            form method="post" action={ (base) "/scoring" } {
                (csrf_field(csrf))
                table.data id="scoring-rules" {
                    thead { tr { th { "Heading" } th { "Looks for" } th { "Match" } th.num { "Points" } th { "Counts" } } }
                    tbody {
                        @for r in &s.rules { (rule_row(Some(r))) }
                        @for _ in 0..BLANK_RULES { (rule_row(None)) }
                    }
                }
                p {
                    label { "Threshold " input type="number" name="threshold" value=(s.threshold) size="6"; }
                    " "
                    label { "Half-life (days) " input type="number" name="half_life_days" min="0" value=(s.half_life_days) size="5"; }
                }
                button type="submit" { "Save scoring" }
            }
            details {
                summary { "Advanced: edit the rules as JSON" }
                form.stack method="post" action={ (base) "/scoring" } {
                    (csrf_field(csrf))
                    textarea name="scoring" rows="8" aria-label="Scoring rules as JSON" { (serde_json::to_string_pretty(s).unwrap_or_default()) }
                    button.secondary type="submit" { "Save JSON" }
                }
            }
        }
    }
}

/// The Stripe webhook: its URL, the events to send and the signing secret.
#[must_use]
pub fn stripe_card(site: &Site, origin: &str, csrf: &str, base: &str) -> Markup {
    html! {
        section.card id="stripe" {
            h2 { "Stripe" }
            p { "Paid checkouts and invoices become purchases of the lead with the customer's email; refunds reduce revenue. In Stripe, add a webhook endpoint for these four events: "
                @for (i, e) in STRIPE_EVENTS.iter().enumerate() { @if i > 0 { ", " } code { (e) } } " — at:" }
            pre.secret id="stripe-url" { (origin) "/hooks/stripe/" (site.domain) }
            form.inline method="post" action={ (base) "/stripe" } {
                (csrf_field(csrf))
                label { "Signing secret "
                    input type="password" name="secret" autocomplete="off" placeholder=(if site.stripe_secret_sealed.is_some() { "set (paste to replace)" } else { "whsec_…" }); }
                button type="submit" { "Save secret" }
            }
        }
    }
}

/// Data in and out: the Segment write key, Plausible's CSV export, and the
/// site's imports (each deletable).
#[must_use]
pub fn data_card(
    site: &Site,
    origin: &str,
    imports: &[crate::store::ImportRecord],
    csrf: &str,
    base: &str,
) -> Markup {
    use crate::domain::calendar::date_of_day;
    html! {
        section.card id="data" {
            h2 { "Data in and out" }
            h3 { "Segment" }
            p { "Segment's libraries (and anything sending Segment's format) send here with their " code { "host" } " set to " code { (origin) } " and this write key:" }
            pre.secret id="segment-write-key" { (site.segment_write_key.as_deref().unwrap_or("")) }
            button.copy type="button" data-copy-target="segment-write-key" { "Copy" }
            h3 { "Export" }
            p { a.button href={ (base) "/export" } download { "Download Plausible CSV export (zip)" }
                " — the ten files of Plausible's export, for any tool that imports them. Events one by one: "
                code { "touchpoint export " (site.domain) " --format csv --output events.csv" } "." }
            h3 { "Imported statistics" }
            @if imports.is_empty() {
                p.muted { "None. Import a Plausible export with " code { "touchpoint import " (site.domain) " FILE.zip" }
                    " or " code { "POST /api/v1/sites/" (site.domain) "/imports" } "; imported days before this site's own data show in its reports." }
            } @else {
                table {
                    thead { tr { th { "Import" } th { "Days" } th.num { "Rows" } th { span.visually-hidden { "Action" } } } }
                    tbody {
                        @for i in imports {
                            tr {
                                td { "CSV #" (i.id) }
                                td { (date_of_day(i.first_day)) " to " (date_of_day(i.last_day)) }
                                td.num { (i.rows.values().sum::<u64>()) }
                                td {
                                    form.inline method="post" action={ (base) "/imports/" (i.id) "/delete" } {
                                        (csrf_field(csrf))
                                        button.danger type="submit" { "Delete" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
