//! The page frame: head, top bar, footer. Every page and error page uses it.

use actix_web::http::StatusCode;
use maud::{DOCTYPE, Markup, html};

use crate::dashboard::assets;

/// The logged-in user's part of the top bar.
pub struct UserBar<'a> {
    /// Their email.
    pub email: &'a str,
    /// CSRF token for the logout form.
    pub csrf: &'a str,
}

/// What frames a page.
pub struct Chrome<'a> {
    /// `<title>` and heading context.
    pub title: &'a str,
    /// Logged-in user, if any.
    pub user: Option<UserBar<'a>>,
}

/// A full page.
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
                header.top {
                    a.brand href="/" { "Touchpoint" }
                    @if let Some(u) = &chrome.user {
                        nav {
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
                main.page { (body) }
                footer.bottom { "Touchpoint — privacy-first analytics" }
            }
        }
    }
}

/// An error page in the same frame.
#[must_use]
pub fn error_page(status: StatusCode, message: &str) -> Markup {
    let title = status.canonical_reason().unwrap_or("Error");
    page(
        &Chrome { title, user: None },
        &html! {
            h1 { (status.as_u16()) " " (title) }
            p.error { (message) }
            p { a href="/" { "Back to Touchpoint" } }
        },
    )
}

/// A hidden CSRF field for a form.
#[must_use]
pub fn csrf_field(token: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(token); }
}
