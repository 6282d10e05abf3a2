//! The settings page's "Email reports and alerts" card: recipients and what
//! each gets, alert thresholds, and a test mail.

use maud::{Markup, html};

use super::layout::csrf_field;

/// What the card shows.
pub struct MailCard {
    /// `[mail]` is set up.
    pub enabled: bool,
    /// (id, address, weekly, monthly, alerts), in the order added.
    pub recipients: Vec<(u32, String, bool, bool, bool)>,
    /// Spike threshold (current visitors), when set.
    pub spike_visitors: Option<u32>,
    /// Drop threshold (percent of the usual), when set.
    pub drop_percent: Option<u32>,
    /// The signed-in user's address (the test mail's default).
    pub me: String,
}

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

/// The card; `base` is `/sites/{domain}`.
#[must_use]
pub fn mail_card(card: &MailCard, csrf: &str, base: &str) -> Markup {
    html! {
        section.card id="mail" {
            h2 { "Email reports and alerts" }
            @if !card.enabled {
                p.error role="status" id="mail-off" { "Email is not set up on this server, so no report or alert is sent. Its operator sets " code { "mail.smtp_host" } " and " code { "mail.from" } " (see the README's “Email reports and alerts”)." }
            }
            p.muted { "Weekly reports cover Monday to Sunday and go out when the week is over; monthly ones when the month is over. Each has the main numbers against the period before, the visitors chart, top sources and pages, and goals. Every mail has a link to stop them." }
            @if card.recipients.is_empty() {
                p { "No recipients yet." }
            } @else {
                table.ranked id="mail-recipients" {
                    thead { tr { th { "Address" } th { "Weekly" } th { "Monthly" } th { "Alerts" } th { "" } } }
                    tbody {
                        @for (id, email, weekly, monthly, alerts) in &card.recipients {
                            tr {
                                td { (email) }
                                td { (yes(*weekly)) }
                                td { (yes(*monthly)) }
                                td { (yes(*alerts)) }
                                td {
                                    form.inline method="post" action={ (base) "/mail/recipients/" (id) "/delete" } {
                                        (csrf_field(csrf))
                                        button.danger type="submit" aria-label={ "Remove " (email) } { "Remove" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            form.stack method="post" action={ (base) "/mail/recipients" } {
                (csrf_field(csrf))
                label { "Address (an address already listed gets these choices instead)" input type="email" name="email" required maxlength="254"; }
                fieldset {
                    legend { "Sends it" }
                    label { input type="checkbox" name="weekly" value="1" checked; " the weekly report" }
                    label { input type="checkbox" name="monthly" value="1"; " the monthly report" }
                    label { input type="checkbox" name="alerts" value="1"; " traffic alerts" }
                }
                button type="submit" { "Save recipient" }
            }
            h3 { "Traffic alerts" }
            p.muted { "A spike alert goes out when the site's current visitors (active in the last 5 minutes, as the realtime view counts them) reach the threshold; a drop alert when today's visitors so far are below the given share of the usual by this time of day (the mean of the same hours of the last 7 days, once that is at least 10 visitors). Each at most once a day, to the recipients who chose alerts. Empty = off." }
            form.stack method="post" action={ (base) "/mail/alerts" } {
                (csrf_field(csrf))
                label { "Spike: current visitors at least"
                    input type="number" name="spike_visitors" min="1" max="1000000" value=[card.spike_visitors]; }
                label { "Drop: today's visitors below this % of the usual"
                    input type="number" name="drop_percent" min="1" max="99" value=[card.drop_percent]; }
                button type="submit" { "Save alerts" }
            }
            h3 { "Test" }
            form.inline method="post" action={ (base) "/mail/test" } {
                (csrf_field(csrf))
                label { "Send last week's report to " input type="email" name="to" required maxlength="254" value=(card.me); }
                button type="submit" disabled[!card.enabled] { "Send a test mail" }
            }
        }
    }
}
