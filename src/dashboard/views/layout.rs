//! The page frame: head, skip link, top bar, footer. Every page and error
//! page uses it.

use actix_web::http::StatusCode;
use maud::{DOCTYPE, Markup, html};

use super::site_nav::{site_nav, site_title};
use crate::{dashboard::assets, domain::Role, store::Site};

/// The logged-in user's part of the top bar.
pub struct UserBar<'a> {
    /// Their email.
    pub email: &'a str,
    /// CSRF token for the logout form.
    pub csrf: &'a str,
}

/// What frames a page.
pub struct Chrome<'a> {
    /// `<title>` text before " · Touchpoint"; a site's pages name the page
    /// and the site (`Attribution · example.com`, see `site_nav::site_title`).
    pub title: &'a str,
    /// Logged-in user, if any.
    pub user: Option<UserBar<'a>>,
}

/// A full page. The first focusable element is a "Skip to content" link to
/// `main#content`; the top bar's links are a `<nav aria-label="Main">`.
#[must_use]
pub fn page(chrome: &Chrome<'_>, body: &Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="same-origin";
                title { (chrome.title) " · Touchpoint" }
                link rel="stylesheet" href=(assets::url("app.css"));
                script src=(assets::url("app.js")) defer {}
            }
            body {
                a.skip-link href="#content" { "Skip to content" }
                header.top {
                    a.brand href="/" { "Touchpoint" }
                    @if let Some(u) = &chrome.user {
                        nav aria-label="Main" {
                            a href="/sites" { "Sites" }
                            a href="/account" { "Account" }
                        }
                        div.user {
                            span.muted { (u.email) }
                            form.inline method="post" action="/logout" {
                                input type="hidden" name="csrf" value=(u.csrf);
                                button.secondary type="submit" { "Log out" }
                            }
                        }
                    }
                }
                main.page id="content" tabindex="-1" { (body) }
                footer.bottom { "Touchpoint — privacy-first analytics" }
            }
        }
    }
}

/// Where an error happened, for its page: who is looking, and the site the
/// failed page belongs to (only when the caller is a member of it).
#[derive(Default)]
pub struct ErrorFrame<'a> {
    /// Logged-in user, if any.
    pub user: Option<UserBar<'a>>,
    /// The site, with the caller's role there (for its navigation).
    pub site: Option<(&'a Site, Role)>,
}

/// An error page in the same frame: the site's navigation when the site is
/// known, the status and `message` (its first letter raised), and a way
/// back: the site's overview, else the sites list for a logged-in user, else
/// the start page.
#[must_use]
pub fn error_page(status: StatusCode, message: &str, frame: ErrorFrame<'_>) -> Markup {
    let reason = status.canonical_reason().unwrap_or("Error");
    let title = match frame.site {
        Some((site, _)) => site_title(site, reason),
        None => reason.to_owned(),
    };
    let (back, back_text) = match (frame.site, &frame.user) {
        (Some((site, _)), _) => (
            format!("/sites/{}", site.domain),
            format!("Back to the overview of {}", site.domain),
        ),
        (None, Some(_)) => ("/sites".to_owned(), "Back to your sites".to_owned()),
        (None, None) => ("/".to_owned(), "Back to Touchpoint".to_owned()),
    };
    let body = html! {
        @if let Some((site, role)) = frame.site { (site_nav(site, role, None)) }
        section.error-page {
            // Under a site's navigation the site's name is the page's h1.
            @if frame.site.is_some() { h2 { (status.as_u16()) " " (reason) } }
            @else { h1 { (status.as_u16()) " " (reason) } }
            p.error role="alert" { (sentence(message)) }
            p { a.back href=(back) { (back_text) } }
        }
    };
    page(
        &Chrome {
            title: &title,
            user: frame.user,
        },
        &body,
    )
}

/// `message` with its first letter upper-case and a full stop.
#[must_use]
pub fn sentence(message: &str) -> String {
    let mut chars = message.chars();
    let mut out: String = chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default();
    if !out.is_empty() && !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

/// A hidden CSRF field for a form.
#[must_use]
pub fn csrf_field(token: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(token); }
}
