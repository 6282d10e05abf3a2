//! The webhooks pages (admins): a site's endpoints — state, events, URL,
//! why one was disabled — with forms to add, rotate, enable and delete, the
//! secret shown once; and an endpoint's delivery log with a replay button.

use maud::{Markup, html};

use super::{
    layout::{Chrome, UserBar, page},
    site_nav::{SitePage, site_nav, site_title},
};
use crate::{
    domain::{Role, calendar::fmt_utc, webhook::WebhookEvent},
    store::{
        Site,
        webhooks::{Endpoint, MessageKey, MessageState, WebhookMessage},
    },
};

/// The list page's model.
pub struct WebhooksPage<'a> {
    /// The site.
    pub site: &'a Site,
    /// The caller's role.
    pub role: Role,
    /// The CSRF token of the forms.
    pub csrf: &'a str,
    /// The endpoints.
    pub endpoints: &'a [Endpoint],
    /// A secret just made (shown once): endpoint id and `whsec_…`.
    pub secret: Option<(u32, String)>,
    /// What went wrong, or what happened.
    pub error: Option<&'a str>,
    /// What happened.
    pub notice: Option<&'a str>,
}

/// The admins' notice of a disabled endpoint (also on the overview).
#[must_use]
pub fn disabled_notice(site: &Site, e: &Endpoint) -> Option<Markup> {
    let (at, why) = e.disabled.as_ref()?;
    Some(html! {
        p.error role="alert" {
            "Webhook " (e.id) " to " code { (e.url) } " was disabled on " (fmt_utc(*at)) ": " (why) ". "
            a href=(format!("/sites/{}/webhooks", site.domain)) { "Manage webhooks" }
        }
    })
}

fn post_button(action: &str, csrf: &str, label: &str) -> Markup {
    html! {
        form.inline method="post" action=(action) {
            input type="hidden" name="csrf" value=(csrf);
            button.secondary type="submit" { (label) }
        }
    }
}

/// `GET /sites/{d}/webhooks`
#[must_use]
pub fn webhooks(bar: UserBar<'_>, m: &WebhooksPage<'_>) -> Markup {
    let base = format!("/sites/{}/webhooks", m.site.domain);
    page(
        &Chrome {
            title: &site_title(m.site, "Webhooks"),
            user: Some(bar),
        },
        &html! {
            (site_nav(m.site, m.role, Some(SitePage::Settings)))
            h2 { "Webhooks" }
            @if let Some(e) = m.error { p.error role="alert" { (e) } }
            @if let Some(n) = m.notice { p.notice role="status" { (n) } }
            @if let Some((id, secret)) = &m.secret {
                div.notice role="status" id="webhook-secret" {
                    p { "The signing secret of webhook " (id) " — copy it now, it is not shown again:" }
                    p { code { (secret) } }
                }
            }
            @for e in m.endpoints { @if let Some(n) = disabled_notice(m.site, e) { (n) } }
            p.muted { "Touchpoint POSTs " code { "{type, timestamp, data}" } " to each endpoint for the events it subscribes to, signed per the Standard Webhooks specification ("
                code { "webhook-id" } ", " code { "webhook-timestamp" } ", " code { "webhook-signature" } "), and retries for about a day." }
            @if !m.endpoints.is_empty() {
                table.data id="webhooks" {
                    thead { tr { th { "Id" } th { "URL" } th { "Events" } th { "State" } th { "" } } }
                    tbody { @for e in m.endpoints {
                        tr {
                            td { (e.id) }
                            td { a href=(format!("{base}/{}", e.id)) { (e.url) } }
                            td { (e.events.iter().map(|x| x.as_str()).collect::<Vec<_>>().join(", ")) }
                            td { @if e.disabled.is_some() { "disabled" } @else if e.failing_since_ms.is_some() { "failing" } @else { "enabled" } }
                            td {
                                @if e.disabled.is_some() { (post_button(&format!("{base}/{}/enable", e.id), m.csrf, "Enable")) }
                                (post_button(&format!("{base}/{}/rotate", e.id), m.csrf, "Rotate secret"))
                                (post_button(&format!("{base}/{}/delete", e.id), m.csrf, "Delete"))
                            }
                        }
                    } }
                }
            }
            section.card id="add-webhook" {
                h3 { "Add an endpoint" }
                form method="post" action=(base) {
                    input type="hidden" name="csrf" value=(m.csrf);
                    label.control { span.caption { "URL" } input type="url" name="url" required placeholder="https://crm.example.com/hooks/touchpoint"; }
                    fieldset { legend { "Events" }
                        @for ev in WebhookEvent::ALL {
                            label.check { input type="checkbox" name="events" value=(ev.as_str()); " " code { (ev.as_str()) } }
                        }
                    }
                    button type="submit" { "Add endpoint" }
                }
            }
        },
    )
}

/// `GET /sites/{d}/webhooks/{id}`: the delivery log, newest first.
#[must_use]
pub fn log(
    bar: UserBar<'_>,
    site: &Site,
    role: Role,
    csrf: &str,
    e: &Endpoint,
    messages: &[(MessageKey, WebhookMessage)],
    notice: Option<&str>,
) -> Markup {
    let base = format!("/sites/{}/webhooks/{}", site.domain, e.id);
    page(
        &Chrome {
            title: &site_title(site, "Webhook deliveries"),
            user: Some(bar),
        },
        &html! {
            (site_nav(site, role, Some(SitePage::Settings)))
            h2 { "Deliveries of webhook " (e.id) } p { code { (e.url) } }
            @if let Some(n) = notice { p.notice role="status" { (n) } }
            @if let Some(n) = disabled_notice(site, e) { (n) }
            @if messages.is_empty() { p.muted { "No messages yet." } } @else {
                table.data id="deliveries" {
                    thead { tr { th { "Message" } th { "Event" } th { "Made" } th { "State" } th.num { "Attempts" } th { "Last answer" } th { "" } } }
                    tbody { @for ((_, _, seq), msg) in messages {
                        tr {
                            td { code { (msg.id) } }
                            td { (msg.event.as_str()) }
                            td { (fmt_utc(msg.created_ms)) }
                            td { (match msg.state { MessageState::Pending => "pending", MessageState::Delivered => "delivered", MessageState::Failed => "failed" }) }
                            td.num { (msg.attempts.len()) }
                            td { @if let Some(a) = msg.attempts.last() {
                                @if let Some(s) = a.status { (s) } @else { (a.error.as_deref().unwrap_or("")) }
                            } }
                            td { @if msg.state != MessageState::Pending { (post_button(&format!("{base}/messages/{seq}/replay"), csrf, "Replay")) } }
                        }
                    } }
                }
            }
        },
    )
}
